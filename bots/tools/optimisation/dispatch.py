"""Pump and rescue-team dispatch: which resource sends how many units to which incident.

Resources (pump stations, pump trucks, rescue teams) have a kind, a location and a capacity in
units (pumps, crews); incidents need units of some kinds and carry a priority weight. The plan
minimises the priority-weighted response time, Σ priority × travel minutes × units, plus
``unmet_penalty_min`` per unit no resource can cover (the time outside reinforcement would take),
under each resource's capacity. It is a MILP solved by HiGHS (its matrix is a transportation
one, so the relaxation is tight and it solves at the root); the baseline serves incidents by
priority, each from its nearest resources with units left.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

import numpy as np
from pydantic import Field, model_validator

from bots.tools.optimisation.common import (
    DEFAULT_TIME_LIMIT_S,
    EngineModel,
    Identifier,
    LinearRows,
    PlanSource,
    PlanSummary,
    SolveStatus,
    TimeLimitS,
    check_matrix,
    improvement_pct,
    outcome_text,
    settle,
    solve_milp,
    stopwatch,
    unique_ids,
)

log = logging.getLogger(__name__)

MAX_RESOURCES = 5000
MAX_INCIDENTS = 2000
MAX_PAIRS = 2_000_000
Units = Annotated[int, Field(ge=0, le=100_000)]


class DispatchResource(EngineModel):
    """A resource that can send ``capacity`` units of its ``kind``."""

    id: Identifier
    kind: Identifier = Field(description="能力类别，如 排涝、消防、医疗")
    capacity: Units = Field(description="可派出的单位数（泵车台数、救援小组数）")
    available: bool = True


class DispatchIncident(EngineModel):
    """An incident needing units of some kinds, weighted by its priority."""

    id: Identifier
    demand: dict[Annotated[str, Field(min_length=1, max_length=64)], Units] = Field(
        min_length=1, description="各类能力需要的单位数")
    priority: float = Field(default=1.0, gt=0.0, le=100.0, description="优先级权重，越大越急")


class DispatchInput(EngineModel):
    """Resources, incidents and the travel minutes from each resource (rows) to each incident
    (columns)."""

    resources: list[DispatchResource] = Field(min_length=1, max_length=MAX_RESOURCES)
    incidents: list[DispatchIncident] = Field(min_length=1, max_length=MAX_INCIDENTS)
    travel_min: list[list[float]] = Field(
        description="资源到事件的行驶时间（分钟），行为资源、列为事件")
    max_travel_min: float | None = Field(default=None, gt=0.0, description="超过此时间的资源不派")
    unmet_penalty_min: float = Field(default=180.0, gt=0.0, le=10_000.0,
                                     description="无法满足的每单位需求按此分钟数计入目标")
    time_limit_s: TimeLimitS = DEFAULT_TIME_LIMIT_S

    @model_validator(mode="after")
    def _consistent(self) -> DispatchInput:
        """Ids unique, the matrix the right shape, the problem within sane size."""
        unique_ids([r.id for r in self.resources], "资源")
        unique_ids([i.id for i in self.incidents], "事件")
        if len(self.resources) * len(self.incidents) > MAX_PAIRS:
            raise ValueError(f"资源数×事件数超过上限 {MAX_PAIRS}")
        check_matrix(self.travel_min, len(self.resources), len(self.incidents), "行驶时间")
        return self


class DispatchRow(EngineModel):
    """``units`` units of ``kind`` sent from a resource to an incident."""

    resource_id: str
    incident_id: str
    kind: str
    units: int
    travel_min: float


class UnmetDemand(EngineModel):
    """Units of a kind an incident needs that no resource can send."""

    incident_id: str
    kind: str
    units: int


class DispatchPlan(PlanSummary):
    """The dispatch: rows, unmet demand, and the summary against the baseline."""

    assignments: list[DispatchRow]
    unmet: list[UnmetDemand]
    unmet_units: int
    baseline_unmet_units: int


@dataclass(frozen=True)
class _Arcs:
    """The allowed (resource, incident, kind) pairs and the (incident, kind) demands."""

    resource: np.ndarray
    demand_slot: np.ndarray
    cost: np.ndarray
    slot_incident: np.ndarray
    slot_kind: list[str]
    slot_units: np.ndarray
    slot_weight: np.ndarray


def _arcs(data: DispatchInput, travel: np.ndarray) -> _Arcs:
    slot_incident, slot_kind, slot_units = [], [], []
    for i, incident in enumerate(data.incidents):
        for kind, units in incident.demand.items():
            if units > 0:
                slot_incident.append(i)
                slot_kind.append(kind)
                slot_units.append(units)
    incidents = np.asarray(slot_incident, dtype=int)
    weights = np.asarray([data.incidents[i].priority for i in slot_incident], dtype=float)
    by_kind: dict[str, list[int]] = {}
    for r, res in enumerate(data.resources):
        if res.available and res.capacity > 0:
            by_kind.setdefault(res.kind, []).append(r)
    resource_parts, slot_parts = [], []
    for s, kind in enumerate(slot_kind):
        candidates = np.asarray(by_kind.get(kind, []), dtype=int)
        if data.max_travel_min is not None and candidates.size:
            candidates = candidates[travel[candidates, incidents[s]] <= data.max_travel_min]
        resource_parts.append(candidates)
        slot_parts.append(np.full(candidates.size, s, dtype=int))
    resource = np.concatenate(resource_parts) if resource_parts else np.zeros(0, dtype=int)
    slot = np.concatenate(slot_parts) if slot_parts else np.zeros(0, dtype=int)
    cost = weights[slot] * travel[resource, incidents[slot]] if slot.size else np.zeros(0)
    return _Arcs(resource, slot, cost, incidents, slot_kind,
                 np.asarray(slot_units, dtype=float), weights)


def _objective(arcs: _Arcs, flow: np.ndarray, penalty: float) -> tuple[float, np.ndarray]:
    served = np.bincount(arcs.demand_slot, weights=flow, minlength=len(arcs.slot_kind))
    unmet = np.maximum(arcs.slot_units - served, 0.0)
    value = float(arcs.cost @ flow + penalty * (arcs.slot_weight @ unmet))
    return value, unmet


def baseline_flow(data: DispatchInput, arcs: _Arcs) -> np.ndarray:
    """Greedy nearest-first: incidents by priority (highest first), each demand filled from
    its allowed resources nearest first while they have units left."""
    left = np.asarray([r.capacity for r in data.resources], dtype=float)
    flow = np.zeros(arcs.resource.size)
    order = sorted(range(len(arcs.slot_kind)), key=lambda s: -arcs.slot_weight[s])
    starts = np.searchsorted(arcs.demand_slot, np.arange(len(arcs.slot_kind) + 1))
    for s in order:
        lo, hi = starts[s], starts[s + 1]
        need = arcs.slot_units[s]
        for a in lo + np.argsort(arcs.cost[lo:hi], kind="stable"):
            if need <= 0:
                break
            take = min(need, left[arcs.resource[a]])
            if take > 0:
                flow[a] = take
                left[arcs.resource[a]] -= take
                need -= take
    return flow


def _milp_flow(data: DispatchInput, arcs: _Arcs) -> tuple[np.ndarray | None, str, str]:
    n_arcs, n_slots = arcs.resource.size, len(arcs.slot_kind)
    n_res = len(data.resources)
    # Variables: one per arc (integer units), then one slack per demand slot (unmet units).
    arc_ids = np.arange(n_arcs)
    slack_ids = n_arcs + np.arange(n_slots)
    rows = np.concatenate([arcs.resource, n_res + arcs.demand_slot, n_res + np.arange(n_slots)])
    cols = np.concatenate([arc_ids, arc_ids, slack_ids])
    values = np.ones(rows.size)
    capacity = np.asarray([r.capacity for r in data.resources], dtype=float)
    lower = np.concatenate([np.zeros(n_res), arcs.slot_units])
    upper = np.concatenate([capacity, arcs.slot_units])
    cost = np.concatenate([arcs.cost, data.unmet_penalty_min * arcs.slot_weight])
    integrality = np.concatenate([np.ones(n_arcs), np.zeros(n_slots)])
    var_upper = np.concatenate([
        np.minimum(capacity[arcs.resource], arcs.slot_units[arcs.demand_slot]), arcs.slot_units])
    outcome = solve_milp(cost, LinearRows(rows, cols, values, lower, upper), integrality,
                         np.zeros(cost.size), var_upper, data.time_limit_s)
    flow = None if outcome.x is None else np.rint(outcome.x[:n_arcs])
    return flow, outcome.status, outcome.detail


def _rows(data: DispatchInput, arcs: _Arcs, flow: np.ndarray,
          travel: np.ndarray) -> list[DispatchRow]:
    rows = []
    for a in np.flatnonzero(flow > 0):
        r, s = int(arcs.resource[a]), int(arcs.demand_slot[a])
        i = int(arcs.slot_incident[s])
        rows.append(DispatchRow(resource_id=data.resources[r].id,
                                incident_id=data.incidents[i].id, kind=arcs.slot_kind[s],
                                units=int(flow[a]), travel_min=round(float(travel[r, i]), 2)))
    return rows


def _message(status: SolveStatus, source: PlanSource, gain: float, unmet: int,
             limit: float) -> str:
    text = outcome_text(status, source, gain, limit, plan="派遣",
                        measure="优先级加权响应时间", baseline="按优先级就近派遣")
    if unmet:
        text += f"共有 {unmet} 个单位的需求无可用资源满足，已在未满足清单中列出，需请求外部增援。"
    return text


def solve(data: DispatchInput) -> DispatchPlan:
    """The dispatch that minimises priority-weighted response time under the resources'
    capacities, with the greedy baseline's figures beside it and the unmet demand listed."""
    with stopwatch() as watch:
        travel = np.asarray(data.travel_min, dtype=float)
        arcs = _arcs(data, travel)
        base = baseline_flow(data, arcs)
        base_value, base_unmet = _objective(arcs, base, data.unmet_penalty_min)
        flow, outcome, detail = _milp_flow(data, arcs)
        value, unmet = (base_value, base_unmet) if flow is None else _objective(
            arcs, flow, data.unmet_penalty_min)
        status, source = settle(outcome, flow is not None, value, base_value, "min")
        if flow is None or source == "baseline":
            log.info("dispatch: baseline kept (%s: %s)", outcome, detail)
            flow, value, unmet = base, base_value, base_unmet
        unmet_units = int(unmet.sum())
        if status == "optimal" and unmet_units:
            status = "infeasible"
        rows = _rows(data, arcs, flow, travel)
    gain = improvement_pct(value, base_value, "min")
    return DispatchPlan(
        status=status, source=source,
        message=_message(status, source, gain, unmet_units, data.time_limit_s),
        sense="min", objective=round(value, 4), baseline_objective=round(base_value, 4),
        improvement_pct=gain, solve_ms=watch.ms, assignments=rows,
        unmet=[UnmetDemand(incident_id=data.incidents[int(arcs.slot_incident[s])].id,
                           kind=arcs.slot_kind[s], units=int(unmet[s]))
               for s in np.flatnonzero(unmet > 0)],
        unmet_units=unmet_units, baseline_unmet_units=int(base_unmet.sum()))
