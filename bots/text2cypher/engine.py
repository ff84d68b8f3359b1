"""One question through a frame or a template, else the LLM, always read-only: what ran and
its rows.

:func:`answer_question` finds the names the question gives (stored forms, then shortened
ones, :mod:`~bots.text2cypher.abbreviations`). Money moved inside a named controller's group
runs its :mod:`~bots.text2cypher.group_transfers` query, a walk of several relationships its
:mod:`~bots.text2cypher.chains` path. One person holding two roles towards one company
across the register runs its :mod:`~bots.text2cypher.role_overlap` query, a question about
single relationships across the register its :mod:`~bots.text2cypher.edge_frames` frame, one
about the register as
a whole (conditions, rankings, counts, breakdowns) its :mod:`~bots.text2cypher.frames`
frame; otherwise it resolves the entity the question names (ambiguous → the candidates, told
apart by birth year or gender when the question gives one, or each of them when it asks
about each; missing → "not found"), runs the chosen template (a named risk query, or a
lookup through :class:`kg.cypher_guard.CypherGuard`) for it and any entity it is compared
with, adds the facts asked of the rows' entities, and shapes the rows as asked (kept,
ranked, totalled, counted). Beyond all these it lets the LLM write Cypher that the guard must
accept. It never runs Cypher the guard refused, and says so when nothing ran.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from bots.guarded_rewrite import Completer
from bots.text2cypher.abbreviations import (
    abbreviated_mentions,
    event_mentions,
    short_names_of,
)
from bots.text2cypher.asked_columns import ID_COLUMN, with_asked_columns
from bots.text2cypher.blanks import blank_span
from bots.text2cypher.chains import (
    Chain,
    compile_chain,
    compile_holding_through,
    parse_chain,
    parse_event_chain,
    parse_holding_through,
)
from bots.text2cypher.clauses import side_by_side, two_parts
from bots.text2cypher.edge_frames import compile_edge_frame, parse_edge_frame
from bots.text2cypher.frame_parser import parse_frame
from bots.text2cypher.frames import CompiledFrame, ListFrame, compile_frame, located_in
from bots.text2cypher.group_transfers import (
    GroupTransfers,
    compile_group_transfers,
    parse_group_transfers,
)
from bots.text2cypher.llm_cypher import LLMCypherError, write_cypher
from bots.text2cypher.role_overlap import (
    RoleOverlap,
    compile_role_overlap,
    parse_role_overlap,
)
from bots.text2cypher.shaping import (
    SUBJECT_COLUMN,
    counts_by_column,
    counts_per_subject,
    difference_of_two,
    drop_named_entities,
    keep_named_entities,
    keep_named_values,
    kept_by_figures,
    members_asked,
    ranked_rows,
    shape_rows,
    totals_each_way,
    totals_per_named_value,
    totals_per_party,
    years_founded,
)
from bots.text2cypher.templates import (
    PLACEHOLDER,
    TEMPLATES,
    Template,
    TemplateMatch,
    match_template,
    normalise,
    template_named,
)
from bots.text2cypher.vocabulary import GraphVocabulary, vocabulary_of
from kg.cypher_guard import CypherGuard, UnsafeCypherError
from kg.errors import NotFoundError
from kg.mentions import Candidate, Mention, MentionIndex
from kg.ontology import city_now
from kg.risk import run_query
from kg.risk.graph import RiskGraph
from kg.store import GraphStore

log = logging.getLogger(__name__)

Status = Literal["answered", "clarify", "not_found", "unanswered", "refused"]
_REGION_LABELS = frozenset({"District", "Street"})
_ORGANISATION = re.compile(
    r"[一-龥]{2,12}?(?P<form>集团|有限公司|股份公司|银行|小贷|城投|置业|实业)")
_NOT_NAME = re.compile(
    r"[的是和与及在各都了非]|[哪几每各多少一二两三四五六七八九十0-9]+[家个]|哪些|所有|全部|不算|不含|"
    r"不包括|除了?|持有|持股|入股|参股|"
    r"任何|任一|其他|其它|别的|开户|发行|托管|收款|付款|转出|转入|所属")
"""Words a name does not hold: what stands before the last of them is not part of the name
(「各是哪家银行」, 「注明开户银行」 name no bank)."""
_THE_CITY = re.compile(r"(?:市)?(?:的)?(?:各|每个|所有|全部|下面各|下辖各)个?(?:区|县|街道|乡镇)")
"""After a place's name, it names the city, not its namesake district: 「滨江各区县」."""
_PLACE = re.compile(r"([一-龥]{1,6}?(?:新区|区|县|街道|镇|乡))(?:有|的|内|里|注册|辖区|范围)")
_GENERIC_PLACE = re.compile(r"区县|各|每|哪|几|统计")
_NOT_PLACES = frozenset({"全区", "本区", "辖区", "地区", "园区", "城区", "市区", "社区", "小区",
                         "该区", "全县", "本县"})
