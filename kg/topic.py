"""Hot topics in the graph: what clustering reads (ticket digests) and what it stores.

A Topic is a group of tickets about one problem in one place within a time window (the
Xuhui case: many callers, one broken thing). ``nlu.topics`` does the clustering; this module
reads the tickets it needs, stores the Topic nodes with IN_TOPIC (ticket → topic), AT
(topic → region, with how many tickets) and ABOUT (topic → its main category) edges, and
reads topics back for the API with their daily counts.

A rebuild writes the new topics first and only then removes the topics of earlier builds,
so readers never see an empty list and a failed rebuild leaves the old topics in place.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from kg.records import GraphBundle, NodeRef
from kg.store import GraphStore, WriteSummary

Trend = Literal["上升", "持平", "下降"]


class TicketDigest(BaseModel):
    """What topic clustering needs of one stored ticket."""

    id: str
    call_time: datetime
    text: str = Field(description="the summary and the transcript")
    category_l1: str | None = None
    category_id: str | None = None
    district: str | None = None
    street: str | None = None
    community: str | None = None
    region_id: str | None = None
    address_raw: str | None = None


class TopicPlace(BaseModel):
    """A place where a topic's tickets concentrate, with how many are there."""

    name: str
    region_id: str | None = None
    ticket_count: int = Field(ge=1)


class HotTopic(BaseModel):
    """One hot topic: the problem, where, when, how many, and whether it is growing."""

    id: str
    name: str
    keywords: list[str]
    ticket_count: int = Field(ge=1)
    recent_count: int = Field(ge=0, description="tickets in the later half of the window")
    earlier_count: int = Field(ge=0, description="tickets in the earlier half of the window")
    trend: Trend
    hot_score: float
    period_start: date
    period_end: date
    category_id: str | None = None
    places: list[TopicPlace] = Field(default_factory=list)
    ticket_ids: list[str] = Field(description="member tickets, most representative first")
    centrality: list[float] = Field(description="how close each member is to the topic")


class DailyCount(BaseModel):
    """Tickets of a topic on one day."""

    day: date
    count: int


class StoredTopic(BaseModel):
    """A topic as the API shows it: the topic, its places, samples and day-by-day counts."""

    id: str
    name: str
    keywords: list[str]
    ticket_count: int
    recent_count: int
    earlier_count: int
    trend: str
    hot_score: float
    period_start: date
    period_end: date
    category: str | None = None
    top_places: list[str] = Field(default_factory=list)
    districts: list[TopicPlace] = Field(default_factory=list)
    sample_tickets: list[dict[str, str | None]] = Field(default_factory=list)
    daily: list[DailyCount] = Field(default_factory=list)


def read_ticket_digests(store: GraphStore, since: datetime, until: datetime) -> list[TicketDigest]:
    """The tickets that came in within [since, until], with their category and regions."""
    return store.read_models(
        "MATCH (t:Ticket) WHERE t.call_time >= $since AND t.call_time <= $until "
        "OPTIONAL MATCH (t)-[:ABOUT]->(c:Category) "
        "OPTIONAL MATCH (c)-[:SUBCATEGORY_OF*0..3]->(top:Category) "
        "WHERE NOT (top)-[:SUBCATEGORY_OF]->() "
        "OPTIONAL MATCH (t)-[:AT]->(r:Region) "
        "OPTIONAL MATCH (r)-[:PART_OF*0..3]->(up:Region) "
        "WITH t, c, top, r, collect(DISTINCT up) AS ups "
        "RETURN t.id AS id, t.call_time AS call_time, "
        "coalesce(t.summary, '') + '\n' + coalesce(t.transcript, '') AS text, "
        "top.name AS category_l1, c.id AS category_id, r.id AS region_id, "
        "head([u IN ups WHERE u:District | u.name]) AS district, "
        "head([u IN ups WHERE u:Street | u.name]) AS street, "
        "head([u IN ups WHERE u:Community | u.name]) AS community, "
        "t.address_raw AS address_raw ORDER BY t.call_time",
        TicketDigest,
        since=since,
        until=until,
    )


