"""Register-wide questions: parsing into frames (pure), compiling, and answers on the demo city."""

from __future__ import annotations

from typing import Any

import pytest

from bots.text2cypher.engine import answer_question
from bots.text2cypher.evaluation import rows_match
from bots.text2cypher.frame_conditions import chinese_number, period_conditions
from bots.text2cypher.frame_parser import parse_frame
from bots.text2cypher.frames import (
    Aggregate,
    Condition,
    HoldingBound,
    ListFrame,
    compile_frame,
)
from bots.text2cypher.shaping import shape_rows
from bots.text2cypher.templates import normalise
from bots.text2cypher.vocabulary import GraphVocabulary
from kg.mentions import MentionIndex
from kg.ontology import Ontology, city_now, load_ontology
from kg.store import GraphStore

VOCABULARY = GraphVocabulary(values={
    "Company": {"industry": ["房地产业", "制造业", "金融业"], "status": ["存续", "注销"]},
    "Fund": {"status": ["正常运作", "延期兑付"]},
    "RiskEvent": {"severity": ["高", "中", "低"], "kind": ["逾期兑付"]},
    "Person": {"gender": ["男", "女"]},
}, titles=["董事长", "行长"])


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    """The project's ontology."""
    return load_ontology()


def _frame(ontology: Ontology, question: str) -> ListFrame | None:
    return parse_frame(normalise(question), ontology, VOCABULARY)


@pytest.mark.parametrize(("question", "expected"), [
    ("制造业里注册资本最高的10家企业是哪些",
     {"label": "Company", "order_by": "registered_capital", "limit": 10,
      "conditions": [Condition(prop="industry", op="=", value="制造业")]}),
    ("注册资本超过1亿元的房地产企业有几家",
     {"label": "Company", "count_only": True,
      "conditions": [Condition(prop="industry", op="=", value="房地产业"),
                     Condition(prop="registered_capital", op=">", value=10000.0)]}),
    ("预期年化收益率不低于15%的金融产品有哪些",
     {"label": "Product",
      "conditions": [Condition(prop="expected_return", op=">=", value=0.15)]}),
    ("2023年上半年新成立的企业有哪些？",
     {"label": "Company", "conditions": [
         Condition(prop="founded_on", op=">=", value="2023-01-01", is_date=True),
         Condition(prop="founded_on", op="<=", value="2023-06-30", is_date=True)]}),
    ("2025年以来发生了哪些风险事件",
     {"label": "RiskEvent", "conditions": [
         Condition(prop="occurred_on", op=">=", value="2025-01-01", is_date=True)]}),
    ("低风险等级的事件一共有几起",
     {"label": "RiskEvent", "count_only": True,
      "conditions": [Condition(prop="severity", op="=", value="低")]}),
    ("按行业统计一下企业数量", {"label": "Company", "group_by": "industry"}),
    ("哪个行业的企业数量最多？",
     {"label": "Company", "group_by": "industry", "order_by": "tally", "limit": 1}),
    ("规模最大的5只基金及其管理人", {"label": "Fund", "order_by": "size", "limit": 5}),
    ("在售的贷款产品里，利率下限最低的是哪款",
     {"label": "LoanProduct", "order_by": "rate_min", "descending": False, "limit": 1}),
    ("最高额度最高的贷款产品是哪款", {"label": "LoanProduct", "order_by": "amount_max"}),
    ("利率上限超过10%的贷款产品有哪些",
     {"label": "LoanProduct", "conditions": [Condition(prop="rate_max", op=">", value=0.1)]}),
    ("各类私募基金分别有多少只，总规模多少", {"label": "Fund", "group_by": "kind"}),
    ("担任法定代表人最多的是谁？一共当了几家公司的法人",
     {"label": "Person", "order_by": "tally", "limit": 1}),
    ("对外担保总金额排名前三的担保主体是谁", {"label": "Party", "order_by": "tally", "limit": 3}),
    ("没有备案编码的基金",
     {"label": "Fund", "conditions": [Condition(prop="filing_code", op="IS NULL", value="")]}),
    ("注册地址在红星路的企业有多少家",
     {"label": "Company", "count_only": True,
      "conditions": [Condition(prop="address", op="CONTAINS", value="红星路")]}),
    ("有没有好几家公司登记在同一个地址的情况", {"group_by": "address", "shared_only": True,
                                         "limit": None}),
    ("库里有哪些重名的人", {"label": "Person", "group_by": "name", "shared_only": True}),
    ("四家银行按开户数量从多到少排一下",
     {"label": "Bank", "order_by": "tally", "descending": True}),
    # a bank account is an account, not a bank; 各个 groups as 各 does
    ("有几家公司一个银行账户也没有", {"label": "Company", "count_only": True}),
    ("各个行业企业的平均注册资本", {"label": "Company", "group_by": "industry"}),
    # a plain 排序 sorts from the first; 占多少 asks a share
    ("2025年以来的风险事件按发生日期排序", {"label": "RiskEvent", "order_by": "occurred_on",
                                   "descending": False}),
    ("法定代表人里男性占多少", {"share": True}),
])
def test_questions_parse_into_frames(ontology: Ontology, question: str,
                                     expected: dict[str, Any]) -> None:
    frame = _frame(ontology, question)
    assert frame is not None
    for field, value in expected.items():
        assert getattr(frame, field) == value, field


@pytest.mark.parametrize(("question", "label", "holding"), [
    ("持有某家公司超过一半股权的个人有几位", "Person",
     HoldingBound(outgoing=True, other="Company", op=">", ratio=0.5)),
    ("由单个自然人100%持股的企业有哪些", "Company",
     HoldingBound(outgoing=False, other="Person", op="=", ratio=1.0)),
])
def test_a_holding_above_half_or_whole_is_a_condition(ontology: Ontology, question: str,
                                                      label: str,
                                                      holding: HoldingBound) -> None:
    frame = _frame(ontology, question)
    assert frame is not None and frame.label == label and frame.holding == holding
    assert "$vhold" in compile_frame(frame, ontology).cypher


