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
        "火车站那个地道全淹了，人还在车上",
        "大树被风刮倒了，横在马路上，车都过不去",
        "接学生的面包车塞了十几个小孩，车门都关不上",
        "桥下有个老头躺着，下雨天，叫他也不动",
        "办公室七八个人都在上吐下泻",
    ],
)
def test_dangers_are_urgent_with_a_reason(text: str) -> None:
    result = assess_urgency(text)
    assert result.urgency == "紧急"
    assert result.evidence and result.evidence in text and result.evidence in result.reason


@pytest.mark.parametrize(
    "text",
    [
        "路灯坏了一个星期",
        "想咨询一下公积金怎么提取",
        "",
        # feared, missed, over, or no emergency for the city to act on
        "电线拉得到处都是，万一着火跑都跑不出去",
        "健身器材掉下来了，有老人差点受伤",
        "孩子们在上面困了十分钟，都下来了，没人受伤",
        "被狗咬了，出血了，去哪里打狂犬疫苗",
        "货车超载，压坏了路面",
    ],
)
def test_ordinary_requests_are_not_urgent(text: str) -> None:
    assert assess_urgency(text).urgency == "一般"


def test_a_danger_unfolding_now_is_in_progress_a_state_is_not() -> None:
    assert assess_urgency("楼道里有很重的煤气味").in_progress
    assert not assess_urgency("学校门口的井盖没了").in_progress
    assert not assess_urgency("路灯坏了").in_progress


def test_sentiment() -> None:
    assert assess_sentiment("反映多少次了都没人管，太过分了").sentiment == "负面"
    assert assess_sentiment("好的，谢谢你们，辛苦了").sentiment == "正面"
    assert assess_sentiment("我想咨询一下办证需要什么材料").sentiment == "中性"


@pytest.mark.parametrize(
    "text",
    [
        "我要退钱他们不给退",  # wronged
        "老板欠俺们工资半年了，咋整嘛",
        "油烟直接往我们楼上排，窗户都不敢开",  # a nuisance lived with
        "路灯坏了，老人晚上出来都摔了一跤",  # harm
        "交了四千多，等了两个月也不安排",
        "长河菜场门口水管爆了！",  # distress
        "广场舞音响开得震天响，跟她们说了也没用。请管一管，谢谢",  # thanks, still a complaint
        "燃气费这个月一下子扣了六百多",
    ],
)
def test_complaints_harm_and_distress_are_negative(text: str) -> None:
    assert assess_sentiment(text).sentiment == "负面"


@pytest.mark.parametrize(
    "text",
    [
        "公厕太脏了，门也坏了",  # reporting a fault is not yet a complaint
        "湖滨雅苑停水了，也没看到停水通知",
        "社保转移申请两个月了，还没转过来",
        "我问一下过渡费，说好每季度发，这都两个季度没发了",  # an enquiry outweighs one cue
        "家里有孕妇，很担心，希望能来测一测",
        "都下来了，没人受伤",
        "积分不够怎么办？",
    ],
)
def test_reports_and_enquiries_are_neutral(text: str) -> None:
    assert assess_sentiment(text).sentiment == "中性"


@pytest.mark.parametrize(
    "text",
    ["树枝长到我家窗户里了，想请园林来修剪一下。谢谢你们啊", "太好了，谢谢！",
     "我想表扬一下5路公交车的司机师傅！"],
)
def test_thanks_without_complaint_and_praise_are_positive(text: str) -> None:
    assert assess_sentiment(text).sentiment == "正面"
