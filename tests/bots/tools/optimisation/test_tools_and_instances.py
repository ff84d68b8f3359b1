"""The optimisation tools (schemas, personas, a call each) and the instance generators."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bots.tools.optimisation.geo import GeoPoint, travel_minutes
from bots.tools.optimisation.instances import (
    random_dispatch,
    random_evacuation,
    random_loans,
    random_portfolio,
    random_tickets,
)
from bots.tools.optimisation.tools import OPTIMISATION_TOOLS
from bots.tools.registry import ToolRegistry

SPECS = {spec.name: spec for spec in OPTIMISATION_TOOLS}


def test_the_tools_go_to_the_right_personas() -> None:
    registry = ToolRegistry(OPTIMISATION_TOOLS)
    assert {t.name for t in registry.tools_for("emergency")} == {
        "plan_dispatch", "plan_evacuation", "balance_tickets"}
    assert {t.name for t in registry.tools_for("regulator")} == {
        "optimise_portfolio", "match_loans"}
    assert registry.tools_for("bank_qa") == []
    assert registry.tools_for("citizen") == []
    assert SPECS["plan_evacuation"].applies_to == ("Community", "Shelter")


def test_dispatch_by_coordinates() -> None:
    plan = SPECS["plan_dispatch"].tool.invoke({
        "resources": [{"id": "PS-02", "kind": "排涝", "capacity": 1, "lat": 30.20, "lon": 120.20},
                      {"id": "TM-05", "kind": "排涝", "capacity": 1, "lat": 30.30, "lon": 120.2}],
        "incidents": [{"id": "LF-02", "demand": {"排涝": 1}, "priority": 3,
                       "lat": 30.29, "lon": 120.20}]})
    assert [(r.resource_id, r.incident_id) for r in plan.assignments] == [("TM-05", "LF-02")]


def test_evacuation_by_coordinates() -> None:
    plan = SPECS["plan_evacuation"].tool.invoke({
        "communities": [{"id": "C1", "people": 300, "lat": 30.2, "lon": 120.2}],
        "shelters": [{"id": "SH-01", "capacity": 200, "lat": 30.21, "lon": 120.2},
                     {"id": "SH-02", "capacity": 200, "lat": 30.25, "lon": 120.2}]})
    assert {(r.shelter_id, r.people) for r in plan.assignments} == {("SH-01", 200),
                                                                      ("SH-02", 100)}


def test_a_tool_refuses_bad_arguments() -> None:
    with pytest.raises(ValidationError):
        SPECS["plan_evacuation"].tool.invoke({
            "communities": [{"id": "C1", "people": 300, "lat": 95.0, "lon": 120.2}],
            "shelters": [{"id": "S", "capacity": 1, "lat": 30.0, "lon": 120.0}]})
    with pytest.raises(ValidationError):
        SPECS["match_loans"].tool.invoke({"products": [], "requests": []})


def test_travel_minutes_follow_road_distance_and_speed() -> None:
    minutes = travel_minutes([GeoPoint(lat=30.0, lon=120.0)],
                             [GeoPoint(lat=30.1, lon=120.0), GeoPoint(lat=30.0, lon=120.0)],
                             speed_kmh=30.0)
    # 0.1° of latitude is 11.12 km, × 1.3 on roads, at 30 km/h: 28.9 minutes.
    assert minutes[0][0] == pytest.approx(11.12 * 1.3 * 2.0, rel=1e-3)
    assert minutes[0][1] == 0.0


@pytest.mark.parametrize("make", [
    lambda s: random_dispatch(s, incidents=5, resources=8),
    lambda s: random_evacuation(s, communities=5, shelters=3),
    lambda s: random_tickets(s, tickets=20, teams=4, categories=6),
    lambda s: random_portfolio(s, assets=12),
    lambda s: random_loans(s, requests=10, products=4),
], ids=["dispatch", "evacuation", "tickets", "portfolio", "loans"])
def test_generators_are_deterministic_by_seed(make) -> None:  # type: ignore[no-untyped-def]
    assert make(3) == make(3)
    assert make(3) != make(4)
