"""CityAgent's offline Chinese spaCy pipeline: character tokens, trained NER, rule entities.

The committed model in ``nlu/models/ner/`` is one token per character →
``cityagent_encoder_ner`` (CLUENER2020's ten labels, from a fine-tuned transformer encoder,
``nlu/encoder_ner.py``) → ``cityagent_pattern_entities`` (PHONE, ID_CARD, DATE, TIME, MONEY,
PLATE found by regular expressions over the text; added only where the NER found nothing, and
never as part of a longer number or code).

Tokens are single characters: every CLUENER mention is then reachable, while 4.0 % of the
training mentions cut through a jieba word and could never be predicted from jieba tokens.
The encoder still reads each character's position in its jieba word (``word_positions.py``).

Nothing here keeps dialogue state: the loaded model is cached per process and per path,
which is a read-only artifact, not state between calls.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import product
from pathlib import Path
from typing import Literal, NamedTuple

import spacy
from pydantic import BaseModel, Field
from spacy.language import Language
from spacy.tokens import Doc

from kg.errors import ConfigurationError
from nlu.encoder_ner import EncoderNer, EncoderNerComponent

logger = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).parent / "models" / "ner"
#: Characters per ``nlp.pipe`` batch in bulk extraction (see :func:`extract_entities_many`).
BATCH_CHARS = 4000

#: Ontology class (local name in ``kg/ontology.ttl``) of each entity label, or None.
#: ``organization`` → Company: in CLUENER it tags clubs, teams, bands, schools and
#: associations, i.e. non-government bodies; government bodies have their own label
#: (``government`` → Department), and Department is what tickets are routed to, so mapping
#: clubs there would be wrong. ``scene`` (scenic spots, landmarks) → Location. Rule labels
#: are attributes (a phone, an amount, a date) rather than nodes of their own, and PLATE is
#: not the ontology's Vehicle (emergency equipment), so they map to None.
LABEL_TO_ONTOLOGY: dict[str, str | None] = {
    "address": "Address",
    "book": None,
    "company": "Company",
    "game": None,
    "government": "Department",
    "movie": None,
    "name": "Person",
    "organization": "Company",
    "position": None,
    "scene": "Location",
    "PHONE": None,
    "ID_CARD": None,
    "DATE": None,
    "TIME": None,
    "MONEY": None,
    "PLATE": None,
}


class Entity(BaseModel):
    """One entity found in a text; ``start``/``end`` are character offsets, ``end`` exclusive."""

    text: str
    label: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    ontology_class: str | None = None
    source: Literal["ner", "ruler"]


# --- pattern entities: regular expressions over the text ---------------------------------

_DIGIT = "[0-9０-９]"
_CN_DIGIT = "[零〇一二三四五六七八九十两]"
_CN_NUMBER = "[零〇一二三四五六七八九十两百千万亿]"
_DASH = "[-－—]"
_PROVINCE = "[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼]"
#: A rule entity next to one of these is part of a longer number or code, so it is dropped.
_GLUE = frozenset(
    "0123456789０１２３４５６７８９ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

_DAY_WORDS = ["今天", "昨天", "前天", "明天", "后天", "当天", "今日", "昨日", "明日", "次日"]
_DAY_PARTS = ["今晚", "昨晚", "明晚", "当晚", "今早", "明早", "昨夜", "今夜", "前晚"]
_PERIODS = ["上午", "下午", "中午", "晚上", "凌晨", "早上", "傍晚", "夜里", "半夜", "深夜",
            "清晨", "早晨", "夜间"]
_RELATIVE_DATES = [
    *_DAY_WORDS, "大前天", "大后天", "今年", "去年", "明年", "前年", "上个月", "这个月",
    "本月", "下个月", "上月", "下月", "月初", "月底", "月中", "年初", "年底", "上周", "本周",
    "这周", "下周", "周末", "上星期", "下星期", "这星期", "元旦", "春节", "国庆节", "中秋节",
    "端午节", "清明节", "劳动节", "除夕",
]
_WEEK_HEADS = ["星期", "礼拜", "周", "上周", "下周", "本周", "这周"]
_TIME_HEADS = [
    *_DAY_WORDS, *_DAY_PARTS, *_PERIODS, *(d + p for d, p in product(_DAY_WORDS, _PERIODS))
]
_HEAD_SET = frozenset(_TIME_HEADS)
_CURRENCIES = ["元", "块钱", "元钱", "美元", "欧元", "港币", "港元", "日元", "英镑", "人民币"]


def _any_of(words: Iterable[str]) -> str:
    """Alternation of literal words, longest first, so that the longest one at a place wins."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


