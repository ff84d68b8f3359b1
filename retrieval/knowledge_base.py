"""A searchable knowledge base: dense (FAISS) and lexical (BM25) indexes fused by RRF.

Every :class:`~retrieval.entries.KnowledgeItem` is indexed under each of its keys (the
standard question and every paraphrase): a customer's wording is usually closer to some
paraphrase than to the official question. A search ranks items, not keys. By meaning, an
item scores the mean of its best key's cosine and its *centroid*'s (the normalised mean of
all its keys' embeddings): the best key catches a wording close to one paraphrase, the
centroid what all the wordings share (measured on the UnionPay FAQ's held-out paraphrases:
top-1 0.627 best key alone, 0.648 centroid alone, 0.675 both). By words, BM25 over the keys.
The two rankings are fused by reciprocal rank, lexical weighted lower since it is the weaker
signal there; the fused list is a shortlist for :mod:`retrieval.answer_scorer`. Both sides
are embedded with the encoder's *query* side: matching a question to a question is symmetric.

Changes are incremental: :meth:`KnowledgeBase.upsert` re-encodes only items whose keys
changed, and all encoding happens before any index is touched, so a failure leaves the
base as it was. :meth:`KnowledgeBase.save` writes a complete new folder and then swaps it
in, so a half-written base is never loaded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from kg.errors import DataValidationError
from retrieval.bm25 import BM25Index
from retrieval.encoder import TextEncoder
from retrieval.entries import KnowledgeItem
from retrieval.fusion import reciprocal_rank_fusion
from retrieval.vector_index import VectorIndex, atomic_directory

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.json"
ITEMS_FILE = "items.jsonl"
DENSE_DIR = "dense"
CENTROID_DIR = "centroids"
LEXICAL_DIR = "lexical"
KEY_SEPARATOR = "#"
MAX_QUERY_CHARS = 512
"""Queries are cut to this many characters: a question longer than that is not a question,
and the encoder's cost grows with the length."""


class SearchConfig(BaseModel):
    """How many keys each index returns and how the two rankings are fused."""

    model_config = ConfigDict(frozen=True)

    dense_keys: int = Field(default=60, ge=1)
    lexical_keys: int = Field(default=60, ge=1)
    rrf_k: int = Field(default=60, ge=1)
    dense_weight: float = Field(default=1.0, ge=0.0)
    lexical_weight: float = Field(default=0.3, ge=0.0)


class KnowledgeHit(BaseModel):
    """One item found for a query, with what each index said about it."""

    item: KnowledgeItem
    score: float = Field(description="fused score (reciprocal-rank fusion)")
    dense_score: float = Field(description="meaning score: mean of key_score and centroid_score")
    key_score: float = Field(description="best cosine between the query and one of the keys")
    centroid_score: float = Field(description="cosine between the query and the keys' centroid")
    lexical_score: float = Field(description="best BM25 score of a key; 0 if unseen")
    dense_rank: int | None = Field(description="rank among items by dense score (0 = best)")
    lexical_rank: int | None = Field(description="rank among items by BM25 (0 = best)")
    matched_key: str = Field(description="the question or paraphrase that matched best")


class UpsertReport(BaseModel):
    """What an upsert changed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0


class _Manifest(BaseModel):
    encoder: str
    dim: int
    items: int
    keys: int


def key_id(item_id: str, position: int) -> str:
    """The index key of an item's ``position``-th question text."""
    return f"{item_id}{KEY_SEPARATOR}{position}"


def item_of_key(key: str) -> str:
    """The item id a key belongs to."""
    return key.rsplit(KEY_SEPARATOR, 1)[0]


def clean_query(query: str) -> str:
    """The query as searched: blanks folded, cut to :data:`MAX_QUERY_CHARS`.

    Raises DataValidationError for a query with nothing to search (empty, blanks only).
    """
    folded = " ".join(query.split())[:MAX_QUERY_CHARS]
    if not folded:
        raise DataValidationError("the question is empty")
    return folded


