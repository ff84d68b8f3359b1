"""The loan-matching engine: a known optimum, the fit rules, quotas, bad inputs."""

from __future__ import annotations

from collections import defaultdict

import pytest
from pydantic import ValidationError

from bots.tools.optimisation.instances import random_loans
from bots.tools.optimisation.loan_matching import LoanInput, LoanProduct, LoanRequest, solve


def _product(**change: object) -> LoanProduct:
    fields: dict[str, object] = {"id": "P", "bank": "滨江市民银行", "rate_min": 0.04,
                                 "rate_max": 0.08, "amount_max": 100.0, "quota": 100.0}
    fields.update(change)
    return LoanProduct.model_validate(fields)


def _request(rid: str, amount: float, **change: object) -> LoanRequest:
    fields: dict[str, object] = {"id": rid, "amount": amount, "max_rate": 0.1,
                                 "term_months": 12, "risk_grade": 1, "industry": "制造业"}
    fields.update(change)
    return LoanRequest.model_validate(fields)


def test_the_known_optimum_beats_largest_first_first_fit() -> None:
    # Largest first takes 60 and leaves 40 of the quota, too little for a 50; two 50s fill it.
    data = LoanInput(products=[_product()],
                     requests=[_request("R60", 60), _request("R50a", 50), _request("R50b", 50)])
    plan = solve(data)
    assert plan.status == "optimal"
    assert plan.objective == pytest.approx(100.0) and plan.baseline_objective == pytest.approx(60.0)
    assert {m.request_id for m in plan.matches} == {"R50a", "R50b"}
    assert plan.unmatched == ["R60"]
    assert plan.upper_bound >= plan.objective


@pytest.mark.parametrize(("product", "asked"), [
    ({"max_risk_grade": 2}, {"risk_grade": 3}),
    ({}, {"risk_grade": 5, "max_rate": 0.07}),  # the grade-5 rate is 8%
    ({"industries": ["农业"]}, {}),
    ({"term_max": 6}, {}),
    ({"amount_min": 80}, {}),
])
def test_requests_outside_a_products_terms_are_not_matched(
        product: dict[str, object], asked: dict[str, object]) -> None:
    plan = solve(LoanInput(products=[_product(**product)], requests=[_request("R", 50, **asked)]))
    assert plan.matches == [] and plan.unmatched == ["R"]
    assert "未能对接" in plan.message


def test_the_rate_is_priced_by_risk_grade() -> None:
    plan = solve(LoanInput(products=[_product()], requests=[_request("R", 50, risk_grade=3)]))
    assert plan.matches[0].rate == pytest.approx(0.06)


@pytest.mark.parametrize("seed", [1, 2])
def test_random_instances_respect_quotas_and_never_lose(seed: int) -> None:
    data = random_loans(seed, requests=150, products=12, time_limit_s=3.0)
    plan = solve(data)
    assert plan.objective >= plan.baseline_objective - 1e-6
    assert plan.objective <= plan.upper_bound + 1e-6
    quota = {p.id: p.quota for p in data.products}
    lent: dict[str, float] = defaultdict(float)
    for match in plan.matches:
        lent[match.product_id] += match.amount
    assert all(lent[p] <= quota[p] + 1e-6 for p in lent)
    assert len({m.request_id for m in plan.matches}) == len(plan.matches)


@pytest.mark.parametrize("change", [
    {"rate_min": 0.09},
    {"amount_min": 200.0},
    {"quota": -1.0},
    {"rate_max": float("nan")},
    {"max_risk_grade": 6},
])
def test_bad_products_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _product(**change)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValidationError):
        LoanInput(products=[], requests=[_request("R", 1)])
    with pytest.raises(ValidationError):
        _request("R", 0)
    with pytest.raises(ValidationError):
        LoanInput(products=[_product()], requests=[_request("R", 1), _request("R", 2)])
