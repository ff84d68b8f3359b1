"""The Cypher guard on the demo city: hostile queries are refused and the graph stays as it was."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kg.cypher_guard import (
    CypherGuard,
    GuardPolicy,
    RefusalReason,
    UnsafeCypherError,
    check_text,
)
from kg.ontology import load_ontology
from kg.store import GraphStore

HOSTILE = [
    ("MATCH (n) DETACH DELETE n", RefusalReason.WRITE),
    ("CREATE (:Company {id: $id})", RefusalReason.WRITE),
    ("MATCH (c:Company {id: $id}) SET c.status = $s", RefusalReason.WRITE),
    ("MERGE (c:Company {id: $id}) RETURN c", RefusalReason.WRITE),
    ("MATCH (c:Company) REMOVE c.name", RefusalReason.WRITE),
    ("CALL dbms.components()", RefusalReason.ADMIN),
    ("CALL dbms.security.createUser('x', 'y', false)", RefusalReason.ADMIN),
    ("CALL apoc.cypher.runWrite('MATCH (n) DELETE n', {})", RefusalReason.PROCEDURE),
    ("RETURN apoc.cypher.runFirstColumnSingle($q, {})", RefusalReason.FUNCTION),
    ("LOAD CSV FROM 'file:///etc/passwd' AS r RETURN r", RefusalReason.LOAD_CSV),
    ("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS", RefusalReason.PERIODIC_COMMIT),
    ("MATCH (n) RETURN n; MATCH (m) DETACH DELETE m", RefusalReason.MULTIPLE_STATEMENTS),
    ("EXPLAIN MATCH (n) RETURN n", RefusalReason.PREFIX),
    ("SHOW USERS", RefusalReason.ADMIN),
    ("MATCH (c:Company {name: '滨江城投'}) RETURN c.id", RefusalReason.LITERAL),
    ("MATCH (c:Company {id: $id}) RETURN c.name", RefusalReason.MISSING_PARAMETER),
    ("", RefusalReason.EMPTY),
]


@pytest.fixture()
def guard(demo_graph: GraphStore) -> Iterator[CypherGuard]:
    """A guard on the demo graph; the test fails if the graph changed meanwhile."""
    before = _size(demo_graph)
    yield CypherGuard(demo_graph, GuardPolicy(max_rows=20, timeout_s=5.0))
    assert _size(demo_graph) == before


def _size(store: GraphStore) -> tuple[int, int]:
    nodes = store.read("MATCH (n) RETURN count(n) AS c")[0]["c"]
    rels = store.read("MATCH ()-[r]->() RETURN count(r) AS c")[0]["c"]
    return int(nodes), int(rels)


@pytest.mark.parametrize(("cypher", "reason"), HOSTILE)
def test_hostile_text_is_refused_before_the_server(cypher: str, reason: RefusalReason) -> None:
    with pytest.raises(UnsafeCypherError) as refused:
        check_text(cypher, {}, load_ontology())
    assert refused.value.reason is reason
    assert refused.value.code == "E013" and "拒绝执行" in refused.value.message


@pytest.mark.parametrize(("cypher", "reason"), HOSTILE[:12])
def test_hostile_queries_never_run(guard: CypherGuard, cypher: str, reason: RefusalReason
                                   ) -> None:
    with pytest.raises(UnsafeCypherError) as refused:
        guard.run(cypher, {"id": "CO-00329", "s": "注销", "q": "MATCH (n) RETURN n"})
    assert refused.value.reason is reason


def test_the_plan_refuses_a_full_scan_without_limit(guard: CypherGuard) -> None:
    with pytest.raises(UnsafeCypherError) as refused:
        guard.run("MATCH (n) RETURN n")
    assert refused.value.reason is RefusalReason.UNBOUNDED


def test_an_injected_name_stays_a_parameter(guard: CypherGuard) -> None:
    name = "'}) DETACH DELETE n //"
    result = guard.run("MATCH (c:Company) WHERE c.name = $name RETURN c.id AS id", {"name": name})
    assert result.rows == []


def test_a_safe_query_runs_with_a_row_cap_and_a_subgraph(guard: CypherGuard) -> None:
    result = guard.run("MATCH (c:Company)-[r:GUARANTEES]->(d:Company) RETURN c, r, d LIMIT 100")
    assert result.columns == ["c", "r", "d"]
    assert len(result.rows) == 20 and result.truncated
    assert result.subgraph.nodes and result.subgraph.edges
    schema_literal = guard.run(
        "MATCH (c:Company {id: $id}) CALL apoc.path.expandConfig(c, {relationshipFilter: "
        "'<HOLDS_SHARES', maxLevel: 2}) YIELD path RETURN length(path) AS hops LIMIT 5",
        {"id": "CO-00329"})
    assert schema_literal.rows


def test_a_slow_query_is_stopped_by_the_time_limit(demo_graph: GraphStore) -> None:
    slow = CypherGuard(demo_graph, GuardPolicy(timeout_s=0.5))
    with pytest.raises(UnsafeCypherError) as refused:
        slow.run("MATCH (a:Person), (b:Person), (c:Person) "
                 "WHERE a.name + b.name + c.name = $x RETURN count(*) AS n", {"x": "无此人"})
    assert refused.value.reason is RefusalReason.TIMEOUT
