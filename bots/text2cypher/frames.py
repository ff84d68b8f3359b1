"""Questions about the whole register — lists with conditions, rankings, counts and
breakdowns — as a :class:`ListFrame`, compiled to one parameterised read-only Cypher query.

Templates answer questions about one named entity; regulators also ask across the register
(「制造业里注册资本最高的10家企业」, 「2025年以来发生了哪些风险事件」, 「按行业统计企业数量」,
「对外担保总额最高的前5家企业」). :mod:`bots.text2cypher.frame_parser` fills the frame from the
question. Labels, properties and relationship types in a frame are checked against the
ontology before compiling, and every value is a parameter, so the question's words never
reach the Cypher text.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from kg.ontology import Ontology, PropertyDef

Op = Literal["=", "<>", ">=", "<=", ">", "<", "IN", "IS NULL", "CONTAINS"]
PARTY = "Party"
"""The pseudo-label of 「担保方」, 「主体」: a company or a person."""
PARTY_LABELS = ("Company", "Person")
DISTRICT = "district"
STREET = "street"
"""The pseudo-properties a breakdown by district or street groups on (through LOCATED_IN)."""
ACCOUNT_HELD = "HOLDS_ACCOUNT"
"""The relationship by which a party holds the accounts its transfers go through."""
YEAR = "year:"
"""The prefix of a breakdown by the year of a date property (``year:occurred_on``)."""
MONTH = "month:"
"""The prefix of a breakdown by the month of a date property (``month:founded_on``)."""
DATE_PARTS = {YEAR: ("year", "年份"), MONTH: ("month", "月份")}
"""Each date-part prefix with the Cypher field it reads and its column."""
INVOLVED = "EXISTS {{ MATCH ({var})<-[:INVOLVES]-(:RiskEvent) }}"
"""A Cypher condition: the entity ``var`` is involved in a risk event."""
DEFAULT_COLUMNS: dict[str, tuple[str, ...]] = {
    "Company": ("industry",),
    "Fund": ("status", "size"),
    "Product": ("status",),
    "RiskEvent": ("kind", "severity", "occurred_on"),
    "Person": ("birth_year",),
}
"""Properties shown beside each listed entity's name, besides those the question used."""


class Condition(BaseModel):
    """One condition on the listed entities' property: ``n.prop op value`` (``value`` unused
    for ``IS NULL``)."""

    prop: str
    op: Op
    value: str | float | int | list[str]
    is_date: bool = Field(default=False, description="compare as a date (value is ISO text)")


class RelatedCondition(BaseModel):
    """A condition on a related entity: 「被列为失信被执行人的企业」 → an INVOLVES from a
    RiskEvent whose kind is 失信被执行; 「90后当法定代表人的企业」 → an IS_LEGAL_REP from a
    Person born 1990 to 1999."""

    rel: str
    outgoing: bool
    other: str | None = Field(description="the other end's class; None: any the relationship "
                              "reaches")
    prop: str | None = Field(default=None, description="the other end's property compared")
    value: str | list[str] | None = Field(default=None, description="the value, or any of a "
                                          "list")
    involved: bool = Field(default=False, description="the other end is itself involved in a "
                           "risk event (「实际控制人涉及风险事件的企业」)")
    at_least: float | None = Field(default=None, description="the lowest value allowed")
    at_most: float | None = Field(default=None, description="the highest value allowed")


class HoldingBound(BaseModel):
    """A shareholding the listed entities must hold or be held by, above half or whole
    (「持有某家企业一半以上股权的自然人」, 「由一个自然人100%持股的公司」)."""

    outgoing: bool = Field(description="the listed entity is the holder")
    other: str | None = Field(default=None, description="the class at the other end")
    op: Literal[">", "="]
    ratio: float = Field(gt=0, le=1)


class Tally(BaseModel):
    """A count or sum over each listed entity's relationships (对外担保总额, 担任法定代表人几家)."""

    rel: str
    outgoing: bool
    function: Literal["count", "sum"]
    prop: str | None = Field(default=None, description="the relationship property summed")
    column: str
    at_least: float | None = Field(default=None, ge=0, description="keep rows whose tally ≥ this")
    other: str | None = Field(default=None, description="the label counted at the other end")
    other_prop: str | None = Field(default=None, description="the other end's property summed")
    through: str | None = Field(default=None, description="the relationship by which each "
                                "listed entity holds the nodes the counted ones start from "
                                "(HOLDS_ACCOUNT: a person's transfers go through its accounts)")
    counted_column: str | None = Field(default=None, description="a column counting the other "
                                       "ends beside the sum of their property (基金数量)")
    strictly: bool = Field(default=False, description="keep rows whose tally > at_least")
    rel_values: dict[str, str] = Field(default_factory=dict, description="values the "
                                       "relationship must have (职务 财务负责人)")
    other_aggregates: list[Aggregate] = Field(
        default_factory=list, description="figures over the other ends' property, shown beside "
        "the tally (「各银行的贷款产品有几款，最高额度上限是多少」)")
    other_values: dict[str, str | list[str]] = Field(
        default_factory=dict, description="values the other end must have (「久悬账户」: status "
        "久悬), or any of a list")


