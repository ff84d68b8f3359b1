"""Guarantee risk: the chains a company's guarantees spread along, and guarantee circles.

A guarantee edge ``(a)-[:GUARANTEES {amount}]->(b)`` means a stands surety for b's debt (万元):
if b defaults, a pays, and whoever a guarantees is exposed next.
"""

from __future__ import annotations

from pydantic import BaseModel

from kg.errors import NotFoundError
from kg.risk.cycles import Cycle, CycleParams, find_cycles
from kg.risk.graph import PATH_NODES, PATH_RELS, Party, RiskGraph, SubgraphBuilder
from kg.risk.params import Depth, EntityId, RiskParams, RowLimit
from kg.store import GraphStore

_EXISTS = "MATCH (c {id: $company_id}) WHERE c:Company OR c:Person RETURN c.id AS id LIMIT 1"
_CHAINS = (
    "MATCH (c {id: $company_id}) WHERE c:Company OR c:Person "
    "CALL apoc.path.expandConfig(c, {relationshipFilter: 'GUARANTEES>', minLevel: 1, "
    "maxLevel: $max_hops, uniqueness: 'NODE_PATH'}) YIELD path "
    f"RETURN {PATH_NODES} AS nodes, {PATH_RELS} AS rels "
    "ORDER BY length(path), last(nodes(path)).id LIMIT $limit"
)


class GuaranteeChainParams(RiskParams):
    """Guarantee chains starting at guarantor ``company_id``, up to ``max_hops`` edges long."""

    company_id: EntityId
    max_hops: Depth = 3
    limit: RowLimit = 200


class GuaranteeChainRow(BaseModel):
    """One chain: members from the guarantor on, the amount of each guarantee, their sum."""

    members: list[Party]
    amounts: list[float | None]
    hops: int
    total_amount: float


class GuaranteeChainResult(BaseModel):
    """Every simple guarantee chain from the company, shortest first."""

    rows: list[GuaranteeChainRow]
    subgraph: RiskGraph
    truncated: bool = False


def guarantee_chains(store: GraphStore, params: GuaranteeChainParams) -> GuaranteeChainResult:
    """Follow a company's guarantees outward (担保链): whom it backs, whom they back, and so on.

    A default at any link reaches back along the chain, so the regulator sees how far one
    guarantor's exposure goes and the amount of each link.
    """
    if not store.read(_EXISTS, company_id=params.company_id):
        raise NotFoundError(f"no company or person with id {params.company_id!r}")
    rows = store.read(_CHAINS, company_id=params.company_id, max_hops=params.max_hops,
                      limit=params.limit)
    builder = SubgraphBuilder(store.ontology)
    chains = []
    for row in rows:
        members = builder.path(row["nodes"], row["rels"])
        amounts = [_amount(rel.get("props") or {}) for rel in row["rels"]]
        chains.append(GuaranteeChainRow(members=members, amounts=amounts, hops=len(amounts),
                                        total_amount=sum(a or 0.0 for a in amounts)))
    truncated = len(rows) >= params.limit
    return GuaranteeChainResult(rows=chains, subgraph=builder.build(truncated),
                                truncated=truncated)


def _amount(props: dict[str, object]) -> float | None:
    value = props.get("amount")
    return float(value) if isinstance(value, int | float) else None


class GuaranteeCircleParams(CycleParams):
    """Cycles of GUARANTEES (guarantee circles)."""


class GuaranteeCircleRow(Cycle):
    """A guarantee circle; ``values`` are the amounts, ``total_amount`` their sum (万元)."""

    length: int
    total_amount: float


class GuaranteeCircleResult(BaseModel):
    """Every guarantee circle found, each once, shortest first."""

    rows: list[GuaranteeCircleRow]
    subgraph: RiskGraph
    truncated: bool = False


def guarantee_circles(store: GraphStore, params: GuaranteeCircleParams) -> GuaranteeCircleResult:
    """Find guarantee circles (互保/联保圈): A backs B backs … backs A.

    In a circle nobody stands outside to pay, so one default can bring every member down;
    the total is the debt the circle backs.
    """
    cycles, graph, truncated = find_cycles(
        store, "GUARANTEES", "amount", max_len=params.max_len, limit=params.limit,
        through=params.company_id)
    rows = [
        GuaranteeCircleRow(members=c.members, values=c.values, length=len(c.members),
                           total_amount=sum(v or 0.0 for v in c.values))
        for c in cycles
    ]
    return GuaranteeCircleResult(rows=rows, subgraph=graph, truncated=truncated)
