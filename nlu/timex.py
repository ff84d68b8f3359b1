"""When the event happened: Chinese time expressions resolved against the call time.

Callers say 「昨晚十点」, 「前天下午」, 「上周五」, 「今天早上七点多」, 「三天了」 or 「5月3号」;
the ticket needs an absolute time, to the hour. The conventions (ingest/demo/data/CALLS.md):
a part of the day alone stands for its usual hour (下午 → 15:00) when a day is named, or when
the caller says it began then (「从下午到现在」); a day without an hour is 00:00 of that day;
「刚才」, something happening now or 「等了四个小时」 count back from the call's hour; habits
(「每天晚上」), schedules (「七点放号」), the end of a range (「一直搞到凌晨两点」) and a bound
without a day (「九点以后小声点」) are no event time; the time of the weather that caused the
damage (「昨晚下大雨」) is one only when nothing else dates the call. A clause is read on
its own, so 「一到晚上就排臭气，昨晚九点多味道最大」 keeps 「昨晚九点多」 while the habit around
it is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel

from nlu.numbers import parse_number

_NUM = r"[0-9零〇一二两三四五六七八九十廿卅]{1,3}"
_DAY_WORDS = {
    "大前天": -3, "前天": -2, "前晚": -2, "前儿": -2, "前日": -2, "昨天": -1, "昨日": -1,
    "昨晚": -1, "昨夜": -1, "昨儿": -1, "昨早": -1, "昨朝": -1, "琴日": -1, "寻日": -1,
    "琴晚": -1, "尋日": -1, "昨个": -1,
    "今天": 0, "今日": 0, "今早": 0,
    "今晚": 0, "今儿": 0, "今朝": 0, "今朝早": 0, "今个": 0,
}
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
# The hour a part of the day stands for, and the offset a clock hour gets within it.
_PARTS = {
    "凌晨": (3, 0), "清晨": (6, 0), "早上": (8, 0), "早晨": (8, 0), "一大早": (8, 0),
    "一早": (8, 0),
    "上午": (10, 0), "上半天": (10, 0), "中午": (12, 0), "晌午": (12, 0), "午后": (14, 12),
    "下午": (15, 12), "下昼": (15, 12), "后晌": (15, 12), "下半天": (15, 12), "后半晌": (15, 12),
    "下半晌": (15, 12), "前半晌": (10, 0), "上半晌": (10, 0), "傍晚": (18, 12), "擦黑": (18, 12),
    "晚上": (20, 12),
    "晚黑": (20, 12), "夜里": (23, 12), "半夜": (0, 0), "深夜": (23, 12), "夜间": (22, 12),
}
# The hour each part of the day begins at.
_PART_BEGINS = {
    "凌晨": 0, "清晨": 5, "早上": 5, "早晨": 5, "一大早": 5, "一早": 5, "上午": 8, "上半天": 8,
    "前半晌": 8, "上半晌": 8, "中午": 11, "晌午": 11, "午后": 12, "下午": 12, "下昼": 12,
    "后晌": 12, "下半天": 12, "后半晌": 12, "下半晌": 12, "傍晚": 17, "擦黑": 17, "晚上": 18,
    "晚黑": 18, "夜里": 21,
    "深夜": 22, "夜间": 20,
}
# Parts of the night in which 「两点」 is still 02:00, not 14:00.
_NIGHT = {"晚上", "晚黑", "夜里", "深夜", "夜间", "半夜"}
_LATE_NIGHT_HOURS = range(1, 5)
_DAWN = 6  # before this hour of the call, 「十二点」 said bare is the midnight just gone
_NOON = 12
# Parts of the night that, said bare in a morning call, are the night just gone.
_NIGHT_GONE = {"凌晨", "半夜"}
_IMPLIED_PART = {"昨晚": "晚上", "琴晚": "晚上", "昨夜": "夜里", "今晚": "晚上", "前晚": "晚上",
                 "今早": "早上", "昨早": "早上", "昨朝": "早上", "今朝早": "早上"}
_PART_WORDS = "|".join(sorted(_PARTS, key=len, reverse=True))
# 「昨天这个时候」, 「前天这个点」: the hour of the call, on the day named.
_SAME_HOUR = re.compile(r"这个?(?:时候|点|钟点)")
# Characters that may stand between a named day and its part of day or clock (「昨天我下午」).
_DAY_TO_HOUR_GAP = 4

_DATE = re.compile(
    # 「每月十号前打到卡上」: a day of every month, not a date.
    rf"(?<![路街巷弄道0-9])(?<!每月)(?<!每个月)"
    rf"(?:(?P<last>上个?月)|(?P<this>这个?月|本月)|(?P<month>{_NUM})月)?"
    rf"(?P<day>{_NUM})"
    # 「2号楼」, 「鼓楼站2号口」, 「3号仓库」, 「三号冷库」, 「三号观景台」, 「三号梯」: a number,
    # not a day.
    r"(?:号|(?<=月\d)日|(?<=月\d\d)日)(?![楼院门线栋幢室单元口仓库床冷观台站厅馆窗柜位箱梯])"
)
# 「上月廿八开始」, 「三月十五那天」: a month and a day without 号, where a time or a pause follows.
_MONTH_DAY = re.compile(
    rf"(?:(?P<last>上个?月)|(?P<this>这个?月|本月)|(?P<month>{_NUM})月)(?P<day>{_NUM})"
    rf"(?=开始|那天|那日|{_PART_WORDS}|[，,。\s])"
)
# 「上个月最后一天」: the day before the first of the call's month.
_LAST_MONTH_END = re.compile(r"上个?月的?最后一天")
# 「上礼拜四」, 「上礼拜的礼拜四」.
_WEEK = re.compile(
    r"(?P<which>上上|上|这|本)?(?:个)?(?:周|星期|礼拜)(?:的(?:周|星期|礼拜))?(?P<wd>[一二三四五六日天])"
)
# 「上个礼拜的今天」: this weekday, a week or two back.
_WEEK_AGO_TODAY = re.compile(r"(?P<which>上上|上)个?(?:周|星期|礼拜)的?今天")
_WEEKS_BACK = {"上上": 2, "上": 1}
_FUTURE_DATE_WITHIN = timedelta(days=120)
_RELATIVE = re.compile("|".join(sorted(_DAY_WORDS, key=len, reverse=True)))
# 「三天了」 counts back; 「就剩三天了」 counts down.
_AGO = re.compile(rf"(?<![剩再])(?P<n>{_NUM})(?:天|日)(?:前|以前|之前|了)"
                  rf"|(?:已经|都)(?P<without>{_NUM})天(?:都|也)?(?:没|不)"
                  # 「垃圾桶三天没人清运了」
                  rf"|(?<![剩再了])(?P<unattended>{_NUM})天(?:都|也)?没有?人")
_PART = re.compile(_PART_WORDS)
_CLOCK = re.compile(
    # 「差一刻八点」, 「差五分八点」: a quarter or five minutes to eight, in the seventh hour.
    rf"(?<![到至])(?P<early>快)?(?P<before>差(?:一刻|{_NUM}分钟?))?(?P<h>{_NUM})[点时]"
    # 「八点差十分」, 「八点差一刻」: to eight, still in the seventh hour.
    rf"(?:(?P<half>半)|(?P<m>{_NUM})分?|(?P<to>差(?:一刻|{_NUM}分?)))?"
    r"(?P<more>多|左右|来钟|钟)?(?P<under>不到)?"
    # 「5月25日19:40」: a clock written in digits.
    r"|(?<![\d:：])(?P<digital>[01]?\d|2[0-3])[:：][0-5]\d(?![\d:：])"
)
# The end of a range is not when something began: 「一直搞到凌晨两点」, 「开放到晚上九点」.
_RANGE_END = re.compile(
    rf"[到至](?:今天|今日|现在|(?:{_PART_WORDS})(?:{_NUM}[点时](?:半|{_NUM}分?)?)?"
    rf"|快?{_NUM}[点时](?:半|{_NUM}分?)?)"
)
# 「九点以后音量小一点」: a bound, not when something happened, unless a day is named with it
# (「昨晚九点以后一直吵」).
_CLOCK_BOUND = re.compile(
    rf"{_NUM}[点时](?:半|{_NUM}分?)?(?:以后|之后|以前|之前|要|得去|就得|就要)"
    rf"|(?<=要){_NUM}[点时](?:半|{_NUM}分?)?"
)
# 「今天打电话是想表扬……」: the day of the call itself, not of the event.
_CALLING_TODAY = re.compile(
    r"(?:今天|今儿|今日)(?=(?:我|特意|专门|就)?(?:抽空|特地)?"
    r"(?:打(?:这个|个)?电话|来电|给你们打|打过来|打12345)"
    # 「今天还有个事想请教」: the day of the call's own business.
    r"|还?有个?事|想(?:问|请教|咨询|反映))"
)
# How long something took, not when: 「排了一上午」, 「哭了一晚上」; 「只能上半天」 is half a
# day's attendance. 「现在都五月十号了」 is the call's own date.
# 「两点水」, 「三点水」 spell a surname's radical; 「头一点一点的」 is nodding off.
_NOT_WHEN = re.compile(
    r"(?<=[了过])一(?:整个?)?(?:上午|下午|晚上|早上)|(?<=[能只就])上半天|[两三]点水|一点一点"
    rf"|(?:现在|今天)都?(?:已经)?(?:是)?(?:{_NUM}月)?{_NUM}[号日]了"
)
# 「测出来一会儿五点几一会儿十二点几」: in a clause about a measurement, 「五点几」 is a reading,
# not six-something o'clock (「六点几我开门」).
# 「视力是零点八」: a decimal, not eight past midnight.
_MEASURED = re.compile(r"测|量|读数|显示|血糖|血压|体温|度数|视力")
_READING = re.compile(rf"{_NUM}点几|零点[一二三四五六七八九](?![十点分])")
# A part of the day without a day is the latest one when the caller says it began then.
_SINCE = re.compile(rf"从(?:{_PART_WORDS})|(?:{_PART_WORDS})(?:就|起)?开始|(?:{_PART_WORDS})起")
_CONTRAST_NOW = re.compile(r"现在|这会儿")
# A clause about the future (「明天一早我还要上班」) tells no event time.
# 「希望早上五六点来看看」 asks for a visit then.
_FUTURE = re.compile(r"明天|明早|明晚|明儿|后天|下周|下个?星期|下个?礼拜|下个?月|明年|希望")
# Words quoted from someone else (「一句话“明天不用来了”」) tell nothing of the caller's future.
_QUOTED = re.compile(r"“[^”]*”|「[^」]*」|\"[^\"]*\"")
# 「前天下午……不对，是昨天下午」: a time given again after a correction replaces the first.
_CORRECTION = re.compile(r"不对|不是|说错了|错了|唔系")
_CORRECTION_GAP = 12
# 「前日买的手机，当晚就黑屏」: a part of the day named for the day already named.
_SAME_DAY_PART = re.compile(rf"当晚|当天(?P<part>{_PART_WORDS})|那天(?P<part2>{_PART_WORDS})")
# 「今天天亮」 is not 「天天」.
_HABIT = re.compile(
    r"每天|(?<![今昨前明])天天|每晚|每周|每个|经常|老是|总是|一到|一直到|平时|每次|也是"
    # 「短信通知都是晚上十点才发的」, 「都是半夜十一二点以后」.
    rf"|都是(?=[^，。]{{0,4}}(?:{_PART_WORDS}|{_NUM}点))"
)
# Timetables (「七点放号」, 「三点半就放学了」): no event time, unless a clause names the day
# it happened on (「今天下午放学后被打了」). 「营业执照」 is a licence, not opening hours.
_SCHEDULE = re.compile(
    # 「七点半孩子们就进校了」: when school starts.
    r"放号|开放|放学|进校|到校|上课|营业(?!执照|额|厅)|末班|首班|头班|[闭开]馆"
    # 「十点才关门」, 「六点就锁门了」, 「说是五点半结束」.
    r"|[点半][就才]?(?:[关开锁](?:门|灯)|关了|锁了|熄灯)|[点半]结束"
    # 「只有早上七点到九点开」: opening hours.
    rf"|{_NUM}点(?:半)?到{_NUM}点"
)
# 「今天说找施工方，明天说找监理」: one excuse after another, not a day.
_DAY_AFTER_DAY = re.compile(r"今天[^，,。]{1,8}[，,]\s*明天")
# A date of birth, expiry or handover (「2022年8月31号出生的」, 「上个月二十号才交房」) is no
# event, nor the day of an earlier report (「上礼拜二就打过一次电话了」).
_NOT_EVENT_DAY = re.compile(
    r"出生(?!医学证明|证)|生日(?!蛋糕)|到期|有效期|交房"
    r"|打过[一两三几]?[次回遍]?(?:电话|12345|热线)|(?:反映|投诉|举报)过"
)
# A time told of the weather (「昨晚下了一夜大雨，今天早上六点多……塌下来」) dates the cause:
# it is the event's time only when nothing else in the call is dated, and never when it only
# qualifies the weather (「被昨晚的大风刮倒了」).
_WEATHER = re.compile(r"[大暴阵雷]雨|下雨|大风|刮风|台风|下雪|暴雪|冰雹|风[太很好特别]*大")
_WEATHER_OF = re.compile(r"的(?:[大暴阵雷]雨|大风|台风|暴雪|冰雹)")
_STATES = "原|试用|打针|住院|医院|治疗|职|保修|用"  # 「还在保修期」, 「过期了还在用」
# 「刚才说岔了」, 「刚才讲的那个」: what was said earlier in the call, not an event.
_JUST = r"(?:刚才|刚刚)(?!(?:我|你|您)?(?:说|讲|问|提))"
_NOW = re.compile(
    rf"{_JUST}|刚(?![才刚])[^，。]{{0,3}}?(看到|发现|开|下车|走|过去|闻到|听到|到家|回家|出门|路过|经过)"
    # 「我刚从江南站出来」, 「我刚从高铁北站打车」.
    r"|刚从[^，。]{1,8}?(?:出来|下来|回来|打车|打的|上车|下车)"
    # 「有，就是现在」: right now.
    r"|就是现在"
    # 「到现在还没到账」 is how long something has been missing, 「现在还是毛坯」 a state, and
    # 「还在审」 paperwork under way: none is an event happening now.
    # 「现在还没塌」, 「现在倒是好好的」 say nothing is happening.
    # 「截图都还在咯」, 「执照还在，想注销」: something still exists, nothing is happening;
    # 「还在。」 on its own answers whether it is still going on.
    # 「现在还在打针」, 「还在试用期」, 「还在原来的学校」: a state that goes on, not an event.
    # 「正在建的那个变电站」, 「正在盖一栋楼」: a building going up, not an event.
    rf"|(?<!到)现在还(?!是|没|不|要|能|在(?:{_STATES}))|正在(?![建盖])"
    # 「公积金还在里面」: something still kept somewhere.
    # 「盖到二十三层了还在往上盖」: a building going up.
    # 「现在坑还在那里」: something still there.
    rf"|还在(?!审|办|处理|核|整理|里|往上|[建盖]|{_STATES}|[咯呢啊的呀嘛]|[那这][里儿]?(?:[，,。！!？?]|$)|$)"
    r"|^还在$|又在|这会儿"
    # 「电池现在在冒烟」: 现在在 and a verb of something unfolding (not 「现在在家」).
    # 「罐子底下一直在滴东西」 too.
    r"|(?:现在|一直)在(?=[冒烧漏喷流淌滴响冲往掉塌吵闹漫涨])"
)
# What still says "now" inside a sentence about a habit (「天天……现在还没回家」); 「到现在」
# is how long it has lasted.
# 「我现在可以自己打12345了」, 「现在能直起腰了」 are what the caller can do now, not an event.
_EXPLICIT_NOW = re.compile(rf"{_JUST}|(?<!到)现在(?!倒|也|没|不|可以|能|会|连)|这会儿")
_OR_ONE_MORE = "[一二三四五六七八九]?"
_HOURS_AGO = re.compile(
    rf"(?:等了|有)?(?P<n>{_NUM}|半)个?(?P<half>半)?[多来]?(?:小时|钟头)(?:了|前|以前|之前)"
    rf"|等了(?P<waited>{_NUM}|半)个?(?P<waited_half>半)?[多来]?(?:小时|钟头)"
    # 「二十来分钟前」: about twenty minutes; 「二十七八分钟」: 27 or 28, the first is kept.
    rf"|(?:等了|已经|都)?(?P<minutes>{_NUM}){_OR_ONE_MORE}[多来]?分钟(?:了|前|以前|之前)"
    # 「停了二十七八分钟」: stopped that long ago and still off.
    rf"|[等停]了(?P<waited_minutes>{_NUM}){_OR_ONE_MORE}[多来]?分钟"
    # 「三刻钟前」: three quarters of an hour.
    rf"|(?P<quarters>{_NUM})刻钟(?:了|前|以前|之前)"
)


class TimeMention(BaseModel):
    """A resolved time expression: the absolute time and the words it came from."""

    time: datetime
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class _Found:
    """A time found in a clause, and whether the words gave an hour."""

    mention: TimeMention
    has_hour: bool
    has_clock: bool = False
    day: datetime | None = None  # the day the words named, if any
    part: str | None = None  # the part of the day they named or implied
    began: bool = False  # the words say something began then (「一点多就有人开始吐」)


def call_hour(call_time: datetime) -> datetime:
    """The call time rounded down to the hour: when something happening now is recorded."""
    return call_time.replace(minute=0, second=0, microsecond=0)


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
    if match.group("this") and day > call_time.day:
        return None  # 「公示到这个月二十号」 said on the 12th: a day to come
    if not (match.group("last") or match.group("this") or match.group("month")) \
            and day > call_time.day:
        # 「13号」 said on the 8th is last month's 13th.
        first = call_time.replace(day=1) - timedelta(days=1)
        month, year = first.month, first.year
    try:
        when = call_time.replace(year=year, month=month, day=day)
    except ValueError:
        return None
    if when <= call_time:
        return when
    # 「5月20号要停水」 said on 14 May is a day to come; 「12月20号」 said in January, last year's.
    return None if when - call_time < _FUTURE_DATE_WITHIN else when.replace(year=when.year - 1)


def _day(text: str, call_time: datetime) -> tuple[datetime | None, str | None, tuple[int, int]]:
    """The day a clause names (and an implied part of day), with the words' span."""
    if (m := _AGO.search(text)) and (
        days := parse_number(m.group("n") or m.group("without") or m.group("unattended"))
    ) is not None:
        return call_time - timedelta(days=days), None, m.span()
    if m := _WEEK_AGO_TODAY.search(text):
        return call_time - timedelta(days=7 * _WEEKS_BACK[m.group("which")]), None, m.span()
    if m := _RELATIVE.search(text):
        word = m.group(0)
        return call_time + timedelta(days=_DAY_WORDS[word]), _IMPLIED_PART.get(word), m.span()
    if m := _WEEK.search(text):
        monday = call_time - timedelta(days=call_time.weekday())
        weekday = monday + timedelta(
            days=_WEEKDAYS[m.group("wd")] - 7 * _WEEKS_BACK.get(m.group("which") or "", 0)
        )
        if weekday <= call_time:
            return weekday, None, m.span()
    if m := _LAST_MONTH_END.search(text):
        first = call_time.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return first - timedelta(days=1), None, m.span()
    if (m := _DATE.search(text)) and not _asks_of_coming_day(m, text, call_time) and (
        dated := _date(m, call_time)
    ) is not None:
        return dated, None, m.span()
    if (m := _MONTH_DAY.search(text)) and (dated := _date(m, call_time)) is not None:
        return dated, None, m.span()
    return None, None, (0, 0)


