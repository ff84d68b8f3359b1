"""Reading the water level off a staff gauge (水尺) in a camera image, by classical vision.

The frame is denoised when it is noisy for its brightness (night, under an IR illuminator or
a street light) and stretched (``gauge_enhance``). The gauge's coloured marks (red or blue
E-marks and numbers) are found by opponent colour; their largest tall group is the gauge,
whose tilt (principal axis) is undone by a shear, which keeps the water level in the rows.
The E-marks alternate sides every ``period_cm``, so the left-less-right profile of the marks
repeats every two periods: its autocorrelation gives pixels per centimetre over the whole
visible gauge (``gauge_scale``), and marks of the gauge cut off by a pole or leaves are
joined back within one and a half periods. The waterline is where the gauge's column stops
looking like the gauge, looked for near the level line where the surroundings turn from bank
to water. The level is the gauge's top reading minus the length above water. When no gauge,
no top or no waterline is in view, or marks above the gauge's top suggest it is hidden, the
answer is ``cannot_read`` rather than an exception or a guess.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import Field

from bots.tools.perception.common import (
    Box,
    PerceptionModel,
    PerceptionResult,
    budget,
    clip01,
)
from bots.tools.perception.gauge_enhance import enhance, masks
from bots.tools.perception.gauge_scale import Split, period, surface, waterline
from bots.tools.perception.images import load_image

log = logging.getLogger(__name__)

TIME_BUDGET_MS = 200.0
MIN_GAUGE_PX = 40
MIN_PERIOD_STRENGTH = 0.2
MIN_SURFACE_CHANGE = 0.08
"""A change of the surroundings' colour (0..1) below this is no evidence of a waterline."""
MIN_CONFIDENCE = 0.3
"""Below this a reading is more often wrong than right: answered as cannot_read."""


class GaugeSpec(PerceptionModel):
    """What is known of the installed gauge (from its WaterGauge node)."""

    top_cm: float = Field(default=200.0, gt=0.0, le=5000.0, description="水尺顶端读数（厘米）")
    width_cm: float = Field(default=12.0, gt=0.0, le=100.0, description="水尺宽度（厘米）")
    period_cm: float = Field(default=10.0, gt=0.0, le=100.0, description="E 字刻度周期（厘米）")


class GaugeReading(PerceptionResult):
    """The level read, or why it could not be."""

    level_cm: float | None = Field(default=None, description="水位（厘米），无法读数时为空")
    px_per_cm: float | None = None
    angle_deg: float | None = Field(default=None, description="水尺在画面中的倾角")
    gauge_box: Box | None = Field(default=None, description="水尺标记区域（倾斜校正后的坐标）")


@dataclass(frozen=True)
class _Upright:
    """The gauge made vertical by a shear (rows stay rows, so the water stays level): the
    sheared frame, its marks and white masks, the main group of marks' box, and the tilt."""

    image: np.ndarray
    marks: np.ndarray
    white: np.ndarray
    box: Box
    angle_deg: float


def _largest_tall_region(marks: np.ndarray) -> np.ndarray | None:
    """The marks of the largest group (marks joined by a dilation, since the E-marks
    alternate sides) that is tall and narrow like a gauge; None when there is none."""
    grouped = cv2.dilate(marks, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 13)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(grouped, connectivity=8)
    best, best_area = 0, 0
    for label in range(1, count):
        width, height, area = (stats[label, cv2.CC_STAT_WIDTH], stats[label, cv2.CC_STAT_HEIGHT],
                               stats[label, cv2.CC_STAT_AREA])
        if height >= MIN_GAUGE_PX and height >= 2 * width and area > best_area:
            best, best_area = label, int(area)
    return None if best == 0 else np.asarray((labels == best) & (marks > 0))


