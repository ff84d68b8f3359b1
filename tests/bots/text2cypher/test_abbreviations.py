"""Shortened names no stored form covers, resolved only when one entity fits."""

from __future__ import annotations

from bots.text2cypher.abbreviations import ShortNames, abbreviated_mentions, event_mentions
from bots.text2cypher.templates import normalise
from kg.entity_records import EntityRecord
from kg.mentions import Candidate, Mention

RECORDS = [
    EntityRecord(id="CO-1", label="Company", name="滨江三和企业管理咨询有限公司"),
    EntityRecord(id="CO-2", label="Company", name="滨江城市建设投资有限公司"),
    EntityRecord(id="PR-1", label="Product", name="创业担保贷款"),
    EntityRecord(id="P-1", label="Person", name="王芳"),
]
NAMES = ShortNames(RECORDS)


def _found(question: str, blocked: list[str] | None = None) -> list[tuple[str, str]]:
    text = normalise(question)
    return [(m.text, m.candidates[0].id)
            for m in abbreviated_mentions(text, [], NAMES, blocked or [])]


def test_a_short_form_is_found_across_a_function_character_it_holds() -> None:
    assert _found("跟三和咨询留的同一个电话的企业还有几家") == [("三和咨询", "CO-1")]
    assert _found("城投发了哪些产品") == [("城投", "CO-2")]


def test_the_registers_own_words_and_values_are_never_names() -> None:
    assert _found("远航物流的高管都有谁") == []
    assert _found("2022年以来成立的创业投资基金有哪些", blocked=["创业投资基金"]) == []


def test_an_event_named_by_its_beginning_and_a_pointer_replaces_the_company() -> None:
    events = [Candidate(id="RE-1", name="白沙汽配失信被执行", label="RiskEvent"),
              Candidate(id="RE-2", name="白沙汽配涉诉", label="RiskEvent")]
    names = ShortNames(RECORDS, events)
    text = "白沙汽配失信那件事里的自然人"
    company = Mention(text="白沙汽配", start=0, end=4,
                      candidates=[Candidate(id="CO-9", name="滨江白沙汽车零部件有限公司",
                                            label="Company")])
    found = event_mentions(text, [company], names)
    assert [(m.text, m.candidates[0].id) for m in found] == [("白沙汽配失信", "RE-1")]
    # 「白沙汽配那件事」 could be either event: the company stays
    assert event_mentions("白沙汽配那件事", [company], names) == [company]
    # a party and a word only one of its events' names holds (「白沙汽配的涉诉案」)
    found = event_mentions("白沙汽配的涉诉案是哪天", [company], names)
    assert [(m.text, m.candidates[0].id) for m in found] == [("白沙汽配的涉诉", "RE-2")]
