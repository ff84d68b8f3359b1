"""The regulators' risk queries on the demo city: each finds its planted pattern, reads only."""

from __future__ import annotations

from collections import defaultdict

import pytest
from pydantic import ValidationError

from ingest.demo.finance import planted_patterns
from kg.errors import NotFoundError
from kg.risk import RISK_QUERIES, get_query, run_query
from kg.risk.contagion import ContagionParams, contagion
from kg.risk.cycles import canonical_rotation
from kg.risk.equity import (
    CircularShareholdingParams,
    UltimateControllerParams,
    circular_shareholding,
    ultimate_controllers,
)
from kg.risk.funds import FundExposureParams, fund_exposure
from kg.risk.guarantees import (
    GuaranteeChainParams,
    GuaranteeCircleParams,
    guarantee_chains,
    guarantee_circles,
)
from kg.risk.parties import Link, RelatedPartyParams, related_parties
from kg.store import GraphStore

PLANTED = planted_patterns()


def _edges(store: GraphStore, rel_type: str, prop: str) -> dict[tuple[str, str], float]:
    rows = store.read(
        "MATCH (a)-[r]->(b) WHERE type(r) = $t RETURN a.id AS a, b.id AS b, r[$p] AS v",
        t=rel_type, p=prop)
    return {(row["a"], row["b"]): float(row["v"]) for row in rows}


def _hand_effective(shares: dict[tuple[str, str], float], holder: str, company: str,
                    depth: int) -> float:
    """Sum over simple HOLDS_SHARES paths holder → … → company of the product of ratios."""
    held_by: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for (a, b), ratio in shares.items():
        held_by[b].append((a, ratio))

    def walk(node: str, seen: frozenset[str], left: int) -> float:
        total = 0.0
        for parent, ratio in held_by[node]:
            if parent in seen:
                continue
            if parent == holder:
                total += ratio
            elif left > 1:
                total += ratio * walk(parent, seen | {parent}, left - 1)
        return total

    return walk(company, frozenset({company}), depth)


# -- pure logic ----------------------------------------------------------------------------
def test_canonical_rotation_starts_at_the_smallest_id_and_keeps_the_direction() -> None:
    assert canonical_rotation(["C", "A", "B"]) == ("A", "B", "C")
    assert canonical_rotation(["B", "C", "A"]) == ("A", "B", "C")
    assert canonical_rotation(["A", "C", "B"]) == ("A", "C", "B")  # the reverse cycle differs
    assert canonical_rotation([]) == ()


