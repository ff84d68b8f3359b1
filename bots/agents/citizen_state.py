"""The citizen bot's models: the dialogue it remembers and the reply it gives.

:class:`DialogueState` is what one session keeps between turns (small and bounded); the
:class:`CitizenReply` is the boundary every channel (the web tab, WeChat, the API) reads.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from kg.ticket import Ticket

Intent = Literal[
    "empty", "too_long", "greeting", "service_question", "problem_report", "slot_answer",
    "confirm_yes", "confirm_no", "cancel", "status_query", "emergency", "off_topic",
    "injection", "forbidden", "handover",
]
#: Why a request is turned down whoever asks (see :func:`bots.agents.citizen_intents.forbidden`).
Forbidden = Literal["others_data", "record_change", "false_paper", "abuse"]
Slot = Literal["problem", "address", "phone"]
ReportAwaiting = Literal["problem", "address", "phone", "confirmation", "correction"]
StatusAwaiting = Literal["ticket_id", "status_phone"]
Awaiting = Literal[ReportAwaiting, StatusAwaiting]
ReportStage = Literal["collecting", "confirming", "filed"]

MAX_REPORT_TURNS = 12
"""Citizen turns one report keeps (the oldest details beyond that are dropped)."""
MAX_FILED = 20
"""Ticket ids one session remembers having filed."""


class Report(BaseModel):
    """A problem or emergency the citizen is reporting in this dialogue."""

    kind: Literal["problem", "emergency"] = "problem"
    ticket_id: str = Field(description="fixed when the report starts; refiling updates it")
    started: datetime = Field(description="the ticket's call_time")
    turns: list[str] = Field(default_factory=list, description="the citizen's words, corrected")
    stage: ReportStage = "collecting"
    has_problem: bool = Field(default=False, description="the citizen has said what is wrong")
    address_text: str | None = Field(
        default=None, description="the last answer to 「where」 that named no known place")
    draft: Ticket | None = None
    asked: dict[str, int] = Field(default_factory=dict, description="times each slot was asked")
    phone_declined: bool = Field(
        default=False, description="the citizen will not leave a phone: filed without one")


class DialogueState(BaseModel):
    """What one session remembers between turns."""

    session_id: str
    reports_started: int = 0
    report: Report | None = None
    awaiting: ReportAwaiting | None = Field(default=None,
                                            description="what the report waits for")
    status_awaiting: StatusAwaiting | None = Field(
        default=None, description="what a status query waits for")
    pending_ticket_id: str | None = Field(default=None,
                                          description="a status query waiting for a phone")
    phone: str | None = Field(default=None, description="the last phone the citizen gave")
    filed: list[str] = Field(default_factory=list, description="ticket ids filed, oldest first")


class Citation(BaseModel):
    """A knowledge entry a reply cites as [number]."""

    number: int = Field(ge=1)
    entry_id: str
    question: str
    source: str | None = None


class TicketCard(BaseModel):
    """The ticket a reply is about, as a channel shows it (a card on the web)."""

    id: str
    status: Literal["草稿", "已提交"]
    summary: str
    address: str | None = None
    phone: str | None = None
    caller_name: str | None = None
    category: str | None = None
    urgency: str
    departments: list[str] = Field(default_factory=list)


class CitizenReply(BaseModel):
    """The bot's answer to one message."""

    text: str = Field(description="what the citizen reads")
    citations: list[Citation] = Field(default_factory=list)
    ticket: TicketCard | None = Field(default=None, description="the ticket filed or drafted")
    intent: Intent
    awaiting: Awaiting | None = Field(default=None, description="what the bot asked for")
    degraded: bool = Field(description="no LLM configured, or it failed: templates only")
    note: str = Field(default="", description="how the reply was made, for the UI")
