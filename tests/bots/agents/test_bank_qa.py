"""The bank QA agent: input checks, follow-ups, answers from the entry with its source (worded
by the LLM only under the guardrails), hand-overs, and the bank persona's tools."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bots.agents.bank_qa import (
    NOTE_LLM_DOWN,
    NOTE_NO_LLM,
    NOTE_WORDED,
    BankQABot,
    BankTurn,
    check_question,
    is_follow_up,
)
from bots.guardrails import numbers_in, unsupported_numbers
from bots.llm import ChatTurn, LLMAnswer, LLMClient
from bots.tools.context import ToolContext
from bots.tools.registry import ToolNotAllowedError, default_registry
from kg.errors import DataValidationError, LLMUnavailableError
from retrieval.answer_scorer import load_scorer
from retrieval.encoder import load_encoder
from retrieval.entries import KnowledgeItem
from retrieval.knowledge_base import KnowledgeBase

ITEMS = [
    KnowledgeItem(id="B1", question="借记卡丢了怎么挂失？",
                  answer="请拨打客服热线或到任一网点办理挂失，挂失手续费 10 元。",
                  paraphrases=("银行卡丢了怎么办", "卡片遗失了如何冻结"), domain="银行",
                  source="借记卡章程第 12 条"),
    KnowledgeItem(id="B2", question="跨行转账手续费是多少？", answer="手机银行跨行转账免费。",
                  paraphrases=("转账到别的银行收费吗", "跨行汇款要手续费吗"), domain="银行",
                  source="服务价格目录"),
    KnowledgeItem(id="B3", question="手机银行登录密码忘了怎么办？",
                  answer="在登录页点击“忘记密码”，验证身份后重置。",
                  paraphrases=("手机银行密码想不起来了", "登录密码找回"), domain="银行"),
    KnowledgeItem(id="G1", question="路灯不亮找哪个部门？", answer="由区城市管理局负责。",
                  domain="政务"),
]


class _Scripted:
    """An LLM that answers from a script: a format string of the entry's answer, or an error."""

    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    def complete(self, turns: Sequence[ChatTurn]) -> LLMAnswer:
        self.prompts.append(turns[-1].content)
        if isinstance(self.answer, Exception):
            raise self.answer
        entry = turns[-1].content.split("知识条目：", 1)[1]
        return LLMAnswer(text=self.answer.format(entry=entry), model="scripted",
                         first_token_s=0.0, total_s=0.0, pieces=1)


@pytest.fixture(scope="module")
def base() -> KnowledgeBase:
    knowledge = KnowledgeBase(load_encoder())
    knowledge.upsert(ITEMS)
    return knowledge


@pytest.fixture(scope="module")
def bot(base: KnowledgeBase) -> BankQABot:
    return BankQABot.on_knowledge(base, load_scorer())


def test_bad_questions_are_named() -> None:
    with pytest.raises(DataValidationError, match="问题为空"):
        check_question(" \t\n")
    with pytest.raises(DataValidationError, match="问题过长"):
        check_question("问" * 600)
    with pytest.raises(DataValidationError, match="只有标点"):
        check_question("？？！！。。…")
    assert check_question("  ATM 吞卡了\nwhat to do ") == "ATM 吞卡了 what to do"


def test_follow_up_detection() -> None:
    assert is_follow_up("那手续费呢？")
    assert is_follow_up("要多久")
    assert is_follow_up("还有别的办法吗")
    assert not is_follow_up("请问我的借记卡丢失以后应该怎样办理挂失手续比较快")
    assert not is_follow_up("明天滨江会下雨吗？")


def test_answers_verbatim_with_its_source(bot: BankQABot) -> None:
    answer = bot.ask("我银行卡丢了，要怎么挂失")
    assert answer.status == "answered", answer
    assert answer.answer == ITEMS[0].answer and ITEMS[0].answer in answer.reply
    assert answer.source is not None and answer.source.entry_id == "B1"
    assert "借记卡章程第 12 条" in answer.reply
    assert answer.confidence >= answer.threshold
    assert not answer.worded_by_llm and answer.note == NOTE_NO_LLM