def _asks_of_coming_day(match: re.Match[str], text: str, call_time: datetime) -> bool:
    """Whether a bare day of the month still to come is asked about (「查分是二十五号吗」 on
    the 20th): a date in this month's future, not last month's."""
    if match.group("last") or match.group("this") or match.group("month"):
        return False
    day = parse_number(match.group("day"))
    return day is not None and day > call_time.day and "吗" in text[match.end():]


def _clock(text: str, after_part: bool) -> tuple[int, tuple[int, int]] | None:
    """A clock hour (0–24, before the part of day is applied) and its span.

    「七点不到」 and 「快七点」 are still in the sixth hour, so they give 6.
    """
    for clock in _CLOCK.finditer(text):
        if clock.group("digital"):
            return int(clock.group("digital")), clock.span()
        hour = parse_number(clock.group("h"))
        if hour is None or not 0 <= hour <= 24:
            continue
        if clock.group("h") == "一" and not (
            clock.group("more") or clock.group("half") or clock.group("m") or after_part
        ):
            continue  # 「一点」 is mostly "a little"
        if any(clock.group(g) for g in ("early", "under", "to", "before")):
            hour = (hour - 1) % 24
        return hour, clock.span()
    return None


def _with_part(hour: int, part: str | None) -> int:
    """A clock hour of 1–12 placed in its part of the day: 下午三点 → 15, 夜里两点 → 2."""
    if part in _NIGHT and hour == 12:  # 「半夜十二点多吃的」
        return 0
    if part is None or hour >= 12:
        return hour % 24
    if part in _NIGHT and hour in _LATE_NIGHT_HOURS:
        return hour
    return (hour + _PARTS[part][1]) % 24