_BORN = re.compile(r"(\d{4}|\d{2})年(?:出生|生|的|那个|那位)|生于(\d{4})|"
                   r"(?<!\d)(19\d{2})(?![\d年])")
"""A birth year that tells same-name persons apart (「1972年出生的」, terse: 「王建国 1972」)."""
_GENDER = re.compile(r"(男|女)(?:性|士)")
_EXCLUDED = re.compile(r"除了?$|除去$|不含$|不算$")
_COMMON_ASKED = re.compile(
    r"既.{1,16}又|同时.{0,4}(?:投|持有|担任|管理|买)|都(?:投|持有|担任|买|直接持股)|共同")
_EACH_ASKED = re.compile(r"各自|分别|各多少|各是|对比|比较|相比|比一比|哪个更|哪家更|谁更|两家|"
                         r"两者|都是|"
                         r"各[一-龥]{1,3}?(?:几|多少)|"
                         r"哪(?:个|家|只|位)的?[一-龥]{1,10}更|"
                         r"谁的[一-龥]{1,6}(?:更|大|高|多|小|低|少)|差多少|相差")
_EDGE_TITLE = "逐笔关系"
_CHAIN_TITLE = "关系链"
_LABEL_ZH = {"Company": "企业", "Person": "自然人", "Fund": "基金", "Product": "金融产品",
             "RiskEvent": "风险事件", "District": "区县", "Street": "街道", "Party": "主体"}


class GraphResult(BaseModel):
    """What was run for a question and what came back (or why nothing ran)."""

    question: str
    status: Status
    source: str = Field(description="the template's name, 'llm', or '' when nothing ran")
    title_zh: str = ""
    risk_query: str | None = Field(default=None, description="the named kg.risk query run")
    cypher: str | None = Field(default=None, description="the Cypher the guard ran")
    params: dict[str, Any] = Field(default_factory=dict)
    columns: list[str] = Field(default_factory=list)
    rows: list[list[Any]] = Field(default_factory=list)
    truncated: bool = False
    subgraph: RiskGraph | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    message: str = Field(default="", description="why it did not answer, in Chinese")
    refusal: str | None = Field(default=None, description="the guard's reason code")


def run_risk(store: GraphStore, name: str, params: dict[str, Any]) -> GraphResult:
    """Run the named risk query of template ``name``'s kind and flatten its rows."""
    template = template_named(name)
    assert template.risk is not None and template.flatten is not None
    result = run_query(store, template.risk, params)
    columns, rows = template.flatten(result)
    return GraphResult(question="", status="answered", source=name, title_zh=template.title_zh,
                       risk_query=template.risk, params=params, columns=columns, rows=rows,
                       truncated=bool(getattr(result, "truncated", False)),
                       subgraph=getattr(result, "subgraph", None))


