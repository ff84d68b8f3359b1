"""REST endpoints of the 12345 hotline: draft a ticket from a transcript, confirm, read back."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel, Field, field_validator

from kg.ontology import CITY_TIMEZONE
from kg.ticket import StoredTicket, Ticket, get_ticket, store_ticket
from nlu.pii import mask_pii
from ui.services import Services

log = logging.getLogger(__name__)

MAX_TRANSCRIPT = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class DraftRequest(BaseModel):
    """A call transcript (「市民：…」/「坐席：…」 lines, or one message) and when it came in."""

    transcript: str = Field(min_length=1, max_length=MAX_TRANSCRIPT,
                            examples=["市民：滨江区长河街道的路灯坏了三天了\n市民：我叫王秀英，电话13805712345"])
    call_time: datetime | None = Field(default=None, description="默认为当前时间")

    @field_validator("transcript")
    @classmethod
    def _readable(cls, value: str) -> str:
        cleaned = _CONTROL.sub("", value).strip()
        if not cleaned:
            raise ValueError("the transcript is empty once whitespace and control characters go")
        return cleaned


class StoredAnswer(BaseModel):
    """What POST /tickets answers: the id the ticket is stored under."""

    id: str
    stored: bool = True


def tickets_router(services: Services) -> APIRouter:
    """The /tickets endpoints; the drafting models load on first use."""
    router = APIRouter(prefix="/tickets", tags=["hotline"])
    store = services.store

    @router.post("/draft", response_model=Ticket)
    def draft_ticket(request: DraftRequest) -> Ticket:
        """A draft ticket filled from the transcript: caller, place, time, category, routes."""
        call_time = request.call_time or datetime.now(CITY_TIMEZONE)
        ticket = services.ticket_filler.draft(request.transcript, call_time)
        log.info("drafted %s: %s", ticket.id, mask_pii(ticket.summary))
        return ticket

    @router.post("", response_model=StoredAnswer, status_code=status.HTTP_201_CREATED)
    def confirm_ticket(ticket: Ticket) -> StoredAnswer:
        """Store a confirmed ticket with its ABOUT, AT, ROUTED_TO and MENTIONS edges.

        Idempotent by id: posting an edited ticket again replaces those edges. Entity spans
        link (MENTIONS) only to nodes already in the graph; the rest are kept on the ticket.
        """
        store_ticket(store, ticket)
        return StoredAnswer(id=ticket.id)

    @router.get("/{ticket_id}", response_model=StoredTicket)
    def read_ticket(ticket_id: Annotated[str, Path(max_length=64)]) -> StoredTicket:
        """A stored ticket with its category, place, departments and extracted entities.

        ``mentions`` lists every entity span in extraction order, each with the node it
        links to (label and key) or null when it names none.
        """
        return get_ticket(store, ticket_id)

    return router