class Aggregate(BaseModel):
    """A sum, average or median of a numeric property that a count or breakdown also reports
    (or the highest or lowest, over a tally's other ends)."""

    function: Literal["sum", "avg", "median", "max", "min"]
    prop: str


class Companion(BaseModel):
    """Entities related to each listed one, shown beside it (「及其管理人」)."""

    rel: str
    outgoing: bool
    column: str
    other: str | None = Field(default=None, description="the class of the related entities")
    required: bool = Field(default=False, description="list only the entities that have one "
                           "(the question asks for the related ones)")
    involved: bool = Field(default=False, description="only related entities themselves "
                           "involved in a risk event")
    job: str | None = Field(default=None, description="the SERVES_AS title the relationship "
                            "carries (「没有监事的公司」)")


class ListFrame(BaseModel):
    """What a register-wide question asks: which entities, under which conditions, how
    ordered and how many, or only their count or breakdown."""

    label: str
    conditions: list[Condition] = Field(default_factory=list)
    related: list[RelatedCondition] = Field(default_factory=list)
    lacking: list[Companion] = Field(default_factory=list,
                                     description="relationships the entities must not have")
    excluded: list[str] = Field(default_factory=list,
                                description="narrower classes left out (不算银行, 非贷款类)")
    excluded_ids: list[str] = Field(default_factory=list,
                                    description="named entities left out (除了滨江担保以外)")
    district_id: str | None = Field(default=None, description="a district or street id")
    holding: HoldingBound | None = None
    tally: Tally | None = None
    group_by: str | None = None
    then_by: str | None = Field(default=None, description="a second property, or a date's "
                                "year, the counts are broken down by (「按年份和类型统计」)")
    per_related: Companion | None = Field(
        default=None, description="the related entities whose own first entities are asked "
        "(「每个私募管理人手里规模最大的是哪只基金」: per manager)")
    top_per_group: bool = Field(default=False, description="the first entities of each group "
                                "in the frame's order, not counts (「每个行业里注册资本最高的"
                                "是哪家」)")
    shared_only: bool = Field(default=False, description="only values several entities share")
    group_floor: int | None = Field(default=None, ge=0, description="keep only the groups "
                                    "counting more than this (「超过5家公司的地址」)")
    share: bool = Field(default=False, description="the share of the label's entities that "
                        "meet the conditions, instead of the entities")
    group_share: bool = Field(default=False, description="each group's count as a percentage "
                              "of all the label's entities (「每种状态有多少家、占全部企业的"
                              "百分之几」)")
    district_shown: bool = Field(default=False, description="each listed entity's district "
                                 "shown beside it (「分别位于哪个区县」)")
    digits: int = Field(default=2, ge=0, le=6, description="the decimal places of a "
                        "percentage (「按百分比保留一位小数」)")
    share_base: list[Condition] = Field(default_factory=list, description="conditions the "
                                        "whole of a share meets (「制造业企业中」)")
    share_in_district: bool = Field(default=False, description="the whole of a share is the "
                                    "district's entities (「江北区企业中」)")
    count_only: bool = False
    tally_share: bool = Field(default=False, description="each count tally as a share of "
                              "all the label's relationships of its kind (「四家银行各开了多少个"
                              "账户？各占全部账户的比例」)")
    tally_average: bool = Field(default=False, description="the tally's average over the "
                                "listed entities, those without any counting 0 (「平均每家企业"
                                "登记了几名高管」)")
    order_by: str | None = Field(default=None, description="a property, or 'tally'")
    descending: bool = True
    limit: int | None = Field(default=None, ge=1, le=1000)
    aggregates: list[Aggregate] = Field(default_factory=list)
    shown: list[str] = Field(default_factory=list, description="properties the question names")
    companions: list[Companion] = Field(default_factory=list)


class CompiledFrame(BaseModel):
    """The Cypher of a frame and its parameters."""

    cypher: str
    params: dict[str, Any]


def plain_label(label_zh: str) -> str:
    """A property's Chinese label without its unit: 「注册资本（万元）」 → 注册资本."""
    return re.sub(r"（.*?）|\(.*?\)", "", label_zh)


def label_properties(ontology: Ontology, label: str) -> dict[str, PropertyDef]:
    """The properties of a label, or those a company and a person share for 「主体」."""
    if label != PARTY:
        return ontology.node_properties(label)
    first, *others = (ontology.node_properties(lab) for lab in PARTY_LABELS)
    return {k: v for k, v in first.items() if all(k in o for o in others)}


