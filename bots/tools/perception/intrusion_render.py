"""A renderer of clips with objects moving across a noisy background, for tests and benchmarks.

An object (a tall ellipse for a person, a wide one for a boat) moves in a straight line; the
zone is a fixed rectangle-like polygon in the lower right. ``enters`` picks a path that ends
inside the zone or one that passes by above it; ``lighting`` adds a brightness step or ramp
(a hard negative with nobody in the picture when ``with_object`` is false).
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np
from pydantic import Field

from bots.tools.perception.common import PerceptionModel
from bots.tools.perception.noise import add_sensor_noise, smooth_noise

HEIGHT, WIDTH = 180, 240
ZONE: list[tuple[float, float]] = [(0.55, 0.55), (0.95, 0.55), (0.95, 0.95), (0.55, 0.95)]


class ClipSpec(PerceptionModel):
    """What the clip shows."""

    with_object: bool = True
    enters: bool = True
    kind: Literal["person", "boat"] = "person"
    lighting: Literal["steady", "step", "ramp"] = "steady"
    frames: int = Field(default=24, ge=4, le=120)
    seed: int = 0


def render_sequence(spec: ClipSpec) -> tuple[list[np.ndarray], int | None]:
    """The frames (BGR, 180×240) and the frame at which the object's foot point first lies
    inside :data:`ZONE` (None when it never does), so that events can be scored."""
    rng = np.random.default_rng(spec.seed)
    background = (60 + 120 * smooth_noise(rng, HEIGHT, WIDTH, 12))[:, :, None] * np.array(
        [1.0, 0.95, 0.85], np.float32)
    axes = (5, 12) if spec.kind == "person" else (18, 6)
    start = np.array([rng.uniform(10, 60), rng.uniform(40, 90)])
    end = (np.array([rng.uniform(0.65, 0.85) * WIDTH, rng.uniform(0.6, 0.75) * HEIGHT])
           if spec.enters else np.array([rng.uniform(0.7, 0.9) * WIDTH,
                                         rng.uniform(0.1, 0.3) * HEIGHT]))
    stop = int(spec.frames * rng.uniform(0.5, 0.7))
    colour = tuple(float(v) for v in rng.uniform(0, 60, 3)) if rng.random() < 0.5 else tuple(
        float(v) for v in rng.uniform(200, 255, 3))
    frames, entry = [], None
    polygon = np.array([(x * WIDTH, y * HEIGHT) for x, y in ZONE], np.float32)
    for t in range(spec.frames):
        image = background.copy()
        if spec.with_object:
            where = start + (end - start) * min(1.0, t / stop)
            centre = (int(where[0]), int(where[1]))
            cv2.ellipse(image, centre, axes, 0, 0, 360, colour, -1)
            foot = (float(where[0]), float(where[1] + axes[1]))
            if entry is None and cv2.pointPolygonTest(polygon, foot, False) >= 0:
                entry = t
        if spec.lighting == "step" and t >= spec.frames // 2:
            image = image * 1.4
        elif spec.lighting == "ramp":
            image = image * (0.7 + 0.6 * t / spec.frames)
        frames.append(add_sensor_noise(rng, np.clip(image, 0, 255).astype(np.uint8), 4.0))
    return frames, entry
