"""What every perception result shares: strict models, the status, the timing against a budget."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

log = logging.getLogger(__name__)

ReadStatus = Literal["ok", "cannot_read"]
"""ok: the engine saw what it looks for (or saw that it is absent); cannot_read: the picture
does not let it answer (no gauge in view, the waterline out of frame ...)."""
Confidence = Annotated[float, Field(ge=0.0, le=1.0)]
Box = tuple[int, int, int, int]
"""A box in pixels: x1, y1, x2, y2 (x2, y2 exclusive)."""


class PerceptionModel(BaseModel):
    """Base of every perception model: unknown fields, NaN and infinities are refused, and a
    validated value cannot change afterwards."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, frozen=True)


class PerceptionResult(PerceptionModel):
    """The fields every engine's answer carries besides its own."""

    status: ReadStatus
    confidence: Confidence
    elapsed_ms: float = Field(ge=0.0, description="wall time of the whole call")
    message: str = Field(description="what was seen, in Chinese")


@dataclass
class Stopwatch:
    """Elapsed wall time of a call, in milliseconds."""

    started: float

    @property
    def ms(self) -> float:
        """Milliseconds since the stopwatch started."""
        return round((time.perf_counter() - self.started) * 1000.0, 2)


@contextmanager
def budget(engine: str, limit_ms: float) -> Iterator[Stopwatch]:
    """Time the block and log a warning when it ran past the engine's budget, so that a slow
    camera feed or a huge frame shows up in the logs before it shows up in a conversation."""
    watch = Stopwatch(time.perf_counter())
    try:
        yield watch
    finally:
        if watch.ms > limit_ms:
            log.warning("%s took %.1f ms, over its %.0f ms budget", engine, watch.ms, limit_ms)


def clip01(value: float) -> float:
    """``value`` clipped to [0, 1] and rounded for display."""
    return round(min(1.0, max(0.0, float(value))), 3)
