"""Single relationships listed across the register: parsing (pure), compiling, and answers on
the demo city."""

from __future__ import annotations

from typing import Any

import pytest

from bots.text2cypher.edge_frames import EdgeFrame, compile_edge_frame, parse_edge_frame
from bots.text2cypher.engine import answer_question
from bots.text2cypher.evaluation import rows_match
from bots.text2cypher.frames import Condition
from bots.text2cypher.templates import normalise
from kg.mentions import MentionIndex
from kg.ontology import Ontology, load_ontology
from kg.store import GraphStore


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    """The project's ontology."""
    return load_ontology()


def _edges(ontology: Ontology, question: str) -> EdgeFrame | None:
    return parse_edge_frame(normalise(question), ontology)


@pytest.mark.parametrize(("question", "expected"), [
    ("单笔担保金额最大的两笔", {"rel": "GUARANTEES", "descending": True, "limit": 2}),
    ("自然人为企业担保、单笔金额在1000万元以上的有哪些",
     {"rel": "GUARANTEES", "start": "Person", "end": "Company", "descending": None,
      "conditions": [Condition(prop="amount", op=">=", value=1000.0)]}),
    ("持股比例超过50%的持股关系有哪些",
     {"rel": "HOLDS_SHARES", "conditions": [Condition(prop="ratio", op=">", value=0.5)]}),
    ("单笔投资金额最小的一笔", {"rel": "INVESTS_IN", "descending": False, "limit": 1}),
    ("全市担保总额是多少", {"rel": "GUARANTEES", "totals": True}),
    ("2024年四季度一共发生多少笔转账",
     {"rel": "TRANSFERS", "totals": True,
      "conditions": [Condition(prop="time", op=">=", value="2024-10-01", is_date=True),
                     Condition(prop="time", op="<=", value="2024-12-31", is_date=True)]}),
])
def test_questions_about_single_relationships_parse(ontology: Ontology, question: str,
                                                    expected: dict[str, Any]) -> None:
    frame = _edges(ontology, question)
    assert frame is not None
    for field, value in expected.items():
        assert getattr(frame, field) == value, field


@pytest.mark.parametrize("question", [
    "对外担保总额最高的企业是哪家", "担保金额超过1000万的企业有哪些", "单笔的情况怎么样",
    "对外担保笔数最多的担保方是谁", "各企业的担保总额"])
def test_totals_per_entity_and_vague_questions_are_not_single_relationships(
        ontology: Ontology, question: str) -> None:
    assert _edges(ontology, question) is None


def test_compiled_edges_carry_values_as_parameters_and_refuse_unknown_names(
        ontology: Ontology) -> None:
    frame = EdgeFrame(rel="GUARANTEES", start="Person",
                      conditions=[Condition(prop="amount", op=">=", value=1000.0)],
                      descending=True, limit=3)
    compiled = compile_edge_frame(frame, ontology)
    assert "1000" not in compiled.cypher and compiled.params == {"v0": 1000.0, "limit": 3}
    with pytest.raises(ValueError):
        compile_edge_frame(frame.model_copy(update={"start": "Nowhere"}), ontology)
    with pytest.raises(ValueError):
        compile_edge_frame(frame.model_copy(update={"rel": "NOPE"}), ontology)


@pytest.mark.parametrize(("question", "gold"), [
    ("单笔投资金额最大的3笔是谁投的什么",
     "MATCH (i)-[r:INVESTS_IN]->(x) RETURN i.name, x.name, r.amount "
     "ORDER BY r.amount DESC LIMIT 3"),
    ("自然人为企业担保、单笔金额在1000万元以上的有哪些",
     "MATCH (p:Person)-[g:GUARANTEES]->(c:Company) WHERE g.amount >= 1000 "
     "RETURN p.name, c.name, g.amount"),
    # each holding of a kind of company, by its holders' kind
    ("持有银行股权的个人有哪些，各持哪家多少",
     "MATCH (p:Person)-[h:HOLDS_SHARES]->(b:Bank) RETURN p.name, b.name, h.ratio"),
    ("单笔超500万元的转账有多少笔",
     "MATCH (:Account)-[t:TRANSFERS]->(:Account) WHERE t.amount > 500 RETURN count(t)"),
    ("企业账户转入个人账户的转账一共多少笔、多少钱",
     "MATCH (:Company)-[:HOLDS_ACCOUNT]->()-[t:TRANSFERS]->()<-[:HOLDS_ACCOUNT]-(:Person) "
     "RETURN count(t), sum(t.amount)"),
])
def test_single_relationships_on_the_demo_city(demo_graph: GraphStore, question: str,
                                               gold: str) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph), question)
    assert answer.status == "answered" and answer.source == "edge_frame"
    expected = [list(r.values()) for r in demo_graph.read(gold)]
    assert rows_match(expected, answer.rows, ordered="ORDER BY" in gold)