def test_a_person_shown_beside_each_entity_comes_with_a_birth_year(ontology: Ontology) -> None:
    frame = _frame(ontology, "吊销的企业有哪些，实际控制人是谁")
    assert frame is not None and any(c.rel == "CONTROLS" for c in frame.companions)
    assert ".birth_year AS `实际控制人出生年份`" in compile_frame(frame, ontology).cypher


def test_rankings_by_a_relationship_count_or_sum(ontology: Ontology) -> None:
    guarantors = _frame(ontology, "对外担保总额最高的前5家企业")
    reps = _frame(ontology, "担任法定代表人最多的5个人是谁，各担任几家")
    busy = _frame(ontology, "哪些人同时担任5家以上公司的法定代表人")
    assert guarantors is not None and guarantors.tally is not None
    assert (guarantors.tally.rel, guarantors.tally.outgoing, guarantors.tally.function) == (
        "GUARANTEES", True, "sum") and guarantors.limit == 5
    assert reps is not None and reps.label == "Person" and reps.tally is not None
    assert (reps.tally.rel, reps.tally.function, reps.limit) == ("IS_LEGAL_REP", "count", 5)
    assert busy is not None and busy.tally is not None and busy.tally.at_least == 5
    assert busy.limit is None


def test_companions_follow_the_ontology(ontology: Ontology) -> None:
    funds = _frame(ontology, "规模最大的5只基金及其管理人")
    events = _frame(ontology, "列出所有中等严重程度的风险事件及涉及的企业")
    assert funds is not None and [(c.rel, c.outgoing) for c in funds.companions] == [
        ("MANAGES", False)]
    assert events is not None and [(c.rel, c.outgoing) for c in events.companions] == [
        ("INVOLVES", True)]
    assert events.conditions == [Condition(prop="severity", op="=", value="中")]


def test_questions_about_no_class_or_nothing_register_wide_give_no_frame(
        ontology: Ontology) -> None:
    assert _frame(ontology, "你好") is None
    assert _frame(ontology, "企业") is None


def test_compiled_cypher_carries_values_only_as_parameters(ontology: Ontology) -> None:
    frame = _frame(ontology, "制造业里注册资本最高的10家企业是哪些")
    assert frame is not None
    compiled = compile_frame(frame, ontology)
    assert "制造业" not in compiled.cypher and compiled.params == {"v0": "制造业", "limit": 10}
    with pytest.raises(ValueError, match="no properties"):
        compile_frame(ListFrame(label="Company", group_by="nonsense"), ontology)


def test_chinese_numbers() -> None:
    assert [chinese_number(t) for t in ("10", "五", "十", "十二", "二十")] == [10, 5, 10, 12, 20]


def test_totals_and_counts_replace_rows_only_when_asked() -> None:
    columns, rows = ["投资人", "投资标的", "金额（万元）"], [["甲", "A", 10.0], ["乙", "A", 5.5],
                                                          ["甲", "B", 1.0]]
    both = shape_rows("这只基金有多少投资人合计投了多少钱", columns, rows)
    assert both is not None and both.rows == [[2, 16.5]]
    assert shape_rows("这只基金的投资人有哪些各投了多少", columns, rows) is None
    assert shape_rows("这只基金的投资人", columns, rows) is None


def _gold(store: GraphStore, cypher: str) -> list[list[Any]]:
    return [list(r.values()) for r in store.read(cypher)]


def _answered_by_a_frame(demo_graph: GraphStore, question: str, gold: str) -> None:
    """The question is answered by a register-wide frame with the gold query's rows."""
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph), question)
    assert answer.status == "answered" and answer.source == "frame"
    assert rows_match(_gold(demo_graph, gold), answer.rows)


