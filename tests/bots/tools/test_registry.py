"""The tool registry and the citizen's tools on the demo city's graph and knowledge entries."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from pydantic import BaseModel, ValidationError

from bots.tools.citizen_tools import EmergencyReport, FiledTicket, TicketStatus
from bots.tools.context import ToolContext
from bots.tools.emergency_advice import life_danger
from bots.tools.knowledge_tools import KnowledgeSearch, search_knowledge
from bots.tools.registry import (
    SERVICE_KIND,
    ToolNotAllowedError,
    ToolRegistry,
    default_registry,
    register_tools,
    tool_node_id,
    tools_for,
)
from bots.tools.spec import PERSONAS, ToolSpec
from kg.errors import ConfigurationError
from kg.ontology import CITY_TIMEZONE
from kg.store import GraphStore
from kg.ticket import Ticket, get_ticket
from retrieval.answer_scorer import load_scorer
from retrieval.knowledge_base import KnowledgeBase

CITIZEN_TOOLS = {"search_knowledge", "file_ticket", "ticket_status", "report_emergency"}
REGULATOR_TOOLS = {"risk_query", "ask_graph", "optimise_portfolio", "match_loans"}
EMERGENCY_ENGINES = {"plan_dispatch", "plan_evacuation", "balance_tickets", "read_water_gauge",
                     "detect_smoke_fire", "detect_intrusion"}
CALL_TIME = datetime(2025, 5, 12, 9, 30, tzinfo=CITY_TIMEZONE)
OWNER_PHONE = "13805718801"
_HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def context(demo_graph: GraphStore, government_entries: KnowledgeBase
            ) -> Iterator[ToolContext]:
    """The tools' services on the demo graph; the tickets filed here are removed afterwards."""
    yield ToolContext.on_graph(demo_graph, government_entries, load_scorer())
    demo_graph.write("MATCH (t) WHERE (t:Ticket OR t:Incident) AND (t.id STARTS WITH 'TT-' "
                     "OR t.id STARTS WITH 'INC-TT-') DETACH DELETE t")


def _ticket(ticket_id: str, phone: str | None = OWNER_PHONE, **update: object) -> Ticket:
    ticket = Ticket(id=ticket_id, call_time=CALL_TIME, phone=phone,
                    summary="长河社区的路灯坏了三天", transcript="市民：长河社区的路灯坏了三天")
    return ticket.model_copy(update=update)


def _count(store: GraphStore, ticket_id: str) -> int:
    rows = store.read("MATCH (t:Ticket {id: $id}) RETURN count(t) AS n", id=ticket_id)
    return int(rows[0]["n"])


def test_each_persona_gets_only_its_tools() -> None:
    assert {t.name for t in tools_for("citizen")} == CITIZEN_TOOLS
    assert [t.name for t in tools_for("bank_qa")] == ["search_bank_knowledge"]
    assert {t.name for t in tools_for("hotline_assist")} == (
        CITIZEN_TOOLS | {"suggest_reply"})
    assert {t.name for t in tools_for("regulator")} == REGULATOR_TOOLS
    assert {t.name for t in tools_for("emergency")} == {
        "search_knowledge", "report_emergency", *EMERGENCY_ENGINES}
    registry = default_registry()
    assert set(registry.names()) == CITIZEN_TOOLS | REGULATOR_TOOLS | EMERGENCY_ENGINES | {
        "search_bank_knowledge", "suggest_reply"}
    for persona in PERSONAS:
        for tool in registry.tools_for(persona):
            assert persona in registry.personas_of(tool.name)
    with pytest.raises(ToolNotAllowedError, match="没有「janitor」这个角色"):
        tools_for("janitor")  # type: ignore[arg-type]


def test_each_tool_has_a_schema_and_a_chinese_description() -> None:
    for tool in (s.tool for s in default_registry().specs()):
        assert _HAN.search(tool.description), tool.name
        assert isinstance(tool.args_schema, type) and issubclass(tool.args_schema, BaseModel)
        # the services travel in the call's config, never as an argument a model could fill
        assert "config" not in tool.tool_call_schema.model_json_schema()["properties"]


