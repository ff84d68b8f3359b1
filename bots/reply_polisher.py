"""The LLM's part in the hotline agent's suggested reply: make the template draft read well.

The template draft (``bots/hotline_assist.py``) already says everything the knowledge
supports, with its [n] citations. The LLM only rephrases it in the agent's voice; what it
returns must pass :func:`bots.guardrails.rewrite_problems` (same citations, no new number,
Chinese, not ballooning) or it is rejected and the template stays, with the reason shown.
"""

from __future__ import annotations

import logging

from bots.guardrails import rewrite_problems
from bots.hotline_assist import ReplySuggestion
from bots.llm import ChatTurn, LLMClient
from kg.errors import LLMUnavailableError
from kg.ticket import Ticket

log = logging.getLogger(__name__)

SYSTEM_PROMPT = (
    "你是12345政务服务便民热线的坐席助手。请把坐席的回复草稿改写得更通顺、更亲切，"
    "像坐席在电话里对市民说话。要求：只使用草稿里的事实；保留草稿中所有形如[1]、[2]的引用编号，"
    "放在对应的句子后面；不得新增任何数字、电话、金额、日期、期限、政策或承诺；"
    "不超过草稿的长度；只输出改写后的回复，不要解释。"
)


class RejectedRewriteError(LLMUnavailableError):
    """The LLM answered, but its rewrite broke a guardrail; the template draft stays."""

    code = "E071"


class LLMReplyPolisher:
    """A :class:`~bots.hotline_assist.ReplyPolisher` backed by the configured LLM."""

    def __init__(self, client: LLMClient) -> None:
        """Polish through ``client`` (its time limit bounds how long the agent waits)."""
        self.client = client

    def polish(self, draft: str, suggestion: ReplySuggestion, ticket: Ticket) -> str:
        """The draft rephrased by the LLM.

        Raises :class:`~kg.errors.LLMUnavailableError` when the LLM does not answer and
        :class:`RejectedRewriteError` naming the broken rules when its rewrite is unusable.
        """
        answer = self.client.complete([
            ChatTurn(role="system", content=SYSTEM_PROMPT),
            ChatTurn(role="user", content=f"回复草稿：\n{draft}"),
        ])
        problems = rewrite_problems(answer.text, draft)
        if problems:
            log.info("LLM rewrite of ticket %s rejected: %s", ticket.id, "；".join(problems))
            raise RejectedRewriteError("大模型改写未通过核对（" + "；".join(problems) + "）")
        return answer.text
