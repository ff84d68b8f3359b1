"""One person holding two roles towards the same company: parsing (pure), compiling, and
answers on the demo city."""

from __future__ import annotations

import pytest

from bots.text2cypher.engine import answer_question
from bots.text2cypher.evaluation import rows_match
from bots.text2cypher.role_overlap import (
    Role,
    RoleOverlap,
    compile_role_overlap,
    parse_role_overlap,
)
from bots.text2cypher.templates import normalise
from kg.mentions import MentionIndex
from kg.ontology import load_ontology
from kg.store import GraphStore


def _parsed(question: str) -> RoleOverlap | None:
    return parse_role_overlap(normalise(question), ("监事", "董事长"))


@pytest.mark.parametrize(("question", "subject", "roles", "answer"), [
    ("法人和实控人不是同一个人的公司有几家", "Company",
     [("IS_LEGAL_REP", True, None), ("CONTROLS", False, None)], "count"),
    ("法定代表人本人同时也是该企业股东的企业有哪些", "Company",
     [("IS_LEGAL_REP", True, None), ("HOLDS_SHARES", True, None)], "rows"),
    ("法定代表人既不是股东也不是实控人的公司占全部公司的比例", "Company",
     [("IS_LEGAL_REP", True, None), ("HOLDS_SHARES", False, None), ("CONTROLS", False, None)],
     "share"),
    ("既是某家公司的股东、又在同一家公司当监事的自然人有多少", "Person",
     [("HOLDS_SHARES", True, None), ("SERVES_AS", True, "监事")], "count"),
])
def test_two_roles_towards_one_company_are_read_in_order(
        question: str, subject: str, roles: list[tuple[str, bool, str | None]],
        answer: str) -> None:
    parsed = _parsed(question)
    assert parsed is not None and parsed.subject == subject and parsed.answer == answer
    assert [(r.rel, r.held, r.job) for r in parsed.roles] == roles


@pytest.mark.parametrize("question", [
    "担任法定代表人最多的人是谁",  # one role
    "在3家以上公司当法定代表人、同时又在别的公司当监事的人",  # two companies, not one
    "法定代表人是女性的企业有多少家",
])
def test_questions_tying_no_two_roles_to_one_company_are_not_overlaps(question: str) -> None:
    assert _parsed(question) is None


def test_job_titles_are_parameters_and_unknown_relationships_refused() -> None:
    ontology = load_ontology()
    asked = RoleOverlap(subject="Person", answer="count", roles=[
        Role(rel="HOLDS_SHARES", title_zh="股东"),
        Role(rel="SERVES_AS", title_zh="监事", job="监事")])
    compiled = compile_role_overlap(asked, ontology)
    assert "'监事'" not in compiled.cypher and compiled.params == {"job1": "监事"}
    with pytest.raises(ValueError):
        compile_role_overlap(asked.model_copy(update={"roles": [
            asked.roles[0], Role(rel="NOPE", title_zh="x")]}), ontology)


@pytest.mark.parametrize(("question", "gold"), [
    ("法人和实控人不是同一个人的公司有几家",
     "MATCH (l:Person)-[:IS_LEGAL_REP]->(c:Company)<-[:CONTROLS]-() "
     "WHERE NOT (l)-[:CONTROLS]->(c) RETURN count(DISTINCT c)"),
    ("既给某家公司做担保、又持有这家公司股份的自然人有几个",
     "MATCH (p:Person)-[:GUARANTEES]->(c:Company)<-[:HOLDS_SHARES]-(p) "
     "RETURN count(DISTINCT p)"),
    ("登记了实际控制人的企业中，法定代表人和实际控制人不是同一人的比例",
     "MATCH (c:Company) WHERE EXISTS { MATCH ()-[:CONTROLS]->(c) } "
     "AND EXISTS { MATCH (:Person)-[:IS_LEGAL_REP]->(c) } "
     "WITH count(c) AS whole, sum(CASE WHEN EXISTS { MATCH (l:Person)-[:IS_LEGAL_REP]->(c) "
     "WHERE NOT (l)-[:CONTROLS]->(c) } THEN 1 ELSE 0 END) AS part "
     "RETURN part, whole, toFloat(part) / whole"),
])
def test_overlaps_on_the_demo_city(demo_graph: GraphStore, question: str, gold: str) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph), question)
    assert answer.status == "answered" and answer.source == "role_overlap"
    assert rows_match([list(r.values()) for r in demo_graph.read(gold)], answer.rows)