@pytest.mark.parametrize(("question", "gold"), [
    ("按行业统计一下全市企业数量",
     "MATCH (c:Company) RETURN c.industry, count(*)"),
    ("对外担保总额最高的企业是哪家",
     "MATCH (c:Company)-[g:GUARANTEES]->() WITH c, sum(g.amount) AS t "
     "ORDER BY t DESC LIMIT 1 RETURN c.name, t"),
    ("注册资本超过1亿元的企业有几家",
     "MATCH (c:Company) WHERE c.registered_capital > 10000 RETURN count(c)"),
    ("2023年成立的企业有哪些",
     "MATCH (c:Company) WHERE c.founded_on >= date('2023-01-01') "
     "AND c.founded_on <= date('2023-12-31') RETURN c.name"),
    ("不算滨江担保，对外担保金额合计最多的是谁",
     "MATCH (g)-[r:GUARANTEES]->() WHERE g.name <> '滨江融资担保集团有限公司' "
     "WITH g, sum(r.amount) AS t ORDER BY t DESC LIMIT 1 RETURN g.name, t"),
    ("状态是久悬的账户分别是谁名下的",
     "MATCH (h)-[:HOLDS_ACCOUNT]->(a:Account {status: '久悬'}) RETURN a.id, h.name"),
    ("请列出冻结状态的账户，并注明户主和开户银行",
     "MATCH (h)-[:HOLDS_ACCOUNT]->(a:Account {status: '冻结'})-[:OPENED_AT]->(b) "
     "RETURN a.id, h.name, b.name"),
    ("每家银行的贷款产品各有几款，利率下限最低是多少",
     "MATCH (b:Bank)-[:ISSUES]->(p:LoanProduct) RETURN b.name, count(p), min(p.rate_min)"),
    ("风险事件按发生年份统计",
     "MATCH (e:RiskEvent) RETURN e.occurred_on.year, count(e)"),
    ("由一个自然人100%持股的公司有几家",
     "MATCH (c:Company) WHERE EXISTS { MATCH (:Person)-[h:HOLDS_SHARES]->(c) "
     "WHERE h.ratio = 1.0 } RETURN count(c)"),
    # two groupings at once, and a figure asked after 及
    ("风险事件按发生年份和严重程度统计数量",
     "MATCH (e:RiskEvent) RETURN e.occurred_on.year, e.severity, count(e)"),
    ("各区县各行业的企业数量",
     "MATCH (c:Company)-[:LOCATED_IN]->()-[:PART_OF*0..1]->(d:District) "
     "RETURN d.name, c.industry, count(DISTINCT c)"),
    ("按基金类型统计基金数量及平均规模",
     "MATCH (f:Fund) RETURN f.kind, count(f), avg(f.size)"),
    # spans of dates, kinds linked by verbs and roles, positions lacked, tops of groups
    ("2024年1月到3月出了哪些风险事件",
     "MATCH (e:RiskEvent) WHERE e.occurred_on >= date('2024-01-01') "
     "AND e.occurred_on <= date('2024-03-31') RETURN e.name"),
    ("既投了基金又买了产品的自然人有几位",
     "MATCH (p:Person) WHERE (p)-[:INVESTS_IN]->(:Fund) AND (p)-[:INVESTS_IN]->(:Product) "
     "RETURN count(p)"),
    ("发生过风险事件的那些产品各有多少投资人",
     "MATCH (:RiskEvent)-[:INVOLVES]->(p:Product)<-[r:INVESTS_IN]-() "
     "RETURN p.name, count(r)"),
    ("80后法定代表人有多少人",
     "MATCH (p:Person)-[:IS_LEGAL_REP]->() WHERE p.birth_year >= 1980 "
     "AND p.birth_year <= 1989 RETURN count(DISTINCT p)"),
    ("请按行业列示注册资本最高的企业",
     "MATCH (c:Company) WITH c.industry AS i, max(c.registered_capital) AS m "
     "MATCH (c:Company {industry: i}) WHERE c.registered_capital = m RETURN i, c.name"),
    ("每一种贷款产品里最高额度最大的是哪款",
     "MATCH (p:LoanProduct) WITH p.kind AS k, max(p.amount_max) AS m "
     "MATCH (p:LoanProduct {kind: k}) WHERE p.amount_max = m RETURN k, p.name"),
    ("存续 vs 注销 企业平均注册资本",
     "MATCH (c:Company) WHERE c.status IN ['存续', '注销'] "
     "RETURN c.status, avg(c.registered_capital)"),
    ("按开户银行统计冻结账户的数量",
     "MATCH (a:Account {status: '冻结'})-[:OPENED_AT]->(b) RETURN b.name, count(a)"),
    ("哪家基金管理人在管基金总规模最小",
     "MATCH (m:Company)-[:MANAGES]->(f:Fund) WITH m, sum(f.size) AS s "
     "ORDER BY s LIMIT 1 RETURN m.name, s"),
    ("哪个行业的企业平均注册资本最低",
     "MATCH (c:Company) WITH c.industry AS i, avg(c.registered_capital) AS a "
     "RETURN i, a ORDER BY a LIMIT 1"),
    ("有没有注册资本不到10万的公司",  # 有没有 asks whether, it sets no missing capital
     "MATCH (c:Company) WHERE c.registered_capital < 10 RETURN c.name"),
    ("既是股东又是被担保人的企业有哪些",
     "MATCH (c:Company) WHERE (c)-[:HOLDS_SHARES]->() AND ()-[:GUARANTEES]->(c) "
     "RETURN c.name"),
    ("除银行以外没有监事的企业有几家",
     "MATCH (c:Company) WHERE NOT c:Bank "
     "AND NOT EXISTS { (:Person)-[:SERVES_AS {title: '监事'}]->(c) } RETURN count(c)"),
])
def test_register_questions_on_the_demo_city(demo_graph: GraphStore, question: str,
                                             gold: str) -> None:
    _answered_by_a_frame(demo_graph, question, gold)


def test_a_singular_ranking_names_every_entity_tied_at_the_top(demo_graph: GraphStore) -> None:
    _answered_by_a_frame(demo_graph, "哪家公司管理的基金最多",
                         "MATCH (m:Company)-[:MANAGES]->(f:Fund) WITH m, count(f) AS k "
                         "WITH max(k) AS top, collect([m.name, k]) AS all UNWIND all AS r "
                         "WITH r, top WHERE r[1] = top RETURN r[0], r[1]")


@pytest.mark.parametrize(("question", "gold"), [
    ("有风险事件记录的企业一共有多少家",
     "MATCH (:RiskEvent)-[:INVOLVES]->(c:Company) RETURN count(DISTINCT c)"),
    ("企业数量最多的三个街道各有多少家",
     "MATCH (c:Company)-[:LOCATED_IN]->(s:Street) RETURN s.name, count(c) AS k "
     "ORDER BY k DESC LIMIT 3"),
    ("各类型基金的数量和平均规模",
     "MATCH (f:Fund) RETURN f.kind, count(f), avg(f.size)"),
])
def test_counts_by_relationship_region_and_average(demo_graph: GraphStore, question: str,
                                                   gold: str) -> None:
    _answered_by_a_frame(demo_graph, question, gold)


