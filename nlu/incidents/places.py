"""Place phrases of emergency reports, as written, split into administrative units, and
matched to the city's regions when a gazetteer is given.

Reports name real places anywhere (「甘肃省甘南藏族自治州夏河县」, 「205国道清河镇附近路段」,
「意大利南部卡拉布里亚大区」), so no fixed list can hold them; they are found from jieba's
words, the way the CEC corpus marks a location: where something happens.

* A phrase that a locative word governs (「在……发生」, 「送往……」) is a place whole, the noun
  phrase up to the next verb (:mod:`nlu.incidents.place_frames`): 「某路与某路的十字路口处」,
  「某县人民医院」, 「驾驶室内」. One without a place name (「路中央」) is marked ``generic``.
* Elsewhere a place name (part of speech ``ns``) or a word ending in a place suffix (省, 市,
  县, 路, 大道, 国道 …) starts the same noun phrase (「307国道某市某乡某路口」), unless the
  place only qualifies the noun after it (「某市消防支队」, 「当地时间」, 「某国总统」:
  :mod:`nlu.incidents.place_context`).
* Listed places (「甲、乙和丙」) are one phrase each, unless the phrase is where they meet
  (「甲路与乙路交叉口」).
* Scene words (现场, 当地, 医院, 家中) count, marked ``generic``, only after a locative word
  (「赶到现场」, not 「现场救援人员」).
* A news agency's dateline city (「新华网杭州5月12日电」) is a place too, marked ``dateline``:
  where the report was filed, not where the incident happened.

:func:`nlu.address.normalise_address` matches each named phrase against the gazetteer's
districts, streets, communities and landmarks.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from pydantic import BaseModel, Field

from kg.gazetteer import Gazetteer
from nlu.address import normalise_address
from nlu.incidents.place_context import (
    after_locative,
    is_aside,
    is_attribute,
    is_dateline,
    is_organisation,
    opening_scenes,
)
from nlu.incidents.place_frames import find_frames, is_scene, phrase_end
from nlu.incidents.spans import Span
from nlu.incidents.words import Word, cut

# Administrative and road units, longest first; a phrase's units are cut after each.
_UNITS = ("特别行政区", "自治区", "自治州", "自治县", "省", "市", "州", "盟", "县", "区", "旗",
          "镇", "乡", "村", "街道", "社区", "大道", "大街", "路", "街", "巷", "大桥", "高速公路",
          "高速", "国道", "省道", "县道", "公路", "隧道", "桥", "邦", "岛")
_UNIT = re.compile("|".join(_UNITS))
_SUFFIX = re.compile(rf"(?:{'|'.join(_UNITS)}|开发区|工业园区|园区|矿|港|湾|河|江|湖|山)$")
_GENERIC = frozenset({
    "现场", "事故现场", "事发现场", "火灾现场", "爆炸现场", "当地", "灾区", "震区", "震中",
    "重灾区", "医院", "当地医院", "家中", "火场", "全市", "全县", "全省", "市区", "城区",
})
# Common words jieba tags as place names (verbs, adjectives and figures of speech such as
# 「波及」, 「上门」, 「火海」), and words for a kind of area, which name no place by themselves
# (「多个城市」, 「20个乡镇」).
_NOT_PLACES = frozenset({
    "深度", "东西", "扎根", "中断", "长龙", "地区", "道路", "街道", "路面", "城市", "乡镇", "地市",
    "省市", "省区", "县区", "度区", "辖区", "市县", "村镇", "社区", "山区", "林区", "景区",
    "波及", "上门", "云集", "焦黑", "火海", "碧海", "家乡", "山林",
})
# A news agency's name, which jieba may join to the dateline's city (「新华网」+「杭州」).
_AGENCY = re.compile(r"(?:社|网)$")
_ROAD_NUMBER = re.compile(r"[0-9０-９A-Za-zＡ-Ｚ]+")
_NUMBERED_ROAD = re.compile(r"(?:国道|省道|县道|高速|公路|线)")
_NAMED_ROAD = re.compile(r"大道|大街|高速公路|高速路?|公路|国道|环路|隧道|大桥")
# A pronoun that stands for a place named before (「该」+「路段」, 「我省」).
_DEICTIC = re.compile(r"该|我省|我市|本市|本省|该省|该市|该县|该区|该州")
# What follows a city in a paper's dateline (「本报某市讯」, 「某市电」).
_DATELINE_WORDS = frozenset("讯电")
_LIST_JOINERS = frozenset({"、", "和", "及", "与", "以及"})
# Words that make listed places one location: where they meet (「甲路与乙路的十字路口」).
_JUNCTION = re.compile(r"交界|交叉|交汇|路口|两地|相交|十字")
_SINGLE_UNITS = frozenset("省市州县区镇乡村路街巷桥岛")
_NOUNISH = ("n", "nz", "nr", "nrt", "ns", "j", "nt")
_PLACE_TAGS = frozenset({"ns"})
# Parts of speech of a noun that a place before it qualifies.
_QUALIFIED = frozenset({"n", "nt", "nz", "j", "r", "s"})


class _Found(NamedTuple):
    start: int
    end: int
    generic: bool = False
    dateline: bool = False


class RegionMatch(BaseModel):
    """A place phrase matched to the city's regions (:func:`nlu.address.normalise_address`)."""

    district: str | None = None
    street: str | None = None
    community: str | None = None
    landmark: str | None = None
    confidence: float = 0.0


