"""How close suggested replies come to the government's official replies on held-out cases.

Each held-out past case is treated as a call: its message is drafted into a ticket, the
assistant suggests a reply (with the index built from the other cases only), and the
suggestion is compared with the official reply by

- **semantic similarity**: the cosine of the encoder's passage embeddings of the two texts;
- **ROUGE-L over characters**: the longest common subsequence of the two texts' characters
  (blanks dropped) as precision, recall and F1 — Chinese has no spaces to split words on,
  and a word segmenter would make the score depend on its dictionary.

The same scores are given for the baseline the agent would otherwise use — the nearest past
case's reply verbatim — and for a floor, an unrelated case's reply, since embeddings score
any two replies of the same genre high. Citation marks ([1]) are removed before scoring.
"""

from __future__ import annotations

import logging
import re
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from bots.hotline_assist import AssistConfig, ContextLookup, HotlineAssistant, ReplySuggestion
from kg.ticket import Ticket
from retrieval.encoder import TextEncoder
from retrieval.knowledge_base import KnowledgeBase
from retrieval.past_cases import (
    DEFAULT_HELD_OUT,
    DEFAULT_SEED,
    PastCase,
    PastCaseIndex,
    split_cases,
)

log = logging.getLogger(__name__)

_CITATION = re.compile(r"\[\d+\]")
_BLANKS = re.compile(r"\s+")
NEVER = 2.0
"""A cosine no pair reaches: a threshold that turns a kind of citation off."""
EXAMPLES = 3


class RougeL(BaseModel):
    """ROUGE-L of one candidate against one reference."""

    precision: float
    recall: float
    f1: float


class ReplyScores(BaseModel):
    """Mean scores of a set of replies against the official ones."""

    cases: int
    semantic: float = Field(description="mean cosine of the embeddings")
    rouge_l_f1: float
    rouge_l_precision: float
    rouge_l_recall: float
    chars: float = Field(description="mean length of the replies scored, in characters")


class ReplyEvaluation(BaseModel):
    """Suggested replies, the nearest-case baseline and the unrelated-reply floor."""

    indexed_cases: int
    held_out_cases: int
    encoder: str = Field(description="the encoder that retrieved entries and past cases")
    judge: str = Field(description="the encoder whose cosines give the semantic similarity")
    suggestions: dict[str, ReplyScores] = Field(description="one entry per assistant variant")
    nearest_case_reply: ReplyScores = Field(description="baseline: the nearest case's reply")
    unrelated_reply: ReplyScores = Field(description="floor: another held-out case's reply")
    official_chars: float = Field(description="mean length of the official replies")
    entries_cited: dict[str, float] = Field(description="mean entries cited per suggestion")
    case_quoted: dict[str, float] = Field(description="share of suggestions quoting a past case")
    ms_per_suggestion: dict[str, float]
    examples: list[dict[str, str]] = Field(
        description="the first held-out cases: message, suggested and official reply")


def lcs_length(a: str, b: str) -> int:
    """Length of the longest common subsequence of two strings (bit-parallel, Hyyrö 2004).

    Each character of ``a`` is a bit; one pass over ``b`` with integer arithmetic on
    Python's big integers replaces the len(a) × len(b) table.
    """
    if not a or not b:
        return 0
    masks: dict[str, int] = {}
    for position, char in enumerate(a):
        masks[char] = masks.get(char, 0) | (1 << position)
    full = (1 << len(a)) - 1
    row = full
    for char in b:
        matched = row & masks.get(char, 0)
        row = ((row + matched) | (row - matched)) & full
    return len(a) - row.bit_count()


def scoring_text(text: str) -> str:
    """A reply as scored: citation marks and blanks removed."""
    return _BLANKS.sub("", _CITATION.sub("", text))


def rouge_l(candidate: str, reference: str) -> RougeL:
    """Character ROUGE-L (precision, recall, F1) of ``candidate`` against ``reference``."""
    cand, ref = scoring_text(candidate), scoring_text(reference)
    common = lcs_length(cand, ref)
    if not common:
        return RougeL(precision=0.0, recall=0.0, f1=0.0)
    precision, recall = common / len(cand), common / len(ref)
    return RougeL(precision=precision, recall=recall,
                  f1=2 * precision * recall / (precision + recall))


def score_replies(
    candidates: Sequence[str], references: Sequence[str], encoder: TextEncoder
) -> ReplyScores:
    """Mean semantic similarity and ROUGE-L of ``candidates`` against ``references``."""
    if len(candidates) != len(references) or not candidates:
        raise ValueError("need as many candidates as references, and at least one")
    cands = [scoring_text(c) for c in candidates]
    refs = [scoring_text(r) for r in references]
    cosines = np.sum(encoder.encode_passages(cands) * encoder.encode_passages(refs), axis=1)
    rouges = [rouge_l(c, r) for c, r in zip(cands, refs, strict=True)]
    return ReplyScores(
        cases=len(cands),
        semantic=round(float(np.mean(cosines)), 4),
        rouge_l_f1=round(statistics.fmean(r.f1 for r in rouges), 4),
        rouge_l_precision=round(statistics.fmean(r.precision for r in rouges), 4),
        rouge_l_recall=round(statistics.fmean(r.recall for r in rouges), 4),
        chars=round(statistics.fmean(len(c) for c in cands), 1),
    )


