"""Questions about single relationships across the register: guarantees, investments,
shareholdings and transfers between accounts one by one, filtered and ranked on their own amount
or ratio.

「单笔担保金额最大的两笔」, 「自然人为企业担保、单笔金额在1000万元以上的有哪些」 and
「持股比例超过50%的持股关系」 ask for relationships, not for the entities at their ends (a
company's total guarantees are a :class:`~bots.text2cypher.frames.ListFrame` tally). The
question is read into an :class:`EdgeFrame` and compiled to one parameterised read-only query;
relationship types, end labels and properties are checked against the ontology.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from bots.text2cypher.frame_conditions import (
    chinese_number,
    compared_numbers,
    figure_conditions,
    period_conditions,
)
from bots.text2cypher.frame_parser import ASCENDING, LIMIT_WORDS, SUPERLATIVE
from bots.text2cypher.frames import CompiledFrame, Condition
from kg.ontology import Ontology


class EdgeKind(BaseModel):
    """A relationship a question may list one by one: its words, the property that measures
    it, the words naming that property, and the titles of the answer's columns."""

    rel: str
    pattern: str
    measure: str
    measure_words: tuple[str, ...]
    columns: tuple[str, str, str]
    through: str | None = Field(default=None, description="the relationship by which each end "
                                "holds the related node (accounts, for transfers)")
    held_columns: tuple[str, str] = Field(
        default=("", ""), description="titles of the held nodes at each end (付款账户), shown "
        "beside the parties when the relationship runs through them")
    shown: tuple[tuple[str, str], ...] = Field(
        default=(), description="more properties of the relationship shown, with their titles")
    dated: str | None = Field(default=None, description="the relationship's time property, "
                              "which a period in the question bounds (「2025年3月份」)")


EDGE_KINDS: tuple[EdgeKind, ...] = (
    EdgeKind(rel="GUARANTEES", pattern="担保", measure="amount",
             measure_words=("担保金额", "单笔金额", "金额", "额度", "单笔"),
             columns=("担保人", "被担保人", "金额_万元"), shown=(("since", "起始日期"),),
             dated="since"),
    EdgeKind(rel="HOLDS_SHARES", pattern="持股|股权|控股", measure="ratio",
             measure_words=("持股比例", "股权比例", "比例", "持股"),
             columns=("股东", "被持股企业", "持股比例")),
    EdgeKind(rel="INVESTS_IN", pattern="投资|认购|出资|买入|购买", measure="amount",
             measure_words=("投资金额", "认购金额", "出资金额", "单笔金额", "金额", "单笔"),
             columns=("投资人", "投资标的", "金额_万元")),
    EdgeKind(rel="TRANSFERS", pattern="转账|转给|转了|转入|转出|转超过|打款|汇款|流水|转款",
             measure="amount",
             measure_words=("转账金额", "单笔金额", "金额", "单笔转", "单笔", "转"),
             columns=("付款方", "收款方", "金额_万元"), through="HOLDS_ACCOUNT",
             held_columns=("付款账户", "收款账户"),
             shown=(("time", "时间"), ("tx_id", "流水号")), dated="time"),
)
_ONE_BY_ONE = re.compile(
    r"单笔|每笔|哪(?:几)?笔|(?:\d+|[一二两三四五六七八九十]+)笔|"
    r"(?:担保|持股|投资|认购)(?:关系|记录|明细)")
_HOW_MANY = re.compile(r"多少笔|几笔|笔数")
"""「全市一共发生多少笔转账」 counts the relationships themselves (but 「笔数最多的担保方」 ranks
the parties)."""
_REGISTER_TOTAL = re.compile(r"(?:全市|全部|所有|整个|全库)[一-龥]{0,6}?(?:总额|总金额|合计)")
_EACH = re.compile(r"各|每|分别")
_TOTALS = re.compile(r"多少笔|几笔|笔数|总金额|总额|一共|合计|总共|累计")
_PER_MONTH = re.compile(r"每个?月|各月|按月|逐月|分月|月度")
_PER_YEAR = re.compile(r"每年|各年|按年|逐年|分年|年度|按[一-龥]{0,6}年份")
_LISTED = re.compile(r"哪些|哪几|列出|明细|清单|分别")
_PARTY_WORDS = {"自然人": "Person", "个人": "Person", "企业": "Company", "公司": "Company",
                "单位": "Company", "机构": "Company", "基金": "Fund", "产品": "Product"}