def topics_bundle(topics: list[HotTopic], built_at: datetime) -> GraphBundle:
    """Topic nodes with their IN_TOPIC, AT and ABOUT edges."""
    bundle = GraphBundle()
    for topic in topics:
        node = bundle.node(
            "Topic",
            id=topic.id,
            name=topic.name,
            keywords=topic.keywords,
            ticket_count=topic.ticket_count,
            recent_count=topic.recent_count,
            earlier_count=topic.earlier_count,
            trend=topic.trend,
            hot_score=topic.hot_score,
            period_start=topic.period_start,
            period_end=topic.period_end,
            top_places=[place.name for place in topic.places],
            created_at=built_at,
        )
        for ticket_id, centrality in zip(topic.ticket_ids, topic.centrality, strict=True):
            bundle.rel("IN_TOPIC", NodeRef(label="Ticket", key=ticket_id), node,
                       centrality=centrality)
        for place in topic.places:
            if place.region_id:
                bundle.rel("AT", node, NodeRef(label="Region", key=place.region_id),
                           ticket_count=place.ticket_count)
        if topic.category_id:
            bundle.rel("ABOUT", node, NodeRef(label="Category", key=topic.category_id))
    return bundle


def replace_topics(store: GraphStore, topics: list[HotTopic], built_at: datetime) -> WriteSummary:
    """Store a new build of topics, then drop the topics of earlier builds."""
    summary = store.write_bundle(topics_bundle(topics, built_at))
    store.write(
        "MATCH (p:Topic) WHERE p.created_at IS NULL OR p.created_at < $built_at DETACH DELETE p",
        built_at=built_at,
    )
    return summary


def list_topics(
    store: GraphStore, *, district: str | None = None, limit: int = 20, samples: int = 3
) -> list[StoredTopic]:
    """The stored topics, hottest first, optionally only those with tickets in one district.

    Sample tickets are the most representative members with distinct summaries.
    """
    return store.read_models(
        "MATCH (p:Topic) "
        "WHERE $district IS NULL OR EXISTS { "
        "  MATCH (p)-[:AT]->(:Region)-[:PART_OF*0..3]->(d:District) "
        "  WHERE d.name = $district OR $district IN coalesce(d.aliases, []) } "
        "WITH p ORDER BY p.hot_score DESC, p.ticket_count DESC LIMIT $limit "
        "OPTIONAL MATCH (p)-[:ABOUT]->(c:Category) "
        "CALL (p) { "
        "  MATCH (p)-[at:AT]->(:Region)-[:PART_OF*0..3]->(d:District) "
        "  WITH d, sum(at.ticket_count) AS n ORDER BY n DESC "
        "  RETURN collect({name: d.name, region_id: d.id, ticket_count: n}) AS districts } "
        "CALL (p) { "
        "  MATCH (t:Ticket)-[m:IN_TOPIC]->(p) WITH t, m ORDER BY m.centrality DESC "
        "  WITH t.summary AS summary, head(collect({id: t.id, at: toString(t.call_time), "
        "    centrality: m.centrality})) AS best "
        "  WITH summary, best ORDER BY best.centrality DESC LIMIT $samples "
        "  RETURN collect({id: best.id, summary: summary, call_time: best.at}) "
        "    AS sample_tickets } "
        "CALL (p) { "
        "  MATCH (t:Ticket)-[:IN_TOPIC]->(p) WITH date(t.call_time) AS day, count(*) AS n "
        "  ORDER BY day RETURN collect({day: day, count: n}) AS daily } "
        "RETURN p.id AS id, p.name AS name, p.keywords AS keywords, "
        "p.ticket_count AS ticket_count, p.recent_count AS recent_count, "
        "p.earlier_count AS earlier_count, p.trend AS trend, p.hot_score AS hot_score, "
        "p.period_start AS period_start, p.period_end AS period_end, c.name AS category, "
        "coalesce(p.top_places, []) AS top_places, districts, sample_tickets, daily "
        "ORDER BY p.hot_score DESC, p.ticket_count DESC",
        StoredTopic,
        district=district,
        limit=limit,
        samples=samples,
    )
