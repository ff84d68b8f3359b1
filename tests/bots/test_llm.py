"""The chat client against the real local LLM server, and against servers that fail."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bots.llm import ChatTurn, LLMClient, server_answers
from kg.errors import LLMUnavailableError
from kg.server.processes import free_port
from kg.settings import Settings

QUESTION = [ChatTurn(role="user", content="请用一句话介绍杭州。")]


def test_the_real_server_streams_an_answer_with_its_latency(llm_client: LLMClient) -> None:
    pieces = list(llm_client.stream(QUESTION))
    assert pieces and all(isinstance(p, str) for p in pieces)
    answer = llm_client.complete(QUESTION)
    assert answer.text and answer.pieces >= 1
    assert 0 < answer.first_token_s <= answer.total_s
    assert llm_client.ping()


def test_a_server_that_is_down_is_reported_quickly() -> None:
    client = LLMClient(f"http://127.0.0.1:{free_port('127.0.0.1')}/v1", "m", timeout_s=2.0,
                       max_retries=0)
    assert not client.ping(timeout_s=1.0)
    with pytest.raises(LLMUnavailableError, match="failed"):
        client.complete(QUESTION)


class _Garbage(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"<html>not an answer</html>")

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture()
def garbage_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Garbage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()


def test_a_server_answering_garbage_is_unavailable(garbage_server: str) -> None:
    client = LLMClient(garbage_server, "m", timeout_s=5.0, max_retries=0)
    with pytest.raises(LLMUnavailableError):
        client.complete(QUESTION)


def test_no_configured_server_is_a_clear_error() -> None:
    with pytest.raises(LLMUnavailableError, match="CITYAGENT_LLM_BASE_URL"):
        LLMClient.from_settings(Settings(llm_base_url=None))
    assert not server_answers(f"http://127.0.0.1:{free_port('127.0.0.1')}/v1", timeout_s=1.0)


def test_an_empty_conversation_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one message"):
        LLMClient("http://127.0.0.1:9/v1", "m").complete([])