class KnowledgeBase:
    """Knowledge items searchable by meaning and by words; safe to search from many threads."""

    def __init__(self, encoder: TextEncoder, config: SearchConfig | None = None) -> None:
        self.encoder = encoder
        self.config = config or SearchConfig()
        self._items: dict[str, KnowledgeItem] = {}
        self._dense = VectorIndex(encoder.dim)
        self._centroids = VectorIndex(encoder.dim)
        self._lexical = BM25Index()
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ contents
    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def get(self, item_id: str) -> KnowledgeItem | None:
        """The item with ``item_id``, or None."""
        return self._items.get(item_id)

    def items(self) -> list[KnowledgeItem]:
        """Every item, in insertion order."""
        return list(self._items.values())

    def upsert(self, items: Iterable[KnowledgeItem]) -> UpsertReport:
        """Add new items and replace changed ones; unchanged items cost nothing.

        The last of several items with one id wins. Keys are encoded before the indexes
        change, so an encoder failure leaves the base untouched.
        """
        incoming = {item.id: item for item in items}
        report = UpsertReport()
        changed: list[KnowledgeItem] = []
        for item in incoming.values():
            old = self._items.get(item.id)
            if old == item:
                report.unchanged += 1
                continue
            if old is None:
                report.added += 1
            else:
                report.updated += 1
            changed.append(item)
        if not changed:
            return report
        keys, texts = [], []
        for item in changed:
            for position, text in enumerate(item.match_texts()):
                keys.append(key_id(item.id, position))
                texts.append(text)
        vectors = self.encoder.encode_queries(texts)
        centroids = _centroids(vectors, [len(item.match_texts()) for item in changed])
        with self._lock:
            stale = [
                key_id(item.id, p)
                for item in changed
                if (old := self._items.get(item.id)) is not None
                for p in range(len(old.match_texts()))
            ]
            if stale:
                self._dense.remove(stale)
                self._lexical.remove(stale)
            self._dense.add(keys, vectors)
            self._centroids.add([item.id for item in changed], centroids)
            self._lexical.add(keys, texts)
            for item in changed:
                self._items[item.id] = item
        logger.info(
            "knowledge base: %d added, %d updated, %d unchanged (%d keys encoded)",
            report.added, report.updated, report.unchanged, len(keys),
        )
        return report

    def remove(self, item_ids: Iterable[str]) -> int:
        """Remove items by id; returns how many were there."""
        with self._lock:
            gone = [self._items.pop(i) for i in dict.fromkeys(item_ids) if i in self._items]
            keys = [key_id(item.id, p) for item in gone for p in range(len(item.match_texts()))]
            if keys:
                self._dense.remove(keys)
                self._centroids.remove([item.id for item in gone])
                self._lexical.remove(keys)
        return len(gone)

    # -------------------------------------------------------------------- search
    def search(self, query: str, k: int = 5, domain: str | None = None) -> list[KnowledgeHit]:
        """The ``k`` items that best answer ``query``, best first (only ``domain``'s if given).

        Raises DataValidationError for an empty query.
        """
        return self.search_vector(query, self.encoder.encode_queries([clean_query(query)])[0], k,
                                  domain)

    def search_vector(
        self, query: str, vector: Sequence[float], k: int = 5, domain: str | None = None
    ) -> list[KnowledgeHit]:
        """Like :meth:`search` with the query's embedding already computed (batch callers)."""
        text = clean_query(query)
        cfg = self.config
        matrix = _as_matrix(vector)
        with self._lock:
            if not self._items:
                return []
            key_hits = _best_per_item(self._dense.search(matrix, cfg.dense_keys)[0])
            centroid_hits = dict(self._centroids.search(matrix, cfg.dense_keys)[0])
            lexical = _best_per_item(self._lexical.search(text, cfg.lexical_keys))
            # only the shortlisted items, read while the lock keeps them consistent
            items = {i: self._items[i] for i in (*key_hits, *centroid_hits, *lexical)}
        meaning = _meaning_scores(key_hits, centroid_hits)
        if domain is not None:
            meaning = {i: v for i, v in meaning.items() if items[i].domain == domain}
            lexical = {i: v for i, v in lexical.items() if items[i].domain == domain}
        dense_order = sorted(meaning, key=lambda i: -meaning[i][0])
        lexical_order = list(lexical)
        fused = reciprocal_rank_fusion(
            [dense_order, lexical_order],
            k=cfg.rrf_k,
            weights=[cfg.dense_weight, cfg.lexical_weight],
        )
        dense_rank = {item_id: r for r, item_id in enumerate(dense_order)}
        lexical_rank = {item_id: r for r, item_id in enumerate(lexical_order)}
        hits = []
        for item_id, score in fused[:k]:
            item = items[item_id]
            d_score, k_score, c_score = meaning.get(item_id, (0.0, 0.0, 0.0))
            l_score, l_key = lexical.get(item_id, (0.0, ""))
            best_key = key_hits.get(item_id, (0.0, l_key))[1] or l_key
            hits.append(
                KnowledgeHit(
                    item=item,
                    score=score,
                    dense_score=d_score,
                    key_score=k_score,
                    centroid_score=c_score,
                    lexical_score=l_score,
                    dense_rank=dense_rank.get(item_id),
                    lexical_rank=lexical_rank.get(item_id),
                    matched_key=item.match_texts()[int(best_key.rsplit(KEY_SEPARATOR, 1)[1])]
                    if best_key
                    else item.question,
                )
            )
        return hits

    # --------------------------------------------------------------- persistence
    def save(self, directory: Path) -> None:
        """Write the base to ``directory`` completely, then swap it in place of the old one."""
        with self._lock, atomic_directory(Path(directory)) as staging:
            self._dense.save(staging / DENSE_DIR)
            self._centroids.save(staging / CENTROID_DIR)
            self._lexical.save(staging / LEXICAL_DIR)
            items = list(self._items.values())
            with (staging / ITEMS_FILE).open("w", encoding="utf-8") as fh:
                for item in items:
                    fh.write(item.model_dump_json() + "\n")
            manifest = _Manifest(
                encoder=self.encoder.name,
                dim=self.encoder.dim,
                items=len(items),
                keys=sum(len(i.match_texts()) for i in items),
            )
            (staging / MANIFEST_FILE).write_text(manifest.model_dump_json(indent=2), "utf-8")
        logger.info("knowledge base saved to %s (%d items)", directory, len(items))

    @classmethod
    def load(
        cls, directory: Path, encoder: TextEncoder, config: SearchConfig | None = None
    ) -> KnowledgeBase:
        """Read a base saved by :meth:`save`; it must have been built with the same encoder.

        Raises DataValidationError when the folder is incomplete, corrupt or of another
        encoder (the caller then rebuilds it).
        """
        directory = Path(directory)
        try:
            manifest = _Manifest.model_validate_json(
                (directory / MANIFEST_FILE).read_text(encoding="utf-8")
            )
            items = [
                KnowledgeItem.model_validate_json(line)
                for line in (directory / ITEMS_FILE).read_text(encoding="utf-8").splitlines()
                if line.strip()
            ]
        except (OSError, ValueError) as exc:
            raise DataValidationError(f"knowledge base {directory} cannot be read: {exc}") from exc
        if manifest.encoder != encoder.name or manifest.dim != encoder.dim:
            raise DataValidationError(
                f"knowledge base {directory} was built with encoder {manifest.encoder!r} "
                f"(dim {manifest.dim}), not {encoder.name!r} (dim {encoder.dim})"
            )
        if len(items) != manifest.items:
            raise DataValidationError(
                f"knowledge base {directory} lists {manifest.items} items but holds {len(items)}"
            )
        base = cls(encoder, config)
        base._dense = VectorIndex.load(directory / DENSE_DIR)
        base._centroids = VectorIndex.load(directory / CENTROID_DIR)
        base._lexical = BM25Index.load(directory / LEXICAL_DIR)
        base._items = {item.id: item for item in items}
        if (
            len(base._dense) != manifest.keys
            or len(base._lexical) != manifest.keys
            or len(base._centroids) != manifest.items
        ):
            raise DataValidationError(
                f"knowledge base {directory}: the indexes do not hold its {manifest.keys} keys"
            )
        return base


