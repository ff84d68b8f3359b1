"""Urgency with its reason, and the caller's sentiment."""

from __future__ import annotations

import pytest

from nlu.urgency import assess_sentiment, assess_urgency


@pytest.mark.parametrize(
    "text",
    [
        "楼道里有很重的煤气味",
        "马路上水管爆了，水一直往外喷",
        "我妈被困在电梯里了",
        "小区门口电线掉下来了还在打火",
        "下穿隧道积水已经没过车轮了",
        "井盖没了，晚上很危险",
    ],
)
def test_dangers_are_urgent_with_a_reason(text: str) -> None:
    result = assess_urgency(text)
    assert result.urgency == "紧急"
    assert result.evidence and result.evidence in text and result.evidence in result.reason


@pytest.mark.parametrize("text", ["路灯坏了一个星期", "想咨询一下公积金怎么提取", ""])
def test_ordinary_requests_are_not_urgent(text: str) -> None:
    assert assess_urgency(text).urgency == "一般"


def test_sentiment() -> None:
    assert assess_sentiment("反映多少次了都没人管，太过分了").sentiment == "负面"
    assert assess_sentiment("好的，谢谢你们，辛苦了").sentiment == "正面"
    assert assess_sentiment("我想咨询一下办证需要什么材料").sentiment == "中性"