def _run_template(store: GraphStore, guard: CypherGuard, template: Template,
                  params: dict[str, Any]) -> GraphResult:
    if template.risk is not None:
        return run_risk(store, template.name, params)
    assert template.cypher is not None
    ran = guard.run(template.cypher, params)
    return GraphResult(question="", status="answered", source=template.name,
                       title_zh=template.title_zh, cypher=ran.cypher, params=ran.params,
                       columns=ran.columns, rows=ran.rows, truncated=ran.truncated,
                       subgraph=ran.subgraph if ran.subgraph.nodes else None)


def _run_frame(guard: CypherGuard, frame: ListFrame, question: str) -> GraphResult:
    return _run_compiled(guard, compile_frame(frame, guard.store.ontology), question, "frame",
                         _frame_title(frame))


def _run_compiled(guard: CypherGuard, compiled: CompiledFrame, question: str, source: str,
                  title_zh: str) -> GraphResult:
    try:
        ran = guard.run(compiled.cypher, compiled.params)
    except UnsafeCypherError as exc:
        log.error("the guard refused a %s query: %s", source, exc)
        return GraphResult(question=question, status="refused", source=source,
                           title_zh=title_zh, message=f"查询未通过安全检查，未执行：{exc.message}",
                           refusal=exc.reason.value)
    return GraphResult(question=question, status="answered", source=source,
                       title_zh=title_zh, cypher=ran.cypher, params=ran.params,
                       columns=ran.columns, rows=ran.rows, truncated=ran.truncated,
                       subgraph=ran.subgraph if ran.subgraph.nodes else None)


def _frame_title(frame: ListFrame) -> str:
    what = _LABEL_ZH.get(frame.label, frame.label)
    if frame.group_by:
        return f"{what}分类统计"
    if frame.count_only:
        return f"{what}数量"
    return f"{what}排名" if frame.order_by else f"{what}列表"


def _full_year(said: str) -> int:
    """「1972」 or 「72」 (as in 「72年出生」) as a year of the 1900s or 2000s."""
    year = int(said)
    if year >= 100:
        return year
    return 1900 + year if year > city_now().year % 100 else 2000 + year


def _narrowed(store: GraphStore, candidates: list[Candidate], text: str) -> list[Candidate]:
    """Same-name people told apart by what the question says of them (「1972年出生的」,
    「女性」); the candidates unchanged when it says nothing that separates them."""
    if len(candidates) < 2 or any(c.label != "Person" for c in candidates):
        return candidates
    born = _BORN.search(text)
    gender = _GENDER.search(text)
    if born is None and gender is None:
        return candidates
    rows = store.read(
        "MATCH (p:Person) WHERE p.id IN $ids AND ($year IS NULL OR p.birth_year = $year) "
        "AND ($gender IS NULL OR p.gender = $gender) RETURN p.id AS id",
        ids=[c.id for c in candidates],
        year=_full_year(next(g for g in born.groups() if g)) if born else None,
        gender=gender.group(1) if gender else None)
    kept = {r["id"] for r in rows}
    return [c for c in candidates if c.id in kept] or candidates


def _fitting(template: Template, mention: Mention | None) -> list[Candidate]:
    if mention is None:
        return []
    return [c for c in mention.candidates if c.label in template.entity]


def _subjects(template: Template, candidates: list[Candidate], mentions: list[Mention],
              mention: Mention, text: str) -> list[Candidate]:
    """The entities a template is run for: every same-name person when the question asks about
    each (「叫张伟的有好几个，各自是哪家公司的法人」), the entities it compares or asks what they
    have in common (「瑞丰纺织和华晟电子，哪个注册资本更大」, 「既投了A又投了B的投资人」), else
    the one it names."""
    if not (_EACH_ASKED.search(text) or _COMMON_ASKED.search(text)):
        return candidates[:1]
    if len(candidates) > 1:
        return candidates
    peers = [fitting[0] for m in mentions if m is not mention
             and len(fitting := _fitting(template, m)) == 1 and fitting[0] != candidates[0]]
    return [*candidates, *peers]