_PARTY = "|".join(_PARTY_WORDS)
_ENDS = re.compile(
    rf"(?P<start>{_PARTY})(?:账户)?(?:之间)?(?:直接)?(?:转给|打给|汇给|转入|转到|转至|汇入|打入|为|给|向|对|往)"
    rf"(?P<end>{_PARTY})?")
_PARTY_MEASURED = re.compile(
    rf"^(?P<start>{_PARTY})(?:直接)?(?:持股|投资|担保|转账)(?:比例|金额)?"
    r"(?:超过|高于|大于|不低于|不少于|达到|在|低于|不足)")
"""「基金持股超过30%的企业」: one kind of party's relationships, each past a figure."""
_SPLIT = re.compile(
    rf"(?P<a>{_PARTY})(?:账户|股东)?(?:的)?(?P<w1>担保|转账|转出|投资|持股)?(?:和|与|跟|及|、)"
    rf"(?P<b>{_PARTY})(?:账户|股东)?(?:的)?(?P<w2>担保|转账|转出|投资|持股)?")
"""「个人担保和企业担保」, 「个人账户和单位账户的转出」: kinds of party compared."""
_FIGURE = {"平均": "avg", "中位数": "median"}
_WEEKEND = re.compile(r"周末|双休日|周六|周日|星期六|星期日|星期天")
_OVER_CAPITAL = re.compile(
    r"金额(?:超过|高于|大于)了?(?:被担保|被投资|收款)?(?:企业|公司|方|人)?(?:自身|本身|自己)?的?"
    r"注册资本(?:的(?P<times>\d+(?:\.\d+)?|[一二两三四五六七八九十]+)倍)?")


class EdgeFrame(BaseModel):
    """Which relationships a question lists: their type, the labels at their ends, the
    conditions on their measure, and how they are ordered and cut."""

    rel: str
    start: str | None = None
    end: str | None = None
    conditions: list[Condition] = Field(default_factory=list)
    descending: bool | None = Field(default=None, description="ranked on the measure when set")
    limit: int | None = Field(default=None, ge=1, le=1000)
    totals: bool = Field(default=False, description="how many and how much in all, not the "
                         "relationships (「一共发生多少笔转账，总金额多少」)")
    per: Literal["month", "year"] | None = Field(
        default=None, description="the totals for each month or year of the relationships' "
        "time (「2025年上半年每个月转账多少笔、总金额多少」)")
    split: dict[str, str] = Field(default_factory=dict, description="the kinds of party at "
                                  "the start compared, by the words that name them, the totals "
                                  "given for each (「个人担保和企业担保，担保总额各是多少」)")
    figure: Literal["avg", "median"] | None = Field(default=None, description="the average or "
                                                    "median amount given beside the totals")
    weekend: bool = Field(default=False, description="only those dated on a Saturday or "
                          "Sunday (「周末发生的转账」)")
    over_capital: float | None = Field(default=None, gt=0, description="keep the relationships "
                                       "whose amount exceeds this many times the registered "
                                       "capital of the company at their end (「担保金额超过被担保"
                                       "企业注册资本」)")


def _kind(rel: str) -> EdgeKind:
    return next(k for k in EDGE_KINDS if k.rel == rel)


_HELD_CLASSES = {"银行": "Bank", "基金": "Fund", "企业": "Company", "公司": "Company"}
_HOLDERS_OF = re.compile(
    rf"持有(?P<end>{'|'.join(_HELD_CLASSES)})(?:的)?(?:股份|股权)的(?:(?P<start>{_PARTY})(?:股东)?|股东)")
"""「持有银行股份的企业股东有哪些」: each holding of a kind of company, by its holders' kind."""


