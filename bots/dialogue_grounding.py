"""Groundedness of the citizen bot's replies, sentence by sentence.

Every sentence of a reply is put in one class:

- **cited**: it carries a citation mark ``[n]`` that is *valid* — ``n`` is one of the reply's
  citations, the entry it names exists, and every number in the sentence occurs in that
  entry's texts (question, answer, source, handling departments and their phones);
- **covered**: it carries no mark but a later sentence of the same line (paragraph) does, and
  its numbers occur in that citation's entry — the bot marks an entry's answer once, at its
  end, so the mark covers the run of sentences before it;
- **procedural**: one of the bot's fixed sentences (questions back, confirmations, hand-over,
  refusals, filing and status texts, emergency advice, with their placeholders filled), a
  line of a ticket or status card (``· 字段：值``) or a line of the sources list;
- **invalid**: it carries a mark (or is covered by one) that is not valid as above;
- **unsupported**: anything else — a factual claim with no citation at all.

Groundedness is the share of cited, covered and procedural sentences; the strict variant
counts covered sentences as ungrounded. Sentences end at 。！？!? outside 「」《》（） and
take the citation marks that follow them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime

from pydantic import BaseModel

from bots.agents import citizen_texts as texts
from bots.agents.citizen_report import ask, summary_text
from bots.agents.citizen_state import CitizenReply, Report, Slot
from bots.guardrails import unsupported_numbers
from bots.tools.citizen_tools import DEFAULT_ADVICE
from bots.tools.emergency_advice import life_danger
from kg.ticket import Ticket

EntryFacts = Callable[[str], str | None]
"""An entry id → the texts its numbers may come from, or None for an unknown entry."""

_MARK = re.compile(r"\[(\d+)\]")
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_SOURCE_LINE = re.compile(r"^\[\d+\]\s*《")
_CARD_LINE = "·"
_ENDS = "。！？!?"
_OPEN, _CLOSE = "「《（(", "」》）)"
_HAN = re.compile(r"[\u4e00-\u9fff]")
_SLOTS: tuple[Slot, ...] = ("problem", "address", "phone")
_SCRATCH_TIME = datetime(2025, 1, 1)


class SentenceCounts(BaseModel):
    """How many of a set of reply sentences fall in each class."""

    cited: int = 0
    covered: int = 0
    procedural: int = 0
    invalid: int = 0
    unsupported: int = 0

    @property
    def total(self) -> int:
        """All sentences counted."""
        return self.cited + self.covered + self.procedural + self.invalid + self.unsupported

    def plus(self, other: SentenceCounts) -> SentenceCounts:
        """The sum of two counts."""
        return SentenceCounts(**{k: getattr(self, k) + getattr(other, k)
                                 for k in SentenceCounts.model_fields})


class Verdict(BaseModel):
    """One sentence and its class."""

    sentence: str
    kind: str


def split_sentences(line: str) -> list[str]:
    """The sentences of one line: ends at 。！？!? outside brackets, marks kept with them."""
    sentences: list[str] = []
    depth, start, i = 0, 0, 0
    while i < len(line):
        char = line[i]
        depth += (char in _OPEN) - (char in _CLOSE and depth > 0)
        i += 1
        if char in _ENDS and depth == 0:
            while i < len(line) and line[i] in _ENDS:
                i += 1
            while (mark := _MARK.match(line, i)) is not None:
                i = mark.end()
            sentences.append(line[start:i])
            start = i
    sentences.append(line[start:])
    return [s.strip() for s in sentences if _HAN.search(s) or re.search(r"\w", s)]


class ProceduralTexts:
    """The bot's fixed sentences as patterns, placeholders matching any text."""

    def __init__(self, templates: Iterable[str]) -> None:
        """Patterns for every sentence of ``templates`` that has words of its own."""
        patterns = []
        for template in templates:
            for line in template.splitlines():
                for sentence in split_sentences(line):
                    literal = _PLACEHOLDER.sub("", sentence)
                    if not _HAN.search(literal):
                        continue  # 「{advice}」 alone would match anything
                    parts = _PLACEHOLDER.split(sentence)
                    patterns.append(re.compile(".*?".join(re.escape(p) for p in parts)))
        self._patterns = patterns

    def matches(self, sentence: str) -> bool:
        """Whether ``sentence`` is one of the fixed sentences."""
        return any(p.fullmatch(sentence) for p in self._patterns)

    @classmethod
    def of_citizen_bot(cls, citizen_turns: Iterable[str] = ()) -> ProceduralTexts:
        """The citizen bot's fixed texts, with the emergency advice its turns would get."""
        templates = [v for k, v in vars(texts).items() if k.isupper() and isinstance(v, str)
                     and not k.startswith(("NOTE_", "LLM_"))]
        templates += list(texts.FORBIDDEN.values())
        scratch = Report(ticket_id="scratch", started=_SCRATCH_TIME)
        templates += [ask(scratch, slot) for slot in _SLOTS for _ in range(2)]
        frame = summary_text(Ticket(id="scratch", call_time=_SCRATCH_TIME)).splitlines()
        templates += [line for line in frame if not line.startswith(_CARD_LINE)]
        templates.append(DEFAULT_ADVICE.advice)
        for turn in citizen_turns:
            danger = life_danger(turn)
            if danger is not None:
                templates.append(danger.advice)
        return cls(templates)


def classify_reply(reply: CitizenReply, procedural: ProceduralTexts, facts: EntryFacts
                   ) -> list[Verdict]:
    """The class of every sentence of ``reply`` (see the module's description)."""
    cited = {c.number: c.entry_id for c in reply.citations}
    verdicts: list[Verdict] = []
    for raw in reply.text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if _SOURCE_LINE.match(line) or line.startswith(_CARD_LINE):
            verdicts.append(Verdict(sentence=line, kind="procedural"))
            continue
        waiting: list[str] = []
        for sentence in split_sentences(line):
            numbers = [int(n) for n in _MARK.findall(sentence)]
            if numbers:
                verdicts += [Verdict(sentence=s, kind="covered" if _valid(s, numbers, cited, facts)
                                     else "invalid") for s in waiting]
                valid = _valid(sentence, numbers, cited, facts)
                verdicts.append(Verdict(sentence=sentence, kind="cited" if valid else "invalid"))
                waiting = []
            elif procedural.matches(sentence):
                verdicts.append(Verdict(sentence=sentence, kind="procedural"))
            else:
                waiting.append(sentence)
        verdicts += [Verdict(sentence=s, kind="unsupported") for s in waiting]
    return verdicts


def count(verdicts: Iterable[Verdict]) -> SentenceCounts:
    """The verdicts counted by class."""
    counts = SentenceCounts()
    for verdict in verdicts:
        setattr(counts, verdict.kind, getattr(counts, verdict.kind) + 1)
    return counts


def _valid(sentence: str, numbers: list[int], cited: dict[int, str], facts: EntryFacts) -> bool:
    """Whether every mark names a cited, known entry whose texts hold the sentence's numbers."""
    sources = []
    for number in numbers:
        entry = cited.get(number)
        known = facts(entry) if entry is not None else None
        if known is None:
            return False
        sources.append(known)
    return not unsupported_numbers(_MARK.sub("", sentence), sources)
