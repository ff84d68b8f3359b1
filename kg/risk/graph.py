"""What every risk query returns besides its rows: the subgraph to draw, and the parties in rows.

The node and edge models are those of :mod:`kg.queries`; a risk subgraph has no single centre
(a guarantee circle has none), so it is a plain list of nodes and edges.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from kg.ontology import Ontology
from kg.queries import GraphEdge, GraphNode, _graph_node

# Cypher fragments that turn the path bound to ``path`` into plain maps the builder reads.
PATH_NODES = "[n IN nodes(path) | {labels: labels(n), props: properties(n)}]"
PATH_RELS = (
    "[r IN relationships(path) | {type: type(r), source: startNode(r).id, "
    "target: endNode(r).id, props: properties(r)}]"
)
NODE_MAP = "{labels: labels(%s), props: properties(%s)}"

MAX_DRAWN_NODES = 400


def node_map(var: str) -> str:
    """The Cypher map of node variable ``var`` that :meth:`SubgraphBuilder.node` reads."""
    return NODE_MAP % (var, var)


class Party(BaseModel):
    """A company, person, fund or product named in a row."""

    id: str
    name: str
    label: str
    label_zh: str


def party_of(ontology: Ontology, payload: dict[str, Any]) -> Party:
    """The party of a ``{labels, props}`` node map, named as the graph view names it."""
    drawn = _graph_node(ontology, payload["labels"], payload["props"])
    return Party(id=drawn.id, name=drawn.name or drawn.id, label=drawn.label,
                 label_zh=drawn.label_zh)


class RiskGraph(BaseModel):
    """The nodes and edges behind a query's rows, for the graph view."""

    nodes: list[GraphNode] = Field(default_factory=list)
    edges: list[GraphEdge] = Field(default_factory=list)
    truncated: bool = False


class SubgraphBuilder:
    """Collects nodes and edges from query rows once each, up to a drawing limit."""

    def __init__(self, ontology: Ontology, max_nodes: int = MAX_DRAWN_NODES) -> None:
        self.ontology = ontology
        self.max_nodes = max_nodes
        self._nodes: dict[str, GraphNode] = {}
        self._edges: dict[tuple[str, str, str], GraphEdge] = {}
        self._truncated = False

    def node(self, payload: dict[str, Any]) -> Party:
        """Add the node of a ``{labels, props}`` map (when there is room) and return its party."""
        drawn = _graph_node(self.ontology, payload["labels"], payload["props"])
        if drawn.id not in self._nodes:
            if len(self._nodes) < self.max_nodes:
                self._nodes[drawn.id] = drawn
            else:
                self._truncated = True
        return Party(id=drawn.id, name=drawn.name or drawn.id, label=drawn.label,
                     label_zh=drawn.label_zh)

    def party(self, party: Party) -> None:
        """Draw a party known only by its row (no properties), unless it is drawn already."""
        if party.id not in self._nodes:
            self.node({"labels": [party.label], "props": {"id": party.id, "name": party.name}})

    def add_graph(self, graph: RiskGraph) -> None:
        """Add the nodes and edges of another query's subgraph."""
        for node in graph.nodes:
            self._nodes.setdefault(node.id, node)
        for edge in graph.edges:
            self._edges.setdefault((edge.source, edge.target, edge.type), edge)

    def edge(self, payload: dict[str, Any]) -> None:
        """Add a ``{type, source, target, props}`` relationship map, once per (ends, type)."""
        key = (str(payload["source"]), str(payload["target"]), str(payload["type"]))
        if key in self._edges:
            return
        rel = self.ontology.relationships.get(key[2])
        self._edges[key] = GraphEdge(
            source=key[0],
            target=key[1],
            type=key[2],
            label_zh=rel.label_zh if rel else key[2],
            properties=payload.get("props") or {},
        )

    def path(self, nodes: list[dict[str, Any]], rels: list[dict[str, Any]]) -> list[Party]:
        """Add a path's nodes and relationships; returns its parties in path order."""
        parties = [self.node(payload) for payload in nodes]
        for payload in rels:
            self.edge(payload)
        return parties

    def build(self, truncated: bool = False) -> RiskGraph:
        """The collected subgraph; edges whose ends were not drawn are left out."""
        edges = [e for e in self._edges.values()
                 if e.source in self._nodes and e.target in self._nodes]
        return RiskGraph(nodes=list(self._nodes.values()), edges=edges,
                         truncated=truncated or self._truncated or len(edges) < len(self._edges))
