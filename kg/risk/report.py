"""A regulator's risk report on one company or fund: what makes it risky, by which paths, from
which sources.

The report runs the named risk queries around its subject and keeps what a supervisor acts
on: the risk events that involve it (with their source documents), the ultimate controllers
(and whether anyone is recorded as controller at all), the guarantee circles and circular
shareholdings it sits in, the largest guarantee chains it starts, its related parties, who is
exposed if it fails, and for a fund the products, their status and the investors. Each
finding carries its paths written out in Chinese (「A —持股40%→ B」) and its sources, and the
level of the report is the highest level of its findings, so every level has a stated reason.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from kg.errors import NotFoundError
from kg.risk.contagion import ContagionParams, contagion
from kg.risk.equity import (
    CircularShareholdingParams,
    UltimateControllerParams,
    circular_shareholding,
    ultimate_controllers,
)
from kg.risk.funds import FundExposureParams, fund_exposure
from kg.risk.graph import Party, RiskGraph, SubgraphBuilder, node_map
from kg.risk.guarantees import (
    GuaranteeChainParams,
    GuaranteeCircleParams,
    guarantee_chains,
    guarantee_circles,
)
from kg.risk.params import EntityId, RiskParams
from kg.risk.parties import RelatedPartyParams, related_parties
from kg.store import GraphStore

log = logging.getLogger(__name__)

Level = Literal["高", "中", "低"]
LEVEL_ORDER: dict[Level, int] = {"低": 0, "中": 1, "高": 2}
SHOWN = 8
"""Rows of each finding written out in the report (the query results hold the rest)."""
CIRCLE_HIGH_AMOUNT = 10_000.0
"""A guarantee circle whose guarantees add up to this many 万元 or more is a high risk."""

_SUBJECT = (
    "MATCH (s {id: $subject_id}) WHERE s:Company OR s:Fund "
    f"RETURN {node_map('s')} AS subject, labels(s) AS labels"
)
_EVENTS = (
    "MATCH (e:RiskEvent)-[:INVOLVES]->(s {id: $subject_id}) "
    f"RETURN {node_map('e')} AS event ORDER BY e.occurred_on DESC LIMIT 50"
)


class ReportParams(RiskParams):
    """The company or fund a report is about."""

    subject_id: EntityId


class EventFact(BaseModel):
    """A risk event involving the subject, as its source reported it."""

    id: str
    name: str
    kind: str | None = None
    severity: str | None = None
    occurred_on: str | None = None
    description: str | None = None
    source: str | None = None


class Finding(BaseModel):
    """One reason for concern (or for none), with the paths that show it and their sources."""

    title: str
    level: Level
    summary: str
    paths: list[str] = Field(default_factory=list, description="paths written out in Chinese")
    sources: list[str] = Field(default_factory=list)


class RiskReport(BaseModel):
    """Everything a regulator's report on one company or fund says, and the picture."""

    subject: Party
    profile: dict[str, Any] = Field(default_factory=dict, description="the node's own facts")
    generated_at: datetime
    level: Level
    level_reason: str
    events: list[EventFact] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    graph: RiskGraph
    sources: list[str] = Field(default_factory=list, description="every source cited, once")


def risk_report(store: GraphStore, params: ReportParams) -> RiskReport:
    """The risk report on ``params.subject_id`` (a Company or a Fund).

    Raises NotFoundError when the graph has no company or fund with that id.
    """
    rows = store.read(_SUBJECT, subject_id=params.subject_id)
    if not rows:
        raise NotFoundError(f"没有编号为 {params.subject_id} 的企业或基金")
    builder = SubgraphBuilder(store.ontology)
    subject = builder.node(rows[0]["subject"])
    profile = {k: v for k, v in rows[0]["subject"]["props"].items()
               if k not in ("id", "embedding") and not isinstance(v, (list, dict))}
    events = [_event(builder, row["event"]) for row in
              store.read(_EVENTS, subject_id=subject.id)]
    for event in events:
        builder.edge({"type": "INVOLVES", "source": event.id, "target": subject.id})
    findings = [_events_finding(events)]
    if "Fund" in rows[0]["labels"]:
        findings.append(_fund_finding(store, builder, subject.id))
    else:
        findings += _company_findings(store, builder, subject.id)
    top = max(findings, key=lambda f: LEVEL_ORDER[f.level])
    sources = list(dict.fromkeys(s for f in findings for s in f.sources))
    log.info("risk report on %s: level %s (%s)", subject.id, top.level, top.title)
    return RiskReport(
        subject=subject, profile=profile, generated_at=datetime.now().astimezone(),
        level=top.level, level_reason=f"{top.title}：{top.summary}", events=events,
        findings=findings, graph=builder.build(), sources=sources,
    )


