"""Evacuation: how many people of each community go to which shelter.

Shelters hold at most their capacity. The plan places as many people as the capacities (and
``max_distance_km``) allow, then minimises the total person-km, a transportation problem
solved as an LP by HiGHS's dual simplex (its vertices are integral). People who cannot be
placed go to a dummy shelter whose cost exceeds any saving a longer route could bring, so
placing more always wins. The baseline sends each community in turn to its nearest shelter
with room, spilling over to the next nearest.
"""

from __future__ import annotations

import logging
from typing import Annotated

import numpy as np
from pydantic import Field, model_validator
from scipy.optimize import linprog
from scipy.sparse import csr_array

from bots.tools.optimisation.common import (
    DEFAULT_TIME_LIMIT_S,
    EngineModel,
    Identifier,
    PlanSource,
    PlanSummary,
    SolveStatus,
    TimeLimitS,
    better,
    check_matrix,
    improvement_pct,
    stopwatch,
    unique_ids,
)

log = logging.getLogger(__name__)

MAX_COMMUNITIES = 5000
MAX_SHELTERS = 1000
MAX_PAIRS = 1_000_000
People = Annotated[int, Field(ge=0, le=10_000_000)]


class EvacuationCommunity(EngineModel):
    """A community with ``people`` to evacuate."""

    id: Identifier
    people: People


class EvacuationShelter(EngineModel):
    """A shelter that holds at most ``capacity`` people."""

    id: Identifier
    capacity: People


class EvacuationInput(EngineModel):
    """Communities, shelters and the road km from each community (rows) to each shelter."""

    communities: list[EvacuationCommunity] = Field(min_length=1, max_length=MAX_COMMUNITIES)
    shelters: list[EvacuationShelter] = Field(min_length=1, max_length=MAX_SHELTERS)
    distance_km: list[list[float]] = Field(description="社区到避难场所的道路距离（公里）")
    max_distance_km: float | None = Field(default=None, gt=0.0,
                                          description="超过此距离的避难场所不安排")
    time_limit_s: TimeLimitS = DEFAULT_TIME_LIMIT_S

    @model_validator(mode="after")
    def _consistent(self) -> EvacuationInput:
        """Ids unique, the matrix the right shape, the problem within sane size."""
        unique_ids([c.id for c in self.communities], "社区")
        unique_ids([s.id for s in self.shelters], "避难场所")
        if len(self.communities) * len(self.shelters) > MAX_PAIRS:
            raise ValueError(f"社区数×避难场所数超过上限 {MAX_PAIRS}")
        check_matrix(self.distance_km, len(self.communities), len(self.shelters), "距离")
        return self


class EvacuationRow(EngineModel):
    """``people`` of a community sent to a shelter ``distance_km`` away."""

    community_id: str
    shelter_id: str
    people: int
    distance_km: float


class Unplaced(EngineModel):
    """People of a community no shelter can take."""

    community_id: str
    people: int


class EvacuationPlan(PlanSummary):
    """The placement; ``objective`` is the total person-km of the people placed."""

    assignments: list[EvacuationRow]
    unplaced: list[Unplaced]
    placed_people: int
    unplaced_people: int
    baseline_unplaced_people: int


def _allowed(data: EvacuationInput, distance: np.ndarray) -> np.ndarray:
    if data.max_distance_km is None:
        return np.ones(distance.shape, dtype=bool)
    return distance <= data.max_distance_km


def baseline_flow(data: EvacuationInput, distance: np.ndarray,
                  allowed: np.ndarray) -> np.ndarray:
    """Communities in the given order, each to its nearest shelter with room, the rest of
    its people to the next nearest, within the allowed distance."""
    room = np.asarray([s.capacity for s in data.shelters], dtype=float)
    flow = np.zeros(distance.shape)
    for c, community in enumerate(data.communities):
        left = float(community.people)
        for s in np.argsort(distance[c], kind="stable"):
            if left <= 0:
                break
            if allowed[c, s] and room[s] > 0:
                take = min(left, room[s])
                flow[c, s] = take
                room[s] -= take
                left -= take
    return flow


