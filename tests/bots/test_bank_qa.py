"""The bank QA bot: input checks, follow-ups, answers verbatim with their source, hand-overs."""

from __future__ import annotations

import pytest

from bots.bank_qa import BankQABot, BankTurn, check_question, is_follow_up
from kg.errors import DataValidationError
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


@pytest.fixture(scope="module")
def bot() -> BankQABot:
    base = KnowledgeBase(load_encoder())
    base.upsert(ITEMS)
    return BankQABot(base, load_scorer())


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
