"""The Ticket contract (DESIGN.md) and how a confirmed ticket is stored in the graph.

The field names are fixed so evaluations and clients can rely on them. ``nlu`` fills a
Ticket from a transcript; this module turns it into a Ticket node with ABOUT (category),
AT (the most specific region known) and ROUTED_TO (departments, with confidence and
reason) edges, and reads it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from kg.errors import NotFoundError
from kg.records import GraphBundle, NodeRef
from kg.store import GraphStore, WriteSummary

Urgency = Literal["紧急", "一般"]
Sentiment = Literal["负面", "中性", "正面"]


class TicketAddress(BaseModel):
    """Where the problem is: the words used and the regions they resolve to."""

    raw: str | None = None
    district: str | None = None
    street: str | None = None
    community: str | None = None
    district_id: str | None = None
    street_id: str | None = None
    community_id: str | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)


class TicketCategory(BaseModel):
    """First- and second-level category of the 12345 tree."""

    l1: str | None = None
    l2: str | None = None
    l1_id: str | None = None
    l2_id: str | None = None


class DepartmentRoute(BaseModel):
    """A department the ticket may go to, with how sure and why."""

    name: str
    id: str | None = None
    confidence: float = Field(ge=0.0, le=1.0)
    reason: str


class EntitySpan(BaseModel):
    """An entity found in the transcript, with its character span."""

    text: str
    label: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Ticket(BaseModel):
    """A 12345 ticket: the contract of DESIGN.md."""

    id: str = Field(min_length=1, max_length=64)
    call_time: datetime
    caller_name: str | None = None
    phone: str | None = None
    address: TicketAddress = Field(default_factory=TicketAddress)
    event_time: datetime | None = None
    category: TicketCategory = Field(default_factory=TicketCategory)
    summary: str = Field(default="", max_length=80)
    urgency: Urgency = "一般"
    urgency_reason: str = ""
    sentiment: Sentiment = "中性"
    departments: list[DepartmentRoute] = Field(default_factory=list)
    entities: list[EntitySpan] = Field(default_factory=list)
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    transcript: str = ""


def ticket_bundle(ticket: Ticket) -> GraphBundle:
    """The Ticket node and its ABOUT, AT and ROUTED_TO edges (only to ids the ticket names)."""
    bundle = GraphBundle()
    node = bundle.node(
        "Ticket",
        id=ticket.id,
        call_time=ticket.call_time,
        caller_name=ticket.caller_name,
        phone=ticket.phone,
        event_time=ticket.event_time,
        summary=ticket.summary,
        urgency=ticket.urgency,
        urgency_reason=ticket.urgency_reason,
        sentiment=ticket.sentiment,
        confidence=ticket.confidence,
        transcript=ticket.transcript,
        status="已登记",
    )
    category_id = ticket.category.l2_id or ticket.category.l1_id
    if category_id:
        bundle.rel("ABOUT", node, NodeRef(label="Category", key=category_id))
    address = ticket.address
    for label, region_id in (
        ("Community", address.community_id),
        ("Street", address.street_id),
        ("District", address.district_id),
    ):
        if region_id:
            bundle.rel("AT", node, NodeRef(label=label, key=region_id))
            break
    for route in ticket.departments:
        if route.id:
            bundle.rel(
                "ROUTED_TO",
                node,
                NodeRef(label="Department", key=route.id),
                confidence=route.confidence,
                reason=route.reason,
            )
    return bundle


def store_ticket(store: GraphStore, ticket: Ticket) -> WriteSummary:
    """Store a confirmed ticket; storing the same id again updates it (idempotent)."""
    return store.write_bundle(ticket_bundle(ticket))


class StoredTicket(BaseModel):
    """A ticket as the graph holds it: its properties, category, place and routes."""

    id: str
    properties: dict[str, Any]
    category: str | None = None
    category_id: str | None = None
    place: str | None = None
    place_id: str | None = None
    routes: list[DepartmentRoute] = Field(default_factory=list)


def get_ticket(store: GraphStore, ticket_id: str) -> StoredTicket:
    """The stored ticket with its ABOUT, AT and ROUTED_TO neighbours, or NotFoundError."""
    rows = store.read_models(
        "MATCH (t:Ticket {id: $id}) "
        "OPTIONAL MATCH (t)-[:ABOUT]->(c:Category) "
        "OPTIONAL MATCH (t)-[:AT]->(r:Region) "
        "OPTIONAL MATCH (t)-[rt:ROUTED_TO]->(d:Department) "
        "WITH t, c, r, d, rt ORDER BY rt.confidence DESC "
        "RETURN t.id AS id, properties(t) AS properties, c.name AS category, c.id AS category_id, "
        "r.name AS place, r.id AS place_id, "
        "[x IN collect(CASE WHEN d IS NULL THEN NULL ELSE {id: d.id, name: d.name, "
        "confidence: rt.confidence, reason: rt.reason} END) WHERE x IS NOT NULL] AS routes",
        StoredTicket,
        id=ticket_id,
    )
    if not rows:
        raise NotFoundError(f"no ticket with id {ticket_id!r}")
    return rows[0]
