"""Named, parameterised read queries over the graph that the service and the bots share.

Each query takes validated parameters and returns typed rows, so callers never build Cypher
from user text: labels are checked against the ontology and values go in as parameters.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from kg.ontology import Ontology
from kg.store import GraphStore

_LUCENE_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/]|&&|\|\|)')
_DISPLAY_PROPS = ("name", "question", "summary", "id")


class EntityHit(BaseModel):
    """An entity found by name, with its most specific label and the Chinese class name."""

    id: str
    name: str
    label: str
    label_zh: str
    score: float


class GraphNode(BaseModel):
    """A node to draw: key, display name, label and properties."""

    id: str
    name: str
    label: str
    label_zh: str
    properties: dict[str, Any] = Field(default_factory=dict)


class GraphEdge(BaseModel):
    """A relationship to draw between two node ids."""

    source: str
    target: str
    type: str
    label_zh: str
    properties: dict[str, Any] = Field(default_factory=dict)


class Subgraph(BaseModel):
    """A centre node and its neighbourhood."""

    center: GraphNode
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool = False


def _escape_lucene(text: str) -> str:
    return _LUCENE_SPECIAL.sub(r"\\\1", text)


def _display_name(props: dict[str, Any]) -> str:
    for key in _DISPLAY_PROPS:
        if props.get(key):
            return str(props[key])
    return ""


def search_entities(store: GraphStore, text: str, limit: int = 10) -> list[EntityHit]:
    """Entities whose name or alias matches ``text`` (Chinese, partial), best first.

    The full-text index (CJK bigrams) ranks whole-word and multi-character matches; a
    substring scan completes the list for one-character or odd queries the index misses.
    """
    text = text.strip()
    if not text:
        return []
    onto = store.ontology
    rows = store.read(
        "CALL db.index.fulltext.queryNodes('entity_names', $q) YIELD node, score "
        "RETURN labels(node) AS labels, node.id AS id, node.name AS name, score LIMIT $limit",
        q=_escape_lucene(text),
        limit=limit,
    )
    if len(rows) < limit:
        seen = {row["id"] for row in rows}
        more = store.read(
            "MATCH (n) WHERE n.name CONTAINS $q "
            "OR any(a IN coalesce(n.aliases, []) WHERE a CONTAINS $q) "
            "RETURN labels(n) AS labels, n.id AS id, n.name AS name, "
            "CASE WHEN n.name = $q THEN 2.0 ELSE 1.0 END AS score "
            "ORDER BY score DESC, size(n.name) LIMIT $limit",
            q=text,
            limit=limit,
        )
        rows.extend(row for row in more if row["id"] not in seen)
    hits = []
    for row in rows[:limit]:
        label = onto.most_specific(row["labels"])
        hits.append(
            EntityHit(
                id=row["id"],
                name=row["name"] or row["id"],
                label=label,
                label_zh=onto.classes[label].label_zh,
                score=float(row["score"]),
            )
        )
    return hits


def _graph_node(ontology: Ontology, labels: list[str], props: dict[str, Any]) -> GraphNode:
    label = ontology.most_specific(labels)
    hidden = {name for name, prop in ontology.properties.items() if not prop.exported}
    shown = {k: v for k, v in props.items() if k not in hidden}
    return GraphNode(
        id=str(props.get("id", "")),
        name=_display_name(props),
        label=label,
        label_zh=ontology.classes[label].label_zh,
        properties=shown,
    )


def neighbourhood(store: GraphStore, label: str, key: str, limit: int = 40) -> Subgraph | None:
    """A node and up to ``limit`` of its direct neighbours, or None when it does not exist."""
    onto = store.ontology
    onto.check_label(label)
    merge_label = onto.merge_label(label)
    key_prop = onto.key_of(label)
    rows = store.read(
        f"MATCH (n:`{merge_label}` {{`{key_prop}`: $key}}) "
        "OPTIONAL MATCH (n)-[r]-(m) "
        "WITH n, r, m LIMIT $fetch "
        "RETURN labels(n) AS n_labels, properties(n) AS n_props, type(r) AS type, "
        "properties(r) AS r_props, startNode(r) = n AS outgoing, "
        "labels(m) AS m_labels, properties(m) AS m_props",
        key=key,
        fetch=limit + 1,
    )
    if not rows:
        return None
    center = _graph_node(onto, rows[0]["n_labels"], rows[0]["n_props"])
    nodes: dict[str, GraphNode] = {center.id: center}
    edges = []
    for row in rows[:limit]:
        if row["type"] is None:
            continue
        other = _graph_node(onto, row["m_labels"], row["m_props"])
        nodes.setdefault(other.id, other)
        source, target = (center.id, other.id) if row["outgoing"] else (other.id, center.id)
        rel = onto.relationships.get(row["type"])
        edges.append(
            GraphEdge(
                source=source,
                target=target,
                type=row["type"],
                label_zh=rel.label_zh if rel else row["type"],
                properties=row["r_props"] or {},
            )
        )
    return Subgraph(
        center=center, nodes=list(nodes.values()), edges=edges, truncated=len(rows) > limit
    )
