"""The bank's customer-service bot: an answer from the bank's own knowledge, or a hand-over.

A question goes through hybrid retrieval over the bank's entries and the answer scorer. At
or above the scorer's calibrated threshold the bot answers with the entry's own text and
names its source; below it, it hands over to a person (「转人工」) and shows the closest
questions it knows. It never composes a rate, fee, limit or rule: every figure a customer
reads comes verbatim from a knowledge entry.

Follow-up questions (「那手续费呢？」) are understood through the previous question: when a
short question alone is not confident enough, it is asked again together with the last one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from kg.errors import DataValidationError
from retrieval.answer_scorer import AnswerScorer, ScoredHit
from retrieval.knowledge_base import KnowledgeBase

BANK_DOMAIN = "银行"
MAX_QUESTION_CHARS = 500
FOLLOW_UP_MAX_CHARS = 8
SUGGESTIONS = 3
CANDIDATES = 10

HANDOVER_REPLY = "这个问题我暂时无法准确回答，正在为您转接人工客服，请稍候。"
HUMAN_REQUEST_REPLY = "好的，正在为您转接人工客服，请稍候。"
_HUMAN_REQUEST = re.compile(r"转人工|人工客服|人工服务|找人工|真人")
_SEARCHABLE = re.compile(r"[\w\u4e00-\u9fff]")
_FOLLOW_UP = re.compile(r"^(那|还有|另外|这个|它|要是|如果)|呢[？?]?$")


class BankTurn(BaseModel):
    """One earlier exchange of the conversation, as the client kept it."""

    question: str
    entry_id: str | None = None


class AnswerSource(BaseModel):
    """The knowledge entry an answer comes from."""

    entry_id: str
    question: str
    source: str | None = None
    category: str | None = None


class Suggestion(BaseModel):
    """A close question the bot knows, offered when it hands over."""

    entry_id: str
    question: str
    confidence: float


class BankAnswer(BaseModel):
    """The bot's reply to one question."""

    question: str
    status: Literal["answered", "handover"]
    reply: str = Field(description="the text shown to the customer")
    answer: str | None = Field(default=None, description="the entry's answer, verbatim")
    confidence: float = Field(ge=0.0, le=1.0)
    threshold: float
    source: AnswerSource | None = None
    suggestions: list[Suggestion] = Field(default_factory=list)
    reason: str = Field(description="why the bot answered or handed over")
    used_context: bool = Field(default=False, description="the previous question was used")


def check_question(question: str) -> str:
    """The question with blanks folded; DataValidationError when it cannot be a question."""
    folded = " ".join(question.split())
    if not folded:
        raise DataValidationError("question: 问题为空")
    if len(folded) > MAX_QUESTION_CHARS:
        raise DataValidationError(
            f"question: 问题过长（{len(folded)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内"
        )
    if not _SEARCHABLE.search(folded):
        raise DataValidationError("question: 问题里没有文字，只有标点或符号")
    return folded


def is_follow_up(question: str) -> bool:
    """Whether a question leans on the previous one: short, opening with 「那」「还有」…, or
    ending in 「呢」 (「那手续费呢？」). A complete question (「明天会下雨吗？」) is not."""
    return len(question) <= FOLLOW_UP_MAX_CHARS or bool(_FOLLOW_UP.search(question))


class BankQABot:
    """Answers bank customers from the knowledge base; stateless between calls."""

    def __init__(
        self, base: KnowledgeBase, scorer: AnswerScorer, domain: str | None = BANK_DOMAIN
    ) -> None:
        self.base = base
        self.scorer = scorer
        self.domain = domain

    def _ranked(self, question: str) -> list[ScoredHit]:
        hits = self.base.search(question, CANDIDATES, domain=self.domain)
        return self.scorer.rerank(question, hits)

    def ask(self, question: str, history: Sequence[BankTurn] = ()) -> BankAnswer:
        """Answer ``question`` (with the conversation so far) or hand it over."""
        text = check_question(question)
        threshold = self.scorer.threshold
        if _HUMAN_REQUEST.search(text):
            return BankAnswer(
                question=text, status="handover", reply=HUMAN_REQUEST_REPLY, confidence=0.0,
                threshold=threshold, reason="客户要求人工服务",
            )
        ranked = self._ranked(text)
        used_context = False
        best = ranked[0].probability if ranked else 0.0
        if best < threshold and history and is_follow_up(text):
            combined = f"{history[-1].question} {text}"
            with_context = self._ranked(combined[-MAX_QUESTION_CHARS:])
            if with_context and with_context[0].probability > best:
                ranked, best, used_context = with_context, with_context[0].probability, True
        if ranked and best >= threshold:
            top = ranked[0].hit.item
            source = AnswerSource(
                entry_id=top.id, question=top.question, source=top.source, category=top.category
            )
            cite = f"（依据：{top.source}）" if top.source else ""
            return BankAnswer(
                question=text, status="answered", reply=f"{top.answer}{cite}", answer=top.answer,
                confidence=round(best, 4), threshold=threshold, source=source,
                reason=f"与知识条目「{ranked[0].hit.matched_key}」匹配，置信度 {best:.2f}",
                used_context=used_context,
            )
        suggestions = [
            Suggestion(entry_id=s.hit.item.id, question=s.hit.item.question,
                       confidence=round(s.probability, 4))
            for s in ranked[:SUGGESTIONS]
        ]
        reason = (
            f"最接近的知识条目置信度 {best:.2f}，低于阈值 {threshold:.2f}"
            if ranked else "知识库里没有相关条目"
        )
        return BankAnswer(
            question=text, status="handover", reply=HANDOVER_REPLY, confidence=round(best, 4),
            threshold=threshold, suggestions=suggestions, reason=reason,
            used_context=used_context,
        )
