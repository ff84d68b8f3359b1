"""A district's emergency picture as an SVG map: sites by kind, and a dispatch plan's routes.

Coordinates are projected linearly into the picture (a district is a few kilometres across,
so the earth's curve does not matter); text is left to the browser's fonts.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from kg.emergency_sites import Site

WIDTH, HEIGHT, MARGIN = 860, 560, 40
STYLE: dict[str, tuple[str, str]] = {
    "Incident": ("#d62728", "事件"), "WaterGauge": ("#1f77b4", "水尺"),
    "PumpStation": ("#2ca02c", "泵站"), "Vehicle": ("#17becf", "车辆"),
    "Team": ("#ff7f0e", "救援队"), "Shelter": ("#9467bd", "避难场所"),
    "Camera": ("#7f7f7f", "摄像头"),
}


def render_sites_svg(sites: Sequence[Site], routes: Sequence[tuple[str, str]] = ()) -> str:
    """The sites on a map, with a line for each (resource id, incident id) route."""
    if not sites:
        return '<div class="kg-empty">该区域没有可显示的应急要素。</div>'
    lats = [s.lat for s in sites]
    lons = [s.lon for s in sites]
    span_lat = (max(lats) - min(lats)) or 0.01
    span_lon = (max(lons) - min(lons)) or 0.01

    def at(site: Site) -> tuple[float, float]:
        x = MARGIN + (site.lon - min(lons)) / span_lon * (WIDTH - 2 * MARGIN)
        y = HEIGHT - MARGIN - (site.lat - min(lats)) / span_lat * (HEIGHT - 2 * MARGIN)
        return x, y

    where = {s.id: at(s) for s in sites}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'width="100%" style="max-width:{WIDTH}px;background:#f7f9fb;border-radius:8px" '
             'class="emergency-map">']
    for source, target in routes:
        if source in where and target in where:
            (x1, y1), (x2, y2) = where[source], where[target]
            parts.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
                         'stroke="#d62728" stroke-width="1.6" stroke-dasharray="5,3"/>')
    for site in sites:
        x, y = where[site.id]
        colour, zh = STYLE.get(site.label, ("#444", site.label))
        parts.append(f'<g class="site" data-id="{html.escape(site.id)}"><title>{zh}：'
                     f'{html.escape(site.name)}（{html.escape(site.id)}）</title>'
                     f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}" stroke="#fff"/>'
                     f'<text x="{x + 8:.1f}" y="{y + 4:.1f}" font-size="10" fill="#333">'
                     f"{html.escape(site.name[:10])}</text></g>")
    legend_y = 16
    for label in sorted({s.label for s in sites}):
        colour, zh = STYLE.get(label, ("#444", label))
        parts.append(f'<circle cx="14" cy="{legend_y}" r="5" fill="{colour}"/>'
                     f'<text x="24" y="{legend_y + 4}" font-size="11">{zh}</text>')
        legend_y += 16
    parts.append("</svg>")
    return "".join(parts)
