"""POST /tickets/draft, POST /tickets and GET /tickets/{id} on the demo city in Neo4j."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kg.store import GraphStore
from ui.api import create_app

CALL = {
    "transcript": (
        "市民：滨江区长河街道长河社区的路灯坏了三天了，晚上黑漆漆的\n市民：我叫王秀英，电话13805712345"
    ),
    "call_time": "2025-05-12T09:31:00+08:00",
}


@pytest.fixture(scope="module")
def client(demo_graph: GraphStore) -> TestClient:
    return TestClient(create_app(demo_graph))


def test_draft_confirm_and_read_back(client: TestClient, demo_graph: GraphStore) -> None:
    draft = client.post("/tickets/draft", json=CALL)
    assert draft.status_code == 200, draft.text
    ticket = draft.json()
    assert ticket["caller_name"] == "王秀英" and ticket["address"]["community"] == "长河社区"
    assert ticket["category"]["l1"] == "城乡建设" and ticket["departments"]
    classes = {"address": "Address", "name": "Person"}  # what the NLU will fill in
    for span in ticket["entities"]:
        span["ontology_class"] = classes.get(span["label"])
    persons = demo_graph.read("MATCH (p:Person) RETURN count(p) AS c")[0]["c"]
    for _ in range(2):
        stored = client.post("/tickets", json=ticket)
        assert stored.status_code == 201 and stored.json()["id"] == ticket["id"]
    count = demo_graph.read("MATCH (t:Ticket {id: $id}) RETURN count(t) AS c", id=ticket["id"])
    assert count[0]["c"] == 1
    back = client.get(f"/tickets/{ticket['id']}").json()
    assert back["place"] == "长河社区" and back["category"] == ticket["category"]["l2"]
    assert back["routes"][0]["name"] == ticket["departments"][0]["name"]
    mentions = {m["text"]: m["node"] for m in back["mentions"]}
    assert mentions["滨江区长河街道长河社区"] == {"label": "Community", "key": back["place_id"]}
    assert mentions["王秀英"] is None  # the caller: kept as a span, never a Person node
    assert demo_graph.read("MATCH (p:Person) RETURN count(p) AS c")[0]["c"] == persons
    edges = demo_graph.read("MATCH (:Ticket {id: $id})-[m:MENTIONS]->() RETURN count(m) AS c",
                            id=ticket["id"])
    assert edges[0]["c"] == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"transcript": ""}, 422),
        ({"transcript": "   \n\t "}, 422),
        ({"transcript": "\x00\x01\x02"}, 422),
        ({"transcript": "路" * 1_000_000}, 422),
        ({}, 422),
        ({"transcript": "市民：路灯坏了", "call_time": "昨天"}, 422),
    ],
)
def test_bad_drafts_get_a_clear_4xx(client: TestClient, body: dict[str, str], status: int) -> None:
    response = client.post("/tickets/draft", json=body)
    assert response.status_code == status


@pytest.mark.parametrize("text", ["😀😀😀", "hello there", "市民：\x07路灯坏了"])
def test_odd_text_still_drafts(client: TestClient, text: str) -> None:
    response = client.post("/tickets/draft", json={"transcript": text})
    assert response.status_code == 200 and response.json()["id"]


def test_unknown_ticket_and_unknown_department(client: TestClient) -> None:
    assert client.get("/tickets/T-NOPE").status_code == 404
    ticket = client.post("/tickets/draft", json=CALL).json()
    ticket["id"] = "T-BAD-DEPT"
    ticket["departments"] = [{"name": "不存在", "id": "D999", "confidence": 0.5, "reason": "测试"}]
    response = client.post("/tickets", json=ticket)
    assert response.status_code == 400 and "D999" in response.text
    assert client.get("/tickets/T-BAD-DEPT").status_code == 404