def label_lineage(ontology: Ontology, label: str) -> set[str]:
    """The classes a label is (for a party, those of a company and of a person)."""
    labels = PARTY_LABELS if label == PARTY else (label,)
    return {a for lab in labels for a in ontology.ancestors(lab)}


def date_part(grouping: str) -> tuple[str, str | None]:
    """The property a grouping reads and its date-part prefix (None for a plain property):
    ``month:founded_on`` → (founded_on, month:)."""
    part = next((prefix for prefix in DATE_PARTS if grouping.startswith(prefix)), None)
    return grouping.removeprefix(part or ""), part


def _checked_properties(frame: ListFrame, ontology: Ontology) -> dict[str, PropertyDef]:
    """The listed label's properties, once every property and relationship type the frame
    uses is known to the ontology (ValueError naming those that are not)."""
    props = label_properties(ontology, frame.label)
    used = [c.prop for c in frame.conditions] + [a.prop for a in frame.aggregates]
    used += [date_part(p)[0] for p in (frame.group_by, frame.then_by)
             if p and p not in (DISTRICT, STREET)]
    used += _sorted_property(frame) + frame.shown
    unknown = [p for p in used if p not in props]
    unknown += [f"{r.other}.{r.prop}" for r in frame.related if r.prop is not None and (
        r.other is None or r.prop not in label_properties(ontology, r.other))]
    if frame.tally and (frame.tally.other_values or frame.tally.other_aggregates):
        if frame.tally.other is None:
            raise ValueError("values or figures at the other end of a tally need its class")
        other_props = ontology.node_properties(frame.tally.other)
        unknown += [f"{frame.tally.other}.{p}" for p in frame.tally.other_values
                    if p not in other_props]
        unknown += [f"{frame.tally.other}.{a.prop}" for a in frame.tally.other_aggregates
                    if a.prop not in other_props]
    if unknown:
        raise ValueError(f"{frame.label} has no properties {unknown}")
    rels = [r.rel for r in frame.related] + [c.rel for c in frame.companions]
    rels += [lack.rel for lack in frame.lacking] + (["HOLDS_SHARES"] if frame.holding else [])
    rels += [frame.per_related.rel] if frame.per_related else []
    rels += [r for r in (frame.tally.rel, frame.tally.through) if r] if frame.tally else []
    if frame.tally and (unknown_rel := [p for p in frame.tally.rel_values
                                        if p not in ontology.rel_properties(frame.tally.rel)]):
        raise ValueError(f"{frame.tally.rel} has no properties {unknown_rel}")
    others = [c.other for c in frame.companions if c.other] + frame.excluded
    others += [frame.tally.other] if frame.tally and frame.tally.other else []
    others += [frame.holding.other] if frame.holding and frame.holding.other else []
    if unknown_classes := [o for o in others if o not in ontology.classes]:
        raise ValueError(f"unknown classes {unknown_classes}")
    missing = [r for r in rels if r not in ontology.relationships]
    if missing:
        raise ValueError(f"unknown relationship types {missing}")
    return props


def _sorted_property(frame: ListFrame) -> list[str]:
    """The property the frame sorts on, as a list of none or one."""
    return [frame.order_by] if frame.order_by and frame.order_by != "tally" else []


def label_pattern(label: str) -> str:
    """The label expression of a class in a MATCH: 「主体」 (PARTY) is a company or a person."""
    return "|".join(PARTY_LABELS) if label == PARTY else label


def located_in(var: str, param: str) -> str:
    """A Cypher condition: ``var`` is registered in the district or street whose id is the
    parameter ``param``, directly or through one of the district's streets."""
    return (f"(({var})-[:LOCATED_IN]->(:Region {{id: ${param}}}) OR "
            f"({var})-[:LOCATED_IN]->(:Street)-[:PART_OF]->(:District {{id: ${param}}}))")


def _arrow(rel: str, outgoing: bool, var: str = "") -> str:
    return f"-[{var}:{rel}]->" if outgoing else f"<-[{var}:{rel}]-"


def _equals(value: str | list[str]) -> str:
    """The comparison of a property with a value, or with any of a list of values."""
    return "IN" if isinstance(value, list) else "="


