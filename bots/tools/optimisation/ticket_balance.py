"""Ticket balancing: which team takes each new ticket, so that no team drowns.

A team's backlog in days is (its open work + the work given to it) / its daily capacity. The
plan gives every ticket to a team that handles its category and minimises the largest backlog
plus the urgency-weighted mean backlog the new tickets join (a ticket due in ``due_hours``
weighs 24 / due_hours, so urgent tickets go to short queues): a MILP solved by HiGHS. The
baseline takes tickets by due time, each to the least-loaded team that can handle it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

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
    improvement_pct,
    outcome_text,
    settle,
    solve_milp,
    stopwatch,
    unique_ids,
)

log = logging.getLogger(__name__)

MAX_TICKETS = 20_000
MAX_TEAMS = 1000
MAX_PAIRS = 400_000
MIP_GAP = 1e-3
"""Optimal means within 0.1% of the bound: closing the min-max gap further takes minutes."""


class BalanceTicket(EngineModel):
    """A new ticket: its category, the work it takes and when it is due."""

    id: Identifier
    category: Identifier = Field(description="工单分类（编号或名称）")
    effort: float = Field(default=1.0, gt=0.0, le=100.0, description="工作量（标准工单数）")
    due_hours: float = Field(default=72.0, gt=0.0, le=24.0 * 90, description="距办结时限的小时数")


class BalanceTeam(EngineModel):
    """A department or team: the categories it handles, its open work and daily capacity."""

    id: Identifier
    categories: list[Identifier] = Field(min_length=1, description="可承办的工单分类")
    open_work: float = Field(default=0.0, ge=0.0, le=1_000_000.0, description="在办工作量")
    daily_capacity: float = Field(gt=0.0, le=100_000.0, description="每日可办结的工作量")


class TicketInput(EngineModel):
    """New tickets and the teams that could take them."""

    tickets: list[BalanceTicket] = Field(min_length=1, max_length=MAX_TICKETS)
    teams: list[BalanceTeam] = Field(min_length=1, max_length=MAX_TEAMS)
    time_limit_s: TimeLimitS = DEFAULT_TIME_LIMIT_S

    @model_validator(mode="after")
    def _consistent(self) -> TicketInput:
        """Ids unique and the problem within sane size."""
        unique_ids([t.id for t in self.tickets], "工单")
        unique_ids([t.id for t in self.teams], "部门")
        handlers: dict[str, int] = {}
        for team in self.teams:
            for category in set(team.categories):
                handlers[category] = handlers.get(category, 0) + 1
        if sum(handlers.get(t.category, 0) for t in self.tickets) > MAX_PAIRS:
            raise ValueError(f"可选（工单，部门）组合超过上限 {MAX_PAIRS}")
        return self


class TicketRow(EngineModel):
    """A ticket given to a team."""

    ticket_id: str
    team_id: str


class TeamLoad(EngineModel):
    """A team's backlog in days before and after the new tickets."""

    team_id: str
    before_days: float
    after_days: float


class TicketPlan(PlanSummary):
    """The assignment; ``objective`` is the largest backlog plus the weighted mean queue (days)."""

    assignments: list[TicketRow]
    unassigned: list[str] = Field(description="没有任何部门能承办其分类的工单")
    loads: list[TeamLoad]
    max_backlog_days: float
    baseline_max_backlog_days: float


@dataclass(frozen=True)
class _Pairs:
    """The allowed (ticket, team) pairs, and the tickets some team can take."""

    ticket: np.ndarray
    team: np.ndarray
    assignable: np.ndarray
    effort: np.ndarray
    weight: np.ndarray
    queue: np.ndarray
    open_work: np.ndarray
    capacity: np.ndarray


def _pairs(data: TicketInput) -> _Pairs:
    handlers: dict[str, list[int]] = {}
    for k, handler in enumerate(data.teams):
        for category in dict.fromkeys(handler.categories):
            handlers.setdefault(category, []).append(k)
    ticket: list[int] = []
    team: list[int] = []
    for j, t in enumerate(data.tickets):
        for k in handlers.get(t.category, []):
            ticket.append(j)
            team.append(k)
    open_work = np.asarray([t.open_work for t in data.teams], dtype=float)
    capacity = np.asarray([t.daily_capacity for t in data.teams], dtype=float)
    tickets = np.asarray(ticket, dtype=int)
    return _Pairs(tickets, np.asarray(team, dtype=int),
                  np.unique(tickets), np.asarray([t.effort for t in data.tickets], dtype=float),
                  np.asarray([24.0 / t.due_hours for t in data.tickets], dtype=float),
                  open_work / capacity, open_work, capacity)


def _objective(pairs: _Pairs, chosen: np.ndarray) -> tuple[float, float]:
    """(objective, largest backlog) of the pairs marked in ``chosen``."""
    work = pairs.open_work + np.bincount(pairs.team, weights=pairs.effort[pairs.ticket] * chosen,
                                         minlength=pairs.capacity.size)
    backlog = float((work / pairs.capacity).max())
    weights = pairs.weight[pairs.assignable].sum()
    queue = float((pairs.weight[pairs.ticket] * pairs.queue[pairs.team] * chosen).sum())
    return backlog + (queue / weights if weights > 0 else 0.0), backlog


