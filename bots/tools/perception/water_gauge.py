"""Reading the water level off a staff gauge (水尺) in a camera image, by classical vision.

The gauge's coloured marks (red or blue E-marks and numbers) are found by colour after the
image's brightness is normalised; their largest tall connected region is the gauge, whose
tilt (principal axis) is undone by a rotation. Along the upright gauge, the marks repeat
every 10 cm: the autocorrelation of the marks' row profile gives the period in pixels, hence
pixels per centimetre (refined over several periods). The waterline is where the gauge's
white-and-marks rows stop and the water begins. The level is the gauge's top reading minus
the length above water. When no gauge, no top or no waterline is in view, the answer is
``cannot_read`` rather than an exception.
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
from bots.tools.perception.images import load_image

log = logging.getLogger(__name__)

TIME_BUDGET_MS = 200.0
MIN_GAUGE_PX = 40
MIN_PERIOD_STRENGTH = 0.2
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
    gauge_box: Box | None = Field(default=None, description="水尺标记区域（旋转校正后的坐标）")


@dataclass(frozen=True)
class _Upright:
    """The gauge turned upright: the normalised image, its masks and the marks' box."""

    marks: np.ndarray
    white: np.ndarray
    box: Box
    angle_deg: float


def _normalise(image: np.ndarray) -> np.ndarray:
    """Brightness stretched so the brightest pixels are near white; dark and night frames
    get their gauge back, bright ones stay."""
    value = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)[:, :, 2]
    gain = min(6.0, max(1.0, 225.0 / max(1.0, float(np.percentile(value, 99.5)))))
    stretched = np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return np.asarray(cv2.medianBlur(stretched, 3))


def _masks(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gauge's coloured marks (saturated red or blue) and its white background."""
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    hue, sat, val = hsv[:, :, 0], hsv[:, :, 1], hsv[:, :, 2]
    coloured = (sat > 80) & (val > 50) & ((hue <= 10) | (hue >= 165) | ((hue >= 100) & (
        hue <= 130)))
    white = (sat < 60) & (val > 150)
    return coloured.astype(np.uint8), white.astype(np.uint8)


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


def _upright(image: np.ndarray) -> _Upright | None:
    """The gauge turned upright about its centre, or None when no gauge-like region exists."""
    region = _largest_tall_region(_masks(image)[0])
    if region is None:
        return None
    ys, xs = np.nonzero(region)
    points = np.stack([xs, ys]).astype(np.float64)
    centre = points.mean(axis=1)
    _, vectors = np.linalg.eigh(np.cov(points))
    dx, dy = vectors[:, -1]
    if dy < 0:
        dx, dy = -dx, -dy
    angle = -math.degrees(math.atan2(dx, dy))
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, 1.0)
    turned = cv2.warpAffine(image, matrix, (image.shape[1], image.shape[0]),
                            flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    marks, white = _masks(turned)
    upright = _largest_tall_region(marks)
    if upright is None:
        return None
    ys, xs = np.nonzero(upright)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    return _Upright(marks, white, box, round(-angle, 2))


def _period_px(profile: np.ndarray, expected: float) -> tuple[float, float]:
    """The marks' repeat in pixels near ``expected`` and its normalised autocorrelation
    (0..1, how clearly the profile repeats): the autocorrelation's peak, refined to the
    periodogram's peak over the whole profile."""
    centred = profile - profile.mean()
    energy = float(centred @ centred)
    low, high = max(2, int(expected * 0.6)), min(len(profile) // 2, int(expected * 1.6) + 1)
    if energy <= 1e-9 or high <= low:
        return 0.0, 0.0
    acf = np.correlate(centred, centred, mode="full")[len(centred) - 1:] / energy
    lag = low + int(np.argmax(acf[low:high]))
    candidates = np.linspace(lag * 0.85, lag * 1.15, 301)
    phases = np.exp(-2j * np.pi * np.outer(1.0 / candidates, np.arange(len(centred))))
    return float(candidates[int(np.argmax(np.abs(phases @ centred)))]), float(acf[lag])


def _waterline(gauge_rows: np.ndarray, start: int, run: int) -> int | None:
    """The first row at or after ``start`` from which the gauge's look (the share of white
    or marked pixels) stays low for ``run`` rows; None when it never does."""
    smooth = np.convolve(gauge_rows, np.ones(3) / 3, mode="same")
    low = smooth < 0.45
    for row in range(start, len(low) - run + 1):
        if low[row:row + run].all():
            return row
    return None


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
        upright = _upright(_normalise(load_image(image)))
        if upright is None:
            return _cannot("画面中未找到水尺，无法读数。", watch.ms)
        x1, y1, x2, y2 = upright.box
        if y1 <= 2:
            return _cannot("水尺顶端不在画面内，无法读数。", watch.ms)
        width = x2 - x1
        edge = max(2, round(0.2 * width))
        profile = (upright.marks[y1:y2, x1:x1 + edge].mean(axis=1)
                   + upright.marks[y1:y2, x2 - edge:x2].mean(axis=1)).astype(np.float64)
        period, strength = _period_px(profile, spec.period_cm * width / spec.width_cm)
        if strength < MIN_PERIOD_STRENGTH or period <= 0:
            return _cannot("未能识别水尺刻度，无法读数。", watch.ms)
        px_per_cm = period / spec.period_cm
        strip = (upright.marks[:, x1:x2] | upright.white[:, x1:x2]).mean(axis=1)
        run = max(3, round(2.0 * px_per_cm))
        water_y = _waterline(strip, max(y1, y2 - 3), run)
        if water_y is None:
            return _cannot("画面中未见水面与水尺的交界，无法读数。", watch.ms)
        level = spec.top_cm - (water_y - y1) / px_per_cm
        span = max(2, round(5 * px_per_cm))
        contrast = float(strip[max(y1, water_y - span):water_y].mean()
                         - strip[water_y:water_y + span].mean())
        agreement = 1.0 - abs(px_per_cm / (width / spec.width_cm) - 1.0)
        confidence = clip01(min(1.0, strength / 0.6) * min(1.0, contrast / 0.6)
                            * max(0.0, agreement))
        log.debug("gauge: period %.2f px, strength %.2f, waterline %d", period, strength, water_y)
        if confidence < MIN_CONFIDENCE:
            return _cannot(f"水尺刻度或水面交界不清晰（置信度 {confidence:.2f}），读数不可靠。",
                           watch.ms)
        return GaugeReading(
            status="ok", level_cm=round(level, 1), px_per_cm=round(px_per_cm, 3),
            angle_deg=upright.angle_deg, gauge_box=(x1, y1, x2, water_y),
            confidence=confidence, elapsed_ms=watch.ms,
            message=f"水尺读数约 {level:.0f} 厘米（置信度 {confidence:.2f}）。")
