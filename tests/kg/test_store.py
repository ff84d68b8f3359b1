"""GraphStore against the project's real Neo4j server."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import SecretStr

from kg.errors import GraphQueryError, GraphUnavailableError, MissingNodeError, OntologyError
from kg.records import GraphBundle, NodeRecord, NodeRef, RelRecord
from kg.server import Neo4jConnection
from kg.store import GraphStore


def _city() -> GraphBundle:
    bundle = GraphBundle()
    city = bundle.node("City", id="R01", name="滨江市")
    district = bundle.node("District", id="R01-01", name="滨江区", aliases=["滨江"])
    bundle.rel("PART_OF", district, city)
    dept = bundle.node("Department", id="D001", name="滨江市住房和城乡建设局", aliases=["住建局"])
    bundle.rel("JURISDICTION_OVER", dept, district)
    return bundle


def test_upserts_are_idempotent_and_typed(graph: GraphStore) -> None:
    first = graph.write_bundle(_city())
    assert (first.nodes, first.relationships) == (3, 2)
    graph.write_bundle(_city())
    counts = graph.counts()
    assert counts.total_nodes == 3 and counts.total_relationships == 2
    assert counts.nodes["Region"] == 2 and counts.nodes["District"] == 1
    graph.upsert_nodes([NodeRecord(label="Policy", properties={
        "id": "PO1", "name": "政策", "valid_from": "2025-03-01"})])
    row = graph.read("MATCH (p:Policy {id: 'PO1'}) RETURN p.valid_from AS d")[0]
    assert row["d"] == date(2025, 3, 1)


def test_batches_larger_than_the_batch_size(graph: GraphStore) -> None:
    graph.batch_size = 7
    nodes = [NodeRecord(label="Person", properties={"id": f"P{i}", "name": f"人{i}"})
             for i in range(50)]
    summary = graph.upsert_nodes(nodes)
    assert summary.nodes == 50 and summary.batches == 8
    assert graph.counts().nodes["Person"] == 50


def test_parallel_relationships_are_told_apart_by_their_edge_key(graph: GraphStore) -> None:
    bundle = GraphBundle()
    a = bundle.node("Account", id="A1")
    b = bundle.node("Account", id="A2")
    for tx in ("T1", "T2", "T1"):
        bundle.rel("TRANSFERS", a, b, tx_id=tx, amount=10.0)
    graph.write_bundle(bundle)
    assert graph.counts().relationships["TRANSFERS"] == 2


def test_unknown_terms_are_refused_before_anything_is_written(graph: GraphStore) -> None:
    bundle = _city()
    bundle.nodes.append(NodeRecord(label="Spaceship", properties={"id": "X"}))
    with pytest.raises(OntologyError, match="unknown label 'Spaceship'"):
        graph.write_bundle(bundle)
    assert graph.counts().total_nodes == 0


def test_missing_endpoints_are_named_and_nothing_is_written(graph: GraphStore) -> None:
    bundle = _city()
    bundle.rel("HANDLES", NodeRef(label="Department", key="D001"),
               NodeRef(label="Category", key="C99-99"))
    with pytest.raises(MissingNodeError, match="C99-99"):
        graph.write_bundle(bundle)
    assert graph.counts().total_nodes == 0
    graph.write_bundle(_city())
    with pytest.raises(MissingNodeError, match="nothing of this batch"):
        graph.upsert_relationships([
            RelRecord(type="PART_OF", start=NodeRef(label="District", key="R01-01"),
                      end=NodeRef(label="City", key="R01")),
            RelRecord(type="PART_OF", start=NodeRef(label="Street", key="nowhere"),
                      end=NodeRef(label="City", key="R01")),
        ])
    assert graph.counts().total_relationships == 2


def test_query_errors_and_unreachable_servers_are_clear(graph: GraphStore) -> None:
    with pytest.raises(GraphQueryError, match="Neo4j refused the query"):
        graph.read("MATCH (n RETURN n")
    dead = GraphStore(Neo4jConnection(uri="bolt://127.0.0.1:1", password="x"),
                      max_retry_time_s=0.5)
    with pytest.raises(GraphUnavailableError, match="not reachable"):
        dead.verify()
    dead.close()


def test_wrong_password_is_reported(graph: GraphStore) -> None:
    conn = graph.connection.model_copy(update={"password": SecretStr("wrong-password")})
    with GraphStore(conn, max_retry_time_s=0.5) as store, pytest.raises(
        GraphUnavailableError, match="refused the login"
    ):
        store.verify()


def test_schema_matches_the_ontology(graph: GraphStore) -> None:
    from kg.schema import schema_statements

    expected = {s.name for s in schema_statements(graph.ontology)}
    graph.apply_schema()
    names = {r["name"] for r in graph.read("SHOW CONSTRAINTS YIELD name RETURN name")}
    names |= {r["name"] for r in graph.read("SHOW INDEXES YIELD name RETURN name")}
    assert expected <= names
    constraints = {r["name"]: r for r in graph.read(
        "SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties RETURN *")}
    assert constraints["company_id_unique"]["labelsOrTypes"] == ["Company"]
    assert graph.apply_schema()  # a second time is a no-op, not an error


def test_vector_and_fulltext_indexes_answer(graph: GraphStore) -> None:
    graph.apply_schema()
    entries = []
    for i, vec in enumerate([[1.0, 0.0], [0.0, 1.0], [0.7, 0.7]]):
        entries.append(NodeRecord(label="KnowledgeEntry", properties={
            "id": f"K{i}", "question": f"如何办理公积金提取{i}", "answer": "携带身份证",
            "embedding": vec * 192}))
    graph.upsert_nodes(entries)
    graph.read("CALL db.awaitIndexes(60)")
    nearest = graph.read(
        "CALL db.index.vector.queryNodes('knowledgeentry_embedding_vector', 2, $v) "
        "YIELD node, score RETURN node.id AS id", v=[1.0, 0.05] * 192)
    assert nearest[0]["id"] == "K0"
    found = graph.read("CALL db.index.fulltext.queryNodes('knowledge_text', '公积金') "
                       "YIELD node RETURN count(node) AS c")
    assert found[0]["c"] == 3
