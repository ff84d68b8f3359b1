"""A renderer of staff gauges (水尺) at a known water level, for tests and benchmarks.

The gauge is the usual Chinese E-pattern staff, 12 cm wide, white with a red E every 10 cm
(blue in odd metres) on alternating sides and the decimetre's number beside it; its top is
at ``GAUGE_TOP_CM``. It is drawn upright, rotated by the camera's angle, placed on a concrete
bank, and the water (horizontal, whatever the gauge's tilt) covers it from the point where
the gauge reads ``level_cm``. Conditions add lighting, water colour, glare, occluders, night
and scale.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from bots.tools.perception.common import PerceptionModel
from bots.tools.perception.noise import add_sensor_noise, smooth_noise

GAUGE_TOP_CM = 200.0
GAUGE_WIDTH_CM = 12.0
HEIGHT, WIDTH = 480, 320
RED, BLUE, WHITE = (30, 30, 210), (170, 70, 20), (235, 235, 235)
WATER_BGR = {"muddy": (70, 110, 150), "clear": (120, 140, 80), "dark": (50, 60, 45)}
_LIGHT_GAIN = {"normal": 1.0, "dark": 0.5, "bright": 1.45}


class GaugeConditions(PerceptionModel):
    """How the camera sees the gauge."""

    angle_deg: float = Field(default=0.0, ge=-10.0, le=10.0, description="gauge tilt in the image")
    lighting: Literal["normal", "dark", "bright"] = "normal"
    water: Literal["muddy", "clear", "dark"] = "muddy"
    glare: bool = False
    occlusion: Literal["none", "pole", "leaves"] = "none"
    night: bool = False
    scale: Literal["near", "far"] = "near"
    seed: int = 0


def level_range(scale: Literal["near", "far"]) -> tuple[float, float]:
    """The water levels (cm) that keep both the gauge's top and the waterline in frame."""
    return 10.0, 160.0


