"""The one chat client of CityAgent: any OpenAI-compatible server through LangChain.

vLLM on a GPU, the local llama.cpp server on a CPU (``bots/llm_server.py``) and hosted
gateways all speak the same ``/v1/chat/completions``, so every bot talks to the LLM through
:class:`LLMClient`: the server and model come from the settings (``CITYAGENT_LLM_BASE_URL``,
``CITYAGENT_LLM_MODEL``), each call has a time limit and retries, answers can be streamed,
and every failure (server down, time-out, an empty or unreadable answer) surfaces as one
:class:`~kg.errors.LLMUnavailableError`, so that callers fall back to retrieval and templates
and say so instead of failing.

LangChain's ``ChatOpenAI`` does the protocol; agents that need a LangChain chat model (tools,
graphs) take :attr:`LLMClient.chat_model`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import Literal

import httpx
import openai
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field, SecretStr

from kg.errors import LLMUnavailableError
from kg.settings import Settings, get_settings

log = logging.getLogger(__name__)

NO_KEY = "not-needed"
"""Sent as the API key to servers that need none (OpenAI's client insists on one)."""


class ChatTurn(BaseModel):
    """One message of a conversation sent to the LLM."""

    role: Literal["system", "user", "assistant"]
    content: str


class LLMAnswer(BaseModel):
    """A whole answer with the latency figures the evaluation reports."""

    text: str
    model: str
    first_token_s: float = Field(description="seconds until the first piece of text")
    total_s: float = Field(description="seconds until the answer was complete")
    pieces: int = Field(description="streamed chunks received (≈ tokens)")


def _to_message(turn: ChatTurn) -> BaseMessage:
    if turn.role == "system":
        return SystemMessage(turn.content)
    if turn.role == "assistant":
        return AIMessage(turn.content)
    return HumanMessage(turn.content)


class LLMClient:
    """A chat model on an OpenAI-compatible server, with time limits, retries and streaming."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: SecretStr | None = None,
        timeout_s: float = 30.0,
        max_retries: int = 1,
        max_tokens: int = 256,
        temperature: float = 0.2,
    ) -> None:
        """Describe the server; nothing is contacted until the first call."""
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout_s = timeout_s
        self._api_key = api_key or SecretStr(NO_KEY)
        self.chat_model = ChatOpenAI(
            model=model,
            base_url=self.base_url,
            api_key=self._api_key,
            timeout=timeout_s,
            max_retries=max_retries,
            max_completion_tokens=max_tokens,
            # llama.cpp's server reads only the older name; vLLM takes either.
            extra_body={"max_tokens": max_tokens},
            temperature=temperature,
        )

    @classmethod
    def from_settings(cls, settings: Settings | None = None, *, base_url: str | None = None
                      ) -> LLMClient:
        """The client the settings describe; ``base_url`` overrides theirs (the local server)."""
        s = settings or get_settings()
        url = base_url or s.llm_base_url
        if not url:
            raise LLMUnavailableError(
                "no LLM server configured (CITYAGENT_LLM_BASE_URL) and none started locally"
            )
        return cls(url, s.llm_model, api_key=s.llm_api_key, timeout_s=s.llm_timeout_s,
                   max_retries=s.llm_max_retries, max_tokens=s.llm_max_tokens,
                   temperature=s.llm_temperature)

    def stream(self, turns: Sequence[ChatTurn]) -> Iterator[str]:
        """The answer's text piece by piece, as the server produces it.

        Raises :class:`LLMUnavailableError` when the server cannot be reached, times out or
        refuses the request (also midway: the caller keeps what it showed and says so).
        """
        if not turns:
            raise ValueError("a chat needs at least one message")
        messages = [_to_message(t) for t in turns]
        try:
            for chunk in self.chat_model.stream(messages):
                text = chunk.text
                if text:
                    yield text
        except (openai.APIError, httpx.HTTPError, ValueError) as exc:
            # ValueError: LangChain found no usable chunk in what the server sent.
            raise LLMUnavailableError(f"the LLM at {self.base_url} failed: {exc}") from exc

    def complete(self, turns: Sequence[ChatTurn]) -> LLMAnswer:
        """The whole answer with its first-token and total latency.

        Raises :class:`LLMUnavailableError` as :meth:`stream` does, and when the answer is
        empty.
        """
        began = time.perf_counter()
        first: float | None = None
        pieces: list[str] = []
        for piece in self.stream(turns):
            if first is None:
                first = time.perf_counter() - began
            pieces.append(piece)
        total = time.perf_counter() - began
        text = "".join(pieces).strip()
        if not text:
            raise LLMUnavailableError(f"the LLM at {self.base_url} gave an empty answer")
        return LLMAnswer(text=text, model=self.model, first_token_s=round(first or total, 4),
                         total_s=round(total, 4), pieces=len(pieces))

    def ping(self, timeout_s: float = 2.0) -> bool:
        """Whether the server answers its model list now (a cheap health check)."""
        return server_answers(self.base_url, self._api_key, timeout_s)


def server_answers(base_url: str, api_key: SecretStr | None = None, timeout_s: float = 2.0
                   ) -> bool:
    """Whether the OpenAI-compatible server at ``base_url`` (…/v1) lists its models now."""
    key = (api_key or SecretStr(NO_KEY)).get_secret_value()
    try:
        response = httpx.get(f"{base_url.rstrip('/')}/models", timeout=timeout_s,
                             headers={"Authorization": f"Bearer {key}"})
    except httpx.HTTPError as exc:
        log.debug("the LLM at %s does not answer: %s", base_url, exc)
        return False
    return response.status_code == 200
