"""Casualties, economic losses and rescue resources counted in a report.

Numbers come in digits or Chinese numerals (「6人死亡」, 「二十三人受伤」, 「2死2伤」, 「死亡人数
升至12人」, 「直接经济损失约300万元」, 「出动消防车12辆」, 「3艘冲锋舟」); they are read with
:func:`nlu.numbers.parse_number`. A count given only loosely (「多人受伤」, 「数十人」) keeps its
words and no number; 「20多名」 is 20 with ``at_least``.
"""

from __future__ import annotations

import re
from typing import Literal

from nlu.incidents.spans import Span, fold
from nlu.numbers import parse_number

CasualtyKind = Literal["death", "injury", "missing", "trapped"]

_NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+|数十|数百|多|数)"
_MORE = r"(?:多|余)?"
_CLASSIFIER = r"(?:名|人|位|个|例)"
_KIND_WORDS: dict[CasualtyKind, str] = {
    "death": r"死亡|遇难|丧生|身亡|罹难|殒命|不治|死",
    "injury": r"受伤|重伤|轻伤|烧伤|伤|中毒|住院|入院|送医|就医",
    "missing": r"失踪|下落不明",
    "trapped": r"被困",
}
_KIND_OF = {word: kind for kind, words in _KIND_WORDS.items() for word in words.split("|")}
_ALL_KINDS = "|".join(sorted(_KIND_OF, key=len, reverse=True))
# 「6人死亡」, 「3名学生受伤」, 「2死2伤」.
_COUNT_THEN_KIND = re.compile(
    rf"(?P<n>{_NUM}){_MORE}(?:{_CLASSIFIER}[\u4e00-\u9fff]{{0,4}}?)?(?:人)?"
    rf"(?P<kind>{_ALL_KINDS})"
)
# 「死亡6人」, 「死亡人数升至12人」, 「受伤者达30名」.
_KIND_THEN_COUNT = re.compile(
    rf"(?P<kind>{_ALL_KINDS})(?:人数|者|人员)?(?:已|已经)?(?:达到?|为|升至|增至|上升到?|至|有)?"
    rf"(?P<n>{_NUM}){_MORE}{_CLASSIFIER}"
)
_AMOUNT = (r"(?P<n>\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"
           r"(?P<unit>万亿|亿|万|千)?(?:多|余)?元")
# 「直接经济损失约300万元」 and 「造成300万元的经济损失」.
_LOSSES = (
    re.compile(rf"损失[^。，；,]{{0,8}}?(?:约|达|近|超过|逾|为)?{_AMOUNT}"),
    re.compile(rf"{_AMOUNT}的?(?:直接)?(?:经济|财产)?损失"),
)
_UNIT_VALUE = {None: 1, "千": 1_000, "万": 10_000, "亿": 100_000_000, "万亿": 10**12}
RESOURCES = (
    "消防车", "消防车辆", "救护车", "警车", "冲锋舟", "橡皮艇", "救生艇", "直升机", "挖掘机",
    "吊车", "救援队", "救援队伍", "消防官兵", "消防队员", "消防员", "武警官兵", "武警", "民警",
    "医护人员", "救援人员", "搜救犬", "帐篷", "水泵", "泵车",
)
_RESOURCE_WORDS = "|".join(sorted(RESOURCES, key=len, reverse=True))
_RESOURCE_CLASSIFIER = r"(?:辆|台|艘|架|支|名|个|部|条|顶|只|余名|多名|余辆|多辆)"
_RESOURCE = re.compile(
    rf"(?:(?P<n>{_NUM}){_RESOURCE_CLASSIFIER})?(?P<what>{_RESOURCE_WORDS})"
    rf"(?:(?P<n_after>{_NUM}){_RESOURCE_CLASSIFIER})?"
)


class Casualty(Span):
    """A count of people dead, injured, missing or trapped."""

    kind: CasualtyKind
    count: int | None = None
    at_least: bool = False


class Loss(Span):
    """An economic loss, in yuan."""

    amount_yuan: float | None = None


class ResourceMention(Span):
    """A rescue resource the report names, with its count when given."""

    resource: str
    count: int | None = None


def _count(text: str) -> int | None:
    if re.fullmatch(r"\d+", text):
        return int(text)
    return None if text in ("多", "数", "数十", "数百") else parse_number(text)


def find_casualties(text: str) -> list[Casualty]:
    """Every count of casualties, left to right, the two word orders together."""
    folded = fold(text)
    found: dict[tuple[int, int], Casualty] = {}
    taken: list[tuple[int, int]] = []
    for pattern in (_COUNT_THEN_KIND, _KIND_THEN_COUNT):
        for m in pattern.finditer(folded):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append(m.span())
            count = _count(m.group("n"))
            found[m.span()] = Casualty(
                text=text[m.start() : m.end()], start=m.start(), end=m.end(),
                kind=_KIND_OF[m.group("kind")], count=count,
                at_least=count is not None and bool(re.search(r"多|余", m.group(0))),
            )
    return [found[k] for k in sorted(found)]


def find_losses(text: str) -> list[Loss]:
    """Every economic loss with its amount in yuan (「300万元」 → 3,000,000)."""
    folded = fold(text)
    found: dict[tuple[int, int], Loss] = {}
    for pattern in _LOSSES:
        for m in pattern.finditer(folded):
            n, unit = m.group("n"), m.group("unit")
            value = float(n) if re.fullmatch(r"\d+(?:\.\d+)?", n) else parse_number(n)
            found.setdefault(m.span(), Loss(
                text=text[m.start() : m.end()], start=m.start(), end=m.end(),
                amount_yuan=None if value is None else value * _UNIT_VALUE[unit]))
    return [found[k] for k in sorted(found)]


def find_resources(text: str) -> list[ResourceMention]:
    """Every rescue resource named (消防车, 救护车, 冲锋舟, 救援队 …) with its count."""
    out = []
    for m in _RESOURCE.finditer(fold(text)):
        n = m.group("n") or m.group("n_after")
        out.append(ResourceMention(text=text[m.start() : m.end()], start=m.start(), end=m.end(),
                                   resource=m.group("what"), count=_count(n) if n else None))
    return out
