"""The LLM writes Cypher for questions beyond the templates; the guard decides if it runs.

The prompt holds a compact schema generated from the ontology (the finance labels with their
properties, the relationship types with their direction and properties) and a few examples.
The model must answer one JSON object ``{"cypher": …, "params": {…}}`` with every value as a
``$parameter``. Whatever it writes goes through :class:`kg.cypher_guard.CypherGuard`; with the
embedded 270M model this mostly fails, and the caller says so.
"""

from __future__ import annotations

import json
import logging
import re
from functools import cache
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from bots.guarded_rewrite import Completer
from bots.llm import ChatTurn
from kg.errors import CityAgentError, LLMUnavailableError
from kg.ontology import Ontology

log = logging.getLogger(__name__)

SCHEMA_LABELS = ("Company", "Bank", "Person", "Fund", "Product", "Account", "RiskEvent",
                 "District", "Street")
SCHEMA_SKIP_PROPS = frozenset({"embedding", "description", "aliases", "id_number"})
FEW_SHOTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("滨江城投的法定代表人是谁？",
     "MATCH (p:Person)-[:IS_LEGAL_REP]->(c:Company) WHERE c.name = $name OR $name IN "
     "c.aliases RETURN p.name AS 法定代表人", {"name": "滨江城投"}),
    ("注册资本超过1亿元的企业有几家？",
     "MATCH (c:Company) WHERE c.registered_capital > $capital RETURN count(c) AS 企业数量",
     {"capital": 10000}),
    ("状态为注销的基金有哪些？",
     "MATCH (f:Fund) WHERE f.status = $status RETURN f.name AS 基金 LIMIT 100",
     {"status": "注销"}),
)
SYSTEM = (
    "你把监管人员的中文问题翻译成 Neo4j Cypher 只读查询。只能使用下面的图谱结构；"
    "所有具体取值（名称、编号、状态、日期、金额）都必须写成 $参数，并在 params 中给出；"
    "不得写入或删除数据，不得调用过程；列表结果加 LIMIT。"
    "只输出一个 JSON 对象：{\"cypher\": \"…\", \"params\": {…}}。\n图谱结构：\n"
)
_JSON = re.compile(r"\{.*\}", re.S)


class LLMCypherError(CityAgentError):
    """The LLM wrote nothing usable as a query (no answer, no JSON, no Cypher)."""

    code = "E073"
    http_status = 422


class WrittenCypher(BaseModel):
    """The query the LLM proposed, before the guard has seen it."""

    cypher: str = Field(min_length=1, max_length=4000)
    params: dict[str, Any] = Field(default_factory=dict)


@cache
def _schema_text(ontology: Ontology) -> str:
    return schema_description(ontology)


def schema_description(ontology: Ontology) -> str:
    """The finance part of the graph in a few lines: labels with key properties, and each
    relationship type with its direction and properties, all read from the ontology."""
    lines = []
    for label in SCHEMA_LABELS:
        cls = ontology.classes[label]
        props = [p for p in ontology.node_properties(label) if p not in SCHEMA_SKIP_PROPS]
        lines.append(f"(:{label}) {cls.label_zh}：{', '.join(sorted(props))}")
    shown = set(SCHEMA_LABELS)
    for name, rel in ontology.relationships.items():
        start = [d for d in rel.domain if d in shown]
        end = [r for r in rel.range if r in shown]
        if not start or not end:
            continue
        props = sorted(ontology.rel_properties(name))
        extra = f" {{{', '.join(props)}}}" if props else ""
        lines.append(f"({'|'.join(start)})-[:{name}{extra}]->({'|'.join(end)}) {rel.label_zh}")
    return "\n".join(lines)


def _prompt(question: str, ontology: Ontology) -> list[ChatTurn]:
    shots = "\n".join(
        f"问题：{q}\n{json.dumps({'cypher': c, 'params': p}, ensure_ascii=False)}"
        for q, c, p in FEW_SHOTS)
    return [ChatTurn(role="system", content=SYSTEM + _schema_text(ontology) + "\n示例：\n" + shots),
            ChatTurn(role="user", content=f"问题：{question}")]


def parse_answer(text: str) -> WrittenCypher:
    """The ``{"cypher", "params"}`` object in the LLM's text; LLMCypherError if there is none."""
    found = _JSON.search(text)
    if not found:
        raise LLMCypherError("回答中没有 JSON 对象")
    try:
        return WrittenCypher.model_validate(json.loads(found.group(0)))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise LLMCypherError(f"回答不是有效的查询对象：{str(exc)[:120]}") from exc


def write_cypher(llm: Completer, question: str, ontology: Ontology) -> WrittenCypher:
    """Ask the LLM for a parameterised query answering ``question`` (not yet checked)."""
    try:
        answer = llm.complete(_prompt(question, ontology))
    except LLMUnavailableError as exc:
        raise LLMCypherError(f"大模型不可用：{exc.message}") from exc
    log.debug("LLM Cypher answer: %s", answer.text[:300])
    return parse_answer(answer.text)
