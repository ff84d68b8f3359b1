"""Fund exposure (基金穿透): a fund's products, who put money in, who manages and controls it.

Investors reach a fund two ways: through a product it ISSUES, or by INVESTS_IN the fund
itself; both come back with their ``amount`` (万元).
"""

from __future__ import annotations

from pydantic import BaseModel

from kg.errors import NotFoundError
from kg.risk.graph import Party, RiskGraph, SubgraphBuilder, node_map
from kg.risk.params import EntityId, RiskParams, RowLimit
from kg.store import GraphStore

_PEOPLE = (
    "MATCH (f:Fund {id: $fund_id}) "
    "OPTIONAL MATCH (m)-[:MANAGES]->(f) "
    "OPTIONAL MATCH (x)-[:CONTROLS]->(t) WHERE t = f OR t = m "
    f"RETURN {node_map('f')} AS fund, "
    f"CASE WHEN m IS NULL THEN null ELSE {node_map('m')} END AS manager, "
    f"CASE WHEN x IS NULL THEN null ELSE {node_map('x')} END AS controller, "
    "t.id AS controls"
)
_INVESTORS = (
    "MATCH (f:Fund {id: $fund_id}) "
    "OPTIONAL MATCH (f)-[:ISSUES]->(p:Product) "
    "WITH f, collect(p) AS products "
    "UNWIND [f] + products AS target "
    "MATCH (i)-[r:INVESTS_IN]->(target) "
    f"RETURN {node_map('target')} AS target, {node_map('i')} AS investor, "
    "r.amount AS amount ORDER BY r.amount DESC, i.id LIMIT $limit"
)
_PRODUCTS = (
    "MATCH (f:Fund {id: $fund_id})-[:ISSUES]->(p:Product) "
    "OPTIONAL MATCH (i)-[r:INVESTS_IN]->(p) "
    "WITH p, count(i) AS investors, sum(coalesce(r.amount, 0.0)) AS raised ORDER BY p.id "
    f"RETURN {node_map('p')} AS product, p.status AS status, investors, raised"
)


class FundExposureParams(RiskParams):
    """Exposure of fund ``fund_id``: up to ``limit`` investor rows."""

    fund_id: EntityId
    limit: RowLimit = 500


class InvestorRow(BaseModel):
    """One investment: who, into which product (or the fund itself), how much (万元)."""

    investor: Party
    target: Party
    amount: float | None


class ProductSummary(BaseModel):
    """A product the fund issues, its status, investor count and money raised (万元)."""

    product: Party
    status: str | None
    investors: int
    raised: float


class FundExposureResult(BaseModel):
    """The fund, its managers and controllers, products and investors (largest first)."""

    fund: Party
    managers: list[Party]
    controllers: list[Party]
    products: list[ProductSummary]
    rows: list[InvestorRow]
    total_amount: float
    subgraph: RiskGraph
    truncated: bool = False


def fund_exposure(store: GraphStore, params: FundExposureParams) -> FundExposureResult:
    """Trace a fund down to its investors and up to its manager and controllers.

    When a fund cannot redeem or turns out to be a fake private fund, the regulator needs
    who is owed how much and who stands behind the manager.
    """
    people = store.read(_PEOPLE, fund_id=params.fund_id)
    if not people:
        raise NotFoundError(f"no fund with id {params.fund_id!r}")
    builder = SubgraphBuilder(store.ontology)
    fund = builder.node(people[0]["fund"])
    managers: dict[str, Party] = {}
    controllers: dict[str, Party] = {}
    for row in people:
        if row["manager"]:
            manager = builder.node(row["manager"])
            managers[manager.id] = manager
            builder.edge({"type": "MANAGES", "source": manager.id, "target": fund.id})
        if row["controller"]:
            controller = builder.node(row["controller"])
            controllers[controller.id] = controller
            builder.edge({"type": "CONTROLS", "source": controller.id,
                          "target": row["controls"]})
    products = []
    for row in store.read(_PRODUCTS, fund_id=params.fund_id):
        product = builder.node(row["product"])
        builder.edge({"type": "ISSUES", "source": fund.id, "target": product.id})
        products.append(ProductSummary(product=product, status=row["status"],
                                       investors=int(row["investors"]),
                                       raised=float(row["raised"])))
    rows = []
    for row in store.read(_INVESTORS, fund_id=params.fund_id, limit=params.limit):
        investor, target = builder.node(row["investor"]), builder.node(row["target"])
        amount = float(row["amount"]) if row["amount"] is not None else None
        builder.edge({"type": "INVESTS_IN", "source": investor.id, "target": target.id,
                      "props": {"amount": amount}})
        rows.append(InvestorRow(investor=investor, target=target, amount=amount))
    truncated = len(rows) >= params.limit
    return FundExposureResult(
        fund=fund, managers=list(managers.values()), controllers=list(controllers.values()),
        products=products, rows=rows, total_amount=sum(r.amount or 0.0 for r in rows),
        subgraph=builder.build(truncated), truncated=truncated)
