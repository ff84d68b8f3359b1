"""The Neo4j schema derived from the ontology: uniqueness constraints, full-text and vector indexes.

Nothing here is written by hand per label: every statement comes from ``ontology.ttl``, so a
class or property added there gets its constraint or index on the next ``apply_schema``.
The one exception is :data:`LOOKUP_INDEXES`, plain range indexes the risk queries need for
equality lookups; each is checked against the ontology and skipped if it lacks the property.
"""

from __future__ import annotations

from collections import defaultdict

from pydantic import BaseModel

from kg.ontology import Ontology

FULLTEXT_ANALYZER = "cjk"

# Equality lookups the risk queries make on properties that are not keys: related parties
# match companies on the same registered address or phone, a label scan at registry scale.
LOOKUP_INDEXES: dict[str, tuple[str, ...]] = {"Company": ("address", "phone")}


class SchemaStatement(BaseModel):
    """One schema object: its name, kind and the idempotent Cypher that creates it."""

    name: str
    kind: str  # "constraint" | "fulltext" | "vector" | "range"
    cypher: str


def _quote(name: str) -> str:
    return f"`{name}`"


def constraint_statements(ontology: Ontology) -> list[SchemaStatement]:
    """A uniqueness constraint on the key of each hierarchy's topmost labelled class."""
    out = []
    for label in ontology.key_labels():
        key = ontology.key_of(label)
        name = f"{label.lower()}_{key}_unique"
        out.append(
            SchemaStatement(
                name=name,
                kind="constraint",
                cypher=(
                    f"CREATE CONSTRAINT {name} IF NOT EXISTS FOR (n:{_quote(label)}) "
                    f"REQUIRE n.{_quote(key)} IS UNIQUE"
                ),
            )
        )
    return out


def fulltext_statements(ontology: Ontology) -> list[SchemaStatement]:
    """One full-text index (CJK analyzer) per ``ca:fulltextIndex`` name, over its properties."""
    props_by_index: dict[str, list[str]] = defaultdict(list)
    labels_by_index: dict[str, set[str]] = defaultdict(set)
    for prop in ontology.properties.values():
        if prop.fulltext_index:
            props_by_index[prop.fulltext_index].append(prop.name)
            labels_by_index[prop.fulltext_index].update(ontology.labels_with(prop))
    out = []
    for name in sorted(props_by_index):
        labels = "|".join(_quote(label) for label in sorted(labels_by_index[name]))
        props = ", ".join(f"n.{_quote(p)}" for p in sorted(props_by_index[name]))
        out.append(
            SchemaStatement(
                name=name,
                kind="fulltext",
                cypher=(
                    f"CREATE FULLTEXT INDEX {name} IF NOT EXISTS FOR (n:{labels}) "
                    f"ON EACH [{props}] "
                    f"OPTIONS {{indexConfig: {{`fulltext.analyzer`: '{FULLTEXT_ANALYZER}'}}}}"
                ),
            )
        )
    return out


def vector_statements(ontology: Ontology) -> list[SchemaStatement]:
    """One vector index per property that declares ``ca:vectorDimensions``."""
    out = []
    for prop in sorted(ontology.properties.values(), key=lambda p: p.name):
        if not prop.vector_dimensions:
            continue
        for label in ontology.labels_with(prop):
            name = f"{label.lower()}_{prop.name}_vector"
            similarity = prop.vector_similarity or "cosine"
            out.append(
                SchemaStatement(
                    name=name,
                    kind="vector",
                    cypher=(
                        f"CREATE VECTOR INDEX {name} IF NOT EXISTS FOR (n:{_quote(label)}) "
                        f"ON n.{_quote(prop.name)} OPTIONS {{indexConfig: {{"
                        f"`vector.dimensions`: {prop.vector_dimensions}, "
                        f"`vector.similarity_function`: '{similarity}'}}}}"
                    ),
                )
            )
    return out


def lookup_statements(ontology: Ontology) -> list[SchemaStatement]:
    """A range index per :data:`LOOKUP_INDEXES` property the ontology gives that label."""
    out = []
    for label, props in sorted(LOOKUP_INDEXES.items()):
        allowed = ontology.node_properties(label)
        for prop in props:
            if prop not in allowed:
                continue
            name = f"{label.lower()}_{prop}_lookup"
            out.append(
                SchemaStatement(
                    name=name,
                    kind="range",
                    cypher=(
                        f"CREATE INDEX {name} IF NOT EXISTS FOR (n:{_quote(label)}) "
                        f"ON (n.{_quote(prop)})"
                    ),
                )
            )
    return out


def edge_key_statements(ontology: Ontology) -> list[SchemaStatement]:
    """A range index on each relationship type's key (a transfer's 交易流水号), which loads
    merge on and regulators look transfers up by."""
    out = []
    for rel in sorted(ontology.relationships.values(), key=lambda r: r.name):
        if not rel.edge_key:
            continue
        name = f"{rel.name.lower()}_{rel.edge_key}_lookup"
        out.append(
            SchemaStatement(
                name=name,
                kind="range",
                cypher=(
                    f"CREATE INDEX {name} IF NOT EXISTS FOR ()-[r:{_quote(rel.name)}]-() "
                    f"ON (r.{_quote(rel.edge_key)})"
                ),
            )
        )
    return out


def schema_statements(ontology: Ontology) -> list[SchemaStatement]:
    """Every schema object the ontology asks for, constraints first."""
    return (
        constraint_statements(ontology)
        + fulltext_statements(ontology)
        + vector_statements(ontology)
        + lookup_statements(ontology)
        + edge_key_statements(ontology)
    )
