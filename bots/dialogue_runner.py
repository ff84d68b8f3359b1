"""Playing scripted dialogues through the citizen bot, and recording what it did and how fast.

The evaluation must not leave tickets in the city's graph, so the bot runs with a
:class:`MemoryTicketBook` in its :class:`~bots.tools.context.ToolContext`: tickets the bot
files stay in memory, where the scorer reads them back, and status dialogues find the
tickets their ``setup`` seeds there. The LLM, when there is one, is wrapped in
:class:`TimedLLM`, which records each call's first-token and total latency.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from pydantic import BaseModel, Field

from bots.agents.citizen import CitizenBot
from bots.agents.citizen_state import CitizenReply
from bots.dialogue_cases import DialogueCase, SeedTicket
from bots.guarded_rewrite import Completer
from bots.llm import ChatTurn, LLMAnswer
from kg.errors import LLMUnavailableError
from kg.ticket import DepartmentRoute, StoredTicket, Ticket

log = logging.getLogger(__name__)

FILED_STATUS = "已登记"
"""The status a newly stored ticket has (as :func:`kg.ticket.ticket_bundle` writes it)."""


class MemoryTicketBook:
    """A ticket book in memory (see :class:`bots.tools.context.TicketBook`)."""

    def __init__(self) -> None:
        """An empty book."""
        self._tickets: dict[str, Ticket] = {}
        self._stored: dict[str, StoredTicket] = {}
        self.saved: list[str] = []

    def save(self, ticket: Ticket) -> None:
        """Keep ``ticket`` (a second save of its id replaces it) and note the save."""
        self._tickets[ticket.id] = ticket
        self._stored[ticket.id] = _stored_view(ticket)
        self.saved.append(ticket.id)

    def find(self, ticket_id: str) -> StoredTicket | None:
        """The ticket as the graph would return it, or None."""
        return self._stored.get(ticket_id)

    def seed(self, seed: SeedTicket) -> None:
        """Put a setup ticket in the book, as if it had been filed and worked on."""
        place = seed.community or seed.street or seed.district
        self._stored[seed.id] = StoredTicket(
            id=seed.id,
            properties={"phone": seed.phone, "summary": seed.summary, "status": seed.status,
                        "urgency": "一般", "call_time": seed.call_time},
            category=seed.l2 or seed.l1, place=place,
            routes=[DepartmentRoute(name=seed.department, confidence=1.0, reason="setup")]
            if seed.department else [],
        )

    def ticket(self, ticket_id: str) -> Ticket | None:
        """The last saved version of a ticket the bot filed."""
        return self._tickets.get(ticket_id)


def _stored_view(ticket: Ticket) -> StoredTicket:
    address = ticket.address
    return StoredTicket(
        id=ticket.id,
        properties={"phone": ticket.phone, "summary": ticket.summary, "status": FILED_STATUS,
                    "urgency": ticket.urgency, "call_time": ticket.call_time},
        category=ticket.category.l2 or ticket.category.l1,
        place=address.community or address.street or address.district,
        routes=list(ticket.departments),
    )


class LLMCall(BaseModel):
    """One call of the LLM during a turn."""

    ok: bool
    first_token_s: float | None = None
    total_s: float
    pieces: int = Field(default=0, description="streamed chunks (≈ tokens)")


class TimedLLM:
    """An LLM that records every call's latency; it answers as the wrapped one does."""

    def __init__(self, inner: Completer) -> None:
        """Wrap ``inner`` (an :class:`bots.llm.LLMClient` in practice)."""
        self.inner = inner
        self._calls: list[LLMCall] = []

    def complete(self, turns: Sequence[ChatTurn]) -> LLMAnswer:
        """The inner LLM's answer; its latency (or its failure) is recorded."""
        began = time.perf_counter()
        try:
            answer = self.inner.complete(turns)
        except LLMUnavailableError:
            self._calls.append(LLMCall(ok=False, total_s=time.perf_counter() - began))
            raise
        self._calls.append(LLMCall(ok=True, first_token_s=answer.first_token_s,
                                   total_s=answer.total_s, pieces=answer.pieces))
        return answer

    def take_calls(self) -> list[LLMCall]:
        """The calls recorded since the last take (one turn's calls)."""
        calls, self._calls = self._calls, []
        return calls


class TurnRecord(BaseModel):
    """One citizen turn and the bot's reply."""

    number: int = Field(ge=1)
    text: str
    reply: CitizenReply
    seconds: float = Field(description="wall time of CitizenBot.reply")
    llm_calls: list[LLMCall] = Field(default_factory=list)


class Transcript(BaseModel):
    """What happened in one dialogue."""

    case: DialogueCase
    turns: list[TurnRecord] = Field(default_factory=list)
    tickets: list[Ticket] = Field(default_factory=list,
                                  description="tickets filed in the dialogue, as last saved")
    error: str | None = Field(default=None, description="the bot raised: the dialogue stopped")


def play(bot: CitizenBot, book: MemoryTicketBook, case: DialogueCase, session_id: str,
         llm: TimedLLM | None = None) -> Transcript:
    """Seed ``case``'s setup, send its turns in a fresh session, and record the replies.

    A bot that raises ends the dialogue there, with the error in the transcript: one
    crashing dialogue is a finding, not a reason to lose the rest of the run.
    """
    for seed in case.setup.tickets if case.setup else []:
        book.seed(seed)
    first_save = len(book.saved)
    transcript = Transcript(case=case)
    for number, text in enumerate(case.turns, start=1):
        began = time.perf_counter()
        try:
            reply = bot.reply(session_id, text)
        except Exception as exc:  # any crash of the bot is reported, not fatal to the run
            log.exception("dialogue %s: the bot failed on turn %d", case.id, number)
            transcript.error = f"turn {number}: {type(exc).__name__}: {exc}"
            break
        transcript.turns.append(TurnRecord(
            number=number, text=text, reply=reply, seconds=time.perf_counter() - began,
            llm_calls=llm.take_calls() if llm is not None else []))
    filed = dict.fromkeys(book.saved[first_save:])
    transcript.tickets = [t for t in (book.ticket(i) for i in filed) if t is not None]
    return transcript
