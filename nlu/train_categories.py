"""Fits the second-level category scorer's weights on labelled calls (`cityagent train categories`).

The scorer (:class:`nlu.routing.CategoryMatcher`) is a conditional logit: one linear score per
second-level category, a softmax over all of them. Two weight sets are fitted on the same
calls: one on the word signals alone (every call is scored with it) and one that adds the
meaning columns (used for the calls the first leaves uncertain). The L2 penalty is the one with
the best cross-validated accuracy. The printed weights, rounded, are the constants
:data:`nlu.routing.KEYWORD_WEIGHTS` and :data:`nlu.routing.WEIGHTS`.

The category text model (:mod:`nlu.category_model`) is trained on the same calls and written
to ``nlu/models/categories``. Its columns in the rows the weights are fitted on are
out-of-fold probabilities, so that the weights trust it only as much as it deserves on calls
it has not seen.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from scipy.optimize import minimize

from kg.errors import ConfigurationError, DataValidationError
from nlu.call_cases import read_cases
from nlu.category_model import (
    DEFAULT_MODEL_DIR,
    MIN_COUNT,
    MODEL_FILE,
    REGULARISATION,
    learned_columns,
    probability_matrix,
)
from nlu.routing import (
    LEARNED_COLUMNS,
    MEANING_COLUMNS,
    ScoreWeights,
    matching_text,
    meaning_columns,
)
from nlu.text_model import new_text_model, out_of_fold_probabilities, save_text_model
from nlu.ticket_fill import TicketFiller
from nlu.transcript import citizen_text, split_turns

logger = logging.getLogger(__name__)

PENALTIES = (0.03, 0.1, 0.3, 1.0, 3.0)
FOLDS = 5
_WORD_COLUMNS = slice(0, MEANING_COLUMNS.start)


class FittedWeights(BaseModel):
    """One weight set, its penalty and its cross-validated accuracy on the calls."""

    weights: ScoreWeights
    penalty: float
    cv_accuracy: float
    penalties_tried: dict[str, float]


class CategoryTrainingReport(BaseModel):
    """Both weight sets fitted on the calls of ``data``, and what the text model adds.

    ``learned_alone`` is the text model's own out-of-fold accuracy; ``without_learned`` the
    cross-validated accuracy of both weight sets fitted without its columns.
    """

    data: list[str]
    calls: int
    keyword_weights: FittedWeights
    weights: FittedWeights
    learned_alone: float
    without_learned: dict[str, float]


def category_rows(
    filler: TicketFiller, paths: Sequence[Path]
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The scorer's feature rows of every call (meaning columns filled), its true category and
    the caller's words as the scorer reads them.

    Raises :class:`~kg.errors.DataValidationError` for a call whose expected second-level
    category is not in the routing table.
    """
    cases = [case for path in paths for case in read_cases(path)]
    names = [leaf.name for leaf in filler.matcher.leaves]
    turns = [split_turns(case.transcript) for case in cases]
    said = [citizen_text(t) for t in turns]
    named = [filler.mentions.handed_to(t) for t in turns]
    scored = filler.matcher.word_features(
        said, [route.scores for route in filler.router.predict_batch(said)], named)
    closeness = filler.matcher.meaning_closeness(said)
    rows, labels = [], []
    for case, (features, _hits), close in zip(cases, scored, closeness, strict=True):
        expected = (case.expected.get("category") or {}).get("l2")
        if expected not in names:
            raise DataValidationError(f"call {case.id}: unknown second-level category {expected!r}")
        features[:, MEANING_COLUMNS] = meaning_columns(close)
        rows.append(features)
        labels.append(names.index(expected))
    return np.array(rows), np.array(labels), [matching_text(text) for text in said]


def _loss(weights: np.ndarray, rows: np.ndarray, labels: np.ndarray, penalty: float) -> float:
    scores = rows @ weights
    scores -= scores.max(axis=1, keepdims=True)
    log_chance = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    return float(-log_chance[np.arange(len(labels)), labels].sum() + penalty * weights @ weights)


def fit_logit(rows: np.ndarray, labels: np.ndarray, penalty: float) -> np.ndarray:
    """Weights of the conditional logit over ``rows`` (calls × categories × features)."""
    start = np.zeros(rows.shape[2])
    return np.asarray(minimize(_loss, start, args=(rows, labels, penalty), method="L-BFGS-B").x)


def _cv_accuracy(rows: np.ndarray, labels: np.ndarray, penalty: float) -> float:
    order = np.random.default_rng(0).permutation(len(labels))
    right = 0
    for fold in np.array_split(order, FOLDS):
        train = np.setdiff1d(order, fold)
        weights = fit_logit(rows[train], labels[train], penalty)
        right += int(((rows[fold] @ weights).argmax(axis=1) == labels[fold]).sum())
    return right / len(labels)


def _fit(rows: np.ndarray, labels: np.ndarray) -> FittedWeights:
    tried = {str(p): round(_cv_accuracy(rows, labels, p), 4) for p in PENALTIES}
    best = max(PENALTIES, key=lambda p: (tried[str(p)], p))
    values = np.round(fit_logit(rows, labels, best), 1).tolist()
    values += [0.0] * (len(fields(ScoreWeights)) - len(values))  # no meaning columns
    weights = ScoreWeights(*values)
    return FittedWeights(weights=weights, penalty=best, cv_accuracy=tried[str(best)],
                         penalties_tried=tried)


def train_category_weights(
    paths: Sequence[Path], filler: TicketFiller, model_dir: Path = DEFAULT_MODEL_DIR
) -> CategoryTrainingReport:
    """Fit both weight sets on the labelled calls of ``paths`` with the filler's matcher, and
    train and write the category text model on them."""
    if filler.matcher.encoder is None:
        raise ConfigurationError("fitting the category weights needs a sentence encoder")
    rows, labels, texts = category_rows(filler, paths)
    names = [leaf.name for leaf in filler.matcher.leaves]
    named = [names[label] for label in labels]
    logger.info("fitting the category text model and weights on %d calls", len(labels))
    probabilities, classes = out_of_fold_probabilities(texts, named, REGULARISATION, MIN_COUNT)
    by_leaf = probability_matrix([dict(zip(classes, row, strict=True)) for row in probabilities],
                                 names)
    for row, chances in zip(rows, by_leaf, strict=True):
        row[:, LEARNED_COLUMNS] = learned_columns(chances)
    unlearned = rows.copy()
    unlearned[:, :, LEARNED_COLUMNS] = 0.0
    report = CategoryTrainingReport(
        data=[p.name for p in paths], calls=len(labels),
        keyword_weights=_fit(rows[:, :, _WORD_COLUMNS], labels),
        weights=_fit(rows, labels),
        learned_alone=round(float((by_leaf.argmax(axis=1) == labels).mean()), 4),
        without_learned={
            "keyword_weights": _fit(unlearned[:, :, _WORD_COLUMNS], labels).cv_accuracy,
            "weights": _fit(unlearned, labels).cv_accuracy,
        },
    )
    model = new_text_model(REGULARISATION, MIN_COUNT).fit(texts, named)
    save_text_model(model, model_dir / MODEL_FILE, report)
    return report