def test_one_named_company_or_person_anchors_the_overlap() -> None:
    company = parse_role_overlap(normalise("〈E〉的股东里，有谁同时在公司担任职务？"), (),
                                 ("Company", "CO-1"))
    assert company is not None and company.subject == "Person"
    assert company.company_id == "CO-1" and [r.rel for r in company.roles] == [
        "HOLDS_SHARES", "SERVES_AS"]
    person = parse_role_overlap(normalise("〈E〉既担任法定代表人、又直接持股的企业"), (),
                                ("Person", "P-1"))
    assert person is not None and person.subject == "Company" and person.person_id == "P-1"
    compiled = compile_role_overlap(person, load_ontology())
    assert compiled.params == {"p_id": "P-1"} and "x.ratio" in compiled.cypher
    # a company named as a holder is no company the roles are held towards
    assert parse_role_overlap(normalise("〈E〉既持股又担保的企业"), (), ("Company", "CO-1")) is None


@pytest.mark.parametrize(("question", "gold"), [
    ("远航物流的股东里，有谁同时在公司担任职务？担任的是什么职务？",
     "MATCH (p:Person)-[:HOLDS_SHARES]->(c:Company {name: '滨江远航物流集团有限公司'})"
     "<-[r:SERVES_AS]-(p) RETURN p.name, r.title"),
    ("请列示为自己担任法定代表人的企业提供个人担保的自然人、对应企业及担保金额。",
     "MATCH (p:Person)-[r:GUARANTEES]->(c:Company)<-[:IS_LEGAL_REP]-(p) "
     "RETURN p.name, c.name, r.amount"),
    ("请列示在同一企业中既直接持股又担任监事的自然人、所在企业及其持股比例。",
     "MATCH (p:Person)-[h:HOLDS_SHARES]->(c:Company)<-[:SERVES_AS {title: '监事'}]-(p) "
     "RETURN p.name, c.name, h.ratio"),
    ("法人本人持股过半的公司有多少家",
     "MATCH (p:Person)-[:IS_LEGAL_REP]->(c:Company)<-[h:HOLDS_SHARES]-(p) WHERE h.ratio > 0.5 "
     "RETURN count(DISTINCT c)"),
    ("实控人同时是法定代表人的企业，占有实控人的企业总数的比例是多少",
     "MATCH ()-[:CONTROLS]->(c:Company) WITH DISTINCT c WITH count(c) AS whole, "
     "sum(CASE WHEN EXISTS { MATCH (p:Person)-[:CONTROLS]->(c) WHERE (p)-[:IS_LEGAL_REP]->(c) } "
     "THEN 1 ELSE 0 END) AS part RETURN part, whole, toFloat(part) / whole"),
    ("法定代表人同时是股东的企业有几家",
     "MATCH (p:Person)-[:IS_LEGAL_REP]->(c:Company)<-[:HOLDS_SHARES]-(p) "
     "RETURN count(DISTINCT c)"),
    # a role asked whether, of each company the named person serves: a yes/no beside it
    ("陈健在哪些企业任职，各是什么职务，是不是该企业的法定代表人",
     "MATCH (p:Person {name: '陈健'})-[r:SERVES_AS]->(c:Company) "
     "RETURN c.name, r.title, EXISTS { (p)-[:IS_LEGAL_REP]->(c) }"),
])
def test_named_overlaps_and_what_each_pair_tells(demo_graph: GraphStore, question: str,
                                                 gold: str) -> None:
    answer = answer_question(demo_graph, MentionIndex.from_graph(demo_graph), question)
    assert answer.status == "answered" and answer.source == "role_overlap"
    assert rows_match([list(r.values()) for r in demo_graph.read(gold)], answer.rows)
