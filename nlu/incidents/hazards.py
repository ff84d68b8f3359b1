"""The hazard type a report is about, by weighted keywords.

The types are one fixed set: the names of the demo city's HazardType nodes
(``ingest/demo/data/emergency.yaml``: 内涝, 火灾, 地震, 台风, 交通事故, 危化品泄漏, 食物中毒,
山体滑坡, 燃气泄漏, 河道洪水, 森林火灾) plus 恐怖袭击, which the CEC corpus has and the demo
city does not. CEC's five categories map to the type of the same name; 森林火灾 counts as
CEC's 火灾 (:data:`CEC_CATEGORY`).

Each type has words with a weight: words that name the hazard (「地震」, 「食物中毒」,
「恐怖袭击」) weigh most, words typical of it (「震感」, 「起火」, 「相撞」, 「呕吐」) less.
A word in the title (the first line) counts three times; the type with the highest score
wins, so a fire report that mentions the fire engines' crash still reads as a fire.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Literal

from nlu.incidents.spans import Span

HazardType = Literal[
    "内涝", "火灾", "地震", "台风", "交通事故", "危化品泄漏", "食物中毒", "山体滑坡",
    "燃气泄漏", "河道洪水", "森林火灾", "恐怖袭击",
]
#: Our hazard type → the CEC category it is scored as (types without one are never right there).
CEC_CATEGORY: dict[str, str] = {
    "地震": "地震", "火灾": "火灾", "森林火灾": "火灾", "交通事故": "交通事故",
    "食物中毒": "食物中毒", "恐怖袭击": "恐怖袭击",
}
TITLE_WEIGHT = 3.0

# (pattern, weight) per type; a name of the hazard weighs 3, a typical word 1.
_WORDS: dict[HazardType, tuple[tuple[str, float], ...]] = {
    "地震": (("地震", 3), ("余震", 2), ("震级|震中|震源|震感|强震|震区|级地震", 2)),
    "火灾": (("火灾|火警|失火|起火|着火", 3), ("大火|火势|火情|明火|过火|烧毁|燃烧|灭火|扑救", 1),
             ("消防", 0.5)),
    "森林火灾": (("森林火灾|山火|林火|山林火灾|草原火灾", 4),),
    "交通事故": (("交通事故|车祸", 3), ("相撞|追尾|翻车|侧翻|撞上|撞向|撞倒|坠崖|翻入|冲出路面", 2),
                 ("司机|驾驶|客车|货车|轿车|大巴|公交车|摩托车|车辆|交警", 0.5)),
    "食物中毒": (("食物中毒|集体中毒|中毒事件", 3), ("中毒", 2),
                 ("呕吐|腹泻|腹痛|头晕|恶心|食用|进食|就餐|午餐|晚餐|早餐|食堂|饭菜|假酒", 0.7)),
    "恐怖袭击": (("恐怖袭击|恐怖分子|恐怖组织|恐怖主义", 4),
                 ("自杀式|炸弹|袭击|武装分子|枪手|劫持|人质|爆炸装置|汽车炸弹|枪击", 2)),
    "内涝": (("内涝|城市内涝", 3), ("积水|淹水|道路积水|车被淹", 1)),
    "台风": (("台风", 3), ("风暴潮|狂风", 1)),
    "危化品泄漏": (("危化品|危险化学品|化学品泄漏", 3), ("泄漏|毒气|槽罐车", 1)),
    "山体滑坡": (("山体滑坡|泥石流|滑坡", 3), ("塌方|落石", 1)),
    "燃气泄漏": (("燃气泄漏|煤气泄漏|天然气泄漏|燃气爆炸|煤气爆炸", 4), ("燃气|煤气|液化气", 0.5)),
    "河道洪水": (("洪水|决堤|溃堤|漫堤|超警戒水位", 3), ("汛情|涨水", 1)),
}
_PATTERNS: tuple[tuple[HazardType, re.Pattern[str], float], ...] = tuple(
    (hazard, re.compile(words), weight)
    for hazard, entries in _WORDS.items() for words, weight in entries
)


class HazardMention(Span):
    """Words that point to a hazard type."""

    hazard: HazardType


def hazard_mentions(text: str) -> list[HazardMention]:
    """Every keyword of every hazard type in ``text``, in text order."""
    found = [
        HazardMention(text=m.group(0), start=m.start(), end=m.end(), hazard=hazard)
        for hazard, pattern, _ in _PATTERNS for m in pattern.finditer(text)
    ]
    return sorted(found, key=lambda m: (m.start, -m.end))


def classify_hazard(text: str) -> tuple[HazardType | None, list[HazardMention]]:
    """The hazard type ``text`` is most about (None when no keyword is found) and the
    mentions that voted for it; words in the first line (a title) weigh three times."""
    title_end = text.find("\n") if "\n" in text else len(text)
    scores: dict[HazardType, float] = defaultdict(float)
    for hazard, pattern, weight in _PATTERNS:
        for m in pattern.finditer(text):
            scores[hazard] += weight * (TITLE_WEIGHT if m.start() < title_end else 1.0)
    if not scores:
        return None, []
    best = max(scores, key=lambda h: (scores[h], -_order(h)))
    return best, [m for m in hazard_mentions(text) if m.hazard == best]


def _order(hazard: HazardType) -> int:
    return list(_WORDS).index(hazard)
