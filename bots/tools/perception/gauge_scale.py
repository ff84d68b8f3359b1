"""One-dimensional measurements along an upright staff gauge: the marks' period and the
waterline.

The E-marks repeat every ``period_cm`` whatever hides part of them, so the period is read
from the autocorrelation of the marks' row profile over the whole visible gauge, which a pole
or a few leaves weaken but do not move. The autocorrelation also peaks at multiples of the
period (and, for the E-and-number pattern, weakly at its half): the shortest lag that is
nearly as strong as the best is taken, as in pitch detection. The waterline is the row that
best splits the gauge's column into "looks like the gauge" above and "does not" below (a
two-segment fit), so a partly occluded gauge still ends where the water begins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FUNDAMENTAL_SHARE = 0.8
"""A shorter lag whose autocorrelation is at least this share of the best one is preferred."""


@dataclass(frozen=True)
class Period:
    """The marks' repeat in pixels and how clearly the profile repeats (0..1)."""

    px: float
    strength: float


@dataclass(frozen=True)
class Split:
    """The waterline row of a gauge column and the drop of its gauge look there (0..1)."""

    row: int
    drop: float


def _autocorrelation(profile: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation (lag 0 is 1) of ``profile``; zeros for a flat one."""
    centred = profile - profile.mean()
    energy = float(centred @ centred)
    if energy <= 1e-9:
        return np.zeros(len(profile))
    return np.correlate(centred, centred, mode="full")[len(centred) - 1:] / energy


def _local_peaks(values: np.ndarray, low: int, high: int) -> list[int]:
    """Lags in [low, high) where ``values`` has a local maximum."""
    return [lag for lag in range(max(1, low), min(high, len(values) - 1))
            if values[lag] >= values[lag - 1] and values[lag] >= values[lag + 1]]


def _refine(profile: np.ndarray, lag: int) -> float:
    """The period near ``lag`` whose Fourier component over the whole profile is strongest,
    for a sub-pixel scale (one pixel of error over twenty periods is twenty pixels)."""
    centred = profile - profile.mean()
    candidates = np.linspace(lag * 0.9, lag * 1.1, 161)
    phases = np.exp(-2j * np.pi * np.outer(1.0 / candidates, np.arange(len(centred))))
    return float(candidates[int(np.argmax(np.abs(phases @ centred)))])


def period(profile: np.ndarray, expected: float, spread: float = 1.8) -> Period:
    """The marks' repeat in pixels within ``expected`` / ``spread`` .. ``expected`` ×
    ``spread``: the shortest autocorrelation peak nearly as strong as the strongest one;
    strength 0 when the profile does not repeat in that range."""
    acf = _autocorrelation(profile.astype(np.float64))
    low, high = max(3, int(expected / spread)), min(len(profile) // 2, int(expected * spread) + 2)
    peaks = [lag for lag in _local_peaks(acf, low, high) if acf[lag] > 0]
    if not peaks:
        return Period(0.0, 0.0)
    best = max(acf[lag] for lag in peaks)
    lag = min(lag for lag in peaks if acf[lag] >= FUNDAMENTAL_SHARE * best)
    return Period(_refine(profile.astype(np.float64), lag), float(acf[lag]))


def _best_split(values: np.ndarray, start: int, span: int) -> int | None:
    """The row at or after ``start`` (and at least ``span`` rows before the end) that best
    splits the rows of ``values`` (rows × features) into two constant parts, by least
    squares; None when there is no such row."""
    count = len(values)
    rows = np.arange(max(start, 1), count - span + 1)
    if len(rows) == 0:
        return None
    sums = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(values, axis=0)])
    squares = np.concatenate([[0.0], np.cumsum((values ** 2).sum(axis=1))])
    above_n, below_n = rows.astype(np.float64), (count - rows).astype(np.float64)
    below = sums[-1] - sums[rows]
    cost = (squares[rows] - (sums[rows] ** 2).sum(axis=1) / above_n
            + (squares[-1] - squares[rows]) - (below ** 2).sum(axis=1) / below_n)
    return int(rows[int(np.argmin(cost))])


def waterline(look: np.ndarray, start: int, span: int) -> Split | None:
    """The row at or after ``start`` that best splits ``look`` (each row's share of gauge-like
    pixels, from the gauge's top down) into a high part above and a low part below, with the
    drop of the look over ``span`` rows either side; None when fewer than ``span`` rows lie
    below it or the look does not drop there."""
    values = look.astype(np.float64)
    row = _best_split(values[:, None], start, span)
    if row is None:
        return None
    drop = float(values[max(0, row - span):row].mean() - values[row:row + span].mean())
    return Split(row, drop) if drop > 0 else None


def surface(colours: np.ndarray, start: int, span: int) -> Split | None:
    """The row at or after ``start`` where the mean colour of the rows beside the gauge
    (rows × channels, 0..255) changes for good, as from bank to water, with the size of the
    change over ``span`` rows either side (0..1); None when there is no room for it."""
    values = colours.astype(np.float64)
    row = _best_split(values, start, span)
    if row is None:
        return None
    change = values[max(0, row - span):row].mean(axis=0) - values[row:row + span].mean(axis=0)
    return Split(row, float(np.linalg.norm(change)) / 255.0)
