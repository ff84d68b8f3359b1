"""A renderer of short camera clips with and without fire and smoke, for tests and benchmarks.

Scenes are sky, forest, reservoir and buildings; positives add a flickering flame (a heat
field with turbulence, coloured from red to a white core) and a rising, growing smoke plume;
hard negatives add a sunset sky, red objects, fog, drifting clouds or lights at night.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from bots.tools.perception.common import PerceptionModel
from bots.tools.perception.noise import add_sensor_noise, smooth_noise

HEIGHT, WIDTH = 240, 320
Scene = Literal["sky", "forest", "reservoir", "buildings"]
Event = Literal["none", "fire", "smoke", "fire_smoke"]
HardNegative = Literal["none", "sunset", "red_objects", "fog", "clouds", "night_lights"]
_FLAME_COLOURS = ((0.2, (20, 40, 190)), (0.35, (20, 130, 250)), (0.6, (60, 215, 255)),
                  (0.85, (215, 250, 255)))


class SceneSpec(PerceptionModel):
    """What the clip shows."""

    scene: Scene = "forest"
    event: Event = "none"
    negative: HardNegative = "none"
    frames: int = Field(default=4, ge=1, le=16)
    seed: int = 0


def _base(rng: np.random.Generator, scene: Scene, negative: HardNegative) -> np.ndarray:
    ys = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None, None]
    if negative == "sunset":
        top, bottom = np.array([110, 80, 170]), np.array([30, 140, 255])
    elif negative == "night_lights":
        top, bottom = np.array([30, 15, 10]), np.array([45, 30, 25])
    else:
        top, bottom = np.array([230, 170, 110]), np.array([235, 210, 180])
    image = np.broadcast_to(top * (1 - ys) + bottom * ys, (HEIGHT, WIDTH, 3)).copy()
    horizon = int(HEIGHT * rng.uniform(0.45, 0.6))
    ground = {"sky": (60, 110, 90), "forest": (40, 100, 40), "reservoir": (110, 100, 60),
              "buildings": (120, 120, 125)}[scene]
    texture = 0.7 + 0.6 * smooth_noise(rng, HEIGHT - horizon, WIDTH, 8)
    image[horizon:] = np.asarray(ground, np.float32) * texture[:, :, None]
    if scene == "buildings":
        for _ in range(int(rng.integers(3, 6))):
            x, w, h = int(rng.uniform(0, WIDTH - 40)), int(rng.uniform(30, 60)), int(
                rng.uniform(40, 110))
            grey = float(rng.uniform(90, 170))
            cv2.rectangle(image, (x, horizon - h), (x + w, horizon), (grey, grey, grey + 8), -1)
    if negative == "sunset":
        cv2.circle(image, (int(rng.uniform(60, 260)), horizon - 15), 18, (200, 245, 255), -1)
    if negative == "night_lights":
        image[horizon:] *= 0.3
    return image


def _red_objects(rng: np.random.Generator, image: np.ndarray) -> None:
    for _ in range(int(rng.integers(1, 4))):
        x, y = int(rng.uniform(10, WIDTH - 60)), int(rng.uniform(HEIGHT * 0.5, HEIGHT - 30))
        colour = (float(rng.uniform(10, 40)), float(rng.uniform(10, 40)), float(rng.uniform(170,
                                                                                          230)))
        cv2.rectangle(image, (x, y), (x + int(rng.uniform(25, 60)), y + int(rng.uniform(12, 30))),
                      colour, -1)


def _lights(rng: np.random.Generator, image: np.ndarray) -> None:
    glow = np.zeros((HEIGHT, WIDTH), np.float32)
    for _ in range(int(rng.integers(3, 7))):
        centre = (int(rng.uniform(10, WIDTH - 10)), int(rng.uniform(HEIGHT * 0.3, HEIGHT - 20)))
        cv2.circle(glow, centre, int(rng.uniform(3, 6)), 1.0, -1)
    halo = cv2.GaussianBlur(glow, (0, 0), 6) * 3
    light = np.clip(glow + halo, 0, 1)[:, :, None]
    image[:] = image * (1 - light) + np.array([170, 230, 255], np.float32) * light


def _flame(rng: np.random.Generator, image: np.ndarray, base: tuple[int, int], size: int) -> None:
    """One frame of a flame rising from ``base``; the turbulence differs each call."""
    h, w = size * 2, size
    ys = np.linspace(1, 0, h, dtype=np.float32)[:, None]
    xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    shape = (1 - ys) ** 0.7 * np.clip(1 - np.abs(xs) / (0.25 + 0.75 * (1 - ys)), 0, 1)
    heat = shape * (0.6 + 0.8 * smooth_noise(rng, h, w, max(3, size // 5)))
    colour = np.zeros((h, w, 3), np.float32)
    alpha = np.zeros((h, w), np.float32)
    for threshold, bgr in _FLAME_COLOURS:
        mask = heat > threshold
        colour[mask] = bgr
        alpha[mask] = 1.0
    soft = cv2.GaussianBlur(alpha, (3, 3), 0)[:, :, None]
    x0, y0 = base[0] - w // 2, base[1] - h
    x1, y1 = max(0, x0), max(0, y0)
    x2, y2 = min(WIDTH, x0 + w), min(HEIGHT, y0 + h)
    patch = (slice(y1 - y0, y2 - y0), slice(x1 - x0, x2 - x0))
    region = image[y1:y2, x1:x2]
    region[:] = region * (1 - soft[patch]) + colour[patch] * soft[patch]


def _smoke(rng: np.random.Generator, image: np.ndarray, base: tuple[int, int], grow: float,
           drift: float) -> None:
    """A grey plume from ``base``, ``grow`` (0..1) of its final height, drifting sideways."""
    density = np.zeros((HEIGHT, WIDTH), np.float32)
    height = int(30 + 110 * grow)
    for step in range(0, height, 6):
        centre = (int(base[0] + drift * step), base[1] - step)
        cv2.circle(density, centre, int(6 + step * 0.35), 1.0, -1)
    plume = cv2.GaussianBlur(density, (0, 0), 7) * (0.5 + 0.5 * smooth_noise(rng, HEIGHT,
                                                                             WIDTH, 16))
    alpha = np.clip(plume * 0.75, 0, 0.75)[:, :, None]
    image[:] = image * (1 - alpha) + np.float32(170) * alpha


def _fog(image: np.ndarray) -> None:
    image[:] = image * 0.4 + 200 * 0.6


def _clouds(rng: np.random.Generator, image: np.ndarray, shift: float,
            layout: np.ndarray) -> None:
    moved = np.roll(layout, int(shift), axis=1)
    alpha = np.clip(moved, 0, 0.9)[:, :, None]
    image[:] = image * (1 - alpha) + 245 * alpha


def render_clip(spec: SceneSpec) -> list[np.ndarray]:
    """``spec.frames`` BGR frames (240×320) of the scene, with the event and hard negative
    it names drawn consistently across the frames, so detectors can be scored against a
    known answer."""
    rng = np.random.default_rng(spec.seed)
    base = _base(rng, spec.scene, spec.negative)
    if spec.negative == "red_objects":
        _red_objects(rng, base)
    if spec.negative == "night_lights":
        _lights(rng, base)
    source = (int(rng.uniform(60, WIDTH - 60)), int(rng.uniform(HEIGHT * 0.7, HEIGHT - 15)))
    flame_size = int(rng.uniform(18, 34))
    drift = float(rng.uniform(-0.4, 0.4))
    shapes = np.zeros((HEIGHT, WIDTH), np.float32)
    for _ in range(3):
        cv2.ellipse(shapes, (int(rng.uniform(0, WIDTH)), int(rng.uniform(15, HEIGHT * 0.35))),
                    (int(rng.uniform(25, 50)), int(rng.uniform(8, 16))), 0, 0, 360, 1.0, -1)
    layout = np.asarray(cv2.GaussianBlur(shapes, (0, 0), 5))
    frames = []
    for t in range(spec.frames):
        image = base.copy()
        if spec.negative == "clouds":
            _clouds(rng, image, 3.0 * t, layout)
        if spec.event in ("smoke", "fire_smoke"):
            _smoke(rng, image, (source[0], source[1] - flame_size), (t + 1) / spec.frames, drift)
        if spec.event in ("fire", "fire_smoke"):
            _flame(rng, image, source, flame_size)
        if spec.negative == "fog":
            _fog(image)
        gain = 1.0 + 0.03 * float(rng.standard_normal())
        frames.append(add_sensor_noise(rng, np.clip(image * gain, 0, 255).astype(np.uint8),
                                       3.0))
    return frames
