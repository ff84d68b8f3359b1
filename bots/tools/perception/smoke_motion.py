"""Temporal cues of smoke and flame over a short clip from a still camera.

The frames are halved (which also halves the sensor noise) and matched in brightness to the
first by the median ratio of unclipped pixels, so a camera's gain change or a plume covering
part of the view does not read as change. Against the first frame, each later frame splits
its changed pixels into those that turned greyer (something semi-transparent and grey came
in front: chroma did not rise) and those that regained colour (something that was in front
moved away). Smoke is a region of the first kind that grows and whose top rises, with almost
none of the second kind beside it; a drifting cloud leaves as much regained sky behind it as
it covers ahead, and a sun or lamp only changes where the sensor clips. Flame flickers: its
pixels jump by large steps from frame to frame while a sunset, a lamp or a red object stays.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import Field

from bots.tools.perception.common import Box, PerceptionModel

SCALE = 2
MIN_SMOKE_FRAMES = 3
CHANGE_LEVEL = 10.0
GREYER_MAX_RISE = 2.0
COLOUR_BACK_MIN_RISE = 3.0
CLIPPED_LEVEL = 250
FLICKER_LEVEL = 40.0
UPPER_SHARE = 0.2
_CLOSE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


@dataclass(frozen=True)
class Clip:
    """Half-size float frames matched in brightness to the first, the first's chroma, and
    where any frame clips."""

    frames: list[np.ndarray]
    base_chroma: np.ndarray
    clipped: np.ndarray


class SmokeCue(PerceptionModel):
    """What one greyer region did over the clip; sizes are relative to the frame."""

    bbox: Box = Field(description="x1, y1, x2, y2 in full-size pixels")
    area: float = Field(description="share of the frame turned greyer by the last frame")
    growth: float = Field(description="that area over the part already greyer in frame 1")
    rise: float = Field(description="how far its upper edge rose from frame 1 to the last, "
                                    "as a share of the frame height")
    colour_back: float = Field(description="pixels around it that regained colour, per "
                                           "pixel of the region (drift leaves these behind)")


def _chroma(frame: np.ndarray) -> np.ndarray:
    return np.asarray(np.linalg.norm(frame - frame.mean(axis=2, keepdims=True), axis=2))


def _gain(frame: np.ndarray, reference: np.ndarray) -> float:
    """Brightness ratio of ``reference`` to ``frame``: the median over unclipped pixels (one
    in four), which a plume over part of the view does not move."""
    luma, base = frame[::2, ::2].mean(axis=2), reference[::2, ::2].mean(axis=2)
    usable = (luma > 20) & (luma < 240) & (base > 20) & (base < 240)
    if usable.sum() < 0.1 * usable.size:
        return 1.0
    return float(np.median(base[usable] / luma[usable]))


def prepare(frames: list[np.ndarray]) -> Clip:
    """The clip halved and matched in brightness to its first frame, so that later steps
    compare content rather than the camera's gain; also where any frame clips."""
    height, width = frames[0].shape[:2]
    size = (max(1, width // SCALE), max(1, height // SCALE))
    small = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
    clipped = np.zeros(small[0].shape[:2], bool)
    for frame in small:
        clipped |= frame.max(axis=2) >= CLIPPED_LEVEL
    reference = small[0].astype(np.float32)
    matched = [reference] + [f.astype(np.float32) * _gain(f.astype(np.float32), reference)
                             for f in small[1:]]
    return Clip(frames=matched, base_chroma=_chroma(reference), clipped=clipped)


def _greyer(clip: Clip, index: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixels of frame ``index`` that turned greyer than in the first frame, and those that
    regained colour."""
    changed = (np.abs(clip.frames[index] - clip.frames[0]).max(axis=2) > CHANGE_LEVEL)
    changed &= ~clip.clipped
    rise = _chroma(clip.frames[index]) - clip.base_chroma
    return changed & (rise <= GREYER_MAX_RISE), changed & (rise > COLOUR_BACK_MIN_RISE)


def _upper_row(mask: np.ndarray) -> float:
    """The row above which ``UPPER_SHARE`` of the mask's pixels lie: a top edge that still
    moves when the region's true top has left the frame."""
    rows = np.nonzero(mask)[0]
    return float(np.quantile(rows, UPPER_SHARE)) if rows.size else 0.0


def _cue(clip: Clip, region: np.ndarray, stats: np.ndarray, first: np.ndarray,
         greyer: np.ndarray, back: np.ndarray) -> SmokeCue:
    """The cue of one region; regained colour is counted in a band twice as tall as the region
    and three times as wide, where a drifting shape leaves it."""
    height, width = region.shape
    x, y, w, h, area = (int(v) for v in stats)
    band = (slice(max(0, y - h // 2), min(height, y + h + h // 2)),
            slice(max(0, x - w), min(width, x + 2 * w)))
    early, last = first & region, greyer & region
    return SmokeCue(
        bbox=(x * SCALE, y * SCALE, (x + w) * SCALE, (y + h) * SCALE),
        area=area / region.size,
        growth=area / max(1, int(early.sum())),
        rise=(_upper_row(early) - _upper_row(last)) / height if early.any() else 0.0,
        colour_back=float(back[band].sum()) / area)


def smoke_cues(clip: Clip, min_area: float) -> list[SmokeCue]:
    """One cue per region of at least ``min_area`` (fraction of the frame) that turned
    greyer between the first and the last frame."""
    if len(clip.frames) < MIN_SMOKE_FRAMES:
        return []
    last, back = _greyer(clip, len(clip.frames) - 1)
    first, _ = _greyer(clip, 1)
    merged = cv2.morphologyEx(last.astype(np.uint8), cv2.MORPH_CLOSE, _CLOSE)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(merged)
    cues = []
    for label in range(1, count):
        if stats[label, cv2.CC_STAT_AREA] >= min_area * merged.size:
            cues.append(_cue(clip, labels == label, stats[label], first, last, back))
    return cues


def flicker(clip: Clip, bbox: Box) -> float:
    """Share of the pixels in ``bbox`` (full-size pixels) that jump by a large step between
    some two consecutive frames: high for flame, near zero for anything that stays."""
    if len(clip.frames) < 2:
        return 0.0
    x1, y1, x2, y2 = (v // SCALE for v in bbox)
    window = (slice(y1, max(y1 + 1, y2)), slice(x1, max(x1 + 1, x2)))
    jumps = np.zeros(clip.frames[0][window].shape[:2], bool)
    for before, after in zip(clip.frames, clip.frames[1:], strict=False):
        jumps |= np.abs(after[window] - before[window]).max(axis=2) > FLICKER_LEVEL
    return float(jumps.mean())
