"""Trains the same-intent pair matcher on the BQ corpus dev split, cross-validated.

The pairs are cut into ``n_folds`` folds twice: at random, and *sentence-disjoint* (pairs
linked through a shared sentence stay in one fold, so no test sentence was seen in
training). For each fold a model is fitted on the other folds and scores the fold; the
out-of-fold probabilities give the figures and the threshold (the one that maximises the
random-split out-of-fold accuracy). The final model is fitted on every pair and saved with
that threshold: ``cityagent eval pairs`` then never tunes anything on the file it measures.
The cosine-only baseline is reported beside it (threshold chosen on one half of the pairs,
accuracy on the other half, both ways, averaged).

With a cross-encoder (``retrieval/cross_encoder.py``) the decision blends the logistic
model's log-odds with the cross-encoder's logit (:func:`retrieval.pairs.blend`). One
cross-encoder is fine-tuned per sentence-disjoint fold (:func:`sentence_disjoint_folds`) and
gives the logits of that fold's pairs, so no pair's logit comes from a model that read it;
the blend's figures and threshold are those of out-of-fold logits on both sides. The
cross-encoder fine-tuned on every pair is the one saved and served.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold

from kg.errors import DataValidationError
from retrieval.cross_encoder import CrossEncoder
from retrieval.encoder import TextEncoder
from retrieval.evaluate_pairs import PairScores, pair_scores
from retrieval.pairs import (
    DEFAULT_PAIRS_FILE,
    LabelledPair,
    PairsModel,
    blend,
    clean_text,
    embed_pairs,
    pair_features,
    read_pairs,
    save_pairs_model,
    word_difference,
    words,
)

logger = logging.getLogger(__name__)

MIN_WORD_COUNT = 3
"""A word enters the vocabulary of differing words when this many training pairs hold it."""


class CrossValidated(BaseModel):
    """Out-of-fold figures of one way of cutting the folds."""

    split: str
    at_half: PairScores
    at_threshold: PairScores


class PairsTrainReport(BaseModel):
    """What ``cityagent train pairs`` prints: data, baseline, CV figures, threshold."""

    data: str
    encoder: str
    cross_encoder: str | None
    cross_weight: float
    cross_encoder_alone: PairScores | None = Field(
        description="the out-of-fold cross-encoder logits alone, at logit 0"
    )
    n_pairs: int
    n_extra_pairs: int
    extra: list[str]
    n_sentences: int
    n_folds: int
    seed: int
    c: float
    vocabulary: int
    cosine_baseline: PairScores
    cosine_threshold: float
    cross_validation: list[CrossValidated]
    threshold: float
    model: str
    model_bytes: int
    seconds: float


class _Design:
    """Dense feature rows and the pairs' texts, so folds only rebuild the word bag."""

    def __init__(
        self,
        pairs: Sequence[LabelledPair],
        extra: Sequence[LabelledPair],
        encoder: TextEncoder,
    ) -> None:
        self.main = list(pairs)
        pairs = [*pairs, *extra]
        self.left = [p.sentence1 for p in pairs]
        self.right = [p.sentence2 for p in pairs]
        self.labels = np.asarray([p.label for p in pairs])
        self.encoder, self.dim = encoder.name, encoder.dim
        u, v = embed_pairs(encoder, self.left, self.right)
        self.cosine = np.sum(u * v, axis=1)
        self.dense = pair_features(self.left, self.right, u, v)
        self.words = {t: set(words(t)) for t in dict.fromkeys(self.left + self.right)}

    def vocabulary(self, rows: np.ndarray) -> list[str]:
        counts = Counter(
            w for i in rows for w in self.words[self.left[i]] | self.words[self.right[i]]
        )
        return sorted(w for w, n in counts.items() if n >= MIN_WORD_COUNT)

    def fit(self, main_rows: np.ndarray, c: float, extra_weight: float) -> PairsModel:
        rows = np.concatenate([main_rows, np.arange(self.n_main, len(self.labels))])
        weights = np.where(rows < self.n_main, 1.0, extra_weight)
        vocabulary = self.vocabulary(rows)
        mean = self.dense[rows].mean(axis=0)
        scale = self.dense[rows].std(axis=0)
        scale[scale == 0] = 1.0
        x = self._matrix(rows, mean, scale, vocabulary)
        clf = LogisticRegression(C=c, max_iter=5000)
        clf.fit(x, self.labels[rows], sample_weight=weights)
        return PairsModel(
            encoder=self.encoder,
            dim=self.dim,
            mean=mean.tolist(),
            scale=scale.tolist(),
            vocabulary=vocabulary,
            coef=clf.coef_[0].tolist(),
            intercept=float(clf.intercept_[0]),
            threshold=0.5,
        )

    @property
    def n_main(self) -> int:
        """How many pairs come from the measured file (the rest are extra)."""
        return len(self.main)

    def log_odds(self, model: PairsModel, rows: np.ndarray) -> np.ndarray:
        x = self._matrix(rows, np.asarray(model.mean), np.asarray(model.scale), model.vocabulary)
        return np.asarray(x @ np.asarray(model.coef) + model.intercept)

    def _matrix(
        self, rows: np.ndarray, mean: np.ndarray, scale: np.ndarray, vocabulary: list[str]
    ) -> np.ndarray:
        left = [self.left[i] for i in rows]
        right = [self.right[i] for i in rows]
        bag = word_difference(left, right, vocabulary)
        return np.hstack([(self.dense[rows] - mean) / scale, bag])


