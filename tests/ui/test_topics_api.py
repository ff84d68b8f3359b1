"""GET /topics and POST /topics/rebuild on the demo city in Neo4j."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kg.store import GraphStore
from ui.api import create_app


@pytest.fixture(scope="module")
def client(demo_graph: GraphStore) -> TestClient:
    return TestClient(create_app(demo_graph))


def test_topics_are_listed_hottest_first(client: TestClient) -> None:
    response = client.get("/topics", params={"limit": 5})
    assert response.status_code == 200, response.text
    topics = response.json()
    assert 1 <= len(topics) <= 5
    scores = [t["hot_score"] for t in topics]
    assert scores == sorted(scores, reverse=True)
    first = topics[0]
    assert first["trend"] in {"上升", "持平", "下降"} and first["daily"] and first["sample_tickets"]
    only = client.get("/topics", params={"district": "临湖区"}).json()
    assert only and all(any(d["name"] == "临湖区" for d in t["districts"]) for t in only)


def test_rebuild_with_a_window(client: TestClient) -> None:
    response = client.post("/topics/rebuild", json={"window_days": 7})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["tickets"] > 0 and report["topics"] >= 1
    assert len(client.get("/topics", params={"limit": 200}).json()) == report["topics"]
    client.post("/topics/rebuild", json={})


@pytest.mark.parametrize("body", [{"window_days": 0}, {"window_days": "很多"},
                                  {"until": "昨天"}, {"min_tickets": 1}])
def test_bad_rebuild_requests_are_422(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/topics/rebuild", json=body)
    assert response.status_code == 422


def test_bad_list_parameters_are_422(client: TestClient) -> None:
    assert client.get("/topics", params={"limit": 0}).status_code == 422
    assert client.get("/topics", params={"district": "区" * 41}).status_code == 422
