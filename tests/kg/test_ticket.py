"""Storing tickets: ABOUT/AT/ROUTED_TO/MENTIONS edges, idempotence, re-stores and bulk writes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from kg.errors import MissingNodeError
from kg.rdf import RdfExporter, RdfImporter
from kg.records import GraphBundle, NodeRef
from kg.store import GraphStore
from kg.ticket import (
    DepartmentRoute,
    EntitySpan,
    Ticket,
    TicketAddress,
    TicketCategory,
    get_ticket,
    resolve_mentions,
    store_ticket,
    store_tickets,
)

TRANSCRIPT = (
    "市民：长河社区的路灯坏了，城管和区住建局都说不归他们管。"
    "我在滨江银行上班，邻居张伟也反映过，找过不存在局。我叫王秀英。"
)
SPANS = [  # (text, NER label, ontology class)
    ("长河社区", "address", "Address"),
    ("城管", "government", "Department"),  # an alias of 区城管局
    ("区住建局", "government", "Department"),  # a name
    ("滨江银行", "company", "Company"),  # a Bank, a subclass of Company
    ("张伟", "name", "Person"),  # two people have this name
    ("不存在局", "government", "Department"),  # no such node
    ("王秀英", "CALLER", None),
]
# A fixed offset, as the API parses it: the driver crashes on zoneinfo datetimes.
CALL_TIME = datetime(2025, 5, 12, 9, 31, tzinfo=timezone(timedelta(hours=8)))


def _city() -> GraphBundle:
    bundle = GraphBundle()
    district = bundle.node("District", id="R1", name="滨江区", aliases=["滨江"])
    street = bundle.node("Street", id="R1-1", name="长河街道")
    bundle.rel("PART_OF", street, district)
    for key, name in (("R1-1-1", "长河社区"), ("R1-1-2", "江边社区")):
        bundle.rel("PART_OF", bundle.node("Community", id=key, name=name), street)
    bundle.node("Department", id="D1", name="区城管局", aliases=["城管局", "城管"])
    bundle.node("Department", id="D2", name="区住建局")
    bundle.node("Bank", id="B1", name="滨江银行")
    bundle.node("Person", id="P1", name="张伟")
    bundle.node("Person", id="P2", name="张伟")
    l1 = bundle.node("Category", id="C01", name="城乡建设")
    bundle.rel("SUBCATEGORY_OF", bundle.node("Category", id="C01-01", name="路灯"), l1)
    return bundle


def _span(text: str, label: str, cls: str | None) -> EntitySpan:
    start = TRANSCRIPT.index(text)
    return EntitySpan(text=text, label=label, start=start, end=start + len(text),
                      ontology_class=cls)


def _ticket(ticket_id: str = "T1", spans: list[tuple[str, str, str | None]] = SPANS,
            **changes: Any) -> Ticket:
    ticket = Ticket(
        id=ticket_id,
        call_time=CALL_TIME,
        address=TicketAddress(district_id="R1", street_id="R1-1", community_id="R1-1-1"),
        category=TicketCategory(l1_id="C01", l2_id="C01-01"),
        departments=[DepartmentRoute(name="区城管局", id="D1", confidence=0.8, reason="路灯")],
        entities=[_span(*span) for span in spans],
        transcript=TRANSCRIPT,
    )
    return ticket.model_copy(update=changes)


def _edges(store: GraphStore, ticket_id: str = "T1") -> list[tuple[str, str, int | None]]:
    rows = store.read(
        "MATCH (:Ticket {id: $id})-[r]->(x) RETURN type(r) AS t, x.id AS x, r.start AS s",
        id=ticket_id,
    )
    return sorted((row["t"], row["x"], row["s"]) for row in rows)


@pytest.fixture()
def city(graph: GraphStore) -> GraphStore:
    graph.write_bundle(_city())
    return graph


def test_spans_link_only_to_nodes_the_graph_already_holds(city: GraphStore) -> None:
    nodes_before = city.counts().total_nodes
    store_ticket(city, _ticket())
    assert city.counts().total_nodes == nodes_before + 1  # the ticket; no Person for the caller
    start = TRANSCRIPT.index
    assert _edges(city) == sorted([
        ("ABOUT", "C01-01", None), ("AT", "R1-1-1", None), ("ROUTED_TO", "D1", None),
        ("MENTIONS", "R1-1-1", start("长河社区")), ("MENTIONS", "D1", start("城管")),
        ("MENTIONS", "D2", start("区住建局")), ("MENTIONS", "B1", start("滨江银行")),
    ])
    edge = city.read("MATCH (:Ticket)-[r:MENTIONS]->(:Department {id: 'D1'}) "
                     "RETURN properties(r) AS p")[0]["p"]
    assert edge == {"start": start("城管"), "end": start("城管") + 2, "text": "城管",
                    "label": "government"}


def test_a_stored_ticket_shows_every_span_and_its_link(city: GraphStore) -> None:
    store_ticket(city, _ticket())
    back = get_ticket(city, "T1")
    assert [(m.text, m.label) for m in back.mentions] == [(t, label) for t, label, _ in SPANS]
    linked = {m.text: m.node for m in back.mentions}
    assert linked["长河社区"] == NodeRef(label="Community", key="R1-1-1")
    assert linked["城管"] == NodeRef(label="Department", key="D1")
    assert linked["滨江银行"] == NodeRef(label="Bank", key="B1")
    assert linked["张伟"] is None and linked["不存在局"] is None and linked["王秀英"] is None
    caller = back.mentions[-1]
    assert TRANSCRIPT[caller.start:caller.end] == "王秀英"
    assert not any(name.startswith("entity_") for name in back.properties)
    assert back.place_id == "R1-1-1" and back.routes[0].id == "D1"


def test_storing_again_is_idempotent(city: GraphStore) -> None:
    store_ticket(city, _ticket())
    before = (city.counts(), _edges(city), get_ticket(city, "T1"))
    store_ticket(city, _ticket())
    assert (city.counts(), _edges(city), get_ticket(city, "T1")) == before


def test_an_edited_ticket_keeps_no_stale_edges(city: GraphStore) -> None:
    store_ticket(city, _ticket())
    edited = _ticket(
        spans=[("区住建局", "government", "Department"), ("长河社区", "address", "Address")],
        address=TicketAddress(street_id="R1-1"),
        departments=[DepartmentRoute(name="区住建局", id="D2", confidence=0.6, reason="改派")],
    )
    store_ticket(city, edited)
    assert _edges(city) == sorted([
        ("ABOUT", "C01-01", None), ("AT", "R1-1", None), ("ROUTED_TO", "D2", None),
        ("MENTIONS", "D2", TRANSCRIPT.index("区住建局")),
        ("MENTIONS", "R1-1", TRANSCRIPT.index("长河社区")),
    ])
    assert [m.text for m in get_ticket(city, "T1").mentions] == ["区住建局", "长河社区"]
    store_ticket(city, _ticket(spans=[]))
    assert not [edge for edge in _edges(city) if edge[0] == "MENTIONS"]
    assert get_ticket(city, "T1").mentions == []


def test_a_refused_ticket_keeps_what_was_stored(city: GraphStore) -> None:
    store_ticket(city, _ticket())
    before = _edges(city)
    bad = _ticket(spans=[], departments=[
        DepartmentRoute(name="不存在", id="D999", confidence=0.5, reason="测试")])
    with pytest.raises(MissingNodeError, match="D999"):
        store_ticket(city, bad)
    assert _edges(city) == before


def test_edges_the_ticket_does_not_own_survive_a_restore(city: GraphStore) -> None:
    store_ticket(city, _ticket())
    city.write("CREATE (:Topic {id: 'TP1', name: '路灯故障'})")
    city.write("MATCH (t:Ticket {id: 'T1'}), (p:Topic {id: 'TP1'}) CREATE (t)-[:IN_TOPIC]->(p)")
    store_ticket(city, _ticket(spans=[]))
    assert ("IN_TOPIC", "TP1", None) in _edges(city)


def test_unknown_classes_and_placeless_addresses_stay_unlinked(city: GraphStore) -> None:
    ticket = _ticket(spans=[("长河社区", "address", "Address"), ("城管", "government", "Starship")],
                     address=TicketAddress())
    store_ticket(city, ticket)
    assert [m.node for m in get_ticket(city, "T1").mentions] == [None, None]


def test_many_tickets_resolve_in_one_read_and_write_in_batches(
    city: GraphStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    tickets = [_ticket(f"T{i:04d}") for i in range(500)]
    reads: list[str] = []
    real_read = city.read

    def counted_read(cypher: str, **params: Any) -> list[dict[str, Any]]:
        reads.append(cypher)
        return real_read(cypher, **params)

    monkeypatch.setattr(city, "read", counted_read)
    mentions = resolve_mentions(city, tickets)
    assert len(reads) == 1 and all(len(m) == 4 for m in mentions)
    monkeypatch.undo()
    city.batch_size = 200
    summary = store_tickets(city, [*tickets, _ticket("T0000", spans=[])])  # the last copy wins
    assert summary.nodes == 500 and summary.batches > 3
    counts = city.counts()
    assert counts.nodes["Ticket"] == 500
    assert counts.relationships["MENTIONS"] == 499 * 4
    assert get_ticket(city, "T0000").mentions == []


def test_tickets_survive_an_rdf_round_trip(city: GraphStore, tmp_path: Path) -> None:
    store_tickets(city, [_ticket(), _ticket("T2", spans=[])])
    before = (get_ticket(city, "T1"), get_ticket(city, "T2"), city.counts())
    path = tmp_path / "tickets.ttl"
    RdfExporter(city).export(path, "turtle")
    city.clear()
    RdfImporter(city.ontology).load(city, path, "turtle")
    assert (get_ticket(city, "T1"), get_ticket(city, "T2"), city.counts()) == before
