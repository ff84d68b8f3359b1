"""Draws a subgraph as an SVG picture for the browser (no business logic, no fonts on the server).

A neighbourhood is a star, so its layout is radial: the centre in the middle and its
neighbours on one or two rings, grouped by relationship type so that related nodes sit
together. A risk subgraph (circles, chains, holdings) has no centre, so it is laid out by
forces (:func:`force_positions`), which the PDF report reuses for its own drawing. Text is
left to the browser, which renders Chinese with its own fonts.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import networkx as nx

from kg.queries import GraphEdge, GraphNode, Subgraph
from kg.risk.graph import RiskGraph

WIDTH, HEIGHT = 900, 640
RING_SIZE = 18
_PALETTE = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
]


def label_colour(label: str, labels: list[str]) -> str:
    """The colour a class is drawn in, by its place among the picture's classes."""
    return _PALETTE[labels.index(label) % len(_PALETTE)]


def _short(text: str, limit: int = 12) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _radial_positions(graph: Subgraph) -> dict[str, tuple[float, float]]:
    """The centre in the middle, neighbours on rings ordered by relationship type and class."""
    cx, cy = WIDTH / 2, HEIGHT / 2
    kind: dict[str, tuple[str, str]] = {}
    labels = {n.id: n.label for n in graph.nodes}
    for edge in graph.edges:
        other = edge.target if edge.source == graph.center.id else edge.source
        kind.setdefault(other, (edge.type, labels.get(other, "")))
    others = sorted(kind, key=lambda node_id: (*kind[node_id], node_id))
    pos = {graph.center.id: (cx, cy)}
    outer = HEIGHT / 2 - 50
    if len(others) <= RING_SIZE:
        rings = [(others, outer)]
    else:
        split = len(others) * 2 // 5
        rings = [(others[:split], outer * 0.58), (others[split:], outer)]
    for depth, (ring, radius) in enumerate(rings):
        offset = depth * math.pi / max(len(ring), 1)
        for index, node_id in enumerate(ring):
            angle = 2 * math.pi * index / len(ring) - math.pi / 2 + offset
            pos[node_id] = (cx + radius * 1.3 * math.cos(angle), cy + radius * math.sin(angle))
    return pos


def render_svg(graph: Subgraph) -> str:
    """The subgraph as a standalone SVG element: coloured nodes by class, labelled edges."""
    return _svg(graph.nodes, graph.edges, _radial_positions(graph), {graph.center.id})


def force_positions(graph: RiskGraph, width: float = WIDTH, height: float = HEIGHT,
                    margin: float = 60.0) -> dict[str, tuple[float, float]]:
    """Positions of a centreless subgraph in a ``width`` × ``height`` box, by a seeded force
    layout, so the same graph is always drawn the same way."""
    net: nx.Graph[str] = nx.Graph()
    net.add_nodes_from(n.id for n in graph.nodes)
    net.add_edges_from((e.source, e.target) for e in graph.edges)
    if len(net) == 1:
        return {graph.nodes[0].id: (width / 2, height / 2)}
    raw = nx.spring_layout(net, seed=7) if len(net) else {}
    xs = [float(x) for x, _ in raw.values()] or [0.0]
    ys = [float(y) for _, y in raw.values()] or [0.0]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    return {
        node: (margin + (float(x) - min(xs)) / span_x * (width - 2 * margin),
               margin + (float(y) - min(ys)) / span_y * (height - 2 * margin))
        for node, (x, y) in raw.items()
    }


def render_risk_svg(graph: RiskGraph, emphasised: Sequence[str] = ()) -> str:
    """A risk query's subgraph as a standalone SVG element; ``emphasised`` nodes (the report's
    subject) are drawn larger and outlined."""
    return _svg(graph.nodes, graph.edges, force_positions(graph), set(emphasised))


def _svg(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge],
         pos: dict[str, tuple[float, float]], emphasised: set[str]) -> str:
    def place(node_id: str) -> tuple[float, float]:
        return pos.get(node_id, (WIDTH / 2, HEIGHT / 2))

    labels = sorted({n.label for n in nodes})
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kg-graph" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" style="max-width:{WIDTH}px;background:#fbfbfd;border-radius:8px">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="24" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#888"/></marker></defs>',
    ]
    for edge in edges:
        (x1, y1), (x2, y2) = place(edge.source), place(edge.target)
        parts.append(
            f'<g class="kg-edge" data-type="{html.escape(edge.type)}">'
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#999" '
            f'stroke-width="1.4" marker-end="url(#arrow)"/>'
            f'<text x="{x1 + (x2 - x1) * 0.6:.1f}" y="{y1 + (y2 - y1) * 0.6 - 3:.1f}" '
            f'font-size="11" fill="#666" text-anchor="middle">'
            f"{html.escape(edge.label_zh)}</text></g>"
        )
    for node in nodes:
        x, y = place(node.id)
        is_center = node.id in emphasised
        colour = label_colour(node.label, labels)
        radius = 20 if is_center else 14
        parts.append(
            f'<g class="kg-node" data-id="{html.escape(node.id)}" '
            f'data-label="{html.escape(node.label)}"><title>{html.escape(node.label_zh)}：'
            f"{html.escape(node.name)}（{html.escape(node.id)}）</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}" '
            f'stroke="{"#222" if is_center else "#fff"}" stroke-width="2"/>'
            f'<text x="{x:.1f}" y="{y + radius + 14:.1f}" font-size="12" text-anchor="middle" '
            f'fill="#222">{html.escape(_short(node.name))}</text></g>'
        )
    legend_y = 18
    for label in labels:
        zh = next(n.label_zh for n in nodes if n.label == label)
        parts.append(
            f'<circle cx="16" cy="{legend_y}" r="6" fill="{label_colour(label, labels)}"/>'
            f'<text x="28" y="{legend_y + 4}" font-size="12" fill="#333">{html.escape(zh)}</text>'
        )
        legend_y += 18
    parts.append("</svg>")
    return "".join(parts)