def parse_edge_frame(text: str, ontology: Ontology) -> EdgeFrame | None:
    """The relationships a (normalised) question lists one by one, or None when it does not
    ask about single relationships."""
    holders = _HOLDERS_OF.search(text)
    if holders is not None:  # who holds which bank, and how much
        start = _PARTY_WORDS[holders.group("start")] if holders.group("start") else None
        return EdgeFrame(rel="HOLDS_SHARES", start=start,
                         end=_HELD_CLASSES[holders.group("end")])
    kind = next((k for k in EDGE_KINDS if re.search(k.pattern, text)), None)
    if kind is None:
        return None
    split = _SPLIT.search(text)
    kinds = {split.group(g): _PARTY_WORDS[split.group(g)] for g in "ab"} if split else {}
    if split is not None and (split.group("w1") or split.group("w2")) and len(
            set(kinds.values())) == 2:  # two kinds of party compared, each totalled
        figure = next((f for word, f in _FIGURE.items() if word in text), None)
        return EdgeFrame(rel=kind.rel, split=kinds, totals=True, figure=figure,
                         conditions=period_conditions(text, kind.dated) if kind.dated else [])
    over = _OVER_CAPITAL.search(text)
    if over is not None and kind.measure == "amount":  # each measured against its end's capital
        times = over.group("times")
        return EdgeFrame(rel=kind.rel, end="Company", totals=_TOTALS.search(text) is not None,
                         over_capital=chinese_number(times) if times else 1.0)
    totalled = _TOTALS.search(text) is not None
    per = _per_period(text) if kind.dated and totalled else None
    by_party = totalled and _ENDS.search(text) is not None
    lead = _PARTY_MEASURED.match(text)
    if per is None and not by_party and not lead and not (_ONE_BY_ONE.search(text) or (
            (_HOW_MANY.search(text) or _REGISTER_TOTAL.search(text))
            and not SUPERLATIVE.search(text) and not _EACH.search(text))):
        return None
    held = ontology.relationships[kind.through] if kind.through else None
    rel = ontology.relationships[kind.rel]
    starts, ends_at = (held.domain, held.domain) if held else (rel.domain, rel.range)
    start = end = None
    ends = _ENDS.search(text)
    if ends:
        start = _PARTY_WORDS[ends.group("start")]
        end = _PARTY_WORDS[ends.group("end")] if ends.group("end") else None
    elif lead:
        start = _PARTY_WORDS[lead.group("start")]
    if start is not None and not set(ontology.ancestors(start)) & set(starts):
        start = None
    if end is not None and not set(ontology.ancestors(end)) & set(ends_at):
        end = None
    props = {kind.measure: ontology.rel_properties(kind.rel)[kind.measure]}
    conditions = compared_numbers(text, props, {kind.measure: kind.measure_words}) or [
        Condition(prop=kind.measure, op=figure.op, value=figure.value)
        for figure in figure_conditions(text)
        if figure.kind == ("share" if kind.measure == "ratio" else "amount")]  # 「当天超过500万的」
    conditions += period_conditions(text, kind.dated) if kind.dated else []
    weekend = kind.dated is not None and _WEEKEND.search(text) is not None
    ranked = SUPERLATIVE.search(text)
    descending = None if ranked is None else (ranked.group(1) or "") not in ASCENDING
    counted = LIMIT_WORDS.search(text)
    limit = chinese_number(counted.group(1) or counted.group(2)) if counted else None
    if descending is not None and not limit:
        limit = 1
    totals = per is not None or (totalled and not _LISTED.search(text) and descending is None)
    if not (conditions or weekend or descending is not None or totals):
        return None
    return EdgeFrame(rel=kind.rel, start=start, end=end, conditions=conditions,
                     descending=descending, limit=limit or None, totals=totals, per=per,
                     weekend=weekend)


def _per_period(text: str) -> Literal["month", "year"] | None:
    """The period the question totals each of: 「每个月」, 「按月份」 a month, 「每年」 a year."""
    if _PER_MONTH.search(text):
        return "month"
    return "year" if _PER_YEAR.search(text) else None


