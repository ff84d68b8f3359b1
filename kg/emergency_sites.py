"""Where the emergency's pieces are: incidents, pump stations, vehicles, teams, shelters,
cameras and water gauges of a district, with their coordinates and state, for the duty
officers' console and the dispatch engines."""

from __future__ import annotations

from pydantic import BaseModel

from kg.store import GraphStore

SITE_LABELS = ("Incident", "PumpStation", "Vehicle", "Team", "Shelter", "Camera", "WaterGauge")

_SITES = (
    "MATCH (n) WHERE any(l IN labels(n) WHERE l IN $labels) AND n.lat IS NOT NULL "
    "AND ($district IS NULL OR EXISTS { "
    "  MATCH (n)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..3]->(:District {name: $district}) }) "
    "RETURN n.id AS id, [l IN labels(n) WHERE l IN $labels][0] AS label, "
    "coalesce(n.name, n.id) AS name, n.lat AS lat, n.lon AS lon, n.status AS status, "
    "n.kind AS kind, n.capacity AS capacity, n.warning_level_cm AS warning_level_cm "
    "ORDER BY label, id"
)


class Site(BaseModel):
    """One located piece of the emergency picture."""

    id: str
    label: str
    name: str
    lat: float
    lon: float
    status: str | None = None
    kind: str | None = None
    capacity: float | None = None
    warning_level_cm: float | None = None


def emergency_sites(store: GraphStore, district: str | None = None) -> list[Site]:
    """The located incidents, resources and sensors of ``district`` (the whole city: None)."""
    return store.read_models(_SITES, Site, labels=list(SITE_LABELS), district=district)


_GAUGE_OF_CAMERA = (
    "MATCH (c:Camera {id: $camera_id})-[:OBSERVES]->(g:WaterGauge) "
    "OPTIONAL MATCH (g)-[:LOCATED_IN]->(r:Region) "
    "OPTIONAL MATCH (r)-[:PART_OF*0..3]->(d:District) "
    "RETURN g.id AS id, 'WaterGauge' AS label, coalesce(g.name, g.id) AS name, g.lat AS lat, "
    "g.lon AS lon, g.status AS status, g.warning_level_cm AS warning_level_cm, "
    "r.id AS region_id, d.name AS district ORDER BY g.id LIMIT 1"
)


class GaugeSite(Site):
    """A water gauge a camera watches, with the region and district it is in."""

    region_id: str | None = None
    district: str | None = None


def gauge_of_camera(store: GraphStore, camera_id: str) -> GaugeSite | None:
    """The water gauge camera ``camera_id`` watches, or None when it watches none."""
    rows = store.read_models(_GAUGE_OF_CAMERA, GaugeSite, camera_id=camera_id)
    return rows[0] if rows else None
