"""Draws a subgraph as an SVG picture for the browser (no business logic, no fonts on the server).

A neighbourhood is a star, so the layout is radial: the centre in the middle and its
neighbours on one or two rings, grouped by relationship type so that related nodes sit
together. Text is left to the browser, which renders Chinese with its own fonts.
"""

from __future__ import annotations

import html
import math

from kg.queries import Subgraph

WIDTH, HEIGHT = 900, 640
RING_SIZE = 18
_PALETTE = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
]


def _colour(label: str, labels: list[str]) -> str:
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
    pos = _radial_positions(graph)

    def place(node_id: str) -> tuple[float, float]:
        return pos.get(node_id, (WIDTH / 2, HEIGHT / 2))

    labels = sorted({n.label for n in graph.nodes})
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kg-graph" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" style="max-width:{WIDTH}px;background:#fbfbfd;border-radius:8px">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="24" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#888"/></marker></defs>',
    ]
    for edge in graph.edges:
        (x1, y1), (x2, y2) = place(edge.source), place(edge.target)
        parts.append(
            f'<g class="kg-edge" data-type="{html.escape(edge.type)}">'
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#999" '
            f'stroke-width="1.4" marker-end="url(#arrow)"/>'
            f'<text x="{x1 + (x2 - x1) * 0.6:.1f}" y="{y1 + (y2 - y1) * 0.6 - 3:.1f}" '
            f'font-size="11" fill="#666" text-anchor="middle">'
            f"{html.escape(edge.label_zh)}</text></g>"
        )
    for node in graph.nodes:
        x, y = place(node.id)
        is_center = node.id == graph.center.id
        radius = 20 if is_center else 14
        parts.append(
            f'<g class="kg-node" data-id="{html.escape(node.id)}" '
            f'data-label="{html.escape(node.label)}"><title>{html.escape(node.label_zh)}：'
            f"{html.escape(node.name)}（{html.escape(node.id)}）</title>"
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{_colour(node.label, labels)}" '
            f'stroke="{"#222" if is_center else "#fff"}" stroke-width="2"/>'
            f'<text x="{x:.1f}" y="{y + radius + 14:.1f}" font-size="12" text-anchor="middle" '
            f'fill="#222">{html.escape(_short(node.name))}</text></g>'
        )
    legend_y = 18
    for label in labels:
        zh = next(n.label_zh for n in graph.nodes if n.label == label)
        parts.append(
            f'<circle cx="16" cy="{legend_y}" r="6" fill="{_colour(label, labels)}"/>'
            f'<text x="28" y="{legend_y + 4}" font-size="12" fill="#333">{html.escape(zh)}</text>'
        )
        legend_y += 18
    parts.append("</svg>")
    return "".join(parts)