def evaluate_replies(
    held_out: Sequence[PastCase],
    indexed_cases: int,
    assistants: Mapping[str, HotlineAssistant],
    draft: Callable[[Sequence[str]], list[Ticket]],
    encoder: TextEncoder,
    judge: TextEncoder | None = None,
) -> ReplyEvaluation:
    """Score each assistant's suggestions for ``held_out`` against their official replies.

    ``draft`` turns messages into tickets (the hotline's filler); the assistants' past-case
    index must hold none of ``held_out``. The baseline is the nearest case the first
    assistant shows, so both sides see the same search. ``judge`` (default: ``encoder``)
    embeds the replies for the semantic similarity; keeping it fixed lets two retrieval
    encoders be compared on one scale.
    """
    judge = judge or encoder
    if not held_out or not assistants:
        raise ValueError("nothing to evaluate: no held-out cases or no assistant")
    messages = [f"{case.title}。{case.detail}" if case.detail else case.title
                for case in held_out]
    tickets = draft(messages)
    official = [case.reply for case in held_out]
    results: dict[str, list[ReplySuggestion]] = {}
    timings: dict[str, float] = {}
    for name, assistant in assistants.items():
        began = time.perf_counter()
        results[name] = [assistant.suggest(ticket, message)
                         for ticket, message in zip(tickets, messages, strict=True)]
        timings[name] = round((time.perf_counter() - began) * 1000 / len(held_out), 1)
        log.info("%s: %d suggestions, %.1f ms each", name, len(held_out), timings[name])
    first = next(iter(results.values()))
    nearest = [s.past_cases[0].reply if s.past_cases else "" for s in first]
    unrelated = official[1:] + official[:1]
    return ReplyEvaluation(
        indexed_cases=indexed_cases,
        held_out_cases=len(held_out),
        encoder=encoder.name,
        judge=judge.name,
        suggestions={name: score_replies([s.reply for s in found], official, judge)
                     for name, found in results.items()},
        nearest_case_reply=score_replies(nearest, official, judge),
        unrelated_reply=score_replies(unrelated, official, judge),
        official_chars=round(statistics.fmean(len(scoring_text(r)) for r in official), 1),
        entries_cited={name: round(statistics.fmean(sum(e.cited for e in s.entries)
                                                    for s in found), 3)
                       for name, found in results.items()},
        case_quoted={name: round(statistics.fmean(any(c.cited for c in s.past_cases)
                                                  for s in found), 3)
                     for name, found in results.items()},
        ms_per_suggestion=timings,
        examples=[{"message": case.title, "suggested": suggestion.reply,
                   "official": case.reply} for case, suggestion in zip(held_out[:EXAMPLES], first,
                                                                      strict=False)],
    )


def assistant_variants(
    knowledge: KnowledgeBase | None, context: ContextLookup | None, past: PastCaseIndex
) -> dict[str, HotlineAssistant]:
    """The drafts compared: the default template; never quoting a past case; always quoting
    the nearest one."""
    default = AssistConfig()
    return {
        "template": HotlineAssistant(knowledge, context, past, config=default),
        "template_no_case_quote": HotlineAssistant(
            knowledge, context, past, config=default.model_copy(update={"case_similarity": NEVER})),
        "template_always_case_quote": HotlineAssistant(
            knowledge, context, past, config=default.model_copy(update={"case_similarity": -1.0})),
    }


def evaluate_held_out(
    cases: Sequence[PastCase],
    encoder: TextEncoder,
    draft: Callable[[Sequence[str]], list[Ticket]],
    knowledge: KnowledgeBase | None = None,
    context: ContextLookup | None = None,
    held_out: float = DEFAULT_HELD_OUT,
    seed: int = DEFAULT_SEED,
    limit: int | None = None,
    index_dir: Path | None = None,
    judge: TextEncoder | None = None,
) -> ReplyEvaluation:
    """Hold out a fixed-seed share of ``cases``, index the rest, and score the suggestions.

    ``limit`` scores only the first held-out cases (a quicker run); the split stays the same.
    ``index_dir`` keeps the indexed cases' embeddings between runs (only changes re-encode).
    ``judge`` is the encoder of the similarity score (see :func:`evaluate_replies`).
    """
    indexed, kept_apart = split_cases(cases, held_out, seed)
    if limit is not None:
        kept_apart = kept_apart[:limit]
    began = time.perf_counter()
    past = PastCaseIndex.build(indexed, index_dir, encoder)
    log.info("indexed %d past cases in %.1f s", len(indexed), time.perf_counter() - began)
    return evaluate_replies(kept_apart, len(indexed), assistant_variants(knowledge, context, past),
                            draft, encoder, judge)
