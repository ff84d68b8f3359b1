"""CityAgent's offline Chinese spaCy pipeline: character tokens, trained NER, entity ruler.

The committed model in ``nlu/models/ner/`` is ``tok2vec`` → ``ner`` (CLUENER2020's ten labels)
→ ``entity_ruler`` (PHONE, ID_CARD, DATE, TIME, MONEY, PLATE; ``overwrite_ents=False`` so it only
adds entities where the NER found none) → ``cityagent_rule_boundaries`` (drops rule matches
that are only part of a longer number or code, which token patterns cannot see).

Tokens are single characters (:class:`CharWordTokenizer`): every CLUENER mention is then
reachable, while 4.0 % of the training mentions cut through a jieba word and could never be
predicted from jieba tokens. Each character still carries its jieba word and its position in
it as features, which made the NER learn faster than bare characters (see ``MODEL_CARD.md``).

Nothing here keeps dialogue state: the loaded model is cached per process and per path,
which is a read-only artifact, not state between calls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from itertools import product
from pathlib import Path
from typing import Any, Literal

import jieba
import spacy
from pydantic import BaseModel, Field
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import get_words_and_spaces, registry
from spacy.vocab import Vocab

from kg.errors import ConfigurationError

logger = logging.getLogger(__name__)

MODEL_DIR = Path(__file__).parent / "models" / "ner"

NER_LABELS: tuple[str, ...] = (
    "address", "book", "company", "game", "government",
    "movie", "name", "organization", "position", "scene",
)
RULER_LABELS: tuple[str, ...] = ("PHONE", "ID_CARD", "DATE", "TIME", "MONEY", "PLATE")

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


# --- tokenizer: characters, with jieba word features -------------------------------------

_BMES = "BMES"


class CharWordTokenizer:
    """One token per character (like spaCy's ``segmenter = "char"``) plus word features.

    Each token's ``NORM`` is its jieba word position and character (``"B杭"``, ``"E州"``) and its
    ``LEMMA`` the jieba word it sits in, so the tok2vec can embed word information while
    entity boundaries stay free to cut through jieba words ("soft word" features).
    """

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        chars = [ch for ch in text if ch.strip()]
        words, spaces = get_words_and_spaces(chars, text)
        doc = Doc(self.vocab, words=words, spaces=spaces)
        position: dict[int, tuple[str, str]] = {}
        offset = 0
        for word in jieba.cut(text):
            n = len(word)
            for i in range(n):
                tag = "S" if n == 1 else ("B" if i == 0 else "E" if i == n - 1 else "M")
                position[offset + i] = (tag, word)
            offset += n
        for token in doc:
            tag, word = position.get(token.idx, ("S", token.text))
            token.norm_ = tag + token.text
            token.lemma_ = word
        return doc

    def to_bytes(self, **kwargs: Any) -> bytes:
        """Nothing to store: the tokenizer has no settings (jieba's dictionary is global)."""
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> CharWordTokenizer:
        """Counterpart of :meth:`to_bytes`."""
        return self

    def to_disk(self, path: str | Path, **kwargs: Any) -> None:
        """Write a marker file so the pipeline folder is complete."""
        Path(path).mkdir(parents=True, exist_ok=True)
        (Path(path) / "cityagent_tokenizer.txt").write_text("char+jieba\n", encoding="utf-8")

    def from_disk(self, path: str | Path, **kwargs: Any) -> CharWordTokenizer:
        """Counterpart of :meth:`to_disk`."""
        return self


def create_char_word_tokenizer(segmenter: str = "char") -> Callable[[Language], CharWordTokenizer]:
    """spaCy tokenizer factory ``cityagent.zh_char_words.v1`` (``segmenter`` is ignored)."""

    def make(nlp: Language) -> CharWordTokenizer:
        return CharWordTokenizer(nlp.vocab)

    return make


registry.tokenizers.register("cityagent.zh_char_words.v1", func=create_char_word_tokenizer)
jieba.setLogLevel(logging.WARNING)


# --- entity ruler patterns (one token per character) -------------------------------------

Pattern = list[dict[str, Any]]

_DIGITS = list("0123456789０１２３４５６７８９")
_CN_DIGITS = list("零〇一二三四五六七八九十两")
_CN_NUM = [*_CN_DIGITS, "百", "千", "万", "亿"]
_UPPER = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
_PROVINCES = list("京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼")
_DASH = ["-", "－", "—"]
_D: dict[str, Any] = {"ORTH": {"IN": _DIGITS}}


def _lit(word: str) -> Pattern:
    """Token pattern for a literal word, one token per character."""
    return [{"ORTH": ch} for ch in word]


def _digits(spec: str) -> dict[str, Any]:
    return {"ORTH": {"IN": _DIGITS}, "OP": spec}


def _phone_patterns() -> list[Pattern]:
    mobile_head: Pattern = [{"ORTH": "1"}, {"ORTH": {"IN": list("3456789")}}]
    dash: dict[str, Any] = {"ORTH": {"IN": _DASH}}
    return [
        [*mobile_head, _digits("{9}")],
        [*mobile_head, _D, dash, _digits("{4}"), dash, _digits("{4}")],
        [{"ORTH": "0"}, _digits("{2,3}"), {**dash, "OP": "?"}, _digits("{7,8}")],
        [{"ORTH": {"IN": ["(", "（"]}}, {"ORTH": "0"}, _digits("{2,3}"),
         {"ORTH": {"IN": [")", "）"]}}, _digits("{7,8}")],
    ]


def _id_patterns() -> list[Pattern]:
    return [[{"ORTH": {"IN": list("123456789")}}, _digits("{16}"),
             {"ORTH": {"IN": [*_DIGITS, "X", "x"]}}]]


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
_WEEKDAY = list("一二三四五六日天")


def _date_patterns() -> list[Pattern]:
    day_end: dict[str, Any] = {"ORTH": {"IN": ["日", "号"]}}
    cn: dict[str, Any] = {"ORTH": {"IN": _CN_DIGITS}}
    sep: dict[str, Any] = {"ORTH": {"IN": ["-", "/", "."]}}
    pats: list[Pattern] = [
        [_digits("{2,4}"), {"ORTH": "年"}],
        [_digits("{2,4}"), {"ORTH": "年"}, _digits("{1,2}"), {"ORTH": "月"}],
        [_digits("{2,4}"), {"ORTH": "年"}, _digits("{1,2}"), {"ORTH": "月"},
         _digits("{1,2}"), day_end],
        [_digits("{1,2}"), {"ORTH": "月"}, _digits("{1,2}"), day_end],
        [_digits("{4}"), sep, _digits("{1,2}"), sep, _digits("{1,2}")],
        [{**cn, "OP": "{4}"}, {"ORTH": "年"}, {**cn, "OP": "{1,2}"}, {"ORTH": "月"},
         {**cn, "OP": "{1,3}"}, day_end],
        [{**cn, "OP": "{1,2}"}, {"ORTH": "月"}, {**cn, "OP": "{1,3}"}, day_end],
        [{**cn, "OP": "{1,2}"}, {"ORTH": "月"}, {"ORTH": "份"}],
        [_digits("{1,2}"), {"ORTH": "月"}, {"ORTH": "份"}],
    ]
    pats += [_lit(w) for w in _RELATIVE_DATES]
    for head in ("星期", "礼拜", "周", "上周", "下周", "本周", "这周"):
        pats.append([*_lit(head), {"ORTH": {"IN": _WEEKDAY}}])
    return pats


_TIME_HEADS = [
    *_DAY_WORDS, *_DAY_PARTS, *_PERIODS, *(d + p for d, p in product(_DAY_WORDS, _PERIODS))
]


def _time_patterns() -> list[Pattern]:
    hour_cn: dict[str, Any] = {"ORTH": {"IN": _CN_DIGITS}, "OP": "{1,3}"}
    o_clock: dict[str, Any] = {"ORTH": {"IN": ["点", "时"]}}
    minutes: list[Pattern] = [
        _lit("半"), _lit("一刻"), _lit("三刻"), _lit("钟"),
        [_digits("{1,2}"), {"ORTH": "分"}],
        [{"ORTH": {"IN": _CN_DIGITS}, "OP": "{1,3}"}, {"ORTH": "分"}],
    ]
    pats: list[Pattern] = [[_digits("{1,2}"), o_clock]]
    for mins in minutes:
        pats.append([_digits("{1,2}"), o_clock, *mins])
        pats.append([hour_cn, o_clock, *mins])
    # A bare Chinese-numeral hour ("一点") is too often "a little": it needs a head word.
    half: dict[str, Any] = {"ORTH": {"IN": ["半", "钟"]}, "OP": "?"}
    pats += [[*_lit(head), hour_cn, o_clock, half] for head in _TIME_HEADS]
    pats.append([_digits("{1,2}"), {"ORTH": {"IN": [":", "："]}}, _digits("{2}")])
    # Heads alone are times too ("昨晚", "下午"); day words alone are dates (see _date_patterns).
    pats += [_lit(w) for w in _TIME_HEADS if w not in _DAY_WORDS]
    return pats


_CURRENCY = ["元", "块钱", "元钱", "美元", "欧元", "港币", "港元", "日元", "英镑", "人民币"]


def _money_patterns() -> list[Pattern]:
    ar_num: Pattern = [_D, {"ORTH": {"IN": [*_DIGITS, ","]}, "OP": "*"},
                       {"ORTH": "."}, _digits("+")]
    ar_int: Pattern = [_D, {"ORTH": {"IN": [*_DIGITS, ","]}, "OP": "*"}]
    cn_num: Pattern = [{"ORTH": {"IN": _CN_NUM}, "OP": "+"}]
    mag: Pattern = [{"ORTH": {"IN": ["万", "千", "百", "亿"]}, "OP": "?"}]
    pats: list[Pattern] = []
    for num in (ar_num, ar_int):
        for cur in [*_CURRENCY, "块"]:
            pats.append([*num, *mag, *_lit(cur)])
        pats.append([{"ORTH": {"IN": ["￥", "¥"]}}, *num, *mag])
    for cur in _CURRENCY:
        pats.append([*cn_num, *_lit(cur)])
    # "两千块" yes, "一块" (together / one piece) no: 块 needs two numeral characters.
    pats.append([{"ORTH": {"IN": _CN_NUM}, "OP": "{2,}"}, {"ORTH": "块"}])
    return pats


def _plate_patterns() -> list[Pattern]:
    alnum: dict[str, Any] = {"ORTH": {"IN": _UPPER + _DIGITS[:10]}}
    head: Pattern = [{"ORTH": {"IN": _PROVINCES}}, {"ORTH": {"IN": _UPPER}},
                     {"ORTH": {"IN": ["·", "•"]}, "OP": "?"}]
    return [
        [*head, {**alnum, "OP": "{5,6}"}],
        [*head, {**alnum, "OP": "{4}"}, {"ORTH": {"IN": list("挂学警港澳")}}],
    ]


def ruler_patterns() -> list[dict[str, Any]]:
    """All entity-ruler patterns (spaCy's ``{"label", "pattern"}`` form) for character tokens."""
    groups = {
        "PHONE": _phone_patterns(),
        "ID_CARD": _id_patterns(),
        "DATE": _date_patterns(),
        "TIME": _time_patterns(),
        "MONEY": _money_patterns(),
        "PLATE": _plate_patterns(),
    }
    return [{"label": label, "pattern": p} for label, pats in groups.items() for p in pats]


_GLUE = set("0123456789０１２３４５６７８９") | set(_UPPER) | {chr(c) for c in range(97, 123)}


_HEAD_SET = frozenset(_TIME_HEADS)


def _glued(doc: Doc, ent: Span) -> bool:
    text = doc.text
    before = text[ent.start_char - 1] if ent.start_char > 0 else ""
    after = text[ent.end_char] if ent.end_char < len(text) else ""
    # A MONEY or DATE span may end in a unit, so its end only counts when it is a digit.
    return before in _GLUE or (after in _GLUE and ent.text[-1] in _GLUE)


@Language.component("cityagent_rule_boundaries")
def rule_boundaries(doc: Doc) -> Doc:
    """Tidy rule entities: drop those glued to a digit or Latin letter (part of a longer
    number or code, which token patterns cannot see) and join a day or period word with the
    clock time right after it ("下午" + "3点半" → TIME "下午3点半")."""
    kept: list[Span] = []
    for ent in doc.ents:
        if ent.label_ in RULER_LABELS and _glued(doc, ent):
            continue
        prev = kept[-1] if kept else None
        if (
            prev is not None
            and ent.label_ == "TIME"
            and prev.label_ in ("DATE", "TIME")
            and prev.end == ent.start
            and prev.text in _HEAD_SET
        ):
            kept[-1] = Span(doc, prev.start, ent.end, label="TIME")
            continue
        kept.append(ent)
    doc.ents = kept
    return doc


def add_entity_ruler(nlp: Language) -> Language:
    """Add the entity ruler (after ``ner``, never overriding it) and the boundary filter.

    Idempotent: an existing ruler is left as it is. Works on a blank ``zh`` pipeline too,
    which is how the rules are tested without the trained model.
    """
    if "entity_ruler" not in nlp.pipe_names:
        ruler = nlp.add_pipe(
            "entity_ruler", last=True, config={"overwrite_ents": False, "validate": False}
        )
        ruler.add_patterns(ruler_patterns())  # type: ignore[attr-defined]
    if "cityagent_rule_boundaries" not in nlp.pipe_names:
        nlp.add_pipe("cityagent_rule_boundaries", last=True)
    return nlp


def rules_only_pipeline() -> Language:
    """A blank character-token ``zh`` pipeline with only the entity ruler (no trained model)."""
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "char"}}})
    return add_entity_ruler(nlp)


@lru_cache(maxsize=4)
def _load(path: str) -> Language:
    model = Path(path)
    if not (model / "config.cfg").exists():
        raise ConfigurationError(
            f"no NER model at {model}; run `cityagent train ner` to build it"
        )
    logger.info("loading NER pipeline from %s", model)
    nlp = spacy.load(model)
    return add_entity_ruler(nlp)


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
            source="ruler" if ent.label_ in RULER_LABELS else "ner",
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
