"""Input checks shared by the engines, and the tools' schemas, personas and a call each."""

from __future__ import annotations

import base64
import struct
import zlib

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from bots.tools.perception.gauge_render import render_gauge
from bots.tools.perception.images import ImageError, load_image
from bots.tools.perception.intrusion_render import ZONE, ClipSpec, render_sequence
from bots.tools.perception.tools import PERCEPTION_TOOLS
from bots.tools.perception.water_gauge import read_water_gauge
from bots.tools.registry import ToolRegistry

SPECS = {spec.name: spec for spec in PERCEPTION_TOOLS}


def _png(image: np.ndarray) -> bytes:
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def _b64(image: np.ndarray) -> str:
    return base64.b64encode(_png(image)).decode()


def _png_declaring(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(header)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)))


@pytest.mark.parametrize(("bad", "words"), [
    (b"", "为空"),
    (b"not an image at all", "无法解码"),
    (_png(np.zeros((32, 32, 3), np.uint8))[:40], "无法解码"),
    (_png_declaring(10_000, 300), "过大"),
    (b"\x00" * (20 * 1024 * 1024 + 1), "过大"),
    (np.zeros((5000, 20, 3), np.uint8), "过大"),
    (np.zeros((32, 32, 3), np.float32), "uint8"),
    (np.zeros((32, 32, 2), np.uint8), "形状"),
    ("a string", "不支持"),
    (12, "不支持"),
])
def test_bad_input_is_refused_with_a_clear_error(bad: object, words: str) -> None:
    with pytest.raises(ImageError, match=words):
        read_water_gauge(bad)


def test_grey_and_bgra_arrays_are_accepted() -> None:
    assert load_image(np.zeros((20, 30), np.uint8)).shape == (20, 30, 3)
    assert load_image(np.zeros((20, 30, 4), np.uint8)).shape == (20, 30, 3)


def test_the_tools_go_to_the_emergency_persona_only() -> None:
    registry = ToolRegistry(PERCEPTION_TOOLS)
    assert {t.name for t in registry.tools_for("emergency")} == {
        "read_water_gauge", "detect_smoke_fire", "detect_intrusion"}
    assert registry.tools_for("citizen") == []
    assert SPECS["read_water_gauge"].applies_to == ("Camera", "WaterGauge")
    assert SPECS["detect_intrusion"].applies_to == ("Camera",)


def test_tools_take_base64_and_answer_typed_results() -> None:
    reading = SPECS["read_water_gauge"].tool.invoke(
        {"camera_id": "CAM-01", "image": _b64(render_gauge(100.0))})
    assert reading.status == "ok" and reading.level_cm == pytest.approx(100.0, abs=5.0)
    frames, _ = render_sequence(ClipSpec(seed=1))
    result = SPECS["detect_intrusion"].tool.invoke({
        "camera_id": "CAM-02", "images": [_b64(f) for f in frames[::2]],
        "zones": [{"name": "水域", "polygon": ZONE}], "min_frames": 2})
    assert result.alarm and result.events[0].zone == "水域"
    with pytest.raises(ImageError):
        SPECS["detect_smoke_fire"].tool.invoke({"camera_id": "C", "images": ["@@not base64@@"]})
    with pytest.raises(ValidationError):
        SPECS["detect_smoke_fire"].tool.invoke({"camera_id": "C", "images": []})