def _as_matrix(vector: Sequence[float]) -> np.ndarray:
    return np.asarray(vector, dtype=np.float32).reshape(1, -1)


def _best_per_item(ranked_keys: Sequence[tuple[str, float]]) -> dict[str, tuple[float, str]]:
    """Item id → (best score, best key), in the order the items first appear (best first)."""
    best: dict[str, tuple[float, str]] = {}
    for key, score in ranked_keys:
        item_id = item_of_key(key)
        if item_id not in best:
            best[item_id] = (float(score), key)
    return best


def _centroids(vectors: np.ndarray, counts: Sequence[int]) -> np.ndarray:
    """Unit-length mean of each consecutive run of ``counts`` rows (an item's keys)."""
    bounds = np.cumsum([0, *counts])
    means = np.stack([vectors[a:b].mean(axis=0) for a, b in pairwise(bounds)])
    norms = np.linalg.norm(means, axis=1, keepdims=True)
    return (means / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def _meaning_scores(
    key_hits: dict[str, tuple[float, str]], centroid_hits: dict[str, float]
) -> dict[str, tuple[float, float, float]]:
    """Item id → (meaning score, best key cosine, centroid cosine) over both shortlists.

    An item found by one index only gets the other's lowest shortlisted score: its true
    score is at most that.
    """
    key_floor = min((v for v, _ in key_hits.values()), default=0.0)
    centroid_floor = min(centroid_hits.values(), default=0.0)
    scores = {}
    for item_id in dict.fromkeys([*key_hits, *centroid_hits]):
        k_score = key_hits[item_id][0] if item_id in key_hits else key_floor
        c_score = float(centroid_hits.get(item_id, centroid_floor))
        scores[item_id] = ((k_score + c_score) / 2, k_score, c_score)
    return scores
