"""The citizen-dialogue evaluation (`cityagent eval dialogues`): run every scripted dialogue
through the citizen bot and report task success, slot completion, groundedness, refusal
correctness and latency, overall and per kind of dialogue.

The file format and the exact definition of each figure are in
``ingest/demo/data/DIALOGUES.md``; reading the file is :mod:`bots.dialogue_cases`, playing
it :mod:`bots.dialogue_runner`, scoring one dialogue :mod:`bots.dialogue_scoring` and
:mod:`bots.dialogue_grounding`. This module builds the bot the evaluation runs (its tickets
in memory, never in the graph) and turns the dialogue scores into one report.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, Field

from bots.agents.citizen import CitizenBot, CitizenConfig
from bots.dialogue_cases import KINDS, DialogueCase, unknown_entries
from bots.dialogue_grounding import EntryFacts, ProceduralTexts, SentenceCounts
from bots.dialogue_runner import LLMCall, MemoryTicketBook, TimedLLM, play
from bots.dialogue_scoring import DialogueScore, RefusalCounts, score_dialogue
from bots.guarded_rewrite import Completer
from bots.hotline_assist import ContextLookup
from bots.tools.context import ToolContext
from kg.errors import DataValidationError
from nlu.ticket_fill import TicketFiller
from retrieval.answer_scorer import AnswerScorer
from retrieval.knowledge_base import KnowledgeBase

log = logging.getLogger(__name__)

SESSION_PREFIX = "eval-"


# --------------------------------------------------------------------------- the report
class Latency(BaseModel):
    """Distribution of a duration, in seconds (nearest-rank percentiles)."""

    n: int
    p50_s: float | None = None
    p95_s: float | None = None
    max_s: float | None = None
    mean_s: float | None = None


class LLMFigures(BaseModel):
    """The LLM calls the bot made (it rephrases cited answers only)."""

    model: str
    calls: int
    failed: int
    first_token: Latency
    full_answer: Latency
    tokens_per_s: float | None = Field(
        description="streamed chunks after the first, per second after the first token")
    rewrites_kept: int
    rewrites_rejected: int = Field(description="rephrasings the guardrails threw away")


class Groundedness(SentenceCounts):
    """Reply sentences by class, and the shares grounded."""

    groundedness: float | None = Field(description="(cited + covered + procedural) / total")
    strict_groundedness: float | None = Field(description="(cited + procedural) / total")
    answer_citation_rate: float | None = Field(
        description="(cited + covered) / non-procedural sentences")


class Refusals(RefusalCounts):
    """Turn-level refusal correctness: refused when it should, and only then."""

    turns: int
    accuracy: float | None
    precision: float | None = Field(description="refusals that were due")
    recall: float | None = Field(description="due refusals made")


class SlotScore(BaseModel):
    """One ticket slot over the dialogues expecting a ticket."""

    correct: int
    total: int
    accuracy: float | None


class KindFigures(BaseModel):
    """The headline figures of one kind of dialogue."""

    dialogues: int
    task_success: float
    slot_completion: float | None
    groundedness: float | None
    refusal_accuracy: float | None
    reply_p50_s: float | None


class Failure(BaseModel):
    """A dialogue that failed, and why."""

    id: str
    kind: str
    reasons: list[str]
    ungrounded: list[str] = Field(default_factory=list)


class DialogueEvalReport(BaseModel):
    """The whole evaluation."""

    dialogues: int
    turns: int
    llm: str | None = Field(description="the LLM model, or None: templates and retrieval only")
    task_success: float
    slot_completion: float | None = Field(description="expected ticket slots right, micro")
    slots: dict[str, SlotScore]
    groundedness: Groundedness
    refusal: Refusals
    reply_latency: Latency = Field(description="CitizenBot.reply per turn, full answer")
    llm_figures: LLMFigures | None
    kinds: dict[str, KindFigures]
    failures: list[Failure]
    ungrounded_dialogues: list[Failure] = Field(
        default_factory=list, description="successful dialogues with ungrounded sentences")
    seconds: float


# --------------------------------------------------------------------------- the run
@dataclass(frozen=True)
class EvaluationBot:
    """The bot under evaluation with its in-memory ticket book and its timed LLM."""

    bot: CitizenBot
    book: MemoryTicketBook
    llm: TimedLLM | None
    facts: EntryFacts


def evaluation_bot(knowledge: KnowledgeBase, scorer: AnswerScorer, filler: TicketFiller,
                   lookup: ContextLookup | None, *, llm: Completer | None = None,
                   config: CitizenConfig | None = None, answer_threshold: float | None = None
                   ) -> EvaluationBot:
    """A citizen bot as the service builds it, but filing into memory, its LLM timed.

    ``lookup`` expands entries through the graph (handling departments), as in the service.
    """
    book = MemoryTicketBook()
    timed = TimedLLM(llm) if llm is not None else None
    context = ToolContext(knowledge=knowledge, scorer=scorer, tickets=book, lookup=lookup,
                          answer_threshold=answer_threshold)
    bot = CitizenBot(context, filler, llm=timed, config=config)
    return EvaluationBot(bot=bot, book=book, llm=timed, facts=entry_facts(knowledge, lookup))


def entry_facts(knowledge: KnowledgeBase, lookup: ContextLookup | None) -> EntryFacts:
    """An entry's question, answer, source and its departments' names and phones, by id."""

    def facts(entry_id: str) -> str | None:
        item = knowledge.get(entry_id)
        if item is None:
            return None
        around = lookup([entry_id]).get(entry_id) if lookup is not None else None
        contacts = [f"{d.name} {d.phone or ''}" for d in around.departments] if around else []
        return "\n".join([item.question, item.answer, item.source or "", *contacts])

    return facts


def evaluate_dialogues(cases: Sequence[DialogueCase], subject: EvaluationBot,
                       model: str | None = None) -> DialogueEvalReport:
    """Play every dialogue in a fresh session of ``subject`` and report the figures.

    Raises DataValidationError when a case expects an entry the knowledge base lacks (it
    could never succeed, and the figure would blame the bot for the data).
    """
    missing = unknown_entries(list(cases), subject.bot.context.knowledge_base)
    if missing:
        raise DataValidationError("entries not in the knowledge base: " + "; ".join(missing))
    began = time.perf_counter()
    scores = []
    for case in cases:
        transcript = play(subject.bot, subject.book, case, SESSION_PREFIX + case.id, subject.llm)
        procedural = ProceduralTexts.of_citizen_bot(case.turns)
        score = score_dialogue(transcript, procedural, subject.facts)
        log.info("dialogue %s: %s", case.id, "ok" if score.success else "; ".join(score.reasons))
        scores.append(score)
    return build_report(scores, model, time.perf_counter() - began)


# --------------------------------------------------------------------------- the figures
def build_report(scores: Sequence[DialogueScore], model: str | None, seconds: float
                 ) -> DialogueEvalReport:
    """The report of a set of dialogue scores."""
    calls = [c for s in scores for c in s.llm_calls]
    return DialogueEvalReport(
        dialogues=len(scores), turns=sum(len(s.turn_seconds) for s in scores), llm=model,
        task_success=_share(sum(s.success for s in scores), len(scores)) or 0.0,
        slot_completion=_slot_completion(scores), slots=_slots(scores),
        groundedness=_groundedness(s.sentences for s in scores),
        refusal=_refusal(s.refusals for s in scores),
        reply_latency=latency(t for s in scores for t in s.turn_seconds),
        llm_figures=_llm_figures(model, calls, scores) if model is not None else None,
        kinds={kind: _kind(part) for kind in KINDS
               if (part := [s for s in scores if s.kind == kind])},
        failures=[Failure(id=s.id, kind=s.kind, reasons=s.reasons, ungrounded=s.ungrounded)
                  for s in scores if not s.success],
        ungrounded_dialogues=[Failure(id=s.id, kind=s.kind, reasons=[], ungrounded=s.ungrounded)
                              for s in scores if s.success and s.ungrounded],
        seconds=round(seconds, 2),
    )


def latency(values: Iterable[float]) -> Latency:
    """Nearest-rank p50 and p95, maximum and mean of ``values`` (seconds)."""
    ordered = sorted(values)
    if not ordered:
        return Latency(n=0)

    def rank(p: float) -> float:
        return round(ordered[max(0, math.ceil(p * len(ordered)) - 1)], 4)

    return Latency(n=len(ordered), p50_s=rank(0.5), p95_s=rank(0.95),
                   max_s=round(ordered[-1], 4), mean_s=round(sum(ordered) / len(ordered), 4))


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _slot_completion(scores: Sequence[DialogueScore]) -> float | None:
    hits = [right for s in scores for right in s.slots.values()]
    return _share(sum(hits), len(hits))


def _slots(scores: Sequence[DialogueScore]) -> dict[str, SlotScore]:
    names = dict.fromkeys(name for s in scores for name in s.slots)
    out = {}
    for name in names:
        hits = [s.slots[name] for s in scores if name in s.slots]
        out[name] = SlotScore(correct=sum(hits), total=len(hits),
                              accuracy=_share(sum(hits), len(hits)))
    return out


def _groundedness(counts: Iterable[SentenceCounts]) -> Groundedness:
    total = SentenceCounts()
    for one in counts:
        total = total.plus(one)
    answers = total.total - total.procedural
    return Groundedness(
        **total.model_dump(),
        groundedness=_share(total.cited + total.covered + total.procedural, total.total),
        strict_groundedness=_share(total.cited + total.procedural, total.total),
        answer_citation_rate=_share(total.cited + total.covered, answers),
    )


def _refusal(counts: Iterable[RefusalCounts]) -> Refusals:
    total = RefusalCounts()
    for one in counts:
        total = total.plus(one)
    turns = (total.correct_refusals + total.wrong_refusals + total.missed_refusals
             + total.correct_answers)
    return Refusals(
        **total.model_dump(), turns=turns,
        accuracy=_share(total.correct_refusals + total.correct_answers, turns),
        precision=_share(total.correct_refusals, total.correct_refusals + total.wrong_refusals),
        recall=_share(total.correct_refusals, total.correct_refusals + total.missed_refusals),
    )


def _llm_figures(model: str, calls: list[LLMCall], scores: Sequence[DialogueScore]
                 ) -> LLMFigures:
    ok = [c for c in calls if c.ok]
    decoding = sum(c.total_s - (c.first_token_s or 0.0) for c in ok)
    after_first = sum(max(c.pieces - 1, 0) for c in ok)
    return LLMFigures(
        model=model, calls=len(calls), failed=len(calls) - len(ok),
        first_token=latency(c.first_token_s for c in ok if c.first_token_s is not None),
        full_answer=latency(c.total_s for c in ok),
        tokens_per_s=round(after_first / decoding, 2) if decoding > 0 else None,
        rewrites_kept=sum(s.rewrites_kept for s in scores),
        rewrites_rejected=sum(s.rewrites_rejected for s in scores),
    )


def _kind(scores: list[DialogueScore]) -> KindFigures:
    return KindFigures(
        dialogues=len(scores),
        task_success=_share(sum(s.success for s in scores), len(scores)) or 0.0,
        slot_completion=_slot_completion(scores),
        groundedness=_groundedness(s.sentences for s in scores).groundedness,
        refusal_accuracy=_refusal(s.refusals for s in scores).accuracy,
        reply_p50_s=latency(t for s in scores for t in s.turn_seconds).p50_s,
    )


def limited(cases: Sequence[DialogueCase], limit: int | None) -> list[DialogueCase]:
    """The first ``limit`` dialogues of each kind in turn, so a short run still covers every
    kind (None: all of them)."""
    if limit is None:
        return list(cases)
    by_kind: dict[str, list[DialogueCase]] = {}
    for case in cases:
        by_kind.setdefault(case.kind, []).append(case)
    chosen: list[DialogueCase] = []
    while len(chosen) < min(limit, len(cases)):
        for group in by_kind.values():
            if group and len(chosen) < limit:
                chosen.append(group.pop(0))
    return sorted(chosen, key=lambda c: c.line)

