"""The citizen's ticket tools: file a ticket, look one up, report an emergency.

Each is a LangChain tool with a pydantic args schema and a Chinese description, defined once
here with the personas allowed to call it (:data:`CITIZEN_TOOLS`). They return pydantic
models, so the deterministic citizen agent reads typed results and an LLM agent gets them
as JSON. The services they use come with the call (:mod:`bots.tools.context`).

``ticket_status`` never reveals a ticket to someone who cannot give the phone number it was
filed with, and answers "not found" alike for an unknown id and a wrong phone, so that
ticket ids cannot be probed.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from bots.tools.context import context_of
from bots.tools.emergency_advice import EmergencyAdvice, life_danger
from bots.tools.spec import ToolSpec
from kg.incident import IncidentRecord, region_point, store_incident
from kg.store import GraphStore
from kg.ticket import Ticket
from nlu.pii import mask_phone

log = logging.getLogger(__name__)

HAZARD_TYPE_OF_ADVICE = {"火情": "火灾", "严重积水": "内涝", "疑似中毒": "食物中毒",
                         "危险化学品泄漏": "危化品泄漏"}
"""The city's hazard type of an advice's hazard where the names differ."""
DEFAULT_ADVICE = EmergencyAdvice(
    hazard="紧急情况", numbers=["110"], advice="如有人身危险，请立即拨打110报警。", evidence=""
)


# -------------------------------------------------------------------------------- file_ticket
class FileTicketArgs(BaseModel):
    """Arguments of ``file_ticket``."""

    ticket: Ticket = Field(description="市民已确认的工单（字段见工单契约）")


class FiledTicket(BaseModel):
    """A ticket as stored: what the citizen is told about it."""

    id: str
    status: str = "已登记"
    urgency: str
    summary: str
    departments: list[str] = Field(default_factory=list)


def _file(config: RunnableConfig, ticket: Ticket) -> FiledTicket:
    context_of(config).ticket_book.save(ticket)
    log.info("ticket %s filed (urgency %s, phone %s)", ticket.id, ticket.urgency,
             mask_phone(ticket.phone) if ticket.phone else "none")
    return FiledTicket(id=ticket.id, urgency=ticket.urgency, summary=ticket.summary,
                       departments=[d.name for d in ticket.departments])


@tool("file_ticket", args_schema=FileTicketArgs, description=(
    "提交市民确认过的工单并存入知识图谱；同一工单编号重复提交只会更新，不会重复立单。"))
def file_ticket(ticket: Ticket, config: RunnableConfig) -> FiledTicket:
    """Store a confirmed ticket; storing is idempotent by id, so a retry files nothing new."""
    return _file(config, ticket)


# ------------------------------------------------------------------------------ ticket_status
class TicketStatusArgs(BaseModel):
    """Arguments of ``ticket_status``."""

    ticket_id: str = Field(min_length=1, max_length=64, description="工单编号")
    phone: str = Field(min_length=1, max_length=32,
                       description="本次对话中市民提供的联系电话，须与工单登记的电话一致")


class TicketStatus(BaseModel):
    """A ticket's progress, or found=False (unknown id and wrong phone look the same)."""

    ticket_id: str
    found: bool
    status: str | None = None
    summary: str | None = None
    urgency: str | None = None
    category: str | None = None
    place: str | None = None
    departments: list[str] = Field(default_factory=list)
    call_time: datetime | None = None


def phone_digits(phone: str) -> str:
    """Only the digits of a phone number, so that 「138 0571 2345」 equals 「13805712345」."""
    return re.sub(r"\D", "", phone)


@tool("ticket_status", args_schema=TicketStatusArgs, description=(
    "按工单编号和登记时的联系电话查询工单办理进度；电话不一致时不透露任何工单信息。"))
def ticket_status(ticket_id: str, phone: str, config: RunnableConfig) -> TicketStatus:
    """A ticket's progress for whoever gives the phone it was filed with, else "not found"."""
    stored = context_of(config).ticket_book.find(ticket_id.strip())
    given = phone_digits(phone)
    owner = phone_digits(str((stored.properties.get("phone") or "") if stored else ""))
    if stored is None or not given or given != owner:
        log.info("ticket %s not shown: %s", ticket_id,
                 "no such ticket" if stored is None else f"phone {mask_phone(given)} differs")
        return TicketStatus(ticket_id=ticket_id, found=False)
    props = stored.properties
    return TicketStatus(
        ticket_id=stored.id, found=True, status=props.get("status"), summary=props.get("summary"),
        urgency=props.get("urgency"), category=stored.category, place=stored.place,
        departments=[r.name for r in stored.routes], call_time=props.get("call_time"),
    )


# --------------------------------------------------------------------------- report_emergency
class ReportEmergencyArgs(BaseModel):
    """Arguments of ``report_emergency``."""

    ticket: Ticket = Field(description="按已知信息起草的工单，地点和电话可以暂缺")
    description: str = Field(min_length=1, max_length=2000, description="市民对险情的原话")


class EmergencyReport(BaseModel):
    """The advice to give at once, the urgent ticket filed, and the incident the duty officers
    see (when the bot works on the graph)."""

    advice: EmergencyAdvice
    ticket: FiledTicket
    incident_id: str | None = None


@tool("report_emergency", args_schema=ReportEmergencyArgs, description=(
    "受理紧急情况（火情、燃气泄漏、有人受伤或被困等）：给出应立即拨打的110/119/120和避险提示，"
    "并登记一张紧急工单；同一工单编号再次报告只会更新该工单。"))
def report_emergency(ticket: Ticket, description: str, config: RunnableConfig) -> EmergencyReport:
    """The number to call and what to do now, and the ticket filed as urgent (by its id, so
    details reported later update the same ticket)."""
    advice = life_danger(description) or DEFAULT_ADVICE
    reason = ticket.urgency_reason if ticket.urgency == "紧急" else f"市民报告{advice.hazard}"
    urgent = ticket.model_copy(update={"urgency": "紧急", "urgency_reason": reason})
    filed = _file(config, urgent)
    store = context_of(config).graph
    incident = _incident(store, urgent, advice) if store is not None else None
    return EmergencyReport(advice=advice, ticket=filed, incident_id=incident)


def _incident(store: GraphStore, ticket: Ticket, advice: EmergencyAdvice) -> str:
    """The citizen's report as an Incident at the most precise region the ticket names, so it
    appears in the duty officers' console."""
    address = ticket.address
    region = address.community_id or address.street_id or address.district_id
    point = region_point(store, region) if region else None
    incident = IncidentRecord(
        id=f"INC-{ticket.id}", name=f"市民报告：{advice.hazard}",
        hazard=HAZARD_TYPE_OF_ADVICE.get(advice.hazard, advice.hazard),
        occurred_at=ticket.event_time or ticket.call_time, severity="高", region_id=region,
        lat=point[0] if point else None, lon=point[1] if point else None,
        description=f"{ticket.summary}（工单 {ticket.id}）")
    return store_incident(store, incident).key


CITIZEN_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(file_ticket, frozenset({"citizen", "hotline_assist"}), ("Ticket",)),
    ToolSpec(ticket_status, frozenset({"citizen", "hotline_assist"}), ("Ticket",)),
    ToolSpec(report_emergency, frozenset({"citizen", "hotline_assist", "emergency"}),
             ("Ticket",)),
)
"""The ticket tools with every persona allowed to call each."""
