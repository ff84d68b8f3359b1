"""The 「热点」 tab: hot topics over time and by district, as a table and two charts."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
import pandas as pd

from kg.errors import CityAgentError
from kg.topic import StoredTopic, list_topics
from nlu.topics import TopicSettings, build_topics
from ui.services import Services

ALL_DISTRICTS = "全市"
CHARTED = 6
_COLUMNS = ["排名", "热点话题", "工单数", "趋势", "热度", "集中地点", "时间范围"]


def _table(topics: list[StoredTopic]) -> pd.DataFrame:
    rows = [
        [i, t.name, t.ticket_count, t.trend, round(t.hot_score, 1), "、".join(t.top_places),
         f"{t.period_start:%m-%d} 至 {t.period_end:%m-%d}"]
        for i, t in enumerate(topics, start=1)
    ]
    return pd.DataFrame(rows, columns=_COLUMNS)


def _over_time(topics: list[StoredTopic]) -> pd.DataFrame:
    """Tickets per day of the hottest topics, days without tickets as zeros."""
    charted = topics[:CHARTED]
    days = [d.day for t in charted for d in t.daily]
    if not days:
        return pd.DataFrame(columns=["日期", "工单数", "话题"])
    calendar = pd.date_range(min(days), max(days), freq="D")
    rows: list[dict[str, object]] = []
    for topic in charted:
        counts = {pd.Timestamp(d.day): d.count for d in topic.daily}
        rows.extend({"日期": day, "工单数": counts.get(day, 0), "话题": topic.name}
                    for day in calendar)
    return pd.DataFrame(rows, columns=["日期", "工单数", "话题"])


def _by_district(topics: list[StoredTopic]) -> pd.DataFrame:
    rows = [
        {"区县": d.name, "工单数": d.ticket_count, "话题": t.name}
        for t in topics[:CHARTED] for d in t.districts
    ]
    return pd.DataFrame(rows, columns=["区县", "工单数", "话题"])


def _samples(topics: list[StoredTopic]) -> str:
    if not topics:
        return "暂无热点。工单登记或导入后点击「重新聚类」。"
    blocks = []
    for t in topics[:CHARTED]:
        lines = [f"- {html.escape(s.get('summary') or '')}（{s.get('id')}）"
                 for s in t.sample_tickets]
        keywords = "、".join(t.keywords)
        blocks.append(f"**{html.escape(t.name)}** · 关键词：{keywords}\n" + "\n".join(lines))
    return "\n\n".join(blocks)


def topics_tab(services: Services) -> None:
    """Add the hot-topics tab to the Blocks being built."""
    store = services.store

    def show(district: str) -> tuple[Any, ...]:
        try:
            topics = list_topics(store, district=None if district == ALL_DISTRICTS else district,
                                 limit=30)
        except CityAgentError as exc:
            empty = pd.DataFrame(columns=_COLUMNS)
            return empty, _over_time([]), _by_district([]), f"无法读取热点：{exc.message}"
        return _table(topics), _over_time(topics), _by_district(topics), _samples(topics)

    def rebuild(days: float, district: str) -> tuple[Any, ...]:
        try:
            report = build_topics(store, settings=TopicSettings(window_days=int(days)))
        except CityAgentError as exc:
            return (*show(district), f"聚类失败：{exc.message}")
        note = f"近 {int(days)} 天 {report.tickets} 件工单，聚出 {report.topics} 个热点"
        return (*show(district), f"{note}（用时 {report.seconds:.1f} 秒）。")

    def districts() -> list[str]:
        try:
            rows = store.read("MATCH (d:District) RETURN d.name AS name ORDER BY d.id")
        except CityAgentError:
            rows = []
        return [ALL_DISTRICTS, *(row["name"] for row in rows)]

    with gr.Tab("热点", id="topics") as tab:
        with gr.Row():
            district = gr.Dropdown(label="区县", choices=districts(), value=ALL_DISTRICTS,
                                   elem_id="tp-district", scale=2)
            days = gr.Slider(7, 365, value=30, step=1, label="统计窗口（天）", scale=3)
            refresh = gr.Button("重新聚类", elem_id="tp-rebuild", scale=1)
        status = gr.Markdown(elem_id="tp-status")
        table = gr.Dataframe(headers=_COLUMNS, interactive=False, elem_id="tp-table")
        with gr.Row():
            trend = gr.LinePlot(x="日期", y="工单数", color="话题", title="热点随时间变化",
                                elem_id="tp-trend")
            places = gr.BarPlot(x="区县", y="工单数", color="话题", title="热点的区县分布",
                                elem_id="tp-districts")
        samples = gr.Markdown(elem_id="tp-samples")
        outputs = [table, trend, places, samples]
        district.change(show, district, outputs)
        refresh.click(rebuild, [days, district], [*outputs, status])
        tab.select(show, district, outputs)
