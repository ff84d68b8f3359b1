"""Realistic random inputs for every engine, the same for the same seed.

Sizes and ranges follow the demo city 滨江市 (a 30 km square around its centre, pump stations
and rescue teams like those in ``ingest/demo/data/emergency.yaml``, its loan products'
rates and amounts). Tests and the benchmark use them; nothing here is a real figure.
"""

from __future__ import annotations

import numpy as np

from bots.tools.optimisation.dispatch import DispatchIncident, DispatchInput, DispatchResource
from bots.tools.optimisation.evacuation import (
    EvacuationCommunity,
    EvacuationInput,
    EvacuationShelter,
)
from bots.tools.optimisation.geo import city_points, distance_km, travel_minutes
from bots.tools.optimisation.loan_matching import LoanInput, LoanProduct, LoanRequest
from bots.tools.optimisation.portfolio import PortfolioAsset, PortfolioInput
from bots.tools.optimisation.ticket_balance import BalanceTeam, BalanceTicket, TicketInput

DISPATCH_KINDS = ("排涝", "消防", "医疗", "电力抢修", "燃气抢修")
"""Resource kinds, from the demo city's teams and vehicles."""


def random_dispatch(seed: int, incidents: int = 200, resources: int = 500,
                    speed_kmh: float = 30.0, time_limit_s: float = 10.0) -> DispatchInput:
    """A storm night: ``incidents`` clustered around a few low-lying spots, each needing 1-4
    units of one or two kinds (flood pumping most often), and ``resources`` spread over the
    city with 1-3 units each, some already busy; travel time by road at ``speed_kmh``."""
    rng = np.random.default_rng(seed)
    kind_share = np.array([0.4, 0.2, 0.2, 0.1, 0.1])
    sites = city_points(rng, incidents, hotspots=6)
    depots = city_points(rng, resources)
    res = [DispatchResource(id=f"R{r:04d}", kind=DISPATCH_KINDS[rng.choice(5, p=kind_share)],
                            capacity=int(rng.integers(1, 4)), available=bool(rng.random() > 0.1))
           for r in range(resources)]
    inc = []
    for i in range(incidents):
        kinds = rng.choice(5, size=int(rng.integers(1, 3)), replace=False, p=kind_share)
        inc.append(DispatchIncident(
            id=f"I{i:04d}", demand={DISPATCH_KINDS[k]: int(rng.integers(1, 5)) for k in kinds},
            priority=float(rng.integers(1, 6))))
    return DispatchInput(resources=res, incidents=inc,
                         travel_min=travel_minutes(depots, sites, speed_kmh),
                         time_limit_s=time_limit_s)


def random_evacuation(seed: int, communities: int = 300, shelters: int = 60,
                      capacity_ratio: float = 1.1, time_limit_s: float = 10.0) -> EvacuationInput:
    """A flood evacuation: ``communities`` of 300-12,000 residents to move (log-normal, as
    the demo city's), ``shelters`` whose capacities sum to ``capacity_ratio`` times the
    people (below 1, some cannot be placed), road km between them."""
    rng = np.random.default_rng(seed)
    homes = city_points(rng, communities, hotspots=4, spread_km=4.0)
    sites = city_points(rng, shelters)
    people = np.clip(rng.lognormal(np.log(2500.0), 0.7, communities), 300, 12_000).astype(int)
    share = rng.dirichlet(np.full(shelters, 2.0))
    capacity = np.floor(share * people.sum() * capacity_ratio).astype(int)
    return EvacuationInput(
        communities=[EvacuationCommunity(id=f"C{c:04d}", people=int(p))
                     for c, p in enumerate(people)],
        shelters=[EvacuationShelter(id=f"S{s:03d}", capacity=int(k))
                  for s, k in enumerate(capacity)],
        distance_km=[[round(float(v), 3) for v in row] for row in distance_km(homes, sites)],
        time_limit_s=time_limit_s)


def random_tickets(seed: int, tickets: int = 2000, teams: int = 40, categories: int = 60,
                   time_limit_s: float = 10.0) -> TicketInput:
    """A busy day at the 12345 centre: ``tickets`` new tickets over ``categories`` categories
    (a few common ones take most), ``teams`` teams each handling 3-8 categories with 20-200
    tickets a day of capacity and one to four days of open work, a tenth of the tickets urgent
    (due in 2-24 hours), the rest due in 1-15 days."""
    rng = np.random.default_rng(seed)
    popularity = rng.dirichlet(np.full(categories, 0.6))
    names = [f"CAT{c:03d}" for c in range(categories)]
    team_list = []
    for k in range(teams):
        handled = rng.choice(categories, size=min(categories, int(rng.integers(3, 9))),
                             replace=False)
        capacity = float(rng.integers(20, 201))
        team_list.append(BalanceTeam(
            id=f"D{k:03d}", categories=[names[c] for c in handled], daily_capacity=capacity,
            open_work=round(capacity * float(rng.uniform(1.0, 4.0)), 1)))
    handled_any = sorted({c for t in team_list for c in t.categories})
    weights = np.asarray([popularity[names.index(c)] for c in handled_any])
    picks = rng.choice(len(handled_any), size=tickets, p=weights / weights.sum())
    urgent = rng.random(tickets) < 0.1
    due = np.where(urgent, rng.uniform(2.0, 24.0, tickets), rng.uniform(24.0, 360.0, tickets))
    return TicketInput(
        tickets=[BalanceTicket(id=f"T{j:05d}", category=handled_any[c],
                               effort=float(rng.choice([0.5, 1.0, 1.0, 2.0])),
                               due_hours=round(float(d), 1))
                 for j, (c, d) in enumerate(zip(picks, due, strict=True))],
        teams=team_list, time_limit_s=time_limit_s)


