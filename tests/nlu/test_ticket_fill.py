"""Drafting tickets from transcripts on the demo city (no database)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

import nlu.ticket_fill as ticket_fill
from ingest.demo.data_files import DATA_DIR
from ingest.demo.hotline import demo_ticket_filler
from kg.errors import ConfigurationError
from nlu.call_cases import read_cases
from nlu.ticket_fill import TicketFiller, ner_entities

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


def test_a_phone_number_followed_by_a_digit_word(filler: TicketFiller) -> None:
    ticket = filler.draft("市民：我姓谢，谢先生，电话13605719988，一定要表扬他啊。", CALL)
    assert ticket.phone == "13605719988" and ticket.caller_name == "谢先生"


def test_a_danger_unfolding_now_happens_at_the_call_hour(filler: TicketFiller) -> None:
    trapped = filler.draft("市民：救命啊，我妈被关在电梯里了！翠苑二区12幢。", CALL)
    assert trapped.urgency == "紧急"
    assert trapped.event_time == datetime.fromisoformat("2025-05-12T09:00:00+08:00")
    manhole = filler.draft("市民：实验小学门口有个窨井盖没了，就一个大洞！", CALL)
    assert manhole.urgency == "紧急" and manhole.event_time is None


@pytest.mark.parametrize("text", ["😀😀😀", "hello, the street light is broken", "。。。", "1"])
def test_odd_input_gives_a_low_confidence_draft(filler: TicketFiller, text: str) -> None:
    ticket = filler.draft(text, CALL)
    assert ticket.confidence < 0.6
    assert ticket.address.district is None and ticket.phone is None


def _calls() -> list[tuple[str, datetime]]:
    cases = read_cases(DATA_DIR / "calls_dev.jsonl")[:12]
    odd = ["😀😀😀", "hello, the street light is broken", "1"]
    return [(TRANSCRIPT, CALL), *((c.transcript, c.call_time) for c in cases),
            *((text, CALL + timedelta(minutes=i)) for i, text in enumerate(odd))]


def test_draft_many_gives_the_tickets_of_draft(filler: TicketFiller) -> None:
    calls = _calls()
    alone = [filler.draft(transcript, when) for transcript, when in calls]
    assert filler.draft_many(calls, batch_size=4) == alone
    assert filler.draft_many(iter(calls)) == alone  # any iterable, one batch
    assert filler.draft_many([]) == []


def test_draft_many_without_ner_gives_the_tickets_of_draft() -> None:
    filler = demo_ticket_filler()
    filler.entities = None
    calls = _calls()[:5]
    tickets = filler.draft_many(calls, batch_size=2)
    assert tickets == [filler.draft(transcript, when) for transcript, when in calls]
    # the rules alone: caller, phone, and the words of the address the gazetteer resolved
    assert {e.label for t in tickets for e in t.entities} <= {"CALLER", "PHONE", "address"}


def test_draft_many_rejects_an_empty_batch(filler: TicketFiller) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        filler.draft_many(_calls(), batch_size=0)


@pytest.fixture
def no_ner_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def missing() -> None:
        raise ConfigurationError("no NER model at /nowhere")

    ticket_fill._entity_pipeline.cache_clear()
    monkeypatch.setattr(ticket_fill, "load_pipeline", missing)
    yield
    ticket_fill._entity_pipeline.cache_clear()


@pytest.mark.usefixtures("no_ner_model")
def test_without_the_model_the_rules_still_find_entities(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="nlu.ticket_fill"):
        found = ner_entities.many(["电话13805712346，昨晚十点", "张伟在杭州"])
    assert [[(e.label, e.text) for e in spans] for spans in found] == [
        [("PHONE", "13805712346"), ("TIME", "昨晚十点")], []]
    assert "rule-based entities only" in caplog.text


def test_entities_are_read_line_by_line_and_lines_read_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entities = ticket_fill.PipelineEntities()
    read: list[str] = []
    extract = ticket_fill.extract_entities_many

    def counting(texts: list[str], *args: object, **kwargs: object) -> object:
        read.extend(texts)
        return extract(texts, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ticket_fill, "extract_entities_many", counting)
    first = "市民：我电话13805712346。"
    call = f"坐席：您好。\n{first}\n\n市民：昨晚十点开始的。"
    [spans] = entities.many([call])
    assert [(e.label, call[e.start:e.end]) for e in spans if e.label in {"PHONE", "TIME"}] == [
        ("PHONE", "13805712346"), ("TIME", "昨晚十点")]
    assert read == ["坐席：您好。", first, "市民：昨晚十点开始的。"]
    entities.many([call + "\n市民：谢谢。"])  # the call again, one line longer
    assert read[3:] == ["市民：谢谢。"]
    entities.forget()
    entities.many([first])
    assert read[4:] == [first]
