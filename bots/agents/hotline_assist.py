"""The hotline-assist agent (坐席助手): a suggested reply for the agent's ticket, polished.

A LangGraph ``StateGraph`` of two steps: ``draft`` calls the persona's ``suggest_reply``
tool (entries, past cases and a template draft citing them by [n]); ``polish`` lets the LLM
make the draft read like the agent speaking. The polished draft is kept only if it passes
the guardrails (same citations, no new number, Chinese, no longer than allowed); otherwise,
or with no LLM, the template stays and ``draft_note`` says why.
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel

from bots.guarded_rewrite import Completer, guarded_rewrite
from bots.hotline_assist import TEMPLATE_NOTE, ContextLookup, HotlineAssistant, ReplySuggestion
from bots.tools.context import ToolContext
from bots.tools.registry import ToolRegistry, default_registry
from bots.tools.spec import Persona
from kg.ticket import Ticket

PERSONA: Persona = "hotline_assist"

SYSTEM_PROMPT = (
    "你是12345政务服务便民热线的坐席助手。请把坐席的回复草稿改写得更通顺、更亲切，"
    "像坐席在电话里对市民说话。要求：只使用草稿里的事实；保留草稿中所有形如[1]、[2]的引用编号，"
    "放在对应的句子后面；不得新增任何数字、电话、金额、日期、期限、政策或承诺；"
    "不超过草稿的长度；只输出改写后的回复，不要解释。"
)
NO_LLM_NOTE = "未启用大模型润色：草稿由检索结果和模板生成。"
POLISHED_NOTE = "草稿经大模型润色，引用和数字已核对。"
UNAVAILABLE_NOTE = "大模型暂不可用：草稿由检索结果和模板生成。"
REJECTED_NOTE = "大模型改写未通过核对（{problems}），已用模板草稿。"


class AssistState(BaseModel):
    """One request through the graph."""

    ticket: Ticket
    transcript: str | None = None
    polish: bool = True
    suggestion: ReplySuggestion | None = None


class HotlineAssistAgent:
    """The hotline-assist persona's agent; stateless, safe to call from many threads."""

    def __init__(self, tools: ToolContext, llm: Completer | None = None,
                 registry: ToolRegistry | None = None) -> None:
        """Draft with ``tools``' reply drafter; ``llm`` (optional) polishes the draft."""
        self.context = tools
        self.llm = llm
        self.registry = registry or default_registry()
        self._graph = self._build_graph()

    @classmethod
    def with_drafter(cls, drafter: HotlineAssistant, lookup: ContextLookup | None = None,
                     llm: Completer | None = None) -> HotlineAssistAgent:
        """An agent drafting with ``drafter`` (the service's indexes and graph lookup)."""
        return cls(ToolContext(knowledge=drafter.knowledge, lookup=lookup, drafter=drafter),
                   llm=llm)

    def suggest(self, ticket: Ticket, transcript: str | None = None, *, polish: bool = True
                ) -> ReplySuggestion:
        """Entries, past cases and a reply draft for ``ticket`` (its transcript by default).

        ``polish=False`` skips the LLM (it takes seconds on a CPU) and keeps the template.
        Raises DataValidationError when there is nothing to search.
        """
        state = AssistState(ticket=ticket, transcript=transcript, polish=polish)
        final = AssistState.model_validate(self._graph.invoke(state))
        assert final.suggestion is not None, "the draft step always sets a suggestion"
        return final.suggestion

    def _build_graph(self) -> CompiledStateGraph[AssistState, None, AssistState, AssistState]:
        graph = StateGraph(AssistState)
        graph.add_node("draft", self._draft)
        graph.add_node("polish", self._polish)
        graph.add_edge(START, "draft")
        graph.add_conditional_edges("draft", lambda s: "polish" if s.polish else END,
                                    {"polish": "polish", END: END})
        graph.add_edge("polish", END)
        return graph.compile()

    def _draft(self, state: AssistState) -> dict[str, Any]:
        args = {"ticket": state.ticket, "transcript": state.transcript}
        result = self.registry.invoke(PERSONA, "suggest_reply", args, self.context)
        if not isinstance(result, ReplySuggestion):
            raise TypeError(f"suggest_reply returned {type(result).__name__}")
        return {"suggestion": result.model_copy(update={"draft_note": TEMPLATE_NOTE})}

    def _polish(self, state: AssistState) -> dict[str, Any]:
        suggestion = state.suggestion
        assert suggestion is not None, "polish follows draft"
        draft = suggestion.reply
        rewrite = guarded_rewrite(self.llm, SYSTEM_PROMPT, f"回复草稿：\n{draft}", draft)
        if rewrite.rewritten:
            update: dict[str, Any] = {"reply": rewrite.text, "polished": True,
                                      "draft_note": POLISHED_NOTE}
        elif rewrite.status == "rejected":
            update = {"draft_note": REJECTED_NOTE.format(problems="；".join(rewrite.problems))}
        else:
            update = {"draft_note": NO_LLM_NOTE if rewrite.status == "no_llm"
                      else UNAVAILABLE_NOTE}
        return {"suggestion": suggestion.model_copy(update=update)}