def _where(frame: ListFrame, params: dict[str, Any], prefix: str = "v") -> str:
    clauses = []
    for i, condition in enumerate(frame.conditions):
        if condition.op == "IS NULL":
            clauses.append(f"n.{condition.prop} IS NULL")
            continue
        name = f"{prefix}{i}"
        params[name] = condition.value
        value = f"date(${name})" if condition.is_date else f"${name}"
        clauses.append(f"n.{condition.prop} {condition.op} {value}")
    for i, related in enumerate(frame.related):
        name = f"{prefix}r{i}"
        tests = []
        for suffix, bound, compare in (("", related.value, None), ("lo", related.at_least, ">="),
                                       ("hi", related.at_most, "<=")):
            if bound is not None:
                params[f"{name}{suffix}"] = bound
                compare = compare or _equals(related.value or "")
                tests.append(f"x.{related.prop} {compare} ${name}{suffix}")
        if related.involved:
            tests.append(INVOLVED.format(var="x"))
        where = f" WHERE {' AND '.join(tests)}" if tests else ""
        other = f":{label_pattern(related.other)}" if related.other else ""
        clauses.append(f"EXISTS {{ MATCH (n){_arrow(related.rel, related.outgoing)}"
                       f"(x{other}){where} }}")
    for i, lack in enumerate(frame.lacking):
        if lack.job is None:
            clauses.append(f"NOT EXISTS {{ MATCH (n){_arrow(lack.rel, lack.outgoing)}() }}")
            continue
        params[f"{prefix}job{i}"] = lack.job
        clauses.append(f"NOT EXISTS {{ MATCH (n){_arrow(lack.rel, lack.outgoing, 'j')}() "
                       f"WHERE j.title = ${prefix}job{i} }}")
    if frame.holding is not None:
        params[f"{prefix}hold"] = frame.holding.ratio
        other = f":{frame.holding.other}" if frame.holding.other else ""
        clauses.append(f"EXISTS {{ MATCH (n){_arrow('HOLDS_SHARES', frame.holding.outgoing, 'h')}"
                       f"(x{other}) WHERE h.ratio {frame.holding.op} ${prefix}hold }}")
    clauses += [f"NOT n:{label}" for label in frame.excluded]
    if frame.excluded_ids:
        params["excluded_ids"] = frame.excluded_ids
        clauses.append("NOT n.id IN $excluded_ids")
    if frame.district_id:
        params["district"] = frame.district_id
        clauses.append(located_in("n", "district"))
    return f" WHERE {' AND '.join(clauses)}" if clauses else ""


def compile_frame(frame: ListFrame, ontology: Ontology) -> CompiledFrame:
    """The frame as one read-only Cypher query with parameters (ValueError for
    a property or relationship type the ontology does not know)."""
    props = _checked_properties(frame, ontology)
    params: dict[str, Any] = {}
    pattern = label_pattern(frame.label)
    where = _where(frame, params)
    head = f"MATCH (n:{pattern}){where}"
    if frame.per_related is not None and frame.order_by not in (None, "tally"):
        return _top_per_group(frame, head, params, props)
    if frame.group_by:
        return _breakdown(frame, head, params, props)
    if frame.share:
        return _share(frame, pattern, where, params)
    if frame.tally and frame.tally_average:
        return _averaged(frame, frame.tally, head, params)
    if frame.count_only and not frame.tally:
        return CompiledFrame(cypher=f"{head} RETURN count(n) AS 数量{_aggregated(frame, props)}",
                             params=params)
    other_props = (ontology.node_properties(frame.tally.other)
                   if frame.tally and frame.tally.other else {})
    return _listing(frame, head, params, props, other_props, ontology)


def _listing(frame: ListFrame, head: str, params: dict[str, Any],
             props: dict[str, PropertyDef], other_props: dict[str, PropertyDef],
             ontology: Ontology) -> CompiledFrame:
    """The entities themselves (or their count after a tally), ranked, cut and shown with the
    properties and companions the frame asks for."""
    parts = [head]
    carried = "n"
    if frame.tally:
        parts += _tallied(frame.tally, params)
        if frame.count_only:
            parts.append("RETURN count(n) AS 数量")
            return CompiledFrame(cypher=" ".join(parts), params=params)
        carried = "n, tally"
    order = ""
    if frame.order_by:
        key = "tally" if frame.order_by == "tally" else f"n.{frame.order_by}"
        order = f"{key} {'DESC' if frame.descending else 'ASC'}, n.id"
        if frame.order_by != "tally":
            parts.append(f"WITH {carried} WHERE {key} IS NOT NULL")
        if frame.limit:
            params["limit"] = frame.limit
            parts.append(_top_with_ties(frame, carried, order))
    elif frame.limit:
        params["limit"] = frame.limit
        parts.append(f"WITH {carried} ORDER BY n.id LIMIT $limit")
    columns = ["n.name AS 名称", "n.id AS 编号"]
    shown = [c.prop for c in frame.conditions]
    shown += _sorted_property(frame) + frame.shown
    shown += [p for p in DEFAULT_COLUMNS.get(frame.label, ()) if p in props]
    for prop in dict.fromkeys(p for p in shown if p not in ("name", "id")):
        columns.append(f"n.{prop} AS {_column(props[prop].label_zh)}")
    if frame.tally:
        columns += _tally_columns(frame, frame.tally, other_props)
    for i, companion in enumerate(frame.companions):
        other = f":{companion.other}" if companion.other else ""
        involved = f" WHERE {INVOLVED.format(var=f'j{i}')}" if companion.involved else ""
        parts.append(f"{'' if companion.required else 'OPTIONAL '}MATCH "
                     f"(n){_arrow(companion.rel, companion.outgoing)}(j{i}{other}){involved}")
        columns.append(f"j{i}.name AS {_column(companion.column)}")
        ends = ontology.relationships[companion.rel]
        if companion.other in (None, "Person") and "Person" in (
                ends.range if companion.outgoing else ends.domain):  # tells namesakes apart
            columns.append(f"j{i}.birth_year AS {_column(companion.column + '出生年份')}")
    if frame.district_shown:
        parts.append("OPTIONAL MATCH (n)-[:LOCATED_IN]->(place) "
                     "OPTIONAL MATCH (place)-[:PART_OF]->(up:District)")
        columns.append("CASE WHEN place:District THEN place.name ELSE up.name END AS 区县")
    parts.append(f"RETURN {', '.join(columns)} ORDER BY {order or 'n.id'}")
    return CompiledFrame(cypher=" ".join(parts), params=params)


