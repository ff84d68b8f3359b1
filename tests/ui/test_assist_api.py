"""POST /assist/replies on the demo city in Neo4j, with a small past-case file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kg.settings import get_settings
from kg.store import GraphStore
from retrieval.past_cases import CASES_FILE
from ui.api import create_app

CALL = {
    "transcript": (
        "市民：滨江区长河街道长河社区的路灯坏了三天了，晚上黑漆漆的\n市民：我叫王秀英，电话13805712345"
    ),
    "call_time": "2025-05-12T09:31:00+08:00",
}
CASES = [
    {"id": "1", "title": "小区门口路灯坏了一个月没人修", "detail": "路灯坏了一个月，晚上很黑。",
     "time": "2019/5/1 10:00:00",
     "reply": "网友：您好！现回复如下：经核实，该路灯已于5月3日修复。"},
    {"id": "2", "title": "幼儿园收费太高", "detail": "民办幼儿园一学期收费一万多元。",
     "time": "2019/5/2 11:00:00", "reply": "您好！民办幼儿园收费实行备案管理。"},
]


@pytest.fixture(scope="module")
def client(
    demo_graph: GraphStore, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    shared = tmp_path_factory.mktemp("shared")
    (shared / CASES_FILE).parent.mkdir(parents=True)
    (shared / CASES_FILE).write_text(
        "\n".join(json.dumps(c, ensure_ascii=False) for c in CASES), "utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CITYAGENT_SHARED_DATA_DIR", str(shared))
        patch.setenv("CITYAGENT_INDEX_DIR", str(tmp_path_factory.mktemp("index")))
        get_settings.cache_clear()
        try:
            yield TestClient(create_app(demo_graph))
        finally:
            get_settings.cache_clear()


def _cited(reply: str) -> set[int]:
    return {int(n) for n in re.findall(r"\[(\d+)\]", reply)}


def test_suggestions_for_a_transcript(client: TestClient) -> None:
    response = client.post("/assist/replies", json=CALL)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ticket"]["caller_name"] == "王秀英" and body["ticket_id"] == body["ticket"]["id"]
    entries = body["entries"]
    assert "K0021" in [e["id"] for e in entries]  # 路灯坏了怎么报修
    assert [e["number"] for e in entries] == list(range(1, len(entries) + 1))
    assert any(e["departments"] for e in entries)
    assert body["past_cases"][0]["id"] == "1" and "修复" in body["past_cases"][0]["reply"]
    shown = {e["number"] for e in entries} | {c["number"] for c in body["past_cases"]}
    reply = body["reply"]
    assert reply.startswith("您好，您反映的") and _cited(reply) and _cited(reply) <= shown
    assert body["department"]["name"] in reply
    assert body["ticket"]["departments"][0]["name"] == body["department"]["name"]


def test_suggestions_for_a_draft_ticket(client: TestClient) -> None:
    ticket = client.post("/tickets/draft", json=CALL).json()
    response = client.post("/assist/replies", json={"ticket": ticket})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ticket"] == ticket and body["query"].startswith("滨江区长河街道")
    edited = {"ticket": ticket, "transcript": "市民：工地晚上十二点还在施工，太吵了"}
    other = client.post("/assist/replies", json=edited).json()
    assert other["query"] == "工地晚上十二点还在施工，太吵了"
    assert other["entries"] != body["entries"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"transcript": ""},
        {"transcript": "   \n\t "},
        {"transcript": "\x00\x01\x02"},
        {"transcript": "路" * 100_000},
        {"transcript": None, "ticket": None},
        {"ticket": {"id": "T-1"}},
        {"transcript": "市民：路灯坏了", "call_time": "昨天"},
    ],
)
def test_bad_requests_get_a_clear_422(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/assist/replies", json=body)
    assert response.status_code == 422, response.text


def test_a_ticket_with_nothing_to_search_is_a_400(client: TestClient) -> None:
    ticket = client.post("/tickets/draft", json=CALL).json()
    ticket.update(summary="", transcript="")
    response = client.post("/assist/replies", json={"ticket": ticket})
    assert response.status_code == 400 and response.json()["error"] == "E030"
    agent_only = client.post("/assist/replies", json={"ticket": ticket, "transcript": "坐席：您好"})
    assert agent_only.status_code == 400


@pytest.mark.parametrize("text", ["😀😀😀", "hello there", "？？？！！！"])
def test_odd_text_still_gets_suggestions(client: TestClient, text: str) -> None:
    response = client.post("/assist/replies", json={"transcript": text})
    assert response.status_code == 200, response.text
    assert response.json()["reply"].startswith("您好")
