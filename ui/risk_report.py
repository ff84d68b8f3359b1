"""A risk report (:mod:`kg.risk.report`) as the files a regulator downloads: Markdown and PDF.

Both carry the same content in the same order: the level and its reason, the subject's
registered facts, the risk events with their sources, each finding with its paths, the
graph picture and the list of sources. The Markdown embeds the picture as an SVG data URI;
the PDF draws it with reportlab using the same force layout, in the Adobe CID font STSong-Light
that every PDF reader has, so no font file ships with the project.
"""

from __future__ import annotations

import base64
import io
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Circle, Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer

from kg.risk.report import RiskReport
from ui.graph_view import force_positions, label_colour, render_risk_svg

CJK_FONT = "STSong-Light"
_PROFILE_NAMES = {
    "name": "名称", "short_name": "简称", "kind": "类型", "industry": "行业",
    "registered_capital": "注册资本（万元）", "founded_on": "成立日期", "address": "地址",
    "phone": "电话", "status": "状态", "credit_code": "统一社会信用代码", "size": "规模（万元）",
    "registration": "登记编号",
}


def report_markdown(report: RiskReport) -> str:
    """The report as Markdown, the picture embedded."""
    subject = report.subject
    lines = [
        f"# 风险报告：{subject.name}（{subject.id}）",
        "",
        f"- 主体类型：{subject.label_zh}",
        f"- 风险等级：**{report.level}**（{report.level_reason}）",
        f"- 生成时间：{report.generated_at:%Y-%m-%d %H:%M}",
        "",
        "## 登记信息",
        "",
        *[f"- {_PROFILE_NAMES.get(k, k)}：{v}" for k, v in sorted(report.profile.items())
          if v not in (None, "")],
        "",
        "## 风险发现",
    ]
    for finding in report.findings:
        lines += ["", f"### {finding.title}（{finding.level}）", "", finding.summary]
        if finding.paths:
            lines += ["", *[f"- {path}" for path in finding.paths]]
        if finding.sources:
            lines += ["", "来源：" + "；".join(dict.fromkeys(finding.sources))]
    svg = render_risk_svg(report.graph, [subject.id])
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    lines += ["", "## 关系图", "", f"![{subject.name}的关系图](data:image/svg+xml;base64,{data})"]
    if report.graph.truncated:
        lines += ["", "（关系图只画出了一部分节点。）"]
    sources = report.sources or ["图谱中的登记与关系数据"]
    lines += ["", "## 数据来源", "", *[f"- {source}" for source in sources]]
    return "\n".join(lines) + "\n"


def report_pdf(report: RiskReport) -> bytes:
    """The report as a PDF document (A4)."""
    pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    title = ParagraphStyle("title", fontName=CJK_FONT, fontSize=17, leading=24, spaceAfter=6)
    heading = ParagraphStyle("heading", fontName=CJK_FONT, fontSize=13, leading=19,
                             spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=10, leading=15, wordWrap="CJK")
    item = ParagraphStyle("item", parent=body, leftIndent=10, bulletIndent=0)
    subject = report.subject

    def para(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    story: list[Flowable] = [
        para(f"风险报告：{subject.name}（{subject.id}）", title),
        para(f"主体类型：{subject.label_zh}　风险等级：{report.level}"),
        para(f"等级依据：{report.level_reason}"),
        para(f"生成时间：{report.generated_at:%Y-%m-%d %H:%M}"),
        para("登记信息", heading),
        *[para(f"{_PROFILE_NAMES.get(k, k)}：{v}", item)
          for k, v in sorted(report.profile.items()) if v not in (None, "")],
        para("风险发现", heading),
    ]
    for finding in report.findings:
        story.append(para(f"{finding.title}（{finding.level}）：{finding.summary}"))
        story += [para(f"• {path}", item) for path in finding.paths]
        if finding.sources:
            story.append(para("来源：" + "；".join(dict.fromkeys(finding.sources)), item))
        story.append(Spacer(1, 3 * mm))
    story += [para("关系图", heading), _drawing(report)]
    story.append(para("数据来源", heading))
    story += [para(f"• {s}", item) for s in report.sources or ["图谱中的登记与关系数据"]]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=f"风险报告：{subject.name}",
                      leftMargin=18 * mm, rightMargin=18 * mm).build(story)
    return out.getvalue()


def _drawing(report: RiskReport) -> Drawing:
    """The subgraph drawn in PDF units (y grows upwards in PDF, downwards in the layout)."""
    width, height = 170 * mm, 120 * mm
    pos = force_positions(report.graph, width, height, margin=12 * mm)
    labels = sorted({n.label for n in report.graph.nodes})
    drawing = Drawing(width, height)
    for edge in report.graph.edges:
        (x1, y1), (x2, y2) = pos[edge.source], pos[edge.target]
        drawing.add(Line(x1, height - y1, x2, height - y2, strokeColor=colors.grey,
                         strokeWidth=0.6))
        drawing.add(String((x1 + x2) / 2, height - (y1 + y2) / 2, edge.label_zh,
                           fontName=CJK_FONT, fontSize=5, fillColor=colors.dimgrey,
                           textAnchor="middle"))
    for node in report.graph.nodes:
        x, y = pos[node.id]
        main = node.id == report.subject.id
        colour = colors.HexColor(label_colour(node.label, labels))
        drawing.add(Circle(x, height - y, 5 if main else 3.2, fillColor=colour,
                           strokeColor=colors.black if main else colors.white, strokeWidth=0.8))
        name = node.name if len(node.name) <= 10 else node.name[:9] + "…"
        drawing.add(String(x, height - y - 9, name, fontName=CJK_FONT, fontSize=6,
                           textAnchor="middle"))
    return drawing
