"""Smooth random fields for the synthetic scenes (textures, turbulence, lighting)."""

from __future__ import annotations

import cv2
import numpy as np


def smooth_noise(rng: np.random.Generator, height: int, width: int, cell: int) -> np.ndarray:
    """A float32 field in [0, 1] of the given size whose features are about ``cell`` pixels
    wide: random values on a coarse grid, resized with bicubic interpolation."""
    coarse = rng.random((max(2, height // cell + 2), max(2, width // cell + 2)), dtype=np.float32)
    field = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.asarray(np.clip(field, 0.0, 1.0), dtype=np.float32)


def add_sensor_noise(rng: np.random.Generator, image: np.ndarray, sigma: float) -> np.ndarray:
    """``image`` with Gaussian sensor noise of ``sigma`` grey levels, as uint8."""
    noisy = image.astype(np.float32) + rng.normal(0.0, sigma, image.shape).astype(np.float32)
    return np.asarray(np.clip(noisy, 0, 255), dtype=np.uint8)
