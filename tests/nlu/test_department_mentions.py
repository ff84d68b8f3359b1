"""Departments the agent hands a call to, found in the agent's words."""

from __future__ import annotations

import pytest

from kg.routing_table import RoutingDepartment
from nlu.department_mentions import DepartmentMentions
from nlu.transcript import split_turns

DEPARTMENTS = [
    RoutingDepartment(id="ENV", name="滨江市生态环境局", aliases=["生态环境局", "环保局"]),
    RoutingDepartment(id="CIVIL", name="滨江市民政局", aliases=["民政局"]),
    RoutingDepartment(id="POLICE", name="滨江市公安局", aliases=["公安局", "派出所"]),
    RoutingDepartment(id="ER", name="滨江市医疗急救中心", aliases=["急救中心", "120"]),
    RoutingDepartment(id="HOTLINE", name="滨江市12345热线管理中心", aliases=["12345热线"]),
    RoutingDepartment(id="CITY", name="滨江市综合行政执法局", aliases=["城管局", "城管"]),
    RoutingDepartment(id="NORTH_CITY", name="江北区综合行政执法局", aliases=["江北区城管局"]),
]


@pytest.fixture(scope="module")
def mentions() -> DepartmentMentions:
    return DepartmentMentions(DEPARTMENTS)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        # Generic office words after a name's core, and aliases as they are.
        ("好的，我们转环保部门处理。", {"ENV"}),
        ("我们马上联系救助站和属地民警。", {"CIVIL", "POLICE"}),
        ("已经通知城管了。", {"CITY"}),
        ("我们转城管部门去查看。", {"CITY", "NORTH_CITY"}),
        ("这个我们转生态环境局核查", {"ENV"}),
    ],
)
def test_departments_the_call_is_handed_to(
    mentions: DepartmentMentions, text: str, ids: set[str]
) -> None:
    assert mentions.handed_to(split_turns(f"坐席：{text}")) == ids


@pytest.mark.parametrize(
    "text",
    [
        "您好，12345热线，请讲。",  # a greeting
        "孩子情况严重的话请先拨打120。",  # advice, not a hand-over
        "好的，我们转相关部门处理。",  # no department named
        "",
    ],
)
def test_greetings_advice_and_vague_hand_overs_name_none(
    mentions: DepartmentMentions, text: str
) -> None:
    assert mentions.handed_to(split_turns(f"坐席：{text}")) == frozenset()


def test_only_the_agent_hands_a_call_over(mentions: DepartmentMentions) -> None:
    assert mentions.handed_to(split_turns("市民：我已经联系过环保部门了。")) == frozenset()
