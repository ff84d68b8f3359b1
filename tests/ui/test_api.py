"""The REST service on the demo city: health, entity search, neighbourhoods, clear 4xx errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kg.store import GraphStore
from ui.api import create_app


@pytest.fixture(scope="module")
def client(demo_graph: GraphStore) -> TestClient:
    return TestClient(create_app(demo_graph))


def test_health_reports_neo4j_counts_and_models(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok"
    assert body["neo4j"]["reachable"] is True and body["neo4j"]["version"].startswith("5.26")
    assert body["counts"]["nodes"]["Department"] >= 40
    assert body["counts"]["total_relationships"] > 0
    assert "embeddings" in body["models"]


def test_entity_search_finds_partial_chinese_names(client: TestClient) -> None:
    hits = client.get("/api/entities", params={"q": "住房和城乡建设"}).json()
    assert hits and "住房和城乡建设" in hits[0]["name"]
    assert hits[0]["label"] == "Department" and hits[0]["label_zh"] == "政府部门"


def test_neighbourhood_of_an_entity(client: TestClient) -> None:
    hit = client.get("/api/entities", params={"q": "住房和城乡建设局"}).json()[0]
    sub = client.get(f"/api/entities/{hit['label']}/{hit['id']}/neighbourhood").json()
    assert sub["center"]["id"] == hit["id"]
    assert len(sub["nodes"]) > 1 and sub["edges"]
    assert {"HANDLES"} & {e["type"] for e in sub["edges"]}


@pytest.mark.parametrize(
    ("path", "status", "fragment"),
    [
        ("/api/entities/Department/NO-SUCH-ID/neighbourhood", 404, "NO-SUCH-ID"),
        ("/api/entities/Spaceship/x/neighbourhood", 400, "unknown label"),
        ("/api/entities?q=", 422, "q"),
        ("/api/entities?q=滨江&limit=0", 422, "limit"),
    ],
)
def test_bad_requests_get_a_clear_4xx(
    client: TestClient, path: str, status: int, fragment: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert fragment in response.text


def test_openapi_docs_and_web_app_are_served(client: TestClient) -> None:
    assert client.get("/openapi.json").json()["info"]["title"] == "CityAgent"
    assert client.get("/docs").status_code == 200
    page = client.get("/")
    assert page.status_code == 200 and "gradio" in page.text.lower()
