"""Chains of relationships from one named entity: parsing (pure), compiling, and answers on
the demo city."""

from __future__ import annotations

import pytest

from bots.text2cypher.chains import (
    Chain,
    Hop,
    compile_chain,
    parse_chain,
    parse_holding_through,
)
from bots.text2cypher.engine import answer_question
from bots.text2cypher.evaluation import rows_match
from bots.text2cypher.templates import normalise
from kg.mentions import MentionIndex
from kg.ontology import Ontology, load_ontology
from kg.store import GraphStore


@pytest.fixture(scope="module")
def ontology() -> Ontology:
    """The project's ontology."""
    return load_ontology()


def _hops(question: str, entity: str, titles: tuple[str, ...] = ()) -> list[tuple[str, bool]]:
    text = normalise(question)
    chain = parse_chain(text, "X", "Company", text.index(entity) + len(entity), titles)
    return [] if chain is None else [(h.rel, h.outgoing) for h in chain.hops]


@pytest.mark.parametrize(("question", "entity", "expected"), [
    ("恒信集团实际控制的那几家公司，法定代表人分别是谁", "恒信集团",
     [("CONTROLS", True), ("IS_LEGAL_REP", False)]),
    ("澜汇置业控股股东的法人是谁", "澜汇置业", [("HOLDS_SHARES", False), ("IS_LEGAL_REP", False)]),
    ("嘉禾贸易的股东的股东的股东是谁", "嘉禾贸易", [("HOLDS_SHARES", False)] * 3),
    ("宏达建设担保的那家公司又为谁做了担保", "宏达建设",
     [("GUARANTEES", True), ("GUARANTEES", True)]),
    ("国资运营持股的全资子公司又持有哪些企业", "国资运营",
     [("HOLDS_SHARES", True), ("HOLDS_SHARES", True)]),
    # across two questions, the second about what the first found
    ("天衡医药的法定代表人是哪位？此人还是哪几家企业的法人", "天衡医药",
     [("IS_LEGAL_REP", False), ("IS_LEGAL_REP", True)]),
    ("澜湾资本的实控人是谁？这个人还控制着别的什么企业", "澜湾资本",
     [("CONTROLS", False), ("CONTROLS", True)]),
    ("宏达建设为谁提供了担保？被担保的那家公司又为谁担保了", "宏达建设",
     [("GUARANTEES", True), ("GUARANTEES", True)]),
    ("华晟电子的实控人是谁？它自己又被谁控制", "华晟电子",
     [("CONTROLS", False), ("CONTROLS", False)]),
    # the same role said again after it was asked for is the one found, not a new hop
    ("鑫盛优选一号由哪只基金发行？这只基金的管理人是谁，管理人的实控人又是谁", "鑫盛优选一号",
     [("ISSUES", False), ("MANAGES", False), ("CONTROLS", False)]),
    ("鑫盛优选一号是哪家发的，它的管理人是谁", "鑫盛优选一号",
     [("ISSUES", False), ("MANAGES", False)]),
    ("滨江担保担保过的企业中有哪些出过风险事件", "滨江担保",
     [("GUARANTEES", True), ("INVOLVES", False)]),
])
def test_chains_read_in_the_order_said(question: str, entity: str,
                                       expected: list[tuple[str, bool]]) -> None:
    assert _hops(question, entity) == expected


def test_a_job_title_is_a_hop() -> None:
    assert _hops("市民银行董事长本人还持有哪些公司的股份", "市民银行", ("董事长",)) == [
        ("SERVES_AS", False), ("HOLDS_SHARES", True)]
    # what the title's holder does, said right after it
    assert _hops("国资运营的财务负责人实际控制着哪家公司？那家公司又管理着什么基金", "国资运营",
                 ("财务负责人",)) == [("SERVES_AS", False), ("CONTROLS", True),
                                     ("MANAGES", True)]
    assert _hops("鼎盛集团的监事，在其他公司还担任什么职务", "鼎盛集团", ("监事",)) == [
        ("SERVES_AS", False), ("SERVES_AS", True)]


