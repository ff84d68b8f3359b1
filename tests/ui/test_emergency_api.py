"""The duty officers' endpoints on the demo city: sites, tools of an entity, runs kept in the
graph, the waterlogging drill; only for the duty officer's key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from kg.store import GraphStore
from ui.api import create_app
from ui.roles import RoleKeys

KEYS = RoleKeys({"regulator": SecretStr("reg-key"), "duty_officer": SecretStr("duty-key")},
                "the test")
DUTY = {"X-API-Key": "duty-key"}


@pytest.fixture(scope="module")
def client(demo_graph: GraphStore) -> Iterator[TestClient]:
    yield TestClient(create_app(demo_graph, role_keys=KEYS))
    demo_graph.write("MATCH (r:ToolRun) DETACH DELETE r")


def test_only_the_duty_officer_gets_in(client: TestClient) -> None:
    assert client.get("/emergency/sites").status_code == 401
    assert client.get("/emergency/sites", headers={"X-API-Key": "reg-key"}).status_code == 403
    assert client.post("/tools/plan_dispatch/run", json={}).status_code == 401


def test_the_district_picture_and_the_tools_of_a_gauge(client: TestClient) -> None:
    sites = client.get("/emergency/sites?district=老城区", headers=DUTY).json()
    labels = {s["label"] for s in sites}
    assert {"WaterGauge", "PumpStation", "Team", "Camera"} <= labels
    assert all(s["lat"] and s["lon"] for s in sites)
    gauge = next(s for s in sites if s["label"] == "WaterGauge")
    tools = client.get(f"/tools?label=WaterGauge&entity_id={gauge['id']}", headers=DUTY).json()
    assert tools[0]["id"] == "T-PERC-WATER-GAUGE" and tools[0]["linked"]
    assert client.get("/tools?label=Nope&entity_id=x", headers=DUTY).status_code == 400


def test_the_flood_drill_beats_its_baseline_and_is_kept_as_a_run(
        client: TestClient, demo_graph: GraphStore) -> None:
    reply = client.post("/emergency/drills/flood?district=老城区", headers=DUTY)
    assert reply.status_code == 200, reply.text
    plan = reply.json()
    output = plan["run"]["output"]
    assert plan["spots"] >= 1 and output["assignments"]
    assert output["objective"] <= output["baseline_objective"]
    run = demo_graph.read("MATCH (r:ToolRun {id: $id})-[:RUN_OF]->(t:Tool) "
                          "OPTIONAL MATCH (r)-[:USED]->(u) "
                          "RETURN t.id AS tool, r.outcome AS outcome, count(u) AS used",
                          id=plan["run"]["run_id"])
    assert run == [{"tool": "T-OPT-FLOOD-DISPATCH", "outcome": "ok",
                    "used": plan["spots"] + plan["resources"]}]
    listed = client.get("/tools/runs?tool_id=T-OPT-FLOOD-DISPATCH", headers=DUTY).json()
    assert plan["run"]["run_id"] in {r["id"] for r in listed}


def test_bad_calls_are_refused_and_still_recorded(client: TestClient,
                                                  demo_graph: GraphStore) -> None:
    bad = client.post("/tools/plan_evacuation/run", headers=DUTY,
                      json={"args": {"communities": [], "shelters": []}})
    assert bad.status_code == 400 and "参数不合法" in bad.json()["message"]
    outside = client.post("/tools/risk_query/run", headers=DUTY, json={"args": {}})
    assert outside.status_code == 403
    ghost = client.post("/tools/plan_evacuation/run", headers=DUTY,
                        json={"args": {}, "used": [{"label": "Shelter", "key": "SH-NOPE"}]})
    assert ghost.status_code == 400 and "SH-NOPE" in ghost.json()["message"]
    refused = demo_graph.read("MATCH (r:ToolRun {outcome: 'refused'})-[:RUN_OF]->(t:Tool) "
                              "RETURN t.id AS tool, r.error AS error")
    assert any(r["tool"] == "T-OPT-EVACUATION" for r in refused)
    assert client.post("/emergency/drills/flood?district=没有的区", headers=DUTY
                       ).status_code == 400


def _frame(level_cm: float) -> str:
    import base64

    import cv2

    from bots.tools.perception.gauge_render import render_gauge

    ok, png = cv2.imencode(".png", render_gauge(level_cm))
    assert ok
    return base64.b64encode(png.tobytes()).decode("ascii")


def test_a_gauge_over_its_alert_line_raises_an_incident_a_plan_and_a_ticket(
        client: TestClient, demo_graph: GraphStore) -> None:
    camera = demo_graph.read("MATCH (c:Camera)-[:OBSERVES]->(g:WaterGauge) "
                             "WHERE 20 <= g.warning_level_cm < 60 RETURN c.id AS camera, "
                             "g.warning_level_cm AS alert ORDER BY c.id LIMIT 1")[0]
    calm = client.post("/emergency/gauges/read", headers=DUTY,
                       json={"camera_id": camera["camera"], "image": _frame(12.0)}).json()
    assert calm["over_warning"] is False and calm["incident_id"] is None, calm
    high = client.post("/emergency/gauges/read", headers=DUTY,
                       json={"camera_id": camera["camera"], "image": _frame(120.0)})
    assert high.status_code == 200, high.text
    body = high.json()
    assert body["over_warning"] and body["incident_id"] and body["ticket_id"], body
    assert body["dispatch"]["output"]["assignments"]
    made = demo_graph.read(
        "MATCH (r:ToolRun {id: $run})-[:PRODUCED]->(x) RETURN collect(x.id) AS ids",
        run=body["reading"]["run_id"])[0]["ids"]
    assert set(made) == {body["incident_id"], body["ticket_id"]}
    routed = demo_graph.read("MATCH (:Ticket {id: $id})-[:ROUTED_TO]->(d:Department) "
                             "RETURN d.name AS name", id=body["ticket_id"])
    assert routed == [{"name": "滨江市公安局交通警察支队"}]
    demo_graph.write("MATCH (x) WHERE x.id IN $ids DETACH DELETE x",
                     ids=[body["incident_id"], body["ticket_id"]])
    bad = client.post("/emergency/gauges/read", headers=DUTY,
                      json={"camera_id": camera["camera"], "image": "not an image"})
    assert bad.status_code == 400
    assert client.post("/emergency/gauges/read", headers=DUTY,
                       json={"camera_id": "CAM-NOPE", "image": _frame(12.0)}).status_code == 404
