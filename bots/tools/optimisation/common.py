"""What every engine shares: strict input models, the plan's summary fields, the HiGHS call.

Every engine reports its objective beside a baseline's on the same input and says in Chinese
how the result was reached. A solver that stops at its time limit hands back the best plan it
found, or the baseline when that is better or nothing was found, and says so.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

log = logging.getLogger(__name__)

SolveStatus = Literal["optimal", "time_limit", "infeasible"]
"""optimal: proven optimal (within the MIP gap); time_limit: stopped early, best plan found;
infeasible: the request cannot be met in full, the rest is planned optimally."""
PlanSource = Literal["solver", "baseline"]
Sense = Literal["min", "max"]

Identifier = Annotated[str, Field(min_length=1, max_length=64)]
TimeLimitS = Annotated[float, Field(gt=0.0, le=300.0, description="求解时间上限（秒）")]
DEFAULT_TIME_LIMIT_S = 10.0


class EngineModel(BaseModel):
    """Base of every engine model: unknown fields, NaN and infinities are refused, and a
    validated value cannot change behind the solver's back."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class PlanSummary(EngineModel):
    """The fields every plan carries besides its rows."""

    status: SolveStatus
    source: PlanSource = Field(description="whose rows these are: the solver's or the baseline's")
    message: str = Field(description="what was found and how, in Chinese")
    sense: Sense = Field(description="whether a lower (min) or higher (max) objective is better")
    objective: float
    baseline_objective: float
    improvement_pct: float = Field(description="how much better than the baseline, in percent")
    solve_ms: float = Field(ge=0.0, description="wall time of the whole solve, baseline included")


def improvement_pct(objective: float, baseline: float, sense: Sense) -> float:
    """How much better ``objective`` is than ``baseline`` in percent of the baseline (positive
    means better whatever the sense); 0 when the baseline is 0, where a ratio means nothing."""
    if abs(baseline) < 1e-12:
        return 0.0
    gain = baseline - objective if sense == "min" else objective - baseline
    return round(100.0 * gain / abs(baseline), 3)


def better(candidate: float, incumbent: float, sense: Sense) -> bool:
    """Whether ``candidate`` is strictly better than ``incumbent`` (beyond rounding noise)."""
    tolerance = 1e-9 * max(1.0, abs(incumbent))
    if sense == "min":
        return candidate < incumbent - tolerance
    return candidate > incumbent + tolerance


def settle(outcome: str, has_solution: bool, value: float, baseline: float,
           sense: Sense) -> tuple[SolveStatus, PlanSource]:
    """The plan's status and whose rows to return: the solver's, unless it found nothing or
    the baseline is better (possible only when it stopped early); optimal only when the
    solver proved it."""
    status: SolveStatus = "optimal" if outcome == "optimal" and has_solution else "time_limit"
    if not has_solution or better(baseline, value, sense):
        return status, "baseline"
    return status, "solver"


def outcome_text(status: SolveStatus, source: PlanSource, gain: float, limit: float, *,
                 plan: str, measure: str, baseline: str) -> str:
    """The first sentence of a plan's message: optimal, stopped at the time limit, or the
    baseline kept; ``plan`` names the plan (派遣), ``measure`` what improved, ``baseline``
    how the baseline decides."""
    if source == "baseline":
        return f"求解在 {limit:g} 秒内未找到优于基线的方案，返回{baseline}的基线方案。"
    if status == "time_limit":
        return (f"求解达到 {limit:g} 秒时间上限，返回已找到的最好方案，"
                f"{measure}较基线改进 {gain:.1f}%。")
    return f"已求得最优{plan}方案，{measure}较基线（{baseline}）改进 {gain:.1f}%。"


def unique_ids(ids: Sequence[str], what: str) -> None:
    """Refuse duplicate ids (a plan naming an id twice would be ambiguous)."""
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"{what}编号重复：{item}")
        seen.add(item)


def check_matrix(matrix: Sequence[Sequence[float]], rows: int, cols: int, what: str) -> None:
    """Refuse a matrix whose shape is not ``rows`` × ``cols`` or that has a negative entry."""
    if len(matrix) != rows or any(len(row) != cols for row in matrix):
        shape = f"{len(matrix)}×{len(matrix[0]) if matrix else 0}"
        raise ValueError(f"{what}矩阵应为 {rows}×{cols}，实际为 {shape}")
    if rows and cols and float(np.min(np.asarray(matrix, dtype=float))) < 0.0:
        raise ValueError(f"{what}矩阵不能有负数")


@dataclass
class Stopwatch:
    """Elapsed wall time of a solve, in milliseconds."""

    started: float = 0.0
    ms: float = 0.0


@contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    """Time the block; the stopwatch's ``ms`` is set when it ends."""
    watch = Stopwatch(started=time.perf_counter())
    try:
        yield watch
    finally:
        watch.ms = round((time.perf_counter() - watch.started) * 1000.0, 2)


@dataclass(frozen=True)
class MilpOutcome:
    """What HiGHS returned: a solution (None when it found none) and how it stopped."""

    x: np.ndarray | None
    status: Literal["optimal", "time_limit", "infeasible", "error"]
    detail: str


@dataclass(frozen=True)
class LinearRows:
    """Linear constraints ``lower <= A @ x <= upper`` in sparse triplet form."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def solve_milp(cost: np.ndarray, constraints: LinearRows, integrality: np.ndarray,
               lower: np.ndarray, upper: np.ndarray, time_limit_s: float,
               mip_rel_gap: float = 1e-4) -> MilpOutcome:
    """Minimise ``cost @ x`` with HiGHS under ``constraints`` and bounds, integral where
    ``integrality`` is 1, stopping at ``time_limit_s`` with the best solution found."""
    matrix = csr_array((constraints.values, (constraints.rows, constraints.cols)),
                       shape=(len(constraints.lower), len(cost)))
    result = milp(cost, constraints=LinearConstraint(matrix, constraints.lower, constraints.upper),
                  integrality=integrality, bounds=Bounds(lower, upper),
                  options={"time_limit": time_limit_s, "mip_rel_gap": mip_rel_gap,
                           "presolve": True})
    log.debug("HiGHS: status %s, %s", result.status, result.message)
    x = None if result.x is None else np.asarray(result.x, dtype=float)
    if result.status == 0:
        return MilpOutcome(x, "optimal", str(result.message))
    if result.status == 1:
        return MilpOutcome(x, "time_limit", str(result.message))
    if result.status == 2:
        return MilpOutcome(None, "infeasible", str(result.message))
    return MilpOutcome(None, "error", str(result.message))
