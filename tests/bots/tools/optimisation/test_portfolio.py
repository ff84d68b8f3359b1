"""The portfolio engine: closed-form optima, caps, an unreachable target, bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from bots.tools.optimisation.instances import random_portfolio
from bots.tools.optimisation.portfolio import (
    PortfolioAsset,
    PortfolioInput,
    capped_weights,
    solve,
)


def _two(**extra: object) -> PortfolioInput:
    return PortfolioInput(assets=[PortfolioAsset(id="A", expected_return=0.05, volatility=0.1),
                                  PortfolioAsset(id="B", expected_return=0.05, volatility=0.2)],
                          max_weight=1.0, **extra)  # type: ignore[arg-type]


def test_minimum_variance_of_two_uncorrelated_assets_is_the_closed_form() -> None:
    plan = solve(_two(target_return=0.05))
    weights = {w.id: w.weight for w in plan.weights}
    # w_A = σ_B² / (σ_A² + σ_B²) = 0.04 / 0.05 = 0.8.
    assert weights["A"] == pytest.approx(0.8, abs=1e-4)
    assert plan.status == "optimal" and plan.sense == "min"
    assert plan.stats.volatility == pytest.approx(math.sqrt(0.8**2 * 0.01 + 0.2**2 * 0.04),
                                                  abs=1e-5)
    assert plan.objective <= plan.baseline_objective


def test_risk_aversion_trades_return_for_risk_as_the_closed_form_says() -> None:
    # Max μ'w − λ/2 w'Σw with μ_A = 0.08, μ_B = 0.04, uncorrelated, λ = 4: the interior
    # optimum w_A = (μ_A − μ_B + λσ_B²) / (λ(σ_A² + σ_B²)) = 0.08 / 0.2 = 0.4.
    data = PortfolioInput(
        assets=[PortfolioAsset(id="A", expected_return=0.08, volatility=0.2),
                PortfolioAsset(id="B", expected_return=0.04, volatility=0.1)],
        max_weight=0.6, risk_aversion=4.0, budget=1000.0)
    plan = solve(data)
    weights = {w.id: w for w in plan.weights}
    assert weights["A"].weight == pytest.approx(0.4, abs=1e-5)
    assert weights["A"].amount == pytest.approx(400.0, abs=0.05)
    assert plan.sense == "max" and plan.objective >= plan.baseline_objective


def test_an_unreachable_target_is_infeasible_with_the_best_reachable_portfolio() -> None:
    plan = solve(_two(target_return=0.2))
    assert plan.status == "infeasible"
    assert "达不到目标" in plan.message
    assert plan.improvement_pct == 0.0


@pytest.mark.parametrize("seed", [1, 2])
def test_random_instances_respect_caps_and_beat_the_baselines(seed: int) -> None:
    data = random_portfolio(seed, assets=60)
    plan = solve(data)
    assert plan.status == "optimal"
    weights = np.asarray([w.weight for w in plan.weights])
    assert weights.sum() == pytest.approx(1.0, abs=1e-5)
    assert weights.max() <= data.max_weight + 1e-6
    sector = {a.id: a.sector for a in data.assets}
    for name, cap in data.sector_caps.items():
        assert sum(w.weight for w in plan.weights if sector[w.id] == name) <= cap + 1e-6
    assert plan.objective >= plan.baseline_objective
    assert plan.stats.sharpe >= min(b.sharpe for b in plan.baselines)


def test_capped_weights_spread_the_excess() -> None:
    w = capped_weights(np.asarray([10.0, 1.0, 1.0, 1.0]), 0.4)
    assert w.sum() == pytest.approx(1.0)
    assert w.max() <= 0.4 + 1e-12


_ASSETS = [{"id": "A", "expected_return": 0.05, "volatility": 0.1, "sector": "债券"},
           {"id": "B", "expected_return": 0.08, "volatility": 0.2, "sector": "股票"}]


@pytest.mark.parametrize("change", [
    {"assets": _ASSETS[:1]},
    {"assets": [{**_ASSETS[0], "volatility": -0.1}, _ASSETS[1]]},
    {"assets": [{**_ASSETS[0], "expected_return": math.nan}, _ASSETS[1]]},
    {"correlations": [[1.0, 0.5], [0.4, 1.0]]},
    {"correlations": [[1.0, 2.0], [2.0, 1.0]]},
    {"correlations": [[1.0]]},
    {"max_weight": 0.4},
    {"sector_caps": {"债券": 0.3, "股票": 0.3}},
    {"sector_caps": {"黄金": 0.3}},
])
def test_bad_inputs_are_refused(change: dict[str, object]) -> None:
    fields: dict[str, object] = {"assets": _ASSETS, "max_weight": 1.0}
    fields.update(change)
    with pytest.raises(ValidationError):
        PortfolioInput.model_validate(fields)


def test_a_non_positive_semidefinite_correlation_matrix_is_refused() -> None:
    assets = [{**_ASSETS[0], "id": name} for name in "ABC"]
    bad = [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]]
    with pytest.raises(ValidationError, match="半正定"):
        PortfolioInput.model_validate({"assets": assets, "correlations": bad})
