"""Place phrases of emergency reports, as written, split into administrative units, and
matched to the city's regions when a gazetteer is given.

Reports name real places anywhere (「甘肃省甘南藏族自治州夏河县」, 「205国道清河镇附近路段」,
「意大利南部卡拉布里亚大区」), so no fixed list can hold them. The phrase is found from jieba's
words: a place name (part of speech ``ns``) or a word ending in a place suffix (省, 市, 县, 区,
镇, 乡, 村, 路, 街, 大道, 大桥, 高速, 国道, 隧道 …) starts a phrase, and the phrase runs on over
further such words, over position words after a place (北部, 境内, 附近, 交界处, 路段 …), over
「至」/「与」/「和」 between two places, and over a facility named right after it (学校, 工地,
仓库 …). Words that name a scene rather than a place (现场, 当地, 灾区, 医院, 家中) are places
too, marked ``generic``. :func:`nlu.address.normalise_address` matches each phrase against
the gazetteer's districts, streets, communities and landmarks.
"""

from __future__ import annotations

import logging
import re

import jieba
import jieba.posseg as posseg
from pydantic import BaseModel, Field

from kg.gazetteer import Gazetteer
from nlu.address import normalise_address
from nlu.incidents.spans import Span

jieba.setLogLevel(logging.WARNING)

# Administrative and road units, longest first; a phrase's units are cut after each.
_UNITS = ("特别行政区", "自治区", "自治州", "自治县", "省", "市", "州", "盟", "县", "区", "旗",
          "镇", "乡", "村", "街道", "社区", "大道", "大街", "路", "街", "巷", "大桥", "高速公路",
          "高速", "国道", "省道", "县道", "公路", "隧道", "桥", "邦", "岛")
_UNIT = re.compile("|".join(_UNITS))
_SUFFIX = re.compile(rf"(?:{'|'.join(_UNITS)}|开发区|工业园区|园区|矿|港|湾|河|江|湖|山)$")
_POSITION = frozenset({
    "北部", "南部", "东部", "西部", "中部", "东北部", "西北部", "东南部", "西南部", "境内", "地区",
    "一带", "附近", "交界处", "交界", "路口", "路段", "段", "方向", "处", "近海", "海域", "沿岸",
    "郊区", "市区", "城区", "市郊", "县城", "辖区", "以东", "以西", "以南", "以北", "内", "上",
})
_JOINERS = frozenset({"至", "与", "和", "、"})
_FACILITIES = re.compile(
    r"(?:学校|中学|小学|大学|幼儿园|医院|工地|工厂|厂|仓库|商场|市场|超市|酒店|宾馆|旅馆|饭店"
    r"|餐馆|食堂|公司|车站|火车站|汽车站|机场|码头|地铁站|广场|大厦|大楼|小区|宿舍|煤矿|网吧"
    r"|加油站|停车场|船坞|清真寺|教堂|寺)$"
)
_GENERIC = frozenset({
    "现场", "事故现场", "事发现场", "火灾现场", "爆炸现场", "当地", "灾区", "震区", "震中",
    "重灾区", "医院", "当地医院", "家中", "火场", "全市", "全县", "全省", "市区", "城区",
})
# Common words jieba tags as place names (seen on the CEC dev split), and words that name
# only a kind of area.
_NOT_PLACES = frozenset({"深度", "东西", "扎根", "中断", "长龙", "地区", "道路", "街道", "路面"})
# News agencies whose dateline (「新华社北京5月12日电」) names where the report was filed.
_DATELINE = re.compile(r"(?:社|网|报|台|电视|记者)$")
_SINGLE_UNITS = frozenset("省市州县区镇乡村路街巷桥岛")
_NOUNISH = ("n", "nz", "nr", "nrt", "ns", "j", "nt")
_PLACE_TAGS = frozenset({"ns"})
_MODIFIER_TAGS = frozenset({"b", "m", "nz", "n", "j", "nr", "nrt"})
_MAX_FACILITY_GAP = 4  # words between a place and the facility it names (「…某中学内一工地」)


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
    region: RegionMatch | None = None


def _is_place(word: str, flag: str) -> bool:
    if word in _NOT_PLACES:
        return False
    if flag in _PLACE_TAGS and len(word) > 1:
        return True
    if len(word) == 1:
        return word in _SINGLE_UNITS and not flag.startswith(("v", "p", "d"))
    return flag.startswith(("n", "j", "m")) and bool(_SUFFIX.search(word))


def find_places(text: str, gazetteer: Gazetteer | None = None,
                min_confidence: float = 0.5) -> list[PlaceMention]:
    """Every place phrase in ``text``, left to right; with a ``gazetteer`` each phrase that
    matches the city's regions with at least ``min_confidence`` carries that match."""
    words: list[tuple[str, str, int]] = []
    offset = 0
    for word, flag in posseg.cut(text):
        words.append((word, flag, offset))
        offset += len(word)
    found: list[PlaceMention] = []
    i = 0
    while i < len(words):
        word, flag, start = words[i]
        if word in _GENERIC:
            found.append(PlaceMention(text=word, start=start, end=start + len(word),
                                      generic=True))
            i += 1
            continue
        if not _is_place(word, flag):
            i += 1
            continue
        # A bare name before the place word belongs to it (「某某」+「村」).
        if i > 0 and words[i - 1][1] in _NOUNISH and len(word) <= 2 and word[-1] in _SINGLE_UNITS:
            start = words[i - 1][2]
        j = _extend(words, i + 1)
        end = words[j - 1][2] + len(words[j - 1][0])
        phrase = text[start:end]
        if len(phrase) < 2 or _DATELINE.search(text[max(0, start - 2) : start]):
            i = j
            continue
        found.append(PlaceMention(text=phrase, start=start, end=end, units=_units(phrase),
                                  region=_region(phrase, gazetteer, min_confidence)))
        i = j
    return found


def _extend(words: list[tuple[str, str, int]], j: int) -> int:
    """The index after the last word of a place phrase whose first words end before ``j``."""
    while j < len(words):
        word, flag, _ = words[j]
        if _is_place(word, flag) or word in _POSITION or re.fullmatch(r"\d+公里处?|\d+号", word):
            j += 1
        elif ((word in _JOINERS or flag in _MODIFIER_TAGS) and j + 1 < len(words)
              and _is_place(words[j + 1][0], words[j + 1][1])):
            j += 2  # 「甲地至乙地」, 「二级公路」
        elif facility := _facility_end(words, j):
            j = facility
        else:
            break
    return j


def _facility_end(words: list[tuple[str, str, int]], j: int) -> int | None:
    """The index after a facility named within a few nouns of the place (「一工地」)."""
    for k in range(j, min(j + _MAX_FACILITY_GAP, len(words))):
        word, flag = words[k][0], words[k][1]
        if _FACILITIES.search(word) and flag.startswith(("n", "j")):
            return k + 1
        if not (flag.startswith(("n", "m", "j", "q", "f")) or word in {"的", "一"}):
            return None
    return None


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
