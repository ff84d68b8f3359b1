"""The FAISS vector index: exact and HNSW search, incremental change, atomic persistence."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np
import pytest

import retrieval.vector_index as vector_index
from kg.errors import ConfigurationError, DataValidationError
from retrieval.bm25 import BM25Index
from retrieval.vector_index import IndexLoadError, VectorIndex

DIM = 16


def unit(rows: int, seed: int = 0) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def keys(count: int, start: int = 0) -> list[str]:
    return [f"条目{i}#0" for i in range(start, start + count)]


def top_keys(index: VectorIndex, queries: np.ndarray, k: int = 1) -> list[list[str]]:
    return [[key for key, _ in row] for row in index.search(queries, k)]


@pytest.fixture()
def flat() -> VectorIndex:
    index = VectorIndex(DIM, hnsw_threshold=1000, use_gpu=False)
    index.add(keys(50), unit(50))
    return index


@pytest.fixture()
def hnsw() -> VectorIndex:
    index = VectorIndex(DIM, hnsw_threshold=20, use_gpu=False)
    index.add(keys(15), unit(50)[:15])
    assert index.kind == "flat"
    index.add(keys(35, start=15), unit(50)[15:])  # crosses the threshold
    assert index.kind == "hnsw"
    return index


@pytest.mark.parametrize("name", ["flat", "hnsw"])
def test_each_vector_finds_itself_with_its_cosine(
    name: str, request: pytest.FixtureRequest
) -> None:
    index: VectorIndex = request.getfixturevalue(name)
    hits = index.search(unit(50) * 3.0, 3)  # scale does not matter: rows are normalised
    assert [row[0][0] for row in hits] == keys(50)
    assert all(row[0][1] == pytest.approx(1.0, abs=1e-5) for row in hits)
    assert all(row[0][1] >= row[1][1] >= row[2][1] for row in hits)
    assert len(index) == 50


@pytest.mark.parametrize("name", ["flat", "hnsw"])
def test_add_replaces_an_existing_key(name: str, request: pytest.FixtureRequest) -> None:
    index: VectorIndex = request.getfixturevalue(name)
    moved = unit(1, seed=9)
    index.add(["条目3#0"], moved)
    assert len(index) == 50
    assert top_keys(index, moved) == [["条目3#0"]]
    assert "条目3#0" not in top_keys(index, unit(50)[3:4], 2)[0][:1]


@pytest.mark.parametrize("name", ["flat", "hnsw"])
def test_remove_hides_keys_and_counts_only_known_ones(
    name: str, request: pytest.FixtureRequest
) -> None:
    index: VectorIndex = request.getfixturevalue(name)
    assert index.remove(["条目0#0", "条目1#0", "条目0#0", "没有这个"]) == 2
    assert len(index) == 48 and "条目0#0" not in index
    found = {key for row in index.search(unit(50), 50) for key, _ in row}
    assert found == set(keys(48, start=2))


def test_a_key_repeated_in_one_add_keeps_its_last_vector() -> None:
    index = VectorIndex(DIM, use_gpu=False)
    vectors = unit(2)
    index.add(["甲", "甲"], vectors)
    assert len(index) == 1
    assert index.search(vectors[1:], 1)[0][0][1] == pytest.approx(1.0, abs=1e-5)


def test_tombstones_are_compacted_and_the_index_shrinks_back_to_flat(
    hnsw: VectorIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vector_index, "COMPACT_MIN_TOMBSTONES", 5)
    hnsw.remove(keys(5))
    assert hnsw.kind == "hnsw"  # 5 tombstones: not yet
    hnsw.remove(keys(30, start=5))  # 35 removed, 15 live: below the threshold
    assert hnsw.kind == "flat" and len(hnsw) == 15
    assert top_keys(hnsw, unit(50)[35:]) == [[key] for key in keys(15, start=35)]


def test_empty_inputs() -> None:
    index = VectorIndex(DIM, use_gpu=False)
    assert index.search(unit(2), 5) == [[], []]
    index.add([], np.zeros((0, DIM), dtype=np.float32))
    index.add(keys(3), unit(3))
    assert index.search(np.zeros((0, DIM), dtype=np.float32), 5) == []
    assert index.search(unit(1), 0) == [[]]
    assert len(index.search(unit(1), 10)[0]) == 3
    assert index.remove([]) == 0


def test_bad_vectors_are_refused() -> None:
    index = VectorIndex(DIM, use_gpu=False)
    with pytest.raises(DataValidationError, match="shape"):
        index.add(["a"], np.ones((1, DIM + 1), dtype=np.float32))
    with pytest.raises(DataValidationError, match="NaN"):
        index.add(["a"], np.full((1, DIM), np.nan, dtype=np.float32))
    with pytest.raises(DataValidationError, match="2 keys for 1 vectors"):
        index.add(["a", "b"], unit(1))


@pytest.mark.parametrize("name", ["flat", "hnsw"])
def test_save_and_load_round_trip(
    name: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    index: VectorIndex = request.getfixturevalue(name)
    index.remove(["条目7#0"])
    index.save(tmp_path / "vectors")
    loaded = VectorIndex.load(tmp_path / "vectors", dim=DIM, use_gpu=False)
    assert loaded.kind == index.kind and len(loaded) == 49
    assert loaded.search(unit(50), 3) == index.search(unit(50), 3)
    loaded.add(["新的"], unit(1, seed=5))  # ids continue after the saved ones
    assert top_keys(loaded, unit(1, seed=5)) == [["新的"]] and len(loaded) == 50


def test_save_replaces_atomically_and_a_failed_save_keeps_the_old_index(
    flat: VectorIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "vectors"
    flat.save(target)
    flat.remove(keys(10))
    flat.save(target)
    assert len(VectorIndex.load(target, use_gpu=False)) == 40

    def broken(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", broken)
    flat.remove(keys(10, start=10))
    with pytest.raises(OSError, match="disk full"):
        flat.save(target)
    assert len(VectorIndex.load(target, use_gpu=False)) == 40
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors"]  # no temporary left


def test_missing_corrupt_or_mismatched_folders_are_clear_errors(
    flat: VectorIndex, tmp_path: Path
) -> None:
    with pytest.raises(IndexLoadError, match="no saved index"):
        VectorIndex.load(tmp_path / "nowhere")
    flat.save(tmp_path / "v")
    with pytest.raises(IndexLoadError, match="16-wide, expected 32"):
        VectorIndex.load(tmp_path / "v", dim=32)
    data = (tmp_path / "v" / vector_index.INDEX_FILE).read_bytes()
    (tmp_path / "v" / vector_index.INDEX_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexLoadError, match="checksum"):
        VectorIndex.load(tmp_path / "v")
    (tmp_path / "v" / vector_index.META_FILE).write_text("{not json", encoding="utf-8")
    with pytest.raises(IndexLoadError, match="JSON"):
        VectorIndex.load(tmp_path / "v")
    bm25 = BM25Index()
    bm25.add(["a"], ["信用卡"])
    bm25.save(tmp_path / "b")
    with pytest.raises(IndexLoadError, match=r"not a cityagent\.vector_index"):
        VectorIndex.load(tmp_path / "b")


@pytest.mark.skipif(faiss.get_num_gpus() > 0, reason="a GPU is present")
def test_asking_for_a_gpu_without_one_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="no GPU"):
        VectorIndex(DIM, use_gpu=True)
    assert VectorIndex(DIM).use_gpu is False
