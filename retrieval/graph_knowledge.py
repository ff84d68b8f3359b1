"""Keeps the service's knowledge base in step with the graph's KnowledgeEntry nodes.

The graph is the source of truth; the knowledge base on disk is an index of it. At start-up
the saved base is loaded, entries that changed in the graph are re-encoded, entries gone
from the graph are removed, and the base is saved again only when something changed: a
restart costs no re-encoding, and one new FAQ entry costs one entry's keys.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from kg.errors import DataValidationError
from kg.knowledge import KnowledgeContext, KnowledgeRecord, knowledge_context, read_knowledge
from kg.store import GraphStore
from retrieval.encoder import TextEncoder
from retrieval.entries import KnowledgeItem
from retrieval.knowledge_base import KnowledgeBase, KnowledgeHit, UpsertReport

logger = logging.getLogger(__name__)


def item_from_record(record: KnowledgeRecord) -> KnowledgeItem:
    """The retrieval view of a stored knowledge entry."""
    return KnowledgeItem(
        id=record.id,
        question=record.question,
        answer=record.answer,
        paraphrases=tuple(record.paraphrases),
        category=record.category,
        domain=record.domain,
        source=record.source,
        keywords=tuple(record.keywords),
    )


def open_knowledge_base(directory: Path, encoder: TextEncoder) -> KnowledgeBase:
    """The base saved in ``directory``, or an empty one when there is none or it is unusable."""
    if not (directory / "manifest.json").is_file():
        return KnowledgeBase(encoder)
    try:
        return KnowledgeBase.load(directory, encoder)
    except DataValidationError as exc:
        logger.warning("rebuilding the knowledge base: %s", exc)
        return KnowledgeBase(encoder)


def sync_from_graph(
    base: KnowledgeBase, store: GraphStore, directory: Path | None = None
) -> UpsertReport:
    """Bring ``base`` up to date with the graph's valid entries; save it when it changed."""
    items = [item_from_record(r) for r in read_knowledge(store, today=date.today())]
    report = base.upsert(items)
    present = {item.id for item in items}
    removed = base.remove([item.id for item in base.items() if item.id not in present])
    if directory is not None and (report.added or report.updated or removed):
        base.save(directory)
    logger.info("knowledge base in step with the graph: %s, %d removed", report, removed)
    return report


def hit_context(store: GraphStore, hits: list[KnowledgeHit]) -> dict[str, KnowledgeContext]:
    """Graph expansion of hits: category, handling departments, policy and provider of each."""
    return knowledge_context(store, [h.item.id for h in hits])