def _shear(region: np.ndarray) -> np.ndarray:
    """The 2×3 shear that makes the region's principal axis vertical about its centre."""
    ys, xs = np.nonzero(region)
    points = np.stack([xs, ys]).astype(np.float64)
    centre_y = float(points[1].mean())
    _, vectors = np.linalg.eigh(np.cov(points))
    dx, dy = vectors[:, -1]
    slope = float(dx / dy) if abs(dy) > 1e-9 else 0.0
    return np.array([[1.0, -slope, slope * centre_y], [0.0, 1.0, 0.0]])


def _upright(image: np.ndarray) -> _Upright | None:
    """The gauge sheared upright, or None when no gauge-like region exists."""
    marks, white = masks(image)
    region = _largest_tall_region(marks)
    if region is None:
        return None
    matrix = _shear(region)
    size = (image.shape[1], image.shape[0])
    marks, white = (np.asarray(cv2.warpAffine(mask, matrix, size, flags=cv2.INTER_NEAREST))
                    for mask in (marks, white))
    upright = _largest_tall_region(marks)
    if upright is None:
        return None
    ys, xs = np.nonzero(upright)
    sheared = np.asarray(cv2.warpAffine(image, matrix, size, flags=cv2.INTER_LINEAR,
                                        borderMode=cv2.BORDER_REPLICATE))
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    return _Upright(sheared, marks, white, box, round(math.degrees(math.atan(-matrix[0, 1])), 2))


def _rows_spanned(marks: np.ndarray, rows: tuple[int, int], max_gap: int) -> tuple[int, int]:
    """The main group's rows extended up and down over marks in the gauge's columns that are
    less than ``max_gap`` rows apart: a pole or leaves that cut the gauge in two do not cut
    off its top or its lowest marks."""
    marked = np.flatnonzero(marks.any(axis=1))
    top, bottom = rows
    for row in marked[::-1]:
        if top - max_gap <= row < top:
            top = int(row)
    for row in marked:
        if bottom <= row <= bottom + max_gap:
            bottom = int(row) + 1
    return top, bottom