_MINUTES = rf"(?:半|一刻|三刻|钟|{_DIGIT}{{1,2}}分|{_CN_DIGIT}{{1,3}}分)"
_ARABIC_AMOUNT = rf"{_DIGIT}[0-9０-９,]*(?:\.{_DIGIT}+)?[万千百亿]?"

#: One regular expression per rule label. Alternatives at the same place are ordered so that
#: the first that matches is the longest.
_PATTERN_SOURCES: dict[str, str] = {
    "PHONE": (
        rf"1[3-9]{_DIGIT}{_DASH}{_DIGIT}{{4}}{_DASH}{_DIGIT}{{4}}"  # 138-0571-2345
        rf"|1[3-9]{_DIGIT}{{9}}"
        rf"|0{_DIGIT}{{2,3}}{_DASH}?{_DIGIT}{{7,8}}"  # 0571-87654321
        rf"|[(（]0{_DIGIT}{{2,3}}[)）]{_DIGIT}{{7,8}}"
    ),
    "ID_CARD": rf"[1-9]{_DIGIT}{{16}}[0-9０-９Xx]",
    "DATE": (
        rf"{_DIGIT}{{2,4}}年(?:{_DIGIT}{{1,2}}月(?:{_DIGIT}{{1,2}}[日号])?)?"
        rf"|{_DIGIT}{{4}}[-/.]{_DIGIT}{{1,2}}[-/.]{_DIGIT}{{1,2}}"
        rf"|{_DIGIT}{{1,2}}月(?:{_DIGIT}{{1,2}}[日号]|份)"
        rf"|{_CN_DIGIT}{{4}}年{_CN_DIGIT}{{1,2}}月{_CN_DIGIT}{{1,3}}[日号]"
        rf"|{_CN_DIGIT}{{1,2}}月(?:{_CN_DIGIT}{{1,3}}[日号]|份)"
        rf"|(?:{_any_of(_WEEK_HEADS)})[一二三四五六日天]"
        rf"|{_any_of(_RELATIVE_DATES)}"
    ),
    "TIME": (
        rf"{_DIGIT}{{1,2}}(?:[点时]{_MINUTES}?|[:：]{_DIGIT}{{2}})"
        rf"|{_CN_DIGIT}{{1,3}}[点时]{_MINUTES}"
        # A bare Chinese-numeral hour ("一点") is too often "a little": it needs a head word.
        rf"|(?:{_any_of(_TIME_HEADS)}){_CN_DIGIT}{{1,3}}[点时][半钟]?"
        # Heads alone are times too ("昨晚", "下午"); day words alone are dates (see DATE).
        rf"|{_any_of(h for h in _TIME_HEADS if h not in _DAY_WORDS)}"
    ),
    "MONEY": (
        rf"{_ARABIC_AMOUNT}(?:{_any_of([*_CURRENCIES, '块'])})"
        rf"|[￥¥]{_ARABIC_AMOUNT}"
        rf"|{_CN_NUMBER}+(?:{_any_of(_CURRENCIES)})"
        # "两千块" yes, "一块" (together / one piece) no: 块 needs two numeral characters.
        rf"|{_CN_NUMBER}{{2,}}块"
    ),
    "PLATE": rf"{_PROVINCE}[A-Z][·•]?(?:[A-Z0-9]{{5,6}}|[A-Z0-9]{{4}}[挂学警港澳])",
}
PATTERN_LABELS: tuple[str, ...] = tuple(_PATTERN_SOURCES)
#: Rule labels whose format is exact enough to overrule the NER.
CODE_LABELS: frozenset[str] = frozenset({"PHONE", "ID_CARD", "PLATE"})
# Inside a lookahead every position is tried, so a match is found at each place it starts.
_PATTERNS = {label: re.compile(f"(?=({src}))") for label, src in _PATTERN_SOURCES.items()}


