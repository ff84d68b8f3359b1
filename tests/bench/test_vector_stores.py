"""Should knowledge embeddings also live in a Neo4j vector index? Latency and recall vs FAISS.

Run with ``pytest tests/bench/test_vector_stores.py -s``. It writes 10,000 KnowledgeEntry
nodes with 384-dimensional embeddings into a real Neo4j, waits for the ontology's vector
index (``knowledgeentry_embedding_vector``) to come online, and measures the write cost, the
top-10 query latency of ``db.index.vector.queryNodes`` and its recall against exact search,
next to FAISS on the same vectors. Prints its figures and writes
``var/bench/vector_stores.json``; it asserts nothing about timings.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from kg.store import GraphStore
from retrieval.vector_index import VectorIndex
from tests.bench.test_retrieval import EmbeddingLike, K, _timed

OUT = Path("var/bench/vector_stores.json")
ENTRIES = 10_000
QUERIES = 200
WRITE_BATCH = 500

_WRITE = """
UNWIND $rows AS row
MERGE (k:KnowledgeEntry {id: row.id})
SET k.question = row.id, k.answer = '-', k.domain = 'bench', k.embedding = row.embedding
"""
_QUERY = """
CALL db.index.vector.queryNodes('knowledgeentry_embedding_vector', $k, $vector)
YIELD node, score RETURN node.id AS id, score
"""


def _recall(found: list[list[str]], exact: list[list[str]]) -> float:
    shares = [len(set(f) & set(e)) / len(e) for f, e in zip(found, exact, strict=True)]
    return float(np.mean(shares))


@pytest.mark.timeout(1800)
def test_neo4j_vector_index_against_faiss(graph: GraphStore) -> None:
    shapes = EmbeddingLike(seed=3)
    vectors = shapes.sample(ENTRIES)
    queries = shapes.near(vectors[:QUERIES])
    ids = [f"BENCH-{i}" for i in range(ENTRIES)]
    graph.apply_schema()

    began = time.perf_counter()
    for start in range(0, ENTRIES, WRITE_BATCH):
        rows = [{"id": ids[i], "embedding": vectors[i].tolist()}
                for i in range(start, min(start + WRITE_BATCH, ENTRIES))]
        graph.write(_WRITE, rows=rows)
    graph.write("CALL db.awaitIndexes(600)")
    neo4j_write_s = time.perf_counter() - began

    began = time.perf_counter()
    index = VectorIndex(vectors.shape[1])
    index.add(ids, vectors)
    faiss_build_s = time.perf_counter() - began

    exact = [[ids[j] for j in np.argsort(-(vectors @ q))[:K]] for q in queries]
    neo4j_found = [[r["id"] for r in graph.read(_QUERY, k=K, vector=q.tolist())] for q in queries]
    faiss_found = [[key for key, _ in hits] for hits in index.search(queries, K)]
    results = {
        "entries": ENTRIES,
        "dim": int(vectors.shape[1]),
        "k": K,
        "neo4j": {
            "write_and_index_s": round(neo4j_write_s, 2),
            "query": _timed([lambda q=q: graph.read(_QUERY, k=K, vector=q.tolist())
                             for q in queries]),
            "recall_at_10": round(_recall(neo4j_found, exact), 4),
        },
        "faiss_flat": {
            "build_s": round(faiss_build_s, 3),
            "query": _timed([lambda q=q: index.search(q[None, :], K) for q in queries]),
            "recall_at_10": round(_recall(faiss_found, exact), 4),
        },
    }
    graph.write("MATCH (k:KnowledgeEntry {domain: 'bench'}) DETACH DELETE k")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))
