"""Finding the entities a question names: full names, stored aliases and short forms.

The regulator asks about 「滨江城投」, 「鼎盛集团」 or 「张伟」; the graph stores the full name
and the usual abbreviations (``aliases``). :class:`MentionIndex` reads every name and alias of
the finance and region labels once, adds the short form without the city prefix (「瑞丰纺织集团
股份有限公司」 for 「滨江瑞丰纺织集团股份有限公司」), and finds the longest non-overlapping
mentions in a text. A surface form shared by several entities (three persons named 张伟) comes
back with every candidate, so the caller can ask which one is meant.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, Field

from kg.store import GraphStore

log = logging.getLogger(__name__)

MENTION_LABELS = ("Company", "Person", "Fund", "Product", "RiskEvent", "District", "Street")
"""The labels whose names a regulator's question may use."""
CITY_PREFIXES = ("滨江市", "滨江")
LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "（有限合伙）")
MIN_SHORT_FORM = 4
"""A short form (the name without the city prefix) must keep this many characters."""

_PARTNERSHIP = re.compile(r"(?:股权投资|创业投资|产业投资|投资)?合伙企业$")
_ROLE_IN_NAME = re.compile(r"实际控制人|实控人|法定代表人|董事长|总经理|负责人")
_NAMES = (
    "MATCH (n) WHERE any(l IN labels(n) WHERE l IN $labels) AND n.name IS NOT NULL "
    "RETURN n.id AS id, n.name AS name, coalesce(n.aliases, []) AS aliases, labels(n) AS labels"
)


class Candidate(BaseModel):
    """An entity a surface form may refer to."""

    id: str
    name: str
    label: str


class Mention(BaseModel):
    """A stretch of the text that names one or more entities."""

    text: str
    start: int
    end: int
    candidates: list[Candidate] = Field(min_length=1)

    @property
    def ambiguous(self) -> bool:
        """Whether several entities carry this name."""
        return len(self.candidates) > 1


def _label(labels: Iterable[str]) -> str:
    """The mention label of a node: the first of MENTION_LABELS it carries (Bank is Company)."""
    found = set(labels)
    return next(label for label in MENTION_LABELS if label in found)


def short_forms(name: str) -> list[str]:
    """The name without the city prefix and/or without its legal form (「有限公司」), an event's
    name from the person it is about (「鼎盛集团实际控制人周德明失联」 → 「周德明失联」), and a
    partnership fund as a 基金 (「滨江沃土绿色发展股权投资合伙企业（有限合伙）」 → 「沃土绿色发展
    基金」), when enough of it is left to be distinctive: how people shorten names in speech."""
    bases = [name]
    for suffix in LEGAL_FORMS:
        if name.endswith(suffix) and len(name) - len(suffix) >= MIN_SHORT_FORM:
            bases.append(name[:-len(suffix)])
            break
    forms = bases[1:]
    for base in bases:
        for prefix in CITY_PREFIXES:
            if base.startswith(prefix) and len(base) - len(prefix) >= MIN_SHORT_FORM:
                forms.append(base[len(prefix):])
                break
    role = _ROLE_IN_NAME.search(name)
    if role and len(name) - role.end() >= MIN_SHORT_FORM:
        forms.append(name[role.end():])
    for base in forms[:]:  # a partnership fund is called a 基金: 「沃土绿色发展基金」
        partnership = _PARTNERSHIP.search(base)
        if partnership and partnership.start() >= MIN_SHORT_FORM - 2:
            forms.append(f"{base[:partnership.start()]}基金")
    return forms


class MentionIndex:
    """Surface forms (names, aliases, short forms) → the entities they name."""

    def __init__(self, entries: Iterable[tuple[str, Candidate]]) -> None:
        """Index ``(surface form, entity)`` pairs; a form may name several entities."""
        self._forms: dict[str, dict[str, Candidate]] = defaultdict(dict)
        for form, candidate in entries:
            form = form.strip()
            if len(form) >= 2:
                self._forms[form][candidate.id] = candidate
        self._lengths = sorted({len(f) for f in self._forms}, reverse=True)

    @classmethod
    def from_graph(cls, store: GraphStore, labels: Iterable[str] = MENTION_LABELS
                   ) -> MentionIndex:
        """Every name, alias and short form of the nodes with ``labels`` (one read query)."""
        entries: list[tuple[str, Candidate]] = []
        rows = store.read(_NAMES, labels=list(labels))
        for row in rows:
            candidate = Candidate(id=row["id"], name=row["name"], label=_label(row["labels"]))
            for form in (row["name"], *row["aliases"], *short_forms(row["name"])):
                entries.append((str(form), candidate))
        log.info("mention index: %d entities, %d surface forms", len(rows), len(entries))
        return cls(entries)

    def candidates(self, form: str) -> list[Candidate]:
        """The entities ``form`` names exactly (empty when none)."""
        return list(self._forms.get(form.strip(), {}).values())

    def find(self, text: str) -> list[Mention]:
        """The longest non-overlapping mentions in ``text``, left to right."""
        mentions = []
        i = 0
        while i < len(text):
            for length in self._lengths:
                form = text[i:i + length]
                if len(form) == length and form in self._forms:
                    found = sorted(self._forms[form].values(), key=lambda c: c.id)
                    mentions.append(Mention(text=form, start=i, end=i + length,
                                            candidates=found))
                    i += length
                    break
            else:
                i += 1
        return mentions
