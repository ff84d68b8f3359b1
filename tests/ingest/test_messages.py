"""Bulk ingest of citizen messages: parsing, refusing bad lines, storing tickets for real."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from pydantic import ValidationError

from ingest.demo.history import demo_history_messages
from ingest.messages import CitizenMessage, ingest_messages, parse_message_time, read_messages
from kg.ontology import CITY_TIMEZONE
from kg.store import GraphStore
from nlu.ticket_fill import TicketFiller


@pytest.mark.parametrize(("value", "expected"), [
    ("2019/2/28 11:25:05", datetime(2019, 2, 28, 11, 25, 5, tzinfo=CITY_TIMEZONE)),
    ("2019-08-01 00:00:00", datetime(2019, 8, 1, tzinfo=CITY_TIMEZONE)),
    ("2019/12/3 9:05", datetime(2019, 12, 3, 9, 5, tzinfo=CITY_TIMEZONE)),
    ("2020年1月26日", datetime(2020, 1, 26, tzinfo=CITY_TIMEZONE)),
    ("2025-05-12T09:30:00+08:00", datetime(2025, 5, 12, 9, 30, tzinfo=CITY_TIMEZONE)),
])
def test_platform_times_parse(value: str, expected: datetime) -> None:
    assert parse_message_time(value) == expected


def test_a_message_is_title_and_detail_when_it_has_no_text() -> None:
    message = CitizenMessage.model_validate(
        {"id": 188006, "title": "路灯不亮", "detail": "长河路路灯坏了",
         "time": "2019/2/28 11:25:05"}
    )
    assert message.text == "路灯不亮。长河路路灯坏了" and message.id == "188006"


@pytest.mark.parametrize("row", [
    {"text": "   ", "time": "2019/2/28 11:25:05"},
    {"text": "路灯坏了", "time": "昨天"},
    {"text": "路灯坏了"},
    {"text": "路" * 20_001, "time": "2019/2/28"},
])
def test_bad_messages_are_refused(row: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CitizenMessage.model_validate(row)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_lines_are_reported_with_their_number_and_skipped(tmp_path: Path) -> None:
    source = _write(tmp_path / "messages.jsonl", [
        json.dumps({"id": "1", "text": "长河路路灯坏了", "time": "2019/2/28 11:25:05"}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"id": "4", "text": "", "time": "2019/2/28"}),
        "",
        json.dumps({"id": "6", "text": "运河边工地夜间施工", "time": "2019/3/1 8:00:00"}),
    ])
    refused: list = []
    messages = [m for _, m in read_messages(source, refused)]
    assert [m.id for m in messages] == ["1", "6"]
    assert [r.line for r in refused] == [2, 3, 4]
    assert "not valid JSON" in refused[0].error and "text" in refused[2].error


def test_demo_history_is_dated_relative_to_the_load() -> None:
    now = datetime(2026, 5, 31, 18, 0, tzinfo=CITY_TIMEZONE)
    messages = demo_history_messages(now)
    assert len(messages) >= 60 and len({m.id for m in messages}) == len(messages)
    assert all(m.time <= now and (now - m.time).days <= 30 for m in messages)
    assert [m.time for m in demo_history_messages(now)] == [m.time for m in messages]


def test_messages_become_tickets_in_the_graph_once(demo_graph: GraphStore, tmp_path: Path) -> None:
    source = _write(tmp_path / "messages.jsonl", [
        json.dumps({"id": "T1", "text": "滨江区长河街道长河社区的路灯坏了三天了",
                    "time": "2025/5/12 9:31:00"}),
        json.dumps({"id": "T2", "title": "噪音扰民", "detail": "江北区运河街道运河社区工地夜间施工",
                    "time": "2025-05-13 22:10:00"}),
        "{broken",
    ])
    filler = TicketFiller.from_store(demo_graph)
    for _ in range(2):
        report = ingest_messages(demo_graph, filler, source, batch_size=1, id_prefix="TEST-")
        assert report.stored == 2 and [r.line for r in report.refused] == [3]
    rows = demo_graph.read(
        "MATCH (t:Ticket) WHERE t.id STARTS WITH 'TEST-' "
        "OPTIONAL MATCH (t)-[:AT]->(r:Region) RETURN t.id AS id, r.name AS place ORDER BY id"
    )
    assert rows == [{"id": "TEST-T1", "place": "长河社区"}, {"id": "TEST-T2", "place": "运河社区"}]
