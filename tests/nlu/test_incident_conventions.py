"""The CEC corpus's span conventions for times and places, on hand-written sentences: what a
time span includes (bounds, lengths of time, loose words) and which place names are not where
the incident happens (authorities, officials, sources, destinations)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from nlu.incidents.places import find_places
from nlu.incidents.times import find_times

_REFERENCE = datetime(2021, 7, 9, 10, 0)


def _times(text: str) -> list[str]:
    return [t.text for t in find_times(text, _REFERENCE)]


def _places(text: str) -> list[str]:
    return [p.text for p in find_places(text)]


def test_a_bound_before_a_time_is_part_of_it() -> None:
    times = find_times("截至昨日18时，已有3人死亡。", _REFERENCE)
    assert [t.text for t in times] == ["截至昨日18时"]
    assert times[0].time == datetime(2021, 7, 8, 18, 0)


def test_to_and_since_bound_a_time_only_with_the_word_that_closes_them() -> None:
    assert _times("到晚上9时左右，现场清理完毕，到目前为止已救出5人。") == [
        "晚上9时左右", "到目前为止"]
    assert _times("自去年年初以来，该地区已发生多起袭击。") == ["自去年年初以来"]


def test_lengths_of_time_are_times() -> None:
    times = find_times("救援持续了20多分钟，约半个小时后道路恢复通行。", _REFERENCE)
    assert [t.text for t in times] == ["20多分钟", "约半个小时后"]
    assert all(t.date is None for t in times)


@pytest.mark.parametrize("text", ["当天有三人受伤。", "伤者今年45岁。", "刚刚有人报警。"])
def test_anaphoric_days_ages_and_vague_words_are_no_times(text: str) -> None:
    assert _times(text) == []


def test_an_anaphoric_day_with_a_part_of_the_day_is_a_time() -> None:
    times = find_times("当天下午再次起火。", _REFERENCE)
    assert [(t.text, t.date) for t in times] == [("当天下午", date(2021, 7, 9))]


def test_a_time_restated_in_brackets_counts_once() -> None:
    assert _times("当地时间7日15时37分（北京时间8日4时37分）发生地震。") == [
        "当地时间7日15时37分"]


def test_hours_heading_a_timeline_and_years_alone_are_times() -> None:
    assert _times("10时：救援队抵达。") == ["10时"]
    assert _times("2019年该市共发生火灾12起，过火面积1200平方米。") == ["2019年"]


def test_a_day_in_brackets_after_today_resolves() -> None:
    times = find_times("今（8）日凌晨3时许发生火灾。", _REFERENCE)
    assert [(t.text, t.time) for t in times] == [("今（8）日凌晨3时许", datetime(2021, 7, 8, 3, 0))]


@pytest.mark.parametrize("text", [
    "山东省教育厅已就此事发出通知。",
    "法国总统马克龙对遇难者表示哀悼。",
    "记者从杭州市了解到，火势已得到控制。",
    "学生们向成都送去祝福。",
])
def test_authorities_officials_sources_and_recipients_are_no_places(text: str) -> None:
    assert _places(text) == []


def test_places_listed_with_an_attribute_share_it() -> None:
    assert _places("浙江省和杭州市领导赶到现场。") == ["现场"]


def test_a_vehicles_destination_is_no_place() -> None:
    assert _places("一辆广州开往长沙的客车在高速公路上侧翻。") == ["高速公路上"]


def test_a_scene_word_opening_a_clause_is_a_place() -> None:
    assert _places("客车侧翻，车上12名乘客被困。") == ["车上"]
    assert _places("客车侧翻，车上的货物散落一地。") == []


def test_a_capital_joins_the_country_and_the_city() -> None:
    assert _places("8日，哥伦比亚首都波哥大附近发生地震。") == ["哥伦比亚首都波哥大附近"]


def test_a_position_word_tagged_as_an_idiom_ends_the_phrase() -> None:
    assert _places("事故发生在107国道收费站入口处。") == ["107国道收费站入口处"]
