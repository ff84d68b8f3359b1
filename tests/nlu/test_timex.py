"""Time expressions resolved against the call time."""

from __future__ import annotations

from datetime import datetime

import pytest

from nlu.timex import resolve_event_time

CALL = datetime.fromisoformat("2025-05-12T09:31:00+08:00")  # a Monday


@pytest.mark.parametrize(
    ("text", "expected", "words"),
    [
        ("昨晚十点楼上一直漏水", "2025-05-11T22:00:00+08:00", "昨晚十点"),
        ("前天下午开始停水", "2025-05-10T15:00:00+08:00", "前天下午"),
        ("上周五有人来施工", "2025-05-09T00:00:00+08:00", "上周五"),
        ("今天早上七点多闻到煤气味", "2025-05-12T07:00:00+08:00", "今天早上七点多"),
        ("5月3号那天水管就坏了", "2025-05-03T00:00:00+08:00", "5月3号"),
        ("晚上9点半还在施工", "2025-05-11T21:00:00+08:00", "晚上9点半"),
        ("已经三天了没人管", "2025-05-09T00:00:00+08:00", "三天了"),
        ("上个月15号干活时砸伤了脚", "2025-04-15T00:00:00+08:00", "上个月15号"),
        ("今天六点十分就开走了", "2025-05-12T06:00:00+08:00", "今天六点十分"),
        ("昨天晚上8点", "2025-05-11T20:00:00+08:00", "昨天晚上8点"),
        ("两天前开始的", "2025-05-10T00:00:00+08:00", "两天前"),
        ("12月30号买的", "2024-12-30T00:00:00+08:00", "12月30号"),
    ],
)
def test_expressions_resolve_to_absolute_times(text: str, expected: str, words: str) -> None:
    found = resolve_event_time(text, CALL)
    assert found is not None
    assert found.time.isoformat() == expected
    assert found.text == words and text[found.start : found.end] == words


@pytest.mark.parametrize(
    "text",
    ["路灯坏了", "", "3号楼2单元", "每天晚上十点还在跳广场舞", "开放到晚上九点",
     "冬天一点太阳都没有", "报了一个一日游", "早上锻炼的老人没法用"],
)
def test_no_time_named_gives_none(text: str) -> None:
    assert resolve_event_time(text, CALL) is None


def test_something_happening_now_is_the_call_hour() -> None:
    found = resolve_event_time("刚才下楼闻到的", CALL)
    assert found is not None and found.time.isoformat() == "2025-05-12T09:00:00+08:00"


EVENING = datetime.fromisoformat("2025-05-12T21:31:00+08:00")  # a Monday evening


