"""The gauge renderer and reader: clean images, a small mixed set, night and occlusion, no
gauge in view; the period and waterline helpers on synthetic profiles."""

from __future__ import annotations

import numpy as np
import pytest

from bots.tools.perception.gauge_enhance import enhance
from bots.tools.perception.gauge_render import GaugeConditions, render_gauge
from bots.tools.perception.gauge_scale import period, surface, waterline
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


@pytest.mark.parametrize(("level", "conditions"), [
    (90.0, GaugeConditions(night=True, seed=21)),
    (130.0, GaugeConditions(night=True, seed=21)),
    (40.0, GaugeConditions(night=True, scale="far", angle_deg=-5.0, seed=22)),
])
def test_night_images_read_within_5_cm(level: float, conditions: GaugeConditions) -> None:
    reading = read_water_gauge(render_gauge(level, conditions))
    assert reading.status == "ok"
    assert reading.level_cm == pytest.approx(level, abs=5.0)


@pytest.mark.parametrize(("level", "conditions"), [
    (40.0, GaugeConditions(occlusion="pole", seed=23)),
    (130.0, GaugeConditions(occlusion="pole", seed=23)),
    (90.0, GaugeConditions(occlusion="pole", scale="far", angle_deg=6.0, seed=24)),
])
def test_a_pole_across_the_gauge_still_reads_within_5_cm(level: float,
                                                         conditions: GaugeConditions) -> None:
    reading = read_water_gauge(render_gauge(level, conditions))
    assert reading.status == "ok"
    assert reading.level_cm == pytest.approx(level, abs=5.0)


def test_night_frames_are_denoised_and_day_frames_are_not() -> None:
    night = enhance(render_gauge(80.0, GaugeConditions(night=True, seed=3)))
    day = enhance(render_gauge(80.0, GaugeConditions(lighting="dark", seed=3)))
    assert night.denoised and not day.denoised


def test_the_period_is_the_fundamental_not_a_multiple() -> None:
    rows = np.arange(400)
    square = np.where((rows // 18) % 2 == 0, 1.0, -1.0)  # repeats every 36 rows
    found = period(square, expected=30.0)
    assert found.px == pytest.approx(36.0, abs=0.5) and found.strength > 0.8
    assert period(np.zeros(400), expected=30.0).strength == 0.0


def test_the_waterline_splits_a_partly_hidden_gauge_where_the_water_begins() -> None:
    look = np.concatenate([np.full(120, 0.9), np.full(40, 0.55), np.full(60, 0.9),
                           np.full(100, 0.05)])  # a pole across rows 120..160
    split = waterline(look, 100, 6)
    assert split is not None and split.row == 220 and split.drop > 0.8
    colours = np.vstack([np.tile([120.0, 125.0, 130.0], (220, 1)),
                         np.tile([70.0, 110.0, 150.0], (100, 1))])
    line = surface(colours, 100, 6)
    assert line is not None and line.row == 220 and line.drop > 0.2
