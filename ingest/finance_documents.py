"""Announcements, news and court notices into the risk graph, every fact with its source.

Each document becomes a Document node; the entities it names that resolve to the graph get a
MENTIONS edge with the span; each fact whose both sides resolve becomes the relationship it
states (HOLDS_SHARES with its ratio, GUARANTEES with its amount, CONTROLS, IS_LEGAL_REP)
carrying ``source`` (the document's id) and ``evidence`` (the sentence), and each risk event
becomes a RiskEvent that INVOLVES its entity. A fact with a side that does not resolve (a
company not in the graph, a homonym the text does not tell apart) is not written but
reported, so that nothing is merged by a guess.

All documents are checked before anything is written: one bad line (no id, an empty or
oversized text, a bad date) names its file and line, and the graph is left as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from kg.errors import OntologyError
from kg.ontology import Ontology
from kg.records import GraphBundle, NodeRef, RelRecord
from kg.store import GraphStore
from nlu.entity_resolution import EntityResolver
from nlu.finance_extraction import FinanceExtractor, FinanceFact, Mention
from nlu.jsonl import read_records

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 100_000


class FinanceDocument(BaseModel):
    """One text to read, as a JSON line gives it."""

    id: str = Field(min_length=1, max_length=64, pattern=r"^[\w.:-]+$")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    source: str | None = Field(default=None, max_length=200)
    date: dt.date | None = None
    kind: str | None = Field(default=None, max_length=40,
                             description="announcement, news, court_notice …")


class DocumentIngestReport(BaseModel):
    """What reading the documents found and wrote."""

    documents: int
    facts: int
    written: int = Field(description="facts written as relationships or risk events")
    mentions: int = Field(description="MENTIONS edges written")
    unresolved: list[str] = Field(default_factory=list,
                                  description="facts not written, with the side that failed")


def read_documents(path: Path) -> list[FinanceDocument]:
    """The documents of a JSON-lines file; DataValidationError naming the line of a bad one."""
    return read_records(path, FinanceDocument)


def ingest_documents(store: GraphStore, documents: Sequence[FinanceDocument],
                     extractor: FinanceExtractor, resolver: EntityResolver
                     ) -> DocumentIngestReport:
    """Read every document and write what it says about graph entities, with provenance."""
    bundle = GraphBundle()
    facts = written = mentions = 0
    unresolved: list[str] = []
    for doc in documents:
        ref = bundle.node("Document", id=doc.id, name=doc.text[:40], kind=doc.kind,
                          source=doc.source, content_hash=hashlib.sha256(
                              doc.text.encode("utf-8")).hexdigest())
        mentions += _mentions(bundle, ref, doc, extractor, resolver)
        for number, fact in enumerate(extractor.extract(doc.text, doc.id), start=1):
            facts += 1
            problem = _write_fact(bundle, doc, number, fact, resolver, store.ontology)
            if problem is None:
                written += 1
            else:
                unresolved.append(f"{doc.id} {fact.relation}: {problem}")
    store.write_bundle(bundle)
    log.info("%d documents: %d facts, %d written, %d unresolved", len(documents), facts,
             written, len(unresolved))
    return DocumentIngestReport(documents=len(documents), facts=facts, written=written,
                                mentions=mentions, unresolved=unresolved)


def _mentions(bundle: GraphBundle, ref: NodeRef, doc: FinanceDocument,
              extractor: FinanceExtractor, resolver: EntityResolver) -> int:
    written = 0
    for mention in extractor.mentions(doc.text):
        resolution = resolver.resolve(mention.text, mention.kind, _around(doc.text, mention))
        if resolution.id is not None:
            target = NodeRef(label=resolver.records[resolution.id].label, key=resolution.id)
            bundle.relationships.append(RelRecord(
                type="MENTIONS", start=ref, end=target,
                properties={"start": mention.start, "end": mention.end, "text": mention.text}))
            written += 1
    return written


def _around(text: str, mention: Mention) -> str:
    return text[max(mention.start - 60, 0):mention.end + 60]


def _write_fact(bundle: GraphBundle, doc: FinanceDocument, number: int, fact: FinanceFact,
                resolver: EntityResolver, ontology: Ontology) -> str | None:
    """Add the fact to ``bundle``; the reason it cannot be written, or None."""
    subject = resolver.resolve(fact.subject.text, fact.subject.kind, fact.sentence)
    if subject.id is None:
        return f"「{fact.subject.text}」{subject.reason}"
    start = NodeRef(label=resolver.records[subject.id].label, key=subject.id)
    provenance = {"source": doc.id, "evidence": fact.sentence[:300]}
    if fact.relation == "RISK_EVENT":
        event = bundle.node("RiskEvent", id=f"RE-{doc.id}-{number}",
                            name=f"{fact.subject.text}{fact.event}", kind=fact.event,
                            occurred_on=doc.date, source=doc.source or doc.id,
                            description=fact.sentence[:500])
        bundle.rel("INVOLVES", event, start, **provenance)
        return None
    assert fact.object is not None, "every relation but a risk event has an object"
    other = resolver.resolve(fact.object.text, fact.object.kind, fact.sentence)
    if other.id is None:
        return f"「{fact.object.text}」{other.reason}"
    end = NodeRef(label=resolver.records[other.id].label, key=other.id)
    values = ({"ratio": fact.ratio} if fact.ratio is not None else {}) | (
        {"amount": fact.amount} if fact.amount is not None else {})
    record = RelRecord(type=fact.relation, start=start, end=end,
                       properties=values | provenance)
    try:
        ontology.validate_rel(record)
    except OntologyError as exc:
        return f"「{fact.subject.text}」与「{fact.object.text}」不能构成该关系（{exc.message}）"
    bundle.relationships.append(record)
    return None