def _night_just_gone(text: str, part: str, call_time: datetime) -> bool:
    """Whether a bare 「凌晨」 or 「半夜」 is the night before a morning call, with something that
    happened then (「一棵大杨树凌晨被风刮倒了」 at 06:50)."""
    return part in _NIGHT_GONE and call_time.hour < _NOON and "了" in text


def _near(span: tuple[int, int], anchor: int | None) -> bool:
    """Whether words starting at ``span`` belong to a day named just before ``anchor``."""
    return anchor is None or 0 <= span[0] - anchor <= _DAY_TO_HOUR_GAP


def _hour(
    text: str, part: str | None, day_end: int | None, call_time: datetime, base: datetime,
    anchored: bool,
) -> tuple[int | None, tuple[int, int] | None, bool]:
    """The hour a clause names, placed by the part of the day, with the words' span and
    whether a clock time gave it (rather than a part of the day alone).

    With a day named (``day_end``) only a part or clock right after it counts; without one a
    part of the day alone counts only when ``anchored`` (the caller says it began then).
    """
    if day_end is not None and (same := _SAME_HOUR.match(text, day_end)):
        return call_time.hour, same.span(), True  # 「昨天这个时候」: the call's hour that day
    part_match = _PART.search(text)
    if part_match and not _near(part_match.span(), day_end):
        part_match = None
    part = part_match.group(0) if part_match else part
    clock = _clock(text, after_part=part_match is not None)
    anchor = part_match.end() if part_match else day_end
    if clock and _near(clock[1], anchor):
        hour, span = clock
        if part_match:
            span = (min(span[0], part_match.start()), max(span[1], part_match.end()))
        if part:
            hour = _with_part(hour, part)
        elif hour < 12 and base.date() == call_time.date():
            # The latest past reading: 「九点」 at 22:00 is 21:00; 「十一点四十几」 at 00:05 is
            # the evening just gone (23:00 of the day before), not eleven in the morning.
            later = base.replace(hour=hour + 12, minute=0)
            earlier = base.replace(hour=hour, minute=0)
            hour = hour + 12 if later <= call_time or earlier > call_time else hour
        elif hour == 12 and base.date() == call_time.date() and call_time.hour < _DAWN:
            hour = 0  # 「从十二点多一直打到现在」 at 01:20: midnight, not noon
        return hour % 24, span, True
    if part and (day_end is not None or anchored or (
        part_match is not None and _night_just_gone(text, part, call_time)
    )):
        return _PARTS[part][0], part_match.span() if part_match else None, False
    return None, None, False


