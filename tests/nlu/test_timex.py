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
