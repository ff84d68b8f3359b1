"""The caller's sentiment: a scored model over cue families of the citizen's words."""

from __future__ import annotations

import pytest

from nlu.sentiment import (
    COMPLAINT_WEIGHTS,
    FEATURES,
    assess_sentiment,
    assess_sentiment_many,
    complaint_probability,
    cue_counts,
    cue_reading,
    cue_words,
)


def test_sentiment() -> None:
    assert assess_sentiment("反映多少次了都没人管，太过分了").sentiment == "负面"
    assert assess_sentiment("好的，谢谢你们，辛苦了").sentiment == "正面"
    assert assess_sentiment("我想咨询一下办证需要什么材料").sentiment == "中性"


def test_a_batch_reads_each_text_as_alone() -> None:
    texts = ["反映多少次了都没人管，太过分了", "  ", "好的，谢谢你们，辛苦了", "请问怎么办证"]
    assert assess_sentiment_many(texts) == [assess_sentiment(text) for text in texts]
    assert assess_sentiment_many([]) == []


@pytest.mark.parametrize(
    "text",
    [
        "我要退钱他们不给退",  # wronged
        "老板欠俺们工资半年了，咋整嘛",
        "油烟直接往我们楼上排，窗户都不敢开",  # a nuisance lived with
        "路灯坏了，老人晚上出来都摔了一跤",  # harm
        "交了四千多，等了两个月也不安排",
        "长河菜场门口水管爆了，吓死人了！",  # distress
        "广场舞音响开得震天响，跟她们说了也没用。请管一管，谢谢",  # thanks, still a complaint
        "燃气费这个月一下子扣了六百多",
    ],
)
def test_complaints_harm_and_distress_are_negative(text: str) -> None:
    assert assess_sentiment(text).sentiment == "负面"


@pytest.mark.parametrize(
    "text",
    [
        "公厕的门坏了，请派人来修一下",  # reporting a fault is not yet a complaint
        "停水的话去哪里接水？",  # nor is an enquiry about a problem
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


def test_the_model_weighs_only_known_cue_families() -> None:
    assert set(COMPLAINT_WEIGHTS) <= set(FEATURES)
    assert all(COMPLAINT_WEIGHTS[name] < 0 for name in ("enquiry", "thanks"))
    # Being wronged weighs more than being kept waiting, and that more than nobody acting.
    assert COMPLAINT_WEIGHTS["wronged"] > COMPLAINT_WEIGHTS["delay"] > COMPLAINT_WEIGHTS["neglect"]


@pytest.mark.parametrize(
    ("text", "family", "counted"),
    [
        ("孩子们都下来了，没人受伤", "harm", False),  # denied
        ("有老人差点受伤", "harm", False),  # narrowly missed
        ("我不小心摔了一跤", "harm", True),  # 不 belongs to 不小心, not to the fall
        ("那边倒是不臭", "nuisance", False),
        ("垃圾房臭得要死", "nuisance", True),
        ("材料交到街道三个礼拜了没回音", "delay", True),  # kept waiting
    ],
)
def test_cues_count_unless_denied_or_missed(
    text: str, family: str, counted: bool
) -> None:
    assert bool(cue_words(text)[family]) is counted


def test_each_family_counts_at_most_twice() -> None:
    counts = cue_counts(cue_words("！！！！太吵了"))
    assert counts["exclaim"] == 2.0 and counts["nuisance"] == 1.0


def test_intensity_and_exclamation_raise_the_complaint() -> None:
    plain = complaint_probability(cue_counts(cue_words("楼下有油烟")))
    strong = complaint_probability(cue_counts(cue_words("楼下油烟熏得要命！")))
    assert strong > plain


def test_being_kept_waiting_past_a_promise_is_a_complaint_even_calmly() -> None:
    text = "我问一下过渡费，说好每季度发，这都两个季度没发了"
    assert assess_sentiment(text).sentiment == "负面"  # CALLS.md, as adjudicated


def test_the_model_is_weighed_with_the_cues() -> None:
    result = assess_sentiment("物业说好上个月修电梯，到现在也没人来，我们老人天天爬楼")
    assert result.model is not None and set(result.model) == {"负面", "中性", "正面"}
    cues = cue_reading("物业说好上个月修电梯，到现在也没人来，我们老人天天爬楼")
    assert cues.model is None and result.negative == cues.negative


def test_thanks_at_the_end_does_not_cancel_a_complaint() -> None:
    result = assess_sentiment("老板拖欠工资三个月了，一分钱都没给。麻烦你们了，谢谢")
    assert result.sentiment == "负面"
    assert result.complaint >= 0.5 and "谢谢" in result.positive


def test_waiting_calmly_for_a_benefit_is_less_of_a_complaint_than_being_cheated() -> None:
    waiting = assess_sentiment("我想问一下，高龄津贴说好这个月发，还没发")
    cheated = assess_sentiment("我买的东西是假货，商家还不给退")
    assert cheated.sentiment == "负面" and waiting.complaint < cheated.complaint
