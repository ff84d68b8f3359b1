"""Turns a hotline call transcript (or one citizen message) into a draft Ticket.

Each slot has its own small extractor (caller, phone, address, time, category, urgency,
sentiment); this module runs them over the citizen's words, keeps every span, routes the
ticket to departments through the graph's routing table and says how sure it is. No LLM is
needed. The resources (gazetteer, routing table, models) are loaded once and shared; a call
keeps no state.
"""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import datetime
from functools import cache
from typing import Protocol

from spacy.language import Language

from kg.errors import ConfigurationError
from kg.gazetteer import Gazetteer, load_gazetteer
from kg.routing_table import RoutingTable, load_routing_table
from kg.store import GraphStore
from kg.ticket import EntitySpan, Ticket, TicketAddress
from nlu.address import normalise_address
from nlu.caller import find_caller_name
from nlu.pii import find_phones
from nlu.pipeline import extract_entities, load_pipeline, rules_only_pipeline
from nlu.router import RouteResult, load_router
from nlu.routing import CategoryMatcher, rank_departments
from nlu.timex import resolve_event_time
from nlu.transcript import Turn, citizen_text, split_turns
from nlu.urgency import assess_sentiment, assess_urgency

log = logging.getLogger(__name__)

SUMMARY_LIMIT = 80
MIN_ADDRESS_CONFIDENCE = 0.3
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
_FILLER = re.compile(r"^(?:喂|你好|您好|哎|那个|就是|嗯|啊|我想|我要|麻烦|请问)[，,、\s!！]*")


class FirstLevelRouter(Protocol):
    """What the filler needs of the first-level classifier."""

    def predict(self, text: str) -> RouteResult:
        """Probabilities of the 7 first-level classes for one text."""
        ...


class EntityFinder(Protocol):
    """What the filler needs of the NER pipeline: entities with character spans."""

    def __call__(self, text: str) -> list[EntitySpan]:
        """The entities of one text."""
        ...


def ner_entities(text: str) -> list[EntitySpan]:
    """Entities of the committed NER pipeline, or of the rules alone when no model is installed.

    Drafting must not stop because the trained model is missing: the rules still find phones,
    ID numbers, dates, amounts and plates, and the log says what is missing.
    """
    return [
        EntitySpan(text=e.text, label=e.label, start=e.start, end=e.end)
        for e in extract_entities(text, _entity_pipeline())
    ]


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


class TicketFiller:
    """Drafts tickets against one city's gazetteer and routing table with given models."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        table: RoutingTable,
        router: FirstLevelRouter,
        entities: EntityFinder | None = None,
    ) -> None:
        self.gazetteer = gazetteer
        self.table = table
        self.router = router
        self.entities = entities
        self.matcher = CategoryMatcher(table)

    @classmethod
    def from_store(cls, store: GraphStore) -> TicketFiller:
        """A filler on the graph's regions and routing table with the committed models."""
        return cls(load_gazetteer(store), load_routing_table(store), load_router(), ner_entities)

    def draft(self, transcript: str, call_time: datetime) -> Ticket:
        """A draft ticket for one call; fields the call does not give stay empty."""
        turns = split_turns(transcript)
        said = citizen_text(turns)
        spans: list[EntitySpan] = []
        caller = find_caller_name(turns)
        if caller:
            spans.append(EntitySpan(text=caller[0], label="CALLER", start=caller[1], end=caller[2]))
        phone = _phone(turns)
        if phone:
            spans.append(EntitySpan(text=transcript[phone[1]:phone[2]], label="PHONE",
                                    start=phone[1], end=phone[2]))
        address = self._address(said)
        when = resolve_event_time(said, call_time)
        route = self.router.predict(said or transcript)
        choice = self.matcher.choose(said, route.scores)
        urgency = assess_urgency(said)
        sentiment = assess_sentiment(said)
        leaf = self.table.categories.get(choice.category.l2_id or "")
        if self.entities is not None:
            spans.extend(self.entities(transcript))
        parts = [choice.confidence, address.confidence if address.district else 0.5,
                 route.confidence]
        return Ticket(
            id=ticket_id(call_time, transcript),
            call_time=call_time,
            caller_name=caller[0] if caller else None,
            phone=phone[0] if phone else None,
            address=address,
            event_time=when.time if when else None,
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
            return TicketAddress(raw=match.raw or None, confidence=match.confidence)
        return TicketAddress(
            raw=match.raw, district=match.district, street=match.street,
            community=match.community, district_id=match.district_id,
            street_id=match.street_id, community_id=match.community_id,
            confidence=match.confidence,
        )