def test_who_ties_a_listed_party_to_the_other_end_when_asked(ontology: Ontology) -> None:
    frame = _frame(ontology, "1995年及以后出生、担任企业法定代表人的有哪些人？分别是哪家公司")
    assert frame is not None and frame.label == "Person"
    assert frame.tally is not None and frame.tally.rel == "IS_LEGAL_REP"
    assert [(c.rel, c.outgoing) for c in frame.companions] == [("IS_LEGAL_REP", True)]


def test_a_named_street_is_a_condition_not_a_breakdown(demo_graph: GraphStore) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph),
                             "北站街道有哪些制造业企业")
    gold = _gold(demo_graph, "MATCH (c:Company {industry: '制造业'})-[:LOCATED_IN]->"
                             "(:Street {name: '北站街道'}) RETURN c.name")
    assert answer.source == "frame" and rows_match(gold, answer.rows)


def test_related_values_negations_birth_years_and_parties(ontology: Ontology) -> None:
    events = {"severity": ["高", "中", "低"], "kind": ["失信被执行"]}
    vocabulary = VOCABULARY.model_copy(
        update={"values": {**VOCABULARY.values, "RiskEvent": events}})
    listed = parse_frame(normalise("被列为失信被执行人的企业有哪些"), ontology, vocabulary)
    negated = _frame(ontology, "状态不是“正常运作”的基金有哪些")
    young = _frame(ontology, "1990年及以后出生的自然人有多少")
    guarantors = _frame(ontology, "对外担保金额合计最高的前三个担保人")
    assert listed is not None and [(r.rel, r.outgoing, r.other) for r in listed.related] == [
        ("INVOLVES", False, "RiskEvent")]
    assert negated is not None and negated.conditions == [
        Condition(prop="status", op="<>", value="正常运作")]
    assert young is not None and young.count_only and young.conditions == [
        Condition(prop="birth_year", op=">=", value=1990)]
    assert guarantors is not None and guarantors.label == "Party" and guarantors.limit == 3
    compiled = compile_frame(guarantors, ontology)
    assert "MATCH (n:Company|Person)" in compiled.cypher


def test_roles_and_counted_classes_become_tallies(ontology: Ontology) -> None:
    legal_reps = _frame(ontology, "1990年及以后出生的法定代表人有多少位")
    assert legal_reps is not None and legal_reps.label == "Person" and legal_reps.count_only
    assert legal_reps.tally is not None and legal_reps.tally.rel == "IS_LEGAL_REP"
    loans = _frame(ontology, "各家银行分别有几款贷款产品")
    assert loans is not None and loans.label == "Bank"
    assert loans.tally is not None and loans.tally.other == "LoanProduct"
    owned = _frame(ontology, "某某公司的股东有哪些")
    assert owned is None or owned.tally is None


@pytest.mark.parametrize(("question", "gold"), [
    ("各区发生过风险事件的企业各有多少家",
     "MATCH (:RiskEvent)-[:INVOLVES]->(c:Company)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..1]->"
     "(d:District) RETURN d.name, count(DISTINCT c)"),
    ("哪些企业的联系电话跟别的企业是重复的",
     "MATCH (c:Company) WITH c.phone AS phone, collect(c.name) AS names "
     "WHERE size(names) > 1 RETURN phone, names"),
])
def test_breakdowns_of_holders_and_shared_values_on_the_demo_city(
        demo_graph: GraphStore, question: str, gold: str) -> None:
    _answered_by_a_frame(demo_graph, question, gold)


def test_shares_medians_and_breakdowns_ranked_by_an_average(ontology: Ontology) -> None:
    share = _frame(ontology, "注销的企业占全部企业的比例是多少")
    assert share is not None and share.share and share.conditions
    median = _frame(ontology, "全市企业注册资本的中位数是多少万元")
    assert median is not None and median.aggregates == [
        Aggregate(function="median", prop="registered_capital")]
    ranked = _frame(ontology, "平均注册资本最高的三个行业")
    assert ranked is not None and ranked.group_by == "industry" and ranked.limit == 3
    compiled = compile_frame(ranked, ontology).cypher
    assert "ORDER BY `平均注册资本_万元` DESC" in compiled
    loans = _frame(ontology, "单户最高额度能到1000万及以上的贷款产品")
    assert loans is not None and loans.order_by is None and loans.conditions == [
        Condition(prop="amount_max", op=">=", value=1000.0)]


def test_a_share_on_the_demo_city(demo_graph: GraphStore) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph),
                             "吊销的企业占全部企业的比例是多少")
    gold = _gold(demo_graph, "MATCH (c:Company) RETURN toFloat(sum(CASE WHEN c.status = '吊销' "
                             "THEN 1 ELSE 0 END)) / count(c)")
    assert rows_match(gold, answer.rows)


