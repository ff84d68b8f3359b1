"""The hotline-assist agent: its tool, and the draft polished by the LLM under the guardrails
(the real local LLM, one that is down, and scripted answers for each rule)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from bots.agents.hotline_assist import (
    NO_LLM_NOTE,
    POLISHED_NOTE,
    UNAVAILABLE_NOTE,
    HotlineAssistAgent,
)
from bots.guardrails import rewrite_problems
from bots.hotline_assist import TEMPLATE_NOTE, HotlineAssistant
from bots.llm import ChatTurn, LLMAnswer, LLMClient
from bots.tools.context import ToolContext
from bots.tools.registry import ToolNotAllowedError, default_registry
from kg.errors import DataValidationError, LLMUnavailableError
from kg.server.processes import free_port
from retrieval.knowledge_base import KnowledgeBase
from tests.bots.test_hotline_assist import _ticket, knowledge, lookup  # noqa: F401 (fixture)


class _Scripted:
    """An LLM that answers from a script: a format string of the draft, or an error."""

    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer

    def complete(self, turns: Sequence[ChatTurn]) -> LLMAnswer:
        if isinstance(self.answer, Exception):
            raise self.answer
        draft = turns[-1].content.split("\n", 1)[1]
        return LLMAnswer(text=self.answer.format(draft=draft), model="scripted",
                         first_token_s=0.0, total_s=0.0, pieces=1)


def _agent(knowledge: KnowledgeBase, llm: object = None) -> HotlineAssistAgent:  # noqa: F811
    return HotlineAssistAgent.with_drafter(HotlineAssistant(knowledge, lookup), lookup,
                                           llm=llm)  # type: ignore[arg-type]


def test_the_agent_drafts_through_its_tool_and_says_who_wrote_it(
    knowledge: KnowledgeBase,  # noqa: F811 (fixture)
) -> None:
    no_llm = _agent(knowledge).suggest(_ticket())
    assert no_llm.reply == no_llm.template_reply and not no_llm.polished
    assert no_llm.draft_note == NO_LLM_NOTE and no_llm.entries[0].id == "K1"
    unpolished = _agent(knowledge, _Scripted("（润色）{draft}")).suggest(_ticket(), polish=False)
    assert unpolished.draft_note == TEMPLATE_NOTE and not unpolished.polished
    with pytest.raises(DataValidationError):
        _agent(knowledge).suggest(_ticket(summary=""), "坐席：您好\n  \n")


def test_only_the_hotline_persona_may_draft_replies(
    knowledge: KnowledgeBase,  # noqa: F811 (fixture)
) -> None:
    registry = default_registry()
    context = ToolContext(drafter=HotlineAssistant(knowledge, lookup))
    for persona in ("citizen", "bank_qa", "regulator", "emergency"):
        with pytest.raises(ToolNotAllowedError):
            registry.invoke(persona, "suggest_reply", {"ticket": _ticket()}, context)
    assert "suggest_reply" in [t.name for t in registry.tools_for("hotline_assist")]


def test_a_polish_is_kept_only_when_it_passes_the_guardrails(
    knowledge: KnowledgeBase,  # noqa: F811 (fixture)
) -> None:
    good = _agent(knowledge, _Scripted("（润色）{draft}")).suggest(_ticket())
    assert good.polished and good.reply.startswith("（润色）") and good.draft_note == POLISHED_NOTE
    assert good.template_reply in good.reply
    for bad in ("编造的规定[9]。", "{draft}另收费50元。", "   "):
        dropped = _agent(knowledge, _Scripted(bad)).suggest(_ticket())
        assert not dropped.polished and dropped.reply == dropped.template_reply
        assert dropped.draft_note.startswith("大模型改写未通过核对")
    down = _agent(knowledge, _Scripted(LLMUnavailableError("超时"))).suggest(_ticket())
    assert not down.polished and down.draft_note == UNAVAILABLE_NOTE


def test_the_real_llm_either_passes_the_checks_or_the_template_stays(
    knowledge: KnowledgeBase, llm_client: LLMClient  # noqa: F811 (fixture)
) -> None:
    suggestion = _agent(knowledge, llm_client).suggest(_ticket())
    if suggestion.polished:
        assert suggestion.draft_note == POLISHED_NOTE
        assert rewrite_problems(suggestion.reply, suggestion.template_reply) == []
    else:
        assert suggestion.reply == suggestion.template_reply
        assert suggestion.draft_note.startswith("大模型改写未通过核对")


def test_an_llm_that_is_down_leaves_the_template_and_says_so(
    knowledge: KnowledgeBase,  # noqa: F811 (fixture)
) -> None:
    down = LLMClient(f"http://127.0.0.1:{free_port('127.0.0.1')}/v1", "m", timeout_s=2.0,
                     max_retries=0)
    suggestion = _agent(knowledge, down).suggest(_ticket())
    assert not suggestion.polished and suggestion.reply == suggestion.template_reply
    assert suggestion.draft_note == UNAVAILABLE_NOTE
