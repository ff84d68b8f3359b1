"""What the tools work on: the knowledge base, the ticket book, the graph's context lookup.

Tools are defined once at import time and hold no state; the services they use travel with
each call in LangChain's ``RunnableConfig`` (``configurable[CONTEXT_KEY]``), so one tool
definition serves every bot instance, each with its own graph, index and test doubles.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from langchain_core.runnables import RunnableConfig

from kg.errors import ConfigurationError, NotFoundError
from kg.knowledge import KnowledgeContext, knowledge_context
from kg.store import GraphStore
from kg.ticket import StoredTicket, Ticket, get_ticket, store_ticket
from retrieval.answer_scorer import AnswerScorer
from retrieval.knowledge_base import KnowledgeBase

log = logging.getLogger(__name__)

CONTEXT_KEY = "cityagent_tools"
GOVERNMENT_DOMAIN = "政务"

ContextLookup = Callable[[Sequence[str]], Mapping[str, KnowledgeContext]]
"""Graph expansion of knowledge entries by id (see :func:`kg.knowledge.knowledge_context`)."""


class TicketBook(Protocol):
    """Where confirmed tickets are kept and read back."""

    def save(self, ticket: Ticket) -> None:
        """Store ``ticket``; saving the same id again updates it, never adds a second one."""
        ...

    def find(self, ticket_id: str) -> StoredTicket | None:
        """The stored ticket with ``ticket_id``, or None."""
        ...


class GraphTicketBook:
    """The ticket book in the graph: :func:`kg.ticket.store_ticket` and :func:`get_ticket`."""

    def __init__(self, store: GraphStore) -> None:
        """Keep tickets in ``store``."""
        self.store = store

    def save(self, ticket: Ticket) -> None:
        """MERGE the ticket and its edges (idempotent by id)."""
        store_ticket(self.store, ticket)

    def find(self, ticket_id: str) -> StoredTicket | None:
        """The stored ticket, or None when the graph has no ticket with that id."""
        try:
            return get_ticket(self.store, ticket_id)
        except NotFoundError:
            return None


@dataclass(frozen=True)
class ToolContext:
    """The services the tools use for one bot.

    ``answer_threshold`` overrides the scorer's calibrated threshold (None: the scorer's).
    """

    knowledge: KnowledgeBase
    scorer: AnswerScorer
    tickets: TicketBook
    lookup: ContextLookup | None = None
    domain: str = GOVERNMENT_DOMAIN
    answer_threshold: float | None = None

    @classmethod
    def on_graph(cls, store: GraphStore, knowledge: KnowledgeBase, scorer: AnswerScorer,
                 answer_threshold: float | None = None) -> ToolContext:
        """Tickets in ``store`` and knowledge entries expanded through it."""
        return cls(knowledge=knowledge, scorer=scorer, tickets=GraphTicketBook(store),
                   lookup=lambda ids: knowledge_context(store, ids),
                   answer_threshold=answer_threshold)

    @property
    def threshold(self) -> float:
        """The confidence at or above which an entry's answer is given as the answer."""
        if self.answer_threshold is not None:
            return self.answer_threshold
        return self.scorer.threshold

    def config(self) -> RunnableConfig:
        """The RunnableConfig that carries this context into a tool call."""
        return {"configurable": {CONTEXT_KEY: self}}


def context_of(config: RunnableConfig) -> ToolContext:
    """The ToolContext a tool call carries; ConfigurationError when it was called without one."""
    context = (config.get("configurable") or {}).get(CONTEXT_KEY)
    if not isinstance(context, ToolContext):
        raise ConfigurationError(
            "a tool was called without its ToolContext: call it through ToolRegistry.invoke"
        )
    return context
