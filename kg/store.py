"""GraphStore: the one way the project reads and writes Neo4j.

It owns the driver, retries transient failures (the driver's managed transactions), checks
every record against the ontology before anything is written, and writes in batches of
idempotent ``UNWIND … MERGE`` statements, one transaction per batch, so a rerun changes
nothing and a bad batch leaves nothing half-written.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone
from itertools import islice
from types import TracebackType
from typing import Any, TypeVar

from neo4j import READ_ACCESS, Driver, GraphDatabase, ManagedTransaction, Session
from neo4j import exceptions as neo4j_errors
from neo4j.time import Date, DateTime, Duration, Time
from pydantic import BaseModel

from kg.errors import GraphQueryError, GraphUnavailableError, MissingNodeError
from kg.ontology import Ontology, ValidNode, ValidRel, load_ontology
from kg.records import GraphBundle, NodeRecord, NodeRef, RelRecord
from kg.schema import schema_statements
from kg.server import Neo4jConnection
from kg.settings import Settings, get_settings

log = logging.getLogger(__name__)

Progress = Callable[[int], object]
ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")


class WriteSummary(BaseModel):
    """How many records a write touched and in how many transactions."""

    nodes: int = 0
    relationships: int = 0
    batches: int = 0

    def add(self, other: WriteSummary) -> WriteSummary:
        """Sum of two summaries, for writes made of several parts."""
        return WriteSummary(
            nodes=self.nodes + other.nodes,
            relationships=self.relationships + other.relationships,
            batches=self.batches + other.batches,
        )


class GraphCounts(BaseModel):
    """Node counts per label and relationship counts per type, with the totals."""

    nodes: dict[str, int]
    relationships: dict[str, int]
    total_nodes: int
    total_relationships: int


def plain(value: Any) -> Any:
    """A value read from Neo4j turned into plain Python (temporal types, nested lists and maps)."""
    if isinstance(value, (DateTime, Date, Time)):
        return value.to_native()
    if isinstance(value, Duration):
        return str(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def bolt_value(value: Any) -> Any:
    """A parameter made safe to send: zone-aware datetimes get a fixed UTC offset.

    The driver (6.4 on CPython 3.11) crashes the process when it packs a datetime whose
    tzinfo is a ``ZoneInfo``; a fixed offset names the same instant and packs fine.
    """
    if isinstance(value, datetime) and value.tzinfo is not None:
        offset = value.utcoffset()
        return value.astimezone(timezone(offset)) if offset is not None else value
    if isinstance(value, list | tuple):
        return [bolt_value(v) for v in value]
    if isinstance(value, dict):
        return {k: bolt_value(v) for k, v in value.items()}
    return value


def _batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _q(name: str) -> str:
    return f"`{name}`"


class GraphStore:
    """Typed, validated, batched access to the Neo4j graph."""

    def __init__(
        self,
        connection: Neo4jConnection,
        *,
        ontology: Ontology | None = None,
        batch_size: int = 500,
        max_retry_time_s: float = 15.0,
    ) -> None:
        self.connection = connection
        self.ontology = ontology or load_ontology()
        self.batch_size = batch_size
        password = connection.password.get_secret_value() if connection.password else None
        auth = (connection.user, password) if password else None
        self._driver: Driver = GraphDatabase.driver(
            connection.uri,
            auth=auth,
            max_transaction_retry_time=max_retry_time_s,
            connection_acquisition_timeout=30.0,
        )

    @classmethod
    def from_settings(
        cls, connection: Neo4jConnection, settings: Settings | None = None
    ) -> GraphStore:
        """A store on ``connection`` with the batch size and retry time from settings."""
        settings = settings or get_settings()
        return cls(
            connection,
            batch_size=settings.write_batch_size,
            max_retry_time_s=settings.neo4j_max_retry_time_s,
        )

    # -- lifecycle -------------------------------------------------------------------
    def close(self) -> None:
        """Close the driver and its connections."""
        self._driver.close()

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def verify(self) -> None:
        """Raise GraphUnavailableError unless the server answers and accepts our login."""
        try:
            self._driver.verify_connectivity()
        except neo4j_errors.AuthError as exc:
            raise GraphUnavailableError(
                f"Neo4j at {self.connection.uri} refused the login of {self.connection.user!r}: "
                f"{exc.message}"
            ) from exc
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired, OSError) as exc:
            raise GraphUnavailableError(
                f"Neo4j at {self.connection.uri} is not reachable: {exc}"
            ) from exc

    # -- low-level reads and writes --------------------------------------------------
    def _run(self, work: Callable[[ManagedTransaction], T], *, write: bool) -> T:
        try:
            with self._driver.session(database=self.connection.database) as session:
                if write:
                    return session.execute_write(work)
                return session.execute_read(work)
        except (neo4j_errors.ServiceUnavailable, neo4j_errors.SessionExpired) as exc:
            raise GraphUnavailableError(
                f"Neo4j at {self.connection.uri} is not reachable: {exc}"
            ) from exc
        except neo4j_errors.AuthError as exc:
            raise GraphUnavailableError(f"Neo4j refused the login: {exc.message}") from exc
        except neo4j_errors.Neo4jError as exc:
            raise GraphQueryError(f"Neo4j refused the query: {exc.message}") from exc

    def read_session(self) -> Session:
        """A READ session on the store's database, for a caller that runs its own read
        transactions (time limits, streaming with a row cap: :mod:`kg.cypher_guard`)."""
        return self._driver.session(database=self.connection.database,
                                    default_access_mode=READ_ACCESS)

    def read(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of a read-only query as plain Python dictionaries."""

        safe = bolt_value(params)

        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            return [plain(record.data()) for record in tx.run(cypher, safe)]

        return self._run(work, write=False)

    def read_models(self, cypher: str, model: type[ModelT], **params: Any) -> list[ModelT]:
        """Rows of a read-only query validated into ``model`` instances."""
        return [model.model_validate(row) for row in self.read(cypher, **params)]

    def write(self, cypher: str, **params: Any) -> list[dict[str, Any]]:
        """Rows of a write query, run in one transaction with retries on transient errors."""

        safe = bolt_value(params)

        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            return [plain(record.data()) for record in tx.run(cypher, safe)]

        return self._run(work, write=True)

    # -- schema ----------------------------------------------------------------------
    def apply_schema(self) -> list[str]:
        """Create every constraint and index the ontology asks for; returns their names."""
        names = []
        for statement in schema_statements(self.ontology):
            with self._driver.session(database=self.connection.database) as session:
                try:
                    session.run(statement.cypher).consume()
                except neo4j_errors.Neo4jError as exc:
                    raise GraphQueryError(
                        f"could not create {statement.kind} {statement.name}: {exc.message}"
                    ) from exc
            names.append(statement.name)
        self.read("CALL db.awaitIndexes(300)")
        return names

    # -- validated upserts -----------------------------------------------------------
    def upsert_nodes(
        self, records: Iterable[NodeRecord], progress: Progress | None = None
    ) -> WriteSummary:
        """Validate every node first, then MERGE them on their key, batch by batch."""
        valid = [self.ontology.validate_node(r) for r in records]
        groups: dict[tuple[str, tuple[str, ...], str], list[ValidNode]] = defaultdict(list)
        for node in valid:
            groups[(node.merge_label, tuple(node.labels), node.key)].append(node)
        summary = WriteSummary()
        for (merge_label, labels, key), nodes in groups.items():
            extra = "".join(f":{_q(label)}" for label in labels if label != merge_label)
            cypher = (
                f"UNWIND $rows AS row MERGE (n:{_q(merge_label)} {{{_q(key)}: row.key}}) "
                f"SET n += row.props" + (f" SET n{extra}" if extra else "")
            )
            for batch in _batches(nodes, self.batch_size):
                rows = [{"key": n.key_value, "props": n.properties} for n in batch]
                self.write(cypher, rows=rows)
                summary = summary.add(WriteSummary(nodes=len(batch), batches=1))
                if progress:
                    progress(len(batch))
        return summary

    def upsert_relationships(
        self, records: Iterable[RelRecord], progress: Progress | None = None
    ) -> WriteSummary:
        """Validate every relationship first, then MERGE them between existing nodes."""
        valid = [self.ontology.validate_rel(r) for r in records]
        groups: dict[tuple[str, str, str, str | None], list[ValidRel]] = defaultdict(list)
        for rel in valid:
            groups[(rel.type, rel.start_label, rel.end_label, rel.edge_key)].append(rel)
        summary = WriteSummary()
        for (rel_type, start_label, end_label, edge_key), rels in groups.items():
            start_key = self.ontology.key_of(start_label)
            end_key = self.ontology.key_of(end_label)
            merge_props = f" {{{_q(edge_key)}: row.props.{_q(edge_key)}}}" if edge_key else ""
            cypher = (
                f"UNWIND $rows AS row "
                f"MATCH (a:{_q(start_label)} {{{_q(start_key)}: row.start}}) "
                f"MATCH (b:{_q(end_label)} {{{_q(end_key)}: row.end}}) "
                f"MERGE (a)-[r:{_q(rel_type)}{merge_props}]->(b) SET r += row.props "
                f"RETURN count(r) AS written"
            )
            for batch in _batches(rels, self.batch_size):
                rows = [
                    {"start": r.start_key, "end": r.end_key, "props": r.properties} for r in batch
                ]
                self._write_rel_batch(cypher, rows, rel_type, start_label, end_label)
                summary = summary.add(WriteSummary(relationships=len(batch), batches=1))
                if progress:
                    progress(len(batch))
        return summary

    def _write_rel_batch(
        self, cypher: str, rows: list[dict[str, Any]], rel_type: str, start: str, end: str
    ) -> None:
        def work(tx: ManagedTransaction) -> None:
            record = tx.run(cypher, rows=bolt_value(rows)).single()
            written = record["written"] if record else 0
            if written != len(rows):
                missing = self._missing_endpoints(tx, rows, start, end)
                raise MissingNodeError(
                    f"{rel_type}: {len(rows) - written} relationship(s) name nodes that are not "
                    f"in the graph: {', '.join(missing[:10])}; nothing of this batch was written"
                )

        self._run(work, write=True)

    def _missing_endpoints(
        self, tx: ManagedTransaction, rows: list[dict[str, Any]], start: str, end: str
    ) -> list[str]:
        wanted = {(start, r["start"]) for r in rows} | {(end, r["end"]) for r in rows}
        refs = [NodeRef(label=label, key=key) for label, key in sorted(wanted)]
        return [f"{r.label} {r.key!r}" for r in self._absent(tx, refs)]

    def _absent(self, tx: ManagedTransaction, refs: Sequence[NodeRef]) -> list[NodeRef]:
        absent: list[NodeRef] = []
        by_label: dict[str, list[str]] = defaultdict(list)
        for ref in refs:
            by_label[self.ontology.merge_label(ref.label)].append(ref.key)
        for label, keys in by_label.items():
            key = self.ontology.key_of(label)
            found = {
                rec["k"]
                for rec in tx.run(
                    f"UNWIND $keys AS k MATCH (n:{_q(label)} {{{_q(key)}: k}}) RETURN k", keys=keys
                )
            }
            absent.extend(NodeRef(label=label, key=k) for k in keys if k not in found)
        return absent

    def missing_nodes(self, refs: Sequence[NodeRef]) -> list[NodeRef]:
        """Which of ``refs`` are not in the graph."""
        return self._run(lambda tx: self._absent(tx, refs), write=False)

    def write_bundle(self, bundle: GraphBundle, progress: Progress | None = None) -> WriteSummary:
        """Write a whole bundle: check everything first (ontology and endpoints), then write."""
        for node in bundle.nodes:
            self.ontology.validate_node(node)
        for rel in bundle.relationships:
            self.ontology.validate_rel(rel)
        onto = self.ontology
        in_bundle = {
            (onto.merge_label(n.label), str(n.properties.get(onto.key_of(n.label))))
            for n in bundle.nodes
        }
        outside = {
            NodeRef(label=self.ontology.merge_label(ref.label), key=ref.key)
            for rel in bundle.relationships
            for ref in (rel.start, rel.end)
        }
        outside = {ref for ref in outside if (ref.label, ref.key) not in in_bundle}
        if outside and (absent := self.missing_nodes(sorted(outside, key=str))):
            names = ", ".join(f"{r.label} {r.key!r}" for r in absent[:10])
            raise MissingNodeError(
                f"{len(absent)} relationship endpoint(s) are neither in the data nor in the "
                f"graph: {names}; nothing was written"
            )
        summary = self.upsert_nodes(bundle.nodes, progress)
        return summary.add(self.upsert_relationships(bundle.relationships, progress))

    # -- inspection ------------------------------------------------------------------
    def counts(self) -> GraphCounts:
        """Node counts per label and relationship counts per type (from Neo4j's count store)."""
        labels = [row["label"] for row in self.read("CALL db.labels() YIELD label RETURN label")]
        types = [
            row["t"]
            for row in self.read("CALL db.relationshipTypes() YIELD relationshipType AS t RETURN t")
        ]
        nodes = {
            label: self.read(f"MATCH (n:{_q(label)}) RETURN count(n) AS c")[0]["c"]
            for label in labels
        }
        rels = {
            t: self.read(f"MATCH ()-[r:{_q(t)}]->() RETURN count(r) AS c")[0]["c"] for t in types
        }
        return GraphCounts(
            nodes={k: v for k, v in sorted(nodes.items()) if v},
            relationships={k: v for k, v in sorted(rels.items()) if v},
            total_nodes=self.read("MATCH (n) RETURN count(n) AS c")[0]["c"],
            total_relationships=self.read("MATCH ()-[r]->() RETURN count(r) AS c")[0]["c"],
        )

    def clear(self) -> None:
        """Delete every node and relationship, in batches (the schema stays)."""
        with self._driver.session(database=self.connection.database) as session:
            session.run(
                "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 5000 ROWS"
            ).consume()
