"""A waterlogging drill for the duty officer: every water gauge of a district over its alert
line at once, and the pumps and rescue teams dispatched to them by the dispatch engine.

The drill turns the district's sites (:mod:`kg.emergency_sites`) into the dispatch tool's
arguments: each water gauge is a flooded spot needing two pumping units and one rescue unit
(priority by how low its alert line is: a tunnel floods first); each pump station and each
pump vehicle sends one pumping unit, each rescue team one rescue unit per 40 people. The
plan is run through :class:`bots.tools.runner.ToolRunner`, so it is stored as a ToolRun that
used those gauges and resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from bots.tools.context import ToolContext
from bots.tools.runner import ToolRunner, ToolRunResult
from kg.emergency_sites import Site
from kg.errors import DataValidationError
from kg.records import NodeRef

PUMPING = "排涝"
RESCUE = "救援"
PUMP_UNITS_PER_SPOT = 2
RESCUE_UNITS_PER_SPOT = 1
PEOPLE_PER_RESCUE_UNIT = 40
DEFAULT_ALERT_CM = 30.0
"""The alert line assumed for a gauge that records none."""


class DrillPlan(BaseModel):
    """The drill's dispatch plan, the run that made it, and what went in."""

    district: str | None
    spots: int
    resources: int
    run: ToolRunResult
    sites: list[Site] = Field(default_factory=list)


def flood_dispatch_args(sites: Sequence[Site]) -> dict[str, Any]:
    """The dispatch tool's arguments for every gauge of ``sites`` flooding at once.

    Raises DataValidationError when the district has no gauge or nothing to send.
    """
    gauges = [s for s in sites if s.label == "WaterGauge"]
    resources = dispatch_resources(sites)
    if not gauges:
        raise DataValidationError("该区域没有水尺，无法演练内涝调度")
    if not resources:
        raise DataValidationError("该区域没有可调度的泵站、泵车或救援队")
    incidents = [{
        "id": g.id, "lat": g.lat, "lon": g.lon,
        "demand": {PUMPING: PUMP_UNITS_PER_SPOT, RESCUE: RESCUE_UNITS_PER_SPOT},
        "priority": round(100.0 / (g.warning_level_cm or DEFAULT_ALERT_CM), 3),
    } for g in gauges]
    return {"resources": resources, "incidents": incidents}


def dispatch_resources(sites: Sequence[Site]) -> list[dict[str, Any]]:
    """The working pump stations, pump vehicles and rescue teams of ``sites`` as the dispatch
    tool's resources (one pumping unit each; a rescue unit per 40 people of a team)."""
    return [r for r in (_resource(s) for s in sites) if r is not None]


def _resource(site: Site) -> dict[str, Any] | None:
    if site.status not in (None, "正常", "在线", "待命"):
        return None
    if site.label == "PumpStation" or (site.label == "Vehicle" and "泵" in (site.kind or "")):
        return {"id": site.id, "kind": PUMPING, "capacity": 1, "lat": site.lat, "lon": site.lon}
    if site.label == "Team":
        units = max(1, int((site.capacity or PEOPLE_PER_RESCUE_UNIT) // PEOPLE_PER_RESCUE_UNIT))
        return {"id": site.id, "kind": RESCUE, "capacity": units, "lat": site.lat,
                "lon": site.lon}
    return None


def run_flood_drill(runner: ToolRunner, sites: Sequence[Site], district: str | None
                    ) -> DrillPlan:
    """Plan the drill's dispatch as the emergency persona and keep the run in the graph."""
    args = flood_dispatch_args(sites)
    used_ids = {r["id"] for r in args["resources"]} | {i["id"] for i in args["incidents"]}
    used = [NodeRef(label=s.label, key=s.id) for s in sites if s.id in used_ids]
    run = runner.run("emergency", "plan_dispatch", args, ToolContext(), used=used)
    return DrillPlan(district=district, spots=len(args["incidents"]),
                     resources=len(args["resources"]), run=run,
                     sites=[s for s in sites if s.id in used_ids])
