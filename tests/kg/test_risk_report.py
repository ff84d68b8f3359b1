"""Risk reports on the demo city's planted risks: the right level, for the right reason, with
the paths and sources that show it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ingest.demo.finance import planted_patterns
from kg.errors import NotFoundError
from kg.risk.report import ReportParams, risk_report
from kg.store import GraphStore


def _report(store: GraphStore, subject_id: str):  # type: ignore[no-untyped-def]
    return risk_report(store, ReportParams(subject_id=subject_id))


def test_a_company_in_a_guarantee_circle_is_high_risk_and_shows_the_circle(
        demo_graph: GraphStore) -> None:
    circle = planted_patterns()["guarantee_circle"]
    report = _report(demo_graph, circle[0])
    assert report.level == "高" and report.level_reason.startswith("互保圈")
    finding = next(f for f in report.findings if f.title == "互保圈")
    assert finding.level == "高" and len(finding.paths) == 1
    drawn = {n.id for n in report.graph.nodes}
    assert set(circle) <= drawn and report.subject.id in drawn
    assert finding.paths[0].count("担保") == len(circle)


def test_events_give_the_level_with_their_source(demo_graph: GraphStore) -> None:
    planted = planted_patterns()
    company = planted["missing_controller_companies"][0]
    report = _report(demo_graph, company)
    assert report.level == "高" and [e.id for e in report.events] == planted[
        "missing_controller_event"]
    assert report.events[0].source and report.events[0].source in report.sources
    assert report.level_reason.startswith("风险事件")


def test_a_fund_report_names_its_troubled_product(demo_graph: GraphStore) -> None:
    planted = planted_patterns()
    report = _report(demo_graph, planted["overdue_fund"][0])
    fund = next(f for f in report.findings if f.title == "基金穿透")
    assert fund.level == "高"
    assert any(p in {n.id for n in report.graph.nodes} for p in planted["overdue_product"])


def test_circular_shareholding_is_high_and_an_ordinary_company_is_not(
        demo_graph: GraphStore) -> None:
    cycle = planted_patterns()["circular_shareholding"]
    assert _report(demo_graph, cycle[0]).level == "高"
    risky = set().union(*(set(v) for v in planted_patterns().values()))
    rows = demo_graph.read("MATCH (c:Company) WHERE NOT c.id IN $risky AND NOT EXISTS "
                           "{ MATCH (:RiskEvent)-[:INVOLVES]->(c) } RETURN c.id AS id "
                           "ORDER BY c.id LIMIT 1", risky=sorted(risky))
    ordinary = _report(demo_graph, rows[0]["id"])
    assert ordinary.level in ("低", "中") and ordinary.events == []


def test_unknown_or_bad_subjects_are_refused(demo_graph: GraphStore) -> None:
    with pytest.raises(NotFoundError, match="CO-NOPE"):
        _report(demo_graph, "CO-NOPE")
    with pytest.raises(ValidationError):
        ReportParams(subject_id="CO 1'}) DETACH DELETE n //")