def _masked(text: str) -> str:
    """``text`` with the ends of ranges, durations and the day of the call itself blanked
    out, offsets kept."""
    def blank(m: re.Match[str]) -> str:
        return " " * len(m.group(0))

    masked = _NOT_WHEN.sub(blank, _CALLING_TODAY.sub(blank, _RANGE_END.sub(blank, text)))
    return _READING.sub(blank, masked) if _MEASURED.search(masked) else masked


def _dated(
    text: str, offset: int, call_time: datetime, habitual: bool, anchored: bool,
    corrects: _Found | None = None,
) -> _Found | None:
    """The day and hour one clause names; in a sentence about a habit only a named day.

    A clause that ``corrects`` an earlier time and names no day keeps that time's day and
    part of the day (「昨天晚上九点多，不对，是十点多」 → 22:00 the day before).
    """
    words = _masked(text)
    day, implied_part, named_span = _day(words, call_time)
    day_span: tuple[int, int] | None = named_span
    if day is None and habitual:
        return None
    if day is None and corrects is not None and corrects.day is not None:
        day, implied_part, day_span = corrects.day, corrects.part, None
    if day is None:
        words = _CLOCK_BOUND.sub(lambda m: " " * len(m.group(0)), words)
    base = day or call_time
    anchored = anchored or bool(_SINCE.search(words))
    hour, hour_span, clock = _hour(words, implied_part,
                                   day_span[1] if day is not None and day_span else None,
                                   call_time, base, anchored)
    if hour is None and (day is None or day_span is None):
        return None
    when = base.replace(hour=hour or 0, minute=0, second=0, microsecond=0)
    part = m.group(0) if (m := _PART.search(words)) else implied_part
    if day is None and when > call_time:
        # 「早上起来突然说不出话」 at 06:40: this morning, which has begun, not yesterday's.
        begun = not clock and part is not None and call_time.hour >= _PART_BEGINS.get(part, 24)
        when = call_hour(call_time) if begun else when - timedelta(days=1)
    elif when > call_time:  # 「星期三晚上也有？」 asked on Wednesday afternoon: still to come
        return None
    spans = [s for s in (day_span if day is not None else None, hour_span) if s]
    start, end = min(s[0] for s in spans), max(s[1] for s in spans)
    mention = TimeMention(time=when, text=text[start:end], start=offset + start,
                          end=offset + end)
    return _Found(mention, has_hour=hour is not None or implied_part is not None,
                  has_clock=clock, day=day, part=part, began="开始" in words)


