"""Money moved inside a controller's group: parsing (pure) and answers on the demo city."""

from __future__ import annotations

import pytest

from bots.text2cypher.engine import answer_question
from bots.text2cypher.evaluation import rows_match
from bots.text2cypher.group_transfers import GroupTransfers, parse_group_transfers
from bots.text2cypher.templates import normalise
from kg.mentions import MentionIndex
from kg.store import GraphStore


def _parsed(question: str, name: str) -> GroupTransfers | None:
    text = normalise(question)
    return parse_group_transfers(text, "P1", "Person", text.index(name) + len(name))


@pytest.mark.parametrize(("question", "to_controller", "since", "until", "shape"), [
    ("周德明实际控制的企业之间相互转了多少钱", False, None, None, "total"),
    ("2025年3月周德明控制的公司往他本人的个人账户打了哪几笔钱", True, "2025-03-01",
     "2025-03-31", "rows"),
    ("1972年出生的王建国控制的企业向他个人账户转账，按公司列出金额", True, None, None,
     "per_payer"),
    ("2024年9月10日王建国控制的公司之间互相转账一共多少钱，分别是哪几笔", False, "2024-09-10",
     "2024-09-10", "rows_with_total"),
    ("周德明控制的那几家企业，一共给他本人账户转过几笔钱，合计多少？", True, None, None, "total"),
])
def test_group_transfers_are_read_with_their_period_and_shape(
        question: str, to_controller: bool, since: str | None, until: str | None,
        shape: str) -> None:
    name = "周德明" if "周德明" in question else "王建国"
    parsed = _parsed(question, name)
    assert parsed is not None
    assert (parsed.to_controller, parsed.since, parsed.until, parsed.shape) == (
        to_controller, since, until, shape)


@pytest.mark.parametrize("question", [
    "周德明控制的公司有哪些",  # no money moved
    "周德明的个人账户收到过哪些转账",  # not through the companies he controls
    "周德明控制的公司一共转出了多少钱",  # to anyone, not inside the group
])
def test_other_questions_are_not_group_transfers(question: str) -> None:
    assert _parsed(question, "周德明") is None


@pytest.mark.parametrize(("question", "gold"), [
    ("1972年出生的王建国控制的企业彼此之间转账一共几笔，合计多少",
     "MATCH (p:Person {name: '王建国', birth_year: 1972})-[:CONTROLS]->(:Company)"
     "-[:HOLDS_ACCOUNT]->()-[t:TRANSFERS]->()<-[:HOLDS_ACCOUNT]-(:Company)<-[:CONTROLS]-(p) "
     "RETURN count(t), sum(t.amount)"),
    ("周德明控制的公司往他个人账户转了哪些钱",
     "MATCH (p:Person {name: '周德明'})-[:CONTROLS]->(c:Company)-[:HOLDS_ACCOUNT]->()"
     "-[t:TRANSFERS]->()<-[:HOLDS_ACCOUNT]-(p) RETURN c.name, t.amount, t.time"),
])
def test_group_transfers_on_the_demo_city(demo_graph: GraphStore, question: str,
                                          gold: str) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph), question)
    assert answer.status == "answered" and answer.source == "group_transfers"
    expected = [list(r.values()) for r in demo_graph.read(gold)]
    assert expected and rows_match(expected, answer.rows)
