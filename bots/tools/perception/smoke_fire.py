"""Detecting flame and smoke in an image or a short clip, by colour rules and temporal cues.

Flame: pixels that are bright, red-dominant and ordered R ≥ G ≥ B (fire colours in RGB, from
deep red to a yellow-white core); a region counts as flame only if it holds both a
yellow-white core and red-orange parts around it and its brightness varies inside, which
rejects a smooth sky, a lamp (all core, no gradient) and red objects (no core). Given two
frames or more it must also flicker (:func:`.smoke_motion.flicker`), which rejects a setting
sun framed by buildings: it has the colours but does not move. Smoke needs at least three
frames: a region that turned greyer than in the first frame, whose top rose and which grew,
with hardly any regained colour beside it (:mod:`.smoke_motion`), which rejects fog (static),
drifting clouds (they uncover as much sky as they cover, and their top stays) and a sun
flaring in the sensor (clipped pixels are left out).
"""

from __future__ import annotations

import logging
from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from bots.tools.perception.common import (
    Box,
    Confidence,
    PerceptionModel,
    PerceptionResult,
    budget,
    clip01,
)
from bots.tools.perception.images import load_frames
from bots.tools.perception.smoke_motion import (
    MIN_SMOKE_FRAMES,
    Clip,
    SmokeCue,
    flicker,
    prepare,
    smoke_cues,
)

log = logging.getLogger(__name__)

TIME_BUDGET_MS = 150.0
MAX_FRAMES = 16
MIN_FLICKER = 0.1
MIN_SMOKE_AREA = 0.004
MIN_SMOKE_RISE = 0.05
MIN_SMOKE_GROWTH = 1.3
MAX_COLOUR_BACK = 0.3
FireLabel = Literal["fire", "smoke", "none"]


class Detection(PerceptionModel):
    """One region seen as flame or smoke."""

    label: Literal["fire", "smoke"]
    score: Confidence
    bbox: Box = Field(description="x1, y1, x2, y2 in pixels of the frame it was seen in "
                                 "(flame: the latest that shows it; smoke: the last)")


class SmokeFireResult(PerceptionResult):
    """What the clip shows: fire wins over smoke, smoke over nothing."""

    label: FireLabel
    alarm: bool = Field(description="whether a detection reaches the threshold")
    detections: list[Detection]
    frames: int


def _fire_regions(frame: np.ndarray, clip: Clip) -> list[Detection]:
    bgr = frame.astype(np.int16)
    blue, green, red = bgr[:, :, 0], bgr[:, :, 1], bgr[:, :, 2]
    rule = (red > 170) & (red >= green) & (green >= blue) & (red - blue >= 35)
    candidate = cv2.morphologyEx(rule.astype(np.uint8), cv2.MORPH_CLOSE,
                                 np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(candidate)
    limit = 0.2 * frame.shape[0] * frame.shape[1]
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    found = []
    for label in range(1, count):
        area = int(stats[label, cv2.CC_STAT_AREA])
        if not 20 <= area <= limit:
            continue
        inside = labels == label
        core = float(((green > 200) & (red > 235))[inside].mean())
        warm = float((green < 150)[inside].mean())
        spread = float(grey[inside].std())
        if not (0.05 <= core <= 0.7 and warm >= 0.1 and spread >= 18):
            continue
        x, y, w, h = (int(v) for v in stats[label, :4])
        bbox = (x, y, x + w, y + h)
        if len(clip.frames) >= 2 and flicker(clip, bbox) < MIN_FLICKER:
            log.debug("fire-coloured region %s does not flicker: left out", bbox)
            continue
        score = clip01(0.5 + 0.25 * min(1.0, area / 300) + 0.25 * min(1.0, spread / 45))
        found.append(Detection(label="fire", score=score, bbox=bbox))
    return found


def _flames(images: list[np.ndarray], clip: Clip) -> list[Detection]:
    """Flame regions of the latest frame that shows any: a camera's gain can dim one frame
    so that the flame's core no longer looks white."""
    for frame in reversed(images):
        found = _fire_regions(frame, clip)
        if found:
            return found
    return []


def _smoke_score(cue: SmokeCue) -> float | None:
    """The score of a greyer region as smoke, or None where it is not smoke: its top must
    rise and it must grow, with little regained colour beside it (a drifting cloud)."""
    if (cue.rise < MIN_SMOKE_RISE or cue.growth < MIN_SMOKE_GROWTH
            or cue.colour_back > MAX_COLOUR_BACK):
        return None
    return clip01(0.4 + 0.25 * min(1.0, cue.rise / 0.15) + 0.2 * min(1.0, cue.area / 0.05)
                  + 0.15 * (1.0 - cue.colour_back / MAX_COLOUR_BACK))


def _smoke_regions(clip: Clip) -> list[Detection]:
    found = []
    for cue in smoke_cues(clip, MIN_SMOKE_AREA):
        score = _smoke_score(cue)
        log.debug("greyer region %s: %s", cue, "smoke" if score is not None else "not smoke")
        if score is not None:
            found.append(Detection(label="smoke", score=score, bbox=cue.bbox))
    return found


def detect_smoke_fire(frames: object, threshold: float = 0.5) -> SmokeFireResult:
    """Flame and smoke in one image or a short clip (1..16 frames of one size, as encoded
    bytes or BGR arrays), with boxes, a label and whether to raise the alarm at
    ``threshold``, so that a camera can warn of a fire before someone calls it in; smoke
    needs three frames or more. ImageError for input that is not usable images."""
    if not 0.0 <= threshold <= 1.0:
        raise ValueError("阈值应在 0 到 1 之间")
    with budget("smoke/fire", TIME_BUDGET_MS) as watch:
        images = load_frames(frames, MAX_FRAMES)
        if float(images[-1].mean()) < 8.0:
            return SmokeFireResult(status="cannot_read", label="none", alarm=False,
                                   detections=[], frames=len(images), confidence=0.0,
                                   elapsed_ms=watch.ms, message="画面过暗，无法判断有无烟火。")
        clip = prepare(images)
        detections = sorted(_flames(images, clip) + _smoke_regions(clip),
                            key=lambda d: d.score, reverse=True)
        fire = [d for d in detections if d.label == "fire"]
        label: FireLabel = "fire" if fire else ("smoke" if detections else "none")
        top = max((d.score for d in detections), default=0.0)
        alarm = top >= threshold
        log.debug("smoke/fire: %d detections, label %s", len(detections), label)
        if label == "none":
            note = "（单帧无法判断烟雾，需 3 帧以上）" if len(images) < MIN_SMOKE_FRAMES else ""
            message = f"未发现明火或烟雾{note}。"
            confidence = 0.8 if len(images) >= MIN_SMOKE_FRAMES else 0.6
        else:
            name = "明火" if label == "fire" else "烟雾"
            message = f"发现{name}（{len(detections)} 处，最高置信度 {top:.2f}）" + (
                "，建议告警。" if alarm else "，未达告警阈值。")
            confidence = top
        return SmokeFireResult(status="ok", label=label, alarm=alarm, detections=detections,
                               frames=len(images), confidence=clip01(confidence),
                               elapsed_ms=watch.ms, message=message)