def _lp_flow(data: EvacuationInput, distance: np.ndarray,
             allowed: np.ndarray) -> tuple[np.ndarray | None, str]:
    n_c, n_s = distance.shape
    comm, shel = np.nonzero(allowed)
    n_arcs = comm.size
    # Variables: allowed (community, shelter) arcs, then one "unplaced" per community whose
    # cost exceeds any augmenting path's (at most n_c + n_s arcs of at most the longest km).
    longest = float(distance[allowed].max()) if n_arcs else 1.0
    penalty = (n_c + n_s + 1) * max(longest, 1.0)
    cost = np.concatenate([distance[comm, shel], np.full(n_c, penalty)])
    arcs = np.arange(n_arcs)
    eq = csr_array((np.ones(n_arcs + n_c),
                    (np.concatenate([comm, np.arange(n_c)]),
                     np.concatenate([arcs, n_arcs + np.arange(n_c)]))),
                   shape=(n_c, n_arcs + n_c))
    ub = csr_array((np.ones(n_arcs), (shel, arcs)), shape=(n_s, n_arcs + n_c))
    result = linprog(cost, A_ub=ub, b_ub=[s.capacity for s in data.shelters], A_eq=eq,
                     b_eq=[c.people for c in data.communities], bounds=(0, None),
                     method="highs-ds", options={"time_limit": data.time_limit_s})
    if result.status != 0 or result.x is None:
        log.info("evacuation LP stopped: %s", result.message)
        return None, "time_limit" if result.status == 1 else "error"
    flow = np.zeros(distance.shape)
    flow[comm, shel] = np.rint(result.x[:n_arcs])
    return flow, "optimal"


def _summary(flow: np.ndarray, distance: np.ndarray, people: np.ndarray) -> tuple[float, int]:
    return float((flow * distance).sum()), int(people.sum() - flow.sum())


def _message(status: SolveStatus, source: PlanSource, gain: float, unplaced: int,
             extra_placed: int, limit: float) -> str:
    if source == "baseline":
        text = f"求解在 {limit:g} 秒内未完成，返回按顺序就近安置的基线方案。"
    elif extra_placed > 0:
        text = (f"已求得最优疏散方案，比基线（按顺序就近安置）多安置 {extra_placed} 人，"
                "并在此前提下使总疏散人公里最小。")
    else:
        text = f"已求得最优疏散方案，总疏散人公里较基线（按顺序就近安置）减少 {gain:.1f}%。"
    if status == "time_limit" and source == "solver":
        text = f"求解达到 {limit:g} 秒时间上限，" + text
    if unplaced:
        text += f"避难场所容量不足，共有 {unplaced} 人无法安置，其余人员已按最短总距离安置。"
    return text


def solve(data: EvacuationInput) -> EvacuationPlan:
    """The placement that houses the most people and, among those, minimises the total
    person-km, with the nearest-first baseline's figures beside it."""
    with stopwatch() as watch:
        distance = np.asarray(data.distance_km, dtype=float)
        people = np.asarray([c.people for c in data.communities], dtype=float)
        allowed = _allowed(data, distance)
        base = baseline_flow(data, distance, allowed)
        base_km, base_unplaced = _summary(base, distance, people)
        flow, outcome = _lp_flow(data, distance, allowed)
        km, unplaced = (base_km, base_unplaced) if flow is None else _summary(
            flow, distance, people)
        # Placing more people comes first: a plan placing fewer is never better.
        solver_wins = flow is not None and (unplaced < base_unplaced or (
            unplaced == base_unplaced and not better(base_km, km, "min")))
        status: SolveStatus = "optimal" if outcome == "optimal" else "time_limit"
        source: PlanSource = "solver" if solver_wins else "baseline"
        if flow is None or not solver_wins:
            flow, km, unplaced = base, base_km, base_unplaced
        if status == "optimal" and unplaced:
            status = "infeasible"
        rows = [EvacuationRow(community_id=data.communities[c].id,
                              shelter_id=data.shelters[s].id, people=int(flow[c, s]),
                              distance_km=round(float(distance[c, s]), 3))
                for c, s in zip(*np.nonzero(flow > 0), strict=True)]
        left = people - flow.sum(axis=1)
    gain = improvement_pct(km, base_km, "min")
    return EvacuationPlan(
        status=status, source=source,
        message=_message(status, source, gain, unplaced, base_unplaced - unplaced,
                         data.time_limit_s),
        sense="min", objective=round(km, 3), baseline_objective=round(base_km, 3),
        improvement_pct=gain, solve_ms=watch.ms, assignments=rows,
        unplaced=[Unplaced(community_id=data.communities[c].id, people=int(left[c]))
                  for c in np.flatnonzero(left > 0)],
        placed_people=int(flow.sum()), unplaced_people=unplaced,
        baseline_unplaced_people=base_unplaced)
