"""The optimisation engines as LangChain tools, with the personas allowed to call each.

Dispatch and evacuation take entities with coordinates (as the graph stores them) and build
the travel-time and distance matrices themselves; ticket balancing, the portfolio and loan
matching take the engines' inputs as they are. Duty officers (emergency) plan dispatch,
evacuation and ticket balancing; regulators analyse portfolios and loan matching; the bank
bot may match loans (it quotes only the products' own rates), never advise a portfolio.
"""

from __future__ import annotations

from typing import Annotated, Any

from langchain_core.tools import tool
from pydantic import Field

from bots.tools.optimisation import dispatch, evacuation, loan_matching, portfolio, ticket_balance
from bots.tools.optimisation.common import DEFAULT_TIME_LIMIT_S, EngineModel, Identifier
from bots.tools.optimisation.geo import GeoPoint, distance_km, travel_minutes
from bots.tools.spec import ToolSpec

TOOL_TIME_LIMIT_S = 30.0
"""A conversation waits at most this long for a plan."""
ToolTimeLimit = Annotated[float, Field(gt=0.0, le=TOOL_TIME_LIMIT_S,
                                       description="求解时间上限（秒）")]


class SitedResource(GeoPoint):
    """A dispatch resource with its location."""

    id: Identifier
    kind: Identifier = Field(description="能力类别，如 排涝、消防、医疗")
    capacity: dispatch.Units = Field(description="可派出的单位数")
    available: bool = True


class SitedIncident(GeoPoint):
    """An incident with its location."""

    id: Identifier
    demand: dict[Identifier, dispatch.Units] = Field(min_length=1,
                                                     description="各类能力需要的单位数")
    priority: float = Field(default=1.0, gt=0.0, le=100.0, description="优先级权重")


class DispatchArgs(EngineModel):
    """Arguments of ``plan_dispatch``."""

    resources: list[SitedResource] = Field(min_length=1, max_length=dispatch.MAX_RESOURCES)
    incidents: list[SitedIncident] = Field(min_length=1, max_length=dispatch.MAX_INCIDENTS)
    speed_kmh: float = Field(default=30.0, gt=0.0, le=120.0,
                             description="平均行驶速度（公里/小时）")
    max_travel_min: float | None = Field(default=None, gt=0.0, description="超过此时间的资源不派")
    time_limit_s: ToolTimeLimit = DEFAULT_TIME_LIMIT_S


class SitedCommunity(GeoPoint):
    """A community to evacuate, with its location."""

    id: Identifier
    people: int = Field(ge=0, le=10_000_000)


class SitedShelter(GeoPoint):
    """A shelter with its location."""

    id: Identifier
    capacity: int = Field(ge=0, le=10_000_000)


class EvacuationArgs(EngineModel):
    """Arguments of ``plan_evacuation``."""

    communities: list[SitedCommunity] = Field(min_length=1,
                                              max_length=evacuation.MAX_COMMUNITIES)
    shelters: list[SitedShelter] = Field(min_length=1, max_length=evacuation.MAX_SHELTERS)
    max_distance_km: float | None = Field(default=None, gt=0.0,
                                          description="超过此距离的避难场所不安排")
    time_limit_s: ToolTimeLimit = DEFAULT_TIME_LIMIT_S


@tool("plan_dispatch", args_schema=DispatchArgs, description=(
    "排涝泵车与救援队调度：给定各事件的位置、所需各类能力的单位数和优先级，以及泵站、泵车、"
    "救援队的位置、类别和可派单位数，求优先级加权响应时间最短的派遣方案；返回派遣清单、"
    "无法满足的需求、与就近派遣基线的对比。"))
