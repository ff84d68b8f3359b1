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
    assert 15 <= len(names) <= 50 and len(set(names)) == len(names)
    assert {t.risk for t in TEMPLATES if t.risk} == set(RISK_QUERIES)
    for template in TEMPLATES:
        assert (template.cypher is None) != (template.risk is None), template.name


@pytest.mark.parametrize(("question", "template"), [
    ("城投公司的实控人是谁", "declared_controller"),
    ("城投公司的最终控制人是谁", "ultimate_controllers"),
    ("宏达建设和谁互保", "guarantee_circles"),
    ("同德实业有没有交叉持股", "circular_shareholding"),
    ("恒信集团的关联企业", "related_parties"),
    ("凯旋建材的担保链条", "guarantee_chains"),
    ("哪些公司为凯旋建材担保", "guarantors"),
    ("凯旋建材为哪些公司担保", "guarantees_given"),
    ("滨江交投股东", "shareholders"),
    ("滨江交投持有哪些公司", "holdings"),
    ("宏达建设的担保情况", "guarantees_both"),
    ("哪些企业与滨江三和企业管理咨询有限公司地址相同", "same_address"),
    ("跟市民小贷法定代表人相同的企业", "same_legal_rep"),
    ("与鼎盛置业受同一实际控制人控制的公司", "same_controller"),
    ("恒信集团的董事长是谁", "officers"),
    ("瑞丰纺织背后说了算的是谁", "ultimate_controllers"),
    ("要是宏达建设违约了会牵连谁", "contagion"),
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
    answer = answer_question(demo_graph, index, "滨江市民银行的员工平均年龄是多少")
    assert answer.status == "unanswered" and not answer.rows and answer.cypher is None


def test_rows_match_ignores_order_rotation_and_extra_columns() -> None:
    assert rows_match([["a", 0.5], ["b", 1]], [["b", "id-b", 1.0], ["a", "id-a", 0.50001]])
    assert rows_match([[["x", "y", "z"]]], [[["y", "z", "x"]]])
    assert not rows_match([["a"], ["b"]], [["b"], ["a"]], ordered=True)
    assert not rows_match([["a"]], [["a"], ["a"]])
    # one average summed in two orders, either side of a rounding boundary
    assert rows_match([["b", 0.05945000000000001]], [["b", 0.05944999999999999]])
    assert not rows_match([["b", 0.0594]], [["b", 0.0595]])


def test_ordered_rows_may_list_ties_in_any_order() -> None:
    gold = [["制造业", 200], ["房地产业", 21], ["住宿和餐饮业", 21], ["教育", 6]]
    assert rows_match(gold, [gold[0], gold[2], gold[1], gold[3]], ordered=True)
    assert not rows_match(gold, [gold[0], gold[3], gold[1], gold[2]], ordered=True)


def test_a_birth_year_tells_homonyms_apart(demo_graph: GraphStore, index: MentionIndex) -> None:
    people = demo_graph.read("MATCH (p:Person {name: '王建国'}) RETURN p.id AS id, "
                             "p.birth_year AS year ORDER BY id")
    assert len(people) == 2
    wanted = people[0]
    answer = answer_question(demo_graph, index,
                             f"{wanted['year']}年出生的王建国担任哪些公司的法定代表人")
    assert answer.status == "answered" and answer.params["id"] == wanted["id"]


def test_asked_titles_filter_the_officers(demo_graph: GraphStore, index: MentionIndex) -> None:
    one = answer_question(demo_graph, index, "恒信集团的董事长是谁")
    every = answer_question(demo_graph, index, "恒信集团的董事长、总经理、监事分别是谁")
    title = one.columns.index("职务")
    assert one.params["titles"] == ["董事长"] and {r[title] for r in one.rows} == {"董事长"}
    assert every.params["titles"] == ["董事长", "总经理", "监事"]
    assert len(every.rows) > len(one.rows) and {r[title] for r in every.rows} <= {
        "董事长", "总经理", "监事"}
    terse = answer_question(demo_graph, index, "长澜银行滨江分行 行长")  # the last word
    assert terse.params["titles"] == ["行长"] and len(terse.rows) == 1


def test_a_total_is_summed_and_a_list_is_kept(demo_graph: GraphStore, index: MentionIndex
                                              ) -> None:
    listed = answer_question(demo_graph, index, "宏达建设为哪些公司担保")
    total = answer_question(demo_graph, index, "宏达建设对外担保总额是多少")
    assert len(listed.rows) >= 1 and len(total.rows) == 1
    amount = listed.columns.index("金额_万元")
    assert total.rows[0][0] == pytest.approx(sum(r[amount] for r in listed.rows))


def test_contagion_along_named_relations_only(demo_graph: GraphStore, index: MentionIndex
                                              ) -> None:
    answer = answer_question(demo_graph, index, "如果宏达建设出事，沿担保关系两跳内谁受影响")
    assert answer.source == "contagion"
    assert answer.params["relations"] == ("GUARANTEES",) and answer.params["max_hops"] == 2
    assert answer.subgraph is not None
    assert {e.type for e in answer.subgraph.edges} <= {"GUARANTEES", "INVOLVES"}


@pytest.mark.parametrize(("question", "template"), [
    ("东篱成长2号现在是什么状态", "fund_profile"),
    ("东篱成长2号的产品是什么状态", "fund_products"),
    ("滨江天天盈是哪家机构发行的", "product_issuer"),
    ("实际控制的公司都有哪些？我说的是周德明", "controlled_companies"),
    ("吴立新直接或间接持有哪些企业", "penetrated_holdings"),
])
def test_more_wordings_pick_their_template(index: MentionIndex, question: str,
                                           template: str) -> None:
    match = match_template(question, index.find(normalise(question)))
    assert match is not None and match.template == template


def test_a_party_kind_and_a_ranking_shape_the_rows(demo_graph: GraphStore,
                                                   index: MentionIndex) -> None:
    people = answer_question(demo_graph, index, "市民银行的自然人股东有哪些")
    top = answer_question(demo_graph, index, "市民银行持股比例最高的前两位股东")
    gold = demo_graph.read("MATCH (h)-[r:HOLDS_SHARES]->(:Company {name: '滨江市民银行'}) "
                           "RETURN h.name AS n, r.ratio AS r ORDER BY r DESC LIMIT 2")
    assert people.params["kind"] == "Person"
    assert rows_match([[g["n"], g["r"]] for g in gold], top.rows)


@pytest.mark.parametrize(("question", "template"), [
    ("市民小贷的实际控制方是谁", "declared_controller"),
    ("市民银行的股东里有哪些是企业法人", "shareholders"),
    ("哪些公司和恒信集团有同一个人在任高管", "same_officer"),
    ("沃土绿色发展基金的出资人有哪些", "fund_direct_investors"),
    ("市民易贷的年利率区间是多少", "product_profile"),
])
def test_wordings_added_for_roles_parties_and_loan_terms(index: MentionIndex, question: str,
                                                         template: str) -> None:
    match = match_template(question, index.find(normalise(question)))
    assert match is not None and match.template == template


def test_corporate_shareholders_and_product_targets_narrow_the_rows(
        demo_graph: GraphStore, index: MentionIndex) -> None:
    corporate = answer_question(demo_graph, index, "市民银行的股东里有哪些是企业法人？")
    assert corporate.params["kind"] == "Company"
    bought = answer_question(demo_graph, index, "蒋振华买过哪些产品？各投了多少钱")
    gold = demo_graph.read("MATCH (:Person {name: '蒋振华'})-[r:INVESTS_IN]->(x:Product) "
                           "RETURN x.name AS n, r.amount AS a")
    assert rows_match([[g["n"], g["a"]] for g in gold], bought.rows)


def test_a_fund_without_direct_partners_lists_its_share_buyers(demo_graph: GraphStore,
                                                               index: MentionIndex) -> None:
    partnership = answer_question(demo_graph, index, "沃土绿色发展基金的出资人有哪些")
    direct = demo_graph.read("MATCH (i)-[:INVESTS_IN]->(f:Fund) WHERE f.name CONTAINS '沃土绿色' "
                             "RETURN i.name AS n")
    assert rows_match([[d["n"]] for d in direct], [[row[0]] for row in partnership.rows])
    contract = answer_question(demo_graph, index, "鑫盛财富优选一号私募基金的出资人及金额")
    buyers = demo_graph.read("MATCH (f:Fund {name: '鑫盛财富优选一号私募基金'})-[:ISSUES]->()"
                             "<-[r:INVESTS_IN]-(i) RETURN i.name AS n, r.amount AS a")
    assert buyers and rows_match([[b["n"], b["a"]] for b in buyers],
                                 [[row[0], row[3]] for row in contract.rows])


def test_facts_asked_about_the_listed_entities_are_added(demo_graph: GraphStore,
                                                         index: MentionIndex) -> None:
    status = answer_question(demo_graph, index,
                             "1970年出生的王芳担任法人的公司叫什么，现在什么状态？")
    gold = demo_graph.read("MATCH (:Person {name: '王芳', birth_year: 1970})-[:IS_LEGAL_REP]->(c) "
                           "RETURN c.name AS n, c.status AS s")
    assert any("状态" in c for c in status.columns)
    assert rows_match([[g["n"], g["s"]] for g in gold], status.rows)
    district = answer_question(demo_graph, index,
                               "1982年出生的陈静是哪个公司的法人？这家公司在哪个区")
    assert district.columns[-1] == "区县" and all(row[-1] for row in district.rows)


def test_a_second_part_asking_how_big_is_answered_beside_the_first(
        demo_graph: GraphStore, index: MentionIndex) -> None:
    answer = answer_question(demo_graph, index, "恒信城市更新基金是谁在管？基金规模多大？")
    assert answer.source == "fund_manager+fund_profile" and "规模_万元" in answer.columns


def test_a_shortened_name_no_stored_form_covers_is_resolved(demo_graph: GraphStore,
                                                            index: MentionIndex) -> None:
    answer = answer_question(demo_graph, index, "城投发了哪些产品？")
    assert answer.source == "issued_products"
    assert answer.params["id"] == demo_graph.read(
        "MATCH (c:Company {name: '滨江城市建设投资有限公司'}) RETURN c.id AS id")[0]["id"]
    officers = answer_question(demo_graph, index, "远航物流的高管都有谁？")
    assert officers.source == "officers" and "ids" not in officers.params


def test_each_same_name_person_compared_entities_and_common_investors(
        demo_graph: GraphStore, index: MentionIndex) -> None:
    each = answer_question(demo_graph, index, "叫张伟的有好几个，各自是哪家公司的法人")
    gold = demo_graph.read("MATCH (p:Person {name: '张伟'})-[:IS_LEGAL_REP]->(c) "
                           "RETURN p.birth_year AS y, c.name AS c")
    assert each.columns[:2] == ["主体", "出生年份"]
    assert rows_match([[g["y"], g["c"]] for g in gold], each.rows)
    both = answer_question(demo_graph, index, "瑞丰纺织和华晟电子，哪个注册资本更大？各多少")
    assert len(both.rows) == 2
    common = answer_question(demo_graph, index, "既投了聚鑫第3期又投了鑫盛优选一号的投资人是谁")
    gold = demo_graph.read(
        "MATCH (:Product {name: '聚鑫稳健收益一号第3期'})<-[:INVESTS_IN]-(i)-[:INVESTS_IN]->"
        "(:Product {name: '鑫盛优选一号'}) RETURN i.name AS n")
    assert gold and rows_match([[g["n"]] for g in gold], [[r[0]] for r in common.rows])


def test_transfers_downstream_guarantees_and_an_events_short_name(
        demo_graph: GraphStore, index: MentionIndex) -> None:
    paid = answer_question(demo_graph, index, "鑫盛财富的账户一共往孙立伟个人账户转了多少钱")
    gold = demo_graph.read(
        "MATCH (:Company {name: '滨江鑫盛财富投资管理有限公司'})-[:HOLDS_ACCOUNT]->(:Account)"
        "-[t:TRANSFERS]->(:Account)<-[:HOLDS_ACCOUNT]-(:Person {name: '孙立伟'}) "
        "RETURN sum(t.amount) AS s")
    assert paid.source == "transfers" and rows_match([[gold[0]["s"]]], paid.rows)
    reached = answer_question(demo_graph, index,
                              "从宏达建设出发，顺着担保关系往下传三层以内，会牵连到哪些企业")
    gold = demo_graph.read(
        "MATCH (c:Company {name: '滨江宏达建设工程有限公司'})-[:GUARANTEES*1..3]->(t:Company) "
        "WHERE t <> c RETURN DISTINCT t.name AS n")
    assert reached.source == "guarantee_chains"
    assert rows_match([[g["n"]] for g in gold], reached.rows)
    event = answer_question(demo_graph, index, "周德明失联那件事牵扯到哪些企业？")
    assert event.source == "event_parties" and event.params["kind"] == "Company"


def test_a_query_the_guard_refuses_is_an_answer_not_a_crash(demo_graph: GraphStore,
                                                           index: MentionIndex) -> None:
    from bots.text2cypher.engine import _run_compiled
    from bots.text2cypher.frames import CompiledFrame
    from kg.cypher_guard import CypherGuard

    refused = _run_compiled(CypherGuard(demo_graph),
                            CompiledFrame(cypher="MATCH (n) DETACH DELETE n", params={}),
                            "删掉一切", "frame", "测试")
    assert refused.status == "refused" and refused.refusal
    assert demo_graph.read("MATCH (n) RETURN count(n) AS n")[0]["n"] > 0


def test_an_entity_the_question_excludes_is_left_out(demo_graph: GraphStore,
                                                     index: MentionIndex) -> None:
    answer = answer_question(demo_graph, index, "吴立新除了恒信集团，还实际控制哪些企业")
    gold = demo_graph.read("MATCH (:Person {name: '吴立新'})-[:CONTROLS]->(c) "
                           "WHERE c.name <> '滨江恒信控股集团有限公司' RETURN c.name AS n")
    assert rows_match([[g["n"]] for g in gold], [[r[0]] for r in answer.rows])


@pytest.mark.parametrize(("question", "template"), [
    ("开户银行有哪几家？查一下远航物流", "accounts"),
    ("裕丰供应链背后真正的实控人是哪个自然人？顺着控制链往上找", "control_chain"),
    ("瑞丰纺织的直接控制方，还控制着哪些别的公司", "same_controller"),
    ("兴农村镇银行哪款贷款额度最高", "issued_products"),
    ("华晟电子是被哪家公司控制的", "declared_controller"),
    ("恒信产业升级基金投了哪些企业", "holdings"),
    ("鑫盛财富往孙立伟个人账户转过几笔钱", "transfers"),
    ("恒信集团直接持股超过50%的公司有哪些", "holdings"),  # its holdings, not its holders
    ("高新投 全资子公司", "holdings"),
    ("澜汇置业持股超过50%的是谁", "majority_shareholders"),
])
def test_wordings_for_accounts_control_chains_and_loans(index: MentionIndex, question: str,
                                                        template: str) -> None:
    match = match_template(question, index.find(normalise(question)))
    assert match is not None and match.template == template


@pytest.mark.parametrize(("question", "gold"), [
    ("吴立新和周德明各自控制了几家公司",
     "MATCH (p:Person)-[:CONTROLS]->(c) WHERE p.name IN ['吴立新', '周德明'] "
     "RETURN p.name, count(c)"),
    ("市民银行和农商行相比，哪家开立的账户更多？各有多少个",
     "MATCH (a:Account)-[:OPENED_AT]->(b) WHERE b.name IN ['滨江市民银行', '滨江农村商业银行'] "
     "RETURN b.name, count(a)"),
    ("瑞丰纺织和滨江担保有没有共同任职的人",
     "MATCH (:Company {name: '滨江瑞丰纺织集团股份有限公司'})<-[:SERVES_AS]-(p:Person)"
     "-[:SERVES_AS]->(b:Company {name: '滨江融资担保集团有限公司'}) "
     "RETURN DISTINCT b.name, p.name"),
    ("滨江担保为高新区的哪些企业做过担保？金额分别是多少",  # the district keeps its companies
     "MATCH (:Company {name: '滨江融资担保集团有限公司'})-[r:GUARANTEES]->(c:Company)"
     "-[:LOCATED_IN]->(:Region)-[:PART_OF*0..1]->(:District {name: '高新区'}) "
     "RETURN DISTINCT c.name, r.amount"),
    ("宏达建设的债务是谁在担保",
     "MATCH (g)-[r:GUARANTEES]->(:Company {name: '滨江宏达建设工程有限公司'}) "
     "RETURN g.name, r.amount"),
    ("哪些机构投了沃土绿色发展基金，各投了多少",
     "MATCH (c)-[r:INVESTS_IN]->(:Fund {name: '滨江沃土绿色发展股权投资合伙企业（有限合伙）'}) "
     "RETURN c.name, r.amount"),
    ("请查询交易流水号TX20240102000001的付款账户、收款账户、金额及交易时间。",
     "MATCH (a:Account)-[t:TRANSFERS {tx_id: 'TX20240102000001'}]->(b:Account) "
     "RETURN a.name, b.name, t.amount, t.time"),
    ("聚鑫稳健收益一号第3期按产品期限推算，应当在哪一天到期？",
     "MATCH (p:Product {name: '聚鑫稳健收益一号第3期'}) "
     "RETURN p.issued_on + duration({months: p.term_months})"),
    ("鑫盛财富的银行账户，转进来一共多少钱，转出去一共多少钱？",
     "MATCH (:Company {name: '滨江鑫盛财富投资管理有限公司'})-[:HOLDS_ACCOUNT]->(a) "
     "OPTIONAL MATCH ()-[i:TRANSFERS]->(a) WITH a, sum(i.amount) AS inflow "
     "OPTIONAL MATCH (a)-[o:TRANSFERS]->() RETURN inflow, sum(o.amount)"),
    ("市民银行和滨江农商行比一比，哪家开的账户多？各开了多少个？",
     "MATCH (a:Account)-[:OPENED_AT]->(b) WHERE b.name IN ['滨江市民银行', '滨江农村商业银行'] "
     "RETURN b.name, count(a)"),
    ("滨江市民银行的股东里，企业股东合计持股多少，自然人股东合计持股多少？",
     "MATCH (b:Bank {name: '滨江市民银行'}) OPTIONAL MATCH (c:Company)-[x:HOLDS_SHARES]->(b) "
     "WITH b, sum(x.ratio) AS firms OPTIONAL MATCH (p:Person)-[y:HOLDS_SHARES]->(b) "
     "RETURN firms, sum(y.ratio)"),
    ("滨江交投和滨江城投各自发行的产品中，平均预期年化收益率分别是多少？",
     "MATCH (c:Company)-[:ISSUES]->(p:Product) "
     "WHERE c.name IN ['滨江交通投资集团有限公司', '滨江城市建设投资有限公司'] "
     "RETURN c.name, avg(p.expected_return)"),
    ("远航物流2024年全年账户转入和转出的金额各是多少？",
     "MATCH (c:Company {name: '滨江远航物流集团有限公司'}) "
     "RETURN reduce(s = 0.0, x IN [(c)-[:HOLDS_ACCOUNT]->()<-[i:TRANSFERS]-() "
     "WHERE i.time.year = 2024 | i.amount] | s + x), "
     "reduce(s = 0.0, x IN [(c)-[:HOLDS_ACCOUNT]->()-[o:TRANSFERS]->() "
     "WHERE o.time.year = 2024 | o.amount] | s + x)"),
    ("请列示鑫盛优选一号的投资人中同时投资了其他产品或基金的人员及其所投对象。",
     "MATCH (i)-[:INVESTS_IN]->(p:Product {name: '鑫盛优选一号'}) "
     "MATCH (i)-[:INVESTS_IN]->(o) WHERE o <> p RETURN i.name, o.name"),
    ("鼎盛集团有没有人给它做担保啊？担了多少钱？",
     "MATCH (g)-[r:GUARANTEES]->(:Company {name: '滨江鼎盛控股集团有限公司'}) "
     "RETURN g.name, r.amount"),
    ("请列示滨江市民银行发行的非贷款类产品及其规模。",
     "MATCH (:Bank {name: '滨江市民银行'})-[:ISSUES]->(p:Product) WHERE NOT p:LoanProduct "
     "RETURN p.name, p.size"),
    ("请列示滨江市民银行发行的全部贷款产品及其最低、最高年利率。",
     "MATCH (:Bank {name: '滨江市民银行'})-[:ISSUES]->(p:LoanProduct) "
     "RETURN p.name, p.rate_min, p.rate_max"),
    ("请列示瑞丰纺织的董事、监事及高级管理人员姓名和职务。",
     "MATCH (p:Person)-[r:SERVES_AS]->(:Company {name: '滨江瑞丰纺织集团股份有限公司'}) "
     "RETURN p.name, r.title"),
    ("市民小贷 实际控制方 及其 持股比例",
     "MATCH (x)-[:CONTROLS]->(c:Company) WHERE '市民小贷' IN c.aliases "
     "OPTIONAL MATCH (x)-[r:HOLDS_SHARES]->(c) RETURN x.name, r.ratio"),
    # this stop: a span of dates, an account by its number, several titles, round figures,
    # 最长 over a template's rows, the accounts at one named bank, years since founding
    ("鑫盛财富2024年10月到12月一共转出去多少钱",
     "MATCH (:Company {name: '滨江鑫盛财富投资管理有限公司'})-[:HOLDS_ACCOUNT]->(a)"
     "-[t:TRANSFERS]->() WHERE date(t.time) >= date('2024-10-01') "
     "AND date(t.time) <= date('2024-12-31') RETURN sum(t.amount)"),
    ("周德明的失联事件是哪天发生的",
     "MATCH (e:RiskEvent)-[:INVOLVES]->(:Person {name: '周德明'}) WHERE e.name CONTAINS '失联' "
     "RETURN e.occurred_on"),
    ("恒信集团的控股子公司有哪些",
     "MATCH (:Company {name: '滨江恒信控股集团有限公司'})-[h:HOLDS_SHARES]->(c) "
     "WHERE h.ratio > 0.5 RETURN c.name, h.ratio"),
    ("瑞丰纺织的大股东持股多少",
     "MATCH (s)-[h:HOLDS_SHARES]->(:Company {name: '滨江瑞丰纺织集团股份有限公司'}) "
     "RETURN s.name, h.ratio ORDER BY h.ratio DESC LIMIT 1"),
    ("鑫盛优选一号 投资人 人数 金额",
     "MATCH (i)-[r:INVESTS_IN]->(:Product {name: '鑫盛优选一号'}) RETURN count(i), sum(r.amount)"),
    ("王建国 1972 控制企业 名单",
     "MATCH (:Person {name: '王建国', birth_year: 1972})-[:CONTROLS]->(c) RETURN c.name"),
    ("孙立伟的账户2024年收到了多少钱",
     "MATCH (:Person {name: '孙立伟'})-[:HOLDS_ACCOUNT]->(a)<-[t:TRANSFERS]-() "
     "WHERE t.time.year = 2024 RETURN sum(t.amount)"),
    ("AC-000426这个账户是谁开的，开在哪家银行",
     "MATCH (o)-[:HOLDS_ACCOUNT]->(a:Account {id: 'AC-000426'})-[:OPENED_AT]->(b) "
     "RETURN o.name, b.name"),
    ("兴农村镇银行的董事长和行长分别是谁",
     "MATCH (p:Person)-[r:SERVES_AS]->(:Company {name: '滨江兴农村镇银行'}) "
     "WHERE r.title IN ['董事长', '行长'] RETURN p.name, r.title"),
    ("沃土股权管理的基金里规模过亿的有哪些",
     "MATCH (m:Company)-[:MANAGES]->(f:Fund) WHERE '沃土股权' IN m.aliases "
     "AND f.size > 10000 RETURN f.name"),
    ("长澜银行发行的贷款产品中哪款期限最长",
     "MATCH (b:Bank)-[:ISSUES]->(p:LoanProduct) WHERE '长澜银行' IN b.aliases "
     "RETURN p.name ORDER BY p.term_months DESC LIMIT 1"),
    ("傅诗涵的投资标的有哪些",
     "MATCH (:Person {name: '傅诗涵'})-[r:INVESTS_IN]->(t) RETURN t.name, r.amount"),
    ("1972年那个王建国在长澜银行开的账户收到过哪些公司的钱，各转了多少",
     "MATCH (:Person {name: '王建国', birth_year: 1972})-[:HOLDS_ACCOUNT]->(a)"
     "-[:OPENED_AT]->(b:Bank) WHERE '长澜银行' IN b.aliases "
     "MATCH (a)<-[t:TRANSFERS]-()<-[:HOLDS_ACCOUNT]-(o:Company) RETURN o.name, sum(t.amount)"),
    ("截至2024年12月31日，滨江城投成立几年了",
     "MATCH (c:Company {name: '滨江城市建设投资有限公司'}) "
     "RETURN duration.between(c.founded_on, date('2024-12-31')).years"),
])
def test_template_questions_on_the_demo_city(
        demo_graph: GraphStore, index: MentionIndex, question: str, gold: str) -> None:
    answer = answer_question(demo_graph, index, question)
    assert answer.status == "answered"
    assert rows_match([list(r.values()) for r in demo_graph.read(gold)], answer.rows)


def test_a_circle_without_the_company_asked_about(demo_graph: GraphStore,
                                                  index: MentionIndex) -> None:
    answer = answer_question(demo_graph, index, "宏达建设所在的那个担保圈，除了它自己还有哪几家？")
    assert answer.rows and all(row[0] != "滨江宏达建设工程有限公司" for row in answer.rows)


def test_a_value_the_question_names_adds_and_filters_its_property(
        demo_graph: GraphStore, index: MentionIndex) -> None:
    answer = answer_question(demo_graph, index,
                             "曹海峰控制的那些公司里，有几家已经吊销或者注销了？")
    gold = demo_graph.read("MATCH (:Person {name: '曹海峰'})-[:CONTROLS]->(c:Company) "
                           "WHERE c.status IN ['吊销', '注销'] RETURN count(c) AS n")
    assert rows_match([[gold[0]["n"]]], answer.rows)


def test_persons_listed_come_with_their_birth_year(demo_graph: GraphStore,
                                                   index: MentionIndex) -> None:
    answer = answer_question(demo_graph, index, "查下法人是谁：恒信集团")
    gold = demo_graph.read("MATCH (p:Person)-[:IS_LEGAL_REP]->(:Company "
                           "{name: '滨江恒信控股集团有限公司'}) "
                           "RETURN p.name AS n, p.birth_year AS y")
    assert "出生年份" in answer.columns
    assert rows_match([[g["n"], g["y"]] for g in gold], answer.rows)


def test_the_events_companies_leave_out_its_persons(demo_graph: GraphStore,
                                                    index: MentionIndex) -> None:
    answer = answer_question(demo_graph, index, "周德明失联事件 涉及企业")
    gold = demo_graph.read("MATCH (e:RiskEvent)-[:INVOLVES]->(c:Company) "
                           "WHERE e.name CONTAINS '周德明失联' RETURN c.name AS n")
    assert rows_match([[g["n"]] for g in gold], answer.rows)
