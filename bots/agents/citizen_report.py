"""Filing a ticket by conversation: draft it from the citizen's words, ask only what is missing.

A report keeps the citizen's turns since it began. After each turn the whole report is
drafted again by the hotline's :class:`~nlu.ticket_fill.TicketFiller`, so a detail given
late or a correction (a new phone number: the last one wins) lands in the ticket exactly as
in a hotline call. A corrected place is the exception the filler cannot see — it weighs
every place mentioned — so the superseded place's words are taken out of the earlier turns.

The slots asked for, one at a time and in this order, are what the problem is, where (a
place resolved to a street or community) and a phone to call back; the name is optional.
"""

from __future__ import annotations

import re
from datetime import datetime

from bots.agents.citizen_intents import TurnSignals, drop_negated_places, place_of
from bots.agents.citizen_state import (
    MAX_REPORT_TURNS,
    DialogueState,
    Report,
    Slot,
    TicketCard,
)
from kg.ticket import Ticket, TicketAddress
from nlu.ticket_fill import SUMMARY_LIMIT, TicketFiller, ticket_id

MAX_ADDRESS_ASKS = 3
"""After this many answers naming no known place, the citizen's own words are taken."""

# The citizen will not leave a phone: a report may be anonymous (the hotline accepts them).
_NO_PHONE = re.compile(
    r"(电话|号码|手机|联系方式)[^，。,]{0,4}(不留|不方便|不想|不给|不用|就不|算了)"
    r"|(不留|不想留|不方便留|不给)[^，。,]{0,2}(电话|号码|手机|联系方式)|匿名"
)
_QUESTIONS: dict[Slot, tuple[str, str]] = {
    "problem": ("请您简单说说遇到了什么问题？",
                "请具体描述一下问题，比如什么东西坏了、出了什么情况。"),
    "address": ("请问问题发生在哪里？请说到街道、社区或小区名称。",
                "抱歉，我没能确认这个地点。请说出所在的街道、社区或小区名称，比如「长河街道长河社区」。"),
    "phone": ("请留一个联系电话，方便承办单位与您联系。",
              "请提供11位手机号码或带区号的固定电话。"),
}


def start_report(state: DialogueState, text: str, now: datetime, kind: str = "problem"
                 ) -> Report:
    """A new report beginning with ``text``; its ticket id is fixed now and never changes.

    The id hashes the session, the report's number in it and its first words, so two
    citizens never share one and refiling the report updates the same ticket.
    """
    state.reports_started += 1
    seed = f"{state.session_id}|{state.reports_started}|{text}"
    return Report(kind="emergency" if kind == "emergency" else "problem",
                  ticket_id=ticket_id(now, seed), started=now, turns=[text])


def add_turn(report: Report, text: str, signals: TurnSignals) -> None:
    """Add the citizen's turn; a newly named place supersedes the place drafted before, and a
    refusal to leave a phone (「电话就不留了」) lets the report be filed without one."""
    if not signals.phones and _NO_PHONE.search(text):
        report.phone_declined = True
    old = report.draft.address if report.draft else None
    new = signals.address
    if new is not None and old is not None and old.raw and resolved(old) and (
        (old.community_id, old.street_id) != (new.community_id, new.street_id)
    ):
        report.turns = [t.replace(old.raw, "") for t in report.turns]
    if new is not None:
        text = drop_negated_places(text)
    report.turns = [t for t in report.turns if t.strip(" ，,。")]
    report.turns.append(text)
    del report.turns[:-MAX_REPORT_TURNS]


def resolved(address: TicketAddress) -> bool:
    """Whether the place is known at least to its street."""
    return bool(address.street_id or address.community_id)


def draft_report(filler: TicketFiller, report: Report, known_phone: str | None) -> Ticket:
    """The report's ticket as the filler drafts it from the turns, under the report's id.

    The phone the citizen gave earlier in the dialogue fills a report that has none, and
    once the place has been asked for enough, the citizen's own words stand for it.
    """
    transcript = "\n".join(f"市民：{turn}" for turn in report.turns)
    ticket = filler.draft(transcript, report.started)
    update: dict[str, object] = {"id": report.ticket_id}
    if not ticket.phone and known_phone:
        update["phone"] = known_phone
    if not resolved(ticket.address) and report.address_text and (
        report.asked.get("address", 0) >= MAX_ADDRESS_ASKS
    ):
        update["address"] = TicketAddress(raw=report.address_text)
    if not ticket.summary.strip():
        update["summary"] = report.turns[0][:SUMMARY_LIMIT]
    return ticket.model_copy(update=update)


def missing_slots(report: Report) -> list[Slot]:
    """The slots still to ask for, in the order they are asked."""
    ticket = report.draft
    missing: list[Slot] = []
    if not report.has_problem:
        missing.append("problem")
    if ticket is None or not (resolved(ticket.address) or (
        report.address_text and report.asked.get("address", 0) >= MAX_ADDRESS_ASKS
    )):
        missing.append("address")
    if (ticket is None or not ticket.phone) and not report.phone_declined:
        missing.append("phone")
    return missing


def note_address_answer(report: Report, text: str, filler: TicketFiller) -> None:
    """Remember an answer to 「where」 that names no place the city knows."""
    if place_of(text, filler.gazetteer) is None:
        report.address_text = text


def question_for(slot: Slot) -> str:
    """The plain question for ``slot`` (a reminder; not counted as asking)."""
    return _QUESTIONS[slot][0]


def ask(report: Report, slot: Slot) -> str:
    """The question for ``slot``, worded more precisely when it is asked again."""
    times = report.asked.get(slot, 0)
    report.asked[slot] = times + 1
    first, again = _QUESTIONS[slot]
    return again if times else first


def place_text(address: TicketAddress) -> str | None:
    """The place as the citizen is shown it: the regions it resolved to, else their words."""
    regions = "".join(p for p in (address.district, address.street, address.community) if p)
    return regions or address.raw


def ticket_card(ticket: Ticket, filed: bool) -> TicketCard:
    """The ticket as a channel shows it."""
    return TicketCard(
        id=ticket.id, status="已提交" if filed else "草稿", summary=ticket.summary,
        address=place_text(ticket.address), phone=ticket.phone, caller_name=ticket.caller_name,
        category=ticket.category.l2 or ticket.category.l1, urgency=ticket.urgency,
        departments=[d.name for d in ticket.departments],
    )


def summary_text(ticket: Ticket) -> str:
    """The short summary the citizen confirms, ending with 「确认提交吗？」."""
    lines = ["请您核对工单信息：", f"· 问题：{ticket.summary}",
             f"· 地点：{place_text(ticket.address) or '未提供'}",
             f"· 联系电话：{ticket.phone or '未提供（匿名反映，承办单位无法回访）'}"]
    if ticket.caller_name:
        lines.append(f"· 称呼：{ticket.caller_name}")
    if ticket.departments:
        lines.append(f"· 拟转交：{ticket.departments[0].name}")
    lines.append("确认提交吗？（回复「确认」提交，或直接告诉我要修改的内容）")
    return "\n".join(lines)
