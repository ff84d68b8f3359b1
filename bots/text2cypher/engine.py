"""One question through the templates, else the LLM, always read-only: what ran and its rows.

:func:`answer_question` resolves the entity the question names (ambiguous → the candidates,
missing → "not found"), runs the chosen template (a named risk query, or a lookup through
:class:`kg.cypher_guard.CypherGuard`), and beyond the templates lets the LLM write Cypher that
the guard must accept. It never runs Cypher the guard refused, and says so when nothing ran.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, Field

from bots.guarded_rewrite import Completer
from bots.text2cypher.llm_cypher import LLMCypherError, write_cypher
from bots.text2cypher.templates import (
    TEMPLATES,
    Template,
    TemplateMatch,
    match_template,
    normalise,
    template_named,
)
from kg.cypher_guard import CypherGuard, UnsafeCypherError
from kg.errors import NotFoundError
from kg.mentions import Candidate, Mention, MentionIndex
from kg.risk import run_query
from kg.risk.graph import RiskGraph
from kg.store import GraphStore

log = logging.getLogger(__name__)

Status = Literal["answered", "clarify", "not_found", "unanswered", "refused"]
_LABEL_ZH = {"Company": "企业", "Person": "自然人", "Fund": "基金", "Product": "金融产品",
             "RiskEvent": "风险事件", "District": "区县"}


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


def _fitting(template: Template, mention: Mention | None) -> list[Candidate]:
    if mention is None:
        return []
    return [c for c in mention.candidates if c.label in template.entity]


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


def answer_question(store: GraphStore, index: MentionIndex, question: str,
                    llm: Completer | None = None, guard: CypherGuard | None = None
                    ) -> GraphResult:
    """Answer ``question`` from the graph: a template when one covers it, else the LLM's
    guarded Cypher; a clarifying answer for an ambiguous name, "not found" for an unknown
    one. Unsafe Cypher is never run."""
    guard = guard or CypherGuard(store)
    text = normalise(question)
    mentions = index.find(text)
    match: TemplateMatch | None = match_template(question, mentions)
    if match is None:
        result = _run_llm(guard, llm, question)
        wanted = _intent_needing_entity(text)
        if result.status != "answered" and wanted is not None and not any(
                _fitting(wanted, m) for m in mentions):
            kinds = "、".join(_LABEL_ZH.get(label, label) for label in wanted.entity)
            return GraphResult(question=question, status="not_found", source=wanted.name,
                               title_zh=wanted.title_zh,
                               message=f"没有在图谱中找到问题里的{kinds}，请给出全称或常用简称。")
        return result
    template = template_named(match.template)
    params = dict(match.params)
    if template.entity and match.mention is not None:
        candidates = _fitting(template, match.mention)
        if len(candidates) > 1:
            listed = "；".join(f"{c.name}（{_LABEL_ZH.get(c.label, c.label)}，编号 {c.id}）"
                              for c in candidates)
            return GraphResult(question=question, status="clarify", source=template.name,
                               title_zh=template.title_zh, candidates=candidates,
                               message=f"「{match.mention.text}」对应多个主体，请问您指的是："
                                       f"{listed}？")
        params[template.id_param] = candidates[0].id
    try:
        result = _run_template(store, guard, template, params)
    except NotFoundError as exc:
        return GraphResult(question=question, status="not_found", source=template.name,
                           title_zh=template.title_zh, params=params, message=exc.message)
    return result.model_copy(update={"question": question})
