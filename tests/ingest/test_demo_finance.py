"""Pure-logic tests of the demo city's finance graph and bank knowledge (no database needed)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import networkx as nx
import pytest
import yaml

from ingest.demo import finance, government
from kg.errors import DataValidationError
from kg.ontology import load_ontology
from kg.records import GraphBundle, NodeRecord, RelRecord
from tests.ingest.support import assert_valid, by_label, copy_data, edges

COMPANY_LABELS = ("Company", "Bank")
# A percentage or an amount of money in an answer: 3.60%, 5元, 20万元, 5万美元.
FIGURE = re.compile(r"\d+(?:\.\d+)?(?:%|万美元|万元|元)")


@pytest.fixture(scope="module")
def bundle() -> GraphBundle:
    return finance.build(finance.DATA_DIR)


@pytest.fixture(scope="module")
def patterns() -> dict[str, list[str]]:
    return finance.planted_patterns(finance.DATA_DIR)


@pytest.fixture(scope="module")
def nodes(bundle: GraphBundle) -> dict[str, NodeRecord]:
    return {str(n.properties["id"]): n for n in bundle.nodes}


# -- ontology and integrity -------------------------------------------------------------
def test_every_node_and_relationship_validates(bundle: GraphBundle) -> None:
    assert_valid(bundle)


def test_ids_are_unique_with_the_government_data(bundle: GraphBundle) -> None:
    everything = [*bundle.nodes, *government.build(government.DATA_DIR).nodes]
    counts = Counter(str(n.properties["id"]) for n in everything)
    assert [node_id for node_id, n in counts.items() if n > 1] == []


def test_every_relationship_endpoint_exists(bundle: GraphBundle) -> None:
    """Endpoints are in the finance bundle or the government one (regions), label and all."""
    known = {(n.label, str(n.properties["id"]))
             for n in [*bundle.nodes, *government.build(government.DATA_DIR).nodes]}
    for rel in bundle.relationships:
        assert (rel.start.label, rel.start.key) in known, rel
        assert (rel.end.label, rel.end.key) in known, rel


def test_no_duplicate_relationships(bundle: GraphBundle) -> None:
    """The graph merges a relationship on (type, start, end[, edge key]): no two may collide."""
    ontology = load_ontology()

    def merge_key(rel: RelRecord) -> tuple[object, ...]:
        edge_key = ontology.relationships[rel.type].edge_key
        return rel.type, rel.start.key, rel.end.key, rel.properties.get(edge_key or "")

    counts = Counter(merge_key(r) for r in bundle.relationships)
    assert [key for key, n in counts.items() if n > 1] == []


def test_counts(bundle: GraphBundle) -> None:
    labels = Counter(n.label for n in bundle.nodes)
    assert labels["Company"] + labels["Bank"] >= 600
    assert labels["Bank"] >= 3
    assert labels["Person"] >= 400
    assert labels["Fund"] >= 50
    assert labels["KnowledgeEntry"] >= 150
    assert labels["LoanProduct"] >= 10
    for label in ("Product", "Account", "RiskEvent", "Category"):
        assert labels[label] > 0, label
    types = Counter(r.type for r in bundle.relationships)
    for rel_type in ("HOLDS_SHARES", "CONTROLS", "IS_LEGAL_REP", "SERVES_AS", "GUARANTEES",
                     "INVESTS_IN", "MANAGES", "ISSUES", "HOLDS_ACCOUNT", "OPENED_AT",
                     "TRANSFERS", "INVOLVES", "LOCATED_IN", "PROVIDED_BY", "ABOUT"):
        assert types[rel_type] > 0, rel_type


def test_build_is_deterministic(bundle: GraphBundle, tmp_path: Path) -> None:
    # Another directory is another cache entry, so this really builds a second time.
    again = finance.build(copy_data(tmp_path))
    assert again == bundle
    assert finance.planted_patterns(tmp_path / "data") == finance.planted_patterns()


def test_no_date_lies_in_the_future(bundle: GraphBundle) -> None:
    def dates(props: dict[str, object]) -> list[date]:
        return [v.date() if isinstance(v, datetime) else v for v in props.values()
                if isinstance(v, date)]

    found = [d for n in bundle.nodes for d in dates(n.properties)]
    found += [d for r in bundle.relationships for d in dates(r.properties)]
    assert found and max(found) <= finance.DEMO_TODAY


def test_build_returns_independent_copies() -> None:
    first = finance.build()
    first.nodes.clear()
    assert finance.build().nodes


# -- companies and persons --------------------------------------------------------------
def test_every_company_is_located_in_a_district_or_street(bundle: GraphBundle) -> None:
    located = {r.start.key: r.end.label for r in bundle.relationships if r.type == "LOCATED_IN"}
    for company in by_label(bundle, *COMPANY_LABELS):
        assert located.get(company.properties["id"]) in ("District", "Street"), company


def test_company_names_and_abbreviations(bundle: GraphBundle, nodes: dict[str, NodeRecord]) -> None:
    companies = by_label(bundle, "Company")
    names = [c.properties["name"] for c in companies]
    assert len(set(names)) == len(names)
    assert all(name.startswith("滨江") and name.endswith("公司") for name in names)
    city_invest = next(c for c in companies if c.properties["name"] == "滨江城市建设投资有限公司")
    assert "滨江城投" in city_invest.properties["aliases"]
    assert nodes["CO-BANK-001"].properties["name"] == "滨江市民银行"


def test_credit_codes_and_id_numbers_are_well_formed(bundle: GraphBundle) -> None:
    codes = [c.properties["credit_code"] for c in by_label(bundle, *COMPANY_LABELS)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == 18 and finance.credit_code_check(code[:17]) == code[17], code
    numbers = [p.properties["id_number"] for p in by_label(bundle, "Person")]
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        assert re.fullmatch(r"3399\d{13}[\dX]", number), number
        assert finance.id_number_check(number[:17]) == number[17], number


def test_share_ratios_per_company_sum_to_at_most_one(bundle: GraphBundle) -> None:
    totals: dict[str, float] = defaultdict(float)
    for rel in bundle.relationships:
        if rel.type == "HOLDS_SHARES":
            ratio = rel.properties["ratio"]
            assert 0 < ratio <= 1, rel
            totals[rel.end.key] += ratio
    assert totals and max(totals.values()) <= 1 + 1e-9


def test_homonyms_are_different_people(bundle: GraphBundle, patterns: dict[str, list[str]],
                                       nodes: dict[str, NodeRecord]) -> None:
    roles: dict[str, set[str]] = defaultdict(set)
    for rel in bundle.relationships:
        if rel.type in ("IS_LEGAL_REP", "SERVES_AS", "HOLDS_SHARES", "CONTROLS"):
            roles[rel.start.key].add(rel.end.key)
    by_name: dict[str, list[str]] = defaultdict(list)
    for pid in patterns["homonyms"]:
        by_name[nodes[pid].properties["name"]].append(pid)
    assert len(by_name) >= 5 and "王建国" in by_name
    for name, ids in by_name.items():
        assert len(ids) >= 2, name
        assert len({nodes[i].properties["id_number"] for i in ids}) == len(ids), name
        companies = [frozenset(roles[i]) for i in ids]
        assert all(companies), name
        assert len(set(companies)) == len(ids), name


# -- planted risk patterns --------------------------------------------------------------
def _cycles(bundle: GraphBundle, rel_type: str) -> list[set[str]]:
    graph = nx.DiGraph(edges(bundle, rel_type))
    return [set(cycle) for cycle in nx.simple_cycles(graph)]


def test_circular_shareholding(bundle: GraphBundle, patterns: dict[str, list[str]]) -> None:
    a, b, c = patterns["circular_shareholding"]
    holds = set(edges(bundle, "HOLDS_SHARES"))
    assert {(a, b), (b, c), (c, a)} <= holds
    assert _cycles(bundle, "HOLDS_SHARES") == [{a, b, c}]


def test_guarantee_circle(bundle: GraphBundle, patterns: dict[str, list[str]]) -> None:
    circle = patterns["guarantee_circle"]
    assert len(circle) >= 4
    guarantees = set(edges(bundle, "GUARANTEES"))
    for i, company in enumerate(circle):
        assert (company, circle[(i + 1) % len(circle)]) in guarantees
    assert _cycles(bundle, "GUARANTEES") == [set(circle)]


def test_shell_controller(bundle: GraphBundle, patterns: dict[str, list[str]],
                          nodes: dict[str, NodeRecord]) -> None:
    (boss,) = patterns["shell_controller"]
    shells = patterns["shell_companies"]
    assert len(shells) >= 15
    controlled = {end for start, end in edges(bundle, "CONTROLS") if start == boss}
    assert set(shells) <= controlled
    props = [nodes[s].properties for s in shells]
    assert len({p["address"] for p in props}) == 1
    assert len({p["phone"] for p in props}) == 1
    assert max(p["registered_capital"] for p in props) <= 10
    cycle = patterns["shell_transfer_cycle"]
    assert len(cycle) == len(shells)


def _events(bundle: GraphBundle, kind: str) -> dict[str, set[str]]:
    ids = {n.properties["id"] for n in bundle.nodes
           if n.label == "RiskEvent" and n.properties["kind"] == kind}
    involved: dict[str, set[str]] = {i: set() for i in ids}
    for start, end in edges(bundle, "INVOLVES"):
        if start in involved:
            involved[start].add(end)
    return involved


def test_missing_controller(bundle: GraphBundle, patterns: dict[str, list[str]]) -> None:
    (event,) = patterns["missing_controller_event"]
    involved = _events(bundle, "实控人失联")[event]
    (person,) = patterns["missing_controller"]
    companies = patterns["missing_controller_companies"]
    assert {person, *companies} <= involved
    assert {(person, c) for c in companies} <= set(edges(bundle, "CONTROLS"))


def test_overdue_redemption(bundle: GraphBundle, patterns: dict[str, list[str]],
                            nodes: dict[str, NodeRecord]) -> None:
    (event,) = patterns["overdue_redemption_event"]
    (product,) = patterns["overdue_product"]
    (fund,) = patterns["overdue_fund"]
    assert {product, fund} <= _events(bundle, "逾期兑付")[event]
    assert (fund, product) in set(edges(bundle, "ISSUES"))
    assert (patterns["overdue_manager"][0], fund) in set(edges(bundle, "MANAGES"))
    assert nodes[product].properties["status"] == "逾期"


def test_fake_private_fund(bundle: GraphBundle, patterns: dict[str, list[str]],
                           nodes: dict[str, NodeRecord]) -> None:
    (event,) = patterns["fake_private_fund_event"]
    (fund,) = patterns["fake_private_fund"]
    (boss,) = patterns["fake_private_fund_controller"]
    involved = _events(bundle, "虚假私募")[event]
    assert {fund, boss, *patterns["fake_private_fund_product"]} <= involved
    assert "filing_code" not in nodes[fund].properties
    holder = {end: start for start, end in edges(bundle, "HOLDS_ACCOUNT")}
    diverted = {r.end.key for r in bundle.relationships
                if r.type == "TRANSFERS" and r.properties["tx_id"] in
                patterns["fake_fund_diversion"]}
    assert diverted and {holder[a] for a in diverted} == {boss}


def test_transfer_ids_are_unique(bundle: GraphBundle) -> None:
    tx_ids = [r.properties["tx_id"] for r in bundle.relationships if r.type == "TRANSFERS"]
    assert len(set(tx_ids)) == len(tx_ids)


# -- banks and the bank knowledge base ---------------------------------------------------
def test_banks_issue_loan_products(bundle: GraphBundle) -> None:
    issuers = {end: start for start, end in edges(bundle, "ISSUES")}
    banks = {b.properties["id"] for b in by_label(bundle, "Bank")}
    loan_products = by_label(bundle, "LoanProduct")
    assert {issuers[p.properties["id"]] for p in loan_products} == banks
    for product in loan_products:
        assert 0 < product.properties["rate_min"] <= product.properties["rate_max"] < 0.25


def test_knowledge_entries_are_linked(bundle: GraphBundle) -> None:
    categories = {c.properties["id"]: c for c in by_label(bundle, "Category")}
    assert all(c.properties["scheme"] == "bank" for c in categories.values())
    assert len(categories) >= 10
    provided = dict(edges(bundle, "PROVIDED_BY"))
    about = dict(edges(bundle, "ABOUT"))
    entries = by_label(bundle, "KnowledgeEntry")
    for entry in entries:
        kid = entry.properties["id"]
        assert re.fullmatch(r"BK\d{4}", kid)
        assert provided[kid] == finance.DEMO_BANK_ID
        assert about[kid] in categories
        assert entry.properties["domain"] == "银行"
        assert 2 <= len(entry.properties["paraphrases"]) <= 4
    per_category = Counter(about[e.properties["id"]] for e in entries)
    assert min(per_category.values()) >= 8 and set(per_category) == set(categories)


def _schedule_figures() -> set[str]:
    data = yaml.safe_load((finance.DATA_DIR / finance.BANK_FILE).read_text(encoding="utf-8"))
    return {f for item in data["schedule"] for f in FIGURE.findall(item["standard"])}


def test_every_figure_in_an_answer_is_in_the_schedule(bundle: GraphBundle) -> None:
    """The QA bot must never state a rate or fee that the bank's schedule does not define."""
    allowed = _schedule_figures()
    wrong = {e.properties["id"]: sorted(set(FIGURE.findall(e.properties["answer"])) - allowed)
             for e in by_label(bundle, "KnowledgeEntry")}
    assert {k: v for k, v in wrong.items() if v} == {}