class _Match(NamedTuple):
    """A rule match: ``start``/``end`` count tokens (see :func:`_squeeze`), ``left``/``right``
    are the character offsets in the text."""

    start: int
    end: int
    label: str
    left: int
    right: int


def _squeeze(text: str) -> tuple[str, Sequence[int]]:
    """``text`` less every space that directly follows a visible character, and where each
    kept character stands in ``text``.

    spaCy's tokenizers make such a space part of the token before it, so the characters of a
    match in the squeezed text are its tokens: "138 0571 2345" is one phone number, as it was
    for the token patterns this replaced; a line break or a second space still separates.
    """
    if " " not in text:
        return text, range(len(text))
    where = [
        i for i, ch in enumerate(text) if ch != " " or i == 0 or text[i - 1].isspace()
    ]
    return "".join(text[i] for i in where), where


def _candidates(text: str) -> list[_Match]:
    squeezed, where = _squeeze(text)
    return [
        _Match(m.start(1), m.end(1), label, where[m.start(1)], where[m.end(1) - 1] + 1)
        for label, pattern in _PATTERNS.items()
        for m in pattern.finditer(squeezed)
    ]


def _longest_first(matches: list[_Match]) -> list[_Match]:
    """Non-overlapping matches in text order, the longest (then the leftmost) chosen first."""
    seen: set[int] = set()
    chosen: list[_Match] = []
    for m in sorted(matches, key=lambda m: (m.end - m.start, -m.start), reverse=True):
        if seen.isdisjoint(range(m.start, m.end)):
            chosen.append(m)
            seen.update(range(m.start, m.end))
    return sorted(chosen)


def _glued(text: str, m: _Match) -> bool:
    before = text[m.left - 1] if m.left > 0 else ""
    after = text[m.right] if m.right < len(text) else ""
    # A MONEY or DATE span may end in a unit, so its end only counts when it is a digit.
    return before in _GLUE or (after in _GLUE and text[m.right - 1] in _GLUE)


def _join_times(text: str, matches: list[_Match]) -> list[_Match]:
    """Join a day or period word with the clock time right after it ("下午" + "3点半")."""
    joined: list[_Match] = []
    for m in matches:
        prev = joined[-1] if joined else None
        if (
            prev is not None
            and m.label == "TIME"
            and prev.label in ("DATE", "TIME")
            and prev.end == m.start
            and text[prev.left : prev.right] in _HEAD_SET
        ):
            joined[-1] = prev._replace(end=m.end, right=m.right, label="TIME")
        else:
            joined.append(m)
    return joined


def find_pattern_entities(
    text: str, taken: Sequence[tuple[int, int]] = ()
) -> list[tuple[int, int, str]]:
    """Rule entities of ``text`` as ``(start, end, label)`` character spans, in text order.

    ``taken`` are spans already found (the NER's): a match overlapping one is not used, so the
    NER wins. Of overlapping matches the longest is kept; a match glued to a digit or Latin
    letter is dropped, being only part of a longer number or code ("138123456789012" holds
    no phone number); a day or period word and the clock time after it become one TIME.
    """
    free = [
        m for m in _candidates(text)
        if not any(left < m.right and m.left < right for left, right in taken)
    ]
    kept = [m for m in _longest_first(free) if not _glued(text, m)]
    return [(m.left, m.right, m.label) for m in _join_times(text, kept)]


@Language.component("cityagent_pattern_entities")
def pattern_entities(doc: Doc) -> Doc:
    """Add the rule entities (PHONE, ID_CARD, DATE, TIME, MONEY, PLATE) to the NER's.

    A phone, ID or plate number (:data:`CODE_LABELS`) replaces any NER entity it overlaps:
    those formats are exact, while the NER, trained on news, reads a plate like "浙A12345" as
    a company. Dates, times and amounts are added only where the NER found nothing.
    Regular expressions over ``doc.text`` (:func:`find_pattern_entities`) instead of token
    patterns: one pass per label rather than a matcher step per character token. A match is
    added only where it falls on token boundaries (always, with character tokens), because
    widening it to coarser tokens would add characters that are not part of it.
    """
    codes = [(s, e) for s, e, label in find_pattern_entities(doc.text) if label in CODE_LABELS]
    ner = [
        ent for ent in doc.ents
        if not any(s < ent.end_char and ent.start_char < e for s, e in codes)
    ]
    found = find_pattern_entities(doc.text, [(e.start_char, e.end_char) for e in ner])
    spans = [doc.char_span(start, end, label=label) for start, end, label in found]
    doc.ents = [*ner, *(span for span in spans if span is not None)]
    return doc


