"""Mean-variance portfolio: the weights of filed funds and wealth products.

Weights are non-negative, sum to 1, stay under ``max_weight`` each and under a cap per sector.
With ``target_return`` the plan is the least-volatile portfolio reaching it (objective: the
volatility, lower is better); without, it maximises the utility μᵀw − λ/2·wᵀΣw (objective:
the utility, higher is better). A convex QP solved by ADMM (:mod:`.qp`), after an LP that
finds the highest reachable return; the baselines are equal weights and inverse-volatility
weights (capped at ``max_weight``), the better of those that meet the constraints.
"""

from __future__ import annotations

import logging
from typing import Annotated

import numpy as np
from pydantic import Field, model_validator
from scipy.optimize import linprog

from bots.tools.optimisation.common import (
    DEFAULT_TIME_LIMIT_S,
    EngineModel,
    Identifier,
    PlanSummary,
    Sense,
    SolveStatus,
    TimeLimitS,
    better,
    improvement_pct,
    stopwatch,
    unique_ids,
)
from bots.tools.optimisation.qp import solve_qp

log = logging.getLogger(__name__)

MAX_ASSETS = 1000
TOLERANCE = 1e-7
"""How far a weight or a cap may be overstepped by rounding and still count as met."""
Share = Annotated[float, Field(gt=0.0, le=1.0)]


class PortfolioAsset(EngineModel):
    """A fund or product: annual expected return and volatility (decimals), its sector."""

    id: Identifier
    expected_return: float = Field(ge=-1.0, le=2.0, description="预期年化收益率（小数）")
    volatility: float = Field(ge=0.0, le=3.0, description="年化波动率（小数）")
    sector: str | None = Field(default=None, max_length=64, description="行业或资产类别")


class PortfolioInput(EngineModel):
    """The assets, their correlations and the constraints."""

    assets: list[PortfolioAsset] = Field(min_length=2, max_length=MAX_ASSETS)
    correlations: list[list[float]] | None = Field(
        default=None, description="相关系数矩阵；缺省视为互不相关")
    max_weight: Share = Field(default=0.3, description="单只资产权重上限")
    sector_caps: dict[Annotated[str, Field(min_length=1, max_length=64)], Share] = Field(
        default_factory=dict, description="各行业权重上限")
    target_return: float | None = Field(default=None, ge=-1.0, le=2.0,
                                        description="目标年化收益率；给出时求达到它的最小波动组合")
    risk_aversion: float = Field(default=3.0, ge=0.0, le=1000.0, description="风险厌恶系数 λ")
    risk_free_rate: float = Field(default=0.02, ge=-0.1, le=0.5, description="无风险利率")
    budget: float | None = Field(default=None, gt=0.0, le=1e9, description="投资金额（万元）")
    time_limit_s: TimeLimitS = DEFAULT_TIME_LIMIT_S

    @model_validator(mode="after")
    def _consistent(self) -> PortfolioInput:
        """Ids unique, a valid correlation matrix, caps that leave room for 100%."""
        n = len(self.assets)
        unique_ids([a.id for a in self.assets], "资产")
        if self.correlations is not None:
            _check_correlations(self.correlations, n)
        sectors = {a.sector for a in self.assets}
        unknown = sorted(set(self.sector_caps) - {s for s in sectors if s})
        if unknown:
            raise ValueError(f"行业上限中的行业没有对应资产：{'、'.join(unknown)}")
        room = 0.0
        for sector in sectors:
            count = sum(1 for a in self.assets if a.sector == sector)
            cap = self.sector_caps.get(sector, 1.0) if sector else 1.0
            room += count * self.max_weight if sector is None else min(
                cap, count * self.max_weight)
        if room < 1.0 - TOLERANCE:
            raise ValueError(f"单只上限和行业上限合计最多只能配置 {room:.1%}，无法满仓")
        return self


def _check_correlations(matrix: list[list[float]], n: int) -> None:
    if len(matrix) != n or any(len(row) != n for row in matrix):
        raise ValueError(f"相关系数矩阵应为 {n}×{n}")
    r = np.asarray(matrix, dtype=float)
    if not np.allclose(r, r.T, atol=1e-9) or not np.allclose(np.diag(r), 1.0, atol=1e-9):
        raise ValueError("相关系数矩阵须对称且对角线为 1")
    if np.abs(r).max() > 1.0 + 1e-9:
        raise ValueError("相关系数须在 -1 到 1 之间")
    if float(np.linalg.eigvalsh(r).min()) < -1e-8:
        raise ValueError("相关系数矩阵不是半正定的，不能作为协方差")


