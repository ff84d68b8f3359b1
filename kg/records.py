"""Typed records that cross into the graph: nodes, relationships and bundles of both.

Readers in ``ingest`` and extractors in ``nlu`` produce these; the GraphStore validates
them against the ontology and writes them. Keeping one record shape for every source means
one write path and one set of checks.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class NodeRef(BaseModel):
    """Points at one node by its label and key value."""

    model_config = ConfigDict(frozen=True)

    label: str = Field(min_length=1)
    key: str = Field(min_length=1)


class NodeRecord(BaseModel):
    """One node to upsert: its most specific label and its properties (key included)."""

    label: str = Field(min_length=1)
    properties: dict[str, Any]


class RelRecord(BaseModel):
    """One relationship to upsert between two nodes that exist or are in the same bundle."""

    type: str = Field(min_length=1)
    start: NodeRef
    end: NodeRef
    properties: dict[str, Any] = Field(default_factory=dict)


class GraphBundle(BaseModel):
    """A set of nodes and relationships that belong together, e.g. one domain of the demo city."""

    nodes: list[NodeRecord] = Field(default_factory=list)
    relationships: list[RelRecord] = Field(default_factory=list)

    def extend(self, other: GraphBundle) -> GraphBundle:
        """Append another bundle's records to this one and return self, for chaining."""
        self.nodes.extend(other.nodes)
        self.relationships.extend(other.relationships)
        return self

    def node(self, label: str, **properties: Any) -> NodeRef:
        """Add a node and return a reference to it (its key must be among the properties)."""
        self.nodes.append(NodeRecord(label=label, properties=properties))
        return NodeRef(label=label, key=str(properties["id"]))

    def rel(self, rel_type: str, start: NodeRef, end: NodeRef, **properties: Any) -> None:
        """Add a relationship between two references."""
        self.relationships.append(
            RelRecord(type=rel_type, start=start, end=end, properties=properties)
        )
