"""The 「热线坐席」 tab: the ticket fills in while the agent types or pastes the call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import gradio as gr

from kg.errors import CityAgentError
from kg.ontology import CITY_TIMEZONE
from kg.ticket import Ticket, store_ticket
from nlu.address import normalise_address
from ui.services import Services
from ui.web_assist import assist_panel

_FORM = ("caller_name", "phone", "raw", "district", "street", "community", "event_time", "l1",
         "l2", "urgency", "urgency_reason", "sentiment", "summary", "department")


def _form_values(ticket: Ticket) -> list[Any]:
    address = ticket.address
    # The value is the department's name alone: a later draft that only moves a confidence
    # must not invalidate the agent's choice.
    routes = [(f"{r.name}（{r.confidence:.2f}）", r.name) for r in ticket.departments]
    return [
        ticket.caller_name or "", ticket.phone or "", address.raw or "", address.district or "",
        address.street or "", address.community or "",
        ticket.event_time.isoformat() if ticket.event_time else "", ticket.category.l1 or "",
        ticket.category.l2 or "", ticket.urgency, ticket.urgency_reason, ticket.sentiment,
        ticket.summary, gr.update(choices=routes, value=routes[0][1] if routes else None),
    ]


def _reasons(ticket: Ticket) -> str:
    lines = [f"- **{r.name}**（{r.confidence:.2f}）：{r.reason}" for r in ticket.departments]
    return f"整体置信度 {ticket.confidence:.2f}\n\n" + "\n".join(lines)


def _blank(message: str) -> list[Any]:
    return [None, *[""] * (len(_FORM) - 1), gr.update(choices=[], value=None), message]


def hotline_tab(services: Services) -> None:
    """Add the hotline agent's tab to the Blocks being built."""

    def draft(transcript: str, call_time: str) -> list[Any]:
        if not transcript.strip():
            return _blank("")
        try:
            when = datetime.fromisoformat(call_time) if call_time.strip() else None
            ticket = services.ticket_filler.draft(transcript, when or datetime.now(CITY_TIMEZONE))
        except ValueError:
            return _blank("来电时间格式应为 2025-05-12T09:30")
        except CityAgentError as exc:
            return _blank(f"无法生成工单：{exc.message}")
        return [ticket.model_dump(mode="json"), *_form_values(ticket), _reasons(ticket)]

    def confirm(state: dict[str, Any] | None, *values: str) -> str:
        if not state:
            return "请先输入通话内容。"
        form = dict(zip(_FORM, values, strict=True))
        ticket = Ticket.model_validate(state)
        edited = ticket.model_copy(update={
            "caller_name": form["caller_name"] or None, "phone": form["phone"] or None,
            "summary": form["summary"][:80], "urgency": form["urgency"],
            "urgency_reason": form["urgency_reason"], "sentiment": form["sentiment"],
        })
        place = "".join(form[k] for k in ("district", "street", "community"))
        if place != "".join(filter(None, (ticket.address.district, ticket.address.street,
                                          ticket.address.community))):
            match = normalise_address(place, services.ticket_filler.gazetteer)
            edited.address = edited.address.model_copy(update={
                k: getattr(match, k) for k in ("district", "street", "community", "district_id",
                                               "street_id", "community_id")})
        chosen = form["department"] or ""
        if chosen and chosen not in {r.name for r in edited.departments}:
            return f"派单部门「{chosen}」不在本工单的候选部门中，请重新选择。"
        edited.departments.sort(key=lambda r: r.name != chosen)
        try:
            store_ticket(services.store, edited)
        except CityAgentError as exc:
            return f"登记失败：{exc.message}"
        target = edited.departments[0].name if edited.departments else "（未派单）"
        return f"工单 **{edited.id}** 已登记，派往 {target}。"

    with gr.Tab("热线坐席", id="hotline"):
        with gr.Row():
            with gr.Column(scale=5):
                transcript = gr.Textbox(
                    label="通话内容（每行一句，可带「市民：」「坐席：」）", lines=14,
                    elem_id="hl-transcript",
                )
                call_time = gr.Textbox(label="来电时间（留空为现在）", elem_id="hl-call-time")
                reasons = gr.Markdown(elem_id="hl-reasons")
            with gr.Column(scale=5):
                fields = {
                    "caller_name": gr.Textbox(label="来电人", elem_id="hl-caller"),
                    "phone": gr.Textbox(label="联系电话", elem_id="hl-phone"),
                    "raw": gr.Textbox(label="事发地址（原话）", interactive=False),
                    "district": gr.Textbox(label="区县", elem_id="hl-district"),
                    "street": gr.Textbox(label="街道", elem_id="hl-street"),
                    "community": gr.Textbox(label="社区", elem_id="hl-community"),
                    "event_time": gr.Textbox(label="事发时间", interactive=False),
                    "l1": gr.Textbox(label="一级分类", interactive=False, elem_id="hl-l1"),
                    "l2": gr.Textbox(label="二级分类", interactive=False, elem_id="hl-l2"),
                    "urgency": gr.Radio(["紧急", "一般"], label="紧急程度", elem_id="hl-urgency"),
                    "urgency_reason": gr.Textbox(label="紧急理由"),
                    "sentiment": gr.Radio(["负面", "中性", "正面"], label="情绪"),
                    "summary": gr.Textbox(label="诉求摘要（≤80字）", max_length=80),
                    "department": gr.Dropdown(label="派单部门", choices=[], elem_id="hl-dept",
                                              allow_custom_value=True),
                }
                button = gr.Button("确认登记", variant="primary", elem_id="hl-confirm")
                result = gr.Markdown(elem_id="hl-result")
            with gr.Column(scale=4):
                assist = assist_panel(services)
        state = gr.State(None)
        outputs = [state, *fields.values(), reasons]
        transcript.input(draft, [transcript, call_time], outputs, trigger_mode="always_last",
                         show_progress="hidden")
        call_time.submit(draft, [transcript, call_time], outputs, show_progress="hidden")
        button.click(confirm, [state, *fields.values()], result)
        assist.wire(state, transcript)
