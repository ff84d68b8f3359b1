"""Making a staff gauge's marks and white face findable in day, dusk and night frames.

A night frame under an IR illuminator or a street light is dark, low in contrast and
noisy: a fixed colour threshold then finds marks in the noise of the water and loses the
gauge's white face in the noise of the bank. So the sensor noise is measured first and,
where it is high for the frame's brightness, smoothed away (colour more widely than
brightness, as a video codec does, since the marks are larger in colour than their thin
teeth are in brightness); then the brightness is stretched, and the masks use opponent
colours (how much red or blue stands above the other channels) instead of hue, which noise
makes jump.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

NOISY = 0.02
"""Noise (grey levels) over the frame's bright level above which the frame is denoised (about
0.04 for a night frame, under 0.01 for a dark day frame)."""
MAX_GAIN = 6.0
RED_MARK, BLUE_MARK = 70.0, 50.0
"""How far red (blue) must stand above the other channels, in levels of the stretched frame."""
WHITE_CHROMA, WHITE_SHARE = 45.0, 0.55
"""A white pixel: channels within this spread, and brighter than this share of the gauge's
white (the frame's bright level)."""


def _value(image: np.ndarray) -> np.ndarray:
    """Each pixel's brightest channel (elementwise, much faster than a reduction over the
    channel axis)."""
    return np.asarray(np.maximum(np.maximum(image[:, :, 0], image[:, :, 1]), image[:, :, 2]))


@dataclass(frozen=True)
class Enhanced:
    """The frame ready for the reader: stretched BGR, and whether it was denoised."""

    image: np.ndarray
    denoised: bool


def noise_level(image: np.ndarray) -> float:
    """The sensor noise in grey levels (robust sigma of the difference to a 3×3 mean), so
    that denoising is applied where it helps and nowhere else."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY).astype(np.float32)
    residual = grey - cv2.blur(grey, (3, 3))
    return float(1.4826 * np.median(np.abs(residual)) * 9.0 / 8.0)


def _denoise(image: np.ndarray, noise: float) -> np.ndarray:
    """Speckle removed (3×3 median), then brightness smoothed across but not over edges
    (bilateral, scaled to the noise) and colour smoothed more widely: the marks keep their
    thin teeth in brightness and take their hue from a neighbourhood. Stronger colour
    smoothing bleeds the far gauge's marks into its white face."""
    ycc = cv2.cvtColor(np.asarray(cv2.medianBlur(image, 3)), cv2.COLOR_BGR2YCrCb)
    luma = cv2.bilateralFilter(ycc[:, :, 0], 5, 2.0 * noise, 1.5)
    chroma = cv2.GaussianBlur(ycc[:, :, 1:], (0, 0), 1.0)
    merged = np.dstack([luma, chroma]).astype(np.uint8)
    return np.asarray(cv2.cvtColor(merged, cv2.COLOR_YCrCb2BGR))


def enhance(image: np.ndarray) -> Enhanced:
    """``image`` denoised when its noise is high for its brightness (night, dusk) and
    stretched so that its bright pixels are near white: the later thresholds then mean the
    same thing by day and by night."""
    noise = noise_level(image)
    bright = max(1.0, float(np.percentile(_value(image), 99.5)))
    denoised = noise / bright > NOISY
    if denoised:
        image = _denoise(image, noise)
        bright = max(1.0, float(np.percentile(_value(image), 99.5)))
    else:
        image = np.asarray(cv2.medianBlur(image, 3))
    gain = min(MAX_GAIN, max(1.0, 225.0 / bright))
    stretched = np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    return Enhanced(stretched, denoised)


def masks(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The gauge's coloured marks (red or blue well above the other channels) and its white
    face (bright and nearly grey), as uint8 0/1 masks of a stretched frame."""
    bgr = image.astype(np.int16)
    blue, green, red = bgr[:, :, 0], bgr[:, :, 1], bgr[:, :, 2]
    redness = red - np.maximum(green, blue)
    blueness = blue - np.maximum(green, red)
    marks = (redness > RED_MARK) | (blueness > BLUE_MARK)
    value = _value(bgr)
    spread = value - np.minimum(np.minimum(blue, green), red)
    white = (spread < WHITE_CHROMA) & (value > WHITE_SHARE * 225.0)
    return marks.astype(np.uint8), white.astype(np.uint8)