class PlaceMention(Span):
    """A place phrase, its administrative units, and its match in the city's regions."""

    units: list[str] = Field(default_factory=list,
                             description="the phrase cut after each unit: 甘肃省|甘南藏族自治州")
    generic: bool = Field(default=False, description="a scene word (现场, 当地), not a name")
    dateline: bool = Field(default=False,
                           description="a news agency's dateline city, where the report was filed")
    region: RegionMatch | None = None


def find_places(text: str, gazetteer: Gazetteer | None = None,
                min_confidence: float = 0.5) -> list[PlaceMention]:
    """Every place phrase in ``text`` where something happens, left to right; with a
    ``gazetteer`` each named phrase that matches the city's regions with at least
    ``min_confidence`` carries that match."""
    words = cut(text)
    places = [_is_place(w) for w in words]
    found: list[_Found] = []
    taken = [False] * len(words)
    for first, last, site in find_frames(words, places):
        taken[first:last] = [True] * (last - first)
        if not site:
            continue
        if (places[last - 1] or words[last - 1].text == "当地") and is_attribute(
                text, words[last - 1].end):
            continue  # 「在当地时间……」, 「在某市消防支队与……」: the whole list qualifies a noun
        found.extend(
            _Found(words[a].start, words[b - 1].end, generic=not _names_one(words, places, a, b))
            for a, b in _split_list(words, first, last))
    i = 0
    while i < len(words):
        word = words[i]
        if taken[i]:
            i += 1
        elif scene := _scene(text, word):
            found.append(scene)
            i += 1
        elif not places[i] or word.text in _GENERIC:
            i += 1
        else:
            start = _name_start(words, i)
            j = max(phrase_end(words, start, places), i + 1)
            found.extend(_names(text, words, start, j))
            i = j
    found.extend(_Found(start, end, generic=True) for start, end in opening_scenes(text)
                 if not any(f.start < end and start < f.end for f in found))
    return [_mention(text, f, gazetteer, min_confidence) for f in sorted(found)]


def _names_one(words: list[Word], places: list[bool], first: int, last: int) -> bool:
    """Whether words ``first`` to ``last`` hold a place name, not just a unit (「路」+「中央」)."""
    return any(places[k] and len(words[k].text) > 1 for k in range(first, last))


def _is_place(word: Word) -> bool:
    """Whether a word names a place by itself: a place name, or a word with a place suffix."""
    text, flag = word.text, word.flag
    if text in _NOT_PLACES:
        return False
    if flag in _PLACE_TAGS and len(text) > 1:
        return True
    if len(text) == 1:
        return text in _SINGLE_UNITS and not flag.startswith(("v", "p", "d"))
    return flag.startswith(("n", "j", "m")) and bool(_SUFFIX.search(text))


def _scene(text: str, word: Word) -> _Found | None:
    """A scene word (现场, 医院) after a locative word, also where jieba wrote the two as one
    (「赶赴现场」)."""
    if word.text in _GENERIC:
        if after_locative(text, word.start) and not is_attribute(text, word.end):
            return _Found(word.start, word.end, generic=True)
        return None
    for generic in _GENERIC:
        start = word.end - len(generic)
        if len(word.text) > len(generic) and word.text.endswith(generic) and after_locative(
                text, start):
            return _Found(start, word.end, generic=True)
    return None


def _name_start(words: list[Word], i: int) -> int:
    """The first word of a place phrase whose first place word is ``i``: with the number of a
    road (「307」+「国道」), the name before a road or a one-character unit (「某某」+「村」,
    「某某」+「大道」) or the pronoun before a unit (「该」+「区」)."""
    if i == 0:
        return i
    word, before = words[i], words[i - 1]
    if _NUMBERED_ROAD.match(word.text) and _ROAD_NUMBER.fullmatch(before.text):
        return i - 1
    if before.flag in _NOUNISH and ((len(word.text) <= 2 and word.text[-1] in _SINGLE_UNITS)
                                    or _NAMED_ROAD.fullmatch(word.text)):
        return i - 1
    if _DEICTIC.fullmatch(before.text):
        return i - 1
    return i