@pytest.mark.parametrize(("question", "gold"), [
    ("江北区企业中制造业占比多少",
     "MATCH (c:Company)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..1]->(d:District {name: '江北区'}) "
     "WITH DISTINCT c RETURN toFloat(sum(CASE WHEN c.industry = '制造业' THEN 1 ELSE 0 END)) "
     "/ count(c)"),
    ("制造业企业里吊销的占多少比例",
     "MATCH (c:Company {industry: '制造业'}) RETURN toFloat(sum(CASE WHEN c.status = '吊销' "
     "THEN 1 ELSE 0 END)) / count(c)"),
    ("平均每家企业登记了几名高管",
     "MATCH (c:Company) OPTIONAL MATCH (p:Person)-[:SERVES_AS]->(c) WITH c, count(DISTINCT p) "
     "AS n RETURN avg(n)"),
    ("按管理人汇总在管基金规模，排前三的管理人是哪些",
     "MATCH (m)-[:MANAGES]->(f:Fund) WITH m, sum(f.size) AS total "
     "RETURN m.name, total ORDER BY total DESC LIMIT 3"),
    ("发生过风险事件的企业分布在哪些区",
     "MATCH (:RiskEvent)-[:INVOLVES]->(c:Company)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..1]->"
     "(d:District) RETURN d.name, count(DISTINCT c)"),
    ("滨江各区县分别登记了多少家企业",  # the city, not its namesake district
     "MATCH (c:Company)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..1]->(d:District) "
     "RETURN d.name, count(DISTINCT c)"),
    ("南山县的企业在下面各个乡镇是怎么分布的",
     "MATCH (c:Company)-[:LOCATED_IN]->(s:Street)-[:PART_OF]->(:District {name: '南山县'}) "
     "RETURN s.name, count(c)"),
    ("法定代表人里男的女的各有多少人",
     "MATCH (p:Person)-[:IS_LEGAL_REP]->() RETURN p.gender, count(DISTINCT p)"),
    ("2020年以来每年新成立了多少家企业",
     "MATCH (c:Company) WHERE c.founded_on >= date('2020-01-01') "
     "RETURN c.founded_on.year, count(c)"),
    ("股份有限公司和有限责任公司比，平均注册资本哪个高？各是多少",
     "MATCH (c:Company) WHERE c.kind IN ['股份有限公司', '有限责任公司'] "
     "RETURN c.kind, count(c), avg(c.registered_capital)"),
    ("吊销、注销的企业名下的银行账户，现在都是什么状态？各有多少个",
     "MATCH (c:Company)-[:HOLDS_ACCOUNT]->(a:Account) WHERE c.status IN ['吊销', '注销'] "
     "RETURN a.status, count(DISTINCT a)"),
    ("已经吊销或注销的企业中，还在对外提供担保的有几家",
     "MATCH (c:Company) WHERE c.status IN ['吊销', '注销'] AND (c)-[:GUARANTEES]->() "
     "RETURN count(c)"),
    ("管理基金总规模最大的三家管理人是哪三家",
     "MATCH (m)-[:MANAGES]->(f:Fund) RETURN m.name, sum(f.size) AS total, count(f) "
     "ORDER BY total DESC LIMIT 3"),
    ("四家银行各开了多少个账户？各占全部账户的比例是多少",
     "MATCH (a:Account) WITH count(a) AS total MATCH (a:Account)-[:OPENED_AT]->(b:Bank) "
     "WITH b, count(a) AS n, total RETURN b.name, n, toFloat(n) / total"),
    # terse and formal wordings
    ("2024年 新设 企业 数量 按区",
     "MATCH (c:Company)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..1]->(d:District) "
     "WHERE c.founded_on.year = 2024 RETURN d.name, count(DISTINCT c)"),
    ("风险事件 类型 数量", "MATCH (e:RiskEvent) RETURN e.kind, count(e)"),
    ("高新区 制造业 企业数",
     "MATCH (c:Company {industry: '制造业'})-[:LOCATED_IN]->(:Region)-[:PART_OF*0..1]->"
     "(:District {name: '高新区'}) RETURN count(DISTINCT c)"),
    ("同时 担任 3家以上 法定代表人 人数",
     "MATCH (p:Person)-[:IS_LEGAL_REP]->(c) WITH p, count(c) AS n WHERE n >= 3 "
     "RETURN count(p)"),
    ("请核查全市没有开立任何银行账户的企业数量",
     "MATCH (c:Company) WHERE NOT (c)-[:HOLDS_ACCOUNT]->() RETURN count(c)"),
    ("请按区县列示涉及风险事件的企业数量",
     "MATCH (:RiskEvent)-[:INVOLVES]->(c:Company)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..1]->"
     "(d:District) RETURN d.name, count(DISTINCT c)"),
    ("请列示全市企业数量排名前三的街道及各自企业数",
     "MATCH (c:Company)-[:LOCATED_IN]->(s:Street) RETURN s.name, count(c) AS n "
     "ORDER BY n DESC LIMIT 3"),
    ("请统计各银行开立的账户数量及其占全市账户总数的比例",
     "MATCH (a:Account) WITH count(a) AS total MATCH (a:Account)-[:OPENED_AT]->(b:Bank) "
     "WITH b, count(a) AS n, total RETURN b.name, n, toFloat(n) / total"),
    ("请统计全市企业法定代表人中女性所占比例",
     "MATCH (p:Person)-[:IS_LEGAL_REP]->() WITH DISTINCT p RETURN "
     "toFloat(sum(CASE WHEN p.gender = '女' THEN 1 ELSE 0 END)) / count(p)"),
    ("90后当法定代表人的企业有几家",
     "MATCH (p:Person)-[:IS_LEGAL_REP]->(c:Company) WHERE p.birth_year >= 1990 "
     "AND p.birth_year <= 1999 RETURN count(DISTINCT c)"),
    ("1990年及以后出生的人担任法定代表人的企业有多少家",
     "MATCH (p:Person)-[:IS_LEGAL_REP]->(c:Company) WHERE p.birth_year >= 1990 "
     "RETURN count(DISTINCT c)"),
    ("旗下基金总规模最大的前3家基金管理人是哪些",
     "MATCH (m)-[:MANAGES]->(f:Fund) WITH m, sum(f.size) AS total, count(f) AS n "
     "RETURN m.name, n, total ORDER BY total DESC LIMIT 3"),
    ("认缴私募基金出资总额最多的前5家企业是哪些",
     "MATCH (c:Company)-[i:INVESTS_IN]->(f:Fund) WITH c, sum(i.amount) AS total, count(f) AS n "
     "RETURN c.name, n, total ORDER BY total DESC LIMIT 5"),
    ("全市企业的登记状态分布如何？每种状态有多少家、占全部企业的百分之几",
     "MATCH (c:Company) WITH count(c) AS total MATCH (c:Company) "
     "WITH total, c.status AS st, count(c) AS n RETURN st, n, round(100.0 * n / total, 2)"),
    ("个人账户累计收到转入资金最多的前3个自然人是谁",  # through the persons' accounts
     "MATCH (p:Person)-[:HOLDS_ACCOUNT]->()<-[t:TRANSFERS]-() WITH p, sum(t.amount) AS total "
     "RETURN p.name, total ORDER BY total DESC LIMIT 3"),
    ("哪个账户收到的转账总额最多",
     "MATCH (a:Account)<-[t:TRANSFERS]-() WITH a, sum(t.amount) AS total "
     "RETURN a.name, total ORDER BY total DESC LIMIT 1"),
    ("没当过法定代表人的基金经理有哪些",
     "MATCH (p:Person)-[:MANAGES]->(:Fund) WHERE NOT (p)-[:IS_LEGAL_REP]->() "
     "RETURN DISTINCT p.name"),
])
def test_shares_of_a_part_averages_per_entity_and_totals_on_the_demo_city(
        demo_graph: GraphStore, question: str, gold: str) -> None:
    """A share out of the part the question opens with, a tally averaged over every entity
    (none counting 0), the other ends' figure totalled, a breakdown asked as 分布在哪些区."""
    _answered_by_a_frame(demo_graph, question, gold)