def compile_edge_frame(frame: EdgeFrame, ontology: Ontology) -> CompiledFrame:
    """The frame as one read-only Cypher query with parameters (ValueError for a type,
    label or property the ontology does not know)."""
    if frame.rel not in ontology.relationships:
        raise ValueError(f"unknown relationship type {frame.rel}")
    kind = _kind(frame.rel)
    known = ontology.rel_properties(frame.rel)
    if kind.measure not in known or any(c.prop not in known for c in frame.conditions):
        raise ValueError(f"{frame.rel} has no property {kind.measure}")
    for label in (frame.start, frame.end, *frame.split.values()):
        if label is not None and label not in ontology.classes:
            raise ValueError(f"unknown class {label}")
    params: dict[str, Any] = {}
    start = f":{frame.start}" if frame.start else ""
    end = f":{frame.end}" if frame.end else ""
    where = _edge_where(frame, kind, params)
    order = "a.id, b.id"
    if frame.descending is not None:
        order = f"r.{kind.measure} {'DESC' if frame.descending else 'ASC'}, {order}"
    limit = ""
    if frame.limit:
        params["limit"] = frame.limit
        limit = " LIMIT $limit"
    first, second, measured = kind.columns
    path = f"(a{start})-[r:{frame.rel}]->(b{end})"
    if kind.through:
        path = (f"(a{start})-[:{kind.through}]->(ha)-[r:{frame.rel}]->(hb)"
                f"<-[:{kind.through}]-(b{end})")
    if frame.per is not None and kind.dated:
        month = frame.per == "month"
        key = (f"substring(toString(date(r.{kind.dated})), 0, 7) AS 月份, "
               f"r.{kind.dated}.year AS 年, r.{kind.dated}.month AS 月" if month
               else f"r.{kind.dated}.year AS 年份")
        return CompiledFrame(
            cypher=f"MATCH {path}{where} WITH DISTINCT r RETURN {key}, count(r) AS 笔数, "
                   f"sum(r.{kind.measure}) AS {measured}合计 "
                   f"ORDER BY {'月份' if month else '年份'}", params=params)
    if frame.split:
        return _split_totals(frame, kind, f"MATCH {path}{where}", params)
    if frame.totals:
        return CompiledFrame(
            cypher=f"MATCH {path}{where} WITH DISTINCT a, r, b "
                   f"RETURN count(DISTINCT r) AS 笔数, sum(r.{kind.measure}) AS {measured}合计, "
                   f"count(DISTINCT a) AS {first}数, count(DISTINCT b) AS {second}数",
            params=params)
    shown = "".join(f", r.{prop} AS {title}" for prop, title in kind.shown)
    if kind.through:
        shown += "".join(f", h{side}.name AS {title}"
                         for side, title in zip("ab", kind.held_columns, strict=True))
    return CompiledFrame(
        cypher=f"MATCH {path}{where} "
               f"RETURN a.name AS {first}, b.name AS {second}, r.{kind.measure} AS {measured}"
               f"{shown} ORDER BY {order}{limit}",
        params=params)


def _edge_where(frame: EdgeFrame, kind: EdgeKind, params: dict[str, Any]) -> str:
    """The WHERE of the relationships ``r`` (their end ``b``) the frame keeps, its values
    added to ``params``; empty when it keeps all."""
    clauses = []
    for i, condition in enumerate(frame.conditions):
        params[f"v{i}"] = condition.value
        clauses.append(f"date(r.{condition.prop}) {condition.op} date($v{i})"
                       if condition.is_date else f"r.{condition.prop} {condition.op} $v{i}")
    if frame.weekend and kind.dated:
        clauses.append(f"date(r.{kind.dated}).dayOfWeek >= 6")
    if frame.over_capital is not None:
        params["times"] = frame.over_capital
        clauses.append(f"r.{kind.measure} > $times * b.registered_capital")
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""


def _split_totals(frame: EdgeFrame, kind: EdgeKind, matched: str, params: dict[str, Any]
                  ) -> CompiledFrame:
    """The relationships' count, total (and average or median) for each kind of party at
    their start that the question compares, named by its own words."""
    params["words"], params["split"] = list(frame.split), list(frame.split.values())
    first, _, measured = kind.columns
    figure = {"avg": f", avg(r.{kind.measure}) AS {measured}平均",
              "median": f", percentileCont(r.{kind.measure}, 0.5) AS {measured}中位数",
              None: ""}[frame.figure]
    return CompiledFrame(
        cypher=f"{matched} WITH DISTINCT a, r "
               "WITH [i IN range(0, size($split) - 1) WHERE $split[i] IN labels(a)][0] "
               "AS kind, a, r WHERE kind IS NOT NULL "
               "RETURN $words[kind] AS 类别, count(DISTINCT r) AS 笔数, "
               f"sum(r.{kind.measure}) AS {measured}合计{figure}, "
               f"count(DISTINCT a) AS {first}数 ORDER BY 类别",
        params=params)