def _run_for_each(store: GraphStore, guard: CypherGuard, template: Template,
                  params: dict[str, Any], subjects: list[Candidate], common: bool
                  ) -> GraphResult:
    """The template's rows for each subject, stacked, each row led by its subject (and a
    person's birth year, which tells same-name persons apart); with ``common``, the first
    subject's rows whose first value every subject's rows hold (「既投了A又投了B的投资人」)."""
    born = dict.fromkeys(c.id for c in subjects)
    people = [c.id for c in subjects if c.label == "Person"]
    if people:
        born.update({r["id"]: r["year"] for r in store.read(
            "MATCH (p:Person) WHERE p.id IN $ids RETURN p.id AS id, p.birth_year AS year",
            ids=people)})
    stacked: GraphResult | None = None
    rows: list[list[Any]] = []
    shared: set[str] | None = None
    for subject in subjects:
        one = _run_template(store, guard, template, {**params, template.id_param: subject.id})
        stacked = stacked or one
        lead = [subject.name, born[subject.id]] if people else [subject.name]
        rows += [[*lead, *row] for row in one.rows]
        firsts = {str(row[0]) for row in one.rows}
        shared = firsts if shared is None else shared & firsts
    assert stacked is not None and shared is not None
    if common:
        kept = {str(row[0]): row for row in stacked.rows if str(row[0]) in shared}
        return stacked.model_copy(update={"rows": list(kept.values()),
                                          "params": {**params, "ids": [c.id for c in subjects]}})
    lead_columns = [SUBJECT_COLUMN, "出生年份"] if people else [SUBJECT_COLUMN]
    return stacked.model_copy(update={"columns": [*lead_columns, *stacked.columns], "rows": rows,
                                      "params": {**params, "ids": [c.id for c in subjects]}})


def _intent_needing_entity(text: str) -> Template | None:
    """A template whose wording matches although no entity of its kind was named."""
    for template in TEMPLATES:
        if template.entity and not template.entity_optional and template.matches(text):
            return template
    return None


def _run_llm(guard: CypherGuard, llm: Completer | None, question: str) -> GraphResult:
    if llm is None:
        return GraphResult(question=question, status="unanswered", source="",
                           message="这个问题不在常用问题模板内，且未配置大模型，无法生成查询。")
    try:
        written = write_cypher(llm, question, guard.store.ontology)
        ran = guard.run(written.cypher, written.params)
    except UnsafeCypherError as exc:
        log.warning("LLM Cypher refused: %s", exc)
        return GraphResult(question=question, status="refused", source="llm",
                           message=f"大模型生成的查询未通过安全检查，未执行：{exc.message}",
                           refusal=exc.reason.value)
    except LLMCypherError as exc:
        return GraphResult(question=question, status="unanswered", source="llm",
                           message=f"大模型未能写出可用的查询：{exc.message}")
    return GraphResult(question=question, status="answered", source="llm",
                       title_zh="大模型生成的查询", cypher=ran.cypher, params=ran.params,
                       columns=ran.columns, rows=ran.rows, truncated=ran.truncated,
                       subgraph=ran.subgraph if ran.subgraph.nodes else None)


def _blanked(text: str, mentions: list[Mention]) -> str:
    """The text with the names it mentions blanked (only region names reach here: 「北站街道有
    哪些…」 names a street, it does not ask for a breakdown by street)."""
    for mention in mentions:
        text = blank_span(text, mention.start, mention.end)
    return text


def _unresolved_name(text: str, mentions: list[Mention], vocabulary: GraphVocabulary) -> bool:
    """Whether the question names an organisation no mention resolved (「某某实业集团」): a
    register-wide answer would then answer a different question. A kind of company
    (「股份有限公司」) is not a name."""
    kinds = [v for v in vocabulary.all_values if len(v) >= 4]
    for match in _ORGANISATION.finditer(text):
        core = _NOT_NAME.split(match.group(0))[-1]
        if any(k in match.group(0) for k in kinds) or len(core) - len(match["form"]) < 2:
            continue
        if not any(m.start < match.end() and match.start() < m.end and m.candidates[0].label
                   not in _REGION_LABELS for m in mentions):
            return True
    return False


