"""The dispatch engine: a known optimum, capacities, unmet demand, bad inputs, time limit."""

from __future__ import annotations

import math
import time
from collections import defaultdict

import pytest
from pydantic import ValidationError

from bots.tools.optimisation.dispatch import (
    DispatchIncident,
    DispatchInput,
    DispatchResource,
    solve,
)
from bots.tools.optimisation.instances import random_dispatch


def _two_by_two(capacity_b: int = 1) -> DispatchInput:
    # Greedy serves the urgent X from A (1 min), leaving Y to B (10 min): 2·1 + 1·10 = 12.
    # Optimal sends B to X (2 min) and A to Y: 2·2 + 1·1 = 5.
    return DispatchInput(
        resources=[DispatchResource(id="A", kind="排涝", capacity=1),
                   DispatchResource(id="B", kind="排涝", capacity=capacity_b)],
        incidents=[DispatchIncident(id="X", demand={"排涝": 1}, priority=2.0),
                   DispatchIncident(id="Y", demand={"排涝": 1}, priority=1.0)],
        travel_min=[[1.0, 1.0], [2.0, 10.0]])


def test_the_known_optimum_beats_greedy_nearest_first() -> None:
    plan = solve(_two_by_two())
    assert plan.status == "optimal" and plan.source == "solver"
    assert plan.objective == pytest.approx(5.0)
    assert plan.baseline_objective == pytest.approx(12.0)
    assert plan.improvement_pct == pytest.approx(100 * 7 / 12, abs=0.01)
    assert {(r.resource_id, r.incident_id) for r in plan.assignments} == {("B", "X"), ("A", "Y")}
    assert plan.unmet == [] and "最优" in plan.message


def test_unmet_demand_is_listed_and_penalised() -> None:
    data = _two_by_two().model_copy(update={"incidents": [
        DispatchIncident(id="X", demand={"排涝": 3, "消防": 1}, priority=2.0),
        DispatchIncident(id="Y", demand={"排涝": 1}, priority=1.0)]})
    plan = solve(data)
    assert plan.status == "infeasible"
    assert plan.unmet_units == 3
    assert {(u.incident_id, u.kind, u.units) for u in plan.unmet} <= {
        ("X", "排涝", 1), ("X", "排涝", 2), ("X", "消防", 1), ("Y", "排涝", 1)}
    assert sum(r.units for r in plan.assignments) == 2
    assert "外部增援" in plan.message


def test_unavailable_and_too_far_resources_are_not_sent() -> None:
    data = _two_by_two().model_copy(update={"resources": [
        DispatchResource(id="A", kind="排涝", capacity=1, available=False),
        DispatchResource(id="B", kind="排涝", capacity=2)], "max_travel_min": 5.0})
    plan = solve(data)
    assert [(r.resource_id, r.incident_id) for r in plan.assignments] == [("B", "X")]
    assert plan.unmet_units == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_instances_respect_capacities_and_never_lose_to_the_baseline(seed: int) -> None:
    data = random_dispatch(seed, incidents=40, resources=90)
    plan = solve(data)
    assert plan.objective <= plan.baseline_objective + 1e-6
    capacity = {r.id: r.capacity for r in data.resources if r.available}
    kinds = {r.id: r.kind for r in data.resources}
    sent: dict[str, int] = defaultdict(int)
    got: dict[tuple[str, str], int] = defaultdict(int)
    for row in plan.assignments:
        assert row.kind == kinds[row.resource_id]
        sent[row.resource_id] += row.units
        got[row.incident_id, row.kind] += row.units
    assert all(sent[r] <= capacity[r] for r in sent)
    for incident in data.incidents:
        for kind, units in incident.demand.items():
            unmet = sum(u.units for u in plan.unmet if (u.incident_id, u.kind) == (incident.id,
                                                                                   kind))
            assert got[incident.id, kind] + unmet == units


def test_a_tiny_time_limit_returns_a_valid_plan_quickly() -> None:
    data = random_dispatch(7, time_limit_s=0.01)
    started = time.perf_counter()
    plan = solve(data)
    assert time.perf_counter() - started < 10.0
    assert plan.status in {"time_limit", "optimal", "infeasible"}
    assert plan.objective <= plan.baseline_objective + 1e-6
    if plan.source == "baseline":
        assert "基线" in plan.message


def _fields(**change: object) -> dict[str, object]:
    base: dict[str, object] = {
        "resources": [{"id": "A", "kind": "排涝", "capacity": 1}],
        "incidents": [{"id": "X", "demand": {"排涝": 1}}],
        "travel_min": [[1.0]]}
    base.update(change)
    return base


@pytest.mark.parametrize("change", [
    {"resources": []},
    {"resources": [{"id": "A", "kind": "排涝", "capacity": -1}]},
    {"incidents": [{"id": "X", "demand": {"排涝": -2}}]},
    {"incidents": [{"id": "X", "demand": {}}]},
    {"travel_min": [[math.nan]]},
    {"travel_min": [[math.inf]]},
    {"travel_min": [[-1.0]]},
    {"travel_min": [[1.0, 2.0]]},
    {"travel_min": []},
    {"resources": [{"id": "A", "kind": "排涝", "capacity": 1}] * 2, "travel_min": [[1.0], [1.0]]},
    {"incidents": [{"id": f"X{i}", "demand": {"排涝": 1}} for i in range(2001)]},
    {"time_limit_s": 0},
    {"unknown": 1},
], ids=["no-resources", "negative-capacity", "negative-demand", "empty-demand", "nan", "inf",
        "negative-time", "wide-matrix", "empty-matrix", "duplicate-id", "too-many", "no-time",
        "unknown-field"])
def test_bad_inputs_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        DispatchInput.model_validate(_fields(**change))
