"""Execution accuracy of the regulator's question answering against hand-written gold Cypher.

Each case is ``{"question", "cypher", "params"}`` (gold Cypher, run as is) or
``{"question", "expected_rows"}``; ``"ordered": true`` marks a question that asks for an order.
A case is correct when the agent's rows equal the gold rows as multisets (as sequences when
ordered, where gold rows that tie, equal in every column after the first, may come in any
order among themselves, since the gold query's order of ties is arbitrary) after normalising
values: numbers rounded to 4 places, dates as ISO text, a list
compared as the multiset of its items (a cycle's rotation or a chain's listing order does
not matter). The agent may return more columns than the gold query (an id beside a name):
each gold column must be matched by one of the agent's, with the same rows throughout.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from itertools import permutations
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from bots.text2cypher.engine import GraphResult
from kg.errors import CityAgentError, DataValidationError
from kg.store import GraphStore

log = logging.getLogger(__name__)

Asker = Callable[[str], GraphResult]


class EvalCase(BaseModel):
    """One question with its gold Cypher (and parameters) or its expected rows."""

    question: str = Field(min_length=1)
    cypher: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    expected_rows: list[list[Any]] | None = None
    ordered: bool = False
    kind: str | None = Field(default=None, description="the question's kind, for reading only")


class TemplateScore(BaseModel):
    """Accuracy of the questions one template (or "llm", or "none") answered."""

    questions: int
    correct: int
    accuracy: float


class Text2CypherReport(BaseModel):
    """Execution accuracy overall and per template, refusals and latency."""

    data: str
    questions: int
    correct: int
    execution_accuracy: float
    answered: int
    by_template: dict[str, TemplateScore]
    by_status: dict[str, int]
    refusals: int
    latency_ms_p50: float
    latency_ms_p95: float
    errors: list[str] = Field(default_factory=list, description="questions that raised")
    wrong: list[str] = Field(default_factory=list, description="questions answered wrongly")


def read_cases(path: Path) -> list[EvalCase]:
    """The cases of a JSON-lines file; DataValidationError naming the first bad line."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            case = EvalCase.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise DataValidationError(f"{path}:{number}: {str(exc)[:200]}") from exc
        if case.cypher is None and case.expected_rows is None:
            raise DataValidationError(f"{path}:{number}: needs cypher or expected_rows")
        cases.append(case)
    return cases


def normal(value: Any) -> Any:
    """A value in the form rows are compared in (hashable)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        # to 4 places, after a nudge far above float noise (1e-12 of the value) so that one
        # figure summed in two orders (0.05944999999999999, 0.05945000000000001) rounds alike
        number = float(value)
        return round(number + abs(number) * 1e-12, 4)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return tuple(sorted((normal(v) for v in value), key=repr))
    if isinstance(value, dict):
        return tuple(sorted((k, normal(v)) for k, v in value.items()))
    return str(value)


def rows_match(gold: Sequence[Sequence[Any]], got: Sequence[Sequence[Any]],
               ordered: bool = False) -> bool:
    """Whether ``got`` holds the ``gold`` rows (see the module's rules)."""
    if len(gold) != len(got):
        return False
    if not gold:
        return True
    gold_n = [tuple(normal(v) for v in row) for row in gold]
    got_n = [tuple(normal(v) for v in row) for row in got]
    width, have = len(gold_n[0]), len(got_n[0])
    if width > have:
        return False
    for columns in permutations(range(have), width):
        projected = [tuple(row[c] for c in columns) for row in got_n]
        if _in_order(projected, gold_n) if ordered else (Counter(projected) == Counter(gold_n)):
            return True
    return False


def _in_order(got: list[tuple[Any, ...]], gold: list[tuple[Any, ...]]) -> bool:
    """Whether ``got`` lists ``gold``'s rows in its order, ties (consecutive gold rows equal
    in every column after the first) in any order among themselves."""
    if len(gold[0]) < 2:
        return got == gold
    start = 0
    for end in range(1, len(gold) + 1):
        if end == len(gold) or gold[end][1:] != gold[start][1:]:
            if Counter(got[start:end]) != Counter(gold[start:end]):
                return False
            start = end
    return True


def _gold_rows(store: GraphStore, case: EvalCase) -> list[list[Any]]:
    if case.expected_rows is not None:
        return case.expected_rows
    assert case.cypher is not None
    return [list(row.values()) for row in store.read(case.cypher, **case.params)]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


def evaluate(cases: Iterable[EvalCase], ask: Asker, store: GraphStore, data: str = ""
             ) -> Text2CypherReport:
    """Ask every case's question and compare the rows with the gold query's rows."""
    per: dict[str, list[bool]] = {}
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    errors: list[str] = []
    wrong: list[str] = []
    total = 0
    for case in cases:
        total += 1
        gold = _gold_rows(store, case)
        began = time.perf_counter()
        try:
            result = ask(case.question)
        except CityAgentError as exc:
            errors.append(f"{case.question}: {exc}")
            per.setdefault("error", []).append(False)
            continue
        finally:
            latencies.append((time.perf_counter() - began) * 1000)
        statuses[result.status] += 1
        ok = result.status == "answered" and rows_match(gold, result.rows, case.ordered)
        per.setdefault(result.source or "none", []).append(ok)
        if not ok:
            wrong.append(f"{case.question} [{result.source or result.status}]")
    correct = sum(sum(v) for v in per.values())
    return Text2CypherReport(
        data=data, questions=total, correct=correct,
        execution_accuracy=round(correct / total, 4) if total else 0.0,
        answered=statuses["answered"],
        by_template={k: TemplateScore(questions=len(v), correct=sum(v),
                                      accuracy=round(sum(v) / len(v), 4))
                     for k, v in sorted(per.items())},
        by_status=dict(statuses), refusals=statuses["refused"],
        latency_ms_p50=_percentile(latencies, 0.5), latency_ms_p95=_percentile(latencies, 0.95),
        errors=errors, wrong=wrong)
