"""The ticket-balancing engine: a known optimum, unhandled categories, bad inputs."""

from __future__ import annotations

from collections import defaultdict

import pytest
from pydantic import ValidationError

from bots.tools.optimisation.instances import random_tickets
from bots.tools.optimisation.ticket_balance import (
    BalanceTeam,
    BalanceTicket,
    TicketInput,
    solve,
)


def _instance() -> TicketInput:
    # By due time the 路灯 ticket goes first, to A (tied, listed first); the 噪音 ticket
    # only A handles, so A ends with 2 tickets / 10 a day = 0.2 days. The optimum sends
    # 路灯 to B: both teams at 0.1 days.
    return TicketInput(
        tickets=[BalanceTicket(id="T1", category="路灯", due_hours=4),
                 BalanceTicket(id="T2", category="噪音", due_hours=48)],
        teams=[BalanceTeam(id="A", categories=["路灯", "噪音"], daily_capacity=10),
               BalanceTeam(id="B", categories=["路灯"], daily_capacity=10)])


def test_the_known_optimum_beats_least_loaded_greedy() -> None:
    plan = solve(_instance())
    assert plan.status == "optimal"
    assert {(r.ticket_id, r.team_id) for r in plan.assignments} == {("T1", "B"), ("T2", "A")}
    assert plan.max_backlog_days == pytest.approx(0.1)
    assert plan.baseline_max_backlog_days == pytest.approx(0.2)
    assert plan.objective == pytest.approx(0.1) and plan.baseline_objective == pytest.approx(0.2)
    assert {load.team_id: load.after_days for load in plan.loads} == {"A": 0.1, "B": 0.1}


def test_urgent_tickets_join_the_shorter_queue() -> None:
    data = TicketInput(
        tickets=[BalanceTicket(id="U", category="路灯", due_hours=2)],
        teams=[BalanceTeam(id="A", categories=["路灯"], daily_capacity=10, open_work=5),
               BalanceTeam(id="B", categories=["路灯"], daily_capacity=10, open_work=1)])
    assert [r.team_id for r in solve(data).assignments] == ["B"]


def test_a_category_nobody_handles_is_reported() -> None:
    data = _instance().model_copy(update={"tickets": [
        *_instance().tickets, BalanceTicket(id="T3", category="外星人")]})
    plan = solve(data)
    assert plan.unassigned == ["T3"]
    assert plan.status == "infeasible" and "人工指定" in plan.message


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_instances_respect_categories_and_never_lose(seed: int) -> None:
    data = random_tickets(seed, tickets=200, teams=10, categories=15, time_limit_s=5.0)
    plan = solve(data)
    assert plan.objective <= plan.baseline_objective + 1e-6
    handles = {t.id: set(t.categories) for t in data.teams}
    category = {t.id: t.category for t in data.tickets}
    count: dict[str, int] = defaultdict(int)
    for row in plan.assignments:
        assert category[row.ticket_id] in handles[row.team_id]
        count[row.ticket_id] += 1
    assert set(count.values()) == {1}
    assert len(count) + len(plan.unassigned) == len(data.tickets)


@pytest.mark.parametrize("change", [
    {"teams": []},
    {"teams": [{"id": "A", "categories": ["x"], "daily_capacity": 0}]},
    {"teams": [{"id": "A", "categories": ["x"], "daily_capacity": 5, "open_work": -1}]},
    {"teams": [{"id": "A", "categories": [], "daily_capacity": 5}]},
    {"tickets": [{"id": "T", "category": "x", "effort": float("nan")}]},
    {"tickets": [{"id": "T", "category": "x"}, {"id": "T", "category": "x"}]},
])
def test_bad_inputs_are_refused(change: dict[str, object]) -> None:
    fields: dict[str, object] = {"tickets": [{"id": "T", "category": "x"}],
                                 "teams": [{"id": "A", "categories": ["x"], "daily_capacity": 5}]}
    fields.update(change)
    with pytest.raises(ValidationError):
        TicketInput.model_validate(fields)