def test_a_scope_then_which_lists_the_scope(ontology: Ontology) -> None:
    accounts = GraphVocabulary(values={"Account": {"status": ["正常", "久悬"]}}, titles=[])
    frame = parse_frame(normalise("被吊销营业执照的企业里，哪些名下还挂着久悬账户"), ontology,
                        accounts)
    assert frame is not None and frame.label == "Company"
    assert [(r.other, r.value) for r in frame.related] == [("Account", "久悬")]
    each = _frame(ontology, "每只基金有几个投资人")
    assert each is not None and each.tally is not None and each.tally.other is None


def test_generations_literals_lacking_roles_and_loans(ontology: Ontology) -> None:
    young = _frame(ontology, "95后当法人的都有谁，是哪家公司的")
    assert young is not None and young.label == "Person"
    assert [(c.op, c.value) for c in young.conditions] == [(">=", 1995), ("<=", 1999)]
    assert [c.rel for c in young.companions] == ["IS_LEGAL_REP"]
    phone = _frame(ontology, "0579-86031888这个号码登记在哪些企业名下")
    assert phone is not None and phone.conditions == [
        Condition(prop="phone", op="=", value="0579-86031888")]
    address = _frame(ontology, "红星路300号2幢1108室这个地址下面注册了多少家企业")
    assert address is not None and address.conditions == [
        Condition(prop="address", op="CONTAINS", value="红星路300号2幢1108室")]
    bare = _frame(ontology, "哪些企业一个股东都没登记")
    assert bare is not None and bare.limit is None
    assert [(c.rel, c.outgoing) for c in bare.lacking] == [("HOLDS_SHARES", False)]
    loans = _frame(ontology, "最高额度在50万以内的贷款产品，各是哪家银行的")
    assert loans is not None and loans.label == "LoanProduct"
    assert [c.rel for c in loans.companions] == ["ISSUES"]
    sums = _frame(ontology, "各区企业注册资本加起来各是多少，从高到低")
    assert sums is not None and sums.group_by == "district"
    assert sums.order_by == "registered_capital" and sums.descending


def test_lacking_a_controller_on_the_demo_city(demo_graph: GraphStore) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph),
                             "没有登记实际控制人的企业有多少家？")
    gold = _gold(demo_graph, "MATCH (c:Company) WHERE NOT ()-[:CONTROLS]->(c) RETURN count(c)")
    assert rows_match(gold, answer.rows)


def test_the_class_before_which_roles_that_list_and_sums_over_a_floor(ontology: Ontology) -> None:
    product = _frame(ontology, "投资人数最多的产品是哪个？多少人投了")
    assert product is not None and product.label == "Product"
    managers = _frame(ontology, "管理基金数量最多的私募管理人是哪些？并列的也都列上")
    assert managers is not None and managers.label == "Party" and managers.limit == 1
    investors = _frame(ontology, "个人投资者里，累计投资额不低于1500万的有哪些人")
    assert investors is not None and investors.tally is not None
    assert (investors.tally.function, investors.tally.at_least) == ("sum", 1500.0)
    one_person = _frame(ontology, "一个人挂了5家及以上公司法人的，列个名单")
    assert one_person is not None and one_person.label == "Person"
    assert one_person.limit is None and one_person.tally is not None
    assert one_person.tally.at_least == 5.0
    several = _frame(ontology, "个人基金经理里面，谁同时管着不止一只基金")
    assert several is not None and several.tally is not None
    assert (several.tally.at_least, several.tally.strictly) == (1.0, True)
    banks = _frame(ontology, "辖内一共有几家银行？都叫什么")
    assert banks is not None and banks.label == "Bank" and not banks.count_only


def test_totals_of_the_other_end_roles_first_and_wordings(ontology: Ontology) -> None:
    managers = _frame(ontology, "私募管理人按在管基金总规模排名，前三是哪几家")
    assert managers is not None and managers.label == "Party" and managers.limit == 3
    assert managers.tally is not None and managers.tally.other_prop == "size"
    assert "sum(coalesce(t.size, 0))" in compile_frame(managers, ontology).cypher
    busiest = _frame(ontology, "兼职最多的前三个人是谁（重名的带上出生年份）")
    assert busiest is not None and busiest.group_by is None
    assert busiest.tally is not None and busiest.tally.rel == "SERVES_AS"
    returns = _frame(ontology, "预期年化15%及以上的产品有哪些")
    assert returns is not None and returns.conditions == [
        Condition(prop="expected_return", op=">=", value=0.15)]