@pytest.mark.parametrize(
    ("text", "expected", "words"),
    [
        # A clause is read on its own: the habit around a named time does not hide it.
        ("一到晚上就排臭气，昨晚九点多味道最大", "2025-05-11T21:00:00+08:00", "昨晚九点多"),
        ("上周五开始搭架子的，天天叮叮当当", "2025-05-09T00:00:00+08:00", "上周五"),
        # A part of the day belongs to the day only right after it.
        ("路灯坏了，三天了，老人晚上出来都摔了一跤", "2025-05-09T00:00:00+08:00", "三天了"),
        # A bare part of the day counts when it is when something began.
        ("音响太吵了，从下午到现在，一直放", "2025-05-12T15:00:00+08:00", "下午"),
        ("中午订的外卖，现在七八个人都在上吐下泻", "2025-05-12T12:00:00+08:00", "中午"),
        ("今天早上七点不到就停水了", "2025-05-12T06:00:00+08:00", "今天早上七点不到"),
        ("昨天夜里两点吵醒的", "2025-05-11T02:00:00+08:00", "昨天夜里两点"),
        ("前儿个晚上", "2025-05-10T20:00:00+08:00", "前儿个晚上"),
        ("现在还在漏水，昨天晚上开始的", "2025-05-11T20:00:00+08:00", "昨天晚上"),
    ],
)
def test_clauses_days_and_parts_of_the_day(text: str, expected: str, words: str) -> None:
    found = resolve_event_time(text, EVENING)
    assert found is not None
    assert found.time.isoformat() == expected
    assert found.text == words and text[found.start : found.end] == words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("急诊等了四个小时还没看上！", "2025-05-12T17:00:00+08:00"),
        ("停水三个多小时了", "2025-05-12T18:00:00+08:00"),
        # 「今天」 alone is less than 「刚下车」: the hour said wins.
        ("我刚下车！平时六十块钱，今天收了一百二", "2025-05-12T21:00:00+08:00"),
        # 「昨天也是」 is a repetition, 「搞到凌晨两点」 the end of a range.
        ("工地现在还在打桩！\n昨天也是，一直搞到凌晨两点", "2025-05-12T21:00:00+08:00"),
        ("天天有人通宵上网，我儿子现在还没回家！", "2025-05-12T21:00:00+08:00"),
        ("地铁施工又在半夜打钻！", "2025-05-12T21:00:00+08:00"),
        ("我刚到家就闻到煤气味", "2025-05-12T21:00:00+08:00"),
        # Two and a half hours, counted back and rounded down to the hour.
        ("在医院门口到现在等了两个半小时", "2025-05-12T19:00:00+08:00"),
    ],
)
def test_counted_back_from_the_call(text: str, expected: str) -> None:
    found = resolve_event_time(text, EVENING)
    assert found is not None and found.time.isoformat() == expected
    assert text[found.start : found.end] == found.text


@pytest.mark.parametrize(
    "text",
    ["下午三点半就放学了", "一直吵到凌晨三点", "昨天也是这样", "晚上吵得睡不着",
     "电梯合格证过期两个月了，还在用，经常抖", "末班车说是六点半"],
)
def test_schedules_ranges_and_repetitions_give_none(text: str) -> None:
    assert resolve_event_time(text, EVENING) is None


@pytest.mark.parametrize(
    ("text", "expected", "words"),
    [
        # A clock time later in the sentence makes a bare part of the same day precise.
        ("晚上机器一直轰隆隆的响，从晚上九点响到现在", "2025-05-12T21:00:00+08:00", "晚上九点"),
        # A timetable word does not hide a named day: this is when it happened.
        ("今天下午放学后被堵在厕所里打了", "2025-05-12T15:00:00+08:00", "今天下午"),
    ],
)
def test_sharper_times_and_events_on_a_named_day(text: str, expected: str, words: str) -> None:
    found = resolve_event_time(text, EVENING)
    assert found is not None
    assert found.time.isoformat() == expected
    assert found.text == words and text[found.start : found.end] == words


