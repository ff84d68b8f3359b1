"""A small dense convex QP solver: minimise ½xᵀPx + qᵀx subject to l ≤ Ax ≤ u.

The ADMM scheme of OSQP (Stellato et al., 2020) with over-relaxation and adaptive step, on a
dense Cholesky factor: the portfolio problems have at most a thousand variables and a few
dozen constraints besides the bounds, where SLSQP's dense subproblems take seconds. Stops
when the primal and dual residuals are below the tolerances, or at the deadline.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_factor, cho_solve

SIGMA = 1e-6
ALPHA = 1.6
EQUALITY_SCALE = 1e3
"""Equality rows get a larger step, as OSQP does."""
ADAPT_EVERY = 50


@dataclass(frozen=True)
class QPResult:
    """The solution, whether it met the tolerances, and the iterations it took."""

    x: np.ndarray
    converged: bool
    iterations: int


def _step_sizes(rho: float, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.where(np.abs(upper - lower) < 1e-12, rho * EQUALITY_SCALE, rho)


def solve_qp(p: np.ndarray, q: np.ndarray, a: np.ndarray, lower: np.ndarray,
             upper: np.ndarray, time_limit_s: float, eps: float = 1e-8,
             max_iterations: int = 50_000) -> QPResult:
    """Minimise ½xᵀPx + qᵀx under l ≤ Ax ≤ u (P positive semidefinite) by ADMM; the last
    iterate when the deadline or the iteration cap comes first."""
    deadline = time.perf_counter() + time_limit_s
    n = q.size
    x, z, y = np.zeros(n), np.clip(np.zeros(lower.size), lower, upper), np.zeros(lower.size)
    rho = 0.1
    r = _step_sizes(rho, lower, upper)
    factor = cho_factor(p + SIGMA * np.eye(n) + a.T @ (r[:, None] * a))
    for k in range(1, max_iterations + 1):
        x_tilde = cho_solve(factor, SIGMA * x - q + a.T @ (r * z - y))
        z_tilde = a @ x_tilde
        x = ALPHA * x_tilde + (1.0 - ALPHA) * x
        z_relaxed = ALPHA * z_tilde + (1.0 - ALPHA) * z
        z_next = np.clip(z_relaxed + y / r, lower, upper)
        y = y + r * (z_relaxed - z_next)
        z = z_next
        if k % ADAPT_EVERY:
            continue
        ax, px, aty = a @ x, p @ x, a.T @ y
        primal = np.abs(ax - z).max()
        dual = np.abs(px + q + aty).max()
        primal_scale = max(np.abs(ax).max(), np.abs(z).max(), 1e-12)
        dual_scale = max(np.abs(px).max(), np.abs(aty).max(), np.abs(q).max(), 1e-12)
        if primal <= eps * (1.0 + primal_scale) and dual <= eps * (1.0 + dual_scale):
            return QPResult(x, True, k)
        if time.perf_counter() > deadline:
            return QPResult(x, False, k)
        ratio = np.sqrt((primal / primal_scale) / max(dual / dual_scale, 1e-30))
        if ratio > 5.0 or ratio < 0.2:
            rho = float(np.clip(rho * ratio, 1e-6, 1e6))
            r = _step_sizes(rho, lower, upper)
            factor = cho_factor(p + SIGMA * np.eye(n) + a.T @ (r[:, None] * a))
    return QPResult(x, False, max_iterations)
