"""The bank's customer-service agent: an answer from the bank's own knowledge, or a hand-over.

A LangGraph ``StateGraph``: ``intake`` hands a request for a person straight over;
``retrieve`` calls the bank persona's only knowledge tool, ``search_bank_knowledge``
(hybrid retrieval over the bank's entries, reranked by the calibrated answer scorer); at or
above the scorer's threshold ``answer`` replies from the best entry, below it ``handover``
passes the customer to a person (「转人工」) with the closest questions it knows.

The answer comes only from the retrieved entry. The LLM, when configured, words it as a
reply to the customer's question, and that wording is kept only if it passes the guardrails:
no number the entry lacks, every number the entry has, Chinese, complete, not ballooning.
Otherwise, and with no LLM, the entry's own text is the reply. Either way the entry's text
is returned verbatim beside the reply, with its source.

Follow-up questions (「那手续费呢？」) are understood through the previous question: when a
short question alone is not confident enough, it is asked again together with the last one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field

from bots.guarded_rewrite import Completer, guarded_rewrite
from bots.guardrails import numbers_in
from bots.tools.context import ToolContext
from bots.tools.knowledge_tools import KnowledgeFound, KnowledgeSearch
from bots.tools.registry import ToolRegistry, default_registry
from bots.tools.spec import Persona
from kg.errors import DataValidationError
from retrieval.answer_scorer import AnswerScorer
from retrieval.knowledge_base import KnowledgeBase

log = logging.getLogger(__name__)

PERSONA: Persona = "bank_qa"
MAX_QUESTION_CHARS = 500
FOLLOW_UP_MAX_CHARS = 8
SUGGESTIONS = 3

HANDOVER_REPLY = "这个问题我暂时无法准确回答，正在为您转接人工客服，请稍候。"
HUMAN_REQUEST_REPLY = "好的，正在为您转接人工客服，请稍候。"
LLM_SYSTEM = (
    "你是滨江市民银行的智能客服。请只根据给出的知识条目，用简洁、礼貌的一两句话回答客户的问题。"
    "要求：只使用条目里的事实；条目中的数字、金额、费率、期限必须原样保留；"
    "不得新增任何数字、规则或承诺；只输出答复，不要解释。"
)
NOTE_WORDED = "大模型依据知识条目作答，数字已与条目核对。"
NOTE_NO_LLM = "未启用大模型措辞：答复为知识条目原文。"
NOTE_LLM_DOWN = "大模型暂不可用：答复为知识条目原文。"
NOTE_REJECTED = "大模型的措辞未通过核对（{problems}），答复为知识条目原文。"
NOTE_HANDOVER = "未作答：转人工客服。"
_PROMPT_LABELS = re.compile(r"客户问题|知识条目")
_HUMAN_REQUEST = re.compile(r"转人工|人工客服|人工服务|找人工|真人")
_SEARCHABLE = re.compile(r"[\w\u4e00-\u9fff]")
_FOLLOW_UP = re.compile(r"^(那|还有|另外|这个|它|要是|如果)|呢[？?]?$")


class BankTurn(BaseModel):
    """One earlier exchange of the conversation, as the client kept it."""

    question: str
    entry_id: str | None = None


class AnswerSource(BaseModel):
    """The knowledge entry an answer comes from."""

    entry_id: str
    question: str
    source: str | None = None
    category: str | None = None


class Suggestion(BaseModel):
    """A close question the bot knows, offered when it hands over."""

    entry_id: str
    question: str
    confidence: float


class BankAnswer(BaseModel):
    """The bot's reply to one question."""

    question: str
    status: Literal["answered", "handover"]
    reply: str = Field(description="the text shown to the customer")
    answer: str | None = Field(default=None, description="the entry's answer, verbatim")
    confidence: float = Field(ge=0.0, le=1.0)
    threshold: float
    source: AnswerSource | None = None
    suggestions: list[Suggestion] = Field(default_factory=list)
    reason: str = Field(description="why the bot answered or handed over")
    used_context: bool = Field(default=False, description="the previous question was used")
    worded_by_llm: bool = Field(default=False,
                                description="the LLM worded the reply from the entry")
    note: str = Field(default="", description="who wrote the reply, and why not the LLM if not")
    wording_problems: list[str] = Field(
        default_factory=list, description="the rules the LLM's rejected wording broke")


def check_question(question: str) -> str:
    """The question with blanks folded; DataValidationError when it cannot be a question."""
    folded = " ".join(question.split())
    if not folded:
        raise DataValidationError("question: 问题为空")
    if len(folded) > MAX_QUESTION_CHARS:
        raise DataValidationError(
            f"question: 问题过长（{len(folded)} 字），请控制在 {MAX_QUESTION_CHARS} 字以内"
        )
    if not _SEARCHABLE.search(folded):
        raise DataValidationError("question: 问题里没有文字，只有标点或符号")
    return folded


def is_follow_up(question: str) -> bool:
    """Whether a question leans on the previous one: short, opening with 「那」「还有」…, or
    ending in 「呢」 (「那手续费呢？」). A complete question (「明天会下雨吗？」) is not."""
    return len(question) <= FOLLOW_UP_MAX_CHARS or bool(_FOLLOW_UP.search(question))


class BankState(BaseModel):
    """One question through the graph."""

    question: str
    history: list[BankTurn] = Field(default_factory=list)
    found: KnowledgeSearch | None = None
    used_context: bool = False
    answer: BankAnswer | None = None