@pytest.mark.parametrize(
    "text",
    [
        "大树被昨晚的大风刮倒了，横在马路上",  # the time of the weather, not of the damage
        "安置房现在还是毛坯",  # a state, not something happening now
        "抚恤金到现在还没到账",  # how long it has been missing
        "生育津贴一直没发，单位说医保那边还在审",  # paperwork under way
        "我的营业执照年报忘了报，现在被列入经营异常了",  # a licence, not opening hours
    ],
)
def test_weather_states_and_paperwork_give_no_event_time(text: str) -> None:
    assert resolve_event_time(text, EVENING) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A correction replaces the time first given.
        ("前天晚上……不对，是昨天晚上开始漏的", "2025-05-11T20:00:00+08:00"),
        # The future is no event time; what is going on now is.
        ("楼下烧烤现在还在吵，明天一早我还要上班", "2025-05-12T09:00:00+08:00"),
        # 「当晚」 is the evening of the day already named.
        ("前天买的电饭煲，当晚就冒烟了", "2025-05-10T20:00:00+08:00"),
        # The hour of a day named earlier without one.
        ("我说一下昨天的事。昨天下午两点多工地把水管挖断了", "2025-05-11T14:00:00+08:00"),
        # Days something has not happened for count back like 「三天了」.
        ("垃圾已经四天没人收了", "2025-05-08T00:00:00+08:00"),
        # A corrected clock hour keeps the day and part of the day it corrects.
        ("昨天晚上八点多，哦不对，是九点多了", "2025-05-11T21:00:00+08:00"),
        ("上个月20号，不对，是21号", "2025-04-21T00:00:00+08:00"),
        # A day of the month after today's is last month's.
        ("16号那天摔的", "2025-04-16T00:00:00+08:00"),
        # The week before last, and the afternoon in northern words.
        ("上上周二装的", "2025-04-29T00:00:00+08:00"),
        ("前天后半晌四点来钟", "2025-05-10T16:00:00+08:00"),
        # The weather's time dates the damage when nothing else does ...
        ("前天夜里那场大风，院子里的树就歪了", "2025-05-10T23:00:00+08:00"),
        # ... but not when the call dates it otherwise.
        ("昨晚下了一夜大雨，今天早上六点多山上塌下来一堆土", "2025-05-12T06:00:00+08:00"),
        # Something unfolding now.
        ("楼道里的电瓶现在在冒烟", "2025-05-12T09:00:00+08:00"),
        # 「刚刚」 beats the weather's time, which only dates the cause.
        ("电线杆刚刚倒的，昨晚风太大了", "2025-05-12T09:00:00+08:00"),
        # A bound is no event time without a day; with one it is.
        ("昨晚九点以后一直在吵", "2025-05-11T21:00:00+08:00"),
        # 「今天天亮」 says no habit: the corrected hour still counts.
        ("前天夜里十点……不对，是十一点钟开始砸墙，砸到今天天亮", "2025-05-10T23:00:00+08:00"),
        # A date before 「到今天」 begins the span; 「八点要去」 is a plan, 「刚才」 the event.
        ("从八号到今天一直没人修", "2025-05-08T00:00:00+08:00"),
        ("刚才出门发现车被堵了，我十点要去医院", "2025-05-12T09:00:00+08:00"),
        # Cantonese: the morning of 「今朝早」, and 「唔系」 correcting a day.
        ("今朝早我送个仔去上堂", "2025-05-12T08:00:00+08:00"),
        ("上礼拜六……唔系，上礼拜日我去换个屏", "2025-05-11T00:00:00+08:00"),
        # 「烤到快两点」 ends the evening; the evening named again with its hour.
        ("昨天晚上烤到快两点，烟全往楼上飘", "2025-05-11T20:00:00+08:00"),
        ("昨晚变压器炸了！现在冇事了。昨晚十一点，变压器嘭一声", "2025-05-11T23:00:00+08:00"),
        # Midnight is the start of the day; 「3号仓库」 is no day; 「刚从…出来」 is now.
        ("夜班的人半夜十二点多吃的夜宵", "2025-05-12T00:00:00+08:00"),
        ("3号仓库叉车刚才把化学品桶戳破了", "2025-05-12T09:00:00+08:00"),
        ("我刚从江南站出来，C口和D口都拦上了", "2025-05-12T09:00:00+08:00"),
        # Cantonese 「琴晚」 is last night; a birth certificate received is an event.
        ("琴晚十一点几，门口个变压器冒火", "2025-05-11T23:00:00+08:00"),
        ("出生医学证明上礼拜五拿到的，名字写错了", "2025-05-09T00:00:00+08:00"),
        # This morning, begun before the call: not yesterday's.
        ("我爸早上起来突然说不出话，六点钟左右我就打了120", "2025-05-12T06:00:00+08:00"),
        # A correction in a sentence that also tells a timetable.
        ("昨天下午四点多……不对，是三点多，我接孙子放学之前", "2025-05-11T15:00:00+08:00"),
    ],
)
def test_corrections_future_and_same_day_words(text: str, expected: str) -> None:
    found = resolve_event_time(text, CALL)
    assert found is not None and found.time.isoformat() == expected