def _percent(part: str, frame: ListFrame, params: dict[str, Any]) -> str:
    """``part`` out of 总数 as a percentage, to the frame's decimal places."""
    params["digits"] = frame.digits
    return f"round(100.0 * {part} / 总数, $digits)"


def _share(frame: ListFrame, pattern: str, where: str, params: dict[str, Any]
           ) -> CompiledFrame:
    """How many of the label's entities meet the frame's conditions, out of how many (all, or
    those of its base: 「江北区企业中制造业占比」, both holding the role the frame requires:
    「法定代表人中女性所占比例」), and the share (「吊销的企业占全部企业的比例」)."""
    whole = ListFrame(label=frame.label, conditions=frame.share_base, excluded=frame.excluded,
                      district_id=frame.district_id if frame.share_in_district else None)
    base = _where(whole, params, "b")
    if frame.tally is not None and frame.tally.at_least == 1 and frame.tally.function == "count":
        # a role the conditions are asked within (「法定代表人中女性所占比例」), or, with no
        # other condition, what is asked (「有银行账户的企业占全部企业的比例」)
        held = f"EXISTS {{ (n){_arrow(frame.tally.rel, frame.tally.outgoing)}() }}"
        where = f"{where} AND {held}" if where else f" WHERE {held}"
        if frame.conditions or frame.related:
            base = f"{base} AND {held}" if base else f" WHERE {held}"
    return CompiledFrame(
        cypher=f"MATCH (n:{pattern}){base} WITH count(n) AS 总数 MATCH (n:{pattern}){where} "
               "WITH 总数, count(n) AS 数量 "
               "RETURN 数量, 总数, CASE WHEN 总数 = 0 THEN null "
               "ELSE toFloat(数量) / 总数 END AS 占比, CASE WHEN 总数 = 0 THEN null "
               f"ELSE {_percent('数量', frame, params)} END AS 占比百分比",
        params=params)


def _averaged(frame: ListFrame, tally: Tally, head: str, params: dict[str, Any]
              ) -> CompiledFrame:
    """The tally's average over the listed entities (none counting 0), highest and lowest."""
    average = _column(f"平均{tally.column}")
    return CompiledFrame(
        cypher=" ".join([head, *_tallied(tally, params, optional=True),
                         f"RETURN avg(tally) AS {average}, max(tally) AS 最大值, "
                         "min(tally) AS 最小值, count(n) AS 数量"]),
        params=params)


def _tally_columns(frame: ListFrame, tally: Tally, other_props: dict[str, PropertyDef]
                   ) -> list[str]:
    """RETURN items of a listing's tally: itself, how many other ends it sums over, its share
    of all, figures over its other ends."""
    columns = [f"tally AS {_column(tally.column)}"]
    if tally.counted_column:
        columns.append(_other_end_count(tally))
    if frame.tally_share and tally.function == "count":
        columns.append(_share_of_all(tally, frame.label))
    return columns + [_other_end_figure(tally, a, other_props) for a in tally.other_aggregates]


def _share_of_all(tally: Tally, label: str) -> str:
    """A RETURN item: the tally out of all the label's relationships it counts."""
    pattern = label_pattern(label)
    other = f":{tally.other}" if tally.other else ""
    where = " AND ".join(_other_end_where(tally)[0])
    every = (f"COUNT {{ (x:{pattern}){_arrow(tally.rel, tally.outgoing, 'r')}(t{other})"
             f"{' WHERE ' + where if where else ''} }}")
    return f"CASE WHEN {every} = 0 THEN null ELSE toFloat(tally) / {every} END AS 占比"