class PortfolioWeight(EngineModel):
    """An asset's weight, and its amount when a budget was given."""

    id: str
    weight: float
    amount: float | None = None


class PortfolioStats(EngineModel):
    """A portfolio's figures: annual expected return, volatility, Sharpe ratio, objective."""

    name: str
    expected_return: float
    volatility: float
    sharpe: float
    objective: float
    feasible: bool = Field(description="whether it meets the weight caps and target return")


class PortfolioPlan(PlanSummary):
    """The weights, their figures and the baselines'."""

    weights: list[PortfolioWeight]
    stats: PortfolioStats
    baselines: list[PortfolioStats]


class _Model:
    """The covariance and the constraint data of one input, as arrays."""

    def __init__(self, data: PortfolioInput) -> None:
        self.data = data
        self.mu = np.asarray([a.expected_return for a in data.assets], dtype=float)
        vol = np.asarray([a.volatility for a in data.assets], dtype=float)
        corr = (np.eye(vol.size) if data.correlations is None
                else np.asarray(data.correlations, dtype=float))
        self.cov = corr * np.outer(vol, vol)
        self.vol = vol
        self.sense: Sense = "min" if data.target_return is not None else "max"
        self.sectors = [(cap, np.asarray([a.sector == name for a in data.assets], dtype=float))
                        for name, cap in data.sector_caps.items()]

    def objective(self, w: np.ndarray) -> float:
        """Volatility with a target return, utility without."""
        variance = float(w @ self.cov @ w)
        if self.sense == "min":
            return float(np.sqrt(max(variance, 0.0)))
        return float(self.mu @ w - 0.5 * self.data.risk_aversion * variance)

    def feasible(self, w: np.ndarray) -> bool:
        """Whether ``w`` meets every constraint, rounding aside."""
        data = self.data
        ok = (abs(w.sum() - 1.0) <= 1e-6 and w.min() >= -TOLERANCE
              and w.max() <= data.max_weight + TOLERANCE
              and all(mask @ w <= cap + TOLERANCE for cap, mask in self.sectors))
        if data.target_return is not None:
            ok = ok and self.mu @ w >= data.target_return - TOLERANCE
        return bool(ok)

    def stats(self, name: str, w: np.ndarray) -> PortfolioStats:
        """The figures of ``w``."""
        ret = float(self.mu @ w)
        vol = float(np.sqrt(max(float(w @ self.cov @ w), 0.0)))
        sharpe = (ret - self.data.risk_free_rate) / vol if vol > 1e-12 else 0.0
        return PortfolioStats(name=name, expected_return=round(ret, 6), volatility=round(vol, 6),
                              sharpe=round(sharpe, 4), objective=round(self.objective(w), 8),
                              feasible=self.feasible(w))


def _max_return(model: _Model) -> np.ndarray | None:
    """The highest-return weights under the caps (an LP): whether the target return can be
    reached, and the fallback should the QP stop early on an infeasible iterate."""
    n = model.mu.size
    a_ub = np.asarray([mask for _, mask in model.sectors]) if model.sectors else None
    b_ub = [cap for cap, _ in model.sectors] if model.sectors else None
    result = linprog(-model.mu, A_ub=a_ub, b_ub=b_ub, A_eq=np.ones((1, n)), b_eq=[1.0],
                     bounds=(0.0, model.data.max_weight), method="highs")
    return None if result.status != 0 else np.asarray(result.x, dtype=float)


