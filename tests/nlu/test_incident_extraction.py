"""Incident drafts from hand-written emergency reports: hazard, time, place and counts."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from nlu.evaluate_incidents import match_spans
from nlu.incidents import extract_incident
from nlu.incidents.hazards import CEC_CATEGORY, HazardType
from nlu.incidents.times import find_times

_REFERENCE = datetime(2021, 7, 9, 10, 0)
_EMERGENCY_YAML = Path(__file__).parents[2] / "ingest" / "demo" / "data" / "emergency.yaml"


@pytest.mark.parametrize(("text", "hazard"), [
    ("甘肃某县发生4.6级地震\n震中位于县城以西，多地震感明显。", "地震"),
    ("某市一商场起火\n火势迅速蔓延，消防赶到后将大火扑灭。", "火灾"),
    ("两车相撞致3死\n一辆货车与客车在高速上相撞，司机当场身亡。", "交通事故"),
    ("某校学生集体食物中毒\n学生午餐后出现呕吐、腹泻症状。", "食物中毒"),
    ("某国首都遭恐怖袭击\n一名武装分子引爆自杀式炸弹。", "恐怖袭击"),
    ("暴雨致城市内涝，多条道路积水。", "内涝"),
])
def test_the_hazard_type_is_read(text: str, hazard: HazardType) -> None:
    draft = extract_incident(text)
    assert draft.hazard == hazard
    assert all(text[e.start : e.end] == e.text for e in draft.hazard_evidence)


def test_hazard_types_are_the_demo_citys_and_cecs() -> None:
    demo = {h["name"] for h in yaml.safe_load(_EMERGENCY_YAML.read_text("utf-8"))["hazards"]}
    ours = set(HazardType.__args__)  # type: ignore[attr-defined]
    assert demo <= ours and ours - demo == {"恐怖袭击"}
    assert set(CEC_CATEGORY.values()) == {"地震", "火灾", "交通事故", "食物中毒", "恐怖袭击"}


def test_written_and_relative_times_resolve_against_the_report() -> None:
    text = "2021年7月8日14时28分发生地震，昨日凌晨2时30分再次余震，当晚8时许，目前仍在救援。"
    times = find_times(text, _REFERENCE)
    assert [t.text for t in times] == ["2021年7月8日14时28分", "昨日凌晨2时30分", "当晚8时许",
                                       "目前"]
    assert times[0].time == datetime(2021, 7, 8, 14, 28)
    assert times[1].time == datetime(2021, 7, 8, 2, 30)
    assert times[2].time == datetime(2021, 7, 9, 20, 0)
    assert times[3].date is None
    assert all(text[t.start : t.end] == t.text for t in times)


def test_chinese_numerals_and_full_width_digits_are_times() -> None:
    times = find_times("二〇二一年七月八日下午三点半起火，２０时许扑灭。", _REFERENCE)
    assert times[0].time == datetime(2021, 7, 8, 15, 30)
    assert times[1].text == "２０时许"


def test_a_numbered_thing_is_no_day() -> None:
    assert find_times("3号仓库起火", _REFERENCE) == []


def test_without_a_reference_only_full_dates_resolve() -> None:
    times = find_times("2021年7月8日发生事故，昨日凌晨又发生一起。", None)
    assert times[0].date == date(2021, 7, 8) and times[1].date is None


def test_places_keep_their_words_and_units() -> None:
    text = "7月8日，甘肃省甘南藏族自治州夏河县发生地震，救援队已赶到现场。"
    draft = extract_incident(text, _REFERENCE)
    assert draft.location is not None
    assert draft.location.text == "甘肃省甘南藏族自治州夏河县"
    assert draft.location.units == ["甘肃省", "甘南藏族自治州", "夏河县"]
    assert any(p.generic and p.text == "现场" for p in draft.locations)
    assert draft.time is not None and draft.time.date == date(2021, 7, 8)


def test_a_dateline_is_not_the_incident_place() -> None:
    draft = extract_incident("新华社杭州7月8日电 某县一工厂发生火灾。")
    assert [(p.text, p.dateline) for p in draft.locations] == [("杭州", True)]
    assert draft.location is None


@pytest.mark.parametrize(("text", "places"), [
    ("事故发生在南湖路与北岸街的十字路口处，两车相撞。", ["南湖路与北岸街的十字路口处"]),
    ("昨日在318国道江口镇附近发生车祸。", ["318国道江口镇附近"]),
    ("货车翻下公路右侧10多米深的山沟，两人被困驾驶室内。",
     ["公路右侧10多米深的山沟", "驾驶室内"]),
    ("宁夏、青海、甘肃等地有明显震感。", ["宁夏", "青海", "甘肃"]),
])
def test_a_place_is_the_whole_phrase_of_where_it_happened(text: str, places: list[str]) -> None:
    assert [p.text for p in extract_incident(text).locations] == places


def test_a_place_that_only_qualifies_a_noun_is_no_location() -> None:
    draft = extract_incident("杭州市消防支队接到报警后赶到现场，当地时间下午起火。")
    assert [(p.text, p.generic) for p in draft.locations] == [("现场", True)]


def test_scene_words_count_only_after_a_locative_word() -> None:
    draft = extract_incident("伤者被送往医院救治，现场救援人员称货车侧翻在路中央。")
    assert [(p.text, p.generic) for p in draft.locations] == [("医院", True), ("路中央", True)]
    assert draft.location is not None and draft.location.text == "医院"


def test_casualties_in_digits_and_chinese_numerals() -> None:
    draft = extract_incident("事故造成二十三人死亡，5人受伤，2人失踪；另一起车祸致2死3伤。")
    found = [(c.kind, c.count) for c in draft.casualties]
    assert found == [("death", 23), ("injury", 5), ("missing", 2), ("death", 2), ("injury", 3)]


def test_casualty_counts_after_the_word_and_loose_counts() -> None:
    draft = extract_incident("死亡人数升至12人，另有20多名学生中毒，多人受伤。")
    found = [(c.kind, c.count, c.at_least) for c in draft.casualties]
    assert found == [("death", 12, False), ("injury", 20, True), ("injury", None, False)]


def test_losses_and_resources_with_counts() -> None:
    text = "火灾造成直接经济损失约300万元，消防部门出动消防车12辆、3艘冲锋舟和两支救援队。"
    draft = extract_incident(text)
    assert [loss.amount_yuan for loss in draft.losses] == [3_000_000]
    assert [(r.resource, r.count) for r in draft.resources] == [
        ("消防车", 12), ("冲锋舟", 3), ("救援队", 2)]
    for item in (*draft.losses, *draft.resources):
        assert text[item.start : item.end] == item.text


def test_spans_match_one_to_one() -> None:
    gold = [(0, 4), (6, 8)]
    assert match_spans([(0, 4), (6, 9)], gold, strict=True) == 1
    assert match_spans([(0, 4), (6, 9)], gold, strict=False) == 2
    assert match_spans([(0, 9)], gold, strict=False) == 1