@pytest.mark.parametrize(("question", "entity", "expected"), [
    # a pointer back to what was reached is no hop
    ("滨江担保的控股股东是谁？这个股东的董事长是哪位", "滨江担保",
     [("HOLDS_SHARES", False), ("SERVES_AS", False)]),
    # nor a role the named person holds herself, nor one set aside
    ("曾晓燕担任基金经理管理的是哪只基金", "曾晓燕", []),
    ("戴海英除了当基金经理，还在哪家公司任职", "戴海英", []),
])
def test_pointers_and_roles_of_the_entity_itself_walk_nowhere(
        question: str, entity: str, expected: list[tuple[str, bool]]) -> None:
    assert _hops(question, entity, ("董事长",)) == expected


@pytest.mark.parametrize(("question", "entity"), [
    ("聚鑫资管的法定代表人和实控人分别是谁", "聚鑫资管"),  # two roles of one entity
    ("澜汇置业的董事长、总经理分别是谁", "澜汇置业"),
    ("恒信集团的股东有哪些", "恒信集团"),  # one hop: a template's
    ("瑞丰纺织的股权穿透到最终股东", "瑞丰纺织"),  # look-through: a template's
])
def test_questions_of_one_hop_or_parallel_roles_are_not_chains(question: str,
                                                               entity: str) -> None:
    assert _hops(question, entity, ("董事长", "总经理")) == []


def test_compiled_chains_carry_values_as_parameters_and_refuse_unknown_names(
        ontology: Ontology) -> None:
    chain = Chain(entity_id="CO-1", entity_label="Company", others_only=True, hops=[
        Hop(rel="SERVES_AS", outgoing=False, title="董事长", label="Person",
            rel_values={"title": "董事长"}),
        Hop(rel="HOLDS_SHARES", outgoing=True, title="持股企业")])
    compiled = compile_chain(chain, ontology)
    assert "董事长'" not in compiled.cypher and compiled.params == {"id": "CO-1",
                                                                   "h1v0": "董事长"}
    assert "m2 <> e" in compiled.cypher and "r2.ratio" in compiled.cypher
    with pytest.raises(ValueError):
        compile_chain(chain.model_copy(update={"hops": [chain.hops[0], Hop(
            rel="NOPE", outgoing=True, title="x")]}), ontology)