def _names(text: str, words: list[Word], first: int, last: int) -> list[_Found]:
    """The place phrase of words ``first`` to ``last``: without a news agency's name before it,
    split into its listed places, less those that only qualify a noun or are an aside. When the
    last place qualifies a noun, so do the ones listed with it (「甲省和乙市领导」)."""
    if first < last - 1 and _AGENCY.search(words[first].text):
        first += 1
    ranges = _split_list(words, first, last)
    if not ranges or _modifies_noun(words, last):
        return []
    if is_attribute(text, words[ranges[-1][1] - 1].end) and not is_dateline(
            text, words[ranges[-1][0]].start, words[ranges[-1][1] - 1].end):
        return []
    found = []
    for a, b in ranges:
        start, end = words[a].start, words[b - 1].end
        if end - start < 2 or _qualifies(text, words, a, b) or _is_person(words, a, b):
            continue
        if is_dateline(text, start, end):
            found.append(_Found(start, end, dateline=True))
        elif not is_aside(text, start):
            found.append(_Found(start, end))
    return found


def _modifies_noun(words: list[Word], last: int) -> bool:
    """Whether the noun right after a phrase is what the phrase qualifies (「某地华商」, 「某市
    民警」, 「某路南北双向」) unless the phrase ends in a site (「某幼儿园部分儿童」)."""
    if last >= len(words) or is_scene(words[last - 1].text):
        return False
    # jieba may tag 「发生爆炸」 as one noun: the event, which the place does not qualify.
    return words[last].flag in _QUALIFIED and not words[last].text.startswith("发生")


def _qualifies(text: str, words: list[Word], first: int, last: int) -> bool:
    """Whether a phrase outside a locative frame names an organisation or a person rather than
    a site: it ends in an authority's name (「某省教育厅」), or a place in it qualifies the
    noun after it (「某国总统某某」, 「某国国家情报中心」)."""
    if is_organisation(text[words[first].start : words[last - 1].end]):
        return True
    return any(is_attribute(text, words[k].end) for k in range(first, last - 1))


def _is_person(words: list[Word], first: int, last: int) -> bool:
    """Whether a lone place name is part of a person's name, as jieba may cut one (surname
    「陈」 + 「新峰」, 「罗沙」 + 「利」): a person's name or a lone character sits right against
    it."""
    if last - first != 1 or words[first].flag not in _PLACE_TAGS:
        return False
    before = words[first - 1] if first else None
    after = words[last] if last < len(words) else None
    return bool(
        (before is not None and before.flag.startswith("nr") and len(before.text) == 1)
        or (after is not None and (after.flag.startswith("nr") or (
            len(after.text) == 1 and after.flag in ("n", "nr", "ng")
            and after.text not in _SINGLE_UNITS and after.text not in _DATELINE_WORDS))))


def _split_list(words: list[Word], first: int, last: int) -> list[tuple[int, int]]:
    """Listed places (「甲、乙和丙」) as one word range each, unless the phrase names where they
    meet (「甲路与乙路的十字路口」)."""
    phrase = "".join(w.text for w in words[first:last])
    if _JUNCTION.search(phrase):
        return [(first, last)]
    ranges, begin = [], first
    for k in range(first, last):
        if words[k].text in _LIST_JOINERS:
            if k > begin:
                ranges.append((begin, k))
            begin = k + 1
    if last > begin:
        ranges.append((begin, last))
    return ranges


def _mention(text: str, found: _Found, gazetteer: Gazetteer | None,
             min_confidence: float) -> PlaceMention:
    phrase = text[found.start : found.end]
    if found.generic:
        return PlaceMention(text=phrase, start=found.start, end=found.end, generic=True)
    return PlaceMention(text=phrase, start=found.start, end=found.end, units=_units(phrase),
                        dateline=found.dateline,
                        region=_region(phrase, gazetteer, min_confidence))


def _units(phrase: str) -> list[str]:
    """The phrase cut after each administrative or road unit (「甘肃省甘南州夏河县」 →
    甘肃省, 甘南州, 夏河县); a rest without a unit is left out."""
    units, begin = [], 0
    for m in _UNIT.finditer(phrase):
        if m.start() > begin:
            units.append(phrase[begin : m.end()])
            begin = m.end()
    return units


def _region(phrase: str, gazetteer: Gazetteer | None, min_confidence: float) -> RegionMatch | None:
    if gazetteer is None:
        return None
    match = normalise_address(phrase, gazetteer)
    if match.confidence < min_confidence or not (match.district or match.street):
        return None
    return RegionMatch(district=match.district, street=match.street, community=match.community,
                       landmark=match.landmark, confidence=match.confidence)
