"""Drafting tickets from transcripts on the demo city (no database)."""

from __future__ import annotations

from datetime import datetime

import pytest

from ingest.demo.hotline import demo_ticket_filler
from nlu.ticket_fill import TicketFiller

CALL = datetime.fromisoformat("2025-05-12T09:31:00+08:00")
TRANSCRIPT = (
    "坐席：您好，12345热线。\n"
    "市民：喂，我们滨江区长河街道长河社区这边，楼道里一股很重的煤气味，今天早上七点多就闻到了！\n"
    "坐席：请问您贵姓，电话多少？\n"
    "市民：我叫王秀英，电话138 0571 2345，不对，是13805712346。"
)


@pytest.fixture(scope="module")
def filler() -> TicketFiller:
    return demo_ticket_filler()


def test_a_call_becomes_a_filled_routed_ticket(filler: TicketFiller) -> None:
    ticket = filler.draft(TRANSCRIPT, CALL)
    assert ticket.caller_name == "王秀英"
    assert ticket.phone == "13805712346"  # the correction wins
    assert (ticket.address.district, ticket.address.street, ticket.address.community) == (
        "滨江区", "长河街道", "长河社区")
    assert ticket.event_time == datetime.fromisoformat("2025-05-12T07:00:00+08:00")
    assert ticket.category.l1 == "城乡建设" and ticket.category.l2 == "燃气供应"
    assert ticket.urgency == "紧急" and "煤气味" in ticket.urgency_reason
    assert ticket.departments and ticket.departments[0].reason
    assert 0 < len(ticket.summary) <= 80
    labels = {e.label for e in ticket.entities}
    assert {"CALLER", "PHONE"} <= labels
    for entity in ticket.entities:
        assert TRANSCRIPT[entity.start : entity.end] == entity.text
    assert filler.draft(TRANSCRIPT, CALL).id == ticket.id  # same call, same id


@pytest.mark.parametrize("text", ["😀😀😀", "hello, the street light is broken", "。。。", "1"])
def test_odd_input_gives_a_low_confidence_draft(filler: TicketFiller, text: str) -> None:
    ticket = filler.draft(text, CALL)
    assert ticket.confidence < 0.6
    assert ticket.address.district is None and ticket.phone is None
