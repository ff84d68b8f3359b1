"""Zone intrusion: a person or boat entering a polygon zone over a clip, by classical vision.

Each frame's brightness is matched to the clip's median background (so a lighting change is
not motion); MOG2 background subtraction, started from that median, gives the moving pixels;
frames where most of the picture changed are skipped as a global change. Blobs are tracked
by a nearest-centroid tracker with ids; a track's foot point (bottom centre of its box)
inside a zone for ``min_frames`` consecutive frames raises one event for that track and zone.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Annotated, Literal

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

log = logging.getLogger(__name__)

TIME_BUDGET_MS = 2000.0
MAX_FRAMES = 300
GLOBAL_CHANGE = 0.3
"""A frame with more than this share of moving pixels is a global change, not an intruder."""
MAX_MISSED = 3
ObjectLabel = Literal["person", "boat", "object"]
Point = tuple[Annotated[float, Field(ge=0.0, le=1.0)], Annotated[float, Field(ge=0.0, le=1.0)]]


class Zone(PerceptionModel):
    """A named polygon in normalised image coordinates (x, y in 0..1)."""

    name: str = Field(default="警戒区", min_length=1, max_length=64)
    polygon: list[Point] = Field(min_length=3, max_length=64)


class IntrusionConfig(PerceptionModel):
    """How the clip is read."""

    zones: list[Zone] = Field(min_length=1, max_length=16)
    min_frames: int = Field(default=3, ge=1, le=100, description="在区域内连续多少帧才告警")
    fps: float = Field(default=5.0, gt=0.0, le=120.0)
    min_area_ratio: float = Field(default=0.0008, gt=0.0, le=0.5, description="最小目标面积占比")


class Track(PerceptionModel):
    """A tracked moving object."""

    track_id: int
    label: ObjectLabel
    first_frame: int
    last_frame: int
    bbox: Box = Field(description="last box, pixels")
    points: int = Field(description="frames in which it was seen")


class IntrusionEvent(PerceptionModel):
    """A track that entered a zone."""

    track_id: int
    zone: str
    label: ObjectLabel
    frame: int = Field(description="first frame inside the zone")
    time_s: float
    score: Confidence
    bbox: Box


class IntrusionResult(PerceptionResult):
    """Tracks and entry events over the clip."""

    alarm: bool
    events: list[IntrusionEvent]
    tracks: list[Track]
    skipped_frames: int = Field(description="frames dropped as a global lighting change")


@dataclass
class _Live:
    track_id: int
    centre: tuple[float, float]
    box: Box
    first: int
    last: int
    seen: int = 1
    shapes: list[float] = field(default_factory=list)
    inside: dict[str, int] = field(default_factory=dict)


def _label(shapes: list[float]) -> ObjectLabel:
    ratio = float(np.median(shapes)) if shapes else 1.0
    if ratio >= 1.3:
        return "person"
    return "boat" if ratio <= 0.55 else "object"


def _blobs(mask: np.ndarray, min_area: float) -> list[tuple[tuple[float, float], Box]]:
    count, _, stats, centroids = cv2.connectedComponentsWithStats(mask)
    out = []
    for label in range(1, count):
        if stats[label, cv2.CC_STAT_AREA] >= min_area:
            x, y, w, h = (int(v) for v in stats[label, :4])
            out.append(((float(centroids[label][0]), float(centroids[label][1])),
                        (x, y, x + w, y + h)))
    return out


class _Tracker:
    """Greedy nearest-centroid matching of blobs to live tracks."""

    def __init__(self, reach: float) -> None:
        self.reach = reach
        self.live: list[_Live] = []
        self.done: list[_Live] = []
        self.next_id = 1

    def update(self, frame: int, blobs: list[tuple[tuple[float, float], Box]]) -> list[_Live]:
        pairs = sorted((math.dist(t.centre, c), i, j) for i, t in enumerate(self.live)
                       for j, (c, _) in enumerate(blobs))
        used_t: set[int] = set()
        used_b: set[int] = set()
        for distance, i, j in pairs:
            if distance > self.reach or i in used_t or j in used_b:
                continue
            used_t.add(i)
            used_b.add(j)
            track = self.live[i]
            track.centre, track.box = blobs[j]
            track.last, track.seen = frame, track.seen + 1
        for j, (centre, box) in enumerate(blobs):
            if j not in used_b:
                self.live.append(_Live(self.next_id, centre, box, frame, frame))
                self.next_id += 1
        for track in self.live:
            if track.last == frame:
                x1, y1, x2, y2 = track.box
                track.shapes.append((y2 - y1) / max(1, x2 - x1))
        self.done += [t for t in self.live if frame - t.last > MAX_MISSED]
        self.live = [t for t in self.live if frame - t.last <= MAX_MISSED]
        return [t for t in self.live if t.last == frame]


def _masks(images: list[np.ndarray]) -> tuple[list[np.ndarray | None], int]:
    """Each frame's moving pixels (None for a frame skipped as a global change)."""
    background = np.median(np.stack(images), axis=0).astype(np.uint8)
    reference = float(background.mean())
    subtractor = cv2.createBackgroundSubtractorMOG2(history=max(10, len(images)),
                                                    varThreshold=25, detectShadows=False)
    subtractor.apply(background, learningRate=1.0)
    kernel = np.ones((3, 3), np.uint8)
    masks: list[np.ndarray | None] = []
    skipped = 0
    for image in images:
        gain = reference / max(1.0, float(image.mean()))
        matched = np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)
        moving = (subtractor.apply(matched) > 0).astype(np.uint8)
        if moving.mean() > GLOBAL_CHANGE:
            masks.append(None)
            skipped += 1
            subtractor.apply(matched, learningRate=1.0)
            continue
        moving = cv2.morphologyEx(moving, cv2.MORPH_OPEN, kernel)
        masks.append(cv2.morphologyEx(moving, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8)))
    return masks, skipped