def _unknown_place(text: str, mentions: list[Mention]) -> str | None:
    """A district-like name in the question that no mention resolved (「江北新区有几家企业」),
    so a register-wide answer would silently ignore it."""
    for match in _PLACE.finditer(text):
        place = match.group(1)
        covered = any(m.end == match.end(1) for m in mentions)
        if place not in _NOT_PLACES and not covered and not _GENERIC_PLACE.search(place):
            return place
    return None


def _reshaped(result: GraphResult, text: str, vocabulary: GraphVocabulary, anchor: str | None,
              others: list[str], excluded: list[str]) -> GraphResult:
    """A template's rows kept to the values and the other entities the question names (less
    those it excludes: 「除了恒信集团」) and to the figures it sets, ranked and cut when it
    asks for the top ones, exploded into members when it asks which companies a circle or
    chain involves, or totalled and counted when it asks for that."""
    rows = keep_named_values(text, vocabulary.all_values, result.rows)
    rows = drop_named_entities(excluded, keep_named_entities(others, rows))
    rows = kept_by_figures(text, result.columns, rows)
    rows = ranked_rows(text, result.columns, rows) or rows
    members = members_asked(text, rows, anchor)
    if members is not None:
        return result.model_copy(update=members.model_dump())
    shaped = (years_founded(text, result.columns, rows)
              or counts_by_column(text, result.columns, rows)
              or difference_of_two(text, result.columns, rows)
              or counts_per_subject(text, result.columns, rows)
              or totals_per_party(text, result.columns, rows, anchor)
              or totals_each_way(text, result.columns, rows, anchor)
              or totals_per_named_value(text, result.columns, rows)
              or shape_rows(text, result.columns, rows))
    if shaped is not None:
        return result.model_copy(update=shaped.model_dump())
    return result.model_copy(update={"rows": rows})


def _strong(frame: ListFrame | None) -> bool:
    """Whether a frame asks something of the register as a whole (a condition, a ranking, a
    count, a breakdown or a relationship its entities must have), so it goes before the
    templates."""
    return frame is not None and bool(frame.conditions or frame.group_by or frame.order_by
                                      or frame.count_only or frame.district_id or frame.related
                                      or frame.holding
                                      or frame.lacking or frame.tally_average
                                      or (frame.tally and frame.tally.at_least is not None))


def answer_question(store: GraphStore, index: MentionIndex, question: str,
                    llm: Completer | None = None, guard: CypherGuard | None = None,
                    vocabulary: GraphVocabulary | None = None) -> GraphResult:
    """Answer ``question`` from the graph: a register-wide frame when it asks across the
    register, a template when one covers it, else the LLM's guarded Cypher; a clarifying
    answer for an ambiguous name, "not found" for an unknown one. A question in two parts
    gets both answers side by side. Unsafe Cypher is never run. ``vocabulary`` (the graph's
    values and titles) defaults to the store's cached one."""
    guard = guard or CypherGuard(store)
    vocabulary = vocabulary or vocabulary_of(store)
    text = normalise(question)
    mentions = _mentions(store, index, text, vocabulary)
    first = _first_named(store, text, mentions)
    group = _group_transfers_of(text, first)
    if group is not None:
        return _run_compiled(guard, compile_group_transfers(group), question, "group_transfers",
                             "控制人体系内的资金往来")
    chain = _chain_of(text, first, vocabulary) or (
        None if mentions else parse_event_chain(text, vocabulary.titles))
    if chain is not None:  # 「恒信集团实际控制的那几家公司，法定代表人分别是谁」 is one question
        return _run_compiled(guard, compile_chain(chain, store.ontology), question, "chain",
                             _CHAIN_TITLE)
    parts = two_parts(question, index)
    if parts is not None:
        answers = [_answer_one(store, index, part, llm, guard, vocabulary) for part in parts]
        joined = _joined(question, answers)
        if joined is not None:
            return joined
    return _answer_one(store, index, question, llm, guard, vocabulary, mentions)