@pytest.mark.parametrize(
    "text", ["裂缝现在还没塌下来，就是担心", "现在倒是好好的，就怕刮大风，孩子放学都从下面过",
             # How long it has lasted, in a sentence about what happens each time.
             "去年报的名，到现在每次都说再等等", "我现在在家里等着",
             # A request about hours, paperwork under way, the call's own business.
             "麻烦劝一下，晚上九点以后声音小一点", "病历说还在整理，让我等通知",
             "上次的事办好了。今天还有个事想请教一下",
             # Things still there; a closing time; an expected time; later this week.
             "店不开了，营业执照还在，想注销", "截图都还在咯", "周末八点就关了，能不能晚点",
             "散场要十一点，地铁会延长吗", "通知说本周五早上八点到下午六点停水",
             # Durations, the call's own date, a request, states that go on.
             "在窗口排了一下午，说材料不全", "合同写的月初打款，现在都十二号了",
             "希望你们晚上十点来看看", "我爸现在还在住院", "说我还在试用期", "食堂八点就关灯了",
             "托管班说以后只能上半天", "报名截止就剩三天了"]
)
def test_now_that_denies_an_event_is_no_time(text: str) -> None:
    assert resolve_event_time(text, CALL) is None


def test_the_day_of_the_call_itself_is_no_event_time() -> None:
    call = datetime.fromisoformat("2025-03-13T12:10:00+08:00")
    assert resolve_event_time("我今天打电话是想表扬一下图书馆的工作人员", call) is None
    assert resolve_event_time("今天专门打这个电话，想问问补贴的事", call) is None
    found = resolve_event_time("今天早上水管又漏了，今天打电话就是想让你们来修", call)
    assert found is not None and found.time.hour == 8


def test_minutes_counted_back_and_closing_hours() -> None:
    call = datetime.fromisoformat("2025-05-17T20:25:00+08:00")
    found = resolve_event_time("我妈被关在电梯里了，已经四十分钟了！", call)
    assert found is not None and found.time.hour == 19
    assert resolve_event_time("图书馆晚上八点就关门，我们下班过去坐不了多久", call) is None