def test_hands_over_when_unsure_or_asked(bot: BankQABot) -> None:
    unknown = bot.ask("你们的理财产品年化收益率是多少")
    assert unknown.status == "handover" and unknown.answer is None
    assert "转接人工" in unknown.reply and unknown.confidence < unknown.threshold
    human = bot.ask("我要转人工")
    assert human.status == "handover" and human.reason == "客户要求人工服务"


def test_other_domains_are_not_answered(bot: BankQABot) -> None:
    answer = bot.ask("路灯不亮找哪个部门？")
    assert answer.source is None or answer.source.entry_id != "G1"


def test_follow_up_uses_the_previous_question(bot: BankQABot) -> None:
    history = [BankTurn(question="跨行转账要多久到账", entry_id=None)]
    answer = bot.ask("那手续费呢", history)
    if answer.status == "answered":
        assert answer.source is not None and answer.source.entry_id == "B2"
    assert answer.status == "answered" or answer.suggestions


def test_the_bank_persona_reaches_only_the_bank_knowledge(base: KnowledgeBase) -> None:
    registry = default_registry()
    assert [t.name for t in registry.tools_for("bank_qa")] == ["search_bank_knowledge"]
    context = ToolContext(knowledge=base, scorer=load_scorer())
    with pytest.raises(ToolNotAllowedError):
        registry.invoke("bank_qa", "search_knowledge", {"query": "路灯不亮"}, context)
    with pytest.raises(ToolNotAllowedError):
        registry.invoke("citizen", "search_bank_knowledge", {"query": "挂失"}, context)
    found = registry.invoke("bank_qa", "search_bank_knowledge", {"query": "路灯不亮找哪个部门"},
                            context)
    assert all(e.entry_id.startswith("B") for e in found.entries)


def test_the_llm_words_the_answer_only_from_the_entry(base: KnowledgeBase) -> None:
    llm = _Scripted("您好，{entry}")
    answer = BankQABot.on_knowledge(base, load_scorer(), llm=llm).ask("我银行卡丢了，要怎么挂失")
    assert answer.status == "answered" and answer.worded_by_llm and answer.note == NOTE_WORDED
    assert answer.reply.startswith("您好，请拨打") and answer.answer == ITEMS[0].answer
    assert "我银行卡丢了" in llm.prompts[0] and ITEMS[0].answer in llm.prompts[0]
    assert not unsupported_numbers(answer.reply, [ITEMS[0].answer, "借记卡章程第 12 条"])


@pytest.mark.parametrize(("script", "problem"), [
    ("挂失手续费 20 元。", "数字"),                       # a fee the entry does not give
    ("请拨打客服热线或到网点办理挂失。", "漏掉了条目中的数字"),  # the fee left out
    ("知识条目：{entry}", "提示语"),
])
def test_an_llm_wording_that_breaks_a_rule_gives_way_to_the_entry(
        base: KnowledgeBase, script: str, problem: str) -> None:
    answer = BankQABot.on_knowledge(base, load_scorer(), llm=_Scripted(script)).ask(
        "我银行卡丢了，要怎么挂失")
    assert answer.status == "answered" and not answer.worded_by_llm
    assert answer.reply.startswith(ITEMS[0].answer) and problem in answer.note


def test_an_llm_that_fails_leaves_the_entry_and_says_so(base: KnowledgeBase) -> None:
    down = _Scripted(LLMUnavailableError("超时"))
    answer = BankQABot.on_knowledge(base, load_scorer(), llm=down).ask("我银行卡丢了，要怎么挂失")
    assert answer.reply.startswith(ITEMS[0].answer) and answer.note == NOTE_LLM_DOWN


def test_the_real_llm_keeps_every_figure_of_the_entry_or_the_entry_stays(
        base: KnowledgeBase, llm_client: LLMClient) -> None:
    bot = BankQABot.on_knowledge(base, load_scorer(), llm=llm_client)
    for question in ("我银行卡丢了，要怎么挂失", "跨行转账要收手续费吗"):
        answer = bot.ask(question)
        assert answer.status == "answered" and answer.answer is not None, answer
        assert numbers_in(answer.answer) <= numbers_in(answer.reply)
        source = answer.source.source if answer.source else None
        assert not unsupported_numbers(answer.reply, [answer.answer, source or ""])
        if not answer.worded_by_llm:
            assert answer.reply.startswith(answer.answer)