def detect_intrusion(frames: object, config: IntrusionConfig) -> IntrusionResult:
    """Tracks of moving objects over a clip (encoded images or BGR arrays of one size) and an
    event each time one stays in a zone for ``min_frames`` frames, so that a duty officer is
    warned of people or boats entering a water area, a sluice or a plant's perimeter.
    ImageError for input that is not usable images."""
    with budget("intrusion", TIME_BUDGET_MS) as watch:
        images = load_frames(frames, MAX_FRAMES)
        height, width = images[0].shape[:2]
        polygons = {z.name: np.array([(x * width, y * height) for x, y in z.polygon],
                                     np.float32) for z in config.zones}
        masks, skipped = _masks(images)
        tracker = _Tracker(reach=0.15 * math.hypot(width, height))
        events: list[IntrusionEvent] = []
        fired: set[tuple[int, str]] = set()
        min_area = config.min_area_ratio * width * height
        for index, mask in enumerate(masks):
            if mask is None:
                continue
            for track in tracker.update(index, _blobs(mask, min_area)):
                x1, _, x2, y2 = track.box
                foot = ((x1 + x2) / 2.0, float(y2))
                for name, polygon in polygons.items():
                    if cv2.pointPolygonTest(polygon, foot, False) < 0:
                        track.inside.pop(name, None)
                        continue
                    track.inside.setdefault(name, index)
                    streak = index - track.inside[name] + 1
                    if streak >= config.min_frames and (track.track_id, name) not in fired:
                        fired.add((track.track_id, name))
                        score = clip01(0.5 + 0.5 * min(1.0, track.seen / (config.min_frames + 5)))
                        start = track.inside[name]
                        events.append(IntrusionEvent(
                            track_id=track.track_id, zone=name, label=_label(track.shapes),
                            frame=start, time_s=round(start / config.fps, 3), score=score,
                            bbox=track.box))
        every = tracker.done + tracker.live
        tracks = [Track(track_id=t.track_id, label=_label(t.shapes), first_frame=t.first,
                        last_frame=t.last, bbox=t.box, points=t.seen)
                  for t in sorted(every, key=lambda t: t.track_id)]
        log.debug("intrusion: %d tracks, %d events, %d skipped", len(tracks), len(events),
                  skipped)
        usable = len(images) - skipped
        if usable < config.min_frames:
            return IntrusionResult(status="cannot_read", alarm=False, events=[], tracks=tracks,
                                   skipped_frames=skipped, confidence=0.0, elapsed_ms=watch.ms,
                                   message="可用帧数不足（画面整体变化过大），无法判断入侵。")
        confidence = max((e.score for e in events), default=clip01(usable / len(images) * 0.9))
        message = (f"发现 {len(events)} 次进入警戒区：" + "；".join(
            f"目标 {e.track_id}（{e.label}）于第 {e.frame} 帧进入「{e.zone}」" for e in events)
            + "。") if events else f"未发现进入警戒区的目标（跟踪到 {len(tracks)} 个运动目标）。"
        return IntrusionResult(status="ok", alarm=bool(events), events=events, tracks=tracks,
                               skipped_frames=skipped, confidence=confidence,
                               elapsed_ms=watch.ms, message=message)
