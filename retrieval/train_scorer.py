"""Trains the answer scorer on a real FAQ with cross-validation over its paraphrases.

Each paraphrase is put in one of ``n_folds`` folds. For fold *f* a knowledge base is built
from every entry *without* fold *f*'s paraphrases, and those paraphrases are asked of it:
they are customer wordings the base has never seen. A few entries are also taken out of the
base altogether in each fold and their questions asked as well, so the scorer learns what a
question with no answer in the base looks like. The scorer for fold *f*'s figures is fitted
on the other folds' candidates only (nested), so every figure is out-of-fold. The answer
threshold is the lowest confidence at which the out-of-fold precision on answerable
questions still reaches ``target_precision``; the final model is fitted on all folds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field
from sklearn.linear_model import LogisticRegression

from kg.errors import DataValidationError
from retrieval.answer_scorer import (
    DEFAULT_SCORER_FILE,
    FEATURES,
    AnswerScorer,
    ScorerModel,
    candidate_features,
    save_scorer,
)
from retrieval.encoder import CachedEncoder, TextEncoder
from retrieval.entries import KnowledgeItem
from retrieval.evaluate_faq import (
    CANDIDATES,
    THRESHOLDS,
    FaqQuestion,
    PrecisionCoverage,
    RankingFigures,
    build_base,
    precision_at_coverage,
    precision_coverage,
    ranking_figures,
)
from retrieval.knowledge_base import KnowledgeHit, clean_query

logger = logging.getLogger(__name__)

UNKNOWN_SHARE = 0.05
"""Share of entries taken out of the base in each fold, their questions asked as unanswerable."""


class ScorerTrainReport(BaseModel):
    """Out-of-fold figures of the scorer and the threshold chosen from them."""

    encoder: str
    encoder_per_fold: bool = Field(
        default=False, description="each fold asked through an encoder tuned without it"
    )
    n_entries: int
    n_questions: int
    n_unknown_questions: int
    n_folds: int
    seed: int
    fused_only: RankingFigures
    reranked: RankingFigures
    target_precision: float
    threshold: float
    at_threshold: PrecisionCoverage
    unknown_refused_at_threshold: float
    precision_at_085_coverage: float
    precision_coverage: list[PrecisionCoverage]
    seconds: float


@dataclass
class _Asked:
    """A question asked in one fold and the candidates the base returned."""

    fold: int
    question: FaqQuestion
    text: str
    hits: list[KnowledgeHit]


def fold_plan(
    items: Sequence[KnowledgeItem], n_folds: int, seed: int
) -> list[tuple[list[KnowledgeItem], list[FaqQuestion]]]:
    """For each fold: the entries in its base and the questions asked of it."""
    rng = np.random.default_rng(seed)
    para_fold = {item.id: rng.integers(0, n_folds, len(item.paraphrases)) for item in items}
    unknown_code = rng.integers(0, round(n_folds / UNKNOWN_SHARE), len(items))
    plan = []
    for fold in range(n_folds):
        base: list[KnowledgeItem] = []
        questions: list[FaqQuestion] = []
        for item, code in zip(items, unknown_code, strict=True):
            if code == fold:
                questions += [FaqQuestion(question=q, expected_id=None) for q in item.match_texts()]
                continue
            held = para_fold[item.id] == fold
            kept = tuple(p for p, h in zip(item.paraphrases, held, strict=True) if not h)
            questions += [
                FaqQuestion(question=p, expected_id=item.id)
                for p, h in zip(item.paraphrases, held, strict=True)
                if h
            ]
            base.append(item.model_copy(update={"paraphrases": kept}))
        plan.append((base, questions))
    return plan


def _ask_all(
    items: Sequence[KnowledgeItem], encoders: Sequence[TextEncoder], n_folds: int, seed: int
) -> list[_Asked]:
    asked: list[_Asked] = []
    for fold, (base_items, questions) in enumerate(fold_plan(items, n_folds, seed)):
        encoder = encoders[fold]
        base = build_base(base_items, encoder)
        texts = [clean_query(q.question) for q in questions]
        vectors = encoder.encode_queries(texts)
        for question, text, vector in zip(questions, texts, vectors, strict=True):
            asked.append(_Asked(fold, question, text, base.search_vector(text, vector, CANDIDATES)))
        logger.info("fold %d: %d entries, %d questions", fold, len(base_items), len(questions))
    return asked


def _design(asked: Sequence[_Asked]) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for a in asked:
        rows.append(candidate_features(a.text, a.hits))
        labels += [h.item.id == a.question.expected_id for h in a.hits]
    x = np.vstack(rows) if rows else np.zeros((0, len(FEATURES)))
    return x, np.asarray(labels, dtype=bool)


def fit_model(features: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> ScorerModel:
    """A standardised logistic regression on candidate rows (label: the right entry)."""
    if labels.all() or not labels.any():
        raise DataValidationError("the scorer needs both right and wrong candidates to learn from")
    mean = features.mean(axis=0)
    scale = features.std(axis=0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(C=1.0, max_iter=2000)
    clf.fit((features - mean) / scale, labels)
    return ScorerModel(
        features=list(FEATURES),
        mean=mean.tolist(),
        scale=scale.tolist(),
        coef=clf.coef_[0].tolist(),
        intercept=float(clf.intercept_[0]),
        threshold=threshold,
    )


def choose_threshold(confidences: np.ndarray, correct: np.ndarray, target: float) -> float:
    """The lowest confidence whose answered share keeps precision ≥ ``target`` (max coverage)."""
    order = np.argsort(-confidences, kind="stable")
    hits = np.cumsum(correct[order])
    precision = hits / np.arange(1, len(order) + 1)
    ok = np.nonzero(precision >= target)[0]
    if ok.size == 0:
        return 1.0
    return float(np.floor(confidences[order][ok.max()] * 1e4) / 1e4)


def train_scorer(
    items: Sequence[KnowledgeItem],
    encoder: TextEncoder,
    out: Path = DEFAULT_SCORER_FILE,
    *,
    n_folds: int = 5,
    seed: int = 0,
    target_precision: float = 0.95,
    fold_encoders: Sequence[TextEncoder] | None = None,
) -> ScorerTrainReport:
    """Cross-validate the scorer on ``items``' paraphrases, choose the threshold, save it.

    ``fold_encoders`` are for an encoder fine-tuned on these same paraphrases
    (``retrieval/train_encoder.py``): fold *f* is then asked through the encoder that never
    saw its questions, and ``encoder`` (trained on all of them) is only named in the model.
    """
    if sum(len(i.paraphrases) for i in items) < n_folds:
        raise DataValidationError("training the scorer needs paraphrases in the FAQ")
    if fold_encoders is not None and len(fold_encoders) != n_folds:
        raise ValueError(f"{len(fold_encoders)} fold encoders for {n_folds} folds")
    started = time.perf_counter()
    if fold_encoders is None:
        encoders = [CachedEncoder(encoder)] * n_folds
    else:
        encoders = [CachedEncoder(e) for e in fold_encoders]
    asked = _ask_all(items, encoders, n_folds, seed)
    folds = np.asarray([a.fold for a in asked])
    oof_rankings: list[list[str]] = [[] for _ in asked]
    oof_conf = np.zeros(len(asked))
    for fold in range(n_folds):
        train = [a for a in asked if a.fold != fold]
        scorer = AnswerScorer(fit_model(*_design(train)))
        for idx in np.nonzero(folds == fold)[0]:
            a = asked[idx]
            ranked = scorer.rerank(a.text, a.hits)
            oof_rankings[idx] = [s.hit.item.id for s in ranked]
            oof_conf[idx] = ranked[0].probability if ranked else 0.0
    expected = [a.question.expected_id for a in asked]
    known = np.asarray([e is not None for e in expected])
    correct = np.asarray(
        [bool(r) and r[0] == e for r, e in zip(oof_rankings, expected, strict=True)]
    )
    threshold = choose_threshold(oof_conf[known], correct[known], target_precision)
    model = fit_model(*_design(asked), threshold=threshold)
    model.trained_on = {
        "entries": len(items),
        "questions": int(known.sum()),
        "unknown_questions": int((~known).sum()),
        "folds": n_folds,
        "seed": seed,
        "encoder": encoder.name,
    }
    save_scorer(model, out)
    known_rankings = [r for r, k in zip(oof_rankings, known, strict=True) if k]
    known_expected = [e for e, k in zip(expected, known, strict=True) if k]
    fused = [[h.item.id for h in a.hits] for a, k in zip(asked, known, strict=True) if k]
    return ScorerTrainReport(
        encoder=encoder.name,
        encoder_per_fold=fold_encoders is not None,
        n_entries=len(items),
        n_questions=int(known.sum()),
        n_unknown_questions=int((~known).sum()),
        n_folds=n_folds,
        seed=seed,
        fused_only=ranking_figures(fused, known_expected),
        reranked=ranking_figures(known_rankings, known_expected),
        target_precision=target_precision,
        threshold=threshold,
        at_threshold=precision_coverage(oof_conf[known], correct[known], [threshold])[0],
        unknown_refused_at_threshold=round(float((oof_conf[~known] < threshold).mean()), 4)
        if (~known).any()
        else 1.0,
        precision_at_085_coverage=precision_at_coverage(oof_conf[known], correct[known]),
        precision_coverage=precision_coverage(oof_conf[known], correct[known], THRESHOLDS),
        seconds=round(time.perf_counter() - started, 1),
    )