def _draw_staff(px_per_cm: float) -> np.ndarray:
    """The upright gauge as a BGRA sprite, its top row at GAUGE_TOP_CM."""
    width = round(GAUGE_WIDTH_CM * px_per_cm)
    height = round(GAUGE_TOP_CM * px_per_cm)
    staff = np.zeros((height, width, 4), np.uint8)
    staff[:, :] = (*WHITE, 255)

    def row(cm: float) -> int:
        return round((GAUGE_TOP_CM - cm) * px_per_cm)

    spine = max(1, round(1.5 * px_per_cm))
    for block in range(int(GAUGE_TOP_CM // 10)):
        colour = (*(BLUE if (block // 10) % 2 else RED), 255)
        base = block * 10.0
        left = block % 2 == 0
        x0, x1 = (0, width // 2) if left else (width - width // 2, width)
        spine_x = (0, spine) if left else (width - spine, width)
        cv2.rectangle(staff, (spine_x[0], row(base + 10)), (spine_x[1] - 1, row(base + 5) - 1),
                      colour, -1)
        for tooth in (5.0, 7.0, 9.0):
            cv2.rectangle(staff, (x0, row(base + tooth + 1)), (x1 - 1, row(base + tooth) - 1),
                          colour, -1)
        digit_x = width - width // 2 + 1 if left else 1
        cv2.putText(staff, str(block % 10), (digit_x, row(base + 0.5)),
                    cv2.FONT_HERSHEY_SIMPLEX, 4.0 * px_per_cm / 22.0, colour,
                    max(1, round(px_per_cm * 0.9)))
    return staff


def _background(rng: np.random.Generator) -> np.ndarray:
    tone = rng.uniform(110, 160)
    field = smooth_noise(rng, HEIGHT, WIDTH, 40) * 40 + smooth_noise(rng, HEIGHT, WIDTH, 6) * 20
    grey = tone + field - 30
    image = np.dstack([grey * 0.95, grey, grey * 1.05])
    for y in range(int(rng.integers(40, 90)), HEIGHT, int(rng.integers(60, 110))):
        image[y:y + 2] *= 0.7  # joints between the bank's concrete slabs
    return np.asarray(np.clip(image, 0, 255), np.uint8)


def _paste(canvas: np.ndarray, sprite: np.ndarray, angle: float,
           centre: tuple[float, float]) -> np.ndarray:
    """Rotate ``sprite`` by ``angle`` degrees about its centre and paste it at ``centre``;
    returns the 2×3 matrix from sprite to canvas coordinates."""
    h, w = sprite.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    matrix[:, 2] += (centre[0] - w / 2, centre[1] - h / 2)
    warped = cv2.warpAffine(sprite, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR,
                            borderValue=(0, 0, 0, 0))
    alpha = warped[:, :, 3:4].astype(np.float32) / 255.0
    canvas[:] = (canvas * (1 - alpha) + warped[:, :, :3] * alpha).astype(np.uint8)
    return np.asarray(matrix)


def _water(rng: np.random.Generator, canvas: np.ndarray, surface_y: float, kind: str) -> None:
    ys = np.arange(HEIGHT, dtype=np.float32)[:, None]
    xs = np.arange(WIDTH, dtype=np.float32)[None, :]
    wave = 1.2 * np.sin(xs / rng.uniform(8, 20) + rng.uniform(0, 6))
    below = ys >= surface_y + wave
    ripples = 0.5 + 0.5 * np.sin(ys * rng.uniform(0.8, 1.4) + 3 * smooth_noise(
        rng, HEIGHT, WIDTH, 25) * 6)
    texture = 0.85 + 0.2 * smooth_noise(rng, HEIGHT, WIDTH, 30) + 0.08 * ripples
    water = np.asarray(WATER_BGR[kind], np.float32)[None, None, :] * texture[:, :, None]
    canvas[below] = np.clip(water[below], 0, 255).astype(np.uint8)


def _glare(rng: np.random.Generator, canvas: np.ndarray, surface_y: float) -> None:
    overlay = np.zeros(canvas.shape[:2], np.float32)
    for _ in range(int(rng.integers(3, 7))):
        y = int(rng.uniform(surface_y + 6, HEIGHT - 5))
        x = int(rng.uniform(0, WIDTH))
        axes = (int(rng.uniform(20, 70)), int(rng.uniform(1, 3)))
        cv2.ellipse(overlay, (x, y), axes, float(rng.uniform(-8, 8)), 0, 360, 1.0, -1)
    overlay = cv2.GaussianBlur(overlay, (0, 0), 1.5)[:, :, None] * 0.9
    canvas[:] = np.clip(canvas * (1 - overlay) + 255 * overlay, 0, 255).astype(np.uint8)


def _occlude(rng: np.random.Generator, canvas: np.ndarray, kind: str, gauge_x: float,
             gauge_w: float, top: float, bottom: float) -> None:
    if kind == "pole":
        width = gauge_w * rng.uniform(0.2, 0.4)
        x = gauge_x + rng.uniform(-0.5, 0.5) * gauge_w
        grey = int(rng.integers(50, 90))
        cv2.rectangle(canvas, (int(x - width / 2), 0), (int(x + width / 2), HEIGHT),
                      (grey, grey, grey + 5), -1)
    elif kind == "leaves":
        for _ in range(int(rng.integers(3, 7))):
            centre = (int(gauge_x + rng.uniform(-0.7, 0.7) * gauge_w),
                      int(rng.uniform(top, bottom)))
            axes = (int(gauge_w * rng.uniform(0.15, 0.3)), int(gauge_w * rng.uniform(0.1, 0.2)))
            green = (int(rng.integers(20, 60)), int(rng.integers(90, 150)),
                     int(rng.integers(30, 70)))
            cv2.ellipse(canvas, centre, axes, float(rng.uniform(0, 180)), 0, 360, green, -1)


def render_gauge(level_cm: float, conditions: GaugeConditions | None = None) -> np.ndarray:
    """A 320×480 BGR camera image of a staff gauge with the water at ``level_cm`` (the
    gauge's reading at the waterline) under ``conditions``, so that a reader can be scored
    against a known answer; ValueError when the level cannot be in frame at that scale."""
    cond = conditions or GaugeConditions()
    low, high = level_range(cond.scale)
    if not low <= level_cm <= high:
        raise ValueError(f"水位 {level_cm} 超出可渲染范围 [{low}, {high}]")
    rng = np.random.default_rng(cond.seed)
    px_per_cm = rng.uniform(1.7, 2.0) if cond.scale == "near" else rng.uniform(1.15, 1.35)
    staff = _draw_staff(px_per_cm)
    above = (GAUGE_TOP_CM - level_cm) * px_per_cm
    top = rng.uniform(12, max(14.0, HEIGHT - 40 - above))
    gauge_x = rng.uniform(0.3, 0.7) * WIDTH
    centre = (gauge_x, top + staff.shape[0] / 2)
    canvas = _background(rng)
    matrix = _paste(canvas, staff, cond.angle_deg, centre)
    surface_y = float(matrix[1] @ np.array([staff.shape[1] / 2, above, 1.0]))
    _water(rng, canvas, surface_y, cond.water)
    if cond.glare:
        _glare(rng, canvas, surface_y)
    _occlude(rng, canvas, cond.occlusion, gauge_x, staff.shape[1], top, surface_y)
    gain = 0.22 if cond.night else _LIGHT_GAIN[cond.lighting]
    lit = canvas.astype(np.float32) * gain * (0.85 + 0.3 * smooth_noise(rng, HEIGHT, WIDTH, 200))[
        :, :, None]
    image = add_sensor_noise(rng, np.clip(lit, 0, 255).astype(np.uint8), 9.0 if cond.night else 3.0)
    return np.asarray(cv2.GaussianBlur(image, (3, 3), 0.6))
