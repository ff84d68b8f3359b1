"""The perception engines on seeded rendered sets.

Run with ``pytest tests/bench/test_perception.py -s -o addopts=""``. Water gauge: 240 images
at random levels under random conditions (angle, lighting, water, glare, occlusion, night,
scale): MAE (cm) of the readings given and failure rate ("cannot read" or off by > 10 cm),
overall and per condition. Smoke and fire: 240 four-frame clips (half with flame and/or
smoke, half negatives, many of them hard: sunset, red objects, fog, clouds, lights at night):
precision and recall per class. Intrusion: 200 clips (entering, passing by, lighting
changes): event precision and recall. Times per image or clip, p50/p95. Prints one JSON
object and writes ``var/bench/perception.json``; asserts only loose floors.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from bots.tools.perception.gauge_render import GaugeConditions, level_range, render_gauge
from bots.tools.perception.intrusion import IntrusionConfig, Zone, detect_intrusion
from bots.tools.perception.intrusion_render import ZONE, ClipSpec, render_sequence
from bots.tools.perception.scene_render import SceneSpec, render_clip
from bots.tools.perception.smoke_fire import detect_smoke_fire
from bots.tools.perception.water_gauge import read_water_gauge
from tests.bench.timing import latency_figures

OUT = Path("var/bench/perception.json")
GAUGE_IMAGES, FIRE_CLIPS, INTRUSION_CLIPS = 240, 240, 200


def _gauge_conditions(rng: random.Random, seed: int) -> GaugeConditions:
    return GaugeConditions(
        angle_deg=rng.uniform(-10, 10), lighting=rng.choice(["normal", "dark", "bright"]),
        water=rng.choice(["muddy", "clear", "dark"]), glare=rng.random() < 0.3,
        occlusion=rng.choice(["none", "none", "pole", "leaves"]), night=rng.random() < 0.2,
        scale=rng.choice(["near", "far"]), seed=seed)


def _tags(c: GaugeConditions) -> list[str]:
    tilt = "tilt>5" if abs(c.angle_deg) > 5 else "tilt<=5"
    return [tilt, f"lighting={c.lighting}", f"water={c.water}", f"glare={c.glare}",
            f"occlusion={c.occlusion}", f"night={c.night}", f"scale={c.scale}"]


def _gauge_figures(rows: list[tuple[float | None, float]]) -> dict[str, Any]:
    errors = [abs(read - truth) for read, truth in rows if read is not None]
    failed = sum(1 for read, truth in rows if read is None or abs(read - truth) > 10)
    return {"n": len(rows), "read": len(errors),
            "mae_cm": round(statistics.mean(errors), 2) if errors else None,
            "failure_rate": round(failed / len(rows), 3)}


def _gauge() -> dict[str, Any]:
    rng = random.Random(7)
    rows: list[tuple[float | None, float]] = []
    by_tag: dict[str, list[tuple[float | None, float]]] = defaultdict(list)
    times = []
    for seed in range(GAUGE_IMAGES):
        conditions = _gauge_conditions(rng, seed)
        level = rng.uniform(*level_range(conditions.scale))
        image = render_gauge(level, conditions)
        started = time.perf_counter()
        reading = read_water_gauge(image)
        times.append(time.perf_counter() - started)
        rows.append((reading.level_cm, level))
        for tag in _tags(conditions):
            by_tag[tag].append((reading.level_cm, level))
    return {"overall": _gauge_figures(rows),
            "per_condition": {tag: _gauge_figures(r) for tag, r in sorted(by_tag.items())},
            "time_per_image": latency_figures(times)}


def _precision_recall(pairs: list[tuple[str, str]], label: str) -> dict[str, float]:
    tp = sum(1 for truth, got in pairs if truth == label and got == label)
    predicted = sum(1 for _, got in pairs if got == label)
    actual = sum(1 for truth, _ in pairs if truth == label)
    return {"precision": round(tp / predicted, 3) if predicted else 0.0,
            "recall": round(tp / actual, 3) if actual else 0.0, "support": actual}


def _smoke_fire() -> dict[str, Any]:
    rng = random.Random(11)
    pairs: list[tuple[str, str]] = []
    negatives: dict[str, list[bool]] = defaultdict(list)
    times = []
    for seed in range(FIRE_CLIPS):
        scene = rng.choice(["sky", "forest", "reservoir", "buildings"])
        if seed % 2 == 0:
            spec = SceneSpec(scene=scene, event=rng.choice(["fire", "smoke", "fire_smoke"]),
                             seed=seed)
        else:
            spec = SceneSpec(scene=scene, negative=rng.choice(
                ["none", "sunset", "red_objects", "fog", "clouds", "night_lights"]), seed=seed)
        frames = render_clip(spec)
        started = time.perf_counter()
        result = detect_smoke_fire(frames)
        times.append(time.perf_counter() - started)
        truth = "fire" if "fire" in spec.event else spec.event
        pairs.append((truth, result.label))
        if truth == "none":
            negatives[spec.negative].append(result.label != "none")
    alarm = [("alarm" if t != "none" else "-", "alarm" if g != "none" else "-")
             for t, g in pairs]
    return {"n": len(pairs), "fire": _precision_recall(pairs, "fire"),
            "smoke": _precision_recall(pairs, "smoke"),
            "any_alarm": _precision_recall(alarm, "alarm"),
            "false_alarm_rate_per_negative": {k: round(sum(v) / len(v), 3)
                                              for k, v in sorted(negatives.items())},
            "time_per_clip_4_frames": latency_figures(times)}


def _intrusion() -> dict[str, Any]:
    rng = random.Random(13)
    config = IntrusionConfig(zones=[Zone(polygon=ZONE)])
    tp = fp = fn = 0
    times = []
    for seed in range(INTRUSION_CLIPS):
        spec = ClipSpec(with_object=rng.random() < 0.8, enters=rng.random() < 0.5,
                        kind=rng.choice(["person", "boat"]),
                        lighting=rng.choice(["steady", "steady", "step", "ramp"]), seed=seed)
        frames, entry = render_sequence(spec)
        started = time.perf_counter()
        result = detect_intrusion(frames, config)
        times.append(time.perf_counter() - started)
        matched = [e for e in result.events if entry is not None and abs(e.frame - entry) <= 3]
        hit = 1 if matched else 0
        tp += hit
        fn += 1 if entry is not None and not hit else 0
        fp += len(result.events) - hit
    return {"n": INTRUSION_CLIPS, "events_true": tp + fn, "tp": tp, "fp": fp, "fn": fn,
            "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 3) if tp + fn else 0.0,
            "time_per_clip_24_frames": latency_figures(times)}


def test_perception_engines_on_rendered_sets() -> None:
    report = {"water_gauge": _gauge(), "smoke_fire": _smoke_fire(), "intrusion": _intrusion()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=2))
    assert report["water_gauge"]["overall"]["read"] > 0
    assert report["smoke_fire"]["fire"]["recall"] > 0.5
    assert report["intrusion"]["recall"] > 0.5
