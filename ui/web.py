"""The Gradio web app mounted on the REST service: one tab per persona, 「知识图谱」 first."""

from __future__ import annotations

import html
import json
from typing import Any, cast

import gradio as gr

from kg.errors import CityAgentError
from kg.queries import EntityHit, neighbourhood, search_entities
from ui.graph_view import render_svg
from ui.services import Services
from ui.web_bank import bank_tab
from ui.web_citizen import citizen_tab
from ui.web_emergency import emergency_tab
from ui.web_hotline import hotline_tab
from ui.web_risk import risk_tab
from ui.web_topics import topics_tab

_EMPTY_GRAPH = (
    '<div class="kg-empty">输入实体名称（支持部分名称，如「住建」「滨江」）后点击搜索。</div>'
)


def _choice(hit: EntityHit) -> tuple[str, str]:
    return (f"{hit.name}（{hit.label_zh} · {hit.id}）", f"{hit.label}|{hit.id}")


def _message(text: str) -> str:
    return f'<div class="kg-empty">{html.escape(text)}</div>'


def build_web_app(services: Services) -> gr.Blocks:
    """The Gradio Blocks of the service: one tab per persona, the graph explorer first."""
    store = services.store

    def show(choice: str | None) -> tuple[str, dict[str, Any]]:
        if not choice or "|" not in choice:
            return _EMPTY_GRAPH, {}
        label, key = choice.split("|", 1)
        try:
            sub = neighbourhood(store, label, key)
        except CityAgentError as exc:
            return _message(f"无法显示：{exc.message}"), {}
        if sub is None:
            return _message(f"图谱中没有 {key}。"), {}
        note = "（仅显示前 40 个关联）" if sub.truncated else ""
        caption = (
            f'<div class="kg-caption">{html.escape(sub.center.label_zh)}'
            f"「{html.escape(sub.center.name)}」：{len(sub.nodes) - 1} 个关联实体，"
            f"{len(sub.edges)} 条关系{note}</div>"
        )
        props = json.loads(json.dumps(sub.center.properties, ensure_ascii=False, default=str))
        return caption + render_svg(sub), props

    def search(text: str) -> tuple[Any, str, dict[str, Any]]:
        if not text or not text.strip():
            return gr.update(choices=[], value=None), _message("请输入要查找的实体名称。"), {}
        try:
            hits = search_entities(store, text, limit=15)
        except CityAgentError as exc:
            return gr.update(choices=[], value=None), _message(f"查询失败：{exc.message}"), {}
        if not hits:
            return (
                gr.update(choices=[], value=None),
                _message(f"没有找到与「{text.strip()}」相关的实体。"),
                {},
            )
        choices = [_choice(hit) for hit in hits]
        graph_html, props = show(choices[0][1])
        return gr.update(choices=choices, value=choices[0][1]), graph_html, props

    with gr.Blocks(title="CityAgent 城市智能体") as app:
        gr.Markdown("# 滨江市 城市智能体 CityAgent")
        with gr.Tab("知识图谱", id="kg"):
            with gr.Row():
                query = gr.Textbox(
                    label="实体名称",
                    placeholder="例如：滨江区、住建局、滨江城投、排涝泵站",
                    elem_id="kg-search-box",
                    scale=4,
                )
                button = gr.Button("搜索", variant="primary", elem_id="kg-search-btn", scale=1)
            hits = gr.Dropdown(label="匹配的实体", choices=[], elem_id="kg-hits", interactive=True)
            with gr.Row():
                picture = gr.HTML(_EMPTY_GRAPH, elem_id="kg-graph")
            details = gr.JSON(label="实体属性", elem_id="kg-details")
            button.click(search, inputs=query, outputs=[hits, picture, details])
            query.submit(search, inputs=query, outputs=[hits, picture, details])
            hits.input(show, inputs=hits, outputs=[picture, details])
        hotline_tab(services)
        citizen_tab(services)
        topics_tab(services)
        bank_tab(services)
        risk_tab(services)
        emergency_tab(services)
    return cast(gr.Blocks, app)