@pytest.mark.parametrize(("question", "gold"), [
    ("恒信集团实际控制的公司，它们的法定代表人是谁",
     "MATCH (:Company {name: '滨江恒信控股集团有限公司'})-[:CONTROLS]->(c:Company)"
     "<-[:IS_LEGAL_REP]-(p:Person) RETURN c.name, p.name"),
    ("白沙汽配失信这件事中涉及的个人，还担任哪些企业的法人",
     "MATCH (e:RiskEvent {name: '白沙汽配失信被执行'})-[:INVOLVES]->(p:Person)"
     "-[:IS_LEGAL_REP]->(c:Company) WHERE NOT (e)-[:INVOLVES]->(c) RETURN p.name, c.name"),
    ("宏达建设担保的企业又给谁担保了",
     "MATCH (:Company {name: '滨江宏达建设工程有限公司'})-[:GUARANTEES]->(b)-[g:GUARANTEES]->(c) "
     "RETURN b.name, c.name, g.amount"),
    ("恒信集团控制的那几家企业，法人分别是谁",
     "MATCH (:Company {name: '滨江恒信控股集团有限公司'})-[:CONTROLS]->(c:Company)"
     "<-[:IS_LEGAL_REP]-(p:Person) RETURN c.name, p.name"),
    ("周德明控制的企业一共对外担保了多少金额",
     "MATCH (:Person {name: '周德明'})-[:CONTROLS]->(:Company)-[g:GUARANTEES]->() "
     "RETURN sum(g.amount), count(g)"),
    ("国资运营控制的企业里，哪几家还对外做担保？每家担保了几家企业、总额多少",
     "MATCH (e:Company {name: '滨江国有资本运营有限公司'})-[:CONTROLS]->(c:Company)"
     "-[g:GUARANTEES]->(t) WHERE t <> e AND NOT (e)-[:CONTROLS]-(t) "
     "RETURN c.name, count(DISTINCT t), sum(g.amount)"),
    ("聚鑫稳健收益一号这只基金的管理人，其实际控制人还持有哪些别的公司股份",
     "MATCH (f:Fund {name: '聚鑫稳健收益一号私募投资基金'})<-[:MANAGES]-(m)<-[:CONTROLS]-(x)"
     "-[r:HOLDS_SHARES]->(c) WHERE c <> f AND NOT (f)-[:MANAGES]-(c) "
     "RETURN m.name, x.name, c.name, r.ratio"),
    ("兴农村镇银行的控股股东是谁，这家控股股东本身的第一大股东是谁",
     "MATCH (s)-[h:HOLDS_SHARES]->(:Company {name: '滨江兴农村镇银行'}) WHERE h.ratio > 0.5 "
     "MATCH (t)-[h2:HOLDS_SHARES]->(s) WITH s, t, h2 ORDER BY h2.ratio DESC LIMIT 1 "
     "RETURN s.name, t.name, h2.ratio"),
    ("鑫盛优选一号由哪只基金发行？这只基金的管理人是谁，管理人的实控人又是谁",
     "MATCH (:Product {name: '鑫盛优选一号'})<-[:ISSUES]-(f:Fund)<-[:MANAGES]-(m)<-[:CONTROLS]-(x) "
     "RETURN f.name, m.name, x.name"),
    ("宏达建设为谁提供了担保？被担保的那家公司又为谁担保了",
     "MATCH (:Company {name: '滨江宏达建设工程有限公司'})-[g1:GUARANTEES]->(b)"
     "-[g2:GUARANTEES]->(c) RETURN b.name, g1.amount, c.name, g2.amount"),
    ("请核查鑫盛优选一号的发行基金之管理人的实际控制人。",
     "MATCH (:Product {name: '鑫盛优选一号'})<-[:ISSUES]-(:Fund)<-[:MANAGES]-(:Company)"
     "<-[:CONTROLS]-(x) RETURN DISTINCT x.name"),
    ("请列示滨江产投直接持股的基金管理人所管理的基金。",
     "MATCH (g:Company {name: '滨江产业投资集团有限公司'})-[:HOLDS_SHARES]->(:Company)"
     "-[:MANAGES]->(f:Fund) RETURN f.name"),
    ("1972年出生的王建国控制的公司里，法人不是他本人的有哪些",
     "MATCH (p:Person {name: '王建国', birth_year: 1972})-[:CONTROLS]->(c:Company)"
     "<-[:IS_LEGAL_REP]-(l:Person) WHERE l <> p RETURN c.name, l.name"),
    # this stop: an event's 所涉 parties, 控股的, walking up and once more down
    ("“元亨物流行政处罚”所涉企业的担保方有哪些",
     "MATCH (:RiskEvent {name: '元亨物流行政处罚'})-[:INVOLVES]->(c:Company)"
     "<-[:GUARANTEES]-(g) RETURN c.name, g.name"),
    ("滨江农商行控股的那家银行，法定代表人是谁",
     "MATCH (b:Company {name: '滨江农村商业银行'})-[h:HOLDS_SHARES]->(c)"
     "<-[:IS_LEGAL_REP]-(p:Person) WHERE h.ratio > 0.5 RETURN c.name, p.name"),
    ("同德实业的股东又是谁持股的",
     "MATCH (:Company {name: '滨江同德实业有限公司'})<-[:HOLDS_SHARES]-(s)<-[:HOLDS_SHARES]-(g) "
     "RETURN s.name, g.name"),
    ("宏达建设担保的公司又担保了谁，再往下一层又是谁",
     "MATCH (:Company {name: '滨江宏达建设工程有限公司'})-[:GUARANTEES]->(a)-[:GUARANTEES]->(b)"
     "-[:GUARANTEES]->(c) RETURN a.name, b.name, c.name"),
    ("恒信数字经济基金投资的企业都有哪些，法人分别是谁",
     "MATCH (f:Fund)-[h:HOLDS_SHARES]->(c:Company)<-[:IS_LEGAL_REP]-(p:Person) "
     "WHERE '恒信数字经济基金' IN f.aliases RETURN c.name, h.ratio, p.name"),
    ("周德明控制的公司给别的企业担保过吗？担保了谁",
     "MATCH (:Person {name: '周德明'})-[:CONTROLS]->(c)-[g:GUARANTEES]->(t) "
     "RETURN c.name, t.name, g.amount"),
])
def test_chains_on_the_demo_city(demo_graph: GraphStore, question: str, gold: str) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph), question)
    assert answer.status == "answered" and answer.source == "chain"
    expected = [list(r.values()) for r in demo_graph.read(gold)]
    assert expected and rows_match(expected, answer.rows)


