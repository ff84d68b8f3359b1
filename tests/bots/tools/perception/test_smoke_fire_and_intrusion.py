"""Smoke and fire on rendered clips (flame, smoke, sunset); intrusion in and beside a zone."""

from __future__ import annotations

from bots.tools.perception.intrusion import IntrusionConfig, Zone, detect_intrusion
from bots.tools.perception.intrusion_render import ZONE, ClipSpec, render_sequence
from bots.tools.perception.scene_render import SceneSpec, render_clip
from bots.tools.perception.smoke_fire import detect_smoke_fire

CONFIG = IntrusionConfig(zones=[Zone(name="水域", polygon=ZONE)])


def test_a_rendered_flame_is_fire_even_in_one_frame() -> None:
    result = detect_smoke_fire(render_clip(SceneSpec(event="fire", frames=1, seed=3))[0])
    assert result.label == "fire" and result.alarm
    x1, y1, x2, y2 = result.detections[0].bbox
    assert x2 > x1 and y2 > y1 and result.detections[0].score >= 0.5


def test_a_growing_plume_is_smoke() -> None:
    result = detect_smoke_fire(render_clip(SceneSpec(scene="reservoir", event="smoke", seed=0)))
    assert result.label == "smoke" and result.detections[0].label == "smoke"


def test_a_sunset_fog_and_red_objects_are_not_fire() -> None:
    for negative in ("sunset", "fog", "red_objects"):
        result = detect_smoke_fire(render_clip(SceneSpec(negative=negative, seed=2)))
        assert result.label == "none" and not result.alarm, negative


def test_one_event_for_a_blob_entering_the_zone() -> None:
    frames, entry = render_sequence(ClipSpec(enters=True, seed=4))
    result = detect_intrusion(frames, CONFIG)
    assert result.alarm and len(result.events) == 1
    event = result.events[0]
    assert event.zone == "水域" and entry is not None and abs(event.frame - entry) <= 2
    assert event.track_id in {t.track_id for t in result.tracks}


def test_no_event_for_a_blob_passing_by_or_a_lighting_change() -> None:
    frames, _ = render_sequence(ClipSpec(enters=False, kind="boat", seed=5))
    assert detect_intrusion(frames, CONFIG).events == []
    frames, _ = render_sequence(ClipSpec(with_object=False, lighting="step", seed=6))
    result = detect_intrusion(frames, CONFIG)
    assert result.events == [] and not result.alarm