def _joined(question: str, answers: list[GraphResult]) -> GraphResult | None:
    """Two parts' answers as one table, or None when either part went unanswered or their
    rows do not line up."""
    first, second = answers
    if first.status != "answered" or second.status != "answered" or first.source == second.source:
        return None
    table = side_by_side((first.columns, first.rows), (second.columns, second.rows))
    if table is None:
        return None
    return first.model_copy(update={
        "question": question, "source": f"{first.source}+{second.source}",
        "title_zh": f"{first.title_zh}；{second.title_zh}",
        "cypher": "\n".join(c for c in (first.cypher, second.cypher) if c),
        "params": {"第一问": first.params, "第二问": second.params},
        "columns": table[0], "rows": table[1],
        "truncated": first.truncated or second.truncated})


def _overlap_asked(text: str, mentions: list[Mention], anchored: bool,
                   titles: list[str]) -> RoleOverlap | None:
    """The roles one person holds towards one company that the question asks about, across
    the register or of the one company or person it names."""
    if not anchored:
        return parse_role_overlap(text, titles)
    one = _one_named(mentions)
    if one is None:
        return None
    return parse_role_overlap(text.replace(one[0], PLACEHOLDER, 1), titles, one[1:])


def _one_named(mentions: list[Mention]) -> tuple[str, str, str] | None:
    """The words, class (Company or Person) and id of the one company or person a question
    names, when it names exactly one and the name is not shared."""
    named = [m for m in mentions if any(c.label not in _REGION_LABELS for c in m.candidates)]
    if len(named) != 1 or len(named[0].candidates) != 1:
        return None
    entity = named[0].candidates[0]
    label = "Person" if entity.label == "Person" else (
        "Company" if entity.label in ("Company", "Bank") else None)
    return (named[0].text, label, entity.id) if label else None


def _answer_one(store: GraphStore, index: MentionIndex, question: str, llm: Completer | None,
                guard: CypherGuard, vocabulary: GraphVocabulary,
                mentions: list[Mention] | None = None) -> GraphResult:
    """One question (in one part) through the frames, the templates, then the LLM;
    ``mentions`` are its names when they were already found."""
    text = normalise(question)
    if mentions is None:
        mentions = _mentions(store, index, text, vocabulary)
    regions = [c.id for m in mentions for c in m.candidates if c.label in _REGION_LABELS]
    # 「除了滨江担保以外，对外担保总额最高的是谁」 asks across the register without that one
    left_out = _left_out(text, mentions)
    anchored = any(c.label not in _REGION_LABELS for m in mentions if m not in left_out
                   for c in m.candidates) or _unresolved_name(text, mentions, vocabulary)
    overlap = None if regions or left_out else _overlap_asked(text, mentions, anchored,
                                                              vocabulary.titles)
    if overlap is not None:
        return _run_compiled(guard, compile_role_overlap(overlap, store.ontology), question,
                             "role_overlap", "同一人兼任的角色")
    edges = None if anchored or regions or left_out else parse_edge_frame(text, store.ontology)
    if edges is not None:
        return _run_compiled(guard, compile_edge_frame(edges, store.ontology), question,
                             "edge_frame", _EDGE_TITLE)
    frame = None if anchored else parse_frame(
        _blanked(text, mentions), store.ontology, vocabulary, regions[-1] if regions else None)
    if frame is not None and left_out:
        frame = frame.model_copy(update={
            "excluded_ids": [c.id for m in left_out for c in m.candidates]})
    if frame is not None and (place := _unknown_place(text, mentions)):
        return GraphResult(question=question, status="not_found", source="frame",
                           title_zh=_frame_title(frame),
                           message=f"没有在图谱中找到「{place}」，请给出区县的全称或常用简称。")
    through = parse_holding_through(text, [
        (m.start, m.end, m.candidates[0].id, m.candidates[0].label) for m in mentions
        if len(m.candidates) == 1 and m.candidates[0].label not in _REGION_LABELS])
    if through is not None:
        return _run_compiled(guard, compile_holding_through(through, store.ontology), question,
                             "holding_through", "经由中间企业的间接持股")
    chain = _chain_of(text, _first_named(store, text, mentions), vocabulary)
    if chain is not None:
        return _run_compiled(guard, compile_chain(chain, store.ontology), question, "chain",
                             _CHAIN_TITLE)
    match: TemplateMatch | None = match_template(question, mentions, vocabulary.titles)
    if _strong(frame) and not (match and template_named(match.template).entity_optional):
        # a register-wide risk query (互保圈, 循环持股) is not a list of its words' entities
        assert frame is not None
        return _run_frame(guard, frame, question)
    if match is None:
        wanted = _intent_needing_entity(text)
        if frame is not None and wanted is None:
            return _run_frame(guard, frame, question)
        result = _run_llm(guard, llm, question)
        if result.status != "answered" and wanted is not None and not any(
                _fitting(wanted, m) for m in mentions):
            kinds = "、".join(_LABEL_ZH.get(label, label) for label in wanted.entity)
            return GraphResult(question=question, status="not_found", source=wanted.name,
                               title_zh=wanted.title_zh,
                               message=f"没有在图谱中找到问题里的{kinds}，请给出全称或常用简称。")
        return result
    return _answer_by_template(store, guard, match, mentions, question, text, vocabulary)


