"""Regulator question templates on the demo city: wording → template, names → ids."""

from __future__ import annotations

import pytest

from bots.text2cypher.engine import answer_question
from bots.text2cypher.evaluation import rows_match
from bots.text2cypher.templates import TEMPLATES, match_template, normalise
from kg.mentions import MentionIndex
from kg.store import GraphStore


@pytest.fixture(scope="module")
def index(demo_graph: GraphStore) -> MentionIndex:
    """The demo graph's entity names."""
    return MentionIndex.from_graph(demo_graph)


def test_templates_are_many_named_once_and_cover_every_risk_query() -> None:
    from kg.risk import RISK_QUERIES

    names = [t.name for t in TEMPLATES]
    assert 15 <= len(names) <= 25 and len(set(names)) == len(names)
    assert {t.risk for t in TEMPLATES if t.risk} == set(RISK_QUERIES)
    for template in TEMPLATES:
        assert (template.cypher is None) != (template.risk is None), template.name


@pytest.mark.parametrize(("question", "template"), [
    ("城投公司的实控人是谁", "ultimate_controllers"),
    ("宏达建设和谁互保", "guarantee_circles"),
    ("同德实业有没有交叉持股", "circular_shareholding"),
    ("恒信集团的关联企业", "related_parties"),
    ("凯旋建材的担保链条", "guarantee_chains"),
    ("哪些公司为凯旋建材担保", "guarantors"),
    ("凯旋建材为哪些公司担保", "guarantees_given"),
    ("滨江交投股东", "shareholders"),
    ("滨江交投持有哪些公司", "holdings"),
    ("高新区有几家企业", "company_count_in_district"),
])
def test_wordings_pick_their_template(index: MentionIndex, question: str, template: str) -> None:
    match = match_template(question, index.find(normalise(question)))
    assert match is not None and match.template == template


def test_an_abbreviation_resolves_to_the_full_name(demo_graph: GraphStore, index: MentionIndex
                                                   ) -> None:
    answer = answer_question(demo_graph, index, "滨江城投的法定代表人是谁？")
    gold = demo_graph.read("MATCH (p:Person)-[:IS_LEGAL_REP]->(c:Company {name: $n}) "
                           "RETURN p.name", n="滨江城市建设投资有限公司")
    assert answer.status == "answered" and answer.source == "legal_rep"
    assert answer.cypher is not None and "$id" in answer.cypher
    assert rows_match([list(r.values()) for r in gold], answer.rows)


def test_an_ambiguous_name_asks_which_one(demo_graph: GraphStore, index: MentionIndex) -> None:
    answer = answer_question(demo_graph, index, "张伟是哪些公司的法定代表人")
    assert answer.status == "clarify" and len(answer.candidates) == 3
    assert "张伟" in answer.message and not answer.rows


def test_an_unknown_name_is_not_found(demo_graph: GraphStore, index: MentionIndex) -> None:
    answer = answer_question(demo_graph, index, "某某不存在公司的实际控制人是谁")
    assert answer.status == "not_found" and "没有在图谱中找到" in answer.message


def test_a_question_beyond_the_templates_without_llm_says_so(demo_graph: GraphStore,
                                                             index: MentionIndex) -> None:
    answer = answer_question(demo_graph, index, "对外担保总金额最高的企业是哪家")
    assert answer.status == "unanswered" and not answer.rows and answer.cypher is None


def test_rows_match_ignores_order_rotation_and_extra_columns() -> None:
    assert rows_match([["a", 0.5], ["b", 1]], [["b", "id-b", 1.0], ["a", "id-a", 0.50001]])
    assert rows_match([[["x", "y", "z"]]], [[["y", "z", "x"]]])
    assert not rows_match([["a"], ["b"]], [["b"], ["a"]], ordered=True)
    assert not rows_match([["a"]], [["a"], ["a"]])
