"""Places that a locative verb or preposition governs: 「在某路与某路的十字路口处发生」,
「被送往某县人民医院救治」, 「翻倒在路中央」.

Reports put the location of what happens after 在, 于, 位于, 到, 往, 赴 and the verbs that end
in them (送往, 赶到, 前往 …), and the whole noun phrase up to the next verb is the location,
position words and all (「……交界处」, 「……方向37公里处」, 「驾驶室内」). So the phrase runs
from the trigger over nouns, place names, numbers, measure and position words, 「的」 and the
joiners 与/和/及/至/距 and stops at a verb, an adverb, a time or a punctuation mark; it counts
as a place when it names one (a place name or suffix, a facility, a scene word) or ends in a
position word.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from nlu.incidents.words import Word

_TRIGGERS = frozenset({"在", "于", "位于", "地处", "到", "赴", "往", "向", "从", "被困", "困"})
# Words that govern a place only after a verb (「涌上街头」, 「冲入」, 「返回」).
_AFTER_VERB = frozenset({"上", "入", "进", "回", "至"})
# Verbs that end in a trigger (送往, 赶到, 冲入 …), and others that take a place.
_TRIGGER_END = re.compile(r"^.{1,3}(?:往|到|赴|至|入|进|在|于)$|^(?:前往|抵达|到达|返回|离开"
                          r"|驶向|奔赴|赶赴|冲出|逃出|逃离|撤离|翻下|坠入|封锁了?|驶入|云集)$")
# Words that end like a locative verb but take no place (「看到」, 「由于」, 「截至」).
_NOT_TRIGGERS = frozenset({
    "看到", "听到", "感到", "受到", "得到", "遇到", "想到", "达到", "收到", "接到", "做到",
    "提到", "找到", "见到", "注意到", "了解到", "意识到", "认识到", "觉察到", "截至", "直至",
    "以至", "乃至", "甚至", "由于", "关于", "对于", "至于", "等于", "属于", "终于", "处于",
    "过于", "急于", "便于", "用于", "勇于", "在于", "基于", "鉴于", "出于", "忙于", "善于",
    "不至", "迟到", "报到", "签到", "正在", "存在", "现在", "实在", "所在", "好在", "自在",
})
_JOINERS = frozenset({"与", "和", "及", "至", "距", "距离", "往", "、"})
# Words for a capital, which jieba may tag as adverbs, and the words that link a place to one
# inside it (「某国首都某市」, 「某地的某处」).
_CAPITALS = frozenset({"首都", "首府", "省会"})
_LINKS = _CAPITALS | {"的"}
_NOMINAL = ("n", "s", "f", "m", "q", "j", "b", "r", "eng", "l", "a", "z")
_STOP_WORDS = frozenset({"时", "后", "前后", "期间", "之际", "之后", "之前", "等", "当时",
                         "过程", "这次", "此次", "本次", "一次", "事故", "事件", "情况"})
_TIME = re.compile(r"^(?:[0-9０-９]+|[零〇一二三四五六七八九十]+)$")
_TIME_UNIT = re.compile(r"^[年月日时号点分]")
_PUNCT = re.compile(r"^[\s，。、；：！？,.;:!?（）()“”\"《》【】…—]+$")
_POSITION_END = re.compile(
    r"(?:上|下|内|里|中|外|旁|边|处|附近|周边|周围|中间|中央|一带|门口|地带|地区|区域|方向"
    r"|路段|段|腹地|全境|境内|沿岸|海域|上空|半空|前方|前线)$")
_SCENE = re.compile(
    r"(?:现场|火场|灾区|震区|医院|卫生院|诊所|急诊科|儿科|病房|治疗室|学校|中学|小学|幼儿园|校园"
    r"|寝室|宿舍|家中?|住宅|民居|楼|房|室|厅|厨房|卧室|阳台|车上|车内|车中|驾驶室|车厢|车道"
    r"|路口|路面|地上|地面|街上|街头|路边|路旁|路上|桥面|桥洞|山沟|山坡|山区|林区|林场|井下"
    r"|矿井|工地|工厂|仓库|酒店|饭店|宾馆|酒楼|酒吧|餐馆|商场|市场|商城|超市|广场|公园|车站"
    r"|火车站|汽车站|机场|码头|收费站|服务区|出口|入口|交界处|交叉口|交汇处|空地|场所|街区"
    r"|地点|地方|中心|摊位|剧场|影院|电影院|体育馆|教堂|清真寺|度假村|公路|高速|国道|大道"
    r"|大街|隧道|大桥|城铁|列车|厂|作坊|店|基地|园区|工业区|施业区|开发区|楼下|楼上|院子|大学"
    r"|食堂|公司|大厦|小区|煤矿|网吧|加油站|停车场|船坞|寺|旅馆|地铁站)")
_NOT_SCENE = re.compile(r"(?:事故|事件|过程|中毒|情况|工作|影响|范围|程度|状态|时间|心中|手中"
                        r"|途中|空中|之中|当中|其中|其间|面前|目前|眼前|生前|此前|以前|以上|以下)")
_SCENE_END = re.compile(f"(?:{_SCENE.pattern})$")
_LATIN = re.compile(r"[0-9０-９A-Za-zＡ-Ｚａ-ｚ.+]+")
_ROAD = re.compile(r"(?:国道|省道|县道|高速|公路|线|号)")
# Position words of time, not of place (「赶到现场前」).
_NOT_HEADS = frozenset({"前", "后", "以前", "以后", "之前", "之后", "中", "时", "期间"})
# What follows a phrase that 从 (a source), 向 (a recipient) or 往 (a destination) governs
# when it is not a site: the verb of learning or giving, or 「的」 before the vehicle.
_ROLES = {
    "从": re.compile(r"(?:了解|获悉|得知|得到|获得|获取|证实)"),
    "向": re.compile(r"(?:送去|送上|通报|报告|汇报|致以|发出|表示|捐)"),
    "往": re.compile(r"的"),
}
_MAX_WORDS = 14
_MAX_CHARS = 30


def is_trigger(word: Word, before: Word | None = None) -> bool:
    """Whether the word puts a location after it (「在」, 「送往」, 「赶到」, 「涌上」)."""
    if word.text in _NOT_TRIGGERS:
        return False
    if word.text in _AFTER_VERB:
        return before is not None and before.flag.startswith("v")
    return word.text in _TRIGGERS or bool(_TRIGGER_END.match(word.text))


class Frame(NamedTuple):
    """The word range (first, after last) of a phrase a locative word governs, and whether it
    is a site (not a source, a recipient or a vehicle's destination: 「从某局了解到」)."""

    first: int
    last: int
    site: bool = True


def find_frames(words: list[Word], is_place: list[bool]) -> list[Frame]:
    """The place phrases that locative words govern; ``is_place`` marks the words that name
    places by themselves (place names, units)."""
    found: list[Frame] = []
    i = 0
    while i < len(words):
        if not is_trigger(words[i], words[i - 1] if i else None):
            i += 1
            continue
        last = phrase_end(words, i + 1, is_place)
        first = phrase_start(words, i + 1, last)
        if last > first and _names_a_place(words, first, last, is_place):
            found.append(Frame(first, last, site=not _not_a_site(words, i, last)))
            i = last
        else:
            i += 1
    return found


def phrase_end(words: list[Word], first: int, is_place: list[bool]) -> int:
    """The index after the noun phrase that starts at ``first``, cut after its last place,
    scene or position word (「路边的车辆」 → 「路边」); ``first`` when there is none."""
    j = first
    while j < len(words) and j - first < _MAX_WORDS:
        word = words[j]
        if _PUNCT.match(word.text) and word.text != "、":
            break
        if word.text in _STOP_WORDS or (
                j > first and word.text not in _JOINERS and is_trigger(word, words[j - 1])):
            break
        if _TIME.match(word.text) and j + 1 < len(words) and _TIME_UNIT.match(words[j + 1].text):
            break
        if (word.flag.startswith(_NOMINAL) or word.text in _JOINERS or word.text in _LINKS
                or (word.flag.startswith("x") and _LATIN.fullmatch(word.text))
                or _is_position(word)
                or (j + 1 < len(words) and words[j + 1].text == "方向")):
            j += 1
            continue
        break
    while j > first and not _is_head(words[j - 1], is_place[j - 1]):
        j -= 1
    if j > first and words[j - 1].end - words[first].start > _MAX_CHARS:
        return first
    return j


def phrase_start(words: list[Word], first: int, last: int) -> int:
    """``first`` moved past leading words that only count or describe (「一辆」, 「狭小的」),
    but not past a road's number (「307」+「国道」)."""
    while first < last - 1:
        word = words[first]
        numbered = _LATIN.fullmatch(word.text) and _ROAD.match(words[first + 1].text)
        if numbered or word.text in _CAPITALS or not (
                word.flag.startswith(("m", "q", "a", "uj", "c", "p", "d"))
                            or word.text == "的"):
            break
        first += 1
    return first


def is_scene(word: str) -> bool:
    """Whether a word ends in a facility or a scene (「人民医院」, 「驾驶室」, 「十字路口」)."""
    return bool(_SCENE_END.search(word))


def _is_position(word: Word) -> bool:
    """Whether a fixed expression that jieba does not tag as a noun is a position word
    (「入口处」, tagged as an idiom)."""
    return word.flag in ("i", "l") and bool(_POSITION_END.search(word.text))


def _is_head(word: Word, is_place: bool) -> bool:
    """Whether a phrase may end with the word: a place, a scene or facility, a position."""
    if word.text in _NOT_HEADS:
        return False
    return (is_place or word.flag == "f" or word.flag == "s" or bool(_SCENE_END.search(word.text))
            or bool(_POSITION_END.search(word.text)))


def _not_a_site(words: list[Word], trigger: int, last: int) -> bool:
    """Whether the governed phrase is a source, a recipient or a vehicle's destination rather
    than a site: 「从某局了解到」, 「向某市送去祝福」, 「开往某地的客车」."""
    after = "".join(w.text for w in words[last : last + 2])
    role = _ROLES.get(words[trigger].text[-1])
    return bool(role and role.match(after))


def _names_a_place(words: list[Word], first: int, last: int, is_place: list[bool]) -> bool:
    """Whether the phrase names a place: a place word, a facility or scene, or a position."""
    phrase = "".join(w.text for w in words[first:last])
    if _NOT_SCENE.search(phrase):
        return False
    return (any(is_place[first:last]) or bool(_SCENE.search(phrase))
            or words[last - 1].flag == "s"
            or (len(phrase) > 1 and bool(_POSITION_END.search(phrase))))
