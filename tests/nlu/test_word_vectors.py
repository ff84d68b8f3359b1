"""Static word vectors for the NER: vocabulary, projection, and a table that survives a save."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import spacy

from nlu.word_vectors import (
    VECTOR_ATTR,
    build_word_vectors,
    persist_vectors_attr,
    project,
    vector_vocabulary,
)


def test_the_vocabulary_takes_frequent_dictionary_words_and_recurring_text_words() -> None:
    texts = ["滨江区长河街道的路灯坏了", "长河街道的路灯又坏了", "一次性的生僻词汇"]
    words = vector_vocabulary(texts, dictionary_words=50)
    assert "路灯" in words and "长河" in words  # seen twice in the text
    assert "生僻" not in words  # seen once, not among the 50 most frequent
    assert "中国" in words  # one of jieba's most frequent words
    assert words == sorted(words) and all(w.strip() == w and w for w in words)


def test_projection_keeps_the_main_directions_at_unit_scale() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(200, 32)) + 5.0  # a large shared component, as e5 has
    reduced = project(vectors, 8)
    assert reduced.shape == (200, 8) and reduced.dtype == np.float32
    assert abs(float(np.sqrt(np.mean(reduced**2))) - 1.0) < 1e-4
    assert np.allclose(reduced.mean(axis=0), 0.0, atol=1e-4)


def test_the_table_is_keyed_on_the_word_and_survives_a_save(tmp_path: Path) -> None:
    words = ["北京", "上海", "医院", "学校", "银行", "公司", "路灯", "街道"]
    nlp = spacy.blank("zh")
    nlp.vocab.vectors = build_word_vectors(words, dims=4)
    nlp.to_disk(tmp_path / "model")
    persist_vectors_attr(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    vectors = loaded.vocab.vectors
    assert vectors.shape == (8, 4)
    assert vectors.attr == spacy.attrs.IDS[VECTOR_ATTR]
    assert vectors.find(key="北京") >= 0
