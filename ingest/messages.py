"""Bulk ingest of citizen messages (JSON lines) as tickets: drafted by ``nlu``, stored in the graph.

A city starting out has years of messages from its 问政 platform or an old hotline system;
they become Ticket nodes like live calls do, so that hot topics and routing statistics see
them. Each line is an object with the message ``text`` (or ``title`` and ``detail``), its
``time`` and optionally its ``id``; other fields are ignored. A bad line is reported with its
number and skipped; what was stored before stays stored, and a rerun stores nothing twice
(ticket ids come from the message ids, or from the time and text).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from kg.errors import DataValidationError
from kg.ontology import CITY_TIMEZONE
from kg.store import GraphStore
from kg.ticket import Ticket, store_tickets
from nlu.jsonl import read_jsonl
from nlu.ticket_fill import TicketFiller

log = logging.getLogger(__name__)

MAX_MESSAGE = 20_000
_STAMP = re.compile(
    r"^\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2}))?)?\s*$"
)


def parse_message_time(value: str) -> datetime:
    """A message time as platforms write it (「2019/2/28 11:25:05」, 「2019-08-01」, ISO 8601).

    Times without a zone are the city's local time.
    """
    match = _STAMP.match(value)
    if match:
        year, month, day, hour, minute, second = (int(g) if g else 0 for g in match.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=CITY_TIMEZONE)
    stamp = datetime.fromisoformat(value.strip())
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=CITY_TIMEZONE)


class CitizenMessage(BaseModel):
    """One message to ingest: its text, when it came in, and its id on the source platform."""

    id: str | None = Field(default=None, max_length=48)
    text: str = Field(min_length=1, max_length=MAX_MESSAGE)
    time: datetime

    @model_validator(mode="before")
    @classmethod
    def _text_from_parts(cls, row: Any) -> Any:
        if isinstance(row, dict) and not row.get("text"):
            parts = [str(row[k]) for k in ("title", "detail") if row.get(k)]
            if parts:
                return {**row, "text": "。".join(parts)}
        return row

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message text is blank")
        return value.strip()

    @field_validator("time", mode="before")
    @classmethod
    def _platform_time(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return parse_message_time(value)
            except ValueError as exc:
                raise ValueError(f"not a date and time: {value!r}") from exc
        return value


class LineError(BaseModel):
    """A line that was not ingested, and why."""

    line: int
    error: str


class IngestReport(BaseModel):
    """What a bulk ingest did and how fast: tickets stored, lines refused with their reasons."""

    file: str
    stored: int = 0
    refused: list[LineError] = Field(default_factory=list)
    seconds: float = 0.0
    messages_per_minute: float = 0.0


def read_messages(
    path: Path, refused: list[LineError]
) -> Iterator[tuple[int, CitizenMessage]]:
    """Valid messages of a JSON-lines file; bad lines go to ``refused`` with their number."""

    def note(line: int, exc: DataValidationError) -> None:
        refused.append(LineError(line=line, error=str(exc)))

    for lineno, row in read_jsonl(path, on_error=note):
        try:
            yield lineno, CitizenMessage.model_validate(row)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in exc.errors()
            )
            refused.append(LineError(line=lineno, error=f"{path}:{lineno}: {problems}"))


def _batches(items: Iterable[CitizenMessage], size: int) -> Iterator[list[CitizenMessage]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _with_source_id(ticket: Ticket, message: CitizenMessage, id_prefix: str) -> Ticket:
    if message.id is None:
        return ticket
    return ticket.model_copy(update={"id": f"{id_prefix}{message.id}"})


def store_messages(
    store: GraphStore,
    filler: TicketFiller,
    messages: Iterable[CitizenMessage],
    *,
    batch_size: int = 256,
    id_prefix: str = "MSG-",
    progress: Callable[[int], object] | None = None,
) -> int:
    """Draft a ticket for every message and store them, batch by batch; returns how many."""
    stored = 0
    for batch in _batches(messages, batch_size):
        tickets = filler.draft_many([(m.text, m.time) for m in batch], batch_size=batch_size)
        store_tickets(store, [
            _with_source_id(t, m, id_prefix) for t, m in zip(tickets, batch, strict=True)
        ])
        stored += len(tickets)
        if progress:
            progress(len(batch))
    return stored


def ingest_messages(
    store: GraphStore,
    filler: TicketFiller,
    path: Path,
    *,
    batch_size: int = 256,
    limit: int | None = None,
    id_prefix: str = "MSG-",
    progress: Callable[[int], object] | None = None,
) -> IngestReport:
    """Draft and store a ticket for every valid message of the JSON-lines file ``path``."""
    report = IngestReport(file=str(path))
    began = time.perf_counter()
    messages = islice((m for _, m in read_messages(path, report.refused)), limit)
    report.stored = store_messages(store, filler, messages, batch_size=batch_size,
                                   id_prefix=id_prefix, progress=progress)
    report.seconds = round(time.perf_counter() - began, 2)
    if report.seconds:
        report.messages_per_minute = round(report.stored / report.seconds * 60, 1)
    log.info("ingested %d messages from %s in %.1f s (%d lines refused)",
             report.stored, path, report.seconds, len(report.refused))
    return report