def test_a_role_the_entities_reached_hold_themselves_is_a_condition(
        demo_graph: GraphStore) -> None:
    text = normalise("聚鑫第3期的投资人中，有多少位自己也是公司的法人")
    chain = parse_chain(text, "X", "Product", text.index("的投资人"))
    assert chain is not None and [h.rel for h in chain.hops] == ["INVESTS_IN"]
    assert chain.held_role == "IS_LEGAL_REP" and chain.counted
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph),
                             "恒信集团控制的公司里，哪些本身也是股东")
    gold = demo_graph.read("MATCH (:Company {name: '滨江恒信控股集团有限公司'})-[:CONTROLS]->(c) "
                           "WHERE (c)-[:HOLDS_SHARES]->() RETURN c.name AS c")
    assert answer.source == "chain" and rows_match([[g["c"]] for g in gold], answer.rows)


@pytest.mark.parametrize(("question", "gold"), [
    ("发生过风险事件的公司里，哪些还给别人做了担保，担保了谁、多少钱",
     "MATCH (e:RiskEvent)-[:INVOLVES]->(c:Company)-[g:GUARANTEES]->(d) "
     "RETURN e.name, c.name, d.name, g.amount"),
    ("涉及风险事件的企业，是谁在给它们提供担保",
     "MATCH (e:RiskEvent)-[:INVOLVES]->(c:Company)<-[g:GUARANTEES]-(d) "
     "RETURN e.name, c.name, d.name"),
    ("出过风险事件的企业中，它们的自然人股东有哪些",
     "MATCH (e:RiskEvent)-[:INVOLVES]->(c:Company)<-[:HOLDS_SHARES]-(p:Person) "
     "RETURN DISTINCT e.name, c.name, p.name"),
])
def test_chains_from_the_companies_of_every_risk_event(demo_graph: GraphStore, question: str,
                                                        gold: str) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph), question)
    assert answer.status == "answered" and answer.source == "chain"
    expected = [list(r.values()) for r in demo_graph.read(gold)]
    assert expected and rows_match(expected, answer.rows)


def test_a_holding_through_a_named_middle_company_is_read_in_order() -> None:
    text = normalise("吴立新通过恒信集团间接持有瑞丰纺织多少股份")
    named = [(0, 3, "P1", "Person"), (5, 9, "CO-1", "Company"), (13, 17, "CO-2", "Company")]
    asked = parse_holding_through(text, named)
    assert asked is not None and (asked.holder_id, asked.via_id, asked.target_id) == (
        "P1", "CO-1", "CO-2")
    assert parse_holding_through(normalise("吴立新和恒信集团都持有瑞丰纺织吗"), named) is None


def test_a_holding_through_a_middle_company_on_the_demo_city(demo_graph: GraphStore) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph),
                             "恒信集团经由澜汇置业间接持股裕丰供应链的比例是多少")
    gold = demo_graph.read(
        "MATCH (:Company {name: '滨江恒信控股集团有限公司'})-[a:HOLDS_SHARES]->"
        "(:Company {name: '滨江澜汇置业有限公司'})-[b:HOLDS_SHARES]->"
        "(:Company {name: '滨江裕丰供应链管理有限公司'}) RETURN a.ratio * b.ratio AS r")
    assert answer.source == "holding_through" and rows_match([[gold[0]["r"]]], answer.rows)


@pytest.mark.parametrize(("question", "holder", "via"), [
    ("国资运营通过滨江城投间接持股了哪些公司", "滨江国有资本运营有限公司",
     "滨江城市建设投资有限公司"),
    ("吴立新通过恒信集团间接持有哪些公司的股份", "吴立新", "滨江恒信控股集团有限公司"),
])
def test_the_companies_held_through_a_named_middle_company(
        demo_graph: GraphStore, question: str, holder: str, via: str) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph), question)
    gold = demo_graph.read(
        "MATCH ({name: $holder})-[a:HOLDS_SHARES]->(:Company {name: $via})-[b:HOLDS_SHARES]->(x) "
        "RETURN x.name AS x, b.ratio AS b, a.ratio * b.ratio AS r", holder=holder, via=via)
    assert answer.source == "holding_through"
    assert rows_match([[g["x"], g["b"], g["r"]] for g in gold], answer.rows)


def test_a_chain_never_starts_from_an_entity_left_out(demo_graph: GraphStore) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph),
                             "除了滨江担保以外，对外担保总额最高的担保人是谁")
    assert answer.status == "answered" and answer.source == "frame"
    assert "滨江融资担保集团有限公司" not in [row[0] for row in answer.rows]