def _mentions(store: GraphStore, index: MentionIndex, text: str,
              vocabulary: GraphVocabulary) -> list[Mention]:
    """The entities the (normalised) question names, in full or shortened, in order."""
    mentions = [m for m in index.find(text) if not (
        any(c.label in _REGION_LABELS for c in m.candidates) and _THE_CITY.match(text, m.end))]
    names = short_names_of(store)
    shortened = abbreviated_mentions(text, mentions, names,
                                     [v for v in vocabulary.all_values if len(v) >= 3])
    return event_mentions(text, sorted([*mentions, *shortened], key=lambda m: m.start), names)


def _left_out(text: str, mentions: list[Mention]) -> list[Mention]:
    """The mentions the question excludes (「除了恒信集团」, 「不算滨江担保」)."""
    return [m for m in mentions if _EXCLUDED.search(text[max(0, m.start - 3):m.start])]


def _first_named(store: GraphStore, text: str, mentions: list[Mention]
                 ) -> tuple[Mention, Candidate] | None:
    """The first entity the question names and where it is named: one entity, same-name
    persons told apart by what the question says of them (a name several entities still share
    is left to the templates, which ask), not one the question leaves out (「除了滨江担保以外」)."""
    left_out = _left_out(text, mentions)
    named = next((m for m in mentions if m not in left_out
                  and any(c.label not in _REGION_LABELS for c in m.candidates)), None)
    if named is None:
        return None
    candidates = _narrowed(store, named.candidates, text)
    return (named, candidates[0]) if len(candidates) == 1 else None


def _chain_of(text: str, first: tuple[Mention, Candidate] | None,
              vocabulary: GraphVocabulary) -> Chain | None:
    """The chain of two or more relationships the question walks from the first entity it
    names (``first``, from :func:`_first_named`)."""
    if first is None:
        return None
    named, entity = first
    return parse_chain(text, entity.id, entity.label, named.end, vocabulary.titles)


def _group_transfers_of(text: str, first: tuple[Mention, Candidate] | None
                        ) -> GroupTransfers | None:
    """The transfers inside the group of the first entity the question names (``first``,
    from :func:`_first_named`), when it asks about them (「王建国控制的公司之间互相转账」)."""
    if first is None or first[1].label not in ("Company", "Person"):
        return None
    named, entity = first
    return parse_group_transfers(text, entity.id, entity.label, named.end)


