"""When the event happened: Chinese time expressions resolved against the call time.

Callers say 「昨晚十点」, 「前天下午」, 「上周五」, 「今天早上七点多」 or 「5月3号」; the ticket
needs an absolute time. A vague part of the day resolves to the hour it usually means
(下午 → 15:00), and 「七点多」 to 07:00. Expressions of duration (「三天了」) give no event time.
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
    "刚才": 0, "刚刚": 0,
}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
# The hour a part of the day stands for, and the offset a clock hour gets within it.
_PARTS = {
    "凌晨": (3, 0), "清晨": (6, 0), "早上": (8, 0), "早晨": (8, 0), "一早": (8, 0),
    "上午": (10, 0), "中午": (12, 0), "午后": (14, 12), "下午": (15, 12), "傍晚": (18, 12),
    "晚上": (20, 12), "夜里": (23, 12), "半夜": (0, 0), "深夜": (23, 12), "夜间": (22, 12),
}
_IMPLIED_PART = {"昨晚": "晚上", "昨夜": "夜里", "今晚": "晚上", "前晚": "晚上", "今早": "早上",
                 "昨早": "早上"}

_DATE = re.compile(
    rf"(?<![路街巷弄道0-9])(?:(?P<month>{_NUM})月)?(?P<day>{_NUM})[日号](?![楼院门线栋幢室单元])"
)
_WEEK = re.compile(r"(?P<which>上|这|本|下)?(?:个)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天末])")
_RELATIVE = re.compile("|".join(sorted(_DAY_WORDS, key=len, reverse=True)))
_AGO = re.compile(rf"(?P<n>{_NUM})(?:天|日)(?:前|以前|之前)")
_PART = re.compile("|".join(sorted(_PARTS, key=len, reverse=True)))
_CLOCK = re.compile(rf"(?P<h>{_NUM})[点时](?:(?P<half>半)|(?P<m>{_NUM})分?)?")


class TimeMention(BaseModel):
    """A resolved time expression: the absolute time and the words it came from."""

    time: datetime
    text: str
    start: int
    end: int


def _day(text: str, call_time: datetime) -> tuple[datetime | None, str | None, tuple[int, int]]:
    """The day a sentence names (and an implied part of day), with the words' span."""
    if m := _AGO.search(text):
        days = parse_number(m.group("n"))
        if days is not None:
            return call_time - timedelta(days=days), None, m.span()
    if m := _RELATIVE.search(text):
        word = m.group(0)
        return call_time + timedelta(days=_DAY_WORDS[word]), _IMPLIED_PART.get(word), m.span()
    if m := _WEEK.search(text):
        weekday = _WEEKDAYS[m.group("wd")]
        monday = call_time - timedelta(days=call_time.weekday())
        shift = {"上": -7, "下": 7}.get(m.group("which") or "", 0)
        return monday + timedelta(days=weekday + shift), None, m.span()
    if m := _DATE.search(text):
        day = parse_number(m.group("day"))
        month = parse_number(m.group("month")) if m.group("month") else call_time.month
        if day and month and 1 <= month <= 12 and 1 <= day <= 31:
            try:
                when = call_time.replace(month=month, day=day)
            except ValueError:
                return None, None, (0, 0)
            if when > call_time:
                when = when.replace(year=when.year - 1)
            return when, None, m.span()
    return None, None, (0, 0)


def _hour(text: str, part: str | None) -> tuple[int | None, int, tuple[int, int] | None]:
    """The hour and minute a sentence names, using the part of the day to place the clock."""
    part_match = _PART.search(text)
    part = part_match.group(0) if part_match else part
    clock = _CLOCK.search(text)
    if clock:
        hour = parse_number(clock.group("h"))
        if hour is not None and 0 <= hour <= 24:
            minute = 30 if clock.group("half") else parse_number(clock.group("m") or "") or 0
            if part and hour < 12:
                hour += _PARTS[part][1]
                if part in ("半夜", "凌晨") or (part == "夜里" and hour >= 24):
                    hour %= 24
            span = clock.span()
            if part_match:
                span = (min(span[0], part_match.start()), max(span[1], part_match.end()))
            return hour % 24, minute if minute < 60 else 0, span
    if part:
        return _PARTS[part][0], 0, part_match.span() if part_match else None
    return None, 0, None


def resolve_event_time(text: str, call_time: datetime) -> TimeMention | None:
    """The first time expression in ``text`` that names a day or an hour, made absolute."""
    for sentence in re.split(r"[。！？!?\n；;]", text):
        day, implied_part, day_span = _day(sentence, call_time)
        hour, minute, hour_span = _hour(sentence, implied_part)
        if day is None and hour is None:
            continue
        base = day or call_time
        when = base.replace(
            hour=hour if hour is not None else base.hour if day is None else 0,
            minute=minute if hour is not None else 0,
            second=0,
            microsecond=0,
        )
        if day is None and when > call_time:
            when -= timedelta(days=1)
        spans = [s for s in (day_span if day is not None else None, hour_span) if s]
        start = min(s[0] for s in spans)
        end = max(s[1] for s in spans)
        offset = text.index(sentence)
        return TimeMention(
            time=when, text=sentence[start:end], start=offset + start, end=offset + end
        )
    return None