def test_companions_of_one_class_roles_without_de_and_recent_first(ontology: Ontology) -> None:
    funds = _frame(ontology, "提前清算的基金有哪些？管理人是谁")
    assert funds is not None and [(c.rel, c.other) for c in funds.companions] == [
        ("MANAGES", "Company")]
    assert "(j0:Company)" in compile_frame(funds, ontology).cypher
    women = _frame(ontology, "女性法定代表人一共有多少位")
    assert women is not None and women.label == "Person" and women.count_only
    assert women.tally is not None and women.tally.rel == "IS_LEGAL_REP"
    events = _frame(ontology, "严重程度为高的风险事件，按发生时间从近到远列出来")
    assert events is not None and (events.order_by, events.descending) == ("occurred_on", True)
    products = _frame(ontology, "预期年化不低于15%的产品都列出来，连同发行方")
    assert products is not None and [c.rel for c in products.companions] == ["ISSUES"]
    loans = _frame(ontology, "利率上限最高的三款贷款产品，是哪家银行的？")
    assert loans is not None and loans.label == "LoanProduct" and loans.limit == 3


def test_exclusions_ages_scopes_and_buyers(ontology: Ontology) -> None:
    products = _frame(ontology, "非贷款类产品里预期收益率最高的3个")
    assert products is not None and products.label == "Product"
    assert products.excluded == ["LoanProduct"]
    assert "NOT n:LoanProduct" in compile_frame(products, ontology).cypher
    finance = _frame(ontology, "金融业企业（不算银行）注册资本前三")
    assert finance is not None and finance.label == "Company" and finance.excluded == ["Bank"]
    oldest = _frame(ontology, "年纪最大的基金经理是谁")
    assert oldest is not None and (oldest.order_by, oldest.descending) == ("birth_year", False)
    assert oldest.tally is not None and oldest.tally.rel == "MANAGES" and oldest.limit == 1
    lps = _frame(ontology, "企业LP里给基金出资最多的前3家")
    assert lps is not None and lps.label == "Company" and lps.tally is not None
    assert (lps.tally.function, lps.tally.other) == ("sum", "Fund")
    bought = _frame(ontology, "买的人最多的3个产品")
    assert bought is not None and bought.label == "Product" and bought.tally is not None
    assert (bought.tally.rel, bought.tally.outgoing) == ("INVESTS_IN", False)


def test_ranges_year_pairs_months_and_lists_of_several_lacks(ontology: Ontology) -> None:
    capital = _frame(ontology, "制造业 注册资本 1000到5000万元 企业数")
    assert capital is not None and capital.count_only
    assert [(c.op, c.value) for c in capital.conditions[1:]] == [(">=", 1000.0), ("<=", 5000.0)]
    years = _frame(ontology, "2024年和2025年各发生了多少起风险事件？")
    assert years is not None and years.group_by == "year:occurred_on"
    assert [c.value for c in years.conditions] == ["2024-01-01", "2025-12-31"]
    months = _frame(ontology, "2023年成立的企业，每个月各成立了几家？")
    assert months is not None and months.group_by == "month:founded_on"
    idle = _frame(ontology, "没有任何任职、持股、法定代表人或实际控制人记录的自然人数量")
    assert idle is not None and idle.count_only
    assert [lack.rel for lack in idle.lacking] == [
        "SERVES_AS", "HOLDS_SHARES", "IS_LEGAL_REP", "CONTROLS"]


def test_figures_of_each_value_named_and_of_a_class_named_by_its_values(
        ontology: Ontology) -> None:
    kinds = _frame(ontology, "存续和注销的企业，平均注册资本分别是多少？")
    assert kinds is not None and kinds.group_by == "status"
    assert kinds.aggregates == [Aggregate(function="avg", prop="registered_capital")]
    funds = _frame(ontology, "延期兑付基金的平均规模")
    assert funds is not None and funds.count_only
    assert funds.aggregates == [Aggregate(function="avg", prop="size")]
    loans = GraphVocabulary(values={"Product": {"kind": ["小微企业信用贷款", "混合类理财"]},
                                    "LoanProduct": {"kind": ["小微企业信用贷款"]}})
    rates = parse_frame(normalise("小微企业信用贷款的平均最低利率"), ontology, loans)
    assert rates is not None and rates.label == "LoanProduct"



def test_ages_as_of_a_date_the_question_gives(ontology: Ontology) -> None:
    young = _frame(ontology, "截至2025年6月30日，成立不满3年的企业有多少家？")
    assert young is not None and young.count_only
    assert [(c.op, c.value) for c in young.conditions] == [(">", "2022-06-30"),
                                                          ("<=", "2025-06-30")]
    old = _frame(ontology, "截至2024年12月31日成立超过20年的企业有哪些")
    assert old is not None and [(c.op, c.value) for c in old.conditions] == [
        ("<", "2004-12-31")]



def test_several_figures_of_one_property_rank_nothing(ontology: Ontology) -> None:
    figures = _frame(ontology, "全市延期兑付基金的规模，平均、最高、最低分别是多少？")
    assert figures is not None and figures.count_only and figures.order_by is None
    assert [a.function for a in figures.aggregates] == ["avg", "max", "min"]
    ranked = _frame(ontology, "对外担保总额最高的三个担保方是谁？金额多少")
    assert ranked is not None and ranked.order_by == "tally"




def test_a_one_character_value_beside_its_property_word(ontology: Ontology) -> None:
    persons = _frame(ontology, "严重程度为高的风险事件牵涉到哪些自然人？")
    assert persons is not None and persons.label == "Person"
    assert [(r.other, r.prop, r.value) for r in persons.related] == [
        ("RiskEvent", "severity", "高")]



