"""The reply suggestions beside the hotline form: entries, past cases, a draft to insert."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import gradio as gr

from bots.hotline_assist import CitedEntry, ReplySuggestion, SimilarCase, gist, reply_substance
from kg.errors import CityAgentError
from kg.ticket import Ticket
from ui.services import Services

ANSWER_CHARS = 120
REPLY_CHARS = 150


def _entry_lines(entry: CitedEntry) -> str:
    facts = [f"分类：{entry.category}"] if entry.category else []
    facts += [f"承办：{d.name}" + (f"（{d.phone}）" if d.phone else "") for d in entry.departments]
    facts += [f"依据：{p}" for p in entry.policies]
    if entry.source:
        facts.append(f"来源：{entry.source}")
    mark = "（已引用）" if entry.cited else ""
    return (f"**[{entry.number}] {html.escape(entry.question)}**{mark}  \n"
            f"{html.escape(gist(entry.answer, ANSWER_CHARS))}  \n"
            f"<small>{html.escape(' ｜ '.join(facts))}</small>")


def _case_lines(case: SimilarCase) -> str:
    mark = "（已引用）" if case.cited else ""
    return (f"**[{case.number}] {html.escape(case.title)}**{mark} "
            f"<small>{html.escape(case.time)} · 相似度 {case.similarity:.2f}</small>  \n"
            f"<details><summary>{html.escape(gist(reply_substance(case.reply), REPLY_CHARS))}"
            f"</summary>{html.escape(case.reply)}</details>")


def suggestions_markdown(suggestion: ReplySuggestion) -> str:
    """The suggestions as the agent reads them: numbered entries, then past cases."""
    parts = ["#### 知识条目"]
    parts += [_entry_lines(e) for e in suggestion.entries] or ["（无相关条目）"]
    parts.append("#### 往期案例")
    parts += [_case_lines(c) for c in suggestion.past_cases] or ["（无相似案例）"]
    return "\n\n".join(parts)


@dataclass
class AssistPanel:
    """The components of the suggestions column, wired once the ticket state exists."""

    services: Services
    suggestions: gr.Markdown
    draft: gr.State
    insert: gr.Button
    reply: gr.Textbox

    def wire(self, ticket_state: gr.State, transcript: gr.Textbox) -> None:
        """Refresh the suggestions whenever the draft ticket changes; insert on click."""

        def suggest(state: dict[str, Any] | None, said: str) -> tuple[str, str]:
            if not state:
                return "", ""
            try:
                found = self.services.hotline_assistant.suggest(Ticket.model_validate(state), said)
            except CityAgentError as exc:
                return f"暂无回复建议：{exc.message}", ""
            return suggestions_markdown(found), found.reply

        ticket_state.change(suggest, [ticket_state, transcript], [self.suggestions, self.draft],
                            trigger_mode="always_last", show_progress="hidden")
        self.insert.click(_insert, [self.draft, self.reply], self.reply)


def _insert(draft: str, current: str) -> str:
    """The draft in the reply box, after what the agent already wrote there."""
    return f"{current.rstrip()}\n{draft}" if current.strip() and draft else draft or current


def assist_panel(services: Services) -> AssistPanel:
    """Build the suggestions column's components in the current layout block."""
    gr.Markdown("### 回复建议")
    suggestions = gr.Markdown(elem_id="hl-suggestions")
    insert = gr.Button("插入回复草稿", elem_id="hl-insert-reply")
    reply = gr.Textbox(label="答复内容（可编辑）", lines=8, elem_id="hl-reply")
    return AssistPanel(services, suggestions, gr.State(""), insert, reply)