@pytest.mark.parametrize(
    "text",
    [
        "我姓冼，冼是两点水加个先",  # a radical spelt out, not two o'clock
        "我姓濮，三点水一个仆人的仆",
        "血糖仪测出来一会儿五点几一会儿十二点几",  # readings
        "司机头一点一点的，在打瞌睡",  # nodding off
        "广场那个公厕七点才开门，可头班车六点就发了",  # a timetable
        "周六周日的闭馆时间从晚上六点延长到八点",  # opening hours
        "不参加的孩子下午三点半就得接走",  # a rule
        "单位倒闭了，公积金还在里面取不出来",  # something still kept, nothing happening
        "说我还在原单位参保，领不了失业金",  # a state
        "维修要排队，一等等了两天没人来",  # a wait, not when it began
        "现在要从A口出来绕一大圈，早上那个路口车又多",  # 「现在」 before the morning
        "小区贴了通知，说5月20号因为管网改造要停水",  # a day still to come
        "我女儿是2022年8月31号出生的，算不算在内",  # a birthday
        "学校东边正在建的那个变电站离操场三十米",  # a building going up
        "我刚生了宝宝，还在医院，想问新生儿医保",  # a state
        "可以不可以多开一次，星期一晚上也有？",  # asked on Monday morning: still to come
        "公园十点才关门，那个厕所六点就锁门了",  # opening hours
        "课后服务说是五点半结束",  # a timetable
        "教我们说中文，我现在可以自己打12345了",  # what the caller can do now
        "鼓楼站2号口的共享单车堆得跟小山一样",  # an exit, not a day
        "规划写的十八层，现在都盖到二十三层了还在往上盖",  # a building going up
        "送医院了。现在坑还在那里，就插了根树枝",  # something still there
        "系统里显示我还在职，不能领失业金",  # a state
        "今天说找施工方，明天说找监理，嘎嘎能推",  # one excuse after another
        "厨余垃圾桶说是只有早上七点到九点开",  # opening hours
        "公示写着到这个月二十号，我们想提意见",  # a day of this month still to come
        "合同上写的每月十号前打到卡上",  # a day of every month
        "我想问一下九价疫苗现在还要排队吗",  # a question, nothing happening
        "我们每天一样上课，现在连房租都交不起了",  # a state
        "从6月3号开始收费，短信通知都是晚上十点才发的",  # what happens each time
    ],
)
def test_radicals_readings_timetables_states_and_waits_are_no_time(text: str) -> None:
    assert resolve_event_time(text, CALL) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # 「六点几」 outside a measurement is still six-something.
        ("今天六点几我开门就见到地下的水一直涌出来", "2025-05-12T06:00:00+08:00"),
        ("罐子底下一直在滴东西，地上一大摊", "2025-05-12T09:00:00+08:00"),  # now
        ("二十来分钟前巡逻看到的，水往车库灌", "2025-05-12T09:00:00+08:00"),  # 09:11 → 09:00
        ("十来分钟前突然冒出一大股黄烟", "2025-05-12T09:00:00+08:00"),
        ("一个来钟头前就开始漏了", "2025-05-12T08:00:00+08:00"),
        ("三刻钟前进去搬货，门就锁上了", "2025-05-12T08:00:00+08:00"),  # 08:46
        ("一刻钟前看到的", "2025-05-12T09:00:00+08:00"),  # 09:16
        ("电梯停了二十七八分钟，人还关在里面", "2025-05-12T09:00:00+08:00"),  # 09:04
        ("停了四十五分钟了，还没来电", "2025-05-12T08:00:00+08:00"),  # 08:46
        ("今天差一刻八点加的油，开了一段就熄火", "2025-05-12T07:00:00+08:00"),  # 07:45
        ("今天早上八点差一刻到的", "2025-05-12T07:00:00+08:00"),
        ("我哋栋楼啲水琴日开始就黄黄哋", "2025-05-11T00:00:00+08:00"),  # Cantonese 琴日
        ("门口那几个垃圾桶三天没人清运了", "2025-05-09T00:00:00+08:00"),
        # 「现在」 after the evening does not anchor it: the event is the hour counted back.
        ("一个钟头前在小花园被狗咬了。现在要打疫苗，晚上哪里还能打", "2025-05-12T08:00:00+08:00"),
    ],
)
def test_six_something_now_so_long_ago_dialect_days_and_days_unattended(
    text: str, expected: str
) -> None:
    found = resolve_event_time(text, CALL)
    assert found is not None and found.time.isoformat() == expected


def test_a_bare_clock_hour_after_midnight_is_the_evening_just_gone() -> None:
    after_midnight = datetime.fromisoformat("2025-05-13T00:20:00+08:00")
    found = resolve_event_time("十一点多水管就爆了，水一直往外冒", after_midnight)
    assert found is not None and found.time.isoformat() == "2025-05-12T23:00:00+08:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天早上八点差十分，车子没进站就开走了", "2025-05-12T07:00:00+08:00"),
        ("上个月最后一天店就关门了", "2025-04-30T00:00:00+08:00"),
        ("五号仓库后面的七号观景台那边，昨天下午塌了一块", "2025-05-11T15:00:00+08:00"),
    ],
)
def test_minutes_to_the_hour_month_ends_and_numbered_places(text: str, expected: str) -> None:
    found = resolve_event_time(text, CALL)
    assert found is not None and found.time.isoformat() == expected


@pytest.mark.parametrize("text", ["三号冷库的门坏了", "过期的奶油还在用", "房子还在保修期里"])
def test_numbered_places_and_states_are_no_times(text: str) -> None:
    assert resolve_event_time(text, CALL) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("今天也有吗？有，就是现在，呛得眼睛疼", "2025-05-12T09:00:00+08:00"),
        ("我刚从高铁北站打车，司机不打表", "2025-05-12T09:00:00+08:00"),
        # CALL is 09:31: the night just gone, with something that happened then.
        ("一棵大杨树凌晨被风刮倒了，横在路上", "2025-05-12T03:00:00+08:00"),
    ],
)
def test_right_now_and_the_night_just_gone(text: str, expected: str) -> None:
    found = resolve_event_time(text, CALL)
    assert found is not None and found.time.isoformat() == expected


