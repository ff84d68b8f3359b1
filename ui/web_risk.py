"""The 「金融监管」 tab: ask in Chinese, or pick a risk query and a company or fund; see the
table and the graph, download the risk report. Only for the regulator's key, as the ``/risk``
endpoints."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from pydantic import BaseModel

from kg.errors import CityAgentError
from kg.queries import search_entities
from kg.risk.graph import RiskGraph
from kg.risk.registry import RISK_QUERIES, checked_params
from kg.risk.report import ReportParams, risk_report
from ui.graph_view import render_risk_svg
from ui.risk_report import report_markdown, report_pdf
from ui.services import Services

SUBJECT_LABELS = ("Company", "Bank", "Fund")
# The parameter each query takes the chosen company or fund as.
_SUBJECT_FIELDS = ("company_id", "fund_id", "source_id")
_EMPTY = '<div class="kg-empty">输入监管密钥，选择查询和企业或基金后点击「查询」。</div>'


def _message(text: str) -> str:
    return f'<div class="kg-empty">{html.escape(text)}</div>'


def _cell(value: Any) -> Any:
    """A row value as the table shows it: a party by its name, a path joined by arrows."""
    if isinstance(value, dict) and "name" in value and "id" in value:
        return f"{value['name']}（{value['id']}）"
    if isinstance(value, list):
        return " → ".join(str(_cell(v)) for v in value)
    if isinstance(value, float):
        return round(value, 4)
    return value


def rows_table(result: BaseModel) -> pd.DataFrame:
    """The result's rows as a table (one column per row field, parties by name)."""
    rows = result.model_dump(mode="json").get("rows") or []
    return pd.DataFrame([{k: _cell(v) for k, v in row.items()} for row in rows])


def _subject_choices(store: Any, text: str) -> list[tuple[str, str]]:
    hits = [h for h in search_entities(store, text, limit=20) if h.label in SUBJECT_LABELS]
    return [(f"{h.name}（{h.label_zh} · {h.id}）", h.id) for h in hits]


def risk_tab(services: Services) -> None:
    """Add the regulators' tab to the Blocks being built."""
    store = services.store
    queries = [(q.title_zh, q.name) for q in RISK_QUERIES.values()]

    def ask(key: str, question: str) -> tuple[Any, str]:
        if not question.strip():
            return pd.DataFrame(), _message("请输入问题，如「鼎盛集团的实际控制人是谁？」")
        try:
            services.role_keys.check(key.strip(), "regulator")
            answer = services.regulator_bot.ask(question)
        except CityAgentError as exc:
            return pd.DataFrame(), _message(f"无法回答：{exc.message}")
        how = (f"模板「{answer.title_zh or answer.source}」" if answer.source not in ("", "llm")
               else "大模型生成的只读查询" if answer.source == "llm" else "未执行查询")
        caption = (f'<div class="kg-caption">{html.escape(answer.summary)}<br>'
                   f"<small>回答方式：{html.escape(how)}</small></div>")
        table = pd.DataFrame([[_cell(v) for v in row] for row in answer.rows],
                             columns=answer.columns) if answer.columns else pd.DataFrame()
        picture = render_risk_svg(answer.subgraph) if answer.subgraph and \
            answer.subgraph.nodes else ""
        return table, caption + picture

    def find(key: str, text: str) -> Any:
        try:
            services.role_keys.check(key.strip(), "regulator")
            choices = _subject_choices(store, text) if text.strip() else []
        except CityAgentError as exc:
            return gr.update(choices=[], value=None), _message(exc.message)
        note = f"找到 {len(choices)} 个企业或基金。" if choices else "没有找到匹配的企业或基金。"
        return gr.update(choices=choices, value=choices[0][1] if choices else None), _message(note)

    def run(key: str, name: str, subject: str | None) -> tuple[Any, str]:
        try:
            services.role_keys.check(key.strip(), "regulator")
            query = RISK_QUERIES[name]
            fields = query.params.model_fields
            field = next((f for f in _SUBJECT_FIELDS if f in fields), None)
            if field is not None and subject is None and fields[field].is_required():
                return pd.DataFrame(), _message("请先查找并选择一个企业或基金。")
            params = checked_params(query.params, {field: subject} if field and subject else {})
            result = query.run(store, params)
        except CityAgentError as exc:
            return pd.DataFrame(), _message(f"查询失败：{exc.message}")
        graph: RiskGraph = result.subgraph
        caption = (f'<div class="kg-caption">{html.escape(query.title_zh)}：'
                   f"{len(graph.nodes)} 个主体，{len(graph.edges)} 条关系</div>")
        return rows_table(result), caption + render_risk_svg(graph, [subject] if subject else [])

    def report(key: str, subject: str | None) -> tuple[Any, str]:
        try:
            services.role_keys.check(key.strip(), "regulator")
            if subject is None:
                return None, _message("请先查找并选择一个企业或基金。")
            built = risk_report(store, ReportParams(subject_id=subject))
        except CityAgentError as exc:
            return None, _message(f"无法生成报告：{exc.message}")
        folder = Path(tempfile.mkdtemp(prefix="risk-report-"))
        markdown = folder / f"风险报告_{built.subject.id}.md"
        markdown.write_text(report_markdown(built), encoding="utf-8")
        pdf = folder / f"风险报告_{built.subject.id}.pdf"
        pdf.write_bytes(report_pdf(built))
        summary = (f"<b>{html.escape(built.subject.name)}</b> 风险等级：{built.level}"
                   f"（{html.escape(built.level_reason)}）")
        return [str(pdf), str(markdown)], f'<div class="kg-caption">{summary}</div>' + \
            render_risk_svg(built.graph, [built.subject.id])

    with gr.Tab("金融监管", id="risk"):
        key = gr.Textbox(label="监管角色密钥（X-API-Key）", type="password", elem_id="risk-key")
        with gr.Row():
            question = gr.Textbox(label="用中文提问", elem_id="risk-question", scale=5,
                                  placeholder="如：滨江宏达建设工程有限公司在哪些互保圈里？")
            send = gr.Button("提问", variant="primary", elem_id="risk-ask", scale=1)
        with gr.Row():
            name = gr.Dropdown(label="查询", choices=queries, value=queries[0][1],
                               elem_id="risk-query", scale=2)
            text = gr.Textbox(label="企业或基金名称", placeholder="如：鼎盛集团、宏达建设、聚鑫",
                              elem_id="risk-subject-text", scale=3)
            search = gr.Button("查找", elem_id="risk-find", scale=1)
        subject = gr.Dropdown(label="主体", choices=[], elem_id="risk-subject")
        with gr.Row():
            go = gr.Button("查询", variant="primary", elem_id="risk-run")
            make = gr.Button("生成风险报告", elem_id="risk-report")
        picture = gr.HTML(_EMPTY, elem_id="risk-graph")
        table = gr.Dataframe(label="查询结果", elem_id="risk-table", wrap=True)
        files = gr.File(label="报告下载（PDF / Markdown）", file_count="multiple",
                        elem_id="risk-files")
        send.click(ask, [key, question], [table, picture])
        question.submit(ask, [key, question], [table, picture])
        search.click(find, [key, text], [subject, picture])
        text.submit(find, [key, text], [subject, picture])
        go.click(run, [key, name, subject], [table, picture])
        make.click(report, [key, subject], [files, picture])