# ----------------------------------------------------------------------------- findings
def _event(builder: SubgraphBuilder, payload: dict[str, Any]) -> EventFact:
    builder.node(payload)
    props = payload["props"]
    occurred = props.get("occurred_on")
    return EventFact(
        id=props["id"], name=props.get("name") or props["id"], kind=props.get("kind"),
        severity=props.get("severity"),
        occurred_on=occurred.isoformat() if isinstance(occurred, date) else occurred,
        description=props.get("description"), source=props.get("source"),
    )


def _events_finding(events: list[EventFact]) -> Finding:
    if not events:
        return Finding(title="风险事件", level="低", summary="未发现涉及该主体的风险事件。")
    ranked: tuple[Level, ...] = ("高", "中", "低")
    level = next((lv for lv in ranked if any(e.severity == lv for e in events)), "中")
    return Finding(
        title="风险事件", level=level,
        summary=f"涉及 {len(events)} 起风险事件：" + "；".join(
            f"{e.occurred_on or '日期不详'} {e.name}"
            f"（{e.kind or '未分类'}，严重程度{e.severity or '未标注'}）" for e in events[:SHOWN]),
        paths=[e.description for e in events[:SHOWN] if e.description],
        sources=[e.source for e in events if e.source],
    )


def _company_findings(store: GraphStore, builder: SubgraphBuilder, company_id: str
                      ) -> list[Finding]:
    owners = ultimate_controllers(store, UltimateControllerParams(company_id=company_id))
    builder.add_graph(owners.subgraph)
    circles = guarantee_circles(store, GuaranteeCircleParams(company_id=company_id))
    builder.add_graph(circles.subgraph)
    cycles = circular_shareholding(store, CircularShareholdingParams(company_id=company_id))
    builder.add_graph(cycles.subgraph)
    chains = guarantee_chains(store, GuaranteeChainParams(company_id=company_id))
    builder.add_graph(chains.subgraph)
    related = related_parties(store, RelatedPartyParams(company_id=company_id))
    builder.add_graph(related.subgraph)
    exposed = contagion(store, ContagionParams(source_id=company_id, limit=SHOWN))
    builder.add_graph(exposed.subgraph)
    return [
        _controllers_finding(owners.rows, owners.declared_controllers),
        _circle_finding(circles.rows),
        _cycle_finding(cycles.rows),
        _chain_finding(chains.rows),
        _related_finding(related.rows),
        _exposure_finding(exposed.rows),
    ]


def _controllers_finding(rows: list[Any], declared: list[Party]) -> Finding:
    paths = [f"{r.holder.name}（{r.holder.label_zh}）穿透持股 {r.effective_ratio:.1%}，"
             f"{r.paths} 条持股路径，最短 {r.min_depth} 层"
             + ("，登记为实际控制人" if r.declared_controller else "") for r in rows[:SHOWN]]
    if declared:
        names = "、".join(p.name for p in declared)
        return Finding(title="实际控制人", level="低", summary=f"登记的实际控制人：{names}。",
                       paths=paths)
    if rows:
        top = rows[0]
        return Finding(title="实际控制人", level="中",
                       summary=f"未登记实际控制人；穿透后最大股东为{top.holder.name}"
                               f"（{top.effective_ratio:.1%}）。", paths=paths)
    return Finding(title="实际控制人", level="中",
                   summary="未登记实际控制人，穿透后也没有持股达到25%的最终股东。")


def _circle_finding(rows: list[Any]) -> Finding:
    if not rows:
        return Finding(title="互保圈", level="低", summary="未发现该企业所在的担保闭环。")
    total = sum(r.total_amount for r in rows)
    level: Level = "高" if max(r.total_amount for r in rows) >= CIRCLE_HIGH_AMOUNT else "中"
    return Finding(
        title="互保圈", level=level,
        summary=f"处于 {len(rows)} 个担保闭环中，闭环担保合计 {total:,.0f} 万元。",
        paths=[_cycle_text(r.members, [_amount_text(a) for a in r.values]) for r in rows[:SHOWN]],
    )


