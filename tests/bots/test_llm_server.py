"""The local llama.cpp server: start, reuse, status, stop, and clear failures."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bots.llm_server import LocalLLMInfo, LocalLLMServer, connect_llm
from kg.errors import LLMUnavailableError
from kg.settings import Settings


def test_a_running_server_is_found_and_reused(llm_settings: Settings,
                                              local_llm: LocalLLMInfo) -> None:
    server = LocalLLMServer(llm_settings)
    status = server.status()
    assert status.running and status.answering and status.info == local_llm
    assert server.start(detach=False).pid == local_llm.pid
    connection = connect_llm(llm_settings, start_local=False)
    assert connection.client.base_url == local_llm.base_url and not connection.started_local


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, llm_model_path=tmp_path / "nope.gguf", llm_local_port=0)
    with pytest.raises(LLMUnavailableError, match=r"nope\.gguf"):
        LocalLLMServer(settings).start(detach=False)


def test_a_taken_port_is_named(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        settings = Settings(var_dir=tmp_path, llm_local_port=port)
        with pytest.raises(LLMUnavailableError, match=str(port)):
            LocalLLMServer(settings).start(detach=False)


def test_without_a_server_connecting_says_what_to_do(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, llm_base_url=None)
    assert not LocalLLMServer(settings).status().running
    assert not LocalLLMServer(settings).stop()
    with pytest.raises(LLMUnavailableError, match="cityagent llm start"):
        connect_llm(settings, start_local=False)