def _counted_back(text: str, offset: int, call_time: datetime) -> TimeMention | None:
    """「等了四个小时」, 「两个小时前」, 「四十分钟了」, 「三刻钟前」: that long before the call,
    rounded down to the hour."""
    if not (m := _HOURS_AGO.search(text)):
        return None
    if minutes := m.group("minutes") or m.group("waited_minutes"):
        count = parse_number(minutes)
        hours = None if count is None else count / 60
    elif quarters := m.group("quarters"):
        count = parse_number(quarters)
        hours = None if count is None else count / 4
    else:
        amount = m.group("n") or m.group("waited")
        hours = 0.5 if amount == "半" else parse_number(amount)
        if hours is not None and (m.group("half") or m.group("waited_half")):
            hours += 0.5
    if hours is None:
        return None
    when = call_hour(call_time - timedelta(hours=hours))
    return TimeMention(time=when, text=m.group(0), start=offset + m.start(), end=offset + m.end())


def _ongoing(
    text: str, offset: int, call_time: datetime, habitual: bool
) -> TimeMention | None:
    """Something happening now (「现在还在」, 「刚才」): the call's hour.

    In a sentence about a habit 「还在用」 is the habit going on, so only 「现在」 or 「刚才」
    count there.
    """
    if m := (_EXPLICIT_NOW if habitual else _NOW).search(text):
        return TimeMention(time=call_hour(call_time), text=m.group(0), start=offset + m.start(),
                           end=offset + m.end())
    return None