def _other_end_count(tally: Tally) -> str:
    """A RETURN item: how many other ends the tally sums the property of."""
    other = f":{tally.other}" if tally.other else ""
    where = " AND ".join(_other_end_where(tally)[0])
    return (f"COUNT {{ {_tally_path(tally, other)}"
            f"{' WHERE ' + where if where else ''} }} AS {_column(tally.counted_column or '数量')}")


def _other_end_figure(tally: Tally, aggregate: Aggregate, props: dict[str, PropertyDef]
                      ) -> str:
    """A RETURN item: the highest, lowest, average or total of the tally's other ends'
    property (the same other ends the tally counts)."""
    where = " AND ".join([f"t.{aggregate.prop} IS NOT NULL", *_other_end_where(tally)[0]])
    values = (f"[(n){_arrow(tally.rel, tally.outgoing, 'r')}(t:{tally.other}) WHERE {where} "
              f"| t.{aggregate.prop}]")
    folded = {
        "max": f"reduce(m = null, x IN {values} | CASE WHEN m IS NULL OR x > m THEN x ELSE m END)",
        "min": f"reduce(m = null, x IN {values} | CASE WHEN m IS NULL OR x < m THEN x ELSE m END)",
        "sum": f"reduce(s = 0.0, x IN {values} | s + x)",
        "avg": f"CASE WHEN size({values}) = 0 THEN null "
               f"ELSE reduce(s = 0.0, x IN {values} | s + x) / size({values}) END",
    }
    if aggregate.function not in folded:
        raise ValueError(f"no {aggregate.function} over a tally's other ends")
    words = _FIGURE_TITLES[aggregate.function]
    label = plain_label(props[aggregate.prop].label_zh)
    title = label if label.startswith(words) else f"{words}{label}"
    return f"{folded[aggregate.function]} AS {_column(title)}"


def _other_end_where(tally: Tally) -> tuple[list[str], dict[str, Any]]:
    """The conditions on the other end's (``t``) and the relationship's (``r``) values, and
    the parameters they name."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for i, (prop, value) in enumerate(sorted(tally.other_values.items())):
        clauses.append(f"t.{prop} {_equals(value)} $tv{i}")
        params[f"tv{i}"] = value
    for i, (prop, value) in enumerate(sorted(tally.rel_values.items())):
        clauses.append(f"r.{prop} = $rv{i}")
        params[f"rv{i}"] = value
    return clauses, params


def _tally_path(tally: Tally, other: str) -> str:
    """The pattern from a listed entity ``n`` along the tally's relationship ``r`` to ``t``."""
    start = f"(n)-[:{tally.through}]->()" if tally.through else "(n)"
    return f"{start}{_arrow(tally.rel, tally.outgoing, 'r')}(t{other})"


def _tallied(tally: Tally, params: dict[str, Any], optional: bool = False) -> list[str]:
    """The clauses that count or sum each entity's relationships (``optional``: entities
    without any kept, at 0), and keep those above the tally's floor."""
    measure = "count(DISTINCT t)"
    if tally.function == "sum":
        measure = (f"sum(coalesce(t.{tally.other_prop}, 0))" if tally.other_prop
                   else f"sum(coalesce(r.{tally.prop}, 0))")
    other = f":{tally.other}" if tally.other else ""
    where, named = _other_end_where(tally)
    params.update(named)
    match = "OPTIONAL MATCH" if optional else "MATCH"
    clauses = [f"{match} {_tally_path(tally, other)}"
               f"{' WHERE ' + ' AND '.join(where) if where else ''} "
               f"WITH n, {measure} AS tally"]
    if tally.at_least is not None:
        params["at_least"] = tally.at_least
        compare = ">" if tally.strictly else ">="
        clauses.append(f"WITH n, tally WHERE tally {compare} $at_least")
    return clauses


def _top_with_ties(frame: ListFrame, carried: str, order: str) -> str:
    """The first ``limit`` rows in order, and any tied with the last of them: 「最多的是哪家」
    names every company tied at the top rather than an arbitrary one."""
    with_tally = frame.tally is not None
    row = "{n: n, tally: tally}" if with_tally else "{n: n}"
    unpacked = "row.n AS n, row.tally AS tally" if with_tally else "row.n AS n"
    key = "tally" if frame.order_by == "tally" else f"n.{frame.order_by}"
    last = "last.tally" if frame.order_by == "tally" else f"last.n.{frame.order_by}"
    keep = ">=" if frame.descending else "<="
    return (f"WITH {carried} ORDER BY {order} WITH collect({row}) AS ranked "
            "WITH ranked, ranked[CASE WHEN size(ranked) < $limit THEN size(ranked) - 1 "
            "ELSE $limit - 1 END] AS last UNWIND ranked AS row "
            f"WITH {unpacked}, last WHERE {key} {keep} {last}")