def test_a_tool_outside_the_persona_is_refused(context: ToolContext,
                                               demo_graph: GraphStore) -> None:
    registry = default_registry()
    with pytest.raises(ToolNotAllowedError, match="无权调用工具「file_ticket」"):
        registry.invoke("bank_qa", "file_ticket", {"ticket": _ticket("TT-refused")}, context)
    with pytest.raises(ToolNotAllowedError, match="list_all_tickets"):
        registry.invoke("citizen", "list_all_tickets", {}, context)
    assert _count(demo_graph, "TT-refused") == 0


def test_a_registry_refuses_bad_specs() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        ToolRegistry([ToolSpec(search_knowledge, frozenset({"citizen"}))] * 2)
    with pytest.raises(ValueError, match="bad personas"):
        ToolSpec(search_knowledge, frozenset({"mayor"}))  # type: ignore[arg-type]


def test_a_tool_needs_its_context_and_valid_arguments(context: ToolContext) -> None:
    with pytest.raises(ConfigurationError, match="ToolContext"):
        search_knowledge.invoke({"query": "公租房"})
    with pytest.raises(ConfigurationError, match="ticket book"):
        default_registry().invoke("citizen", "ticket_status",
                                  {"ticket_id": "T-1", "phone": "1"}, ToolContext())
    with pytest.raises(ValidationError):
        default_registry().invoke("citizen", "search_knowledge", {"query": ""}, context)


def test_search_knowledge_finds_entries_with_ids_and_departments(context: ToolContext) -> None:
    found = default_registry().invoke(
        "citizen", "search_knowledge", {"query": "外地人能不能申请滨江的公租房", "k": 3}, context)
    assert isinstance(found, KnowledgeSearch)
    assert found.entries[0].entry_id == "K0001"
    assert found.confident and found.confident[0].entry_id == "K0001"
    assert found.entries[0].source and "公共租赁住房" in found.entries[0].source
    assert found.entries[0].departments, "handling departments come from the graph"
    unknown = default_registry().invoke(
        "citizen", "search_knowledge", {"query": "个人所得税专项附加扣除怎么填"}, context)
    assert not unknown.confident


def test_file_ticket_is_idempotent_and_status_needs_the_owners_phone(
    context: ToolContext, demo_graph: GraphStore
) -> None:
    registry = default_registry()
    ticket = _ticket("TT-status")
    for _ in range(2):
        filed = registry.invoke("citizen", "file_ticket", {"ticket": ticket}, context)
        assert isinstance(filed, FiledTicket) and filed.id == "TT-status"
    assert _count(demo_graph, "TT-status") == 1
    mine = registry.invoke("citizen", "ticket_status",
                           {"ticket_id": "TT-status", "phone": "138 0571 8801"}, context)
    assert isinstance(mine, TicketStatus)
    assert mine.found and mine.status == "已登记" and mine.summary == ticket.summary
    for phone in ("13900000000", "8801"):
        other = registry.invoke("citizen", "ticket_status",
                                {"ticket_id": "TT-status", "phone": phone}, context)
        assert not other.found and other.summary is None and other.status is None
    missing = registry.invoke("citizen", "ticket_status",
                              {"ticket_id": "TT-none", "phone": OWNER_PHONE}, context)
    assert missing.model_dump(exclude={"ticket_id"}) == other.model_dump(exclude={"ticket_id"})


def test_a_ticket_without_phone_is_shown_to_nobody(context: ToolContext) -> None:
    registry = default_registry()
    registry.invoke("citizen", "file_ticket", {"ticket": _ticket("TT-nophone", phone=None)},
                    context)
    status = registry.invoke("citizen", "ticket_status",
                             {"ticket_id": "TT-nophone", "phone": "x"}, context)
    assert not status.found


