"""POST /bank/ask on the demo city's bank knowledge in Neo4j."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kg.store import GraphStore
from ui.api import create_app


@pytest.fixture(scope="module")
def client(demo_graph: GraphStore) -> TestClient:
    return TestClient(create_app(demo_graph))


def test_answers_from_the_banks_knowledge_with_its_source(
    client: TestClient, demo_graph: GraphStore
) -> None:
    reply = client.post("/bank/ask", json={"question": "去开户的话要带哪些证件和资料？"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["status"] == "answered", body
    stored = demo_graph.read(
        "MATCH (k:KnowledgeEntry {id: $id}) RETURN k.answer AS answer, k.domain AS domain",
        id=body["source"]["entry_id"],
    )
    assert stored[0]["domain"] == "银行" and body["answer"] == stored[0]["answer"]
    assert body["confidence"] >= body["threshold"]


def test_hands_over_what_it_does_not_know(client: TestClient) -> None:
    body = client.post("/bank/ask", json={"question": "明天滨江会下雨吗？"}).json()
    assert body["status"] == "handover" and body["answer"] is None
    assert "人工" in body["reply"]


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"question": ""}, 422, "question"),
        ({"question": "？！。。"}, 400, "只有标点"),
        ({"question": "   "}, 400, "问题为空"),
        ({"question": "问" * 10_000}, 422, "question"),
        ({"question": "卡丢了", "history": [{"nope": 1}]}, 422, "history"),
    ],
)
def test_bad_questions_get_a_clear_4xx(
    client: TestClient, payload: dict[str, object], status: int, message: str
) -> None:
    reply = client.post("/bank/ask", json=payload)
    assert reply.status_code == status, reply.text
    assert message in reply.text
