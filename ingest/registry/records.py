"""Validated registry rows turned into the graph's records, with their provenance.

Labels, properties and relationship types are those of the demo city's finance graph, so the
risk queries of :mod:`kg.risk` read a loaded registry as they read the demo. Each record
carries ``source`` = ``file:line`` wherever the ontology declares that property for its class
or relationship type (today: RiskEvent).
"""

from __future__ import annotations

from typing import Any

from ingest.registry.rows import EdgeRow, NodeRow
from ingest.registry.sources import RawRow
from kg.ontology import Ontology
from kg.records import NodeRecord, NodeRef, RelRecord


class RecordMaker:
    """Builds node and relationship records; knows every id's label from the first pass."""

    def __init__(self, ontology: Ontology, labels: dict[str, str]) -> None:
        self.ontology = ontology
        self.labels = labels
        self._provenance: dict[str, bool] = {}

    def _with_source(self, name: str, props: dict[str, Any], raw: RawRow,
                     is_rel: bool) -> dict[str, Any]:
        if name not in self._provenance:
            allowed = (self.ontology.rel_properties(name) if is_rel
                       else self.ontology.node_properties(name))
            self._provenance[name] = "source" in allowed
        return {**props, "source": raw.source} if self._provenance[name] else props

    def ref(self, node_id: str) -> NodeRef:
        """A reference to a node of the registry by its id."""
        return NodeRef(label=self.labels[node_id], key=node_id)

    def rel(self, rel_type: str, start: str, end: str, props: dict[str, Any],
            raw: RawRow) -> RelRecord:
        """A relationship record between two registry ids."""
        return RelRecord(type=rel_type, start=self.ref(start), end=self.ref(end),
                         properties=self._with_source(rel_type, props, raw, is_rel=True))

    def node(self, row: NodeRow, raw: RawRow) -> tuple[NodeRecord, list[RelRecord]]:
        """The node of a node row and the relationships it implies (ISSUES, INVOLVES)."""
        node = NodeRecord(label=row.label,
                          properties=self._with_source(row.label, row.properties(), raw,
                                                       is_rel=False))
        return node, [self.rel(t, s, e, {}, raw) for t, s, e in row.links()]

    def edge(self, row: EdgeRow, raw: RawRow) -> RelRecord:
        """The relationship of an edge row."""
        return self.rel(row.rel_type, row.start, row.end, row.properties(), raw)
