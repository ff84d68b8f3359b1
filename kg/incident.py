"""Incidents in the graph: where and when something happened, of which hazard, from which
run or report, so the duty officers' picture and the dispatch engines see it."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from kg.records import GraphBundle, NodeRef
from kg.store import GraphStore

_HAZARD = "MATCH (h:HazardType) WHERE h.name = $name RETURN h.id AS id LIMIT 1"
_DEPARTMENT = "MATCH (d:Department {name: $name}) RETURN d.id AS id LIMIT 1"
_POINT = "MATCH (r:Region {id: $id}) WHERE r.lat IS NOT NULL RETURN r.lat AS lat, r.lon AS lon"


class IncidentRecord(BaseModel):
    """An incident to store."""

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=120)
    hazard: str = Field(description="the HazardType's name, e.g. 内涝")
    occurred_at: datetime
    lat: float | None = None
    lon: float | None = None
    severity: str = "一般"
    status: str = "处置中"
    region_id: str | None = None
    description: str | None = None


def store_incident(store: GraphStore, incident: IncidentRecord) -> NodeRef:
    """MERGE the incident with its region (AT) and hazard type (OF_TYPE); its reference."""
    bundle = GraphBundle()
    ref = bundle.node("Incident", id=incident.id, name=incident.name, status=incident.status,
                      severity=incident.severity, occurred_at=incident.occurred_at,
                      created_at=incident.occurred_at, lat=incident.lat, lon=incident.lon,
                      description=incident.description)
    if incident.region_id:
        bundle.rel("AT", ref, NodeRef(label="Region", key=incident.region_id))
    hazard = store.read(_HAZARD, name=incident.hazard)
    if hazard:
        bundle.rel("OF_TYPE", ref, NodeRef(label="HazardType", key=hazard[0]["id"]))
    store.write_bundle(bundle)
    return ref


def department_id(store: GraphStore, name: str) -> str | None:
    """The id of the department called ``name`` (an incident's ticket is routed to it)."""
    rows = store.read(_DEPARTMENT, name=name)
    return str(rows[0]["id"]) if rows else None


def region_point(store: GraphStore, region_id: str) -> tuple[float, float] | None:
    """A region's centre (lat, lon), where an incident known only by its region is drawn."""
    rows = store.read(_POINT, id=region_id)
    return (float(rows[0]["lat"]), float(rows[0]["lon"])) if rows else None
