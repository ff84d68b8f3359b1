"""Run Cypher that someone else wrote (an LLM, a template) only when it is provably read-only.

Every query passes, in order:

1. **Text checks** (string literals and comments blanked first, so a name can never look like
   a keyword): one statement only; no EXPLAIN/PROFILE/CYPHER/USE prefix; no write, schema or
   admin clause (CREATE, MERGE, SET, DELETE, REMOVE, DROP, FOREACH, LOAD CSV, ``IN
   TRANSACTIONS``, ``PERIODIC COMMIT``, GRANT …); every ``CALL proc`` and every namespaced
   function (``apoc.x.y(…)``) on the allow-list; every ``$param`` supplied.
2. **No literal values**: a string literal is accepted only when it names part of the schema
   (a label, a relationship type or a property, optionally with the APOC direction marks
   ``<`` ``>`` ``|``, as in ``'GUARANTEES>'``). Ids, names, statuses, dates — anything a user
   could supply — must come as ``$parameters``, so a question can never smuggle Cypher in
   through a value, and a wrong literal cannot silently match nothing. Numbers (a LIMIT, a
   depth, a threshold) are allowed.
3. **The server's plan** (``EXPLAIN``, nothing executes): the query type must be ``r``
   (read-only); no LoadCSV operator; every ProcedureCall on the allow-list; a scan of all
   nodes or relationships needs a Limit in the plan.
4. **Execution** in a READ transaction (the server refuses any write that slipped through)
   with a server-side time limit; at most ``max_rows`` rows are fetched, the rest dropped and
   the result marked truncated.

Each refusal is an :class:`UnsafeCypherError` whose ``reason`` is a stable English code and
whose message says why in Chinese.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from neo4j import ManagedTransaction, unit_of_work
from neo4j import exceptions as neo4j_errors
from neo4j.graph import Node, Path, Relationship
from pydantic import BaseModel, Field

from kg.errors import GraphQueryError, GraphUnavailableError
from kg.ontology import Ontology
from kg.risk.graph import RiskGraph, SubgraphBuilder
from kg.store import GraphStore, bolt_value, plain

log = logging.getLogger(__name__)

MAX_ROWS = 500
"""Rows fetched at most (a candidate for ``Settings``: ``CITYAGENT_CYPHER_MAX_ROWS``)."""
TIMEOUT_S = 10.0
"""Server-side transaction time limit (a candidate for ``CITYAGENT_CYPHER_TIMEOUT_S``)."""
MAX_QUERY_CHARS = 4000

ALLOWED_PROCEDURES = frozenset({
    "apoc.path.expandconfig",
    "apoc.path.subgraphnodes",
    "db.index.fulltext.querynodes",
    "db.labels",
    "db.relationshiptypes",
})
"""Read-only procedures a query may CALL (lower case)."""
ALLOWED_FUNCTIONS = frozenset({"apoc.coll.sort", "apoc.coll.toset", "apoc.coll.sum",
                               "apoc.text.join"})
"""Namespaced functions a query may use (lower case); plain Cypher functions are always fine."""


class RefusalReason(StrEnum):
    """Why a query was refused; the value is the stable code clients can rely on."""

    EMPTY = "empty"
    TOO_LONG = "too_long"
    MULTIPLE_STATEMENTS = "multiple_statements"
    PREFIX = "prefix"
    WRITE = "write"
    LOAD_CSV = "load_csv"
    PERIODIC_COMMIT = "periodic_commit"
    ADMIN = "admin"
    PROCEDURE = "procedure"
    FUNCTION = "function"
    LITERAL = "literal"
    MISSING_PARAMETER = "missing_parameter"
    UNBOUNDED = "unbounded"
    SYNTAX = "syntax"
    TIMEOUT = "timeout"

    @property
    def label_zh(self) -> str:
        """The reason in Chinese."""
        return _REASON_ZH[self]


_REASON_ZH = {
    RefusalReason.EMPTY: "查询为空",
    RefusalReason.TOO_LONG: "查询过长",
    RefusalReason.MULTIPLE_STATEMENTS: "包含多条语句",
    RefusalReason.PREFIX: "不允许 EXPLAIN/PROFILE/CYPHER/USE 前缀",
    RefusalReason.WRITE: "包含写操作（创建、修改或删除数据）",
    RefusalReason.LOAD_CSV: "不允许 LOAD CSV 读取外部文件",
    RefusalReason.PERIODIC_COMMIT: "不允许分批提交（PERIODIC COMMIT / IN TRANSACTIONS）",
    RefusalReason.ADMIN: "包含数据库管理或权限命令",
    RefusalReason.PROCEDURE: "调用了不在白名单上的过程",
    RefusalReason.FUNCTION: "调用了不在白名单上的扩展函数",
    RefusalReason.LITERAL: "把具体取值直接写进了查询，取值必须用 $参数 传入",
    RefusalReason.MISSING_PARAMETER: "缺少查询参数",
    RefusalReason.UNBOUNDED: "全图扫描却没有 LIMIT",
    RefusalReason.SYNTAX: "查询无法解析",
    RefusalReason.TIMEOUT: "查询超时",
}


class UnsafeCypherError(GraphQueryError):
    """A query the guard refused to run; ``reason`` says why (a :class:`RefusalReason`)."""

    code = "E013"

    def __init__(self, reason: RefusalReason, detail: str = "") -> None:
        self.reason = reason
        tail = f"：{detail}" if detail else ""
        super().__init__(f"拒绝执行查询（{reason.value}）：{reason.label_zh}{tail}")


class GuardPolicy(BaseModel):
    """The limits a guarded query runs under."""

    max_rows: int = Field(default=MAX_ROWS, ge=1, le=10000)
    timeout_s: float = Field(default=TIMEOUT_S, gt=0.0, le=300.0)


class GuardedResult(BaseModel):
    """What a guarded query returned: its columns, rows (plain values), and what it drew."""

    cypher: str
    params: dict[str, Any]
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = Field(description="more rows existed than max_rows")
    subgraph: RiskGraph = Field(default_factory=RiskGraph)
    elapsed_ms: float


# -- text checks ---------------------------------------------------------------------------
_TOKENS = re.compile(
    r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`|//[^\n]*|/\*.*?\*/", re.S)
_WRITE_WORDS = re.compile(r"\b(CREATE|MERGE|SET|DELETE|DETACH|REMOVE|DROP|FOREACH|"
                          r"ALTER|RENAME)\b", re.I)
_ADMIN_WORDS = re.compile(r"\b(GRANT|REVOKE|DENY|SHOW|TERMINATE|START\s+DATABASE|"
                          r"STOP\s+DATABASE|ENABLE|DEALLOCATE|REALLOCATE)\b", re.I)
_PREFIX = re.compile(r"^\s*(EXPLAIN|PROFILE|CYPHER|USE)\b|\bUSE\s+[A-Za-z_]", re.I)
_LOAD_CSV = re.compile(r"\bLOAD\s+CSV\b", re.I)
_PERIODIC = re.compile(r"\bPERIODIC\s+COMMIT\b|\bIN\s+(\d+\s+)?(CONCURRENT\s+)?TRANSACTIONS\b",
                       re.I)
_CALL = re.compile(r"\bCALL\s+([A-Za-z_][\w.]*)\s*\(", re.I)
_FUNCTION = re.compile(r"(?<![\w.$])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\s*\(")
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")
_SCHEMA_LITERAL = re.compile(r"^<?[A-Za-z_]\w*>?(?:\|<?[A-Za-z_]\w*>?)*$")
_ALL_SCAN = ("AllNodesScan", "AllRelationshipsScan", "DirectedAllRelationshipsScan",
             "UndirectedAllRelationshipsScan")


def _blank(cypher: str) -> tuple[str, list[str]]:
    """The query with string literals, quoted names and comments blanked, and the literals.

    Blanking keeps positions, so every later check reads code only: a name like
    ``'}) DETACH DELETE n //`` passed as a literal is still seen, but as a literal.
    """
    literals: list[str] = []

    def blank(match: re.Match[str]) -> str:
        token = match.group(0)
        if token[0] in "'\"":
            literals.append(token[1:-1])
            return "''"
        if token[0] == "`":
            return "`x`"
        return " "

    return _TOKENS.sub(blank, cypher), literals


def _schema_names(ontology: Ontology) -> frozenset[str]:
    return frozenset(ontology.classes) | frozenset(ontology.relationships) | frozenset(
        ontology.properties)


def _check_calls(code: str) -> None:
    """Refuse procedures and namespaced functions outside the allow-lists (dbms.* is admin)."""
    for name in _CALL.findall(code):
        if name.lower().startswith("dbms."):
            raise UnsafeCypherError(RefusalReason.ADMIN, name)
        if name.lower() not in ALLOWED_PROCEDURES:
            raise UnsafeCypherError(RefusalReason.PROCEDURE, name)
    for name in _FUNCTION.findall(code):
        lowered = name.lower()
        if lowered not in ALLOWED_FUNCTIONS and lowered not in ALLOWED_PROCEDURES:
            raise UnsafeCypherError(RefusalReason.FUNCTION, name)


def _check_literals(literals: list[str], ontology: Ontology) -> None:
    """Refuse every string literal that is not a schema name (see the module's rule 2)."""
    schema = _schema_names(ontology)
    for literal in literals:
        names = re.split(r"[<>|]+", literal)
        if not _SCHEMA_LITERAL.match(literal) or not all(n in schema for n in names if n):
            raise UnsafeCypherError(RefusalReason.LITERAL, f"'{literal[:40]}'")


def check_text(cypher: str, params: Mapping[str, Any], ontology: Ontology) -> str:
    """Refuse what the query's text alone shows to be unsafe; returns the query stripped.

    Raises :class:`UnsafeCypherError` with the first reason found.
    """
    text = cypher.strip()
    if not text:
        raise UnsafeCypherError(RefusalReason.EMPTY)
    if len(text) > MAX_QUERY_CHARS:
        raise UnsafeCypherError(RefusalReason.TOO_LONG, f"{len(text)} > {MAX_QUERY_CHARS} 字符")
    code, literals = _blank(text)
    code = code.rstrip().removesuffix(";")
    if ";" in code:
        raise UnsafeCypherError(RefusalReason.MULTIPLE_STATEMENTS)
    checks = ((_PREFIX, RefusalReason.PREFIX), (_LOAD_CSV, RefusalReason.LOAD_CSV),
              (_PERIODIC, RefusalReason.PERIODIC_COMMIT), (_WRITE_WORDS, RefusalReason.WRITE),
              (_ADMIN_WORDS, RefusalReason.ADMIN))
    for pattern, reason in checks:
        if found := pattern.search(code):
            raise UnsafeCypherError(reason, found.group(0).strip())
    _check_calls(code)
    _check_literals(literals, ontology)
    missing = sorted(set(_PARAM.findall(code)) - set(params))
    if missing:
        raise UnsafeCypherError(RefusalReason.MISSING_PARAMETER,
                                "、".join(f"${m}" for m in missing))
    return text


# -- the plan ------------------------------------------------------------------------------
def _operators(plan: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """(operator type without its @database suffix, details) of every plan operator."""
    operator = str(plan.get("operatorType", "")).split("@", 1)[0]
    yield operator, str((plan.get("args") or {}).get("Details", ""))
    for child in plan.get("children") or []:
        yield from _operators(child)


def check_plan(query_type: str | None, plan: Mapping[str, Any] | None) -> None:
    """Refuse a plan that writes, reads files, calls an unlisted procedure or scans the whole
    graph without a limit."""
    if query_type != "r":
        raise UnsafeCypherError(RefusalReason.WRITE, f"query type {query_type!r}")
    operators = list(_operators(plan or {}))
    names = {op for op, _ in operators}
    if "LoadCSV" in names:
        raise UnsafeCypherError(RefusalReason.LOAD_CSV)
    for op, details in operators:
        if op == "ProcedureCall":
            called = details.split("(", 1)[0].strip().lower()
            if called not in ALLOWED_PROCEDURES:
                raise UnsafeCypherError(RefusalReason.PROCEDURE, called)
    if names & set(_ALL_SCAN) and "Limit" not in names:
        raise UnsafeCypherError(RefusalReason.UNBOUNDED, "请给起点加上标签或条件，并加 LIMIT")


# -- running -------------------------------------------------------------------------------
def _draw(builder: SubgraphBuilder, value: Any) -> None:
    """Add the nodes, relationships and paths found in a returned value to the drawing."""
    if isinstance(value, Node):
        if value.get("id") is not None:  # a node known only by its element id is not drawn
            builder.node({"labels": sorted(value.labels), "props": dict(value)})
    elif isinstance(value, Relationship):
        start, end = value.start_node, value.end_node
        if start is not None and end is not None:
            _draw(builder, start)
            _draw(builder, end)
            builder.edge({"type": value.type, "source": start.get("id"),
                          "target": end.get("id"), "props": dict(value)})
    elif isinstance(value, Path):
        for node in value.nodes:
            _draw(builder, node)
        for rel in value.relationships:
            _draw(builder, rel)
    elif isinstance(value, list):
        for item in value:
            _draw(builder, item)


def _value(value: Any) -> Any:
    """A returned value as plain data: nodes and relationships become their properties."""
    if isinstance(value, Node | Relationship):
        return plain(dict(value))
    if isinstance(value, Path):
        return [plain(dict(n)) for n in value.nodes]
    if isinstance(value, list):
        return [_value(v) for v in value]
    return plain(value)


class CypherGuard:
    """Checks and runs foreign Cypher on a :class:`GraphStore`'s server, read-only."""

    def __init__(self, store: GraphStore, policy: GuardPolicy | None = None) -> None:
        """Guard queries against ``store`` (its driver and database) under ``policy``."""
        self.store = store
        self.policy = policy or GuardPolicy()

    def check(self, cypher: str, params: Mapping[str, Any] | None = None) -> str:
        """The query, if its text and its server plan are safe; UnsafeCypherError if not."""
        values = dict(params or {})
        text = check_text(cypher, values, self.store.ontology)
        summary = self._session(lambda tx: tx.run("EXPLAIN " + text, bolt_value(values))
                                .consume())
        check_plan(summary.query_type, summary.plan)
        return text

    def run(self, cypher: str, params: Mapping[str, Any] | None = None) -> GuardedResult:
        """Check the query, then run it in a READ transaction with the time limit and row cap.

        Raises UnsafeCypherError (refused, or timed out), GraphQueryError (Neo4j refused it
        otherwise) or GraphUnavailableError.
        """
        values = dict(params or {})
        text = self.check(cypher, values)
        limit = self.policy.max_rows
        began = time.perf_counter()

        def work(tx: ManagedTransaction) -> tuple[list[str], list[list[Any]], bool, RiskGraph]:
            result = tx.run(text, bolt_value(values))
            builder = SubgraphBuilder(self.store.ontology)
            rows: list[list[Any]] = []
            truncated = False
            for record in result:
                if len(rows) >= limit:
                    truncated = True
                    break
                for value in record.values():
                    _draw(builder, value)
                rows.append([_value(v) for v in record.values()])
            columns = list(result.keys())
            return columns, rows, truncated, builder.build()

        columns, rows, truncated, graph = self._session(
            unit_of_work(timeout=self.policy.timeout_s)(work))
        elapsed = (time.perf_counter() - began) * 1000
        log.info("guarded query: %d rows%s in %.0f ms", len(rows),
                 " (truncated)" if truncated else "", elapsed)
        return GuardedResult(cypher=text, params=values, columns=columns, rows=rows,
                             truncated=truncated, subgraph=graph, elapsed_ms=round(elapsed, 2))

    def _session(self, work: Any) -> Any:
        """Run ``work`` in a managed READ transaction, turning Neo4j errors into ours."""
        store = self.store
        try:
            with store.read_session() as session:
                return session.execute_read(work)
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
            raise GraphUnavailableError(f"Neo4j is not reachable: {exc}") from exc
        except neo4j_errors.Neo4jError as exc:
            raise _refusal(exc) from exc


def _refusal(exc: neo4j_errors.Neo4jError) -> GraphQueryError:
    """Our error for a Neo4j error: a time-out, a write in read mode, bad syntax, or other."""
    code = exc.code or ""
    if "TransactionTimedOut" in code or "Transaction.Terminated" in code:
        return UnsafeCypherError(RefusalReason.TIMEOUT, exc.message or "")
    if "AccessMode" in code or "ForbiddenDueToTransactionType" in code:
        return UnsafeCypherError(RefusalReason.WRITE, exc.message or "")
    if "SyntaxError" in code or "ParameterMissing" in code or "ArgumentError" in code:
        return UnsafeCypherError(RefusalReason.SYNTAX, (exc.message or "")[:200])
    return GraphQueryError(f"Neo4j refused the query: {exc.message}")