def _companies_in(store: GraphStore, region: str, columns: list[str], rows: list[list[Any]]
                  ) -> list[list[Any]]:
    """The rows whose company is registered in the district or street, when every row lists
    a company by its 编号; the rows unchanged otherwise."""
    if ID_COLUMN not in columns or not rows:
        return rows
    at = columns.index(ID_COLUMN)
    found = store.read(
        "MATCH (c) WHERE c.id IN $ids RETURN c.id AS id, c:Company AS company, "
        f"{located_in('c', 'region')} AS inside",
        ids=[row[at] for row in rows], region=region)
    if not found or not all(r["company"] for r in found):
        return rows
    inside = {r["id"] for r in found if r["inside"]}
    return [row for row in rows if row[at] in inside]


def _accounts_bank(store: GraphStore, template: Template, mentions: list[Mention],
                   named: Mention) -> Candidate | None:
    """The one bank a question about a party's accounts names beside the party, whose
    accounts there it asks about; None when the template reads no bank or it names none."""
    if template.cypher is None or "$bank" not in template.cypher:
        return None
    others = [c for m in mentions if m is not named for c in m.candidates]
    banks = {r["id"] for r in store.read("MATCH (b:Bank) WHERE b.id IN $ids RETURN b.id AS id",
                                         ids=[c.id for c in others])} if others else set()
    found = [c for c in others if c.id in banks]
    return found[0] if len(found) == 1 else None


def _answer_by_template(store: GraphStore, guard: CypherGuard, match: TemplateMatch,
                        mentions: list[Mention], question: str, text: str,
                        vocabulary: GraphVocabulary) -> GraphResult:
    """The matched template run for the entity the question names (or each entity it asks
    about or compares), with the facts asked of the rows' entities, shaped as asked."""
    template = template_named(match.template)
    params = dict(match.params)
    anchor: str | None = None
    subjects: list[Candidate] = []
    if template.entity and match.mention is not None:
        bank = _accounts_bank(store, template, mentions, match.mention)
        if bank is not None:  # 「王建国在长澜银行的账户」: his accounts there, not the bank's
            params["bank"] = bank.id
            mentions = [m for m in mentions if bank not in m.candidates]
        candidates = _narrowed(store, _fitting(template, match.mention), text)
        subjects = _subjects(template, candidates, mentions, match.mention, text)
        if template.pairwise and len(subjects) == 2:  # the second is kept among the rows
            subjects = subjects[:1]
        if len(candidates) > 1 and len(subjects) < 2:
            listed = "；".join(f"{c.name}（{_LABEL_ZH.get(c.label, c.label)}，编号 {c.id}）"
                              for c in candidates)
            return GraphResult(question=question, status="clarify", source=template.name,
                               title_zh=template.title_zh, candidates=candidates,
                               message=f"「{match.mention.text}」对应多个主体，请问您指的是："
                                       f"{listed}？")
        params[template.id_param] = candidates[0].id
        anchor = candidates[0].name
    try:
        result = (_run_for_each(store, guard, template, params, subjects,
                                common=_COMMON_ASKED.search(text) is not None)
                  if len(subjects) > 1 else _run_template(store, guard, template, params))
    except NotFoundError as exc:
        return GraphResult(question=question, status="not_found", source=template.name,
                           title_zh=template.title_zh, params=params, message=exc.message)
    columns, rows = with_asked_columns(store, text, result.columns, result.rows, vocabulary)
    regions = [c.id for m in mentions if m is not match.mention for c in m.candidates
               if c.label in _REGION_LABELS]
    if regions:  # 「滨江担保为高新区的哪些企业做过担保」
        rows = _companies_in(store, regions[-1], columns, rows)
    result = result.model_copy(update={"columns": columns, "rows": rows})
    ran_for = {anchor, *(c.name for c in subjects)}
    named = [m for m in mentions if m is not match.mention]
    excluded = [c.name for m in _left_out(text, named) for c in m.candidates]
    others = [c.name for m in named for c in m.candidates
              if c.label not in _REGION_LABELS and c.name not in ran_for
              and c.name not in excluded]
    result = _reshaped(result, text, vocabulary, anchor, others, excluded)
    return result.model_copy(update={"question": question})
