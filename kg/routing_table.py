"""The routing table: 12345 categories with the departments that handle them, from the graph.

Routing a ticket needs, per second-level category, its first-level parent, its keywords and
example questions (the knowledge entries ABOUT it), and the departments that HANDLE it with
the regions each has jurisdiction over. :func:`load_routing_table` reads that from Neo4j;
:func:`routing_table_from_bundle` builds the same from records, for tests and offline use.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel, Field

from kg.errors import ConfigurationError
from kg.records import GraphBundle
from kg.store import GraphStore

HOTLINE_SCHEME = "hotline"


class RoutingDepartment(BaseModel):
    """A department: its names, level (市级/区级/街道 …) and the regions it has jurisdiction
    over."""

    id: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    level: str | None = None
    jurisdiction: list[str] = Field(default_factory=list)


class RoutingCategory(BaseModel):
    """A category of the hotline tree with what routing needs to know about it."""

    id: str
    name: str
    level: str | None = None
    parent_id: str | None = None
    keywords: list[str] = Field(default_factory=list)
    description: str = ""
    examples: list[str] = Field(default_factory=list)
    handled_by: list[str] = Field(default_factory=list)  # lead department first


class RoutingTable(BaseModel):
    """Categories (first and second level) and departments, keyed by id."""

    categories: dict[str, RoutingCategory]
    departments: dict[str, RoutingDepartment]

    def first_level(self) -> list[RoutingCategory]:
        """The first-level categories, by id."""
        return sorted((c for c in self.categories.values() if c.parent_id is None),
                      key=lambda c: c.id)

    def children(self, parent_id: str) -> list[RoutingCategory]:
        """The second-level categories under one first-level category, by id."""
        return sorted((c for c in self.categories.values() if c.parent_id == parent_id),
                      key=lambda c: c.id)


_CATEGORIES = (
    "MATCH (c:Category {scheme: $scheme}) "
    "OPTIONAL MATCH (c)-[:SUBCATEGORY_OF]->(p:Category) "
    "OPTIONAL MATCH (d:Department)-[h:HANDLES]->(c) "
    "WITH c, p, d, h ORDER BY coalesce(h.rank, 999), d.id "
    "WITH c, p, [x IN collect(d.id) WHERE x IS NOT NULL] AS handled_by "
    "OPTIONAL MATCH (k:KnowledgeEntry)-[:ABOUT]->(c) "
    "RETURN c.id AS id, c.name AS name, c.level AS level, p.id AS parent_id, "
    "coalesce(c.keywords, []) AS keywords, coalesce(c.description, '') AS description, "
    "handled_by, [q IN collect(k.question) WHERE q IS NOT NULL] AS examples"
)
_DEPARTMENTS = (
    "MATCH (d:Department) OPTIONAL MATCH (d)-[:JURISDICTION_OVER]->(r:Region) "
    "RETURN d.id AS id, d.name AS name, coalesce(d.aliases, []) AS aliases, d.level AS level, "
    "collect(r.id) AS jurisdiction"
)


def _table(categories: list[dict[str, Any]], departments: list[dict[str, Any]]) -> RoutingTable:
    cats = {}
    for row in categories:
        row["examples"] = sorted(row["examples"])
        cats[row["id"]] = RoutingCategory.model_validate(row)
    depts = {}
    for row in departments:
        row["jurisdiction"] = sorted(row["jurisdiction"])
        depts[row["id"]] = RoutingDepartment.model_validate(row)
    return RoutingTable(
        categories=dict(sorted(cats.items())), departments=dict(sorted(depts.items()))
    )


def load_routing_table(store: GraphStore, scheme: str = HOTLINE_SCHEME) -> RoutingTable:
    """The routing table of one category scheme, read from Neo4j in two queries.

    Tickets cannot be categorised or routed without one, so an empty scheme is an error
    that says what to load rather than a filler that fails on its first call.
    """
    table = _table(store.read(_CATEGORIES, scheme=scheme), store.read(_DEPARTMENTS))
    if not table.categories:
        raise ConfigurationError(
            f"the graph holds no {scheme!r} category tree (Category nodes): load a city first, "
            "e.g. `cityagent demo load`"
        )
    return table


def routing_table_from_bundle(bundle: GraphBundle, scheme: str = HOTLINE_SCHEME) -> RoutingTable:
    """The same table as :func:`load_routing_table`, built from records without a database."""
    nodes = {str(n.properties["id"]): n for n in bundle.nodes}
    parents: dict[str, str] = {}
    handled: dict[str, list[tuple[int, str]]] = defaultdict(list)
    examples: dict[str, list[str]] = defaultdict(list)
    jurisdiction: dict[str, set[str]] = defaultdict(set)
    for rel in bundle.relationships:
        if rel.type == "SUBCATEGORY_OF":
            parents[rel.start.key] = rel.end.key
        elif rel.type == "HANDLES":
            handled[rel.end.key].append((int(rel.properties.get("rank", 999)), rel.start.key))
        elif rel.type == "ABOUT" and rel.start.label == "KnowledgeEntry":
            question = nodes[rel.start.key].properties.get("question")
            if question:
                examples[rel.end.key].append(str(question))
        elif rel.type == "JURISDICTION_OVER":
            jurisdiction[rel.start.key].add(rel.end.key)
    categories = []
    departments = []
    for node_id, node in nodes.items():
        props = node.properties
        if node.label == "Category" and props.get("scheme") == scheme:
            categories.append({
                "id": node_id, "name": props["name"], "level": props.get("level"),
                "parent_id": parents.get(node_id), "keywords": list(props.get("keywords") or []),
                "description": props.get("description") or "",
                "handled_by": [d for _, d in sorted(handled[node_id])],
                "examples": examples[node_id],
            })
        elif node.label == "Department":
            departments.append({
                "id": node_id, "name": props["name"], "level": props.get("level"),
                "aliases": list(props.get("aliases") or []),
                "jurisdiction": list(jurisdiction[node_id]),
            })
    return _table(categories, departments)