def _prefer(
    dated: _Found | None, recent: TimeMention | None, call_time: datetime
) -> TimeMention | None:
    """A named time wins, unless it is only 「今天」 and the caller also says when today."""
    if dated is None:
        return recent
    if recent is not None and not dated.has_hour and dated.mention.time.date() == call_time.date():
        return recent
    return dated.mention


def resolve_event_time(text: str, call_time: datetime) -> TimeMention | None:
    """When the event in ``text`` happened or began, made absolute against ``call_time``.

    The first clause naming a day or an hour gives it; a clock time later in the same
    sentence makes a bare part of that day precise (「晚上机器一直响，从晚上九点响到现在」).
    Failing that, or when that names only today, hours counted back (「等了四个小时」) or
    something happening now (「还在」).
    """
    dated: _Found | None = None
    dated_in: int | None = None  # the sentence the named time came from
    counted: TimeMention | None = None
    ongoing: TimeMention | None = None
    weather: _Found | None = None  # a time told only of the weather
    for index, sentence in enumerate(re.finditer(r"[^。！？!?\n；;]+", text)):
        habitual = bool(_HABIT.search(sentence.group()) or _SCHEDULE.search(sentence.group()))
        # 「晚上机器一直响……现在」 anchors the evening; 「现在要打疫苗，晚上哪里还能打」 does not.
        now_at = [m.start() for m in _CONTRAST_NOW.finditer(sentence.group())]
        for clause in re.finditer(r"[^，,]+", sentence.group()):
            anchored = any(at >= clause.start() for at in now_at)
            if _tells_no_event(sentence, clause, call_time):
                continue
            offset = sentence.start() + clause.start()
            counted = counted or _counted_back(clause.group(), offset, call_time)
            ongoing = ongoing or _ongoing(clause.group(), offset, call_time, habitual)
            if (_FUTURE.search(_QUOTED.sub("", clause.group()))
                    or _WEATHER_OF.search(clause.group())
                    or _later_this_week(clause.group(), call_time)):
                continue
            if _WEATHER.search(clause.group()):
                weather = weather or _dated(clause.group(), offset, call_time, habitual, anchored)
                continue
            if dated is not None and not dated.has_hour and (
                same_day := _SAME_DAY_PART.search(clause.group())
            ):
                dated = _at_part_of(dated, same_day, offset)
                continue
            found = _dated(clause.group(), offset, call_time, habitual, anchored)
            if dated is not None and _corrected(text, dated.mention.end, offset):
                # 「今天下午四点多……不对，是三点多，我接孙子放学之前」: a correction, even in a
                # sentence that also tells a timetable.
                dated, dated_in = _dated(clause.group(), offset, call_time, False, anchored,
                                         corrects=dated) or found or dated, index
            elif found and (dated is None or _sharper(dated, found, index == dated_in)):
                dated, dated_in = found, index
    return _prefer(dated, counted or ongoing, call_time) or (weather.mention if weather else None)


