"""REST endpoint of the hotline assistant: suggested replies for a call or a draft ticket."""

from __future__ import annotations

import logging
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from bots.hotline_assist import ReplySuggestion
from kg.ontology import CITY_TIMEZONE
from kg.ticket import Ticket
from ui.services import Services
from ui.tickets_api import MAX_TRANSCRIPT, DraftRequest

log = logging.getLogger(__name__)


class AssistRequest(BaseModel):
    """A call transcript, or a draft ticket (from POST /tickets/draft), or both."""

    transcript: str | None = Field(
        default=None, min_length=1, max_length=MAX_TRANSCRIPT,
        description="通话内容；给了工单时可省略（用工单里的通话内容）",
        examples=["市民：滨江区长河街道的路灯坏了三天了，晚上黑漆漆的"],
    )
    ticket: Ticket | None = Field(default=None, description="坐席正在编辑的工单草稿")
    call_time: datetime | None = Field(default=None, description="只给通话内容时的来电时间")
    polish: bool = Field(
        default=False,
        description="用大模型润色回复草稿（本地 CPU 小模型需数秒；润色未通过核对则保留模板草稿）",
    )

    @model_validator(mode="after")
    def _something_to_search(self) -> AssistRequest:
        if self.transcript is not None:
            # the same cleaning and refusal of empty text as a ticket draft
            self.transcript = DraftRequest(transcript=self.transcript).transcript
        elif self.ticket is None:
            raise ValueError("give a transcript, a ticket, or both")
        return self


class AssistAnswer(ReplySuggestion):
    """The suggestions and the ticket they were made for (drafted when none was given)."""

    ticket: Ticket


def assist_router(services: Services) -> APIRouter:
    """The /assist endpoints; the knowledge indexes load on first use."""
    router = APIRouter(prefix="/assist", tags=["hotline"])

    @router.post("/replies", response_model=AssistAnswer)
    def suggest_replies(request: AssistRequest) -> AssistAnswer:
        """Knowledge entries (numbered, with department, phone and policy from the graph), the
        most similar past cases with their official replies, and a reply draft citing [n].

        With only a transcript the ticket is drafted first, as POST /tickets/draft does.
        ``draft_note`` says whether the LLM polished the draft, and if not, why.
        """
        ticket = request.ticket
        if ticket is None:
            assert request.transcript is not None  # the validator guarantees one of the two
            call_time = request.call_time or datetime.now(CITY_TIMEZONE)
            ticket = services.ticket_filler.draft(request.transcript, call_time)
        suggestion = services.hotline_assistant.suggest(ticket, request.transcript,
                                                        polish=request.polish)
        log.info("suggested a reply for %s: %d entries, %d past cases", ticket.id,
                 len(suggestion.entries), len(suggestion.past_cases))
        return AssistAnswer(**suggestion.model_dump(), ticket=ticket)

    return router