_DISTRICT_OF_N = ("MATCH (n)-[:LOCATED_IN]->(r) OPTIONAL MATCH (r)-[:PART_OF]->(up:District) "
                  "WITH n, CASE WHEN r:District THEN r ELSE up END AS d WHERE d IS NOT NULL")
"""The district ``d`` each listed entity ``n`` is registered in, directly or by its street."""


def _breakdown(frame: ListFrame, head: str, params: dict[str, Any],
               props: dict[str, Any]) -> CompiledFrame:
    """Counts per value of the grouped property (only values several entities share, with
    their names, when the frame asks for those; only those counting more than its floor), or
    per district or street, of the entities holding the frame's relationship when it has one
    (「各区发生过风险事件的企业」)."""
    if frame.group_share and (frame.conditions or frame.related) and frame.tally is None and (
            frame.group_by == DISTRICT or frame.group_by in props):
        return _share_per_group(frame, params, props)
    if frame.tally is not None and frame.tally.at_least is not None:
        params["at_least"] = frame.tally.at_least
        other = f":{frame.tally.other}" if frame.tally.other else ""
        head += (f" WITH n WHERE COUNT {{ (n){_arrow(frame.tally.rel, frame.tally.outgoing)}"
                 f"({other}) }} >= $at_least")
    ascending = frame.order_by is not None and not frame.descending
    ordered = next((a for a in frame.aggregates if a.prop == frame.order_by), None)
    key = _aggregate_column(ordered, props) if ordered else "数量"
    order = f"{key} {'ASC' if ascending else 'DESC'}"
    limit = ""
    if frame.limit:
        params["limit"] = frame.limit
        limit = " LIMIT $limit"
    then, then_column = _second_grouping(frame, props)
    if frame.top_per_group and frame.order_by and frame.order_by != "tally" and not then:
        return _top_per_group(frame, head, params, props)
    if frame.group_by == DISTRICT:
        return CompiledFrame(
            cypher=f"{head} {_DISTRICT_OF_N} "
                   f"RETURN d.name AS 区县{then}, count(DISTINCT n) AS 数量"
                   f"{_aggregated(frame, props)} ORDER BY {order}, 区县{then_column}{limit}",
            params=params)
    if frame.group_by == STREET:
        return CompiledFrame(
            cypher=f"{head} MATCH (n)-[:LOCATED_IN]->(r:Street) "
                   f"RETURN r.name AS 街道, count(DISTINCT n) AS 数量 "
                   f"ORDER BY {order}, 街道{limit}",
            params=params)
    assert frame.group_by is not None
    prop, part = date_part(frame.group_by)
    if part is not None:
        field, column = DATE_PARTS[part]
        return CompiledFrame(
            cypher=f"{head} WITH n.{prop}.{field} AS {column}, n "
                   f"WHERE {column} IS NOT NULL RETURN {column}{then}, count(n) AS 数量"
                   f"{_aggregated(frame, props)} ORDER BY {column}{then_column}{limit}",
            params=params)
    column = _column(props[frame.group_by].label_zh)
    if frame.shared_only or frame.group_floor is not None:
        params["floor"] = frame.group_floor if frame.group_floor is not None else 1
        names = ", names AS 名单" if frame.shared_only else ""
        return CompiledFrame(
            cypher=f"{head} WITH n.{frame.group_by} AS value, collect(n.name) AS names "
                   f"WHERE value IS NOT NULL AND size(names) > $floor "
                   f"RETURN value AS {column}, size(names) AS 数量{names} "
                   f"ORDER BY {order}, {column}{limit}",
            params=params)
    share = ""
    if frame.group_share and frame.tally is None:  # out of every entity of the label
        head = f"MATCH (every:{label_pattern(frame.label)}) WITH count(every) AS 总数 {head}"
        share = (", 总数, CASE WHEN 总数 = 0 THEN null "
                 f"ELSE {_percent('count(*)', frame, params)} END AS 占比百分比")
    return CompiledFrame(
        cypher=f"{head} RETURN n.{frame.group_by} AS {column}{then}, count(*) AS 数量{share}"
               f"{_aggregated(frame, props)} "
               f"ORDER BY {order}, {column}{then_column}{limit}",
        params=params)


def _share_per_group(frame: ListFrame, params: dict[str, Any], props: dict[str, Any]
                     ) -> CompiledFrame:
    """How many of each group's entities meet the frame's conditions, out of how many, and
    the share (「各区县吊销和注销的企业占本区企业总数的比例」)."""
    whole = ListFrame(label=frame.label, conditions=frame.share_base, excluded=frame.excluded,
                      district_id=frame.district_id)
    asked = ListFrame(label=frame.label, conditions=frame.conditions, related=frame.related)
    met = _where(asked, params).removeprefix(" WHERE ")
    head = f"MATCH (n:{label_pattern(frame.label)}){_where(whole, params, 'b')}"
    grouped, column, _ = _grouped(frame, head, props)
    return CompiledFrame(
        cypher=f"{grouped} WHERE g IS NOT NULL WITH g, count(DISTINCT n) AS 总数, "
               f"count(DISTINCT CASE WHEN {met} THEN n END) AS 数量 "
               f"RETURN g AS {column}, 数量, 总数, toFloat(数量) / 总数 AS 占比, "
               f"{_percent('数量', frame, params)} AS 占比百分比 ORDER BY 占比 DESC, "
               f"{column}", params=params)