def test_demo_bank_products_are_described_in_the_knowledge(bundle: GraphBundle) -> None:
    answers = " ".join(e.properties["answer"] for e in by_label(bundle, "KnowledgeEntry"))
    issuers = {end: start for start, end in edges(bundle, "ISSUES")}
    for product in by_label(bundle, "LoanProduct"):
        if issuers[product.properties["id"]] != finance.DEMO_BANK_ID:
            continue
        props = product.properties
        assert f"{props['rate_min'] * 100:.2f}%" in answers, props["name"]
        assert f"{props['rate_max'] * 100:.2f}%" in answers, props["name"]
        assert props["name"] in answers, props["name"]


# -- malformed data ---------------------------------------------------------------------
def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("file", "old", "new", "names"), [
    ("bank_knowledge.yaml", "    category: B01\n    question: 银行卡密码忘了怎么办？",
     "    question: 银行卡密码忘了怎么办？", ("bank_knowledge.yaml", "BK0007", "category")),
    ("bank_knowledge.yaml", "  - id: BK0002\n", "  - id: BK0001\n",
     ("bank_knowledge.yaml", "BK0001", "duplicate")),
    ("bank.yaml", "    rate: [3.60, 10.80]\n", "", ("bank.yaml", "LP-BJCB-01", "rate")),
    ("finance.yaml", "{key: hengxin, name: 滨江恒信控股集团有限公司,", "{key: hengxin,",
     ("finance.yaml", "hengxin", "name")),
    ("finance.yaml", "region: 新城街道, parent: state_capital, ratio: 1.0, description: 滨江市城市",
     "region: 不存在街道, parent: state_capital, ratio: 1.0, description: 滨江市城市",
     ("finance.yaml", "city_invest", "不存在街道")),
])
def test_malformed_entry_names_file_and_entry(tmp_path: Path, file: str, old: str, new: str,
                                              names: tuple[str, ...]) -> None:
    data_dir = copy_data(tmp_path)
    _edit(data_dir / file, old, new)
    with pytest.raises(DataValidationError) as caught:
        finance.build(data_dir)
    for name in names:
        assert name in str(caught.value)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    data_dir = copy_data(tmp_path)
    (data_dir / "finance.yaml").unlink()
    with pytest.raises(DataValidationError, match=r"finance\.yaml"):
        finance.build(data_dir)
