"""The 「银行客服」 tab: a multi-turn chat with the bank's customer-service bot."""

from __future__ import annotations

from typing import Any

import gradio as gr

from bots.agents.bank_qa import BankAnswer, BankTurn
from kg.errors import CityAgentError
from ui.services import Services

_WELCOME = "您好，我是滨江市民银行智能客服。请问有什么可以帮您？（如：借记卡丢了怎么挂失？）"


def _render(answer: BankAnswer) -> str:
    if answer.status == "answered" and answer.source is not None:
        note = (f"匹配问题：{answer.source.question}｜置信度 {answer.confidence:.2f}"
                f"｜{answer.note}")
        return f"{answer.reply}\n\n<small>{note}</small>"
    lines = [answer.reply]
    if answer.suggestions:
        lines.append("\n您是不是想问：")
        lines += [f"- {s.question}" for s in answer.suggestions]
    return "\n".join(lines)


def bank_tab(services: Services) -> None:
    """Build the tab inside the current ``gr.Blocks``."""
    with gr.Tab("银行客服"):
        chat = gr.Chatbot(value=[{"role": "assistant", "content": _WELCOME}], height=420,
                          label="滨江市民银行 · 智能客服", elem_id="bank-chat")
        turns = gr.State([])
        with gr.Row():
            box = gr.Textbox(placeholder="请输入您的问题，按回车发送", scale=5, show_label=False,
                             elem_id="bank-question")
            send = gr.Button("发送", variant="primary", scale=1, elem_id="bank-send")
        clear = gr.Button("新会话")

        def ask(question: str, messages: list[dict[str, Any]], history: list[dict[str, Any]]
                ) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
            if not question or not question.strip():
                return "", messages, history
            messages = [*messages, {"role": "user", "content": question}]
            try:
                answer = services.bank_bot.ask(
                    question, [BankTurn.model_validate(t) for t in history]
                )
            except CityAgentError as exc:
                messages.append({"role": "assistant", "content": f"抱歉，{exc.message}"})
                return "", messages, history
            messages.append({"role": "assistant", "content": _render(answer)})
            entry = answer.source.entry_id if answer.source else None
            history = [*history, {"question": answer.question, "entry_id": entry}]
            return "", messages, history

        for trigger in (box.submit, send.click):
            trigger(ask, [box, chat, turns], [box, chat, turns])
        clear.click(lambda: ([{"role": "assistant", "content": _WELCOME}], []), None, [chat, turns])