def test_the_registry_names_every_query_in_chinese() -> None:
    assert set(RISK_QUERIES) == {
        "ultimate_controllers", "related_parties", "guarantee_chains", "guarantee_circles",
        "circular_shareholding", "contagion", "fund_exposure"}
    for name, query in RISK_QUERIES.items():
        assert query.name == name and query.title_zh and query.description_zh
        assert query.run.__doc__
    with pytest.raises(NotFoundError, match="ultimate_controllers"):
        get_query("drop_everything")


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"company_id": "CO-1", "threshold": -0.1}, "threshold", "greater than or equal to 0"),
        ({"company_id": "CO-1", "threshold": 1.5}, "threshold", "less than or equal to 1"),
        ({"company_id": "CO-1", "max_depth": 0}, "max_depth", "greater than or equal to 1"),
        ({"company_id": "CO-1", "max_depth": 1000}, "max_depth", "less than or equal to 8"),
        ({"company_id": ""}, "company_id", "at least 1 character"),
        ({"company_id": "CO-1", "cypher": "MATCH (n) DETACH DELETE n"}, "cypher",
         "Extra inputs are not permitted"),
    ],
)
def test_bad_parameters_are_refused_with_the_field_named(
    params: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        UltimateControllerParams.model_validate(params)
    assert field in str(caught.value) and message in str(caught.value)


@pytest.mark.parametrize(
    ("model", "params"),
    [
        (CircularShareholdingParams, {"max_len": 1}),
        (GuaranteeCircleParams, {"max_len": 50}),
        (GuaranteeChainParams, {"company_id": "CO-1", "max_hops": 0}),
        (ContagionParams, {"source_id": "RE-1", "decay": 0}),
        (ContagionParams, {"source_id": "RE-1", "max_hops": 9}),
        (RelatedPartyParams, {"company_id": "CO-1", "threshold": 2}),
        (FundExposureParams, {"fund_id": "FD-1", "limit": -5}),
    ],
)
def test_every_query_bounds_its_parameters(model: type, params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(params)


# -- on the demo graph ---------------------------------------------------------------------
def test_penetration_multiplies_ratios_along_the_missing_controllers_group(
    demo_graph: GraphStore,
) -> None:
    boss = PLANTED["missing_controller"][0]
    shares = _edges(demo_graph, "HOLDS_SHARES", "ratio")
    for company in PLANTED["missing_controller_companies"]:
        result = ultimate_controllers(demo_graph, UltimateControllerParams(company_id=company))
        found = {row.holder.id: row for row in result.rows}
        expected = _hand_effective(shares, boss, company, 6)
        assert expected >= 0.25
        assert found[boss].effective_ratio == pytest.approx(expected, abs=1e-6)
        assert boss in {c.id for c in result.declared_controllers}
        assert found[boss].declared_controller
        assert all(row.effective_ratio >= 0.25 for row in result.rows)
        drawn = {n.id for n in result.subgraph.nodes}
        assert {company, boss} <= drawn
    subsidiary = PLANTED["missing_controller_companies"][1]
    deep = ultimate_controllers(demo_graph, UltimateControllerParams(company_id=subsidiary))
    assert next(r for r in deep.rows if r.holder.id == boss).min_depth == 2


def test_penetration_walks_a_circular_shareholding_once_around(demo_graph: GraphStore) -> None:
    owner = PLANTED["circular_shareholding_owner"][0]
    shares = _edges(demo_graph, "HOLDS_SHARES", "ratio")
    for company in PLANTED["circular_shareholding"]:
        result = ultimate_controllers(demo_graph, UltimateControllerParams(company_id=company))
        row = next(r for r in result.rows if r.holder.id == owner)
        assert row.effective_ratio == pytest.approx(_hand_effective(shares, owner, company, 6))
        assert row.paths == 3  # directly, and through one or two other members


def test_a_shallow_walk_or_a_high_threshold_keeps_fewer_holders(demo_graph: GraphStore) -> None:
    company = PLANTED["missing_controller_companies"][1]
    shallow = ultimate_controllers(
        demo_graph, UltimateControllerParams(company_id=company, max_depth=1))
    assert PLANTED["missing_controller"][0] not in {r.holder.id for r in shallow.rows}
    strict = ultimate_controllers(
        demo_graph, UltimateControllerParams(company_id=company, threshold=1.0))
    assert strict.rows == []
    with pytest.raises(NotFoundError):
        ultimate_controllers(demo_graph, UltimateControllerParams(company_id="CO-NOPE"))


def test_the_circular_shareholding_is_found_once(demo_graph: GraphStore) -> None:
    planted = PLANTED["circular_shareholding"]
    result = circular_shareholding(demo_graph, CircularShareholdingParams())
    loops = [r for r in result.rows if set(m.id for m in r.members) == set(planted)]
    assert len(loops) == 1
    loop = loops[0]
    ids = [m.id for m in loop.members]
    assert tuple(ids) == canonical_rotation(ids)
    shares = _edges(demo_graph, "HOLDS_SHARES", "ratio")
    ratios = [shares[(ids[i], ids[(i + 1) % 3])] for i in range(3)]
    assert loop.values == pytest.approx(ratios)
    assert loop.loop_ratio == pytest.approx(ratios[0] * ratios[1] * ratios[2])
    assert len(result.subgraph.edges) >= 3
    for member in planted:
        through = circular_shareholding(
            demo_graph, CircularShareholdingParams(company_id=member))
        assert [[m.id for m in r.members] for r in through.rows] == [ids]
    too_short = circular_shareholding(demo_graph, CircularShareholdingParams(max_len=2))
    assert all(r.length == 2 for r in too_short.rows)


def test_the_guarantee_circle_is_found_once_with_its_total(demo_graph: GraphStore) -> None:
    planted = PLANTED["guarantee_circle"]
    result = guarantee_circles(demo_graph, GuaranteeCircleParams())
    circles = [r for r in result.rows if set(m.id for m in r.members) == set(planted)]
    assert len(circles) == 1
    ids = [m.id for m in circles[0].members]
    assert ids == list(canonical_rotation(planted))  # the planted order, rotated
    amounts = _edges(demo_graph, "GUARANTEES", "amount")
    expected = [amounts[(ids[i], ids[(i + 1) % len(ids)])] for i in range(len(ids))]
    assert circles[0].values == pytest.approx(expected)
    assert circles[0].total_amount == pytest.approx(sum(expected))
    keys = [canonical_rotation([m.id for m in r.members]) for r in result.rows]
    assert len(keys) == len(set(keys))
    assert guarantee_circles(demo_graph, GuaranteeCircleParams(max_len=len(planted) - 1)).rows \
        == [r for r in result.rows if r.length < len(planted)]


def test_guarantee_chains_follow_the_circle_with_amounts(demo_graph: GraphStore) -> None:
    planted = PLANTED["guarantee_circle"]
    amounts = _edges(demo_graph, "GUARANTEES", "amount")
    result = guarantee_chains(
        demo_graph, GuaranteeChainParams(company_id=planted[0], max_hops=len(planted)))
    along = [r for r in result.rows if [m.id for m in r.members] == planted[: r.hops + 1]]
    assert [r.hops for r in along] == list(range(1, len(planted)))
    longest = along[-1]
    expected = [amounts[(planted[i], planted[i + 1])] for i in range(len(planted) - 1)]
    assert longest.amounts == pytest.approx(expected)
    assert longest.total_amount == pytest.approx(sum(expected))
    assert all(r.hops <= len(planted) for r in result.rows)
    assert [r.hops for r in result.rows] == sorted(r.hops for r in result.rows)
    one_hop = guarantee_chains(demo_graph, GuaranteeChainParams(company_id=planted[0],
                                                                max_hops=1))
    assert all(r.hops == 1 for r in one_hop.rows)


def test_related_parties_of_a_shell_are_the_other_shells(demo_graph: GraphStore) -> None:
    shells = PLANTED["shell_companies"]
    boss = PLANTED["shell_controller"][0]
    assert len(shells) >= 15
    result = related_parties(demo_graph, RelatedPartyParams(company_id=shells[0]))
    by_link: dict[Link, set[str]] = defaultdict(set)
    for row in result.rows:
        by_link[row.link].add(row.other.id)
        assert row.link_zh and row.other.id != shells[0]
    others = set(shells[1:])
    assert others <= by_link[Link.CONTROLLER]
    assert others <= by_link[Link.ADDRESS] and others <= by_link[Link.PHONE]
    controller_rows = [r for r in result.rows if r.link is Link.CONTROLLER]
    assert {r.via.id for r in controller_rows if r.via} == {boss}
    assert by_link[Link.LEGAL_REP] and by_link[Link.OFFICER]
    top = result.rows[0].other.id
    assert top in others  # shells share the most ties, so they come first


def test_related_parties_share_an_ultimate_holder(demo_graph: GraphStore) -> None:
    group, first, *_ = PLANTED["missing_controller_companies"]
    result = related_parties(demo_graph, RelatedPartyParams(company_id=first))
    holders = [r for r in result.rows if r.link is Link.ULTIMATE_HOLDER]
    assert group in {r.other.id for r in holders}
    assert {r.via.id for r in holders if r.via} >= {PLANTED["missing_controller"][0]}


def test_contagion_from_the_missing_controller_event(demo_graph: GraphStore) -> None:
    event = PLANTED["missing_controller_event"][0]
    params = ContagionParams(source_id=event)
    result = contagion(demo_graph, params)
    assert result.event is not None and result.event.id == event
    sources = {s.id for s in result.sources}
    assert sources == {*PLANTED["missing_controller"], *PLANTED["missing_controller_companies"]}
    weights = [r.weight for r in result.rows]
    assert weights == sorted(weights, reverse=True) and weights[0] <= params.decay
    exposed = {r.entity.id: r for r in result.rows}
    assert not sources & set(exposed)
    subsidiary = PLANTED["missing_controller_companies"][1]
    guarantors = demo_graph.read(
        "MATCH (g)-[r:GUARANTEES]->(:Company {id: $id}) RETURN g.id AS g, r.amount AS amount",
        id=subsidiary)
    outside = [g for g in guarantors if g["g"] not in sources]
    assert outside
    for row in outside:
        hit = exposed[row["g"]]
        amount = float(row["amount"])
        direct = params.decay * amount / (amount + params.amount_scale)
        assert hit.weight >= direct - 1e-6  # its strongest path is at least the direct one
        if hit.hops == 1:
            assert hit.relations == ["GUARANTEES"]
            assert hit.weight == pytest.approx(direct, abs=1e-6)
    assert all(r.hops <= 3 and len(r.path) == r.hops + 1 for r in result.rows)


def test_contagion_decays_with_hops_and_accepts_a_company(demo_graph: GraphStore) -> None:
    company = PLANTED["guarantee_circle"][0]
    near = contagion(demo_graph, ContagionParams(source_id=company, max_hops=1))
    far = contagion(demo_graph, ContagionParams(source_id=company, max_hops=3))
    assert near.event is None and [s.id for s in near.sources] == [company]
    assert all(r.hops == 1 for r in near.rows)
    assert {r.entity.id for r in near.rows} < {r.entity.id for r in far.rows}
    nxt = PLANTED["guarantee_circle"][1]
    assert nxt in {r.entity.id for r in near.rows}
    assert all(r.weight <= 0.5 ** r.hops + 1e-9 for r in far.rows)
    with pytest.raises(NotFoundError):
        contagion(demo_graph, ContagionParams(source_id="RE-NOPE"))


def test_fund_exposure_of_the_overdue_and_the_fake_fund(demo_graph: GraphStore) -> None:
    overdue = fund_exposure(demo_graph, FundExposureParams(fund_id=PLANTED["overdue_fund"][0]))
    assert [m.id for m in overdue.managers] == PLANTED["overdue_manager"]
    assert [p.product.id for p in overdue.products] == PLANTED["overdue_product"]
    assert overdue.products[0].status == "逾期"
    investors = {r.investor.id for r in overdue.rows}
    assert set(PLANTED["overdue_investors"]) <= investors
    assert overdue.total_amount == pytest.approx(sum(r.amount or 0 for r in overdue.rows))
    assert overdue.products[0].raised == pytest.approx(sum(
        r.amount or 0 for r in overdue.rows if r.target.id == PLANTED["overdue_product"][0]))
    fake = fund_exposure(demo_graph,
                         FundExposureParams(fund_id=PLANTED["fake_private_fund"][0]))
    assert [m.id for m in fake.managers] == PLANTED["fake_private_fund_manager"]
    assert PLANTED["fake_private_fund_controller"][0] in {c.id for c in fake.controllers}
    assert set(PLANTED["fake_private_fund_investors"]) <= {r.investor.id for r in fake.rows}
    edges = {(e.source, e.target, e.type) for e in fake.subgraph.edges}
    assert (PLANTED["fake_private_fund_manager"][0], PLANTED["fake_private_fund"][0],
            "MANAGES") in edges
    with pytest.raises(NotFoundError):
        fund_exposure(demo_graph, FundExposureParams(fund_id="FD-NOPE"))


def test_every_named_query_runs_and_writes_nothing(demo_graph: GraphStore) -> None:
    before = demo_graph.counts()
    company = PLANTED["missing_controller_companies"][0]
    raw = {
        "ultimate_controllers": {"company_id": company},
        "related_parties": {"company_id": company},
        "guarantee_chains": {"company_id": company},
        "guarantee_circles": {},
        "circular_shareholding": {},
        "contagion": {"source_id": PLANTED["overdue_redemption_event"][0]},
        "fund_exposure": {"fund_id": PLANTED["overdue_fund"][0]},
    }
    for name, params in raw.items():
        result = run_query(demo_graph, name, params)
        assert isinstance(result, RISK_QUERIES[name].result)
        assert result.model_dump(mode="json")["rows"], name
    assert demo_graph.counts() == before
