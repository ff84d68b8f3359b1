"""The hotline assistant's tool: a suggested reply for the agent's ticket.

``suggest_reply`` finds the knowledge entries (expanded through the graph to their
departments, phones and policies) and the past cases closest to what the citizen said, and
drafts a reply from templates that cites them by [n]; the hotline-assist agent may then let
the LLM polish that draft.
"""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from bots.hotline_assist import ReplySuggestion
from bots.tools.context import context_of
from bots.tools.spec import ToolSpec
from kg.ticket import Ticket


class SuggestReplyArgs(BaseModel):
    """Arguments of ``suggest_reply``."""

    ticket: Ticket = Field(description="坐席正在处理的工单")
    transcript: str | None = Field(default=None, max_length=20_000,
                                   description="通话记录；缺省时用工单自带的记录")


@tool("suggest_reply", args_schema=SuggestReplyArgs, description=(
    "为坐席的工单生成建议答复：检索最相关的政务知识条目（含承办部门、电话、政策）和相似历史案例，"
    "按模板起草一段引用[n]编号的答复草稿。"))
def suggest_reply(ticket: Ticket, transcript: str | None, config: RunnableConfig
                  ) -> ReplySuggestion:
    """The entries, past cases and template draft the agent sees beside ``ticket``."""
    return context_of(config).reply_drafter.suggest(ticket, transcript)


HOTLINE_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(suggest_reply, frozenset({"hotline_assist"}), ("Ticket", "KnowledgeEntry")),
)
"""The hotline assistant's tools with the personas allowed to call each."""
