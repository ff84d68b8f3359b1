"""When the event happened: Chinese time expressions resolved against the call time.

Callers say 「昨晚十点」, 「前天下午」, 「上周五」, 「今天早上七点多」, 「三天了」 or 「5月3号」;
the ticket needs an absolute time, to the hour. The conventions (ingest/demo/data/CALLS.md):
a part of the day alone stands for its usual hour (下午 → 15:00) when a day is named; a day
without an hour is 00:00 of that day; 「刚才」 or something happening now is the call's hour;
habits (「每天晚上」) and ranges (「开放到晚上九点」) are no event time.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pydantic import BaseModel

from nlu.numbers import parse_number

_NUM = r"[0-9零〇一二两三四五六七八九十]{1,3}"
_DAY_WORDS = {
    "大前天": -3, "前天": -2, "前晚": -2, "前儿": -2, "昨天": -1, "昨日": -1, "昨晚": -1,
    "昨夜": -1, "昨儿": -1, "昨早": -1, "今天": 0, "今日": 0, "今早": 0, "今晚": 0, "今儿": 0,
}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
# The hour a part of the day stands for, and the offset a clock hour gets within it.
_PARTS = {
    "凌晨": (3, 0), "清晨": (6, 0), "早上": (8, 0), "早晨": (8, 0), "一早": (8, 0),
    "上午": (10, 0), "中午": (12, 0), "午后": (14, 12), "下午": (15, 12), "傍晚": (18, 12),
    "晚上": (20, 12), "夜里": (23, 12), "半夜": (0, 0), "深夜": (23, 12), "夜间": (22, 12),
}
_IMPLIED_PART = {"昨晚": "晚上", "昨夜": "夜里", "今晚": "晚上", "前晚": "晚上", "今早": "早上",
                 "昨早": "早上"}

_DATE = re.compile(
    rf"(?<![路街巷弄道0-9])(?:(?P<last>上个?月)|(?P<month>{_NUM})月)?(?P<day>{_NUM})"
    r"(?:号|(?<=月\d)日|(?<=月\d\d)日)(?![楼院门线栋幢室单元])"
)
_WEEK = re.compile(r"(?P<which>上|这|本)?(?:个)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])")
_RELATIVE = re.compile("|".join(sorted(_DAY_WORDS, key=len, reverse=True)))
_AGO = re.compile(rf"(?P<n>{_NUM})(?:天|日)(?:前|以前|之前|了)")
_PART = re.compile("|".join(sorted(_PARTS, key=len, reverse=True)))
_CLOCK = re.compile(
    rf"(?<![到至])(?P<h>{_NUM})[点时](?:(?P<half>半)|(?P<m>{_NUM})分?)?(?P<more>多|左右|钟)?"
)
_HABIT = re.compile(r"每天|天天|每晚|每周|每个|经常|老是|总是|一到|一直到|平时|每次|放号|开放")
_NOW = re.compile(r"刚才|刚刚|刚[^才刚]{0,2}(看到|发现|开|下车|走|过去)|现在还|正在|还在|这会儿")


class TimeMention(BaseModel):
    """A resolved time expression: the absolute time and the words it came from."""

    time: datetime
    text: str
    start: int
    end: int


def _date(match: re.Match[str], call_time: datetime) -> datetime | None:
    day = parse_number(match.group("day"))
    month: int | None = call_time.month
    year = call_time.year
    if match.group("last"):
        first = call_time.replace(day=1) - timedelta(days=1)
        month, year = first.month, first.year
    elif match.group("month"):
        month = parse_number(match.group("month"))
    if not day or not month or not 1 <= month <= 12:
        return None
    try:
        when = call_time.replace(year=year, month=month, day=day)
    except ValueError:
        return None
    return when.replace(year=when.year - 1) if when > call_time else when


def _day(text: str, call_time: datetime) -> tuple[datetime | None, str | None, tuple[int, int]]:
    """The day a sentence names (and an implied part of day), with the words' span."""
    if (m := _AGO.search(text)) and (days := parse_number(m.group("n"))) is not None:
        return call_time - timedelta(days=days), None, m.span()
    if m := _RELATIVE.search(text):
        word = m.group(0)
        return call_time + timedelta(days=_DAY_WORDS[word]), _IMPLIED_PART.get(word), m.span()
    if m := _WEEK.search(text):
        monday = call_time - timedelta(days=call_time.weekday())
        weekday = monday + timedelta(
            days=_WEEKDAYS[m.group("wd")] + (-7 if m.group("which") == "上" else 0)
        )
        if weekday <= call_time:
            return weekday, None, m.span()
    if (m := _DATE.search(text)) and (dated := _date(m, call_time)) is not None:
        return dated, None, m.span()
    return None, None, (0, 0)


def _clock(text: str) -> tuple[int, tuple[int, int]] | None:
    """A clock hour (0–23 or 1–12 before the part of day is applied) and its span."""
    for clock in _CLOCK.finditer(text):
        hour = parse_number(clock.group("h"))
        if hour is None or not 0 <= hour <= 24:
            continue
        if clock.group("h") == "一" and not (clock.group("more") or clock.group("half")):
            continue  # 「一点」 is mostly "a little"
        return hour, clock.span()
    return None


def _hour(
    text: str, part: str | None, day_named: bool, call_time: datetime, base: datetime
) -> tuple[int | None, tuple[int, int] | None]:
    """The hour a sentence names, placed by the part of the day, with the words' span."""
    part_match = _PART.search(text)
    part = part_match.group(0) if part_match else part
    clock = _clock(text)
    if clock:
        hour, span = clock
        if part_match:
            span = (min(span[0], part_match.start()), max(span[1], part_match.end()))
        if part and hour < 12:
            hour = (hour + _PARTS[part][1]) % 24
        elif not part and hour < 12 and base.date() == call_time.date():
            later = base.replace(hour=hour + 12, minute=0)
            hour = hour + 12 if later <= call_time else hour
        return hour % 24, span
    if part and day_named:
        return _PARTS[part][0], part_match.span() if part_match else None
    return None, None


def resolve_event_time(text: str, call_time: datetime) -> TimeMention | None:
    """The first time expression in ``text`` naming a day or an hour, made absolute."""
    for sentence in re.split(r"[。！？!?\n；;]", text):
        if not sentence or _HABIT.search(sentence):
            continue
        day, implied_part, day_span = _day(sentence, call_time)
        base = day or call_time
        hour, hour_span = _hour(sentence, implied_part, day is not None, call_time, base)
        if day is None and hour is None:
            continue
        when = base.replace(hour=hour or 0, minute=0, second=0, microsecond=0)
        if day is None and when > call_time:
            when -= timedelta(days=1)
        spans = [s for s in (day_span if day is not None else None, hour_span) if s]
        offset = text.index(sentence)
        start, end = min(s[0] for s in spans), max(s[1] for s in spans)
        return TimeMention(time=when, text=sentence[start:end], start=offset + start,
                           end=offset + end)
    if (m := _NOW.search(text)) and not _HABIT.search(text):
        return TimeMention(time=call_time.replace(minute=0, second=0, microsecond=0),
                           text=m.group(0), start=m.start(), end=m.end())
    return None