class BankQABot:
    """The bank persona's agent; stateless between calls, safe to call from many threads."""

    def __init__(self, tools: ToolContext, llm: Completer | None = None,
                 registry: ToolRegistry | None = None) -> None:
        """Answer from ``tools``' knowledge base (its bank entries) and answer scorer;
        ``llm`` (optional) words the answers."""
        self.context = tools
        self.llm = llm
        self.registry = registry or default_registry()
        self._graph = self._build_graph()

    @classmethod
    def on_knowledge(cls, base: KnowledgeBase, scorer: AnswerScorer,
                     llm: Completer | None = None) -> BankQABot:
        """A bot over ``base``'s bank entries, reranked by ``scorer``."""
        return cls(ToolContext(knowledge=base, scorer=scorer), llm=llm)

    def ask(self, question: str, history: Sequence[BankTurn] = ()) -> BankAnswer:
        """Answer ``question`` (with the conversation so far) or hand it over.

        Raises DataValidationError for a question that cannot be one (empty, overlong,
        only punctuation).
        """
        state = BankState(question=check_question(question), history=list(history))
        final = BankState.model_validate(self._graph.invoke(state))
        assert final.answer is not None, "every path ends with an answer or a hand-over"
        return final.answer

    # ------------------------------------------------------------------ the graph
    def _build_graph(self) -> CompiledStateGraph[BankState, None, BankState, BankState]:
        graph = StateGraph(BankState)
        graph.add_node("intake", self._intake)
        graph.add_node("retrieve", self._retrieve)
        graph.add_node("answer", self._answer)
        graph.add_node("handover", self._handover)
        graph.add_edge(START, "intake")
        graph.add_conditional_edges("intake", lambda s: END if s.answer else "retrieve",
                                    {END: END, "retrieve": "retrieve"})
        graph.add_conditional_edges("retrieve", _confident_route,
                                    {"answer": "answer", "handover": "handover"})
        graph.add_edge("answer", END)
        graph.add_edge("handover", END)
        return graph.compile()

    def _intake(self, state: BankState) -> dict[str, Any]:
        if not _HUMAN_REQUEST.search(state.question):
            return {}
        return {"answer": BankAnswer(
            question=state.question, status="handover", reply=HUMAN_REQUEST_REPLY,
            confidence=0.0, threshold=self.context.threshold, reason="客户要求人工服务",
            note=NOTE_HANDOVER)}

    def _retrieve(self, state: BankState) -> dict[str, Any]:
        found = self._search(state.question)
        if found.best < found.threshold and state.history and is_follow_up(state.question):
            combined = f"{state.history[-1].question} {state.question}"[-MAX_QUESTION_CHARS:]
            with_context = self._search(combined)
            if with_context.best > found.best:
                return {"found": with_context, "used_context": True}
        return {"found": found}

    def _answer(self, state: BankState) -> dict[str, Any]:
        found = state.found
        assert found is not None and found.entries, "answer follows a confident retrieval"
        top = found.entries[0]
        rewrite = guarded_rewrite(
            self.llm, LLM_SYSTEM, f"客户问题：{state.question}\n知识条目：{top.answer}",
            top.answer, extra_check=lambda text: _bank_problems(text, top.answer))
        cite = f"（依据：{top.source}）" if top.source else ""
        note = {"rewritten": NOTE_WORDED, "no_llm": NOTE_NO_LLM, "unavailable": NOTE_LLM_DOWN,
                "rejected": NOTE_REJECTED.format(problems="；".join(rewrite.problems))
                }[rewrite.status]
        return {"answer": BankAnswer(
            question=state.question, status="answered", reply=f"{rewrite.text}{cite}",
            answer=top.answer, confidence=top.confidence, threshold=found.threshold,
            source=AnswerSource(entry_id=top.entry_id, question=top.question,
                                source=top.source, category=top.category),
            reason=f"与知识条目「{top.matched}」匹配，置信度 {top.confidence:.2f}",
            used_context=state.used_context, worded_by_llm=rewrite.rewritten, note=note,
            wording_problems=rewrite.problems)}

    def _handover(self, state: BankState) -> dict[str, Any]:
        found = state.found
        assert found is not None, "handover follows retrieval"
        reason = (f"最接近的知识条目置信度 {found.best:.2f}，低于阈值 {found.threshold:.2f}"
                  if found.entries else "知识库里没有相关条目")
        return {"answer": BankAnswer(
            question=state.question, status="handover", reply=HANDOVER_REPLY,
            confidence=found.best, threshold=found.threshold,
            suggestions=[_suggestion(e) for e in found.entries], reason=reason,
            used_context=state.used_context, note=NOTE_HANDOVER)}

    def _search(self, question: str) -> KnowledgeSearch:
        args = {"query": question, "k": SUGGESTIONS}
        result = self.registry.invoke(PERSONA, "search_bank_knowledge", args, self.context)
        if not isinstance(result, KnowledgeSearch):
            raise TypeError(f"search_bank_knowledge returned {type(result).__name__}")
        return result


def _confident_route(state: BankState) -> Literal["answer", "handover"]:
    found = state.found
    return "answer" if found is not None and found.entries and found.best >= found.threshold \
        else "handover"


def _suggestion(entry: KnowledgeFound) -> Suggestion:
    return Suggestion(entry_id=entry.entry_id, question=entry.question,
                      confidence=entry.confidence)


def _bank_problems(text: str, entry_answer: str) -> list[str]:
    """What a bank answer breaks beyond the common rules: a number of the entry left out (a
    fee or a term the customer would not be told), or the prompt's labels echoed."""
    problems = []
    dropped = sorted(numbers_in(entry_answer) - numbers_in(text))
    if dropped:
        problems.append("漏掉了条目中的数字：" + "、".join(dropped[:5]))
    if _PROMPT_LABELS.search(text):
        problems.append("照抄了提示语")
    return problems
