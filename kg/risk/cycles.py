"""Directed cycles of one relationship type (circular shareholding, guarantee circles).

Each cycle is reported once: the query keeps only the rotation that starts at the member with
the smallest id, and since every edge points forward along the cycle that rotation is unique.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

from kg.risk.graph import PATH_NODES, PATH_RELS, Party, RiskGraph, SubgraphBuilder
from kg.risk.params import CycleLength, EntityId, RiskParams, RowLimit
from kg.store import GraphStore

CycleType = Literal["HOLDS_SHARES", "GUARANTEES"]


def _cycle_cypher(rel_type: CycleType) -> str:
    """The cycle query for one relationship type; the type is a code constant, never input."""
    return (
        f"MATCH (a)-[:{rel_type}]->() WITH DISTINCT a "
        f"WHERE EXISTS {{ MATCH ()-[:{rel_type}]->(a) }} "
        f"CALL apoc.path.expandConfig(a, {{relationshipFilter: '{rel_type}>', minLevel: 1, "
        "maxLevel: $max_len - 1, uniqueness: 'NODE_PATH'}) YIELD path "
        "WITH a, path, last(nodes(path)) AS z "
        "WHERE all(n IN nodes(path) WHERE a.id <= n.id) "
        "AND ($through IS NULL OR any(n IN nodes(path) WHERE n.id = $through)) "
        f"MATCH (z)-[back:{rel_type}]->(a) "
        f"RETURN {PATH_NODES} AS nodes, {PATH_RELS} + [{{type: type(back), source: z.id, "
        "target: a.id, props: properties(back)}] AS rels "
        "ORDER BY size(rels), a.id LIMIT $limit"
    )


_QUERIES: dict[CycleType, str] = {
    "HOLDS_SHARES": _cycle_cypher("HOLDS_SHARES"),
    "GUARANTEES": _cycle_cypher("GUARANTEES"),
}


class CycleParams(RiskParams):
    """Cycles of 2..``max_len`` members, optionally only those through ``company_id``."""

    max_len: CycleLength = 6
    company_id: EntityId | None = None
    limit: RowLimit = 50


class Cycle(BaseModel):
    """Members in cycle order (each points to the next, the last to the first) and edge values."""

    members: list[Party]
    values: list[float | None]


def canonical_rotation(ids: list[str]) -> tuple[str, ...]:
    """The rotation of a directed cycle's member ids that starts at the smallest id."""
    if not ids:
        return ()
    start = ids.index(min(ids))
    return tuple(ids[start:] + ids[:start])


def find_cycles(
    store: GraphStore,
    rel_type: CycleType,
    value_prop: str,
    *,
    max_len: int,
    limit: int,
    through: str | None = None,
) -> tuple[list[Cycle], RiskGraph, bool]:
    """Simple directed cycles of ``rel_type`` of length 2..``max_len``, shortest first.

    Returns the cycles (each once, whatever parallel edges the graph holds), the subgraph that
    draws them, and whether ``limit`` cut the list. ``through`` keeps the cycles through one
    node. ``value_prop`` names the edge property reported per edge (ratio, amount).
    """
    rows = store.read(_QUERIES[rel_type], max_len=max_len, limit=limit, through=through)
    builder = SubgraphBuilder(store.ontology)
    seen: set[tuple[str, ...]] = set()
    cycles = []
    for row in rows:
        members = builder.path(row["nodes"], row["rels"])
        key = canonical_rotation([m.id for m in members])
        if key in seen:
            continue
        seen.add(key)
        cycles.append(Cycle(members=members, values=_values(row["rels"], value_prop)))
    truncated = len(rows) >= limit
    return cycles, builder.build(truncated), truncated


def _values(rels: list[dict[str, Any]], prop: str) -> list[float | None]:
    values: list[float | None] = []
    for rel in rels:
        value = (rel.get("props") or {}).get(prop)
        values.append(float(value) if value is not None else None)
    return values

