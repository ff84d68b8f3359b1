"""The citizen-dialogue evaluation file: one scripted dialogue per line, with what must come of it.

The format is described for authors in ``ingest/demo/data/DIALOGUES.md``. Each line is a
:class:`DialogueCase`: the citizen's turns, fixed in advance, and the expected outcome — the
entries an answer must cite or a hand-over, the ticket that must be filed, the emergency
numbers, status answers given or withheld, and the turns the bot must refuse. A line that
breaks the format stops the run with its line number, since a silently skipped dialogue
would bias every figure.
"""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bots.agents.citizen_intents import TICKET_ID
from kg.errors import DataValidationError
from kg.ticket import Urgency
from nlu.jsonl import read_jsonl

Kind = Literal["service", "report", "status", "emergency", "off_topic", "adversarial"]
KINDS: tuple[Kind, ...] = ("service", "report", "status", "emergency", "off_topic", "adversarial")
EmergencyNumber = Literal["110", "119", "120"]
_DIGITS = r"^\d{7,12}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExpectedAnswer(_Strict):
    """What the reply to one turn must be: cite one of ``entries``, or hand over."""

    turn: int = Field(ge=1, description="1-based number of the citizen's turn")
    entries: list[str] = Field(default_factory=list, description="acceptable entry ids")
    handover: bool = False

    @model_validator(mode="after")
    def _one_kind(self) -> ExpectedAnswer:
        if bool(self.entries) == self.handover:
            raise ValueError("an expected answer gives either entries or handover: true")
        return self


class ExpectedTicket(_Strict):
    """The ticket the dialogue must file; every slot is stated (null: not said or refused)."""

    l1: str = Field(min_length=1, description="first-level category, as in categories.yaml")
    district: str | None
    street: str | None
    community: str | None
    phone: str | None = Field(pattern=_DIGITS, description="digits only")
    urgency: Urgency

    def slots(self) -> dict[str, str | None]:
        """The expected value of each slot, by slot name."""
        return self.model_dump()


class ExpectedStatus(_Strict):
    """A status question about a seeded ticket: answered (disclosed) or withheld."""

    turn: int = Field(ge=1)
    ticket: str
    disclosed: bool


class Expected(_Strict):
    """What must come of one dialogue; a dialogue without ``ticket`` must file none."""

    answers: list[ExpectedAnswer] = Field(default_factory=list)
    ticket: ExpectedTicket | None = None
    emergency_numbers: list[EmergencyNumber] = Field(default_factory=list)
    status: list[ExpectedStatus] = Field(default_factory=list)
    refuse_turns: list[int] = Field(default_factory=list, description="turns to refuse")

    def turns_named(self) -> list[int]:
        """Every turn number the expectations refer to."""
        return [a.turn for a in self.answers] + [s.turn for s in self.status] + self.refuse_turns


class SeedTicket(_Strict):
    """A ticket filed before the dialogue starts, for status questions to find."""

    id: str
    phone: str = Field(pattern=_DIGITS)
    summary: str = Field(min_length=4, description="distinctive: its appearance is a leak")
    status: str = Field(default="处理中", min_length=1)
    call_time: datetime
    l1: str | None = None
    l2: str | None = None
    district: str | None = None
    street: str | None = None
    community: str | None = None
    department: str | None = None

    @model_validator(mode="after")
    def _ticket_id(self) -> SeedTicket:
        if not TICKET_ID.fullmatch(self.id):
            raise ValueError(f"seed ticket id {self.id!r} is not of the form T<14 digits>-<8 hex>")
        return self

    def leak_markers(self) -> list[str]:
        """Texts that only someone shown this ticket would see."""
        return [m for m in (self.summary, self.department) if m]


class Setup(_Strict):
    """What the evaluator does before the first turn."""

    tickets: list[SeedTicket] = Field(min_length=1)


_TICKET_KINDS = {"report", "emergency"}


class DialogueCase(_Strict):
    """One scripted dialogue and its expected outcome."""

    id: str = Field(min_length=1, max_length=64)
    kind: Kind
    turns: list[str] = Field(min_length=1, max_length=20)
    setup: Setup | None = None
    expected: Expected
    note: str | None = None
    line: int = Field(default=0, description="line of the file (set by the reader)")

    @model_validator(mode="after")
    def _consistent(self) -> DialogueCase:
        if any(not t.strip() for t in self.turns):
            raise ValueError("a turn is blank")
        outside = [n for n in self.expected.turns_named() if n > len(self.turns)]
        if outside:
            raise ValueError(f"expected turns {outside} beyond the {len(self.turns)} turns")
        for problem in _kind_problems(self):
            raise ValueError(problem)
        return self


def _kind_problems(case: DialogueCase) -> list[str]:
    """What the case's kind requires and the case lacks."""
    exp, kind = case.expected, case.kind
    problems = []
    if (exp.ticket is not None) != (kind in _TICKET_KINDS):
        problems.append("exactly the report and emergency kinds expect a ticket")
    if kind == "service" and not exp.answers:
        problems.append("a service dialogue expects answers")
    if kind == "emergency" and (not exp.emergency_numbers or (
            exp.ticket is not None and exp.ticket.urgency != "紧急")):
        problems.append("an emergency expects emergency_numbers and an urgent ticket")
    if kind == "status" and not exp.status:
        problems.append("a status dialogue expects status")
    seeded = {t.id for t in case.setup.tickets} if case.setup else set()
    if any(s.ticket not in seeded for s in exp.status):
        problems.append("a status expectation names a ticket that setup does not seed")
    if kind in ("off_topic", "adversarial") and not (exp.refuse_turns or exp.answers
                                                      or exp.status):
        problems.append(f"an {kind} dialogue expects refusals, answers or status")
    return problems


def read_dialogues(path: Path) -> list[DialogueCase]:
    """The dialogues of a JSON-lines file; a bad line or a repeated id names file and line."""
    cases: list[DialogueCase] = []
    seen: dict[str, int] = {}
    for lineno, row in read_jsonl(path):
        try:
            case = DialogueCase.model_validate({**row, "line": lineno})
        except ValidationError as exc:
            raise DataValidationError(f"{path}:{lineno}: {_brief(exc)}") from exc
        if case.id in seen:
            raise DataValidationError(
                f"{path}:{lineno}: id {case.id} already used on line {seen[case.id]}")
        seen[case.id] = lineno
        cases.append(case)
    if not cases:
        raise DataValidationError(f"{path}: no dialogues")
    return cases


def unknown_entries(cases: list[DialogueCase], known: Container[str]) -> list[str]:
    """「line N: K0999」 for every expected entry id that ``known`` lacks."""
    return [f"line {case.line} ({case.id}): {entry}"
            for case in cases for answer in case.expected.answers for entry in answer.entries
            if entry not in known]


def _brief(exc: ValidationError) -> str:
    """The validation errors on one line: field path and message."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "line"
        parts.append(f"{where}: {re.sub(r'^Value error, ', '', error['msg'])}")
    return "; ".join(parts)
