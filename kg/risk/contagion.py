"""Risk contagion (风险传导): who is exposed when a risk event strikes or a company fails.

From the entities a RiskEvent INVOLVES (or from one entity), the walk follows shareholding,
guarantees, control, legal representation, investment and fund management in either
direction, up to ``max_hops``. Each hop multiplies the weight by ``decay`` and by the edge's
own strength: its share ``ratio``, or its ``amount`` squashed to 0..1 by
``amount / (amount + amount_scale)``; edges without either pass the decay alone. An entity's
weight is that of its strongest path.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from kg.errors import NotFoundError
from kg.risk.graph import PATH_NODES, PATH_RELS, Party, RiskGraph, SubgraphBuilder, node_map
from kg.risk.params import EntityId, RiskParams, RowLimit
from kg.store import GraphStore

MAX_PATHS = 20000
ContagionRel = Literal["HOLDS_SHARES", "GUARANTEES", "CONTROLS", "IS_LEGAL_REP", "INVESTS_IN",
                       "MANAGES"]
CONTAGION_RELS: tuple[ContagionRel, ...] = ("HOLDS_SHARES", "GUARANTEES", "CONTROLS",
                                            "IS_LEGAL_REP", "INVESTS_IN", "MANAGES")

_SOURCES = (
    "OPTIONAL MATCH (e:RiskEvent {id: $source_id}) "
    "OPTIONAL MATCH (e)-[:INVOLVES]->(i) "
    "OPTIONAL MATCH (n {id: $source_id}) WHERE e IS NULL "
    "AND (n:Company OR n:Person OR n:Fund OR n:Product) "
    "WITH e, coalesce(i, n) AS s WHERE s IS NOT NULL "
    f"RETURN CASE WHEN e IS NULL THEN null ELSE {node_map('e')} END AS event, "
    f"{node_map('s')} AS source"
)
_SPREAD = (
    "MATCH (s) WHERE s.id IN $source_ids AND (s:Company OR s:Person OR s:Fund OR s:Product) "
    "WITH collect(s) AS sources "
    "CALL apoc.path.expandConfig(sources, {relationshipFilter: $rel_filter, minLevel: 1, "
    "maxLevel: $max_hops, uniqueness: 'NODE_PATH', limit: $max_paths}) YIELD path "
    "WITH sources, path, last(nodes(path)) AS x WHERE NOT x IN sources "
    "WITH x, path, reduce(w = 1.0, r IN relationships(path) | w * $decay * CASE "
    "WHEN r.ratio IS NOT NULL THEN toFloat(r.ratio) "
    "WHEN r.amount IS NOT NULL THEN toFloat(r.amount) / (toFloat(r.amount) + $amount_scale) "
    "ELSE 1.0 END) AS weight "
    "ORDER BY weight DESC "
    "WITH x, head(collect(path)) AS path, max(weight) AS weight, count(*) AS paths "
    f"RETURN {PATH_NODES} AS nodes, {PATH_RELS} AS rels, weight, paths "
    "ORDER BY weight DESC, x.id LIMIT $limit"
)


class ContagionParams(RiskParams):
    """Spread from RiskEvent or entity ``source_id`` over ``max_hops`` hops."""

    source_id: EntityId
    max_hops: Annotated[int, Field(ge=1, le=5, description="最多传导几跳")] = 3
    decay: Annotated[float, Field(gt=0.0, le=1.0, description="每跳的衰减系数")] = 0.5
    amount_scale: Annotated[float, Field(gt=0.0, le=1e9, description="金额折算基准（万元）")] = (
        1000.0)
    relations: Annotated[tuple[ContagionRel, ...], Field(
        min_length=1, description="沿哪些关系传导（默认全部）")] = CONTAGION_RELS
    limit: RowLimit = 200


class ExposureRow(BaseModel):
    """An exposed entity: its weight, hops on its strongest path, and that path."""

    entity: Party
    weight: float
    hops: int
    paths: int
    path: list[Party]
    relations: list[str]


class ContagionResult(BaseModel):
    """The event (if the source is one), the entities it starts from, the exposed ones."""

    event: Party | None
    sources: list[Party]
    rows: list[ExposureRow]
    subgraph: RiskGraph
    truncated: bool = False


def contagion(store: GraphStore, params: ContagionParams) -> ContagionResult:
    """Rank the entities a risk can reach from an event or an entity (风险传导分析).

    A failing company drags down its guarantors, holders and the companies its controller
    runs; the regulator wants the most exposed first, so rows are sorted by weight.
    """
    found = store.read(_SOURCES, source_id=params.source_id)
    if not found:
        raise NotFoundError(f"no risk event or entity with id {params.source_id!r}")
    builder = SubgraphBuilder(store.ontology)
    event = builder.node(found[0]["event"]) if found[0]["event"] else None
    sources = [builder.node(row["source"]) for row in found]
    if event is not None:
        for source in sources:
            builder.edge({"type": "INVOLVES", "source": event.id, "target": source.id})
    rows = store.read(
        _SPREAD, source_ids=[s.id for s in sources],
        rel_filter="|".join(dict.fromkeys(params.relations)),
        max_hops=params.max_hops, max_paths=MAX_PATHS, decay=params.decay,
        amount_scale=params.amount_scale, limit=params.limit)
    exposures = []
    for row in rows:
        path = builder.path(row["nodes"], row["rels"])
        exposures.append(ExposureRow(
            entity=path[-1], weight=round(float(row["weight"]), 6), hops=len(row["rels"]),
            paths=int(row["paths"]), path=path, relations=[r["type"] for r in row["rels"]]))
    truncated = len(rows) >= params.limit or sum(r.paths for r in exposures) >= MAX_PATHS
    return ContagionResult(event=event, sources=sources, rows=exposures,
                           subgraph=builder.build(truncated), truncated=truncated)
