"""REST endpoints of the regulators' risk graph, under ``/risk``, for the regulator role only.

Questions in Chinese (templates, else guarded LLM Cypher), the named risk-linkage queries
(listed with their parameter schemas, run with parameters checked before any Cypher runs) and
the risk report on a company or fund as JSON, Markdown or PDF. Every endpoint needs the
regulator's API key (:mod:`ui.roles`).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from bots.agents.regulator import RegulatorAnswer
from kg.risk.params import EntityId
from kg.risk.registry import RISK_QUERIES, checked_params, get_query
from kg.risk.report import ReportParams, RiskReport, risk_report
from ui.risk_report import report_markdown, report_pdf
from ui.roles import RoleKeys, require_role
from ui.services import Services

log = logging.getLogger(__name__)


class RegulatorQuestion(BaseModel):
    """A regulator's question in Chinese."""

    question: str = Field(min_length=1, max_length=500,
                          examples=["滨江宏达建设工程有限公司在哪些互保圈里？"])


class RiskQueryInfo(BaseModel):
    """A named query as the regulator's console lists it."""

    name: str
    title_zh: str
    description_zh: str
    params_schema: dict[str, Any]


def risk_router(services: Services, keys: RoleKeys) -> APIRouter:
    """The /risk endpoints, each behind the regulator's key."""
    router = APIRouter(prefix="/risk", tags=["risk"],
                       dependencies=[Depends(require_role(keys, "regulator"))])

    @router.post("/ask", response_model=RegulatorAnswer)
    def ask(request: RegulatorQuestion) -> RegulatorAnswer:
        """Answer a question from the graph: a template for the common questions (which it
        names), else Cypher written by the LLM that runs only if the read-only guard passes
        it. Returns what ran, the rows, the subgraph and a summary made of the rows only."""
        answer = services.regulator_bot.ask(request.question)
        log.info("regulator question: %s by %s", answer.status, answer.source or "nothing")
        return answer

    @router.get("/queries", response_model=list[RiskQueryInfo])
    def list_queries() -> list[RiskQueryInfo]:
        """The named risk-linkage queries with their Chinese titles and parameter schemas."""
        return [RiskQueryInfo(name=q.name, title_zh=q.title_zh, description_zh=q.description_zh,
                              params_schema=q.params.model_json_schema())
                for q in RISK_QUERIES.values()]

    @router.post("/queries/{name}")
    def run_named_query(
        name: Annotated[str, Path(max_length=64, description="查询名称，见 GET /risk/queries")],
        params: Annotated[dict[str, Any], Body(examples=[{"company_id": "CO-00369"}])],
    ) -> dict[str, Any]:
        """Run one named query; its rows and the subgraph that draws them."""
        query = get_query(name)
        result = query.run(services.store, checked_params(query.params, params))
        log.info("risk query %s run", name)
        rows: dict[str, Any] = result.model_dump(mode="json")
        return rows

    @router.get("/reports/{subject_id}", response_model=RiskReport,
                responses={200: {"content": {"text/markdown": {}, "application/pdf": {}}}})
    def report(
        subject_id: Annotated[EntityId, Path(description="企业或基金编号")],
        format: Annotated[Literal["json", "md", "pdf"], Query(description="报告格式")] = "json",
    ) -> Any:
        """The risk report on a company or fund: level and reason, risk events, findings with
        their paths, the graph and the sources."""
        built = risk_report(services.store, ReportParams(subject_id=subject_id))
        if format == "json":
            return built
        name = quote(f"风险报告_{built.subject.name}.{format}")
        disposition = {"Content-Disposition": f"attachment; filename*=UTF-8''{name}"}
        if format == "md":
            return Response(report_markdown(built), media_type="text/markdown; charset=utf-8",
                            headers=disposition)
        return Response(report_pdf(built), media_type="application/pdf", headers=disposition)

    return router