def test_report_emergency_advises_and_files_an_urgent_ticket(
    context: ToolContext, demo_graph: GraphStore
) -> None:
    ticket = _ticket("TT-fire", summary="厨房着火了", urgency="一般")
    report = default_registry().invoke(
        "emergency", "report_emergency", {"ticket": ticket, "description": "厨房着火了，烟很大"},
        context)
    assert isinstance(report, EmergencyReport)
    assert report.advice.numbers == ["119"] and "119" in report.advice.advice
    assert report.ticket.urgency == "紧急"
    stored = get_ticket(demo_graph, "TT-fire")
    assert stored.properties["urgency"] == "紧急" and "火情" in stored.properties["urgency_reason"]
    incident = demo_graph.read("MATCH (i:Incident {id: $id}) OPTIONAL MATCH (i)-[:OF_TYPE]->(h) "
                               "RETURN i.name AS name, h.name AS hazard", id=report.incident_id)
    assert incident == [{"name": "市民报告：火情", "hazard": "火灾"}]


@pytest.mark.parametrize(("text", "hazard", "numbers"), [
    ("楼道里一股很重的煤气味", "燃气泄漏", ["119"]),
    ("厨房着火了，烟很大", "火情", ["119"]),
    ("我妈被关在电梯里了", "人员被困", ["119"]),
    ("楼下有个老人晕倒了，叫不醒", "人员受伤或急病", ["120"]),
    ("有人在小区门口打架，还拿着刀", "治安警情", ["110"]),
    ("有个小孩掉河里了", "溺水", ["119", "120"]),
    ("下穿隧道积水很深，有辆车被困，里面还有人", "人员被困", ["119"]),
    # The hazard is read in the sentence that made the call urgent.
    ("路口两辆车撞了，有个人躺在地上流了好多血", "交通事故", ["110", "120"]),
    # A hedge in the clause before (「没回来」) does not hedge this one.
    ("我爸早上出门到现在都没回来，找不到人了", "人员走失", ["110"]),
])
def test_life_dangers_name_the_number_to_call(text: str, hazard: str,
                                              numbers: list[str]) -> None:
    advice = life_danger(text)
    assert advice is not None, text
    assert (advice.hazard, advice.numbers) == (hazard, numbers)


@pytest.mark.parametrize("text", [
    "楼道里堆满杂物，有火灾隐患",
    "万一着火了怎么办",
    "长河菜场门口水管爆了，水哗哗往外冒",
    "地下车库进水了",
    "实验小学门口有个窨井盖没了",
    "路灯坏了找谁修",
])
def test_no_life_danger(text: str) -> None:
    assert life_danger(text) is None


def test_the_tools_are_registered_as_tool_nodes_with_their_personas(graph: GraphStore) -> None:
    assert register_tools(graph) == len(default_registry().names())
    register_tools(graph)  # idempotent: refreshes, never duplicates
    rows = graph.read("MATCH (t:Tool) WHERE t.kind = $kind RETURN t ORDER BY t.id",
                      kind=SERVICE_KIND)
    tools = {r["t"]["name"]: r["t"] for r in rows}
    specs = default_registry().specs()
    assert set(tools) == {s.name for s in specs if s.node_id is None}
    engines = graph.read("MATCH (t:Tool) WHERE t.id IN $ids RETURN t.id AS id, "
                         "t.personas AS personas, t.entrypoint AS entrypoint",
                         ids=[s.node_id for s in specs if s.node_id])
    assert {e["id"] for e in engines} >= {"T-OPT-FLOOD-DISPATCH", "T-PERC-WATER-GAUGE"}
    assert all(e["personas"] and e["entrypoint"].startswith("bots.tools.") for e in engines)
    search = tools["search_knowledge"]
    assert search["id"] == tool_node_id("search_knowledge")
    assert set(search["personas"]) == {"citizen", "hotline_assist", "emergency"}
    assert search["applies_to_labels"] == ["KnowledgeEntry"]
    assert search["entrypoint"] == "bots.tools.knowledge_tools:search_knowledge"
    assert "query" in search["input_schema"]
    assert "bank_qa" not in tools["file_ticket"]["personas"]
