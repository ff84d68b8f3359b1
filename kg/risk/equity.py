"""Equity penetration: who ultimately holds and controls a company, and what a holder reaches.

Effective ratios multiply the ``ratio`` of each HOLDS_SHARES edge along a path and add up over
the paths between the same two nodes. Paths never visit a node twice, so a circular
shareholding is walked once around and not forever.
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel

from kg.errors import NotFoundError
from kg.ontology import Ontology
from kg.risk.cycles import Cycle, CycleParams, find_cycles
from kg.risk.graph import (
    PATH_NODES,
    PATH_RELS,
    Party,
    RiskGraph,
    SubgraphBuilder,
    node_map,
    party_of,
)
from kg.risk.params import Depth, EntityId, Ratio, RiskParams
from kg.store import GraphStore

log = logging.getLogger(__name__)

MAX_PATHS = 5000

_RATIO = "reduce(x = 1.0, r IN relationships(path) | x * coalesce(r.ratio, 0.0)) AS ratio"
_UPWARD = (
    "MATCH (c:Company {id: $company_id}) "
    "CALL apoc.path.expandConfig(c, {relationshipFilter: '<HOLDS_SHARES', minLevel: 1, "
    "maxLevel: $max_depth, uniqueness: 'NODE_PATH'}) YIELD path "
    "WITH path, last(nodes(path)) AS top "
    "WHERE top:Person OR NOT EXISTS { MATCH ()-[:HOLDS_SHARES]->(top) } "
    f"RETURN {PATH_NODES} AS nodes, {PATH_RELS} AS rels, {_RATIO} LIMIT $max_paths"
)
_DECLARED = (
    "MATCH (c:Company {id: $company_id}) "
    "OPTIONAL MATCH (x)-[r:CONTROLS]->(c) "
    f"RETURN {node_map('c')} AS company, "
    f"CASE WHEN x IS NULL THEN null ELSE {node_map('x')} END AS controller, "
    "CASE WHEN r IS NULL THEN null ELSE properties(r) END AS props"
)
_DOWNWARD = (
    "MATCH (h {id: $holder_id}) WHERE h:Person OR h:Company OR h:Fund "
    "CALL apoc.path.expandConfig(h, {relationshipFilter: 'HOLDS_SHARES>', minLevel: 1, "
    "maxLevel: $max_depth, uniqueness: 'NODE_PATH'}) YIELD path "
    f"RETURN {PATH_NODES} AS nodes, {PATH_RELS} AS rels, {_RATIO} LIMIT $max_paths"
)


class UltimateControllerParams(RiskParams):
    """Who holds at least ``threshold`` of ``company_id`` in effect, walking ``max_depth`` up."""

    company_id: EntityId
    max_depth: Depth = 6
    threshold: Ratio = 0.25


class UltimateHolderRow(BaseModel):
    """An ultimate holder: its effective ratio summed over every path, and how it is reached."""

    holder: Party
    effective_ratio: float
    paths: int
    min_depth: int
    declared_controller: bool


class UltimateControllerResult(BaseModel):
    """Ultimate holders above the threshold (largest first) and the declared controllers."""

    company: Party
    rows: list[UltimateHolderRow]
    declared_controllers: list[Party]
    subgraph: RiskGraph
    truncated: bool = False


class _Stake:
    """Effective stake of one holder, accumulated over paths."""

    def __init__(self, holder: Party) -> None:
        self.holder = holder
        self.ratio = 0.0
        self.paths: list[tuple[list[dict[str, Any]], list[dict[str, Any]]]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.ratio += float(row["ratio"])
        self.paths.append((row["nodes"], row["rels"]))


def _stakes(rows: list[dict[str, Any]], ontology: Ontology) -> dict[str, _Stake]:
    """Group path rows by the far end of each path, adding up their ratios."""
    stakes: dict[str, _Stake] = {}
    for row in rows:
        payload = row["nodes"][-1]
        key = str(payload["props"].get("id", ""))
        if key not in stakes:
            stakes[key] = _Stake(party_of(ontology, payload))
        stakes[key].add(row)
    return stakes


def ultimate_controllers(
    store: GraphStore, params: UltimateControllerParams
) -> UltimateControllerResult:
    """Penetrate the shareholding of a company up to its ultimate holders (穿透式股权识别).

    Regulators ask who really stands behind a company; a 40 % stake of a 70 % holder is 28 %
    in effect. A holder is ultimate when it is a person or nobody holds it; the effective
    ratios of every simple path up to ``max_depth`` add up, and holders below ``threshold``
    are left out. Declared CONTROLS edges come beside them, since control need not follow
    shares.
    """
    declared = store.read(_DECLARED, company_id=params.company_id)
    if not declared:
        raise NotFoundError(f"no company with id {params.company_id!r}")
    builder = SubgraphBuilder(store.ontology)
    company = builder.node(declared[0]["company"])
    controllers: list[Party] = []
    for row in declared:
        if row["controller"] is not None:
            controllers.append(builder.node(row["controller"]))
            builder.edge({"type": "CONTROLS", "source": controllers[-1].id,
                          "target": company.id, "props": row["props"]})
    rows = store.read(_UPWARD, company_id=params.company_id, max_depth=params.max_depth,
                      max_paths=MAX_PATHS)
    kept = [s for s in _stakes(rows, store.ontology).values() if s.ratio >= params.threshold - 1e-9]
    kept.sort(key=lambda s: (-s.ratio, s.holder.id))
    declared_ids = {c.id for c in controllers}
    result_rows = []
    for stake in kept:
        for nodes, rels in stake.paths:
            builder.path(nodes, rels)
        result_rows.append(UltimateHolderRow(
            holder=stake.holder, effective_ratio=round(stake.ratio, 6), paths=len(stake.paths),
            min_depth=min(len(rels) for _, rels in stake.paths),
            declared_controller=stake.holder.id in declared_ids))
    truncated = len(rows) >= MAX_PATHS
    log.debug("ultimate controllers of %s: %d paths, %d kept", company.id, len(rows), len(kept))
    return UltimateControllerResult(company=company, rows=result_rows,
                                    declared_controllers=controllers,
                                    subgraph=builder.build(truncated), truncated=truncated)


class HoldingRow(BaseModel):
    """A company a holder reaches downward, with the effective ratio it holds in it."""

    company: Party
    effective_ratio: float
    min_depth: int


def effective_holdings(
    store: GraphStore, holder_id: str, max_depth: int, threshold: float
) -> list[HoldingRow]:
    """The companies ``holder_id`` holds at least ``threshold`` of in effect, largest first.

    The downward mirror of :func:`ultimate_controllers`, used to find companies that share an
    ultimate holder with another one.
    """
    rows = store.read(_DOWNWARD, holder_id=holder_id, max_depth=max_depth, max_paths=MAX_PATHS)
    holdings = [
        HoldingRow(company=stake.holder, effective_ratio=round(stake.ratio, 6),
                   min_depth=min(len(rels) for _, rels in stake.paths))
        for stake in _stakes(rows, store.ontology).values()
        if stake.ratio >= threshold - 1e-9
    ]
    return sorted(holdings, key=lambda h: (-h.effective_ratio, h.company.id))



class CircularShareholdingParams(CycleParams):
    """Cycles of HOLDS_SHARES (circular shareholdings)."""


class ShareholdingCycleRow(Cycle):
    """A circular shareholding; ``values`` are the ratios, ``loop_ratio`` their product."""

    length: int
    loop_ratio: float


class CircularShareholdingResult(BaseModel):
    """Every circular shareholding found, each once, shortest first."""

    rows: list[ShareholdingCycleRow]
    subgraph: RiskGraph
    truncated: bool = False


def circular_shareholding(
    store: GraphStore, params: CircularShareholdingParams
) -> CircularShareholdingResult:
    """Find circular shareholdings (交叉持股/循环持股): A holds B holds … holds A.

    Such loops inflate registered capital and hide who controls the members; ``loop_ratio``
    is the share a member holds of itself once around the loop.
    """
    cycles, graph, truncated = find_cycles(
        store, "HOLDS_SHARES", "ratio", max_len=params.max_len, limit=params.limit,
        through=params.company_id)
    rows = []
    for cycle in cycles:
        loop = 1.0
        for value in cycle.values:
            loop *= value or 0.0
        rows.append(ShareholdingCycleRow(members=cycle.members, values=cycle.values,
                                         length=len(cycle.members), loop_ratio=round(loop, 6)))
    return CircularShareholdingResult(rows=rows, subgraph=graph, truncated=truncated)
