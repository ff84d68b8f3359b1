"""What the tools work on: the knowledge base, the ticket book, the graph's context lookup,
the reply drafter.

Tools are defined once at import time and hold no state; the services they use travel with
each call in LangChain's ``RunnableConfig`` (``configurable[CONTEXT_KEY]``), so one tool
definition serves every bot instance, each with its own graph, index and test doubles. A bot
gives only the services its persona's tools use; a tool that finds its service missing
says which (ConfigurationError).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol, TypeVar

from langchain_core.runnables import RunnableConfig

from bots.guarded_rewrite import Completer
from bots.hotline_assist import ContextLookup, ReplySuggestion
from kg.errors import ConfigurationError, NotFoundError
from kg.knowledge import knowledge_context
from kg.mentions import MentionIndex
from kg.store import GraphStore
from kg.ticket import StoredTicket, Ticket, get_ticket, store_ticket
from retrieval.answer_scorer import AnswerScorer
from retrieval.knowledge_base import KnowledgeBase

log = logging.getLogger(__name__)

CONTEXT_KEY = "cityagent_tools"



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


class ReplyDrafter(Protocol):
    """Who drafts the hotline agent's reply (:class:`bots.hotline_assist.HotlineAssistant`)."""

    def suggest(self, ticket: Ticket, transcript: str | None = None) -> ReplySuggestion:
        """Entries, past cases and the template's reply draft for ``ticket``."""
        ...


@dataclass(frozen=True)
class ToolContext:
    """The services the tools use for one bot.

    ``answer_threshold`` overrides the scorer's calibrated threshold (None: the scorer's).
    """

    knowledge: KnowledgeBase | None = None
    scorer: AnswerScorer | None = None
    tickets: TicketBook | None = None
    lookup: ContextLookup | None = None
    answer_threshold: float | None = None
    drafter: ReplyDrafter | None = None
    graph: GraphStore | None = None
    mentions: MentionIndex | None = None
    llm: Completer | None = None

    @classmethod
    def on_graph(cls, store: GraphStore, knowledge: KnowledgeBase, scorer: AnswerScorer,
                 answer_threshold: float | None = None) -> ToolContext:
        """Tickets in ``store`` and knowledge entries expanded through it."""
        return cls(knowledge=knowledge, scorer=scorer, tickets=GraphTicketBook(store),
                   lookup=lambda ids: knowledge_context(store, ids),
                   answer_threshold=answer_threshold, graph=store)

    @property
    def knowledge_base(self) -> KnowledgeBase:
        """The knowledge base; ConfigurationError when this bot was given none."""
        return _given(self.knowledge, "knowledge base")

    @property
    def answer_scorer(self) -> AnswerScorer:
        """The answer scorer; ConfigurationError when this bot was given none."""
        return _given(self.scorer, "answer scorer")

    @property
    def ticket_book(self) -> TicketBook:
        """The ticket book; ConfigurationError when this bot was given none."""
        return _given(self.tickets, "ticket book")

    @property
    def reply_drafter(self) -> ReplyDrafter:
        """The reply drafter; ConfigurationError when this bot was given none."""
        return _given(self.drafter, "reply drafter")

    @property
    def graph_store(self) -> GraphStore:
        """The graph itself (the regulator's queries); ConfigurationError when not given."""
        return _given(self.graph, "graph")

    @property
    def mention_index(self) -> MentionIndex:
        """The graph's entity names; ConfigurationError when this bot was given none."""
        return _given(self.mentions, "entity-name index")

    @property
    def threshold(self) -> float:
        """The confidence at or above which an entry's answer is given as the answer."""
        if self.answer_threshold is not None:
            return self.answer_threshold
        return self.answer_scorer.threshold

    def config(self) -> RunnableConfig:
        """The RunnableConfig that carries this context into a tool call."""
        return {"configurable": {CONTEXT_KEY: self}}


S = TypeVar("S")


def _given(service: S | None, what: str) -> S:
    if service is None:
        raise ConfigurationError(f"a tool needs the {what}, and this bot's ToolContext has none")
    return service


def context_of(config: RunnableConfig) -> ToolContext:
    """The ToolContext a tool call carries; ConfigurationError when it was called without one."""
    context = (config.get("configurable") or {}).get(CONTEXT_KEY)
    if not isinstance(context, ToolContext):
        raise ConfigurationError(
            "a tool was called without its ToolContext: call it through ToolRegistry.invoke"
        )
    return context