def _tells_no_event(sentence: re.Match[str], clause: re.Match[str], call_time: datetime) -> bool:
    """Whether a clause's times are a habit, a birthday or expiry, a string of excuses, or a
    timetable (unless it names the day it happened on)."""
    words = clause.group()
    return bool(
        _HABIT.search(words) or _NOT_EVENT_DAY.search(words)
        or _DAY_AFTER_DAY.match(sentence.group(), clause.start())
        or (_SCHEDULE.search(words) and _day(words, call_time)[0] is None)
    )


def _later_this_week(text: str, call_time: datetime) -> bool:
    """Whether ``text`` names a day of this week still to come (「本周四停水」)."""
    if not (m := _WEEK.search(text)) or m.group("which") not in ("这", "本"):
        return False
    return _WEEKDAYS[m.group("wd")] > call_time.weekday()


def _corrected(text: str, first_end: int, later_start: int) -> bool:
    """Whether the words between a time ending at ``first_end`` and a clause starting at
    ``later_start`` correct that time (「前天……不对，是昨天」)."""
    gap = text[first_end:later_start]
    return len(gap) <= _CORRECTION_GAP and bool(_CORRECTION.search(gap))


def _at_part_of(day: _Found, same_day: re.Match[str], offset: int) -> _Found:
    """The day already named at the part of the day 「当晚」 or 「当天下午」 names."""
    part = same_day.group("part") or same_day.group("part2") or "晚上"
    mention = day.mention
    return _Found(
        TimeMention(time=mention.time.replace(hour=_PARTS[part][0]), text=same_day.group(0),
                    start=offset + same_day.start(), end=offset + same_day.end()),
        has_hour=True,
    )


def _sharper(first: _Found, later: _Found, same_sentence: bool) -> bool:
    """Whether ``later`` gives the clock time of the same day that ``first`` gave only a part
    of, in the same sentence, or an hour of the day ``first`` named without one
    (「反映一下昨天的事。昨天下午三点多……」), or the later hour at which the trouble began
    (「十二点多吃的，一点多就有人开始吐」)."""
    same_day = later.mention.time.date() == first.mention.time.date()
    if same_day and later.has_hour and not first.has_hour:
        return True
    # 「十二点多吃的，一点多就有人开始吐」: when it began, after what led to it.
    if (same_sentence and same_day and later.began and not first.began and later.has_clock
            and later.mention.time > first.mention.time):
        return True
    # 「昨晚变压器炸了！……昨晚十一点，变压器"嘭"一声」: the same evening, now to the hour.
    same_part = first.part is not None and later.part == first.part
    return (
        (same_sentence or same_part) and later.has_clock and not first.has_clock
        and first.has_hour and same_day
    )