class CrossLogits:
    """The cross-encoder logit of each pair, out of fold for the measured pairs."""

    def __init__(self, served: CrossEncoder, per_fold: Sequence[CrossEncoder]) -> None:
        """``per_fold[f]`` never read fold *f* of :func:`sentence_disjoint_folds`;
        ``served`` (trained on every pair) is the one the saved model names."""
        self.served = served
        self.per_fold = list(per_fold)

    def out_of_fold(self, pairs: Sequence[LabelledPair]) -> np.ndarray:
        """The logit of each pair from the model that left its fold out."""
        out = np.zeros(len(pairs))
        for fold, rows in enumerate(sentence_disjoint_folds(pairs, len(self.per_fold))):
            out[rows] = self.per_fold[fold].logits(
                [pairs[i].sentence1 for i in rows], [pairs[i].sentence2 for i in rows]
            )
        return out


def sentence_disjoint_folds(pairs: Sequence[LabelledPair], n_folds: int) -> list[np.ndarray]:
    """The rows of each fold when pairs that share a sentence must stay in one fold."""
    groups = sentence_groups([p.sentence1 for p in pairs], [p.sentence2 for p in pairs])
    rows = np.arange(len(pairs))
    return [test for _, test in GroupKFold(n_folds).split(rows, groups=groups)]


def sentence_groups(left: Sequence[str], right: Sequence[str]) -> np.ndarray:
    """A group id per pair: pairs linked through a shared sentence get the same id."""
    parent: dict[str, str] = {}

    def root(text: str) -> str:
        parent.setdefault(text, text)
        while parent[text] != text:
            parent[text] = parent[parent[text]]
            text = parent[text]
        return text

    for a, b in zip(left, right, strict=True):
        parent[root(a)] = root(b)
    ids: dict[str, int] = {}
    return np.asarray([ids.setdefault(root(a), len(ids)) for a in left])


