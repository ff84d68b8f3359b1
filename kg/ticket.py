"""The Ticket contract (DESIGN.md) and how a confirmed ticket is stored in the graph.

The field names are fixed so evaluations and clients can rely on them. ``nlu`` fills a
Ticket from a transcript; this module turns it into a Ticket node with ABOUT (category),
AT (the most specific region known), ROUTED_TO (departments, with confidence and reason)
and MENTIONS (entity spans that name a node already in the graph) edges, and reads it back.

Every extracted span is kept on the Ticket node as four parallel typed lists
(``entity_texts``, ``entity_labels``, ``entity_starts``, ``entity_ends``), so a stored
ticket shows everything the NLU found; a span that names a node also gets a
``(:Ticket)-[:MENTIONS {start, end, text, label}]->(node)`` edge. Spans never create nodes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from kg.errors import NotFoundError
from kg.ontology import Ontology
from kg.records import GraphBundle, NodeRef, RelRecord
from kg.store import GraphStore, WriteSummary

log = logging.getLogger(__name__)

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
    ontology_class: str | None = None  # the class a node it names has, e.g. Department


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


ADDRESS_CLASS = "Address"
# The edges a stored ticket owns: storing it again replaces them (IN_TOPIC etc. stay).
TICKET_EDGES = ("ABOUT", "AT", "ROUTED_TO", "MENTIONS")
_ENTITY_LISTS = ("entity_texts", "entity_labels", "entity_starts", "entity_ends")
_PRUNE = (
    "UNWIND $tickets AS t "
    f"MATCH (:Ticket {{id: t.id}})-[r:{'|'.join(TICKET_EDGES)}]->(x) "
    "WHERE NOT any(k IN t.keep WHERE k.type = type(r) AND k.label IN labels(x) "
    "AND x[k.key_prop] = k.key AND (k.edge_key IS NULL OR r[k.edge_key] = k.edge_value)) "
    "DELETE r RETURN count(*) AS deleted"
)
_GET_TICKET = (
    "MATCH (t:Ticket {id: $id}) "
    "OPTIONAL MATCH (t)-[:ABOUT]->(c:Category) "
    "OPTIONAL MATCH (t)-[:AT]->(r:Region) "
    "OPTIONAL MATCH (t)-[rt:ROUTED_TO]->(d:Department) "
    "WITH t, c, r, d, rt ORDER BY rt.confidence DESC "
    "RETURN t.id AS id, properties(t) AS properties, c.name AS category, c.id AS category_id, "
    "r.name AS place, r.id AS place_id, "
    "[x IN collect(CASE WHEN d IS NULL THEN NULL ELSE {id: d.id, name: d.name, "
    "confidence: rt.confidence, reason: rt.reason} END) WHERE x IS NOT NULL] AS routes, "
    "[(t)-[m:MENTIONS]->(n) | {start: m.start, end: m.end, labels: labels(n), key: n.id}] "
    "AS links"
)


def _place(ticket: Ticket) -> NodeRef | None:
    address = ticket.address
    for label, region_id in (
        ("Community", address.community_id),
        ("Street", address.street_id),
        ("District", address.district_id),
    ):
        if region_id:
            return NodeRef(label=label, key=region_id)
    return None


def ticket_bundle(ticket: Ticket, mentions: Mapping[int, NodeRef] | None = None) -> GraphBundle:
    """The Ticket node and its ABOUT, AT, ROUTED_TO and MENTIONS edges (only to ids named).

    ``mentions`` maps the index of an entity span to the node it names (see
    :func:`resolve_mentions`); every span is kept on the node, linked or not, so the stored
    ticket shows all that was extracted.
    """
    bundle = GraphBundle()
    spans = ticket.entities
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
        address_raw=ticket.address.raw,
        status="已登记",
        entity_texts=[span.text for span in spans],
        entity_labels=[span.label for span in spans],
        entity_starts=[span.start for span in spans],
        entity_ends=[span.end for span in spans],
    )
    category_id = ticket.category.l2_id or ticket.category.l1_id
    if category_id:
        bundle.rel("ABOUT", node, NodeRef(label="Category", key=category_id))
    place = _place(ticket)
    if place:
        bundle.rel("AT", node, place)
    for route in ticket.departments:
        if route.id:
            bundle.rel(
                "ROUTED_TO",
                node,
                NodeRef(label="Department", key=route.id),
                confidence=route.confidence,
                reason=route.reason,
            )
    _add_mentions(bundle, node, spans, mentions or {})
    return bundle


def _add_mentions(
    bundle: GraphBundle,
    ticket: NodeRef,
    spans: Sequence[EntitySpan],
    mentions: Mapping[int, NodeRef],
) -> None:
    linked: set[tuple[int, NodeRef]] = set()
    for index, target in sorted(mentions.items()):
        span = spans[index]
        if (span.start, target) in linked:  # one edge per (start, node): the MERGE key
            continue
        linked.add((span.start, target))
        span_props = {"start": span.start, "end": span.end, "text": span.text, "label": span.label}
        bundle.relationships.append(
            RelRecord(type="MENTIONS", start=ticket, end=target, properties=span_props)
        )


def resolve_mentions(store: GraphStore, tickets: Sequence[Ticket]) -> list[dict[int, NodeRef]]:
    """For each ticket, which of its entity spans name a node already in the graph.

    A span of class Address names the region the ticket is AT; any other span names the one
    node of its ``ontology_class`` (or a subclass) whose name, else one of whose aliases, is
    exactly the span's text. A text that fits several nodes names none of them: a wrong link
    is worse than none. The spans of all tickets are looked up in a single read query.
    """
    found = _find_named(store, _names_by_class(store.ontology, tickets))
    return [_ticket_mentions(ticket, found) for ticket in tickets]


def _names_by_class(onto: Ontology, tickets: Iterable[Ticket]) -> dict[str, set[str]]:
    wanted: dict[str, set[str]] = defaultdict(set)
    unknown: set[str] = set()
    for ticket in tickets:
        for span in ticket.entities:
            cls = span.ontology_class
            if not cls or cls == ADDRESS_CLASS:
                continue
            if cls in onto.classes and onto.classes[cls].materialized:
                wanted[cls].add(span.text)
            else:
                unknown.add(cls)
    if unknown:
        log.warning("spans of classes %s stay unlinked: not in the ontology", sorted(unknown))
    return wanted


def _find_named(
    store: GraphStore, wanted: Mapping[str, set[str]]
) -> dict[tuple[str, str], NodeRef]:
    """(class, text) → the one node of that class the text names, read in one UNION query."""
    if not wanted:
        return {}
    onto = store.ontology
    parts: list[str] = []
    params: dict[str, Any] = {}
    for i, (cls, names) in enumerate(sorted(wanted.items())):
        params[f"cls{i}"], params[f"names{i}"] = cls, sorted(names)
        parts.append(
            f"MATCH (x:`{cls}`) WHERE x.name IN $names{i} "
            f"OR any(a IN coalesce(x.aliases, []) WHERE a IN $names{i}) "
            f"RETURN $cls{i} AS cls, labels(x) AS labels, x.`{onto.key_of(cls)}` AS key, "
            "x.name AS name, coalesce(x.aliases, []) AS aliases"
        )
    by_name: dict[tuple[str, str], set[NodeRef]] = defaultdict(set)
    by_alias: dict[tuple[str, str], set[NodeRef]] = defaultdict(set)
    for row in store.read(" UNION ALL ".join(parts), **params):
        ref = NodeRef(label=onto.most_specific(row["labels"]), key=str(row["key"]))
        names = wanted[row["cls"]]
        if row["name"] in names:
            by_name[(row["cls"], row["name"])].add(ref)
        for alias in names.intersection(row["aliases"]):
            by_alias[(row["cls"], alias)].add(ref)
    return _unique(by_name, by_alias)


def _unique(
    by_name: Mapping[tuple[str, str], set[NodeRef]],
    by_alias: Mapping[tuple[str, str], set[NodeRef]],
) -> dict[tuple[str, str], NodeRef]:
    found: dict[tuple[str, str], NodeRef] = {}
    for key in by_name.keys() | by_alias.keys():
        refs = by_name.get(key) or by_alias[key]
        if len(refs) == 1:
            found[key] = next(iter(refs))
        else:
            log.debug("%s %r names %d nodes; left unlinked", key[0], key[1], len(refs))
    return found


def _ticket_mentions(
    ticket: Ticket, found: Mapping[tuple[str, str], NodeRef]
) -> dict[int, NodeRef]:
    place = _place(ticket)
    mentions: dict[int, NodeRef] = {}
    for index, span in enumerate(ticket.entities):
        if span.ontology_class == ADDRESS_CLASS:
            target = place
        else:
            target = found.get((span.ontology_class or "", span.text))
        if target is not None:
            mentions[index] = target
    return mentions


def store_tickets(store: GraphStore, tickets: Sequence[Ticket]) -> WriteSummary:
    """Store confirmed tickets in batched writes, e.g. thousands of messages in a bulk ingest.

    The spans of all tickets are resolved in one read; the tickets' nodes and edges are
    validated and MERGEd as one bundle, so storing a ticket again changes nothing; then the
    ABOUT/AT/ROUTED_TO/MENTIONS edges that the new version no longer names are deleted, so an
    edited ticket keeps no stale place, route or mention. When an id repeats, the last wins.

    The prune runs after the MERGE, in its own transactions, not in one with it: the
    GraphStore already writes a ticket's node and each edge type in separate transactions,
    and deleting only after a successful write means a refused ticket (an unknown
    department) keeps its old edges; a failure between the two steps leaves at worst a stale
    edge that the next store removes, never a missing one.
    """
    latest = list({ticket.id: ticket for ticket in tickets}.values())
    mentions = resolve_mentions(store, latest)
    bundles = [ticket_bundle(t, m) for t, m in zip(latest, mentions, strict=True)]
    merged = GraphBundle()
    for bundle in bundles:
        merged.extend(bundle)
    summary = store.write_bundle(merged)
    return summary.add(_prune_edges(store, latest, bundles))


def store_ticket(store: GraphStore, ticket: Ticket) -> WriteSummary:
    """Store one confirmed ticket; storing the same id again updates it (idempotent)."""
    return store_tickets(store, [ticket])


def _kept_edges(onto: Ontology, bundle: GraphBundle) -> list[dict[str, Any]]:
    kept = []
    for rel in bundle.relationships:
        edge_key = onto.relationships[rel.type].edge_key
        kept.append({
            "type": rel.type,
            "label": onto.merge_label(rel.end.label),
            "key_prop": onto.key_of(rel.end.label),
            "key": rel.end.key,
            "edge_key": edge_key,
            "edge_value": rel.properties.get(edge_key) if edge_key else None,
        })
    return kept


def _prune_edges(
    store: GraphStore, tickets: Sequence[Ticket], bundles: Sequence[GraphBundle]
) -> WriteSummary:
    rows = [
        {"id": ticket.id, "keep": _kept_edges(store.ontology, bundle)}
        for ticket, bundle in zip(tickets, bundles, strict=True)
    ]
    deleted = batches = 0
    for begin in range(0, len(rows), store.batch_size):
        result = store.write(_PRUNE, tickets=rows[begin : begin + store.batch_size])
        deleted += result[0]["deleted"]
        batches += 1
    if deleted:
        log.info("removed %d edge(s) that re-stored tickets no longer name", deleted)
    return WriteSummary(batches=batches)


class StoredMention(BaseModel):
    """An entity span of a stored ticket and, when it names one, the node it is linked to."""

    text: str
    label: str
    start: int
    end: int
    node: NodeRef | None = None


class StoredTicket(BaseModel):
    """A ticket as the graph holds it: its properties, category, place, routes and mentions."""

    id: str
    properties: dict[str, Any]
    category: str | None = None
    category_id: str | None = None
    place: str | None = None
    place_id: str | None = None
    routes: list[DepartmentRoute] = Field(default_factory=list)
    mentions: list[StoredMention] = Field(default_factory=list)


def get_ticket(store: GraphStore, ticket_id: str) -> StoredTicket:
    """The stored ticket with its ABOUT, AT, ROUTED_TO and MENTIONS neighbours, or NotFoundError.

    Its entity spans come back as ``mentions`` (in the order extracted), each with the node
    it links to, rather than as the raw parallel lists in ``properties``.
    """
    rows = store.read(_GET_TICKET, id=ticket_id)
    if not rows:
        raise NotFoundError(f"no ticket with id {ticket_id!r}")
    return _stored_ticket(store.ontology, rows[0])


def _stored_ticket(onto: Ontology, row: dict[str, Any]) -> StoredTicket:
    props = row["properties"]
    texts, labels, starts, ends = (props.pop(name, []) for name in _ENTITY_LISTS)
    links = {
        (link["start"], link["end"]): NodeRef(
            label=onto.most_specific(link["labels"]), key=link["key"]
        )
        for link in row.pop("links")
    }
    mentions = [
        StoredMention(text=text, label=label, start=start, end=end, node=links.get((start, end)))
        for text, label, start, end in zip(texts, labels, starts, ends, strict=True)
    ]
    return StoredTicket.model_validate({**row, "mentions": mentions})
