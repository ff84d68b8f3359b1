"""Time expressions of news-style emergency reports, as written and, where possible, resolved.

Reports date events in full (「2008年5月12日14时28分」, 「当地时间凌晨4点20分左右」), relative
to the report (「昨日凌晨2时30分」, 「当晚8时」, 「12日15时45分」), only loosely (「目前」,
「随后」) or by a length of time (「20多分钟」, 「半个小时后」). Each expression is found as one
span the way the CEC corpus marks it: zone, day, part of the day, clock and 许/左右/多 together,
with a bound before it (「截至昨日18时」; 「到」 and 「自」 only with 「为止」/「以来」); a day told
only by reference to another (「当天」 alone), an age (「今年32岁」) and a time restated in
brackets are left out. Its date and time are resolved against the reference time (the
report's time) when the words allow it: a missing year or month is the reference's, a day
after the reference's day in the same month is last month's. Expressions this module cannot
resolve on its own go to :func:`nlu.timex.resolve_event_time`, the hotline's resolver of
relative times.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import datetime, timedelta

from nlu.incidents.spans import Span, fold
from nlu.numbers import parse_number, spell_digits
from nlu.timex import resolve_event_time

_N = r"[0-9零〇○一二两三四五六七八九十廿卅]"
_DAY_WORDS = {
    "今天": 0, "今日": 0, "今晨": 0, "今早": 0, "今晚": 0, "当天": 0, "当日": 0, "当晚": 0,
    "当夜": 0, "昨天": -1, "昨日": -1, "昨晚": -1, "昨夜": -1, "昨晨": -1, "前天": -2,
    "前日": -2, "次日": 1, "翌日": 1, "第二天": 1,
}
# The parts of the day a report uses, and the first clock hour that is after noon in each:
# 「下午3时」 is 15:00, 「中午11时」 stays 11:00, 「晚8时」 is 20:00 and 「夜里1点」 01:00.
_PARTS = {
    "凌晨": 24, "清晨": 24, "早晨": 24, "早上": 24, "上午": 24, "早": 24, "中午": 1, "午后": 1,
    "下午": 1, "傍晚": 1, "晚上": 6, "晚间": 6, "夜间": 6, "深夜": 6, "午夜": 6, "晚": 6,
    "夜": 6,
}
_EVENING_DAYS = {"今晚", "昨晚", "当晚", "昨夜", "当夜"}
_PART_WORDS = "|".join(sorted(_PARTS, key=len, reverse=True))
_DAY_WORDS_RE = "|".join(sorted(_DAY_WORDS, key=len, reverse=True))
# Words that date something only loosely; the corpus annotates them as times too (but not
# 「刚刚」 or 「事发时」, which it leaves as part of the clause).
_LOOSE = r"与此同时|截至目前|目前|当时|当场|此前|此后|此时|这时|随后|不久|日前|同时"
# A length of time (「20多分钟」, 「半个小时」, 「约15分钟后」): the corpus marks these as times;
# days and years are left out, as they more often count than date (「近十年」, 「前一天」).
_DURATION = (r"(?:约|近|大约)?[0-9零〇一二两三四五六七八九十百几半]+个?多?半?"
             r"(?:分钟|小时|钟头|秒钟?)多?(?:时间)?(?:左右|后|之后|以后)?")
# A bound before a time is part of it (「截至昨日18时」); 「自」 and 「到」 only with the word
# that closes the range (「自去年年初以来」, 「到目前为止」).
_UNTIL = r"截至|截止到?|直至|直到|自|到"
_UNTIL_CLOSE = r"(?:年初|年底|年末)?以来|为止|到现在"
_OPEN_BOUNDS = frozenset({"自", "到"})
_TIME = re.compile(
    rf"(?P<until>{_UNTIL})?(?:"
    rf"(?P<loose>{_LOOSE})|(?P<duration>{_DURATION})|"
    rf"(?:(?P<zone>当地时间|北京时间))?"
    rf"(?:(?P<year>\d{{4}}|{_N}{{4}})年|(?P<year_word>今年|去年|明年))?"
    rf"(?:(?P<month>\d{{1,2}}|{_N}{{1,3}})月|(?P<month_word>本月|上月|上个月))?"
    rf"(?:(?P<day>\d{{1,2}}|{_N}{{1,3}})[日号]|(?P<day_word>{_DAY_WORDS_RE})"
    rf"|[今昨][（(](?P<day_in_brackets>\d{{1,2}})[）)]日)?"
    rf"(?P<part>{_PART_WORDS})?"
    rf"(?:(?P<hour>\d{{1,2}}|{_N}{{1,3}})[时点](?:(?P<half>半)|(?P<minute>\d{{1,2}}|{_N}{{1,3}})分"
    rf"(?:(?P<second>\d{{1,2}}(?:\.\d+)?)秒)?)?"
    rf"|(?P<clock_h>[01]?\d|2[0-3])[:：](?P<clock_m>[0-5]\d)分?)?"
    rf"(?P<about>许|左右|前后|多钟?)?)"
    rf"(?P<close>{_UNTIL_CLOSE})?"
)
# A clock time that heads a line of a timeline (「13时：」) is a time without its minutes.
_TIMELINE_COLON = re.compile(r"[:：]")
# 「3号船坞」, 「5号线」: a number, not a day, when no month comes before it.
_NUMBERED_THING = re.compile(r"[楼院门线栋幢室车厂口库桥船站号]")


class TimeExpression(Span):
    """A time expression and what it resolves to (None when the words do not say)."""

    date: dt.date | None = None
    time: datetime | None = None


def find_times(text: str, reference_time: datetime | None = None) -> list[TimeExpression]:
    """Every time expression in ``text``, left to right, resolved against ``reference_time``
    (the report's time) where possible; without one only fully written dates resolve."""
    folded = fold(text)
    found: list[TimeExpression] = []
    for m in _TIME.finditer(folded):
        if not m.group(0) or not _is_time(m, folded):
            continue
        start, end = m.span()
        if m.group("until") in _OPEN_BOUNDS and not m.group("close"):
            start = m.end("until")
        if found and _restates(folded, found[-1].end, start):
            continue
        when, day = _resolve(m, reference_time)
        if day is None and reference_time is not None and _datable(m):
            mention = resolve_event_time(text[start:end], reference_time)
            if mention is not None:
                when, day = mention.time, mention.time.date()
        found.append(TimeExpression(text=text[start:end], start=start, end=end, date=day,
                                    time=when))
    return found


def _restates(text: str, previous_end: int, start: int) -> bool:
    """Whether a time is the one before it again, in brackets (「7日15时（北京时间8日4时）」):
    the corpus marks only the first."""
    return start == previous_end + 1 and text[previous_end] in "(（"


def _datable(m: re.Match[str]) -> bool:
    """Whether the words may name a date: not a loose word or a length of time."""
    return m.group("loose") is None and m.group("duration") is None


def _is_time(m: re.Match[str], text: str) -> bool:
    """Whether a match is a time the corpus marks, rather than a bare number, a lone 「早」 or
    「晚」, a numbered thing (「3号船坞」), an age (「今年32岁」) or a day told only by
    reference to another (「当天」, 「当晚」), which reports use to resume a date given
    before."""
    named = [g for g in ("year", "year_word", "month", "month_word", "day", "day_word",
                         "day_in_brackets", "hour", "clock_h", "loose", "duration") if m.group(g)]
    if not named:
        return bool(m.group("part")) and len(m.group("part")) > 1
    if named == ["day"] and (m.group(0).endswith("号") or _NUMBERED_THING.match(text, m.end())):
        return False
    if named == ["hour"] and not m.group("minute") and not m.group("half"):
        # 「3点建议」, 「5时」 alone: an hour only with 许/左右, a part of the day before it, or
        # heading a line of a timeline (「13时：」).
        return bool(m.group("about") or m.group("part")
                    or _TIMELINE_COLON.match(text, m.end()))
    if named == ["year_word"]:
        return m.group("year_word") == "去年" or bool(m.group("close"))
    if named == ["day_word"] and not m.group("part"):
        return not m.group("day_word").startswith("当")
    if named == ["year"]:
        # A year alone (「2013年」) is a time; a four-digit amount (「1200平方米」) is not.
        spelled = spell_digits(m.group("year"))
        return spelled.isdigit() and 1900 <= int(spelled) <= 2100
    return True


def _number(text: str | None) -> int | None:
    return parse_number(text) if text else None


def _resolve(m: re.Match[str], ref: datetime | None) -> tuple[datetime | None, dt.date | None]:
    """The date (and the time when an hour is given) the words name, or (None, None)."""
    if not _datable(m):
        return None, None
    base: dt.date | None = None
    if m.group("day_word"):
        if ref is None:
            return None, None
        base = (ref + timedelta(days=_DAY_WORDS[m.group("day_word")])).date()
    elif m.group("day") or m.group("day_in_brackets"):
        base = _written_date(m, ref)
    if base is None:
        return None, None
    hour = _number(m.group("hour") or m.group("clock_h"))
    if hour is None:
        return None, base
    part = m.group("part") or ("晚上" if m.group("day_word") in _EVENING_DAYS else None)
    if part and _PARTS[part] <= hour < 12 and not (part == "中午" and hour >= 11):
        hour += 12
    minute = 30 if m.group("half") else _number(m.group("minute") or m.group("clock_m")) or 0
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None, base
    return datetime(base.year, base.month, base.day, hour, minute), base


def _written_date(m: re.Match[str], ref: datetime | None) -> dt.date | None:
    day = _number(m.group("day") or m.group("day_in_brackets"))
    month = _number(m.group("month"))
    spelled = spell_digits(m.group("year") or "")  # 「二〇二一」 is read digit by digit
    year = int(spelled) if spelled.isdigit() else None
    if m.group("year_word") and ref is not None:
        year = ref.year + {"今年": 0, "去年": -1, "明年": 1}[m.group("year_word")]
    if m.group("month_word") and ref is not None:
        month = ref.month if m.group("month_word") == "本月" else (ref.month - 2) % 12 + 1
    if month is None and ref is not None:
        month = ref.month if day is not None and day <= ref.day else (ref.month - 2) % 12 + 1
    if year is None and ref is not None and month is not None:
        year = ref.year if month <= ref.month else ref.year - 1
    if day is None or month is None or year is None:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
