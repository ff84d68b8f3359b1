"""Temporal cues of smoke and flame (rise, growth, regained colour, flicker) on rendered clips
with fixed seeds, and the hard cases they settle: clouds, a sunset between buildings, smoke
over grey ground, a camera's gain change, a dimmed last frame."""

from __future__ import annotations

import numpy as np

from bots.tools.perception.scene_render import SceneSpec, render_clip
from bots.tools.perception.smoke_fire import MIN_SMOKE_AREA, _fire_regions, detect_smoke_fire
from bots.tools.perception.smoke_motion import flicker, prepare, smoke_cues


def _largest_cue(spec: SceneSpec) -> tuple[float, float, float]:
    cues = smoke_cues(prepare(render_clip(spec)), MIN_SMOKE_AREA)
    cue = max(cues, key=lambda c: c.area)
    return cue.rise, cue.growth, cue.colour_back


def test_a_plume_rises_and_grows_with_no_colour_coming_back() -> None:
    rise, growth, colour_back = _largest_cue(SceneSpec(scene="forest", event="smoke", seed=14))
    assert rise > 0.05 and growth > 1.3 and colour_back < 0.1


def test_drifting_clouds_do_not_rise_and_are_not_smoke() -> None:
    for seed in (11, 21, 41, 51, 85):
        spec = SceneSpec(scene="forest", negative="clouds", seed=seed)
        cues = smoke_cues(prepare(render_clip(spec)), MIN_SMOKE_AREA)
        assert all(c.rise < 0.05 for c in cues), seed
        assert detect_smoke_fire(render_clip(spec)).label == "none", seed


def test_smoke_over_grey_buildings_and_open_sky_is_found() -> None:
    for scene, seed in (("buildings", 100036), ("buildings", 100058), ("sky", 100006)):
        result = detect_smoke_fire(render_clip(SceneSpec(scene=scene, event="smoke", seed=seed)))
        assert result.label == "smoke" and result.alarm, (scene, seed)


def test_a_sun_between_buildings_has_flame_colours_but_does_not_flicker() -> None:
    frames = render_clip(SceneSpec(scene="buildings", negative="sunset", seed=100015))
    assert _fire_regions(frames[-1], prepare(frames[-1:])), "one frame alone looks like flame"
    result = detect_smoke_fire(frames)
    assert result.label == "none" and not result.alarm


def test_flame_flickers_and_a_still_scene_does_not() -> None:
    frames = render_clip(SceneSpec(scene="forest", event="fire", seed=8))
    clip = prepare(frames)
    box = _fire_regions(frames[-1], clip)[0].bbox
    assert flicker(clip, box) > 0.3
    still = render_clip(SceneSpec(scene="forest", negative="red_objects", seed=8))
    assert flicker(prepare(still), (0, 0, 320, 240)) < 0.01


def test_a_gain_change_alone_is_nothing() -> None:
    frames = render_clip(SceneSpec(scene="reservoir", seed=5))
    brighter = [np.clip(f.astype(np.float32) * g, 0, 255).astype(np.uint8)
                for f, g in zip(frames, (1.0, 1.08, 1.15, 0.9), strict=True)]
    assert detect_smoke_fire(brighter).label == "none"


def test_flame_is_found_when_the_last_frame_is_dimmed() -> None:
    frames = render_clip(SceneSpec(scene="sky", event="fire_smoke", seed=200214))
    assert not _fire_regions(frames[-1], prepare(frames)), "the last frame alone misses it"
    result = detect_smoke_fire(frames)
    assert result.label == "fire" and result.alarm


def test_two_frames_give_no_smoke_cues() -> None:
    frames = render_clip(SceneSpec(scene="forest", event="smoke", seed=14))[:2]
    assert smoke_cues(prepare(frames), MIN_SMOKE_AREA) == []
    assert detect_smoke_fire(frames).label == "none"
