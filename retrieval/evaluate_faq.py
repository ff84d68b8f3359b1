"""How well a knowledge base answers real questions: ranking figures and precision/coverage.

``cityagent eval faq`` loads a FAQ into a fresh knowledge base and asks it each question of
a data file whose right answer is known (by its standard question). The figures:
``top1``/``top5`` (the right entry first / among the first five), ``mrr``, and for a range
of answer thresholds the ``precision`` (share of answered questions answered right) and
``coverage`` (share of questions answered) — what a bank trades off when it decides when
the bot answers and when it hands over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from kg.errors import DataValidationError
from nlu.jsonl import read_jsonl
from retrieval.answer_scorer import AnswerScorer, ScoredHit
from retrieval.encoder import TextEncoder
from retrieval.entries import KnowledgeItem
from retrieval.knowledge_base import KnowledgeBase, clean_query

logger = logging.getLogger(__name__)

CANDIDATES = 10
"""How many fused candidates the scorer reranks."""
TARGET_COVERAGE = 0.85
"""The coverage at which the issue's precision goal (0.95) is stated."""
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 1.0, 0.05))


class FaqQuestion(BaseModel):
    """A question and the id of the entry that answers it (None: nothing in the base does)."""

    question: str
    expected_id: str | None


class RankingFigures(BaseModel):
    """Where the right entry lands in the ranking."""

    n: int
    top1: float
    top5: float
    mrr: float


class PrecisionCoverage(BaseModel):
    """Answering only at or above ``threshold``: how often right, how often answered."""

    threshold: float
    precision: float
    coverage: float


class FaqEvalReport(BaseModel):
    """The JSON ``cityagent eval faq`` prints."""

    encoder: str
    n_entries: int
    n_questions: int
    n_unknown: int = Field(description="questions whose standard question is not in the FAQ")
    top1: float
    top5: float
    mrr: float
    fused_only: RankingFigures = Field(description="the same ranking before the scorer reranks")
    threshold: float = Field(description="the scorer's answer threshold")
    at_threshold: PrecisionCoverage
    precision_at_085_coverage: float = Field(
        description="precision when the 85 % most confident questions are answered"
    )
    precision_coverage: list[PrecisionCoverage]
    seconds: float
    questions_per_second: float


def read_questions(path: Path, items: Sequence[KnowledgeItem]) -> list[FaqQuestion]:
    """Questions of a JSON-lines file ``{"question", "standard_question"}``, matched to items.

    A standard question the FAQ lacks gives a question whose right answer is a hand-over.
    """
    by_question = {" ".join(item.question.split()): item.id for item in items}
    questions = []
    for lineno, row in read_jsonl(path):
        question, standard = row.get("question"), row.get("standard_question")
        if not isinstance(question, str) or not question.strip():
            raise DataValidationError(f"{path}:{lineno}: 'question' must be a non-empty string")
        if not isinstance(standard, str):
            raise DataValidationError(f"{path}:{lineno}: 'standard_question' must be a string")
        questions.append(
            FaqQuestion(question=question, expected_id=by_question.get(" ".join(standard.split())))
        )
    if not questions:
        raise DataValidationError(f"{path}: no questions")
    return questions


def ranking_figures(
    rankings: Sequence[Sequence[str]], expected: Sequence[str | None]
) -> RankingFigures:
    """top-1, top-5 and MRR of ranked id lists against the expected ids (None never found)."""
    n = len(expected)
    if n == 0:
        return RankingFigures(n=0, top1=0.0, top5=0.0, mrr=0.0)
    top1 = top5 = rr = 0.0
    for ranked, gold in zip(rankings, expected, strict=True):
        if gold is None or gold not in ranked:
            continue
        position = list(ranked).index(gold)
        top1 += position == 0
        top5 += position < 5
        rr += 1.0 / (position + 1)
    return RankingFigures(
        n=n, top1=round(top1 / n, 4), top5=round(top5 / n, 4), mrr=round(rr / n, 4)
    )


def precision_coverage(
    confidences: Sequence[float], correct: Sequence[bool], thresholds: Sequence[float]
) -> list[PrecisionCoverage]:
    """Precision and coverage of answering when the confidence is at least each threshold."""
    conf = np.asarray(confidences, dtype=np.float64)
    right = np.asarray(correct, dtype=bool)
    points = []
    for t in thresholds:
        answered = conf >= t
        n_answered = int(answered.sum())
        points.append(
            PrecisionCoverage(
                threshold=float(t),
                precision=round(float(right[answered].mean()) if n_answered else 1.0, 4),
                coverage=round(n_answered / len(conf), 4) if len(conf) else 0.0,
            )
        )
    return points


def precision_at_coverage(
    confidences: Sequence[float], correct: Sequence[bool], coverage: float = TARGET_COVERAGE
) -> float:
    """Precision when only the ``coverage`` share of questions answered most confidently are."""
    n = round(len(confidences) * coverage)
    if n == 0:
        return 1.0
    order = np.argsort(-np.asarray(confidences, dtype=np.float64), kind="stable")[:n]
    return round(float(np.asarray(correct, dtype=bool)[order].mean()), 4)


def build_base(items: Sequence[KnowledgeItem], encoder: TextEncoder) -> KnowledgeBase:
    """A fresh knowledge base holding ``items``."""
    base = KnowledgeBase(encoder)
    base.upsert(items)
    return base


def rank_questions(
    base: KnowledgeBase, questions: Sequence[FaqQuestion], scorer: AnswerScorer | None
) -> tuple[list[list[str]], list[list[ScoredHit]]]:
    """Fused rankings (ids) and, with a scorer, reranked candidates for each question."""
    texts = [clean_query(q.question) for q in questions]
    vectors = base.encoder.encode_queries(texts)
    fused: list[list[str]] = []
    reranked: list[list[ScoredHit]] = []
    for text, vector in zip(texts, vectors, strict=True):
        hits = base.search_vector(text, vector, CANDIDATES)
        fused.append([h.item.id for h in hits])
        if scorer is not None:
            reranked.append(scorer.rerank(text, hits))
    return fused, reranked


def evaluate_faq(
    items: Sequence[KnowledgeItem],
    questions: Sequence[FaqQuestion],
    encoder: TextEncoder,
    scorer: AnswerScorer,
) -> FaqEvalReport:
    """Load ``items`` into a fresh base, ask every question, and measure the answers."""
    base = build_base(items, encoder)
    started = time.perf_counter()
    fused, reranked = rank_questions(base, questions, scorer)
    seconds = time.perf_counter() - started
    expected = [q.expected_id for q in questions]
    ranked_ids = [[s.hit.item.id for s in cands] for cands in reranked]
    figures = ranking_figures(ranked_ids, expected)
    confidences = [cands[0].probability if cands else 0.0 for cands in reranked]
    correct = [bool(ids) and ids[0] == gold for ids, gold in zip(ranked_ids, expected, strict=True)]
    curve = precision_coverage(confidences, correct, THRESHOLDS)
    at = precision_coverage(confidences, correct, [scorer.threshold])[0]
    return FaqEvalReport(
        encoder=encoder.name,
        n_entries=len(base),
        n_questions=len(questions),
        n_unknown=sum(gold is None for gold in expected),
        top1=figures.top1,
        top5=figures.top5,
        mrr=figures.mrr,
        fused_only=ranking_figures(fused, expected),
        threshold=scorer.threshold,
        at_threshold=at,
        precision_at_085_coverage=precision_at_coverage(confidences, correct),
        precision_coverage=curve,
        seconds=round(seconds, 2),
        questions_per_second=round(len(questions) / seconds, 1) if seconds > 0 else 0.0,
    )
