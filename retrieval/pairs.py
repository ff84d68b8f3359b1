"""Same-intent question matching: do two customer questions ask the same thing?

A bank bot meets the same question in many wordings (「怎么还款」「还钱在哪里操作」) and must
tell them from near neighbours that ask something else (「怎么借款」). Cosine similarity of
sentence embeddings alone is a weak judge here: the offline encoder puts every pair of bank
questions close together, and one differing word (借/还, 能/不能) flips the intent. So a
pair is described by a few features — the embeddings' cosine, ``|u−v|`` and ``u⊙v``,
character and word overlap, edit distance, length, digit and negation mismatches — and
a logistic model trained on real labelled pairs (see ``retrieval/models/PAIRS_MODEL_CARD.md``)
gives the probability that both ask the same; the committed threshold turns it into yes/no.
When the model was trained with a cross-encoder (``retrieval/cross_encoder.py``, which reads
both questions at once), the decision is a blend: the logistic model's log-odds and the
cross-encoder's logit, weighted by ``cross_weight``. A blend and not one more feature,
because the logistic model fits its own features on the very pairs it is trained on and then
trusts them over an honest out-of-fold logit (see the card).

The model is trained by :func:`retrieval.train_pairs.train_pairs` (``cityagent train pairs``)
and measured by :mod:`retrieval.evaluate_pairs` (``cityagent eval pairs``).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import jieba
import numpy as np
from pydantic import BaseModel, Field

from kg.errors import ConfigurationError, DataValidationError
from retrieval.cross_encoder import CrossEncoder, cross_encoder_dir
from retrieval.encoder import TextEncoder, encoder_setting, load_encoder
from retrieval.text_overlap import alnum_chars, char_bigrams

logger = logging.getLogger(__name__)

DEFAULT_PAIRS_FILE = Path(__file__).resolve().parent / "models" / "pairs.json"

LEXICAL_FEATURES = (
    "char_jaccard",
    "bigram_jaccard",
    "word_jaccard",
    "word_cover_min",
    "length_gap",
    "length_gap_log",
    "edit_similarity",
    "digit_mismatch",
    "negation_mismatch",
)
"""Names of the lexical features, in the order :func:`lexical_features` returns them."""

NEGATIONS = frozenset("不没无别未非")
"""Characters that negate (不能/没有/无法/别/未/非): a pair where only one side negates differs."""

HEADER = ("sentence1", "sentence2", "label")
"""The BQ corpus' CSV header."""

_INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00a0]")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


def clean_text(text: str) -> str:
    """The text without byte-order marks, zero-width characters and outer blanks."""
    return _INVISIBLE.sub("", text).strip()


def words(text: str) -> list[str]:
    """jieba words of ``text``, lowercased, without punctuation and blanks."""
    return [w for w in jieba.lcut(text.lower()) if any(c.isalnum() for c in w)]


