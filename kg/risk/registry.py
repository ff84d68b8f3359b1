"""The named risk queries, so NL→Cypher templates, the API and the regulator bot can list them.

Each entry holds the query function, its parameter and result models and its Chinese title and
description; :func:`run_query` validates raw parameters (a JSON body, a filled template) with
the entry's model before anything reaches the graph.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from kg.errors import DataValidationError, NotFoundError, validation_problems
from kg.risk.contagion import ContagionParams, ContagionResult, contagion
from kg.risk.equity import (
    CircularShareholdingParams,
    CircularShareholdingResult,
    UltimateControllerParams,
    UltimateControllerResult,
    circular_shareholding,
    ultimate_controllers,
)
from kg.risk.funds import FundExposureParams, FundExposureResult, fund_exposure
from kg.risk.guarantees import (
    GuaranteeChainParams,
    GuaranteeChainResult,
    GuaranteeCircleParams,
    GuaranteeCircleResult,
    guarantee_chains,
    guarantee_circles,
)
from kg.risk.parties import RelatedPartyParams, RelatedPartyResult, related_parties
from kg.store import GraphStore

P = TypeVar("P", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)


@dataclass(frozen=True)
class RiskQuery(Generic[P, R]):
    """One named query: what it is called, what it takes and returns, and how to run it."""

    name: str
    title_zh: str
    description_zh: str
    params: type[P]
    result: type[R]
    run: Callable[[GraphStore, P], R]

    def __call__(self, store: GraphStore, raw: Mapping[str, Any]) -> R:
        """Validate ``raw`` parameters with this query's model, then run it."""
        return self.run(store, checked_params(self.params, raw))


def checked_params(model: type[P], raw: Mapping[str, Any]) -> P:
    """``raw`` parameters validated by ``model``; DataValidationError naming each bad field."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        raise DataValidationError(f"参数不合法：{validation_problems(exc)}") from exc


RISK_QUERIES: dict[str, RiskQuery[Any, Any]] = {
    q.name: q
    for q in (
        RiskQuery("ultimate_controllers", "股权穿透与实际控制人",
                  "沿持股关系向上穿透，逐层相乘、多路径相加，列出有效持股比例达到阈值的最终股东，"
                  "并给出登记的实际控制关系。",
                  UltimateControllerParams, UltimateControllerResult, ultimate_controllers),
        RiskQuery("related_parties", "关联方识别",
                  "找出与某公司共享实际控制人、最终股东、法定代表人、高管、注册地址或电话的公司，"
                  "并说明关联方式。",
                  RelatedPartyParams, RelatedPartyResult, related_parties),
        RiskQuery("guarantee_chains", "担保链",
                  "从某公司（或个人）出发沿担保关系向外追踪若干跳，列出每条链及各笔担保金额。",
                  GuaranteeChainParams, GuaranteeChainResult, guarantee_chains),
        RiskQuery("guarantee_circles", "互保圈",
                  "找出担保关系构成的闭环（互保、联保圈），每个圈只列一次，并给出担保总额。",
                  GuaranteeCircleParams, GuaranteeCircleResult, guarantee_circles),
        RiskQuery("circular_shareholding", "循环持股",
                  "找出持股关系构成的闭环（交叉持股、循环持股），每个环只列一次，并给出环上持股比例之积。",
                  CircularShareholdingParams, CircularShareholdingResult, circular_shareholding),
        RiskQuery("contagion", "风险传导",
                  "从风险事件涉及的主体（或某一主体）出发，沿持股、担保、控制、法定代表人、投资、"
                  "管理关系传导若干跳，按随跳数衰减并考虑持股比例或金额的权重排序受波及主体。",
                  ContagionParams, ContagionResult, contagion),
        RiskQuery("fund_exposure", "基金穿透",
                  "列出基金发行的产品、投资人及投资金额，以及基金的管理人和实际控制人。",
                  FundExposureParams, FundExposureResult, fund_exposure),
    )
}


def get_query(name: str) -> RiskQuery[Any, Any]:
    """The named risk query, or a NotFoundError listing the known names."""
    try:
        return RISK_QUERIES[name]
    except KeyError:
        known = ", ".join(sorted(RISK_QUERIES))
        raise NotFoundError(f"no risk query named {name!r}; known: {known}") from None


def run_query(store: GraphStore, name: str, raw: Mapping[str, Any]) -> BaseModel:
    """Run the named query with raw parameters (validated by its model; DataValidationError
    naming the bad fields)."""
    result: BaseModel = get_query(name)(store, raw)
    return result