PORTFOLIO_SECTORS = ("债券", "货币", "股票", "量化", "房地产", "大宗商品", "海外", "私募股权")


def random_portfolio(seed: int, assets: int = 200, target_return: float | None = None,
                     time_limit_s: float = 10.0) -> PortfolioInput:
    """Funds and wealth products over eight sectors: volatility by sector (money funds 0.5-2%,
    equities 15-35%), expected return rising with it plus noise, correlations from a market
    factor and a sector factor (so the matrix is a valid one), 10% cap per asset, 35% per
    sector."""
    rng = np.random.default_rng(seed)
    vol_range = {"债券": (0.02, 0.06), "货币": (0.005, 0.02), "股票": (0.15, 0.35),
                 "量化": (0.08, 0.2), "房地产": (0.12, 0.3), "大宗商品": (0.15, 0.3),
                 "海外": (0.12, 0.28), "私募股权": (0.2, 0.4)}
    sector = rng.choice(len(PORTFOLIO_SECTORS), size=assets)
    market = rng.uniform(0.1, 0.6, assets)
    local = rng.uniform(0.1, 0.6, assets)
    loadings = np.zeros((assets, 1 + len(PORTFOLIO_SECTORS)))
    loadings[:, 0] = market
    loadings[np.arange(assets), 1 + sector] = local
    corr = loadings @ loadings.T
    np.fill_diagonal(corr, 1.0)
    asset_list = []
    for i, s in enumerate(sector):
        low, high = vol_range[PORTFOLIO_SECTORS[s]]
        vol = float(rng.uniform(low, high))
        asset_list.append(PortfolioAsset(
            id=f"F{i:04d}", sector=PORTFOLIO_SECTORS[s], volatility=round(vol, 4),
            expected_return=round(0.015 + 0.3 * vol + float(rng.normal(0.0, 0.02)), 4)))
    return PortfolioInput(assets=asset_list, correlations=np.round(corr, 6).tolist(),
                          max_weight=0.1,
                          sector_caps={PORTFOLIO_SECTORS[s]: 0.35 for s in np.unique(sector)},
                          target_return=target_return, time_limit_s=time_limit_s)


LOAN_INDUSTRIES = ("制造业", "批发零售", "科技服务", "建筑业", "餐饮住宿", "农业", "物流运输")


def random_loans(seed: int, requests: int = 1000, products: int = 60,
                 time_limit_s: float = 10.0) -> LoanInput:
    """SME financing week: ``products`` loan products of a dozen banks (rates 3.2-12%,
    per-loan ceilings 100-3,000 万元, terms, the worst grade they take, a fifth limited to two
    industries, quotas that cover about 60% of the demand) and ``requests`` requests of
    20-2,000 万元 (log-normal) with the rate each company accepts."""
    rng = np.random.default_rng(seed)
    amounts = np.clip(rng.lognormal(np.log(200.0), 0.9, requests), 20, 2000).round(0)
    product_list = []
    for p in range(products):
        low = float(rng.uniform(0.032, 0.06))
        ceiling = float(rng.choice([100, 300, 500, 1000, 3000]))
        term_min = int(rng.choice([1, 6, 12]))
        product_list.append(LoanProduct(
            id=f"LP{p:03d}", bank=f"B{int(rng.integers(0, 12)):02d}", rate_min=round(low, 4),
            rate_max=round(low + float(rng.uniform(0.01, 0.06)), 4),
            amount_min=float(rng.choice([0, 10, 50])), amount_max=ceiling,
            term_min=term_min, term_max=int(rng.choice([12, 36, 60, 120])),
            max_risk_grade=int(rng.integers(2, 6)),
            quota=round(float(amounts.sum()) * 0.6 / products * float(rng.uniform(0.5, 1.5)), 0),
            industries=list(rng.choice(LOAN_INDUSTRIES, size=2, replace=False))
            if rng.random() < 0.2 else []))
    return LoanInput(
        products=product_list,
        requests=[LoanRequest(id=f"Q{j:05d}", company=f"企业{j:05d}", amount=float(a),
                              max_rate=round(float(rng.uniform(0.04, 0.12)), 4),
                              term_months=int(rng.choice([6, 12, 24, 36, 60])),
                              risk_grade=int(rng.integers(1, 6)),
                              industry=str(rng.choice(LOAN_INDUSTRIES)))
                  for j, a in enumerate(amounts)],
        time_limit_s=time_limit_s)
