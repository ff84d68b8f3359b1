"""The demo city's labelled calls as records: a transcript, its call time and the expected ticket.

Evaluation (`eval tickets`) and the training of the ticket's learned parts (category weights,
urgency, sentiment) all read these files (`ingest/demo/data/CALLS.md` describes them).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from nlu.jsonl import read_records


class TicketCase(BaseModel):
    """One labelled call."""

    id: str | None = None
    transcript: str
    call_time: datetime
    expected: dict[str, Any]


def read_cases(path: Path) -> list[TicketCase]:
    """The calls of a JSON-lines file; a malformed line is an error naming file and line."""
    return read_records(path, TicketCase)
