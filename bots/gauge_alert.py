"""From a camera frame to action: read the gauge, and above its alert line raise an incident,
plan the pumps and file a ticket for the traffic police.

This is the seed's waterlogging case: a reading at or above the gauge's warning level
creates an Incident (内涝, at the gauge's region), plans the district's pumps and rescue teams
for it with the dispatch engine, and files an urgent ticket routed to the traffic police so
the signals and traffic around the flooded spot are managed. Every step is a stored tool run
or linked to one (the reading run PRODUCED the incident and the ticket), so the duty officer
can trace each action to the frame that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from bots.emergency_drill import PUMPING, RESCUE, dispatch_resources
from bots.tools.context import ToolContext
from bots.tools.runner import ToolRunner, ToolRunResult
from kg.emergency_sites import emergency_sites, gauge_of_camera
from kg.errors import NotFoundError
from kg.incident import IncidentRecord, department_id, store_incident
from kg.ontology import city_now
from kg.records import NodeRef
from kg.ticket import DepartmentRoute, Ticket, TicketCategory, store_ticket
from kg.tool_runs import link_produced

log = logging.getLogger(__name__)

TRAFFIC_POLICE = "滨江市公安局交通警察支队"
INCIDENT_PUMPS = 3
INCIDENT_RESCUE = 1


class GaugeAlert(BaseModel):
    """What a frame led to: the reading and, above the alert line, the actions taken."""

    camera_id: str
    gauge_id: str
    warning_level_cm: float | None
    reading: ToolRunResult
    over_warning: bool
    incident_id: str | None = None
    dispatch: ToolRunResult | None = None
    ticket_id: str | None = None
    message: str


def read_gauge_and_act(runner: ToolRunner, camera_id: str, image_b64: str,
                       clock: Callable[[], datetime] = city_now) -> GaugeAlert:
    """Read the gauge camera ``camera_id`` watches in ``image_b64`` and act on the level.

    Raises NotFoundError when the camera watches no gauge.
    """
    store = runner.store
    gauge = gauge_of_camera(store, camera_id)
    if gauge is None:
        raise NotFoundError(f"摄像头 {camera_id} 没有监视任何水尺")
    reading = runner.run("emergency", "read_water_gauge",
                         {"camera_id": camera_id, "image": image_b64}, ToolContext(),
                         used=[NodeRef(label="Camera", key=camera_id),
                               NodeRef(label="WaterGauge", key=gauge.id)])
    output: dict[str, Any] = reading.output
    level = output.get("level_cm") if output.get("status") == "ok" else None
    alert = gauge.warning_level_cm
    base = {"camera_id": camera_id, "gauge_id": gauge.id, "warning_level_cm": alert,
            "reading": reading}
    if level is None:
        return GaugeAlert(**base, over_warning=False,
                          message=f"无法读数：{output.get('message', '')}")
    if alert is None or level < alert:
        return GaugeAlert(**base, over_warning=False,
                          message=f"{gauge.name}水位 {level:.0f} 厘米，未超警戒水位"
                                  + (f" {alert:.0f} 厘米。" if alert is not None else "。"))
    now = clock()
    incident = store_incident(store, IncidentRecord(
        id=f"INC-{now:%Y%m%d%H%M}-{gauge.id}", name=f"{gauge.name}积水超警",
        hazard="内涝", occurred_at=now, lat=gauge.lat, lon=gauge.lon, severity="高",
        region_id=gauge.region_id,
        description=f"{gauge.name}水位 {level:.0f} 厘米，超过警戒水位 {alert:.0f} 厘米。"))
    dispatch = _dispatch(runner, incident, gauge.lat, gauge.lon, gauge.district)
    ticket = _ticket(incident.key, gauge.name, level, alert, now,
                     department_id(store, TRAFFIC_POLICE))
    store_ticket(store, ticket)
    link_produced(store, reading.run_id, [incident, NodeRef(label="Ticket", key=ticket.id)])
    log.warning("gauge %s at %.0f cm over %.0f: incident %s, ticket %s", gauge.id, level, alert,
                incident.key, ticket.id)
    return GaugeAlert(**base, over_warning=True, incident_id=incident.key, dispatch=dispatch,
                      ticket_id=ticket.id,
                      message=f"{gauge.name}水位 {level:.0f} 厘米，超过警戒水位 {alert:.0f} "
                              f"厘米：已生成内涝事件 {incident.key}，已规划排涝调度，"
                              f"已向{TRAFFIC_POLICE}派发工单 {ticket.id}。")


def _dispatch(runner: ToolRunner, incident: NodeRef, lat: float, lon: float,
              district: str | None) -> ToolRunResult | None:
    """The district's pumps and teams planned for the incident (None when it has none)."""
    sites = emergency_sites(runner.store, district)
    resources = dispatch_resources(sites)
    if not resources:
        return None
    args = {"resources": resources, "incidents": [{
        "id": incident.key, "lat": lat, "lon": lon, "priority": 5.0,
        "demand": {PUMPING: INCIDENT_PUMPS, RESCUE: INCIDENT_RESCUE}}]}
    used = [incident, *(NodeRef(label=s.label, key=s.id) for s in sites
                        if s.id in {r["id"] for r in resources})]
    return runner.run("emergency", "plan_dispatch", args, ToolContext(), used=used)


def _ticket(incident_id: str, place: str, level: float, alert: float, now: datetime,
            police: str | None) -> Ticket:
    return Ticket(
        id=f"TK-{incident_id}", call_time=now, event_time=now,
        summary=f"{place}积水超警，请调整周边信号配时并疏导交通"[:80],
        category=TicketCategory(l1="城乡建设", l2="排水防涝"), urgency="紧急",
        urgency_reason=f"水尺读数 {level:.0f} 厘米超过警戒水位 {alert:.0f} 厘米",
        departments=[DepartmentRoute(name=TRAFFIC_POLICE, id=police, confidence=1.0,
                                     reason="水尺超警联动：交通信号与疏导")],
        transcript=f"系统：{place}水尺读数 {level:.0f} 厘米，超过警戒水位 {alert:.0f} 厘米。")