def add_pattern_entities(nlp: Language) -> Language:
    """Add the rule-entity component last (after the NER; see :func:`pattern_entities`).

    Idempotent. Works on a blank ``zh`` pipeline too, which is how the rules are tested and
    used without the trained model.
    """
    if "cityagent_pattern_entities" not in nlp.pipe_names:
        nlp.add_pipe("cityagent_pattern_entities", last=True)
    return nlp


def blank_zh() -> Language:
    """A blank ``zh`` pipeline with one token per character, the NER's tokens."""
    return spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})


def rules_only_pipeline() -> Language:
    """A blank character-token ``zh`` pipeline with only the rule entities (no trained model)."""
    return add_pattern_entities(blank_zh())


def build_pipeline(model: EncoderNer) -> Language:
    """The full pipeline around a trained encoder: characters → NER → rule entities."""
    nlp = blank_zh()
    component = nlp.add_pipe("cityagent_encoder_ner")
    assert isinstance(component, EncoderNerComponent)
    component.model = model
    nlp.meta["name"] = "cityagent_ner"
    nlp.meta["description"] = "CityAgent Chinese NER: CLUENER2020 labels + rule entities"
    return add_pattern_entities(nlp)


@lru_cache(maxsize=4)
def _load(path: str) -> Language:
    model = Path(path)
    if not (model / "config.cfg").exists():
        raise ConfigurationError(
            f"no NER model at {model}; run `cityagent train ner` to build it"
        )
    logger.info("loading NER pipeline from %s", model)
    return add_pattern_entities(spacy.load(model))


def load_pipeline(path: Path | None = None) -> Language:
    """Load the NER pipeline (default: the committed ``nlu/models/ner``), cached per process.

    The cache holds a read-only model, not dialogue state, so calls stay independent.
    Raises :class:`~kg.errors.ConfigurationError` when the model is missing.
    """
    return _load(str((path or MODEL_DIR).resolve()))


def doc_entities(doc: Doc) -> list[Entity]:
    """Turn a processed doc's entities into :class:`Entity` objects, in text order."""
    return [
        Entity(
            text=ent.text,
            label=ent.label_,
            start=ent.start_char,
            end=ent.end_char,
            ontology_class=LABEL_TO_ONTOLOGY.get(ent.label_),
            source="ruler" if ent.label_ in PATTERN_LABELS else "ner",
        )
        for ent in doc.ents
    ]


def extract_entities(text: str, nlp: Language | None = None) -> list[Entity]:
    """Find the entities in one text with the committed pipeline (or ``nlp`` if given).

    Offsets are characters of ``text``, so callers can keep provenance spans
    (``(:Document)-[:MENTIONS {span}]->(node)``) without re-tokenising.
    """
    pipeline = nlp if nlp is not None else load_pipeline()
    return doc_entities(pipeline(text))


def extract_entities_many(
    texts: Iterable[str], nlp: Language | None = None, *, batch_chars: int = BATCH_CHARS
) -> list[list[Entity]]:
    """:func:`extract_entities` for many texts at once, through ``nlp.pipe`` in batches of
    about ``batch_chars`` characters.

    Batches make the network's matrix products larger and fewer, which is what bulk work
    (drafting many tickets) needs; each text gets the entities it would get alone. A batch is
    measured in characters, not texts, so that a batch of web messages of 390 characters holds
    about as much work as one of call lines of 28 (``BATCH_CHARS``).
    """
    pipeline = nlp if nlp is not None else load_pipeline()
    found: list[list[Entity]] = []
    for batch in _char_batches(texts, batch_chars):
        found.extend(doc_entities(doc) for doc in pipeline.pipe(batch, batch_size=len(batch)))
    return found


def _char_batches(texts: Iterable[str], batch_chars: int) -> Iterator[list[str]]:
    """The texts in order, in batches that stop once they hold ``batch_chars`` characters."""
    batch: list[str] = []
    size = 0
    for text in texts:
        batch.append(text)
        size += len(text)
        if size >= batch_chars:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch
