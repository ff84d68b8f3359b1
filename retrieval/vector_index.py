"""A FAISS vector index keyed by strings: exact below a size threshold, HNSW above it.

Inner product on unit vectors (rows are normalised on the way in, so scores are cosines).
Small corpora (a bank's FAQ, the demo city) get exact flat search; above
``hnsw_threshold`` entries the index becomes HNSW, whose query time grows slowly with size
(the threshold default comes from ``tests/bench/test_retrieval.py``: where one exact
query stops fitting a few milliseconds on 2 CPU cores).

Updates are incremental: an add appends (replacing the key's old vector), a remove deletes
(flat) or leaves a tombstone that searches filter out (HNSW cannot delete); tombstones are
compacted away by a rebuild once they grow past a share of the index. The only other full
rebuild is the one-off switch from flat to HNSW when the threshold is crossed.

With ``faiss-gpu`` and a visible GPU (and ``CITYAGENT_DEVICE`` not ``cpu``) searches run on
a GPU copy of an exact flat index — brute force on a GPU beats HNSW on a CPU — behind the
same API; the CPU index stays the source of truth for updates and saving.

Saving is atomic: files are written to a temporary sibling folder that is then renamed into
place, so a reader never sees a half-written index; loading checks every file against the
checksums in ``meta.json`` and raises :class:`IndexLoadError` naming what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from kg.errors import ConfigurationError, DataValidationError
from kg.settings import get_settings

logger = logging.getLogger(__name__)

META_FILE = "meta.json"
INDEX_FILE = "vectors.faiss"
FORMAT = "cityagent.vector_index"
FORMAT_VERSION = 1

HNSW_M = 32
"""Graph degree of HNSW: 32 keeps recall@10 ≈ 0.99 at ef 128 on embedding-like data."""
HNSW_EF_CONSTRUCTION = 40
HNSW_EF_SEARCH = 128
COMPACT_MIN_TOMBSTONES = 256
COMPACT_RATIO = 0.1
"""Rebuild once tombstones exceed this share of the live entries (and the minimum above)."""
SMALL_BATCH = 16
"""Searches and adds of fewer rows run on one thread: on a busy 2-core machine OpenMP's
busy waiting costs more than it saves (one query at 10k: 16 ms on 2 threads, 1 ms on 1;
one HNSW add: spikes of 300 ms on 2 threads, ≤ 5 ms on 1)."""


class IndexLoadError(DataValidationError):
    """A saved index folder is missing, corrupt or does not match what was asked for."""

    code = "E033"


class VectorIndex:
    """String keys → unit vectors, searched by inner product; see the module docstring."""

    def __init__(
        self, dim: int, *, hnsw_threshold: int | None = None, use_gpu: bool | None = None
    ) -> None:
        """An empty index of ``dim``-wide vectors.

        ``hnsw_threshold`` defaults to ``settings.hnsw_threshold``; ``use_gpu`` to "when
        faiss sees a GPU and the device setting allows it" (True without a GPU is an error).
        """
        if dim <= 0:
            raise DataValidationError(f"vector dimension must be positive, got {dim}")
        self.dim = dim
        if hnsw_threshold is None:
            hnsw_threshold = get_settings().hnsw_threshold
        self.hnsw_threshold = hnsw_threshold
        self.use_gpu = _resolve_gpu(use_gpu)
        self._index: Any = self._new_index(hnsw=False)
        self._ids: dict[str, int] = {}
        self._keys: dict[int, str] = {}
        self._next_id = 0
        self._dead: set[int] = set()  # ids still in the HNSW graph but removed
        self._selector: Any = None  # cached IDSelector that hides ``_dead``
        self._gpu_index: Any = None
        self._gpu_dead: set[int] = set()  # ids still in the GPU copy but removed
        self._lock = threading.RLock()
        if self.use_gpu:
            self._gpu_index = _to_gpu(self._index)

    @property
    def kind(self) -> str:
        """``"flat"`` (exact) or ``"hnsw"``: the structure of the CPU index now."""
        return "hnsw" if self._is_hnsw() else "flat"

    def __len__(self) -> int:
        """Number of live keys."""
        return len(self._ids)

    def __contains__(self, key: object) -> bool:
        """True when ``key`` is indexed."""
        return key in self._ids

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Index ``vectors`` under ``keys``; a key already present gets its new vector.

        A key repeated within one call keeps its last vector. Crossing ``hnsw_threshold``
        turns the exact index into HNSW once; otherwise nothing is rebuilt.
        """
        matrix = self._matrix(vectors)
        if len(keys) != len(matrix):
            raise DataValidationError(f"{len(keys)} keys for {len(matrix)} vectors")
        last = {key: row for row, key in enumerate(keys)}
        if not last:
            return
        rows = np.fromiter(last.values(), dtype=np.int64, count=len(last))
        matrix = matrix[rows]
        with self._lock:
            self._drop([key for key in last if key in self._ids])
            ids = np.arange(self._next_id, self._next_id + len(last), dtype=np.int64)
            self._next_id += len(last)
            with _threads_for(len(last)):
                self._index.add_with_ids(matrix, ids)
            if self._gpu_index is not None:
                self._gpu_index.add_with_ids(matrix, ids)
            for key, new_id in zip(last, ids.tolist(), strict=True):
                self._ids[key] = new_id
                self._keys[new_id] = key
            if not self.use_gpu and not self._is_hnsw() and len(self) > self.hnsw_threshold:
                logger.info("vector index passed %d entries: rebuilding as HNSW", len(self))
                self._rebuild()
            self._compact_if_needed()

    def remove(self, keys: Sequence[str]) -> int:
        """Remove ``keys`` (unknown keys are ignored); returns how many were indexed."""
        with self._lock:
            present = list(dict.fromkeys(key for key in keys if key in self._ids))
            self._drop(present)
            self._compact_if_needed()
            return len(present)

    def search(self, queries: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """The ``k`` best (key, cosine) pairs for each query row, best first."""
        matrix = self._matrix(queries)
        with self._lock:
            k = min(k, len(self))
            if k <= 0:
                return [[] for _ in range(len(matrix))]
            scores, ids = self._raw_search(matrix, k)
            return [
                [
                    (self._keys[int(i)], float(s))
                    for s, i in zip(row_scores, row_ids, strict=True)
                    if int(i) in self._keys
                ][:k]
                for row_scores, row_ids in zip(scores, ids, strict=True)
            ]

    def save(self, directory: Path) -> None:
        """Write the index to ``directory`` atomically (a reader sees the old or the new)."""
        with self._lock, atomic_directory(Path(directory)) as tmp:
            faiss.write_index(self._index, str(tmp / INDEX_FILE))
            write_meta(
                tmp,
                {
                    "format": FORMAT,
                    "version": FORMAT_VERSION,
                    "dim": self.dim,
                    "kind": self.kind,
                    "hnsw_threshold": self.hnsw_threshold,
                    "next_id": self._next_id,
                    "keys": list(self._ids),
                    "ids": list(self._ids.values()),
                    "dead": sorted(self._dead),
                },
                files=[INDEX_FILE],
            )

    @classmethod
    def load(
        cls, directory: Path, *, dim: int | None = None, use_gpu: bool | None = None
    ) -> VectorIndex:
        """Read an index saved by :meth:`save`; ``dim``, when given, must match.

        Raises :class:`IndexLoadError` when the folder is missing, incomplete, corrupt or
        of another dimension.
        """
        directory = Path(directory)
        meta = read_meta(directory, FORMAT, FORMAT_VERSION)
        try:
            index = faiss.read_index(str(directory / INDEX_FILE))
            stored_dim = int(meta["dim"])
            keys = [str(key) for key in meta["keys"]]
            ids = [int(i) for i in meta["ids"]]
            dead = {int(i) for i in meta["dead"]}
            next_id = int(meta["next_id"])
            threshold = int(meta["hnsw_threshold"])
        except (RuntimeError, KeyError, TypeError, ValueError) as exc:
            raise IndexLoadError(f"{directory}: unreadable vector index ({exc})") from exc
        if dim is not None and dim != stored_dim:
            raise IndexLoadError(f"{directory}: vectors are {stored_dim}-wide, expected {dim}")
        stored_ids = (
            faiss.vector_to_array(index.id_map) if hasattr(index, "id_map") else np.empty(0)
        )
        if (
            index.d != stored_dim
            or len(keys) != len(ids)
            or len(set(keys)) != len(keys)
            or not hasattr(index, "id_map")
            or set(stored_ids.tolist()) != set(ids) | dead
            or len(stored_ids) != len(ids) + len(dead)
        ):
            raise IndexLoadError(f"{directory}: vector index does not match its metadata")
        loaded = cls(stored_dim, hnsw_threshold=threshold, use_gpu=use_gpu)
        loaded._index = index
        loaded._ids = dict(zip(keys, ids, strict=True))
        loaded._keys = dict(zip(ids, keys, strict=True))
        loaded._dead = dead
        loaded._next_id = next_id
        if loaded.use_gpu:
            loaded._rebuild()  # the GPU mirrors an exact flat index without tombstones
        return loaded

    # Internals -------------------------------------------------------------------------

    def _is_hnsw(self) -> bool:
        return isinstance(faiss.downcast_index(self._index.index), faiss.IndexHNSW)

    def _new_index(self, *, hnsw: bool) -> Any:
        inner: Any
        if hnsw:
            inner = faiss.IndexHNSWFlat(self.dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            inner.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            inner = faiss.IndexFlatIP(self.dim)
        return faiss.IndexIDMap2(inner)  # faiss's wrapper keeps ``inner`` referenced

    def _matrix(self, vectors: np.ndarray) -> np.ndarray:
        matrix = np.array(vectors, dtype=np.float32, ndmin=2, copy=True, order="C")
        if matrix.size == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] != self.dim:
            raise DataValidationError(
                f"vectors must have shape (n, {self.dim}), got {np.shape(vectors)}"
            )
        if not np.isfinite(matrix).all():
            raise DataValidationError("vectors contain NaN or infinite values")
        faiss.normalize_L2(matrix)
        return matrix

    def _drop(self, keys: Sequence[str]) -> None:
        ids = [self._ids.pop(key) for key in keys]
        if not ids:
            return
        for old in ids:
            del self._keys[old]
        if self._is_hnsw():
            self._dead.update(ids)
            self._selector = None
        else:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))
        if self._gpu_index is not None:
            self._gpu_dead.update(ids)

    def _compact_if_needed(self) -> None:
        if len(self._dead) > max(COMPACT_MIN_TOMBSTONES, COMPACT_RATIO * len(self)):
            logger.info("vector index: compacting %d removed entries", len(self._dead))
            self._rebuild()
        elif len(self._gpu_dead) > COMPACT_MIN_TOMBSTONES:
            self._gpu_index = _to_gpu(self._index)
            self._gpu_dead = set()

    def _rebuild(self) -> None:
        """A fresh CPU index (HNSW or flat, by size) holding only the live vectors."""
        inner = self._index.index
        stored = faiss.vector_to_array(self._index.id_map)
        vectors = inner.reconstruct_n(0, inner.ntotal) if inner.ntotal else None
        live = np.fromiter((i in self._keys for i in stored.tolist()), dtype=bool)
        index = self._new_index(hnsw=not self.use_gpu and len(self) > self.hnsw_threshold)
        if vectors is not None and live.any():
            index.add_with_ids(vectors[live], stored[live])
        self._index = index
        self._dead = set()
        self._selector = None
        if self.use_gpu:
            self._gpu_index = _to_gpu(index)
            self._gpu_dead = set()

    def _raw_search(self, matrix: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        with _threads_for(len(matrix)):
            if self._gpu_index is not None:
                fetch = min(k + len(self._gpu_dead), self._gpu_index.ntotal, 2048)
                return self._gpu_index.search(matrix, fetch)  # type: ignore[no-any-return]
            if self._is_hnsw():
                params = faiss.SearchParametersHNSW(  # type: ignore[attr-defined]
                    efSearch=max(HNSW_EF_SEARCH, k)
                )
                if self._dead:
                    params.sel = self._dead_selector()
                return self._index.search(matrix, k, params=params)  # type: ignore[no-any-return]
            return self._index.search(matrix, k)  # type: ignore[no-any-return]

    def _dead_selector(self) -> Any:
        if self._selector is None:
            batch = faiss.IDSelectorBatch(np.fromiter(self._dead, dtype=np.int64))
            selector = faiss.IDSelectorNot(batch)
            selector.__dict__["_batch"] = batch  # IDSelectorNot does not own its argument
            self._selector = selector
        return self._selector


@contextmanager
def _threads_for(queries: int) -> Iterator[None]:
    """One OpenMP thread for small query batches; faiss's default for larger ones."""
    if queries >= SMALL_BATCH:
        yield
        return
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _resolve_gpu(use_gpu: bool | None) -> bool:
    """Whether to search on a GPU: auto = faiss sees one and the device setting allows it."""
    gpus = int(faiss.get_num_gpus()) if hasattr(faiss, "get_num_gpus") else 0
    if use_gpu is None:
        return gpus > 0 and get_settings().device != "cpu"
    if use_gpu and gpus == 0:
        raise ConfigurationError("GPU vector search asked for, but faiss sees no GPU")
    return use_gpu


_gpu_resources: Any = None


def _to_gpu(index: Any) -> Any:
    """A copy of a flat CPU index on GPU 0 (its ids included)."""
    global _gpu_resources
    if _gpu_resources is None:
        _gpu_resources = faiss.StandardGpuResources()
    return faiss.index_cpu_to_gpu(_gpu_resources, 0, index)


# Saving and loading, shared with the BM25 index ----------------------------------------


@contextmanager
def atomic_directory(directory: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``directory`` that replaces it once the block ends.

    On an error inside the block the temporary folder is removed and ``directory`` is left
    as it was. The swap is two renames on the same file system.
    """
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    try:
        yield tmp
        for path in tmp.iterdir():
            if not path.is_file():  # a nested index fsyncs its own files
                continue
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old-{uuid.uuid4().hex}")
            directory.rename(old)
            tmp.rename(directory)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_meta(directory: Path, meta: dict[str, Any], *, files: Sequence[str]) -> None:
    """Write ``meta.json`` with the SHA-256 of each of ``files`` (checked at load)."""
    checksums = {name: _sha256(directory / name) for name in files}
    text = json.dumps(meta | {"files": checksums}, ensure_ascii=False)
    (directory / META_FILE).write_text(text, encoding="utf-8")


def read_meta(directory: Path, expected_format: str, version: int) -> dict[str, Any]:
    """Read and check ``meta.json`` of a saved index and the checksums of its files."""
    path = directory / META_FILE
    if not path.is_file():
        raise IndexLoadError(f"{directory}: no saved index here ({META_FILE} is missing)")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexLoadError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != expected_format:
        raise IndexLoadError(f"{directory}: not a {expected_format} folder")
    if meta.get("version") != version:
        raise IndexLoadError(
            f"{directory}: format version {meta.get('version')}, this code reads {version}"
        )
    files = meta.get("files")
    if not isinstance(files, dict):
        raise IndexLoadError(f"{path}: the file checksums are missing")
    for name, checksum in files.items():
        file = directory / name
        if not file.is_file():
            raise IndexLoadError(f"{directory}: {name} is missing")
        if _sha256(file) != checksum:
            raise IndexLoadError(f"{file}: checksum mismatch, the file is corrupt or was changed")
    return meta


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
