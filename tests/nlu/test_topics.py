"""Hot-topic clustering on tickets whose themes and places are known."""

from __future__ import annotations

from datetime import datetime, timedelta

from kg.ontology import CITY_TIMEZONE
from kg.topic import TicketDigest
from nlu.topics import TopicSettings, cluster_topics, content_tokens

NOW = datetime(2026, 5, 31, 18, 0, tzinfo=CITY_TIMEZONE)

THEMES = {
    "lamp": ("长河社区", "C1", [
        "长河路上的路灯坏了，晚上一片漆黑", "长河路路灯不亮好几天了，请来修路灯",
        "反映长河路的路灯晚上全部熄灭", "长河路路灯坏了走路很危险", "路灯不亮，长河路黑漆漆的",
    ]),
    "noise": ("运河社区", "C2", [
        "运河边工地夜间施工噪音太大睡不着", "工地半夜施工打桩，噪音扰民",
        "投诉夜间施工噪音，工地凌晨还在干", "工地噪音吵到凌晨，夜间施工", "夜间施工噪音严重扰民",
    ]),
    "water": ("上坞村", "C3", [
        "上坞村停水两天了没有通知", "村里一直停水，什么时候恢复供水", "停水了，自来水一滴都没有",
        "上坞村自来水停水，请抢修恢复供水",
    ]),
}
SINGLES = [
    "咨询灵活就业人员怎么缴纳社保", "餐馆油烟直排，楼上住户受影响", "小区电梯经常故障困人",
    "孩子上小学学区怎么划分", "菜市场商贩缺斤短两",
]


def _digests() -> list[TicketDigest]:
    digests = []
    for theme, (community, region, texts) in THEMES.items():
        for k, text in enumerate(texts):
            digests.append(TicketDigest(
                id=f"{theme}-{k}", call_time=NOW - timedelta(days=2 + 3 * k), text=text,
                community=community, region_id=region, district="滨江区",
            ))
    digests.extend(
        TicketDigest(id=f"single-{k}", call_time=NOW - timedelta(days=k), text=text,
                     community="江南社区", region_id="C9", district="滨江区")
        for k, text in enumerate(SINGLES)
    )
    return digests


def test_each_theme_becomes_one_topic_with_its_place() -> None:
    topics = cluster_topics(_digests(), NOW, NOW)
    groups = {frozenset(t.ticket_ids) for t in topics}
    for theme, (_, _, texts) in THEMES.items():
        assert frozenset(f"{theme}-{k}" for k in range(len(texts))) in groups
    assert len(topics) == 3
    for topic in topics:
        assert topic.places[0].name in {"长河社区", "运河社区", "上坞村"}
        assert topic.places[0].region_id in {"C1", "C2", "C3"}
        assert topic.name.startswith(topic.places[0].name)
        assert topic.keywords and len(topic.centrality) == topic.ticket_count
        assert topic.centrality == sorted(topic.centrality, reverse=True)
    assert len({t.id for t in topics}) == 3


def test_hottest_first_and_trend_compares_the_window_halves() -> None:
    topics = cluster_topics(_digests(), NOW, NOW, TopicSettings(window_days=20))
    scores = [t.hot_score for t in topics]
    assert scores == sorted(scores, reverse=True)
    lamp = next(t for t in topics if t.ticket_ids[0].startswith("lamp"))
    # days 2, 5, 8 are in the later half of 20 days, 11 and 14 in the earlier one
    assert (lamp.recent_count, lamp.earlier_count) == (3, 2)
    assert lamp.trend == "持平"
    assert lamp.period_start == (NOW - timedelta(days=14)).date()


def test_groups_below_the_minimum_are_not_topics() -> None:
    topics = cluster_topics(_digests(), NOW, NOW, TopicSettings(min_tickets=5))
    assert {t.ticket_count for t in topics} == {5}
    assert cluster_topics([], NOW, NOW) == []


def test_the_same_words_in_unrelated_places_are_discounted() -> None:
    far = [d.model_copy(update={"community": f"社区{k}", "region_id": f"X{k}"})
           for k, d in enumerate(_digests())]
    strict = cluster_topics(far, NOW, NOW, TopicSettings(place_weight=1.0))
    assert strict == []


def test_filler_words_and_agent_lines_are_not_content() -> None:
    tokens = content_tokens("坐席：您好，请问有什么可以帮您？\n市民：你好，长河路的路灯坏了")
    assert "路灯" in tokens
    assert not {"你好", "您好", "请问", "帮您"} & set(tokens)
