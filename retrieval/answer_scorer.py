"""Reranks a knowledge base's candidates and says how sure the best one is.

The fused ranking of :mod:`retrieval.knowledge_base` is a good shortlist but its scores are
ranks, not probabilities. The scorer turns each candidate into a few features (how close in
meaning, how many shared words, how far ahead of the others, whether both indexes agree) and
a logistic model trained on held-out paraphrases of a real FAQ gives the probability that
the candidate is the right entry. Candidates are reordered by it, and the best one's
probability is the *confidence* a bot compares with its answer threshold.

The model is trained by :func:`retrieval.train_scorer.train_scorer`; see
``retrieval/models/MODEL_CARD.md`` for the data and figures.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field
from scipy.special import expit

from kg.errors import ConfigurationError
from kg.settings import get_settings
from retrieval.knowledge_base import KnowledgeHit
from retrieval.text_overlap import alnum_chars, char_bigrams
from retrieval.tuned_encoder import DEFAULT_TUNED_DIR, TUNED_E5, VOCAB_FILE

logger = logging.getLogger(__name__)

SCORER_NAME = "answer_scorer.json"
DEFAULT_SCORER_FILE = Path(__file__).resolve().parent / "models" / SCORER_NAME

FEATURES = (
    "dense",
    "key",
    "centroid",
    "dense_margin",
    "dense_gap_to_best",
    "lexical_share",
    "lexical_log",
    "dense_rank_inv",
    "lexical_rank_inv",
    "fused_rank_inv",
    "both_first",
    "bigram_jaccard",
    "query_char_coverage",
    "key_char_coverage",
)
"""Feature names, in the order of the model's coefficients."""


class ScoredHit(BaseModel):
    """A candidate with the scorer's probability that it answers the question."""

    hit: KnowledgeHit
    probability: float = Field(ge=0.0, le=1.0)


class ScorerModel(BaseModel):
    """The fitted logistic model, its answer threshold and the figures it was chosen by."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float = Field(ge=0.0, le=1.0)
    trained_on: dict[str, object] = Field(default_factory=dict)


def candidate_features(query: str, hits: Sequence[KnowledgeHit]) -> np.ndarray:
    """One feature row per candidate (in :data:`FEATURES` order), relative to the others."""
    if not hits:
        return np.zeros((0, len(FEATURES)), dtype=np.float64)
    dense = np.array([h.dense_score for h in hits], dtype=np.float64)
    lexical = np.array([h.lexical_score for h in hits], dtype=np.float64)
    best_dense = dense.max()
    best_lexical = lexical.max()
    q_alnum = alnum_chars(query)
    q_bigrams, q_chars = char_bigrams(q_alnum), set(q_alnum)
    rows = []
    for i, hit in enumerate(hits):
        others = np.delete(dense, i)
        margin = dense[i] - (others.max() if others.size else 0.0)
        k_alnum = alnum_chars(hit.matched_key)
        k_bigrams, k_chars = char_bigrams(k_alnum), set(k_alnum)
        union = q_bigrams | k_bigrams
        shared = q_chars & k_chars
        rows.append(
            [
                dense[i],
                hit.key_score,
                hit.centroid_score,
                margin,
                dense[i] - best_dense,
                lexical[i] / best_lexical if best_lexical > 0 else 0.0,
                math.log1p(lexical[i]),
                1.0 / (1 + hit.dense_rank) if hit.dense_rank is not None else 0.0,
                1.0 / (1 + hit.lexical_rank) if hit.lexical_rank is not None else 0.0,
                1.0 / (1 + i),
                float(hit.dense_rank == 0 and hit.lexical_rank == 0),
                len(q_bigrams & k_bigrams) / len(union) if union else 0.0,
                len(shared) / len(q_chars) if q_chars else 0.0,
                len(shared) / len(k_chars) if k_chars else 0.0,
            ]
        )
    return np.asarray(rows, dtype=np.float64)


class AnswerScorer:
    """Applies a :class:`ScorerModel` to candidate lists."""

    def __init__(self, model: ScorerModel) -> None:
        if tuple(model.features) != FEATURES:
            raise ConfigurationError(
                f"the answer scorer was trained on features {model.features}, "
                f"this code computes {list(FEATURES)}: retrain it (cityagent train scorer)"
            )
        self.model = model
        self._mean = np.asarray(model.mean)
        self._scale = np.asarray(model.scale)
        self._coef = np.asarray(model.coef)

    @property
    def threshold(self) -> float:
        """The confidence at or above which a bot answers instead of handing over."""
        return self.model.threshold

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """Probability that each feature row's candidate is the right entry."""
        if features.shape[0] == 0:
            return np.zeros(0)
        z = ((features - self._mean) / self._scale) @ self._coef + self.model.intercept
        return np.asarray(expit(z), dtype=np.float64)

    def rerank(self, query: str, hits: Sequence[KnowledgeHit]) -> list[ScoredHit]:
        """The candidates ordered by probability, best first."""
        probs = self.probabilities(candidate_features(query, hits))
        order = np.argsort(-probs, kind="stable")
        return [ScoredHit(hit=hits[i], probability=float(probs[i])) for i in order]


def save_scorer(model: ScorerModel, path: Path) -> None:
    """Write the scorer model as JSON (small, reviewable, diff-able)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.model_dump(), ensure_ascii=False, indent=2) + "\n", "utf-8")


def scorer_file(embedding_model: str) -> Path:
    """The scorer trained on ``embedding_model``'s candidates.

    Its features and threshold only hold for the encoder it was fitted on, so a tuned
    encoder's folder carries its own scorer; every other encoder gets the committed one.
    """
    if embedding_model == TUNED_E5:
        return DEFAULT_TUNED_DIR / SCORER_NAME
    if (Path(embedding_model) / VOCAB_FILE).is_file():
        return Path(embedding_model) / SCORER_NAME
    return DEFAULT_SCORER_FILE


def load_scorer(path: Path | None = None) -> AnswerScorer:
    """The answer scorer at ``path``, by default the one for the configured encoder."""
    return _read_scorer(path or scorer_file(get_settings().embedding_model))


@lru_cache(maxsize=4)
def _read_scorer(path: Path) -> AnswerScorer:
    if not path.is_file():
        raise ConfigurationError(
            f"no answer scorer at {path}: train one with `cityagent train scorer`"
        )
    return AnswerScorer(ScorerModel.model_validate_json(path.read_text(encoding="utf-8")))
