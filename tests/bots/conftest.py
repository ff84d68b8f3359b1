"""Fixtures of the bots' tests: the real local LLM server and the demo city's government
entries, each made once per session."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest

from bots.llm import LLMClient
from bots.llm_server import LocalLLMInfo, LocalLLMServer
from kg.knowledge import read_knowledge
from kg.settings import Settings
from kg.store import GraphStore
from retrieval.encoder import load_encoder
from retrieval.graph_knowledge import item_from_record
from retrieval.knowledge_base import KnowledgeBase

# The demo city's housing and public-utility entries: enough for realistic ranking, quick to
# encode on two cores.
ENTRY_IDS = re.compile(r"K00\d\d")


@pytest.fixture(scope="session")
def llm_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the session's own local LLM server: a private var folder, any free port."""
    return Settings(var_dir=tmp_path_factory.mktemp("llm-var"), llm_local_port=0,
                    llm_timeout_s=60.0, llm_max_tokens=64)


@pytest.fixture(scope="session")
def local_llm(llm_settings: Settings) -> Iterator[LocalLLMInfo]:
    """The embedded model on llama.cpp's OpenAI-compatible server, tied to the test process."""
    server = LocalLLMServer(llm_settings)
    info = server.start(detach=False)
    try:
        yield info
    finally:
        server.stop()


@pytest.fixture()
def llm_client(llm_settings: Settings, local_llm: LocalLLMInfo) -> LLMClient:
    """A client of the session's local LLM server."""
    return LLMClient.from_settings(llm_settings, base_url=local_llm.base_url)


@pytest.fixture(scope="session")
def government_entries(demo_graph: GraphStore) -> KnowledgeBase:
    """A knowledge base of the demo graph's housing and public-utility entries (read only)."""
    records = read_knowledge(demo_graph, domain="政务", today=date(2025, 5, 12))
    base = KnowledgeBase(load_encoder())
    base.upsert(item_from_record(r) for r in records if ENTRY_IDS.fullmatch(r.id))
    return base
