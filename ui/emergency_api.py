"""REST endpoints of the duty officers: the district's emergency picture, the tools that act
on an entity, running a tool (every run kept in the graph), and the waterlogging drill.
All of them need the duty officer's key (:mod:`ui.roles`)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, Field

from bots.emergency_drill import DrillPlan, run_flood_drill
from bots.gauge_alert import GaugeAlert, read_gauge_and_act
from bots.tools.context import ToolContext
from bots.tools.perception.images import MAX_BASE64_CHARS
from bots.tools.runner import ToolRunResult
from kg.emergency_sites import Site, emergency_sites
from kg.records import NodeRef
from kg.tool_runs import ToolInfo, ToolRunSummary, tool_runs, tools_for_entity
from ui.roles import RoleKeys, require_role
from ui.services import Services

log = logging.getLogger(__name__)

District = Annotated[str | None, Query(max_length=20, description="区县名称，缺省为全市")]


class GaugeFrame(BaseModel):
    """A frame from a camera that watches a water gauge."""

    camera_id: str = Field(min_length=1, max_length=64)
    image: str = Field(min_length=1, max_length=MAX_BASE64_CHARS,
                       description="图像的 base64 编码（可带 data:image 前缀）")


class ToolCall(BaseModel):
    """A tool's arguments and the graph entities the call reads."""

    args: dict[str, Any] = Field(default_factory=dict)
    used: list[NodeRef] = Field(default_factory=list, max_length=1000,
                                description="调用读取的图谱实体（label 与 key）")


def emergency_router(services: Services, keys: RoleKeys) -> APIRouter:
    """The /emergency and /tools endpoints, each behind the duty officer's key."""
    router = APIRouter(tags=["emergency"],
                       dependencies=[Depends(require_role(keys, "duty_officer"))])
    runner = services.tool_runner

    @router.get("/emergency/sites", response_model=list[Site])
    def sites(district: District = None) -> list[Site]:
        """Incidents, pump stations, vehicles, teams, shelters, cameras and water gauges."""
        return emergency_sites(services.store, district)

    @router.post("/emergency/drills/flood", response_model=DrillPlan)
    def flood_drill(district: District = None) -> DrillPlan:
        """Every water gauge of the district flooding at once: the dispatch plan of pumps and
        rescue teams against the nearest-first baseline, kept as a ToolRun."""
        plan = run_flood_drill(runner, emergency_sites(services.store, district), district)
        log.info("flood drill in %s: run %s", district or "全市", plan.run.run_id)
        return plan

    @router.post("/emergency/gauges/read", response_model=GaugeAlert)
    def read_gauge(frame: GaugeFrame) -> GaugeAlert:
        """Read the gauge the camera watches; at or above its alert line, raise an incident,
        plan the pumps and file a ticket for the traffic police (each linked to the run)."""
        return read_gauge_and_act(runner, frame.camera_id, frame.image)

    @router.get("/tools", response_model=list[ToolInfo])
    def tools_for(
        label: Annotated[str, Query(max_length=40, description="实体类型，如 Camera")],
        entity_id: Annotated[str, Query(max_length=64, description="实体编号")],
    ) -> list[ToolInfo]:
        """The tools that act on an entity, found in the graph."""
        return tools_for_entity(services.store, label, entity_id)

    @router.get("/tools/runs", response_model=list[ToolRunSummary])
    def runs(tool_id: Annotated[str | None, Query(max_length=64)] = None,
             entity_id: Annotated[str | None, Query(max_length=64)] = None,
             limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[ToolRunSummary]:
        """The latest tool runs, of one tool or touching one entity."""
        return tool_runs(services.store, tool_id=tool_id, entity_id=entity_id, limit=limit)

    @router.post("/tools/{name}/run", response_model=ToolRunResult)
    def run_tool(name: Annotated[str, Path(max_length=64)],
                 call: Annotated[ToolCall, Body()]) -> ToolRunResult:
        """Run a tool as the emergency persona; the run is stored whatever its outcome."""
        return runner.run("emergency", name, call.args, ToolContext(), used=call.used)

    return router
