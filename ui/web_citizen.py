"""The 「市民服务」 tab: a citizen's chat with the city's bot, its citations and its ticket.

The answer appears once the bot has checked it (an LLM's rephrasing is shown only after it
passed the guardrails, so it is not streamed token by token); meanwhile the chat says that
it is looking. Each cited entry can be opened beside the chat, and a ticket the dialogue
drafted or filed is shown as a card.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import gradio as gr

from bots.agents.citizen_state import Citation, CitizenReply, TicketCard
from kg.errors import CityAgentError
from ui.services import Services

_WELCOME = ("您好，我是滨江市12345市民服务助手。可以咨询办事问题、反映身边的问题、查询工单进度；"
            "遇到火灾、燃气泄漏、有人受伤等紧急情况请立即拨打119/110/120。")
_LOOKING = "正在查询…"
_NO_CARD = "（本次对话还没有工单）"

Messages = list[dict[str, Any]]


def render_reply(reply: CitizenReply) -> str:
    """The chat bubble: the answer, its sources, and how it was made."""
    parts = [reply.text]
    if reply.citations:
        parts.append("\n".join(
            f"[{c.number}] {c.question}" + (f"（{c.source}）" if c.source else "")
            for c in reply.citations))
    if reply.note:
        parts.append(f"<small>{reply.note}</small>")
    return "\n\n".join(parts)


def render_card(card: TicketCard | None) -> str:
    """The ticket card beside the chat (Markdown)."""
    if card is None:
        return _NO_CARD
    rows = [("工单号", card.id), ("状态", card.status), ("诉求", card.summary),
            ("地址", card.address), ("联系电话", card.phone), ("称呼", card.caller_name),
            ("分类", card.category), ("紧急程度", card.urgency),
            ("承办部门", "、".join(card.departments) or None)]
    return "\n".join(f"- **{name}**：{value}" for name, value in rows if value)


def render_entry(services: Services, citation: Citation) -> str:
    """A cited knowledge entry in full: question, answer and source."""
    item = services.knowledge_base.get(citation.entry_id)
    if item is None:
        return f"条目 {citation.entry_id} 已不在知识库中。"
    source = f"\n\n来源：{item.source}" if item.source else ""
    return f"**[{citation.number}] {item.question}**\n\n{item.answer}{source}"


def citizen_tab(services: Services) -> None:
    """Build the tab inside the current ``gr.Blocks``."""
    with gr.Tab("市民服务"):
        session = gr.State(lambda: f"web-{uuid.uuid4().hex}")
        cited = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(value=[{"role": "assistant", "content": _WELCOME}],
                                  height=460, label="滨江市12345 · 市民服务",
                                  elem_id="citizen-chat")
                with gr.Row():
                    box = gr.Textbox(placeholder="请输入您的问题或要反映的情况，按回车发送",
                                     scale=5, show_label=False, elem_id="citizen-message")
                    send = gr.Button("发送", variant="primary", scale=1, elem_id="citizen-send")
                restart = gr.Button("新会话")
            with gr.Column(scale=2):
                gr.Markdown("#### 工单")
                card = gr.Markdown(_NO_CARD, elem_id="citizen-ticket")
                gr.Markdown("#### 引用的知识")
                pick = gr.Radio(choices=[], label="点击打开引用条目", elem_id="citizen-cited")
                entry = gr.Markdown("", elem_id="citizen-entry")

        def say(text: str, messages: Messages, session_id: str, citations: list[dict[str, Any]],
                current_card: str) -> Iterator[tuple[Any, ...]]:
            if not text or not text.strip():
                yield "", messages, citations, current_card, gr.update()
                return
            messages = [*messages, {"role": "user", "content": text},
                        {"role": "assistant", "content": _LOOKING}]
            yield "", messages, citations, current_card, gr.update()
            try:
                reply = services.citizen_bot.reply(session_id, text)
            except CityAgentError as exc:
                messages[-1] = {"role": "assistant",
                                "content": f"抱歉，暂时无法处理：{exc.message}"}
                yield "", messages, citations, current_card, gr.update()
                return
            messages[-1] = {"role": "assistant", "content": render_reply(reply)}
            known = {c["entry_id"]: c for c in citations}
            known.update({c.entry_id: c.model_dump() for c in reply.citations})
            choices = [(f"[{c['number']}] {c['question']}", eid) for eid, c in known.items()]
            new_card = render_card(reply.ticket) if reply.ticket is not None else current_card
            yield "", messages, list(known.values()), new_card, gr.update(choices=choices)

        def open_entry(entry_id: str | None, citations: list[dict[str, Any]]) -> str:
            for c in citations:
                if c["entry_id"] == entry_id:
                    return render_entry(services, Citation.model_validate(c))
            return ""

        outputs = [box, chat, cited, card, pick]
        for trigger in (box.submit, send.click):
            trigger(say, [box, chat, session, cited, card], outputs)
        pick.change(open_entry, [pick, cited], entry)
        restart.click(
            lambda: (f"web-{uuid.uuid4().hex}", [{"role": "assistant", "content": _WELCOME}],
                     [], _NO_CARD, gr.update(choices=[], value=None), ""),
            None, [session, chat, cited, card, pick, entry])
