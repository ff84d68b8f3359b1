"""REST endpoint of the bank's customer-service bot."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from pydantic import BaseModel, Field

from bots.agents.bank_qa import MAX_QUESTION_CHARS, BankAnswer, BankTurn
from nlu.pii import mask_pii
from ui.services import Services

log = logging.getLogger(__name__)

MAX_HISTORY = 20


class BankQuestion(BaseModel):
    """A customer's question and, for follow-ups, the conversation so far (oldest first)."""

    question: str = Field(
        min_length=1, max_length=MAX_QUESTION_CHARS * 4, examples=["借记卡丢了怎么挂失？"]
    )
    history: list[BankTurn] = Field(default_factory=list, max_length=MAX_HISTORY)


def bank_router(services: Services) -> APIRouter:
    """The /bank endpoints; the knowledge base and encoder load on first use."""
    router = APIRouter(prefix="/bank", tags=["bank"])

    @router.post("/ask", response_model=BankAnswer)
    def ask(request: BankQuestion) -> BankAnswer:
        """The bank's answer with its source, or a hand-over to a person (「转人工」).

        Answers come from one knowledge entry (``answer``: its text verbatim): the bot never
        composes a rate, fee, limit or rule. The LLM may word the ``reply`` from the entry
        when its wording passes the guardrails; ``note`` says who wrote it. ``confidence`` is
        the calibrated probability that the entry is the right one; the bot answers at or
        above ``threshold``.
        """
        answer = services.bank_bot.ask(request.question, request.history)
        log.info("bank question %s: %s (%.2f)", mask_pii(answer.question[:40]), answer.status,
                 answer.confidence)
        return answer

    return router