def _grouped(frame: ListFrame, head: str, props: dict[str, Any]) -> tuple[str, str, str]:
    """The query so far (``head``) with each entity's group as ``g``: its related owner, its
    district or street, a part of a date, or a property's value; the group's column title,
    and what of ``g`` that column shows."""
    prop, part = date_part(frame.group_by or "")
    if (related := frame.per_related) is not None:
        other = f":{label_pattern(related.other)}" if related.other else ""
        return (f"{head} MATCH (n){_arrow(related.rel, related.outgoing)}(owner{other}) "
                "WITH n, owner AS g", _column(related.column), "g.name")
    if frame.group_by == DISTRICT:
        return f"{head} {_DISTRICT_OF_N} WITH n, d.name AS g", "区县", "g"
    if frame.group_by == STREET:
        return (f"{head} MATCH (n)-[:LOCATED_IN]->(r:Street) WITH n, r.name AS g", "街道",
                "g")
    if part is not None:
        field, column = DATE_PARTS[part]
        return f"{head} WITH n, n.{prop}.{field} AS g", column, "g"
    return f"{head} WITH n, n.{prop} AS g", _column(props[prop].label_zh), "g"


def _top_per_group(frame: ListFrame, head: str, params: dict[str, Any],
                   props: dict[str, Any]) -> CompiledFrame:
    """The first entities of each group in the frame's order, with any tied with the last of
    them (「每个行业里注册资本最高的是哪家公司」, 「各区注册资本前3的企业」)."""
    assert frame.order_by is not None
    params["limit"] = frame.limit or 1
    grouped, column, shown = _grouped(frame, head, props)
    key = f"n.{frame.order_by}"
    keep = ">=" if frame.descending else "<="
    return CompiledFrame(
        cypher=f"{grouped} WHERE g IS NOT NULL AND {key} IS NOT NULL "
               f"WITH g, n ORDER BY {key} {'DESC' if frame.descending else 'ASC'}, n.id "
               "WITH g, collect(n) AS ranked "
               "WITH g, ranked, ranked[CASE WHEN size(ranked) < $limit THEN size(ranked) - 1 "
               "ELSE $limit - 1 END] AS last UNWIND ranked AS n WITH g, n, last "
               f"WHERE {key} {keep} last.{frame.order_by} "
               f"RETURN {shown} AS {column}, n.name AS 名称, n.id AS 编号, "
               f"{key} AS {_column(props[frame.order_by].label_zh)} "
               f"ORDER BY {column}, {key} {'DESC' if frame.descending else 'ASC'}, 编号",
        params=params)


def _second_grouping(frame: ListFrame, props: dict[str, Any]) -> tuple[str, str]:
    """The RETURN item of a cross count's second grouping and its ORDER BY item, each with a
    leading comma; empty when the frame has none."""
    if frame.then_by is None:
        return "", ""
    prop, part = date_part(frame.then_by)
    if part is not None:
        field, column = DATE_PARTS[part]
        return f", n.{prop}.{field} AS {column}", f", {column}"
    column = _column(props[frame.then_by].label_zh)
    return f", n.{frame.then_by} AS {column}", f", {column}"


def _aggregated(frame: ListFrame, props: dict[str, Any]) -> str:
    """The RETURN items of the frame's sums and averages, each with a leading comma."""
    return "".join(f", {_aggregate(a)} AS {_aggregate_column(a, props)}"
                   for a in frame.aggregates)


_FIGURE_TITLES = {"max": "最高", "min": "最低", "sum": "合计", "avg": "平均"}
"""The word a figure's column starts with."""


def _aggregate(aggregate: Aggregate) -> str:
    if aggregate.function == "median":
        return f"percentileCont(n.{aggregate.prop}, 0.5)"
    return f"{aggregate.function}(n.{aggregate.prop})"


def _aggregate_column(aggregate: Aggregate, props: dict[str, Any]) -> str:
    label = props[aggregate.prop].label_zh
    if aggregate.function == "median":
        return _column(f"{label}中位数")
    return _column(_FIGURE_TITLES[aggregate.function] + label)


def _column(label_zh: str) -> str:
    """A Chinese label as a Cypher alias: 「注册资本（万元）」 → 注册资本_万元."""
    cleaned = label_zh.replace("（", "_").replace("(", "_").replace("）", "").replace(")", "")
    return f"`{cleaned}`"
