"""Related parties (关联方): the companies tied to a company by people, control or contact data.

Ties counted: a common controller (declared CONTROLS), a common ultimate holder (effective
stake ≥ threshold in both), the same legal representative, the same officer (SERVES_AS), the
same registered address, the same phone. Shell companies typically share several at once.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from pydantic import BaseModel

from kg.risk.equity import UltimateControllerParams, effective_holdings, ultimate_controllers
from kg.risk.graph import Party, RiskGraph, SubgraphBuilder, node_map
from kg.risk.params import Depth, EntityId, Ratio, RiskParams, RowLimit
from kg.store import GraphStore

log = logging.getLogger(__name__)


class Link(StrEnum):
    """What ties two companies; the Chinese name is what the regulator reads."""

    CONTROLLER = "controller"
    ULTIMATE_HOLDER = "ultimate_holder"
    LEGAL_REP = "legal_rep"
    OFFICER = "officer"
    ADDRESS = "address"
    PHONE = "phone"

    @property
    def label_zh(self) -> str:
        """The tie in Chinese."""
        return _LINK_ZH[self]


_LINK_ZH = {
    Link.CONTROLLER: "同一实际控制人",
    Link.ULTIMATE_HOLDER: "同一最终受益股东",
    Link.LEGAL_REP: "同一法定代表人",
    Link.OFFICER: "同一高管",
    Link.ADDRESS: "同一注册地址",
    Link.PHONE: "同一联系电话",
}

def _shared_person(rel: str, link: Link) -> str:
    """Companies whose ``rel`` edge comes from the same node as the company's (code constants)."""
    return (
        f"MATCH (c:Company {{id: $company_id}})<-[:{rel}]-(x)-[:{rel}]->(o:Company) "
        f"WHERE o <> c RETURN '{link.value}' AS link, {node_map('o')} AS other, "
        f"{node_map('x')} AS via, null AS value, '{rel}' AS rel LIMIT $limit"
    )


def _shared_value(prop: str, link: Link) -> str:
    """Companies with the same non-empty value of property ``prop`` (a code constant)."""
    return (
        f"MATCH (c:Company {{id: $company_id}}) WHERE c.{prop} IS NOT NULL AND c.{prop} <> '' "
        f"MATCH (o:Company) WHERE o.{prop} = c.{prop} AND o <> c "
        f"RETURN '{link.value}' AS link, {node_map('o')} AS other, null AS via, "
        f"c.{prop} AS value, null AS rel LIMIT $limit"
    )


_RELATED = " UNION ALL ".join([
    _shared_person("CONTROLS", Link.CONTROLLER),
    _shared_person("IS_LEGAL_REP", Link.LEGAL_REP),
    _shared_person("SERVES_AS", Link.OFFICER),
    _shared_value("address", Link.ADDRESS),
    _shared_value("phone", Link.PHONE),
])


class RelatedPartyParams(RiskParams):
    """Related parties of ``company_id``; ``threshold``/``max_depth`` define ultimate holders."""

    company_id: EntityId
    threshold: Ratio = 0.25
    max_depth: Depth = 4
    limit: RowLimit = 200


class RelatedPartyRow(BaseModel):
    """One tie: the other company, the kind of tie, and the party or value they share."""

    other: Party
    link: Link
    link_zh: str
    via: Party | None = None
    value: str | None = None


class RelatedPartyResult(BaseModel):
    """Ties of a company, companies with the most ties first."""

    company: Party
    rows: list[RelatedPartyRow]
    subgraph: RiskGraph
    truncated: bool = False


def related_parties(store: GraphStore, params: RelatedPartyParams) -> RelatedPartyResult:
    """List the companies related to one company and say what ties each (关联方识别).

    Related-party lending and guarantees hide risk between companies that look independent;
    the same controller, officers or contact details give them away.
    """
    owners = ultimate_controllers(store, UltimateControllerParams(
        company_id=params.company_id, max_depth=params.max_depth, threshold=params.threshold))
    builder = SubgraphBuilder(store.ontology)
    builder.add_graph(owners.subgraph)
    company = owners.company
    rows: list[RelatedPartyRow] = []
    for row in store.read(_RELATED, company_id=params.company_id, limit=params.limit):
        other = builder.node(row["other"])
        via = builder.node(row["via"]) if row["via"] else None
        if via is not None:
            builder.edge({"type": row["rel"], "source": via.id, "target": company.id})
            builder.edge({"type": row["rel"], "source": via.id, "target": other.id})
        link = Link(row["link"])
        rows.append(RelatedPartyRow(other=other, link=link, link_zh=link.label_zh, via=via,
                                    value=row["value"]))
    for owner in owners.rows:
        for holding in effective_holdings(store, owner.holder.id, params.max_depth,
                                          params.threshold):
            if holding.company.id == company.id or holding.company.label not in ("Company",
                                                                                 "Bank"):
                continue
            builder.party(holding.company)
            rows.append(RelatedPartyRow(other=holding.company, link=Link.ULTIMATE_HOLDER,
                                        link_zh=Link.ULTIMATE_HOLDER.label_zh,
                                        via=owner.holder))
    ties: dict[str, int] = {}
    for tie in rows:
        ties[tie.other.id] = ties.get(tie.other.id, 0) + 1
    rows.sort(key=lambda r: (-ties[r.other.id], r.other.id, r.link.value))
    truncated = len(rows) > params.limit
    log.debug("related parties of %s: %d ties to %d companies", company.id, len(rows), len(ties))
    return RelatedPartyResult(company=company, rows=rows[: params.limit],
                              subgraph=builder.build(truncated), truncated=truncated)