def test_two_kinds_of_party_compared_each_totalled(demo_graph: GraphStore) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph),
                             "个人担保和企业担保相比，担保金额合计和中位数各是多少")
    gold = demo_graph.read(
        "MATCH (g)-[r:GUARANTEES]->() WITH CASE WHEN g:Person THEN '个人' ELSE '企业' END AS k, r "
        "RETURN k, count(r) AS n, sum(r.amount) AS total, percentileCont(r.amount, 0.5) AS mid")
    assert answer.source == "edge_frame"
    assert rows_match([list(g.values()) for g in gold], answer.rows)


@pytest.mark.parametrize(("question", "gold"), [
    ("担保金额高于被担保公司注册资本的担保一共几笔",
     "MATCH ()-[r:GUARANTEES]->(c:Company) WHERE r.amount > c.registered_capital "
     "RETURN count(r)"),
    ("周六周日的转账总共几笔、合计多少",
     "MATCH ()-[r:TRANSFERS]->() WHERE date(r.time).dayOfWeek IN [6, 7] "
     "RETURN count(r), sum(r.amount)"),
    ("哪些担保的金额超过了被担保企业注册资本的5倍",
     "MATCH (g)-[r:GUARANTEES]->(c:Company) WHERE r.amount > 5 * c.registered_capital "
     "RETURN g.name, c.name, r.amount"),
])
def test_amounts_measured_against_the_capital_at_their_end_or_on_weekends(demo_graph: GraphStore,
                                                           question: str, gold: str) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph), question)
    expected = [list(r.values()) for r in demo_graph.read(gold)]
    assert answer.source == "edge_frame" and expected and rows_match(expected, answer.rows)


def test_transfers_between_account_holders(demo_graph: GraphStore) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph),
                             "单位账户往个人账户单笔转超过1000万的有哪些")
    gold = demo_graph.read(
        "MATCH (c:Company)-[:HOLDS_ACCOUNT]->(:Account)-[t:TRANSFERS]->(:Account)"
        "<-[:HOLDS_ACCOUNT]-(p:Person) WHERE t.amount > 1000 "
        "RETURN c.name AS c, p.name AS p, t.amount AS a")
    assert answer.source == "edge_frame"
    assert rows_match([[g["c"], g["p"], g["a"]] for g in gold], answer.rows)


@pytest.mark.parametrize("question", ["2025年上半年每个月转账多少笔、总金额多少",
                                      "2025年上半年每个月全市账户间转账的总金额是多少？按月份列出"])
def test_transfers_totalled_per_month(demo_graph: GraphStore, question: str) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph), question)
    gold = demo_graph.read(
        "MATCH ()-[t:TRANSFERS]->() WHERE date(t.time) >= date('2025-01-01') "
        "AND date(t.time) <= date('2025-06-30') "
        "RETURN t.time.month AS m, count(t) AS n, sum(t.amount) AS a ORDER BY m")
    assert answer.source == "edge_frame" and len(gold) == 6
    assert rows_match([[g["m"], g["n"], g["a"]] for g in gold], answer.rows, ordered=True)


@pytest.mark.parametrize(("question", "gold"), [
    ("请按担保起始年份统计全市担保笔数及担保金额",
     "MATCH ()-[g:GUARANTEES]->() RETURN g.since.year, count(g), sum(g.amount)"),
    ("2025年一季度 转账 笔数 总额",
     "MATCH ()-[t:TRANSFERS]->() WHERE date(t.time) >= date('2025-01-01') "
     "AND date(t.time) <= date('2025-03-31') RETURN count(t), sum(t.amount)"),
    ("自然人 对外担保 人数 总金额",
     "MATCH (p:Person)-[g:GUARANTEES]->() RETURN count(DISTINCT p), count(g), sum(g.amount)"),
    ("单笔金额超过1000万元的转账有哪些？请列示付款账户、收款账户和金额。",
     "MATCH (a:Account)-[t:TRANSFERS]->(b:Account) WHERE t.amount > 1000 "
     "RETURN a.name, b.name, t.amount"),
    ("基金 持股 超过30% 的企业 及 持股基金",
     "MATCH (f:Fund)-[r:HOLDS_SHARES]->(c:Company) WHERE r.ratio > 0.3 "
     "RETURN f.name, c.name, r.ratio"),
])
def test_relationships_totalled_by_year_period_and_party(demo_graph: GraphStore, question: str,
                                                         gold: str) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph), question)
    assert answer.source == "edge_frame"
    assert rows_match([list(r.values()) for r in demo_graph.read(gold)], answer.rows)