def _surroundings(image: np.ndarray, x1: int, x2: int) -> np.ndarray | None:
    """Each row's mean colour beside the gauge (up to four widths either side, off its edge),
    where the bank gives way to the water in a level line; None without room for it."""
    width = x2 - x1
    left = image[:, max(0, x1 - 4 * width):max(0, x1 - width // 2)]
    right = image[:, x2 + width // 2:x2 + 4 * width]
    beside = np.concatenate([left, right], axis=1).astype(np.float64)
    return None if beside.shape[1] < width else np.asarray(beside.mean(axis=1))


def _sides(marks: np.ndarray) -> np.ndarray:
    """Each row's marks on the gauge's left half less those on its right half: the E-marks
    alternate sides, so this repeats every two periods as a strong square wave that a
    hidden edge or a few leaves only weaken (the rows' totals barely repeat at all)."""
    middle = marks.shape[1] // 2
    return np.asarray(marks[:, :middle].mean(axis=1) - marks[:, middle:].mean(axis=1))


def _agreement(px_per_cm: float, width_px: int, spec: GaugeSpec) -> float:
    """How well the scale from the marks' period fits the gauge's width in pixels (1: within
    a fifth; falling to 0 at a factor of two): a pole may hide part of the width, so a
    narrower gauge is tolerated more than a wider one."""
    ratio = px_per_cm / (width_px / spec.width_cm)
    if ratio < 1.0:
        return clip01(1.0 - max(0.0, 0.8 - ratio) / 0.3)
    return clip01(1.0 - max(0.0, ratio - 1.25) / 0.75)


def _waterline(upright: _Upright, box: Box, px_per_cm: float) -> Split | None:
    """Where the gauge's column stops looking like the gauge (white face or marks), checked
    against the level line where the surroundings turn from bank to water: when the
    surroundings show a clear line, the gauge's end is looked for near it only (a pole across
    the gauge then cannot pass for the water), and a gauge that ends far from it is not read.
    The row is in frame coordinates; None when no waterline is found."""
    x1, y1, x2, y2 = box
    span = max(3, round(3.0 * px_per_cm))
    look = (upright.marks[y1:, x1:x2] | upright.white[y1:, x1:x2]).mean(axis=1)
    colours = _surroundings(upright.image, x1, x2)
    line = None if colours is None else surface(colours[y1:], y2 - y1 - 2, span)
    if line is None or line.drop < MIN_SURFACE_CHANGE:
        split = waterline(look, y2 - y1 - 2, span)
    else:
        tolerance = max(3, round(2.0 * px_per_cm))
        near = look[:line.row + tolerance + span]
        split = waterline(near, max(y2 - y1 - 2, line.row - tolerance), span)
    return None if split is None else Split(y1 + split.row, split.drop)


def _cannot(message: str, elapsed_ms: float) -> GaugeReading:
    return GaugeReading(status="cannot_read", confidence=0.0, elapsed_ms=elapsed_ms,
                        message=message)


def read_water_gauge(image: object, gauge: GaugeSpec | None = None) -> GaugeReading:
    """The water level (cm) on the staff gauge in ``image`` (encoded bytes or a BGR array),
    so that a duty officer gets a number from a camera instead of a person on the bank;
    ``cannot_read`` when no readable gauge, its top or the waterline is not in view, and
    ImageError for input that is not a usable image."""
    spec = gauge or GaugeSpec()
    with budget("water gauge", TIME_BUDGET_MS) as watch:
        upright = _upright(enhance(load_image(image)).image)
        if upright is None:
            return _cannot("画面中未找到水尺，无法读数。", watch.ms)
        x1, y1, x2, y2 = upright.box
        width = x2 - x1
        repeat = period(_sides(upright.marks[y1:y2, x1:x2]),
                        2.0 * spec.period_cm * width / spec.width_cm)
        if repeat.strength < MIN_PERIOD_STRENGTH or repeat.px <= 0:
            return _cannot("未能识别水尺刻度，无法读数。", watch.ms)
        px_per_cm = repeat.px / (2.0 * spec.period_cm)
        pad = max(2, width // 4)
        band = upright.marks[:, max(0, x1 - pad):x2 + pad]
        y1, y2 = _rows_spanned(band, (y1, y2), round(1.6 * spec.period_cm * px_per_cm))
        if y1 <= 2:
            return _cannot("水尺顶端不在画面内，无法读数。", watch.ms)
        if band[max(0, y1 - round(4 * spec.period_cm * px_per_cm)):y1].any(axis=1).mean() > 0.1:
            return _cannot("水尺上部被遮挡，顶端不可辨，无法读数。", watch.ms)
        water = _waterline(upright, (x1, y1, x2, y2), px_per_cm)
        if water is None:
            return _cannot("画面中未见水面与水尺的交界，无法读数。", watch.ms)
        level = spec.top_cm - (water.row - y1) / px_per_cm
        confidence = clip01(min(1.0, repeat.strength / 0.6) * min(1.0, water.drop / 0.6)
                            * _agreement(px_per_cm, width, spec))
        log.debug("gauge: period %.2f px, strength %.2f, waterline %d", repeat.px,
                  repeat.strength, water.row)
        if confidence < MIN_CONFIDENCE or not 0.0 <= level <= spec.top_cm:
            return _cannot(f"水尺刻度或水面交界不清晰（置信度 {confidence:.2f}），读数不可靠。",
                           watch.ms)
        return GaugeReading(
            status="ok", level_cm=round(level, 1), px_per_cm=round(px_per_cm, 3),
            angle_deg=upright.angle_deg, gauge_box=(x1, y1, x2, water.row),
            confidence=confidence, elapsed_ms=watch.ms,
            message=f"水尺读数约 {level:.0f} 厘米（置信度 {confidence:.2f}）。")
