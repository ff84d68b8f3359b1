"""An LLM's rewrite of a grounded text, kept only when it passes the guardrails.

Every bot lets the LLM do one thing: say again, in better words, a text that retrieval and
the graph already ground (an entry's answer, a reply draft with its [n] citations). The
citizen bot, the bank bot and the hotline assistant all go through :func:`guarded_rewrite`,
so they fall back alike: with no LLM, an LLM that fails, or a rewrite that breaks a rule,
the grounded text stays and :class:`Rewrite` says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from bots.guardrails import rewrite_problems
from bots.llm import ChatTurn, LLMAnswer
from kg.errors import LLMUnavailableError

log = logging.getLogger(__name__)

RewriteStatus = Literal["rewritten", "rejected", "unavailable", "no_llm"]


class Completer(Protocol):
    """What a rewrite needs of an LLM: one complete answer (:class:`bots.llm.LLMClient`)."""

    def complete(self, turns: Sequence[ChatTurn]) -> LLMAnswer:
        """The whole answer; LLMUnavailableError when there is none."""
        ...


class Rewrite(BaseModel):
    """The text to show and where it came from."""

    text: str = Field(description="the accepted rewrite, else the grounded original")
    status: RewriteStatus
    problems: list[str] = Field(default_factory=list,
                                description="the rules a rejected rewrite broke, in Chinese")
    error: str | None = Field(default=None, description="why the LLM gave no answer")

    @property
    def rewritten(self) -> bool:
        """Whether the LLM's words are shown."""
        return self.status == "rewritten"


def guarded_rewrite(
    llm: Completer | None,
    system: str,
    request: str,
    original: str,
    *,
    extra_check: Callable[[str], list[str]] | None = None,
) -> Rewrite:
    """``original`` said again by ``llm`` (prompted with ``system`` and ``request``), or
    ``original`` itself when there is no LLM, it fails, or its text breaks a rule of
    :func:`bots.guardrails.rewrite_problems` or of ``extra_check``."""
    if llm is None:
        return Rewrite(text=original, status="no_llm")
    try:
        answer = llm.complete([ChatTurn(role="system", content=system),
                               ChatTurn(role="user", content=request)])
    except LLMUnavailableError as exc:
        log.warning("LLM rewrite failed, the grounded text stays: %s", exc)
        return Rewrite(text=original, status="unavailable", error=exc.message)
    text = answer.text.strip()
    problems = rewrite_problems(text, original)
    if extra_check is not None and not problems:
        problems = extra_check(text)
    if problems:
        log.info("LLM rewrite rejected: %s", "；".join(problems))
        return Rewrite(text=original, status="rejected", problems=problems)
    return Rewrite(text=text, status="rewritten")
