"""The emergency-management graph of the demo city 「滨江市」, read from ``emergency.yaml``.

``build(data_dir)`` returns hazard types, emergency plans (COVERS hazards, ISSUED_BY a
department), rescue resources (pump stations, shelters, teams, vehicles), flood-prone spots
(Location) with their water gauges and the cameras that OBSERVE them, plus cameras that watch
for smoke and intruders. Every resource, sensor and spot is LOCATED_IN its street or community
and has a department RESPONSIBLE_FOR it; departments and regions are looked up by name in
``departments.yaml`` and ``regions.yaml`` (their nodes come from ``government.py``).

Coordinates are a landmark's when the entry names one, else the region's centroid plus a small
jitter from a seeded ``random.Random`` walked in file order, so every build is identical.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.demo.data_files import (
    DATA_DIR,
    REGIONS_FILE,
    DemoFile,
    DepartmentIndex,
    RegionIndex,
    RegionInfo,
)
from kg.errors import DataValidationError
from kg.records import GraphBundle, NodeRef

log = logging.getLogger(__name__)

EMERGENCY_FILE = "emergency.yaml"
STREAM_URL = "rtsp://video.binjiang.example/live/{id}"
WATER_USES = ("水位监测", "积水识别", "烟火识别")


@dataclass(frozen=True)
class Place:
    """Where an entry is: the region it is LOCATED_IN, its coordinates and a readable address."""

    region: RegionInfo
    lat: float
    lon: float
    address: str


class _EmergencyBuilder:
    """Builds the emergency bundle; one instance per build, with its own seeded jitter."""

    def __init__(self, data_dir: Path) -> None:
        self.file = DemoFile(data_dir, EMERGENCY_FILE)
        self.regions = RegionIndex(data_dir)
        self.departments = DepartmentIndex(data_dir)
        self.landmarks = self._landmarks(data_dir)
        self.rng = random.Random(int(self.file.field(self.file.data, "seed", "seed", int)))
        self.jitter = float(self.file.data.get("jitter", 0.004))
        self.bundle = GraphBundle()
        self.hazards: dict[str, NodeRef] = {}
        self.ids: set[str] = set()

    def _landmarks(self, data_dir: Path) -> dict[str, dict[str, Any]]:
        regions = DemoFile(data_dir, REGIONS_FILE)
        found = {}
        for label, entry in regions.entries("landmarks"):
            found[str(regions.field(entry, "id", label))] = entry
            found[str(regions.field(entry, "name", label))] = entry
        return found

    # -- helpers -------------------------------------------------------------------------
    def node(self, label: str, where: str, **props: Any) -> NodeRef:
        """Add a node (leaving out empty properties), refusing an id used twice."""
        node_id = str(props["id"])
        if node_id in self.ids:
            raise self.file.error(where, f"duplicate id {node_id!r}")
        self.ids.add(node_id)
        return self.bundle.node(label, **{k: v for k, v in props.items() if v is not None})

    def place(self, entry: Mapping[str, Any], where: str) -> Place:
        """The region and coordinates of an entry (landmark, explicit lat/lon or jitter)."""
        context = f"{EMERGENCY_FILE}: entry {where!r}"
        if entry.get("landmark"):
            landmark = self.landmarks.get(str(entry["landmark"]))
            if landmark is None:
                raise self.file.error(where, f"unknown landmark {entry['landmark']!r}")
            region = self.regions.find(str(landmark["community"]), context)
            return Place(region, float(landmark["lat"]), float(landmark["lon"]),
                         f"滨江市{landmark['address']}")
        region = self.regions.find(str(self.file.field(entry, "region", where)), context)
        if region.label not in ("District", "Street", "Community"):
            raise self.file.error(where, f"region {region.name!r} is not inside a district")
        address = self.region_address(region)
        if entry.get("lat") is not None and entry.get("lon") is not None:
            return Place(region, float(entry["lat"]), float(entry["lon"]), address)
        lat = region.lat + self.rng.uniform(-self.jitter, self.jitter)
        lon = region.lon + self.rng.uniform(-self.jitter, self.jitter)
        return Place(region, round(lat, 5), round(lon, 5), address)

    def region_address(self, region: RegionInfo) -> str:
        """滨江市 + district + street + community, as far down as the region goes."""
        names = [region.name]
        parent = region.parent_id
        while parent and parent != region.district_id:
            up = self.regions.find(parent, REGIONS_FILE)
            names.insert(0, up.name)
            parent = up.parent_id
        if region.label != "District":
            names.insert(0, region.district_name)
        return "滨江市" + "".join(names)

    def responsible(self, entry: Mapping[str, Any], where: str, target: NodeRef) -> None:
        """RESPONSIBLE_FOR from the entry's department to ``target``."""
        name = str(self.file.field(entry, "department", where))
        department = self.departments.ref(name, f"{EMERGENCY_FILE}: entry {where!r}")
        self.bundle.rel("RESPONSIBLE_FOR", department, target)

    def located(self, ref: NodeRef, place: Place) -> None:
        self.bundle.rel("LOCATED_IN", ref, place.region.ref())

    def number(self, entry: Mapping[str, Any], key: str, where: str) -> float:
        value = self.file.field(entry, key, where, (int, float))
        if value <= 0:
            raise self.file.error(where, f"field {key!r} must be positive")
        return float(value)

    # -- hazards and plans ---------------------------------------------------------------
    def add_hazards(self) -> None:
        for label, entry in self.file.entries("hazards"):
            hid = str(self.file.field(entry, "id", label))
            self.hazards[hid] = self.node(
                "HazardType", hid, id=hid, name=str(self.file.field(entry, "name", hid)),
                aliases=entry.get("aliases"), keywords=self.file.str_list(entry, "keywords", hid),
                description=entry.get("description"))

    def add_plans(self) -> None:
        for label, entry in self.file.entries("plans"):
            pid = str(self.file.field(entry, "id", label))
            ref = self.node(
                "Plan", pid, id=pid, name=str(self.file.field(entry, "name", pid)),
                level=str(self.file.field(entry, "level", pid)),
                content=str(self.file.field(entry, "content", pid)),
                issued_on=self.file.date_field(entry, "issued_on", pid))
            department = self.departments.ref(str(self.file.field(entry, "department", pid)),
                                              f"{EMERGENCY_FILE}: entry {pid!r}")
            self.bundle.rel("ISSUED_BY", ref, department)
            for hazard in self.file.str_list(entry, "covers", pid):
                if hazard not in self.hazards:
                    raise self.file.error(pid, f"covers unknown hazard {hazard!r}")
                self.bundle.rel("COVERS", ref, self.hazards[hazard])

    # -- resources -----------------------------------------------------------------------
    def add_resource(self, label: str, entry: Mapping[str, Any], where: str,
                     **props: Any) -> NodeRef:
        rid = str(self.file.field(entry, "id", where))
        place = self.place(entry, rid)
        ref = self.node(
            label, rid, id=rid, name=str(self.file.field(entry, "name", rid)),
            address=entry.get("address") or place.address,
            lat=place.lat, lon=place.lon, status=str(entry.get("status") or "正常"),
            phone=entry.get("phone"), description=entry.get("description"), **props)
        self.located(ref, place)
        self.responsible(entry, rid, ref)
        return ref

    def add_resources(self) -> None:
        for label, entry in self.file.entries("pump_stations"):
            self.add_resource("PumpStation", entry, label,
                              capacity=self.number(entry, "capacity", label), capacity_unit="m³/h")
        for label, entry in self.file.entries("shelters"):
            self.add_resource("Shelter", entry, label,
                              capacity=self.number(entry, "capacity", label), capacity_unit="人")
        for label, entry in self.file.entries("teams"):
            self.add_resource("Team", entry, label, kind=str(self.file.field(entry, "kind", label)),
                              capacity=self.number(entry, "capacity", label), capacity_unit="人")
        for label, entry in self.file.entries("vehicles"):
            self.add_resource("Vehicle", entry, label,
                              kind=str(self.file.field(entry, "kind", label)),
                              capacity=self.number(entry, "capacity", label),
                              capacity_unit=str(self.file.field(entry, "capacity_unit", label)))

    # -- sensors -------------------------------------------------------------------------
    def add_camera(self, cid: str, name: str, place: Place, uses: list[str], address: str,
                   entry: Mapping[str, Any], where: str) -> NodeRef:
        offline = self.rng.random() < 0.06
        ref = self.node(
            "Camera", where, id=cid, name=name, address=address, lat=place.lat, lon=place.lon,
            status="离线" if offline else "在线", stream_url=STREAM_URL.format(id=cid),
            description=f"用途：{'、'.join(uses)}")
        self.located(ref, place)
        self.responsible(entry, where, ref)
        return ref

    def add_flood_spots(self) -> None:
        for label, entry in self.file.entries("flood_spots"):
            sid = str(self.file.field(entry, "id", label))
            name = str(self.file.field(entry, "name", sid))
            place = self.place(entry, sid)
            address = f"滨江市{self.file.field(entry, 'address', sid)}"
            spot = self.node("Location", sid, id=sid, name=name, kind=str(
                self.file.field(entry, "kind", sid)), address=address, lat=place.lat,
                lon=place.lon, description="易涝点")
            self.located(spot, place)
            self.responsible(entry, sid, spot)
            number = sid.rsplit("-", 1)[-1]
            gauge = self.node(
                "WaterGauge", sid, id=f"WG-{number}", name=f"{name}水尺", address=address,
                lat=place.lat, lon=place.lon, status="正常",
                warning_level_cm=self.number(entry, "warning_level_cm", sid))
            self.located(gauge, place)
            self.responsible(entry, sid, gauge)
            count = int(self.file.field(entry, "cameras", sid, int))
            for i in range(count):
                suffix = "AB"[i] if count > 1 else "A"
                nearby = Place(place.region, round(place.lat + 0.0002 * (i + 1), 5),
                               round(place.lon - 0.0002 * (i + 1), 5), address)
                side = ("入口", "出口")[i] if count > 1 else ""
                camera = self.add_camera(f"CAM-{number}{suffix}", f"{name}{side}摄像头", nearby,
                                         list(WATER_USES), address, entry, sid)
                self.bundle.rel("OBSERVES", camera, gauge)
                self.bundle.rel("OBSERVES", camera, spot)

    def add_cameras(self) -> None:
        for label, entry in self.file.entries("cameras"):
            cid = str(self.file.field(entry, "id", label))
            place = self.place(entry, cid)
            name = str(self.file.field(entry, "name", cid))
            self.add_camera(cid, name, place, self.file.str_list(entry, "uses", cid),
                            place.address, entry, cid)

    def run(self) -> GraphBundle:
        self.add_hazards()
        self.add_plans()
        self.add_resources()
        self.add_flood_spots()
        self.add_cameras()
        return self.bundle


def build(data_dir: Path = DATA_DIR) -> GraphBundle:
    """The emergency graph of the demo city, built deterministically from ``data_dir``.

    Raises DataValidationError naming the file and entry for a missing file or field, an
    unknown region, landmark, department or hazard, or an id used twice.
    """
    data_dir = Path(data_dir)
    if not (data_dir / EMERGENCY_FILE).is_file():
        raise DataValidationError(f"{EMERGENCY_FILE}: file not found in {data_dir}")
    bundle = _EmergencyBuilder(data_dir).run()
    log.info("emergency demo data: %d nodes, %d relationships",
             len(bundle.nodes), len(bundle.relationships))
    return bundle
