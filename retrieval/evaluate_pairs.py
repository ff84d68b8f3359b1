"""Same-intent accuracy of the pair matcher on a labelled BQ-format file.

``cityagent eval pairs --data FILE`` reads pairs ``sentence1,sentence2,label`` (label 1 = the
two questions ask the same), scores them with the committed :class:`~retrieval.pairs.PairMatcher`
(with the cross-encoder it blends) and compares its yes/no at the committed threshold with the
labels. The threshold was fixed when the model was trained (on the BQ corpus dev split);
nothing here looks at the evaluated file's labels before deciding, so on pairs the models
never saw the figures are those of unseen pairs.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from retrieval.encoder import TextEncoder
from retrieval.pairs import DEFAULT_PAIRS_FILE, PairMatcher, load_matcher, read_pairs

logger = logging.getLogger(__name__)


class PairScores(BaseModel):
    """Accuracy, precision, recall and F1 of the positive class (same intent)."""

    n: int
    accuracy: float
    precision: float
    recall: float
    f1: float


class PairsEvalReport(PairScores):
    """The JSON ``cityagent eval pairs`` prints."""

    data: str
    threshold: float
    model: str
    encoder: str
    cross_encoder: str | None
    positives: int
    seconds: float
    pairs_per_second: float


def pair_scores(predicted: np.ndarray, labels: np.ndarray) -> PairScores:
    """Scores of yes/no ``predicted`` against 0/1 ``labels`` (positive class: same intent)."""
    pred = np.asarray(predicted, dtype=bool)
    gold = np.asarray(labels).astype(bool)
    true_pos = int((pred & gold).sum())
    precision = true_pos / int(pred.sum()) if pred.any() else 0.0
    recall = true_pos / int(gold.sum()) if gold.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return PairScores(
        n=len(gold),
        accuracy=round(float((pred == gold).mean()), 4) if len(gold) else 0.0,
        precision=round(precision, 4),
        recall=round(recall, 4),
        f1=round(f1, 4),
    )


def evaluate_pairs(
    data: Path, encoder: TextEncoder | None = None, model_path: Path = DEFAULT_PAIRS_FILE
) -> PairsEvalReport:
    """Score every pair of ``data`` with the committed matcher and its committed threshold
    (over the encoder the matcher names, unless ``encoder`` is given)."""
    pairs = read_pairs(data)
    matcher: PairMatcher = load_matcher(encoder, model_path)
    started = time.perf_counter()
    probabilities = matcher.probabilities(
        [p.sentence1 for p in pairs], [p.sentence2 for p in pairs]
    )
    seconds = time.perf_counter() - started
    labels = np.asarray([p.label for p in pairs])
    scores = pair_scores(probabilities >= matcher.threshold, labels)
    logger.info("scored %d pairs in %.1f s", len(pairs), seconds)
    return PairsEvalReport(
        **scores.model_dump(),
        data=str(data),
        threshold=matcher.threshold,
        model=str(model_path),
        encoder=matcher.encoder.name,
        cross_encoder=matcher.cross.name if matcher.cross is not None else None,
        positives=int(labels.sum()),
        seconds=round(seconds, 2),
        pairs_per_second=round(len(pairs) / seconds, 1) if seconds > 0 else 0.0,
    )
