"""The optimisation engines at realistic size against their baselines.

Run with ``pytest tests/bench/test_optimisation.py -s -o addopts=""``. For each engine, three
seeds of :mod:`bots.tools.optimisation.instances` at the size the city meets (dispatch 200
incidents × 500 resources, evacuation 300 communities × 60 shelters, 2,000 tickets × 40
teams, 200 assets, 1,000 loan requests × 60 products), each with a 10 s time limit: baseline
and optimised objectives, improvement, status and solve time (p50 and max). Prints one JSON
object and writes ``var/bench/optimisation.json``; asserts nothing on timings.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bots.tools.optimisation import dispatch, evacuation, loan_matching, portfolio, ticket_balance
from bots.tools.optimisation.common import PlanSummary
from bots.tools.optimisation.instances import (
    random_dispatch,
    random_evacuation,
    random_loans,
    random_portfolio,
    random_tickets,
)

OUT = Path("var/bench/optimisation.json")
SEEDS = (1, 2, 3)
ENGINES: dict[str, tuple[str, Callable[[int], Any], Callable[[Any], PlanSummary]]] = {
    "dispatch": ("200 incidents × 500 resources", random_dispatch, dispatch.solve),
    "evacuation": ("300 communities × 60 shelters", random_evacuation, evacuation.solve),
    "tickets": ("2,000 tickets × 40 teams", random_tickets, ticket_balance.solve),
    "portfolio": ("200 assets, risk aversion 3",
                  random_portfolio, portfolio.solve),
    "portfolio_target": ("200 assets, target return 6%",
                         lambda s: random_portfolio(s, target_return=0.06), portfolio.solve),
    "loans": ("1,000 requests × 60 products", random_loans, loan_matching.solve),
}


def _run(make: Callable[[int], Any], solve: Callable[[Any], PlanSummary]) -> dict[str, Any]:
    runs = []
    for seed in SEEDS:
        plan = solve(make(seed))
        runs.append({"seed": seed, "baseline": plan.baseline_objective,
                     "optimised": plan.objective, "improvement_pct": plan.improvement_pct,
                     "status": plan.status, "source": plan.source, "solve_ms": plan.solve_ms})
        if isinstance(plan, loan_matching.LoanPlan):
            runs[-1]["lp_bound"] = plan.upper_bound
    times = [r["solve_ms"] for r in runs]
    return {"runs": runs, "sense": plan.sense,
            "improvement_pct_mean": round(statistics.mean(r["improvement_pct"] for r in runs), 3),
            "solve_ms_p50": round(statistics.median(times), 1), "solve_ms_max": max(times)}


def test_optimisation_engines_against_their_baselines() -> None:
    report = {name: {"size": size, **_run(make, solve)}
              for name, (size, make, solve) in ENGINES.items()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=2))
    for figures in report.values():
        for run in figures["runs"]:
            better = run["optimised"] <= run["baseline"] + 1e-6 if figures["sense"] == "min" \
                else run["optimised"] >= run["baseline"] - 1e-6
            assert better, run
