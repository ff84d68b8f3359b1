"""The hotline reply polished by the real local LLM, checked, or left as the template."""

from __future__ import annotations

from bots.guardrails import rewrite_problems
from bots.hotline_assist import POLISHED_NOTE, UNAVAILABLE_NOTE, HotlineAssistant
from bots.llm import LLMClient
from bots.reply_polisher import LLMReplyPolisher
from kg.server.processes import free_port
from retrieval.knowledge_base import KnowledgeBase
from tests.bots.test_hotline_assist import _ticket, knowledge, lookup  # noqa: F401 (fixture)


def test_the_real_llm_either_passes_the_checks_or_the_template_stays(
    knowledge: KnowledgeBase, llm_client: LLMClient  # noqa: F811 (fixture)
) -> None:
    assistant = HotlineAssistant(knowledge, lookup, polisher=LLMReplyPolisher(llm_client))
    suggestion = assistant.suggest(_ticket())
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
    suggestion = HotlineAssistant(knowledge, lookup,
                                  polisher=LLMReplyPolisher(down)).suggest(_ticket())
    assert not suggestion.polished and suggestion.reply == suggestion.template_reply
    assert suggestion.draft_note == UNAVAILABLE_NOTE