def baseline_choice(data: TicketInput, pairs: _Pairs) -> np.ndarray:
    """Least-loaded greedy: tickets by due time (soonest first), each to the team that
    handles its category and would have the smallest backlog after taking it."""
    work = pairs.open_work.copy()
    chosen = np.zeros(pairs.ticket.size)
    starts = np.searchsorted(pairs.ticket, np.arange(len(data.tickets) + 1))
    for j in sorted(pairs.assignable, key=lambda j: data.tickets[j].due_hours):
        lo, hi = starts[j], starts[j + 1]
        teams = pairs.team[lo:hi]
        best = int(np.argmin((work[teams] + pairs.effort[j]) / pairs.capacity[teams]))
        chosen[lo + best] = 1.0
        work[teams[best]] += pairs.effort[j]
    return chosen


def _milp_choice(data: TicketInput, pairs: _Pairs) -> tuple[np.ndarray | None, str, str]:
    n_pairs, n_teams = pairs.ticket.size, pairs.capacity.size
    z = n_pairs  # the largest backlog, the last variable
    ticket_row = np.searchsorted(pairs.assignable, pairs.ticket)
    n_assignable = pairs.assignable.size
    # Each assignable ticket goes to exactly one team; each team's backlog is at most z:
    # Σ effort x / capacity - z <= -open / capacity.
    team_rows = n_assignable + np.arange(n_teams)
    rows = np.concatenate([ticket_row, n_assignable + pairs.team, team_rows])
    cols = np.concatenate([np.arange(n_pairs), np.arange(n_pairs), np.full(n_teams, z)])
    values = np.concatenate([np.ones(n_pairs),
                             pairs.effort[pairs.ticket] / pairs.capacity[pairs.team],
                             -np.ones(n_teams)])
    lower = np.concatenate([np.ones(n_assignable), np.full(n_teams, -np.inf)])
    upper = np.concatenate([np.ones(n_assignable), -pairs.queue])
    total_weight = pairs.weight[pairs.assignable].sum()
    cost = np.append(pairs.weight[pairs.ticket] * pairs.queue[pairs.team] / total_weight, 1.0)
    integrality = np.append(np.ones(n_pairs), 0.0)
    outcome = solve_milp(cost, LinearRows(rows, cols, values, lower, upper), integrality,
                         np.zeros(n_pairs + 1), np.append(np.ones(n_pairs), np.inf),
                         data.time_limit_s, mip_rel_gap=MIP_GAP)
    chosen = None if outcome.x is None else np.rint(outcome.x[:n_pairs])
    return chosen, outcome.status, outcome.detail


def _message(status: SolveStatus, source: PlanSource, gain: float, unassigned: int,
             limit: float) -> str:
    text = outcome_text(status, source, gain, limit, plan="派单",
                        measure="积压指标", baseline="按时限先后派给最空闲部门")
    if unassigned:
        text += f"有 {unassigned} 张工单的分类没有部门可承办，需人工指定。"
    return text


def solve(data: TicketInput) -> TicketPlan:
    """The assignment that balances the teams' backlogs with urgent tickets on short queues,
    with the least-loaded greedy baseline's figures beside it."""
    with stopwatch() as watch:
        pairs = _pairs(data)
        base = baseline_choice(data, pairs)
        base_value, base_backlog = _objective(pairs, base)
        chosen, outcome, detail = (base, "optimal", "nothing to assign") if not pairs.ticket.size \
            else _milp_choice(data, pairs)
        value, backlog = (base_value, base_backlog) if chosen is None else _objective(pairs, chosen)
        status, source = settle(outcome, chosen is not None, value, base_value, "min")
        if chosen is None or source == "baseline":
            log.info("tickets: baseline kept (%s: %s)", outcome, detail)
            chosen, value, backlog = base, base_value, base_backlog
        unassigned = sorted(set(range(len(data.tickets))) - set(pairs.assignable.tolist()))
        if status == "optimal" and unassigned:
            status = "infeasible"
        picked = np.flatnonzero(chosen > 0)
        after = pairs.open_work + np.bincount(
            pairs.team[picked], weights=pairs.effort[pairs.ticket[picked]],
            minlength=pairs.capacity.size)
    gain = improvement_pct(value, base_value, "min")
    return TicketPlan(
        status=status, source=source,
        message=_message(status, source, gain, len(unassigned), data.time_limit_s),
        sense="min", objective=round(value, 4), baseline_objective=round(base_value, 4),
        improvement_pct=gain, solve_ms=watch.ms,
        assignments=[TicketRow(ticket_id=data.tickets[int(pairs.ticket[p])].id,
                               team_id=data.teams[int(pairs.team[p])].id) for p in picked],
        unassigned=[data.tickets[j].id for j in unassigned],
        loads=[TeamLoad(team_id=team.id, before_days=round(float(pairs.queue[k]), 4),
                        after_days=round(float(after[k] / pairs.capacity[k]), 4))
               for k, team in enumerate(data.teams)],
        max_backlog_days=round(backlog, 4), baseline_max_backlog_days=round(base_backlog, 4))