def _optimise(model: _Model) -> tuple[np.ndarray, bool]:
    """The mean-variance QP by ADMM; the weights (clipped and renormalised against the
    solver's last rounding) and whether it converged in time."""
    data = model.data
    n = model.mu.size
    rows, lower, upper = [np.ones(n)], [1.0], [1.0]
    for cap, mask in model.sectors:
        rows.append(mask)
        lower.append(-np.inf)
        upper.append(cap)
    if data.target_return is not None:
        rows.append(model.mu)
        lower.append(data.target_return)
        upper.append(np.inf)
    a = np.vstack([*rows, np.eye(n)])
    low = np.concatenate([lower, np.zeros(n)])
    up = np.concatenate([upper, np.full(n, data.max_weight)])
    if model.sense == "min":
        result = solve_qp(2.0 * model.cov, np.zeros(n), a, low, up, data.time_limit_s)
    else:
        result = solve_qp(data.risk_aversion * model.cov, -model.mu, a, low, up,
                          data.time_limit_s)
    log.debug("portfolio QP: converged %s after %d iterations", result.converged,
              result.iterations)
    w = np.clip(result.x, 0.0, data.max_weight)
    return np.asarray(w / w.sum(), dtype=float), result.converged


def capped_weights(raw: np.ndarray, cap: float) -> np.ndarray:
    """``raw`` scaled to sum to 1 with no weight above ``cap``: capped weights are fixed and
    the excess spread over the others in proportion, until none is over."""
    w = raw / raw.sum()
    fixed = np.zeros(w.size, dtype=bool)
    while (w > cap + 1e-12).any():
        fixed |= w >= cap
        free = raw * ~fixed
        w = np.where(fixed, cap, (1.0 - cap * fixed.sum()) * free / free.sum())
    return np.asarray(w, dtype=float)


def _baselines(model: _Model) -> list[PortfolioStats]:
    n = model.mu.size
    inverse = capped_weights(1.0 / np.maximum(model.vol, 1e-6), model.data.max_weight)
    return [model.stats("等权重", np.full(n, 1.0 / n)), model.stats("波动率倒数加权", inverse)]


def _best_baseline(model: _Model, baselines: list[PortfolioStats]) -> PortfolioStats:
    pool = [b for b in baselines if b.feasible] or baselines
    best = pool[0]
    for other in pool[1:]:
        if better(other.objective, best.objective, model.sense):
            best = other
    return best


def _plan(model: _Model, w: np.ndarray, status: SolveStatus, message: str,
          baselines: list[PortfolioStats], ms: float) -> PortfolioPlan:
    data = model.data
    stats = model.stats("优化组合", w)
    base = _best_baseline(model, baselines)
    gain = 0.0 if status == "infeasible" else improvement_pct(stats.objective, base.objective,
                                                               model.sense)
    if status != "infeasible":
        message += f"目标值较基线（{base.name}）改进 {gain:.1f}%。"
    if not base.feasible:
        message += "两种基线组合都不满足约束，改进幅度仅供参考。"
    return PortfolioPlan(
        status=status, source="solver", message=message, sense=model.sense,
        objective=stats.objective, baseline_objective=base.objective, improvement_pct=gain,
        solve_ms=ms, stats=stats, baselines=baselines,
        weights=[PortfolioWeight(id=a.id, weight=round(float(x), 6),
                                 amount=None if data.budget is None
                                 else round(float(x) * data.budget, 2))
                 for a, x in zip(data.assets, w, strict=True) if x > 1e-6])


def solve(data: PortfolioInput) -> PortfolioPlan:
    """The mean-variance weights under the caps, with the equal-weight and inverse-volatility
    baselines' figures beside them; an unreachable target return gets the highest-return
    portfolio, marked infeasible."""
    with stopwatch() as watch:
        model = _Model(data)
        baselines = _baselines(model)
        best_return = _max_return(model)
        if best_return is None:  # the validator leaves room for 100%, so only a solver failure
            raise ValueError("无法找到满足权重上限的可行组合")
        mode = "给定目标收益下波动最小" if model.sense == "min" else "均值—方差效用最大"
        status: SolveStatus
        reachable = float(model.mu @ best_return)
        if data.target_return is not None and reachable < data.target_return - TOLERANCE:
            status = "infeasible"
            message = (f"在权重上限下最高只能达到年化收益 {reachable:.2%}，"
                       f"达不到目标 {data.target_return:.2%}；返回收益最高的组合。")
            w = best_return
        else:
            w, converged = _optimise(model)
            if not model.feasible(w) or better(model.objective(best_return), model.objective(w),
                                               model.sense):
                w = best_return
            status = "optimal" if converged else "time_limit"
            message = (f"已求得{mode}的最优组合。" if converged else
                       f"求解在 {data.time_limit_s:g} 秒内未收敛，返回目前最好的可行组合。")
    return _plan(model, w, status, message, baselines, watch.ms)
