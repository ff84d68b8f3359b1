"""Entry point of the local LLM server: llama-cpp-python's server plus a plain dialogue format.

The embedded model (Gemma 3 270M) is a base model: it has no chat template, and Gemma's
instruct template makes it echo the prompt. What a base model does well is continue text, so
:func:`format_plain_dialogue` writes the conversation as a Chinese transcript
(「用户：…」/「助手：…」) ending in 「助手：」 and stops at the next 「用户：」. The format is
registered under ``PLAIN_DIALOGUE`` before the server starts
(``python -m bots.llm_launcher --chat_format cityagent_plain …``, the server's own
arguments); models with a chat template of their own are served without it.
"""

from __future__ import annotations

from typing import Any

from llama_cpp import llama_types
from llama_cpp.llama_chat_format import ChatFormatterResponse, register_chat_format

from bots.llm_server import PLAIN_DIALOGUE

_ROLES = {"user": "用户", "assistant": "助手"}
_STOPS = ["\n用户：", "\n用户:", "用户：", "\n\n\n"]


def format_plain_dialogue(
    messages: list[llama_types.ChatCompletionRequestMessage], **kwargs: Any
) -> ChatFormatterResponse:
    """The conversation as a transcript the base model continues with the assistant's turn."""
    lines: list[str] = []
    for message in messages:
        content = message.get("content")
        text = content if isinstance(content, str) else ""
        role = message["role"]
        if role == "system":
            lines.append(text.strip() + "\n")
        elif role in _ROLES:
            lines.append(f"{_ROLES[role]}：{text.strip()}")
    lines.append(f"{_ROLES['assistant']}：")
    return ChatFormatterResponse(prompt="\n".join(lines), stop=_STOPS)


register_chat_format(PLAIN_DIALOGUE)(format_plain_dialogue)


if __name__ == "__main__":
    from llama_cpp.server.__main__ import main

    main()  # type: ignore[no-untyped-call]