@pytest.mark.parametrize(
    "text",
    [
        "我叫侯……我叫韦小芬，刚才说岔了",  # what was said earlier in the call
        "上礼拜二就打过一次电话了，说来抽，到现在还没来",  # the day of an earlier report
        "查分是二十五号吗？复核在哪里申请",  # asked on the 12th: a day to come
        "扎了两周，现在能直起腰了，医生每次都很耐心",  # what the caller can do now
    ],
)
def test_speech_earlier_reports_coming_days_and_abilities_are_no_times(text: str) -> None:
    assert resolve_event_time(text, CALL) is None


def test_a_bare_night_in_an_afternoon_call_is_still_no_time() -> None:
    afternoon = datetime.fromisoformat("2025-05-12T15:10:00+08:00")
    assert resolve_event_time("凌晨被风刮倒了一棵树", afternoon) is None


# CALL is Monday 2025-05-12 09:31.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上月廿八开始有人在里头施工", "2025-04-28T00:00:00+08:00"),  # 廿八 = 28, no 号
        ("尋日还衫，店员话要扣晒按金", "2025-05-11T00:00:00+08:00"),  # Cantonese, traditional
        ("今天一大早我去河边洗拖把看见的", "2025-05-12T08:00:00+08:00"),
        ("住院部三号梯卡住了，关了快二十分钟了", "2025-05-12T09:00:00+08:00"),
        ("就刚才闻到的，七点半孩子们就进校了", "2025-05-12T09:00:00+08:00"),
        # The call's own day, and a handover day, date nothing; the weather's day does.
        ("今天专门抽空打这个电话，上个月二十号才交房，上个星期六下大雨墙角全湿了",
         "2025-05-10T00:00:00+08:00"),
    ],
)
def test_old_style_days_traditional_words_and_what_dates_nothing(
    text: str, expected: str
) -> None:
    found = resolve_event_time(text, CALL)
    assert found is not None and found.time.isoformat() == expected


def test_a_decimal_reading_is_no_clock_time() -> None:
    assert resolve_event_time("做了白内障手术，现在视力是零点八，换证体检能过吗", CALL) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上礼拜的礼拜四突然说老师走了", "2025-05-08T00:00:00+08:00"),
        ("上个礼拜的今天下大雨，地板泡了一大片", "2025-05-05T00:00:00+08:00"),
        ("昨天这个时候，我坐56路回去，琴盒落在车上了", "2025-05-11T09:00:00+08:00"),
        ("5月11日19:40，我在湖滨雅苑门口叫车", "2025-05-11T19:00:00+08:00"),
        ("我前天后晌……不对，是昨个后晌，买菜一脚踩上去", "2025-05-11T15:00:00+08:00"),
        ("昨日下昼去湖西村出诊，见到一架小货车倒了一堆石棉瓦", "2025-05-11T15:00:00+08:00"),
        ("这个月二号老板在微信上一句话“明天不用来了”", "2025-05-02T00:00:00+08:00"),
        ("5月10日晚上买了个生日蛋糕，切开里面发霉", "2025-05-10T20:00:00+08:00"),
    ],
)
def test_weeks_back_the_same_hour_digital_clocks_dialect_and_quoted_words(
    text: str, expected: str
) -> None:
    found = resolve_event_time(text, CALL)
    assert found is not None and found.time.isoformat() == expected


def test_the_hour_the_trouble_began_wins_over_what_led_to_it() -> None:
    afternoon = datetime.fromisoformat("2025-05-12T14:20:00+08:00")
    found = resolve_event_time("十二点多吃的，一点多就有人开始吐", afternoon)
    assert found is not None and found.time.isoformat() == "2025-05-12T13:00:00+08:00"
