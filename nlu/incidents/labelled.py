"""Labelled emergency reports: the annotated spans and events an extractor is scored against,
and the fixed dev/test split of a corpus (CEC's reader in :mod:`ingest.cec` builds them)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

SpanKind = Literal["denoter", "time", "location", "participant", "object", "means"]
SPAN_KINDS: frozenset[str] = frozenset(
    {"denoter", "time", "location", "participant", "object", "means"}
)

Split = Literal["dev", "test"]
DEV_SHARE = 0.3


class CecSpan(BaseModel):
    """One annotated phrase and its place in the rebuilt text."""

    kind: SpanKind
    text: str
    start: int
    end: int
    type: str | None = Field(default=None, description="the annotation's type attribute")


class CecEvent(BaseModel):
    """One annotated event: its trigger (denoter) and its arguments."""

    eid: str | None = None
    spans: list[CecSpan] = Field(default_factory=list)

    def of(self, kind: SpanKind) -> list[CecSpan]:
        """The event's spans of one kind, in text order."""
        return [s for s in self.spans if s.kind == kind]


class CecDocument(BaseModel):
    """One report: its category (the gold hazard type), text and annotated events."""

    id: str = Field(description="<category>/<file stem>")
    path: Path
    category: str
    title: str
    report_time: str | None = None
    text: str = Field(description="the content rebuilt from the XML text nodes")
    events: list[CecEvent] = Field(default_factory=list)

    def spans(self, kind: SpanKind) -> list[CecSpan]:
        """Every annotated span of one kind in the document, in text order, without repeats."""
        seen: dict[tuple[int, int], CecSpan] = {}
        for event in self.events:
            for span in event.of(kind):
                seen.setdefault((span.start, span.end), span)
        return sorted(seen.values(), key=lambda s: (s.start, s.end))


def split_corpus(documents: list[CecDocument]) -> dict[Split, list[CecDocument]]:
    """The documents split into dev (30 %, for tuning rules) and test (70 %, the headline)."""
    out: dict[Split, list[CecDocument]] = {"dev": [], "test": []}
    for category in sorted({d.category for d in documents}):
        same = sorted((d for d in documents if d.category == category),
                      key=lambda d: _digest(d.id))
        dev_count = round(len(same) * DEV_SHARE)
        out["dev"].extend(same[:dev_count])
        out["test"].extend(same[dev_count:])
    return out


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