def _jaccard(a: set[str], b: set[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 1.0


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between ``a`` and ``b`` (insert, delete, substitute: cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _negation_count(text: str) -> int:
    return sum(c in NEGATIONS for c in text)


def lexical_features(a: str, b: str) -> list[float]:
    """Surface features of one pair, in :data:`LEXICAL_FEATURES` order.

    Overlaps are 1.0 for identical texts; ``digit_mismatch`` is 1.0 when the numbers (amounts,
    days, counts) of the two sides differ; ``negation_mismatch`` when only one side negates
    (an odd difference in negating characters).
    """
    ca, cb = alnum_chars(a), alnum_chars(b)
    wa, wb = set(words(a)), set(words(b))
    longest = max(len(ca), len(cb), 1)
    shortest = min(len(wa), len(wb))
    return [
        _jaccard(set(ca), set(cb)),
        _jaccard(char_bigrams(ca), char_bigrams(cb)),
        _jaccard(wa, wb),
        len(wa & wb) / shortest if shortest else float(wa == wb),
        abs(len(ca) - len(cb)) / longest,
        float(np.log1p(abs(len(ca) - len(cb)))),
        1.0 - edit_distance("".join(ca), "".join(cb)) / longest,
        float(set(_DIGITS.findall(a)) != set(_DIGITS.findall(b))),
        float((_negation_count(a) - _negation_count(b)) % 2 != 0),
    ]


def pair_features(
    left: Sequence[str], right: Sequence[str], u: np.ndarray, v: np.ndarray
) -> np.ndarray:
    """The model's input rows: cosine, lexical features, ``|u−v|`` and ``u⊙v``.

    ``u`` and ``v`` are the unit embeddings of ``left`` and ``right`` (one row per pair).
    """
    if not (len(left) == len(right) == len(u) == len(v)):
        raise ValueError("pair_features needs as many embeddings as texts on both sides")
    cosine = np.sum(u * v, axis=1, keepdims=True)
    lexical = np.asarray(
        [lexical_features(a, b) for a, b in zip(left, right, strict=True)], dtype=np.float64
    ).reshape(len(left), len(LEXICAL_FEATURES))
    return np.hstack([cosine, lexical, np.abs(u - v), u * v]).astype(np.float64)


class PairsModel(BaseModel):
    """The fitted logistic model over pair features and its decision threshold.

    ``coef`` holds one weight per dense feature (standardised with ``mean``/``scale``), then
    one per word of ``vocabulary``: the word's weight when exactly one side contains it.
    """

    encoder: str = Field(description="the encoder whose embeddings the model was trained on")
    dim: int
    cross_encoder: str | None = Field(
        default=None, description="the cross-encoder folder whose logit is blended in"
    )
    cross_weight: float = Field(
        default=0.0, ge=0.0, le=1.0, description="the cross-encoder logit's share of the blend"
    )
    mean: list[float]
    scale: list[float]
    vocabulary: list[str]
    coef: list[float]
    intercept: float
    threshold: float = Field(ge=0.0, le=1.0)
    trained_on: dict[str, object] = Field(default_factory=dict)


def word_difference(
    left: Sequence[str], right: Sequence[str], vocabulary: Sequence[str]
) -> np.ndarray:
    """0/1 rows: which words of ``vocabulary`` appear on exactly one side of each pair.

    One differing word (借款/还款, 开通/关闭) often decides whether two questions ask the
    same, and which words matter is learned from labelled pairs.
    """
    column = {word: j for j, word in enumerate(vocabulary)}
    out = np.zeros((len(left), len(vocabulary)), dtype=np.float64)
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        for word in set(words(a)) ^ set(words(b)):
            j = column.get(word)
            if j is not None:
                out[i, j] = 1.0
    return out


class PairMatcher:
    """Says whether two questions ask the same thing, with a probability."""

    def __init__(
        self, model: PairsModel, encoder: TextEncoder, cross: CrossEncoder | None = None
    ) -> None:
        """Check the model fits the encoder (and the cross-encoder it names), then keep them."""
        if (model.cross_encoder is None) != (cross is None):
            raise ConfigurationError(
                f"the pairs model uses cross-encoder {model.cross_encoder}, the matcher was "
                f"given {cross.name if cross else None}"
            )
        dense = 1 + len(LEXICAL_FEATURES) + 2 * model.dim
        if (
            len(model.mean) != dense
            or len(model.scale) != dense
            or len(model.coef) != dense + len(model.vocabulary)
        ):
            raise ConfigurationError(
                f"the pairs model has {len(model.coef)} coefficients, this code computes "
                f"{dense + len(model.vocabulary)} features: retrain it (cityagent train pairs)"
            )
        if encoder.name != model.encoder or encoder.dim != model.dim:
            raise ConfigurationError(
                f"the pairs model was trained on {model.encoder} embeddings, the encoder is "
                f"{encoder.name}: retrain it (cityagent train pairs)"
            )
        self.model = model
        self.encoder = encoder
        self.cross = cross
        self._mean = np.asarray(model.mean)
        self._scale = np.asarray(model.scale)
        self._dense_coef = np.asarray(model.coef[:dense])
        self._word_coef = np.asarray(model.coef[dense:])

    @property
    def threshold(self) -> float:
        """The probability at or above which a pair counts as the same intent."""
        return self.model.threshold

    def probabilities_from(
        self, left: Sequence[str], right: Sequence[str], u: np.ndarray, v: np.ndarray
    ) -> np.ndarray:
        """Same-intent probabilities for pairs whose embeddings are already at hand."""
        if not left:
            return np.zeros(0)
        dense = (pair_features(left, right, u, v) - self._mean) / self._scale
        bag = word_difference(left, right, self.model.vocabulary)
        z = dense @ self._dense_coef + bag @ self._word_coef + self.model.intercept
        if self.cross is not None:
            z = blend(z, self.cross.logits(left, right), self.model.cross_weight)
        return np.asarray(1.0 / (1.0 + np.exp(-z)))

    def probabilities(self, left: Sequence[str], right: Sequence[str]) -> np.ndarray:
        """Same-intent probability of each pair ``(left[i], right[i])`` (batched encoding)."""
        if len(left) != len(right):
            raise ValueError("probabilities needs as many left as right texts")
        a = [clean_text(t) for t in left]
        b = [clean_text(t) for t in right]
        u, v = embed_pairs(self.encoder, a, b)
        return self.probabilities_from(a, b, u, v)

    def same_intent(self, a: str, b: str) -> tuple[bool, float]:
        """Whether ``a`` and ``b`` ask the same thing, and the model's probability of it."""
        probability = float(self.probabilities([a], [b])[0])
        return probability >= self.threshold, probability


def blend(log_odds: np.ndarray, cross_logits: np.ndarray, cross_weight: float) -> np.ndarray:
    """The blended logit of the logistic model's log-odds and the cross-encoder's logits."""
    return (1.0 - cross_weight) * log_odds + cross_weight * cross_logits


def embed_pairs(
    encoder: TextEncoder, left: Sequence[str], right: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Query-side embeddings of both sides, each distinct text encoded once."""
    unique = list(dict.fromkeys([*left, *right]))
    vectors = encoder.encode_queries(unique) if unique else np.zeros((0, encoder.dim))
    row = {text: i for i, text in enumerate(unique)}
    return vectors[[row[t] for t in left]], vectors[[row[t] for t in right]]


def save_pairs_model(model: PairsModel, path: Path = DEFAULT_PAIRS_FILE) -> None:
    """Write the pairs model as JSON (small, reviewable), replacing the old file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(model.model_dump(), ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


@lru_cache(maxsize=4)
def load_pairs_model(path: Path = DEFAULT_PAIRS_FILE) -> PairsModel:
    """The committed pairs model (read once per path)."""
    if not path.is_file():
        raise ConfigurationError(
            f"no pairs model at {path}: train one with `cityagent train pairs`"
        )
    return PairsModel.model_validate_json(path.read_text(encoding="utf-8"))


def load_matcher(
    encoder: TextEncoder | None = None, path: Path = DEFAULT_PAIRS_FILE
) -> PairMatcher:
    """A :class:`PairMatcher` of the committed model, by default over the encoder it names,
    with the cross-encoder it was trained with."""
    model = load_pairs_model(path)
    cross = CrossEncoder(cross_encoder_dir(model.cross_encoder)) if model.cross_encoder else None
    return PairMatcher(model, encoder or load_encoder(encoder_setting(model.encoder)), cross)


class LabelledPair(BaseModel):
    """One row of a BQ-format file: two questions and whether they ask the same (1) or not."""

    sentence1: str
    sentence2: str
    label: int = Field(ge=0, le=1)


def read_pairs(path: Path) -> list[LabelledPair]:
    """Rows of a BQ-format CSV (header ``sentence1,sentence2,label``, UTF-8, BOM allowed).

    Any malformed row stops the read with a :class:`~kg.errors.DataValidationError` naming the
    file and line, so a broken file never yields a silently smaller score.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataValidationError(f"{path}: cannot read the file ({exc})") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataValidationError(
            f"{path}: not UTF-8 (byte {exc.start}); save the file as UTF-8"
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or tuple(clean_text(h).lower() for h in header) != HEADER:
        raise DataValidationError(f"{path}:1: the header must be {','.join(HEADER)}, got {header}")
    pairs = [_row(path, reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    if not pairs:
        raise DataValidationError(f"{path}: no pairs after the header")
    return pairs


def _row(path: Path, lineno: int, row: list[str]) -> LabelledPair:
    if len(row) != 3:
        raise DataValidationError(f"{path}:{lineno}: expected 3 columns, got {len(row)}")
    first, second, label = (clean_text(c) for c in row)
    if not first or not second:
        raise DataValidationError(f"{path}:{lineno}: an empty sentence")
    if label not in ("0", "1"):
        raise DataValidationError(f"{path}:{lineno}: label must be 0 or 1, got {label!r}")
    return LabelledPair(sentence1=first, sentence2=second, label=int(label))
