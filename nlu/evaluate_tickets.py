"""Per-field accuracy of drafted tickets against expected ones (`cityagent eval tickets`).

The data is JSON lines ``{"transcript", "call_time", "expected": {…}}``; the expected fields
follow the Ticket contract, with the address compared by district, street and community
and the departments by the top-1 name.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from kg.ticket import Ticket
from nlu.call_cases import read_cases
from nlu.ticket_fill import TicketFiller

FIELDS = (
    "caller_name", "phone", "address.district", "address.street", "address.community",
    "event_time", "category.l1", "category.l2", "urgency", "sentiment", "department",
)


class FieldScore(BaseModel):
    """Accuracy of one field over the calls that state it."""

    accuracy: float
    correct: int
    total: int


class TicketEvalReport(BaseModel):
    """Per-field accuracy, the mean over fields, and the calls that went wrong."""

    calls: int
    fields: dict[str, FieldScore]
    mean_accuracy: float
    errors: list[dict[str, Any]]


def _value(ticket: Ticket, field: str) -> Any:
    if field == "department":
        return ticket.departments[0].name if ticket.departments else None
    value: Any = ticket
    for part in field.split("."):
        value = getattr(value, part)
    return value.isoformat() if isinstance(value, datetime) else value


def _expected(expected: dict[str, Any], field: str) -> tuple[bool, Any]:
    value: Any = expected
    for part in field.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    if field == "event_time" and value is not None:
        value = datetime.fromisoformat(value).isoformat()
    return True, value


def evaluate_tickets(path: Path, filler: TicketFiller) -> TicketEvalReport:
    """Draft every call of ``path`` and compare each field with the expected ticket."""
    cases = read_cases(path)
    correct = dict.fromkeys(FIELDS, 0)
    total = dict.fromkeys(FIELDS, 0)
    errors = []
    for case in cases:
        ticket = filler.draft(case.transcript, case.call_time)
        for field in FIELDS:
            stated, want = _expected(case.expected, field)
            if not stated:
                continue
            total[field] += 1
            got = _value(ticket, field)
            if got == want:
                correct[field] += 1
            else:
                errors.append({"id": case.id, "field": field, "expected": want, "got": got})
    fields = {
        f: FieldScore(accuracy=round(correct[f] / total[f], 4), correct=correct[f], total=total[f])
        for f in FIELDS if total[f]
    }
    mean = sum(s.accuracy for s in fields.values()) / len(fields) if fields else 0.0
    return TicketEvalReport(calls=len(cases), fields=fields, mean_accuracy=round(mean, 4),
                            errors=errors)
