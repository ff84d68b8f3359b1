"""Fixtures of the bots' tests: the real local LLM server, started once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bots.llm import LLMClient
from bots.llm_server import LocalLLMInfo, LocalLLMServer
from kg.settings import Settings


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
