"""Turns a hotline call transcript (or one citizen message) into a draft Ticket.

Each slot has its own small extractor (caller, phone, address, time, category, urgency,
sentiment); this module runs them over the citizen's words, keeps every span, routes the
ticket to departments through the graph's routing table and says how sure it is. No LLM is
needed. The resources (gazetteer, routing table, models) are loaded once and shared; a call
keeps no state. Many calls can be drafted at once (:meth:`TicketFiller.draft_many`): the
models then run once per batch, and each ticket is the one :meth:`TicketFiller.draft` gives.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from itertools import islice
from typing import Protocol

from sklearn.pipeline import Pipeline
from spacy.language import Language

from kg.errors import ConfigurationError
from kg.gazetteer import Gazetteer, load_gazetteer
from kg.routing_table import RoutingTable, load_routing_table
from kg.store import GraphStore
from kg.ticket import EntitySpan, Ticket, TicketAddress
from nlu.address import normalise_address
from nlu.batch_cache import BatchCache
from nlu.caller import find_caller_name
from nlu.category_model import load_category_model
from nlu.department_mentions import DepartmentMentions
from nlu.pii import find_phones
from nlu.pipeline import extract_entities_many, load_pipeline, rules_only_pipeline
from nlu.router import RouteResult, SentenceEncoder, load_router, sentence_encoder
from nlu.routing import CategoryChoice, CategoryMatcher, rank_departments
from nlu.sentiment import SentimentResult, assess_sentiment_many
from nlu.timex import call_hour, resolve_event_time
from nlu.transcript import Turn, citizen_text, split_turns
from nlu.urgency import UrgencyResult, assess_urgency_many

log = logging.getLogger(__name__)

SUMMARY_LIMIT = 80
LINE_CACHE_SIZE = 4096  # transcript lines whose entities are kept (see PipelineEntities)
MIN_ADDRESS_CONFIDENCE = 0.3
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
_FILLER = re.compile(r"^(?:喂|你好|您好|哎|那个|就是|嗯|啊|我想|我要|麻烦|请问)[，,、\s!！]*")


class FirstLevelRouter(Protocol):
    """What the filler needs of the first-level classifier."""

    def predict_batch(self, texts: Sequence[str]) -> list[RouteResult]:
        """Probabilities of the 7 first-level classes for each text, in order."""
        ...


class EntityFinder(Protocol):
    """What the filler needs of the NER pipeline: entities with character spans."""

    def many(self, texts: Sequence[str]) -> list[list[EntitySpan]]:
        """The entities of each text, in order, the model run on many texts at a time."""
        ...

    def forget(self) -> None:
        """Drop whatever was kept from earlier texts."""
        ...


class PipelineEntities:
    """The committed NER pipeline's entities, or the rules' alone when no model is installed.

    Drafting must not stop because the trained model is missing: the rules still find phones,
    ID numbers, dates, amounts and plates, and the log says what is missing. The model reads a
    transcript line by line (a turn's entities seldom hang on another turn) and keeps the
    entities of the last lines it read: a live call is drafted again each time it grows, and
    then only its new lines are read.
    """

    def __init__(self, cache_size: int = LINE_CACHE_SIZE) -> None:
        self._lines: BatchCache[str, list[EntitySpan]] = BatchCache(cache_size)

    def many(self, texts: Sequence[str]) -> list[list[EntitySpan]]:
        """The entities of each text; the lines not read before go through ``nlp.pipe`` in
        batches (:func:`~nlu.pipeline.extract_entities_many`)."""
        lines = [_lines_of(text) for text in texts]

        def read(new: list[str]) -> list[list[EntitySpan]]:
            found = extract_entities_many(new, _entity_pipeline())
            return [[EntitySpan(text=e.text, label=e.label, start=e.start, end=e.end,
                                ontology_class=e.ontology_class) for e in entities]
                    for entities in found]

        known = self._lines.values([line for per_text in lines for _, line in per_text], read)
        return [
            [span.model_copy(update={"start": span.start + offset, "end": span.end + offset})
             for offset, line in per_text for span in known[line]]
            for per_text in lines
        ]

    def forget(self) -> None:
        """Drop the lines read so far (benchmarks of cold drafts)."""
        self._lines.clear()


def _lines_of(text: str) -> list[tuple[int, str]]:
    """The non-blank lines of ``text`` with their offsets, without line breaks."""
    lines, offset = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        if body.strip():
            lines.append((offset, body))
        offset += len(line)
    return lines


#: The entity finder of the committed models (see :class:`PipelineEntities`).
ner_entities = PipelineEntities()


@cache
def _entity_pipeline() -> Language:
    try:
        return load_pipeline()
    except ConfigurationError as exc:
        log.warning("%s; drafting with the rule-based entities only", exc)
        return rules_only_pipeline()


def ticket_id(call_time: datetime, transcript: str) -> str:
    """A stable id: the same call drafted twice gets the same id, so storing is idempotent."""
    digest = hashlib.sha1(f"{call_time.isoformat()}|{transcript}".encode()).hexdigest()[:8]
    return f"T{call_time:%Y%m%d%H%M%S}-{digest}"


def _address_span(transcript: str, address: TicketAddress, found: list[EntitySpan]
                  ) -> EntitySpan | None:
    """The normalised address's words as an ``address`` entity, when the NER found none there.

    The ticket's place comes from the gazetteer; its words belong among the extracted
    entities (and become a MENTIONS edge) whether or not the statistical NER saw them.
    """
    if not address.raw or not address.district:
        return None
    start = transcript.find(address.raw)
    if start < 0:
        return None
    end = start + len(address.raw)
    if any(e.label == "address" and e.start < end and start < e.end for e in found):
        return None
    return EntitySpan(text=address.raw, label="address", start=start, end=end)


def _summary(turns: list[Turn], keywords: list[str]) -> str:
    """The citizen's main demand in at most 80 characters: the sentence that names it."""
    sentences = [
        _FILLER.sub("", m.group(0).strip())
        for t in turns if t.speaker == "citizen" for m in _SENTENCE.finditer(t.text)
    ]
    sentences = [s for s in sentences if len(s) >= 4] or sentences
    if not sentences:
        return ""
    best = max(sentences, key=lambda s: (sum(len(k) for k in keywords if k in s), len(s) > 8))
    return best if len(best) <= SUMMARY_LIMIT else best[: SUMMARY_LIMIT - 1] + "…"


def _phone(turns: list[Turn]) -> tuple[str, int, int] | None:
    """The last phone number the citizen gave (a correction repeats it)."""
    found = [
        (digits, turn.start + start, turn.start + end)
        for turn in turns if turn.speaker == "citizen"
        for digits, start, end in find_phones(turn.text)
    ]
    return found[-1] if found else None


def _event_time(said: str, call_time: datetime, urgency: UrgencyResult) -> datetime | None:
    """When the event happened; a danger unfolding now with no time named is at the call's hour.

    Someone trapped or collapsed, a leak or a fire (「我妈被关在电梯里了」) is happening as
    the caller speaks; a missing manhole cover has no time unless the caller gives one.
    """
    if when := resolve_event_time(said, call_time):
        return when.time
    return call_hour(call_time) if urgency.in_progress else None


class TicketFiller:
    """Drafts tickets against one city's gazetteer and routing table with given models."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        table: RoutingTable,
        router: FirstLevelRouter,
        entities: EntityFinder | None = None,
        encoder: SentenceEncoder | None = None,
        category_model: Pipeline | None = None,
    ) -> None:
        self.gazetteer = gazetteer
        self.table = table
        self.router = router
        self.entities = entities
        self.matcher = CategoryMatcher(
            table, places=[name for entry in gazetteer.entries for name in entry.surfaces],
            encoder=encoder, learned=category_model,
        )
        self.mentions = DepartmentMentions(table.departments.values())

    @classmethod
    def from_store(cls, store: GraphStore) -> TicketFiller:
        """A filler on the graph's regions and routing table with the committed models."""
        return cls(load_gazetteer(store), load_routing_table(store), load_router(), ner_entities,
                   sentence_encoder(), load_category_model())

    def forget(self) -> None:
        """Drop what was kept from earlier drafts (the lines read, the openings encoded), so
        that the next draft costs what a new call's first draft costs (cold benchmarks)."""
        if self.entities is not None:
            self.entities.forget()
        self.matcher.forget()

    def draft(self, transcript: str, call_time: datetime) -> Ticket:
        """A draft ticket for one call; fields the call does not give stay empty.

        A batch of one for :meth:`draft_many`, so both always give the same ticket.
        """
        return self.draft_many([(transcript, call_time)])[0]

    def draft_many(
        self, calls: Iterable[tuple[str, datetime]], batch_size: int = 64
    ) -> list[Ticket]:
        """Draft tickets for many ``(transcript, call_time)`` calls, in order.

        Each ticket is the one :meth:`draft` gives for that call; the models run once per
        ``batch_size`` calls (entities through ``nlp.pipe``, the router and the category
        match on one matrix each), which is what bulk ingestion needs. A call with no text at
        all raises :class:`~kg.errors.DataValidationError` (from the router), as in
        :meth:`draft`, for its whole batch.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        pending = iter(calls)
        tickets: list[Ticket] = []
        while batch := list(islice(pending, batch_size)):
            tickets.extend(self._draft_batch(batch))
        return tickets

    def _draft_batch(self, calls: list[tuple[str, datetime]]) -> list[Ticket]:
        transcripts = [transcript for transcript, _ in calls]
        turns = [split_turns(transcript) for transcript in transcripts]
        said = [citizen_text(t) for t in turns]
        routes = self.router.predict_batch(
            [words or transcript for words, transcript in zip(said, transcripts, strict=True)]
        )
        named = [self.mentions.handed_to(t) for t in turns]
        choices = self.matcher.choose_many(said, [route.scores for route in routes], named)
        found = (
            self.entities.many(transcripts) if self.entities is not None
            else [[] for _ in calls]
        )
        urgencies = assess_urgency_many(said)
        sentiments = assess_sentiment_many(said)
        return [
            self._assemble(transcript, call_time, turns[i], said[i], routes[i], choices[i],
                           found[i], urgencies[i], sentiments[i])
            for i, (transcript, call_time) in enumerate(calls)
        ]

    def _assemble(
        self, transcript: str, call_time: datetime, turns: list[Turn], said: str,
        route: RouteResult, choice: CategoryChoice, found: list[EntitySpan],
        urgency: UrgencyResult, sentiment: SentimentResult,
    ) -> Ticket:
        """One call's ticket from its share of the batch's model outputs."""
        spans: list[EntitySpan] = []
        caller = find_caller_name(turns)
        if caller:
            spans.append(EntitySpan(text=caller[0], label="CALLER", start=caller[1], end=caller[2]))
        phone = _phone(turns)
        if phone:
            spans.append(EntitySpan(text=transcript[phone[1]:phone[2]], label="PHONE",
                                    start=phone[1], end=phone[2]))
        spans.extend(found)
        address = self._address(said)
        place = _address_span(transcript, address, found)
        if place is not None:
            spans.append(place)
        when = _event_time(said, call_time, urgency)
        leaf = self.table.categories.get(choice.category.l2_id or "")
        parts = [choice.confidence, address.confidence if address.district else 0.5,
                 route.confidence]
        return Ticket(
            id=ticket_id(call_time, transcript),
            call_time=call_time,
            caller_name=caller[0] if caller else None,
            phone=phone[0] if phone else None,
            address=address,
            event_time=when,
            category=choice.category,
            summary=_summary(turns, [*(leaf.keywords if leaf else []), *route.evidence]),
            urgency=urgency.urgency,
            urgency_reason=urgency.reason,
            sentiment=sentiment.sentiment,
            departments=rank_departments(self.table, choice, address),
            entities=sorted(spans, key=lambda e: (e.start, e.end)),
            confidence=round(sum(parts) / len(parts), 3),
            transcript=transcript,
        )

    def _address(self, said: str) -> TicketAddress:
        match = normalise_address(said, self.gazetteer)
        if match.confidence < MIN_ADDRESS_CONFIDENCE:
            # With no place at all the normaliser echoes its whole input: that is no address.
            raw = None if match.raw == said.strip() else match.raw or None
            return TicketAddress(raw=raw, confidence=match.confidence)
        return TicketAddress(
            raw=match.raw, district=match.district, street=match.street,
            community=match.community, district_id=match.district_id,
            street_id=match.street_id, community_id=match.community_id,
            confidence=match.confidence,
        )