def best_threshold(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The cut that maximises accuracy on these scores (rounded down to 4 decimals)."""
    order = np.argsort(probabilities, kind="stable")
    sorted_p, sorted_y = probabilities[order], labels[order]
    # predicting "same" from position k on: negatives before k and positives from k are right
    negatives_before = np.concatenate([[0], np.cumsum(sorted_y == 0)])
    positives_from = np.concatenate([np.cumsum((sorted_y == 1)[::-1])[::-1], [0]])
    correct = negatives_before + positives_from
    k = int(np.argmax(correct))
    if k == len(sorted_p):
        return 1.0
    cut = sorted_p[k] if k == 0 else (sorted_p[k - 1] + sorted_p[k]) / 2
    return float(np.floor(cut * 1e4) / 1e4)


def _splits(
    design: _Design, split: str, n_folds: int, seed: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    n = design.n_main
    rows, labels = np.arange(n), design.labels[:n]
    if split == "random":
        yield from StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(rows, labels)
    else:
        for test in sentence_disjoint_folds(design.main, n_folds):
            yield np.setdiff1d(rows, test), test


def _cosine_baseline(design: _Design, seed: int) -> tuple[PairScores, float]:
    n = design.n_main
    cosine, labels = design.cosine[:n], design.labels[:n]
    half = np.random.default_rng(seed).permutation(n) < n // 2
    predicted = np.zeros(n, dtype=bool)
    thresholds = []
    for fit_rows in (half, ~half):
        cut = best_threshold(cosine[fit_rows], labels[fit_rows])
        predicted[~fit_rows] = cosine[~fit_rows] >= cut
        thresholds.append(cut)
    return pair_scores(predicted, labels), round(float(np.mean(thresholds)), 4)


def read_extra_pairs(paths: Sequence[Path], limit: int, seed: int) -> list[LabelledPair]:
    """Up to ``limit`` distinct pairs drawn (seeded) from other pair corpora.

    ATEC's TSV (``id<TAB>sentence1<TAB>sentence2<TAB>label``, no header) and BQ-format CSVs
    (AFQMC) are read; a pair and its mirror count once.
    """
    pairs: dict[tuple[str, str], LabelledPair] = {}
    for path in paths:
        for pair in read_atec(path) if _is_tsv(path) else read_pairs(path):
            key = tuple(sorted((pair.sentence1, pair.sentence2)))
            pairs.setdefault((key[0], key[1]), pair)
    unique = list(pairs.values())
    order = np.random.default_rng(seed).permutation(len(unique))
    return [unique[i] for i in order[:limit]]


def _is_tsv(path: Path) -> bool:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        return "\t" in handle.readline()


def read_atec(path: Path) -> list[LabelledPair]:
    """Rows of ATEC's TSV ``id<TAB>sentence1<TAB>sentence2<TAB>label`` (no header, BOM allowed)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{path}: cannot read the file as UTF-8 ({exc})") from exc
    pairs = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        cells = [clean_text(c) for c in line.split("\t")]
        if len(cells) != 4 or cells[3] not in ("0", "1") or not cells[1] or not cells[2]:
            raise DataValidationError(f"{path}:{lineno}: expected id, sentence1, sentence2, 0/1")
        pairs.append(LabelledPair(sentence1=cells[1], sentence2=cells[2], label=int(cells[3])))
    return pairs


def train_pairs(
    data: Path,
    encoder: TextEncoder,
    out: Path = DEFAULT_PAIRS_FILE,
    *,
    n_folds: int = 5,
    seed: int = 0,
    c: float = 0.1,
    extra: Sequence[Path] = (),
    extra_pairs: int = 8000,
    extra_weight: float = 0.5,
    cross: CrossLogits | None = None,
    cross_weight: float = 0.5,
) -> PairsTrainReport:
    """Cross-validate the matcher on ``data`` (BQ format), fix its threshold, save it.

    ``extra`` corpora (ATEC, AFQMC) add up to ``extra_pairs`` pairs of the same kind of
    questions to every fold's training side, at ``extra_weight``; they are never scored.
    With ``cross``, the logistic model's log-odds are blended with the cross-encoder's
    logits, ``cross_weight`` being the latter's share (0.5, the plain average; of 0.3, 0.5
    and 0.7 tried on BQ dev's sentence-disjoint folds, 0.3 and 0.5 scored alike).
    """
    started = time.perf_counter()
    pairs = read_pairs(data)
    if len(pairs) < 10 * n_folds or len({p.label for p in pairs}) < 2:
        raise DataValidationError(f"{data}: too few pairs, or only one label, to train on")
    added = read_extra_pairs(extra, extra_pairs, seed) if extra else []
    design = _Design(pairs, added, encoder)
    cross_logits = cross.out_of_fold(pairs) if cross is not None else None
    logger.info("features of %d pairs ready after %.0f s", len(pairs),
                time.perf_counter() - started)
    figures = []
    threshold = 0.5
    labels = design.labels[: len(pairs)]
    for split in ("random", "sentence-disjoint"):
        log_odds = np.zeros(len(pairs))
        for train_rows, test_rows in _splits(design, split, n_folds, seed):
            fitted = design.fit(train_rows, c, extra_weight)
            log_odds[test_rows] = design.log_odds(fitted, test_rows)
        if cross_logits is not None:
            log_odds = blend(log_odds, cross_logits, cross_weight)
        oof = 1.0 / (1.0 + np.exp(-log_odds))
        if split == "random":
            threshold = best_threshold(oof, labels)
        figures.append(
            CrossValidated(
                split=split,
                at_half=pair_scores(oof >= 0.5, labels),
                at_threshold=pair_scores(oof >= threshold, labels),
            )
        )
        logger.info("%s CV: %s", split, figures[-1].at_threshold)
    model = design.fit(np.arange(len(pairs)), c, extra_weight)
    model.threshold = threshold
    if cross is not None:
        model.cross_encoder, model.cross_weight = cross.served.name, cross_weight
    model.trained_on = {"data": data.name, "pairs": len(pairs), "folds": n_folds, "seed": seed,
                        "c": c, "min_word_count": MIN_WORD_COUNT,
                        "extra": [p.name for p in extra], "extra_pairs": len(added),
                        "extra_weight": extra_weight}
    save_pairs_model(model, out)
    baseline, cosine_cut = _cosine_baseline(design, seed)
    return PairsTrainReport(
        data=str(data),
        encoder=encoder.name,
        cross_encoder=model.cross_encoder,
        cross_weight=model.cross_weight,
        cross_encoder_alone=pair_scores(cross_logits >= 0, labels)
        if cross_logits is not None
        else None,
        n_pairs=len(pairs),
        n_extra_pairs=len(added),
        extra=[str(p) for p in extra],
        n_sentences=len(design.words),
        n_folds=n_folds,
        seed=seed,
        c=c,
        vocabulary=len(model.vocabulary),
        cosine_baseline=baseline,
        cosine_threshold=cosine_cut,
        cross_validation=figures,
        threshold=threshold,
        model=str(out),
        model_bytes=out.stat().st_size,
        seconds=round(time.perf_counter() - started, 1),
    )
