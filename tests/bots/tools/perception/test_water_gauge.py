"""The gauge renderer and reader: clean images, a small mixed set, no gauge in view."""

from __future__ import annotations

import numpy as np
import pytest

from bots.tools.perception.gauge_render import GaugeConditions, render_gauge
from bots.tools.perception.water_gauge import read_water_gauge


@pytest.mark.parametrize("level", [25.0, 70.0, 110.0, 150.0])
def test_clean_images_read_within_a_few_cm(level: float) -> None:
    reading = read_water_gauge(render_gauge(level, GaugeConditions(seed=int(level))))
    assert reading.status == "ok"
    assert reading.level_cm == pytest.approx(level, abs=4.0)
    assert 0.3 <= reading.confidence <= 1.0 and reading.elapsed_ms > 0
    assert "厘米" in reading.message


@pytest.mark.parametrize("conditions", [
    GaugeConditions(angle_deg=8.0, seed=11),
    GaugeConditions(angle_deg=-6.0, lighting="dark", water="clear", seed=12),
    GaugeConditions(scale="far", water="dark", seed=13),
    GaugeConditions(lighting="bright", occlusion="leaves", seed=14),
])
def test_a_mixed_set_reads_or_says_it_cannot(conditions: GaugeConditions) -> None:
    reading = read_water_gauge(render_gauge(80.0, conditions))
    if reading.status == "ok":
        assert reading.level_cm == pytest.approx(80.0, abs=6.0)
    else:
        assert reading.level_cm is None
        assert "无法" in reading.message or "不可靠" in reading.message


def test_a_picture_without_a_gauge_cannot_be_read() -> None:
    rng = np.random.default_rng(0)
    scene = rng.integers(60, 120, (480, 320, 3), dtype=np.uint8)
    reading = read_water_gauge(scene)
    assert reading.status == "cannot_read"
    assert reading.level_cm is None and reading.confidence == 0.0
    assert "无法读数" in reading.message


def test_the_renderer_refuses_a_level_out_of_frame() -> None:
    with pytest.raises(ValueError, match="超出"):
        render_gauge(199.0)