def _cycle_finding(rows: list[Any]) -> Finding:
    if not rows:
        return Finding(title="循环持股", level="低", summary="未发现该企业所在的循环持股。")
    return Finding(
        title="循环持股", level="高",
        summary=f"处于 {len(rows)} 个循环持股环中，注册资本可能被重复计算。",
        paths=[_cycle_text(r.members, [_ratio_text(v) for v in r.values]) for r in rows[:SHOWN]],
    )


def _chain_finding(rows: list[Any]) -> Finding:
    if not rows:
        return Finding(title="对外担保", level="低", summary="未发现该企业对外提供的担保。")
    longest = max(r.hops for r in rows)
    ranked = sorted(rows, key=lambda r: -r.total_amount)[:SHOWN]
    return Finding(
        title="对外担保", level="中" if longest >= 2 else "低",
        summary=f"对外担保链 {len(rows)} 条，最长 {longest} 跳。",
        paths=[_chain_text(r.members, [_amount_text(a) for a in r.amounts]) for r in ranked],
    )


def _related_finding(rows: list[Any]) -> Finding:
    companies = {r.other.id for r in rows}
    if not companies:
        return Finding(title="关联方", level="低", summary="未发现关联企业。")
    by_link: dict[str, int] = {}
    for row in rows:
        by_link[row.link_zh] = by_link.get(row.link_zh, 0) + 1
    level: Level = "中" if len(companies) >= 10 else "低"
    return Finding(
        title="关联方", level=level,
        summary=f"关联企业 {len(companies)} 家（" + "，".join(
            f"{k} {v} 处" for k, v in by_link.items()) + "）。",
        paths=[f"{r.other.name}：{r.link_zh}"
               + (f"（{r.via.name}）" if r.via else f"（{r.value}）" if r.value else "")
               for r in rows[:SHOWN]],
    )


def _exposure_finding(rows: list[Any]) -> Finding:
    if not rows:
        return Finding(title="风险传导", level="低", summary="该企业出险时没有其他主体受波及。")
    return Finding(
        title="风险传导", level="低",
        summary=f"该企业出险时，三跳内受波及的主要主体 {len(rows)} 个（按传导权重排序）。",
        paths=[f"{r.entity.name}（权重 {r.weight:.3f}）：" + " → ".join(p.name for p in r.path)
               for r in rows[:SHOWN]],
    )


def _fund_finding(store: GraphStore, builder: SubgraphBuilder, fund_id: str) -> Finding:
    result = fund_exposure(store, FundExposureParams(fund_id=fund_id))
    builder.add_graph(result.subgraph)
    troubled = [p for p in result.products if p.status and p.status not in ("存续", "已兑付")]
    investors = {r.investor.id for r in result.rows}
    managers = "、".join(m.name for m in result.managers) or "无登记管理人"
    controllers = "、".join(c.name for c in result.controllers) or "未登记"
    level: Level = "高" if troubled or not result.managers else "低"
    summary = (f"管理人：{managers}；实际控制人：{controllers}；产品 {len(result.products)} 只，"
               f"投资人 {len(investors)} 个，募集合计 {result.total_amount:,.0f} 万元。")
    if troubled:
        summary += "异常产品：" + "、".join(
            f"{p.product.name}（{p.status}）" for p in troubled) + "。"
    return Finding(
        title="基金穿透", level=level, summary=summary,
        paths=[f"{p.product.name}：{p.status or '状态不详'}，投资人 {p.investors} 个，"
               f"募集 {p.raised:,.0f} 万元" for p in result.products[:SHOWN]],
    )


# ----------------------------------------------------------------------------- wording
def _ratio_text(value: float | None) -> str:
    return f"持股{value:.0%}" if value is not None else "持股"


def _amount_text(value: float | None) -> str:
    return f"担保{value:,.0f}万元" if value is not None else "担保"


def _chain_text(members: list[Party], steps: list[str]) -> str:
    text = members[0].name
    for member, step in zip(members[1:], steps, strict=False):
        text += f" —{step}→ {member.name}"
    return text


def _cycle_text(members: list[Party], steps: list[str]) -> str:
    return _chain_text([*members, members[0]], steps)