def test_a_share_of_those_holding_a_relationship_to_the_places_asked(
        demo_graph: GraphStore) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph),
                             "开了银行账户的企业占全部企业的比例是多少？按百分比保留一位小数。")
    gold = _gold(demo_graph, "MATCH (c:Company) WITH count(c) AS total, "
                             "sum(CASE WHEN (c)-[:HOLDS_ACCOUNT]->() THEN 1 ELSE 0 END) AS n "
                             "RETURN round(100.0 * n / total, 1)")
    assert answer.source == "frame" and rows_match(gold, answer.rows)
    held = answer_question(demo_graph, MentionIndex.from_graph(demo_graph),
                           "有银行账户的企业有多少家")
    count = _gold(demo_graph, "MATCH (c:Company) WHERE (c)-[:HOLDS_ACCOUNT]->() "
                              "RETURN count(c)")
    assert rows_match(count, held.rows)


def test_entities_listed_with_their_district(demo_graph: GraphStore) -> None:
    _answered_by_a_frame(demo_graph, "全市的国有独资和国有控股企业有哪些？分别位于哪个区县？",
                         "MATCH (c:Company) WHERE c.kind IN ['国有独资', '国有控股'] "
                         "MATCH (c)-[:LOCATED_IN]->()-[:PART_OF*0..1]->(d:District) "
                         "RETURN c.name, d.name")


def test_a_share_within_each_group(demo_graph: GraphStore) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph),
                             "各区县吊销和注销的企业占本区企业总数的比例")
    gold = _gold(demo_graph, "MATCH (c:Company)-[:LOCATED_IN]->()-[:PART_OF*0..1]->(d:District) "
                             "WITH d, count(DISTINCT c) AS total, count(DISTINCT CASE WHEN "
                             "c.status IN ['吊销', '注销'] THEN c END) AS bad "
                             "RETURN d.name, bad, total, toFloat(bad) / total")
    assert answer.source == "frame" and rows_match(gold, answer.rows)


@pytest.mark.parametrize(("question", "gold"), [
    ("每个行业里注册资本最高的是哪家公司？",
     "MATCH (c:Company) WITH c.industry AS i, max(c.registered_capital) AS m "
     "MATCH (c:Company {industry: i}) WHERE c.registered_capital = m RETURN i, c.name"),
    ("请统计各银行所发行贷款产品的平均最高年利率。",
     "MATCH (b:Bank)-[:ISSUES]->(p:LoanProduct) RETURN b.name, avg(p.rate_max)"),
    ("2023年成立的企业，每个月各成立了几家？",
     "MATCH (c:Company) WHERE c.founded_on.year = 2023 "
     "RETURN c.founded_on.month, count(c)"),
    ("个人消费贷款和小微企业信用贷款，平均最低利率各是多少？",
     "MATCH (p:LoanProduct) WHERE p.kind IN ['个人消费贷款', '小微企业信用贷款'] "
     "RETURN p.kind, avg(p.rate_min)"),
    ("账户被冻结的都是哪些单位？",
     "MATCH (h)-[:HOLDS_ACCOUNT]->(a:Account {status: '冻结'}) RETURN a.id, h.name"),
    ("担保人自己出过风险事件的，被它担保的是哪些企业？",
     "MATCH (e:RiskEvent)-[:INVOLVES]->(g)-[:GUARANTEES]->(c:Company) "
     "RETURN DISTINCT c.name, g.name"),
    ("请列示实际控制人涉及风险事件的企业及其实际控制人。",
     "MATCH (:RiskEvent)-[:INVOLVES]->(x)-[:CONTROLS]->(c:Company) "
     "RETURN DISTINCT c.name, x.name"),
    ("请列示被3家及以上企业共用的联系电话及共用企业数。",
     "MATCH (c:Company) WHERE c.phone IS NOT NULL WITH c.phone AS p, count(c) AS n "
     "WHERE n >= 3 RETURN p, n"),
    ("管理基金数量最多的管理人是哪家？",
     "MATCH (m)-[:MANAGES]->(f:Fund) WITH m, count(f) AS n WITH max(n) AS top, "
     "collect([m.name, n]) AS all UNWIND all AS r WITH r, top WHERE r[1] = top "
     "RETURN r[0], r[1]"),
    ("有私募基金入股的企业一共多少家？",
     "MATCH (:Fund)-[:HOLDS_SHARES]->(c:Company) RETURN count(DISTINCT c)"),
    ("每个私募管理人手里规模最大的是哪只基金？",
     "MATCH (m:Company)-[:MANAGES]->(f:Fund) WITH m, max(f.size) AS top "
     "MATCH (m)-[:MANAGES]->(f:Fund) WHERE f.size = top RETURN m.name, f.name"),
    ("每家银行利率最低的贷款产品是哪款",
     "MATCH (b:Bank)-[:ISSUES]->(p:LoanProduct) WITH b, min(p.rate_min) AS low "
     "MATCH (b)-[:ISSUES]->(p:LoanProduct) WHERE p.rate_min = low RETURN b.name, p.name"),
])
def test_groups_owners_nested_roles_and_holders_on_the_demo_city(
        demo_graph: GraphStore, question: str, gold: str) -> None:
    _answered_by_a_frame(demo_graph, question, gold)


def test_a_year_said_relative_to_today_is_that_year() -> None:
    year = city_now().year
    assert period_conditions("去年发生的风险事件", "occurred_on") == [
        Condition(prop="occurred_on", op=">=", value=f"{year - 1}-01-01", is_date=True),
        Condition(prop="occurred_on", op="<=", value=f"{year - 1}-12-31", is_date=True)]
    assert period_conditions("今年上半年", "time")[1].value == f"{year}-06-30"
