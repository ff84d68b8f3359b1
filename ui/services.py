"""What the API and the web app share: the graph store and the models, loaded once, lazily."""

from __future__ import annotations

import logging
import threading
from functools import cached_property
from typing import TYPE_CHECKING

from bots.tools.registry import register_tools
from kg.errors import CityAgentError, ModelUnavailableError
from kg.store import GraphStore
from nlu.ticket_fill import TicketFiller

if TYPE_CHECKING:
    from bots.agents.bank_qa import BankQABot
    from bots.agents.citizen import CitizenBot
    from bots.agents.hotline_assist import HotlineAssistAgent
    from bots.agents.regulator import RegulatorBot
    from bots.llm import LLMClient
    from bots.tools.runner import ToolRunner
    from retrieval.knowledge_base import KnowledgeBase
    from retrieval.past_cases import PastCaseIndex
    from ui.roles import RoleKeys

log = logging.getLogger(__name__)


class Services:
    """The service's resources; each model loads on first use so start-up stays fast."""

    def __init__(self, store: GraphStore, llm: LLMClient | None = None,
                 role_keys: RoleKeys | None = None) -> None:
        """Serve ``store``; ``llm`` for the bots; ``role_keys`` instead of the settings' keys."""
        self.store = store
        self.llm = llm
        self._role_keys = role_keys
        self._knowledge_lock = threading.Lock()

    def warm_up(self) -> threading.Thread:
        """Register the bots' tools in the graph and load the models in the background, so the
        first request does not wait for them."""

        def load() -> None:
            try:
                register_tools(self.store)
                _ = self.ticket_filler
                _ = self.bank_bot
                _ = self.citizen_bot
                _ = self.past_cases
            except CityAgentError as exc:
                log.warning("models not loaded at start-up: %s", exc)

        thread = threading.Thread(target=load, name="warm-up", daemon=True)
        thread.start()
        return thread

    @cached_property
    def regulator_bot(self) -> RegulatorBot:
        """The regulators' agent: questions answered from the graph by templates, else by the
        LLM's Cypher under the read-only guard."""
        from bots.agents.regulator import RegulatorBot

        return RegulatorBot.on_graph(self.store, self.llm)

    @cached_property
    def tool_runner(self) -> ToolRunner:
        """Runs tools for the consoles and keeps every run in the graph (one per service)."""
        from bots.tools.runner import ToolRunner

        return ToolRunner(self.store)

    @cached_property
    def role_keys(self) -> RoleKeys:
        """The API key of each role (given, configured, else kept in the var folder)."""
        from kg.settings import get_settings
        from ui.roles import load_role_keys

        return self._role_keys or load_role_keys(get_settings())

    @property
    def rewriter(self) -> LLMClient | None:
        """The LLM the bots let reword their grounded answers, when the settings allow it
        (``CITYAGENT_LLM_REWRITES``; by default only a configured server, not the embedded
        model)."""
        from kg.settings import get_settings

        return self.llm if get_settings().llm_rewrites_enabled else None

    @cached_property
    def ticket_filler(self) -> TicketFiller:
        """The hotline's ticket filler on the graph's regions and routing table."""
        try:
            return TicketFiller.from_store(self.store)
        except OSError as exc:  # a model file missing or unreadable
            raise ModelUnavailableError(f"ticket drafting is unavailable: {exc}") from exc

    # -- knowledge base and bank QA ---------------------------------------------------------
    @cached_property
    def knowledge_base(self) -> KnowledgeBase:
        """The graph's knowledge entries, searchable by meaning and words.

        Loaded from the index folder and brought in step with the graph: a restart encodes
        only the entries that changed since the last one.
        """
        from kg.settings import get_settings
        from retrieval.encoder import load_encoder
        from retrieval.graph_knowledge import open_knowledge_base, sync_from_graph

        directory = get_settings().knowledge_index_dir / "knowledge"
        with self._knowledge_lock:
            base = open_knowledge_base(directory, load_encoder())
            sync_from_graph(base, self.store, directory)
        return base

    @cached_property
    def bank_bot(self) -> BankQABot:
        """The bank's customer-service bot over the knowledge base's bank entries; the LLM
        words its answers from the entries when there is one."""
        from bots.agents.bank_qa import BankQABot
        from retrieval.answer_scorer import load_scorer

        return BankQABot.on_knowledge(self.knowledge_base, load_scorer(), llm=self.rewriter)

    # -- hotline assistant: suggested replies (past cases, entries, graph context) --------
    @cached_property
    def past_cases(self) -> PastCaseIndex:
        """Past citizen messages with their official replies, read from the shared data.

        Empty when the dataset is absent; the index is saved under the knowledge index folder,
        so only the first start encodes the cases.
        """
        from kg.settings import get_settings
        from retrieval.encoder import load_encoder
        from retrieval.past_cases import PastCaseIndex, default_cases_path

        settings = get_settings()
        with self._knowledge_lock:  # two first requests: the second loads what the first saved
            return PastCaseIndex.open(default_cases_path(settings.shared_data_dir),
                                      settings.knowledge_index_dir / "past_cases", load_encoder())

    @cached_property
    def citizen_bot(self) -> CitizenBot:
        """The citizens' bot (web tab and WeChat): answers from the government entries, files
        and looks up tickets in the graph; the LLM may rephrase its checked answers."""
        from bots.agents.citizen import CitizenBot
        from retrieval.answer_scorer import load_scorer

        return CitizenBot.from_store(self.store, self.knowledge_base, self.ticket_filler,
                                     scorer=load_scorer(), llm=self.rewriter)

    @cached_property
    def hotline_assistant(self) -> HotlineAssistAgent:
        """Reply suggestions from the knowledge base's government entries, expanded through
        the graph, and the past cases; the LLM polishes the draft when there is one."""
        from bots.agents.hotline_assist import HotlineAssistAgent
        from bots.hotline_assist import HotlineAssistant
        from kg.knowledge import knowledge_context

        store = self.store
        lookup = lambda ids: knowledge_context(store, ids)  # noqa: E731 (one line, two users)
        drafter = HotlineAssistant(self.knowledge_base, lookup, self.past_cases)
        return HotlineAssistAgent.with_drafter(drafter, lookup, llm=self.rewriter)
