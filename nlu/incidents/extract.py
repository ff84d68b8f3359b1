"""One emergency report read into an :class:`IncidentDraft`.

The draft is what the emergency flow needs before it looks anything up: which hazard, when,
where, how many people are hurt, what was lost and what was sent. Every mention keeps its
span in the text; ``time`` and ``location`` are the ones the incident itself is told with
(the first dated time and the first named place in the first sentence that names the hazard,
else the first of each in the text; a dateline's city is never the incident's place), ``times``
and ``locations`` every one found.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, Field

from kg.gazetteer import Gazetteer
from nlu.incidents.counts import (
    Casualty,
    Loss,
    ResourceMention,
    find_casualties,
    find_losses,
    find_resources,
)
from nlu.incidents.hazards import HazardMention, HazardType, classify_hazard
from nlu.incidents.places import PlaceMention, find_places
from nlu.incidents.times import TimeExpression, find_times

log = logging.getLogger(__name__)

M = TypeVar("M", TimeExpression, PlaceMention)
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")


class IncidentDraft(BaseModel):
    """What a report says about one incident; every field with its span in the text."""

    hazard: HazardType | None = None
    hazard_evidence: list[HazardMention] = Field(default_factory=list)
    time: TimeExpression | None = None
    times: list[TimeExpression] = Field(default_factory=list)
    location: PlaceMention | None = None
    locations: list[PlaceMention] = Field(default_factory=list)
    casualties: list[Casualty] = Field(default_factory=list)
    losses: list[Loss] = Field(default_factory=list)
    resources: list[ResourceMention] = Field(default_factory=list)


def extract_incident(text: str, reference_time: datetime | None = None,
                     gazetteer: Gazetteer | None = None) -> IncidentDraft:
    """Read a report (title on the first line, if any) into an :class:`IncidentDraft`.

    ``reference_time`` (the report's or the call's time) resolves relative times such as
    「昨日凌晨」; ``gazetteer`` matches place phrases to the city's regions. Rules only, so a
    report costs a jieba pass and a few regular expressions.
    """
    hazard, evidence = classify_hazard(text)
    times = find_times(text, reference_time)
    places = find_places(text, gazetteer)
    draft = IncidentDraft(
        hazard=hazard,
        hazard_evidence=evidence,
        time=_main(times, evidence, text, lambda t: t.date is not None),
        times=times,
        location=_main([p for p in places if not p.dateline], evidence, text,
                       lambda p: not p.generic),
        locations=places,
        casualties=find_casualties(text),
        losses=find_losses(text),
        resources=find_resources(text),
    )
    log.debug("incident %s at %s, %d times, %d places", hazard,
              draft.location.text if draft.location else None, len(times), len(places))
    return draft


def _main(
    mentions: list[M], evidence: list[HazardMention], text: str, good: Callable[[M], bool],
) -> M | None:
    """The first good mention in the first sentence naming the hazard, else the first good
    one, else the first."""
    for sentence in _SENTENCE.finditer(text):
        if any(sentence.start() <= e.start < sentence.end() for e in evidence):
            inside = [m for m in mentions
                      if sentence.start() <= m.start < sentence.end() and good(m)]
            if inside:
                return inside[0]
    return next((m for m in mentions if good(m)), mentions[0] if mentions else None)
