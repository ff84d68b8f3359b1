"""The waterlogging drill's dispatch arguments from a district's sites."""

from __future__ import annotations

import pytest

from bots.emergency_drill import PUMPING, RESCUE, flood_dispatch_args
from kg.emergency_sites import Site
from kg.errors import DataValidationError


def _site(sid: str, label: str, **extra: object) -> Site:
    return Site(id=sid, label=label, name=sid, lat=30.2, lon=120.2, **extra)  # type: ignore[arg-type]


def test_gauges_become_spots_and_working_resources_units() -> None:
    args = flood_dispatch_args([
        _site("WG-1", "WaterGauge", warning_level_cm=20.0),
        _site("WG-2", "WaterGauge"),
        _site("PS-1", "PumpStation", status="正常"),
        _site("PS-2", "PumpStation", status="检修"),
        _site("VH-1", "Vehicle", kind="排涝泵车"),
        _site("VH-2", "Vehicle", kind="指挥车"),
        _site("TM-1", "Team", capacity=120.0),
        _site("CAM-1", "Camera"),
    ])
    assert [i["id"] for i in args["incidents"]] == ["WG-1", "WG-2"]
    assert args["incidents"][0]["priority"] > args["incidents"][1]["priority"]
    kinds = {r["id"]: (r["kind"], r["capacity"]) for r in args["resources"]}
    assert kinds == {"PS-1": (PUMPING, 1), "VH-1": (PUMPING, 1), "TM-1": (RESCUE, 3)}


def test_a_district_without_gauges_or_resources_is_refused() -> None:
    with pytest.raises(DataValidationError, match="没有水尺"):
        flood_dispatch_args([_site("PS-1", "PumpStation")])
    with pytest.raises(DataValidationError, match="没有可调度"):
        flood_dispatch_args([_site("WG-1", "WaterGauge")])
