"""Hot topics stored in Neo4j: the demo city's recent tickets, rebuilt and read back."""

from __future__ import annotations

from datetime import datetime

from kg.ontology import CITY_TIMEZONE
from kg.store import GraphStore
from kg.topic import list_topics, read_ticket_digests
from nlu.topics import build_topics


def test_the_demo_load_finds_its_recurring_problems(demo_graph: GraphStore) -> None:
    topics = list_topics(demo_graph, limit=50)
    assert len(topics) >= 5
    names = " ".join(t.name for t in topics)
    for place in ("槐树社区", "运河社区", "闻涛社区", "茶园社区"):
        assert place in names, names
    lamp = next(t for t in topics if "槐树社区" in t.name)
    assert "路灯" in lamp.keywords and lamp.ticket_count >= 10
    assert lamp.trend == "上升" and lamp.category == "市政设施"
    assert lamp.districts[0].name == "滨江区"
    assert sum(d.count for d in lamp.daily) == lamp.ticket_count
    assert len(lamp.sample_tickets) == 3 and all(s["summary"] for s in lamp.sample_tickets)


def test_topics_filter_by_district(demo_graph: GraphStore) -> None:
    everywhere = list_topics(demo_graph, limit=50)
    jiangbei = list_topics(demo_graph, district="江北区", limit=50)
    assert jiangbei and len(jiangbei) < len(everywhere)
    assert all(any(d.name == "江北区" for d in t.districts) for t in jiangbei)
    assert list_topics(demo_graph, district="不存在区") == []


def test_a_rebuild_replaces_the_topics_and_their_edges(demo_graph: GraphStore) -> None:
    before = {t.id for t in list_topics(demo_graph, limit=100)}
    report = build_topics(demo_graph)
    after = list_topics(demo_graph, limit=100)
    assert report.topics == len(after) and not before & {t.id for t in after}
    stale = demo_graph.read(
        "MATCH (t:Ticket)-[r:IN_TOPIC]->(p:Topic) WITH p, count(r) AS n "
        "WHERE n <> p.ticket_count RETURN count(p) AS bad"
    )
    assert stale == [{"bad": 0}]


def test_digests_carry_category_and_regions(demo_graph: GraphStore) -> None:
    now = datetime.now(CITY_TIMEZONE)
    digests = read_ticket_digests(demo_graph, now.replace(year=now.year - 1), now)
    lamp = [d for d in digests if d.id.startswith("DEMO-H01")]
    assert lamp and all(d.community == "槐树社区" and d.district == "滨江区" for d in lamp)
    assert all(d.category_l1 == "城乡建设" for d in lamp)
