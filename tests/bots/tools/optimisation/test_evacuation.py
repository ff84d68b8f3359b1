"""The evacuation engine: a known optimum, too little room, a distance cap, bad inputs."""

from __future__ import annotations

import math
from collections import defaultdict

import pytest
from pydantic import ValidationError

from bots.tools.optimisation.evacuation import (
    EvacuationCommunity,
    EvacuationInput,
    EvacuationShelter,
    solve,
)
from bots.tools.optimisation.instances import random_evacuation


def _instance(capacity: int = 100, max_distance_km: float | None = None) -> EvacuationInput:
    # In order, C1 takes its nearest S1 (100 × 1 km) and C2 is left with S2 (100 × 10 km):
    # 1,100 person-km; the optimum sends C1 to S2 and C2 to S1: 200 + 100 = 300.
    return EvacuationInput(
        communities=[EvacuationCommunity(id="C1", people=100),
                     EvacuationCommunity(id="C2", people=100)],
        shelters=[EvacuationShelter(id="S1", capacity=100),
                  EvacuationShelter(id="S2", capacity=capacity)],
        distance_km=[[1.0, 2.0], [1.0, 10.0]], max_distance_km=max_distance_km)


def test_the_known_optimum_beats_nearest_first() -> None:
    plan = solve(_instance())
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(300.0)
    assert plan.baseline_objective == pytest.approx(1100.0)
    assert {(r.community_id, r.shelter_id, r.people) for r in plan.assignments} == {
        ("C1", "S2", 100), ("C2", "S1", 100)}
    assert plan.unplaced == []


def test_too_little_room_says_how_many_cannot_be_placed_and_places_the_rest_best() -> None:
    plan = solve(_instance(capacity=50))
    assert plan.status == "infeasible"
    assert plan.unplaced_people == 50 and plan.placed_people == 150
    # The best 150: C2's 100 to S1 (100 km), 50 of C1 to S2 (100 km).
    assert plan.objective == pytest.approx(200.0)
    assert "50 人无法安置" in plan.message


def test_a_distance_cap_places_the_most_people_first() -> None:
    plan = solve(_instance(max_distance_km=5.0))
    # S2 is out of C2's reach; only C1 can use it, so both communities are housed.
    assert plan.unplaced_people == 0
    assert plan.baseline_unplaced_people == 100
    assert "多安置 100 人" in plan.message


@pytest.mark.parametrize(("seed", "ratio"), [(1, 1.1), (2, 0.8), (3, 1.5)])
def test_random_instances_respect_capacities_and_never_lose(seed: int, ratio: float) -> None:
    data = random_evacuation(seed, communities=60, shelters=12, capacity_ratio=ratio)
    plan = solve(data)
    assert plan.unplaced_people <= plan.baseline_unplaced_people
    if plan.unplaced_people == plan.baseline_unplaced_people:
        assert plan.objective <= plan.baseline_objective + 1e-6
    load: dict[str, int] = defaultdict(int)
    sent: dict[str, int] = defaultdict(int)
    for row in plan.assignments:
        load[row.shelter_id] += row.people
        sent[row.community_id] += row.people
    assert all(load[s.id] <= s.capacity for s in data.shelters)
    left = {u.community_id: u.people for u in plan.unplaced}
    assert all(sent[c.id] + left.get(c.id, 0) == c.people for c in data.communities)
    total = sum(c.people for c in data.communities)
    assert plan.unplaced_people == max(0, total - sum(s.capacity for s in data.shelters))


@pytest.mark.parametrize("change", [
    {"communities": []},
    {"shelters": [{"id": "S", "capacity": -5}]},
    {"communities": [{"id": "C", "people": -1}]},
    {"distance_km": [[math.nan]]},
    {"distance_km": [[1.0], [2.0]]},
    {"shelters": [{"id": "S", "capacity": 5}, {"id": "S", "capacity": 5}],
     "distance_km": [[1.0, 1.0]]},
    {"communities": [{"id": f"C{i}", "people": 1} for i in range(5001)]},
])
def test_bad_inputs_are_refused(change: dict[str, object]) -> None:
    fields: dict[str, object] = {"communities": [{"id": "C", "people": 10}],
                                 "shelters": [{"id": "S", "capacity": 5}],
                                 "distance_km": [[1.0]]}
    fields.update(change)
    with pytest.raises(ValidationError):
        EvacuationInput.model_validate(fields)