def plan_dispatch(**kwargs: Any) -> dispatch.DispatchPlan:
    """The dispatch of resources to incidents, travel times by road from their coordinates."""
    args = DispatchArgs.model_validate(kwargs)
    return dispatch.solve(dispatch.DispatchInput(
        resources=[dispatch.DispatchResource(id=r.id, kind=r.kind, capacity=r.capacity,
                                             available=r.available) for r in args.resources],
        incidents=[dispatch.DispatchIncident(id=i.id, demand=i.demand, priority=i.priority)
                   for i in args.incidents],
        travel_min=travel_minutes(args.resources, args.incidents, args.speed_kmh),
        max_travel_min=args.max_travel_min, time_limit_s=args.time_limit_s))


@tool("plan_evacuation", args_schema=EvacuationArgs, description=(
    "避难场所疏散分配：把各社区需转移的人员分配到容量有限的应急避难场所，在安置人数最多的前提下"
    "使总疏散人公里最小；容量不足时说明有多少人无法安置。返回分配清单和与就近安置基线的对比。"))
def plan_evacuation(**kwargs: Any) -> evacuation.EvacuationPlan:
    """The placement of communities' people in shelters, road km from their coordinates."""
    args = EvacuationArgs.model_validate(kwargs)
    matrix = distance_km(args.communities, args.shelters)
    return evacuation.solve(evacuation.EvacuationInput(
        communities=[evacuation.EvacuationCommunity(id=c.id, people=c.people)
                     for c in args.communities],
        shelters=[evacuation.EvacuationShelter(id=s.id, capacity=s.capacity)
                  for s in args.shelters],
        distance_km=[[round(float(v), 3) for v in row] for row in matrix],
        max_distance_km=args.max_distance_km, time_limit_s=args.time_limit_s))


@tool("balance_tickets", args_schema=ticket_balance.TicketInput, description=(
    "工单派发均衡：把新工单派给能承办其分类的部门，使最大积压天数最小、紧急工单排到短队列；"
    "返回派单清单、各部门派单前后的积压天数、无部门可承办的工单，以及与派给最空闲部门基线的对比。"))
def balance_tickets(**kwargs: Any) -> ticket_balance.TicketPlan:
    """The assignment of new tickets to teams that balances their backlogs."""
    return ticket_balance.solve(ticket_balance.TicketInput.model_validate(kwargs))


@tool("optimise_portfolio", args_schema=portfolio.PortfolioInput, description=(
    "投资组合优化（均值—方差）：在单只上限、行业上限和目标收益或风险厌恶系数下求最优配置权重；"
    "返回权重、预期收益、波动率、夏普比率，以及与等权重、波动率倒数加权基线的对比。仅供分析。"))
def optimise_portfolio(**kwargs: Any) -> portfolio.PortfolioPlan:
    """The mean-variance weights of the given assets under the caps."""
    return portfolio.solve(portfolio.PortfolioInput.model_validate(kwargs))


@tool("match_loans", args_schema=loan_matching.LoanInput, description=(
    "银企融资匹配：按金额、期限、风险等级、行业和风险定价利率把企业融资需求与银行贷款产品匹配，"
    "在各产品额度内使对接总金额最大；返回对接清单、未对接的需求和与首次适配基线的对比。"))
def match_loans(**kwargs: Any) -> loan_matching.LoanPlan:
    """The matching of SMEs' requests to loan products within their quotas."""
    return loan_matching.solve(loan_matching.LoanInput.model_validate(kwargs))


OPTIMISATION_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(plan_dispatch, frozenset({"emergency"}),
             ("Incident", "PumpStation", "Vehicle", "Team"), "T-OPT-FLOOD-DISPATCH"),
    ToolSpec(plan_evacuation, frozenset({"emergency"}), ("Community", "Shelter"),
             "T-OPT-EVACUATION"),
    ToolSpec(balance_tickets, frozenset({"emergency"}), ("Ticket", "Department"),
             "T-OPT-TICKET-BALANCE"),
    ToolSpec(optimise_portfolio, frozenset({"regulator"}), ("Fund", "Product"),
             "T-OPT-PORTFOLIO"),
    ToolSpec(match_loans, frozenset({"regulator"}), ("LoanProduct", "Company"),
             "T-OPT-LOAN-MATCH"),
)
"""The optimisation tools with the personas allowed to call each."""
