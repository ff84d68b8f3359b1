"""The citizen bot (市民服务): answers from the knowledge base, files tickets by conversation,
looks tickets up and takes emergency reports, for the web tab and WeChat alike.

Each message runs once through a LangGraph ``StateGraph``: ``classify`` decides what the
message is by rules (:mod:`bots.agents.citizen_intents`; the tiny embedded LLM cannot plan
or call tools, so nothing depends on it), one handler node per kind of message does the
work through the citizen persona's tools (:mod:`bots.tools.registry` refuses any other), and
``follow_up`` reminds the citizen of a report still waiting for a detail. The graph is
stateless; what a dialogue remembers lives in a bounded in-memory
:class:`~bots.agents.sessions.SessionStore` keyed by session id, and a turn that fails
leaves it as it was.

Answers are entries' own texts with their citations; an LLM, when configured, may only
rephrase them and its rephrasing is kept only if :func:`bots.guardrails.rewrite_problems`
finds nothing wrong. A confirmed report is filed exactly once: its ticket id is fixed when
the report starts (filing again only updates that ticket) and a repeated 「确认」 finds the
report already filed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, ConfigDict, Field

from bots.agents import citizen_texts as texts
from bots.agents.citizen_intents import (
    TurnSignals,
    classify_turn,
    forbidden,
    is_thanks,
    names_a_problem,
    read_signals,
)
from bots.agents.citizen_report import (
    add_turn,
    ask,
    draft_report,
    missing_slots,
    note_address_answer,
    question_for,
    start_report,
    summary_text,
    ticket_card,
)
from bots.agents.citizen_state import (
    MAX_FILED,
    Citation,
    CitizenReply,
    DialogueState,
    Intent,
    Report,
    TicketCard,
)
from bots.agents.sessions import SessionStore
from bots.guarded_rewrite import Completer, guarded_rewrite
from bots.tools.citizen_tools import EmergencyReport, FiledTicket, TicketStatus
from bots.tools.context import ToolContext
from bots.tools.knowledge_tools import KnowledgeFound, KnowledgeSearch
from bots.tools.registry import ToolRegistry, default_registry
from bots.tools.spec import Persona
from kg.errors import CityAgentError
from kg.ontology import city_now
from kg.settings import Settings, get_settings
from kg.store import GraphStore
from nlu.pii import mask_pii
from nlu.ticket_fill import TicketFiller
from retrieval.answer_scorer import AnswerScorer, load_scorer
from retrieval.knowledge_base import KnowledgeBase

log = logging.getLogger(__name__)

PERSONA: Persona = "citizen"
MAX_QUERY_CHARS = 512
T = TypeVar("T", bound=BaseModel)

# Which node handles each intent (empty and too-long messages never reach the graph).
_NODE_OF: dict[Intent, str] = {
    "greeting": "greet", "service_question": "answer", "problem_report": "report",
    "slot_answer": "report", "confirm_yes": "confirm", "confirm_no": "confirm",
    "cancel": "cancel", "status_query": "status", "emergency": "emergency",
    "injection": "refuse", "forbidden": "refuse", "off_topic": "off_topic",
    "handover": "handover",
}
# After these, a report still waiting for something is recalled to the citizen.
_ASIDES: frozenset[Intent] = frozenset(
    {"greeting", "service_question", "status_query", "injection", "forbidden", "off_topic",
     "handover"}
)


class CitizenConfig(BaseModel):
    """Limits of the citizen bot (see the ``# Citizen bot.`` settings)."""

    model_config = ConfigDict(frozen=True)

    max_message_chars: int = Field(default=2000, ge=1)
    session_ttl_s: float = Field(default=1800.0, gt=0)
    max_sessions: int = Field(default=10_000, ge=1)
    max_citations: int = Field(default=2, ge=1, le=5, description="entries one answer cites")

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> CitizenConfig:
        """The limits the settings give."""
        s = settings or get_settings()
        return cls(max_message_chars=s.citizen_max_message_chars,
                   session_ttl_s=s.citizen_session_ttl_s, max_sessions=s.citizen_max_sessions)


class Outcome(BaseModel):
    """What a handler node produced for the citizen."""

    text: str
    citations: list[Citation] = Field(default_factory=list)
    ticket: TicketCard | None = None
    llm_failed: bool = False
    note: str = texts.NOTE_TEMPLATE


class TurnState(BaseModel):
    """The LangGraph state of one turn: the message, the dialogue, and what came of them."""

    text: str
    dialogue: DialogueState
    signals: TurnSignals = Field(default_factory=TurnSignals)
    intent: Intent = Field(default="service_question", description="set by the classify node")
    outcome: Outcome | None = None


def _done(dialogue: DialogueState, outcome: Outcome) -> dict[str, Any]:
    return {"dialogue": dialogue, "outcome": outcome}


def _with_citation(answer: str, number: int) -> str:
    """The answer with [number] before its closing full stop."""
    body = answer.strip()
    end = body.rstrip("。.！!")
    return f"{end}[{number}]{body[len(end):]}"


class CitizenBot:
    """The citizen persona's agent; safe to call from many threads, one dialogue per session."""

    def __init__(
        self,
        tools: ToolContext,
        filler: TicketFiller,
        *,
        llm: Completer | None = None,
        clock: Callable[[], datetime] = city_now,
        config: CitizenConfig | None = None,
        registry: ToolRegistry | None = None,
    ) -> None:
        """Serve citizens with ``tools``' services and ``filler``'s drafting.

        ``llm`` (optional) rephrases grounded answers; ``clock`` gives tickets their time
        and sessions their age; ``registry`` holds the tools (the default one).
        """
        self.context = tools
        self.filler = filler
        self.llm = llm
        self.clock = clock
        self.config = config or CitizenConfig()
        self.registry = registry or default_registry()
        self._sessions: SessionStore[DialogueState] = SessionStore(
            lambda session_id: DialogueState(session_id=session_id),
            ttl_s=self.config.session_ttl_s, max_sessions=self.config.max_sessions,
            now=lambda: self.clock().timestamp(),
        )
        self._graph = self._build_graph()

    @classmethod
    def from_store(
        cls,
        store: GraphStore,
        knowledge: KnowledgeBase,
        filler: TicketFiller,
        *,
        scorer: AnswerScorer | None = None,
        llm: Completer | None = None,
        settings: Settings | None = None,
    ) -> CitizenBot:
        """A bot filing tickets in ``store`` and answering from ``knowledge`` (the service's)."""
        s = settings or get_settings()
        context = ToolContext.on_graph(store, knowledge, scorer or load_scorer(),
                                       s.citizen_answer_threshold)
        return cls(context, filler, llm=llm, config=CitizenConfig.from_settings(s))

    @property
    def tools(self) -> list[BaseTool]:
        """The tools this persona may call (what an LLM agent would be given)."""
        return self.registry.tools_for(PERSONA)

    # ------------------------------------------------------------------ public API
    def reply(self, session_id: str, text: str) -> CitizenReply:
        """The answer to ``text`` in the dialogue ``session_id``.

        Empty and overlong messages get a clear answer without touching the dialogue; a
        failing service (the graph down) gets an apology and leaves the dialogue as it was.
        Raises DataValidationError only for an unusable session id.
        """
        message = text.strip()
        if not message:
            return self._fixed(texts.EMPTY, "empty")
        if len(message) > self.config.max_message_chars:
            return self._fixed(texts.TOO_LONG.format(chars=len(message),
                                                     limit=self.config.max_message_chars),
                               "too_long")
        with self._sessions.session(session_id) as slot:
            try:
                final = TurnState.model_validate(
                    self._graph.invoke(TurnState(text=message, dialogue=slot.state)))
            except CityAgentError as exc:
                log.warning("citizen turn failed, dialogue kept as it was: %s", exc)
                return self._fixed(texts.FAILED, "handover", note=exc.message)
            slot.state = final.dialogue
        return self._compose(final)

    def reply_text(self, session_id: str, text: str) -> str:
        """The answer's text alone, for channels that carry only text (WeChat)."""
        return self.reply(session_id, text).text

    # ------------------------------------------------------------------ the graph
    def _build_graph(self) -> CompiledStateGraph[TurnState, None, TurnState, TurnState]:
        graph = StateGraph(TurnState)
        graph.add_node("classify", self._classify)
        handlers = {
            "greet": self._greet, "answer": self._answer, "report": self._report,
            "confirm": self._confirm, "cancel": self._cancel, "status": self._status,
            "emergency": self._emergency, "refuse": self._refuse,
            "off_topic": self._off_topic, "handover": self._handover,
        }
        for name, handler in handlers.items():
            graph.add_node(name, handler)
            graph.add_edge(name, "follow_up")
        graph.add_node("follow_up", self._follow_up)
        graph.add_edge(START, "classify")
        graph.add_conditional_edges("classify", _route, {name: name for name in handlers})
        graph.add_edge("follow_up", END)
        return graph.compile()

    def _classify(self, state: TurnState) -> dict[str, Any]:
        signals = read_signals(state.text, self.filler.gazetteer)
        intent = classify_turn(state.text, state.dialogue, signals)
        log.info("citizen session %s: %s", state.dialogue.session_id, intent)
        log.debug("citizen said: %s", mask_pii(state.text))
        return {"signals": signals, "intent": intent}

    def _follow_up(self, state: TurnState) -> dict[str, Any]:
        dialogue, outcome = state.dialogue, state.outcome
        assert outcome is not None, "every handler node sets an outcome"
        if state.intent != "status_query":
            dialogue = dialogue.model_copy(update={"status_awaiting": None,
                                                   "pending_ticket_id": None})
        waiting = dialogue.awaiting
        if state.intent in _ASIDES and waiting is not None:
            if waiting == "confirmation":
                reminder = texts.PENDING_CONFIRMATION
            elif waiting == "correction":
                reminder = texts.PENDING.format(question=texts.ASK_CHANGE)
            else:
                reminder = texts.PENDING.format(question=question_for(waiting))
            outcome = outcome.model_copy(update={"text": f"{outcome.text}\n\n{reminder}"})
        return _done(dialogue, outcome)

    # ------------------------------------------------------------------ simple nodes
    def _greet(self, state: TurnState) -> dict[str, Any]:
        text = texts.THANKS if is_thanks(state.text) else texts.GREETING
        return _done(state.dialogue, Outcome(text=text))

    def _refuse(self, state: TurnState) -> dict[str, Any]:
        reason = forbidden(state.text)
        log.warning("citizen session %s: request refused (%s)", state.dialogue.session_id,
                    reason or "instruction")
        return _done(state.dialogue,
                     Outcome(text=texts.FORBIDDEN[reason] if reason else texts.REFUSAL))

    def _off_topic(self, state: TurnState) -> dict[str, Any]:
        return _done(state.dialogue, Outcome(text=texts.OFF_TOPIC))

    def _handover(self, state: TurnState) -> dict[str, Any]:
        return _done(state.dialogue, Outcome(text=texts.HANDOVER))

    def _cancel(self, state: TurnState) -> dict[str, Any]:
        dialogue = state.dialogue.model_copy(update={"report": None, "awaiting": None})
        return _done(dialogue, Outcome(text=texts.CANCELLED))

    # ------------------------------------------------------------------ answers
    def _answer(self, state: TurnState) -> dict[str, Any]:
        found = self._call("search_knowledge", {"query": state.text[:MAX_QUERY_CHARS], "k": 3},
                           KnowledgeSearch)
        sure = found.confident[: self.config.max_citations]
        if not sure:
            return _done(state.dialogue, _no_answer(found))
        citations = [Citation(number=n, entry_id=e.entry_id, question=e.question, source=e.source)
                     for n, e in enumerate(sure, start=1)]
        lines = [_with_citation(e.answer, n) for n, e in enumerate(sure, start=1)]
        contact = next((d for d in sure[0].departments if d.phone), None)
        if contact is not None:
            lines.append(f"承办单位：{contact.name}（电话{contact.phone}）[1]")
        body, failed, note = self._rephrase("\n".join(lines))
        sources = [f"[{c.number}] 《{c.question}》" + (f"（{c.source}）" if c.source else "")
                   for c in citations]
        text = "\n".join([body, texts.SOURCES, *sources])
        return _done(state.dialogue,
                     Outcome(text=text, citations=citations, llm_failed=failed, note=note))

    def _rephrase(self, body: str) -> tuple[str, bool, str]:
        """The body rephrased by the LLM when it passes the guardrails; (text, failed, note)."""
        rewrite = guarded_rewrite(self.llm, texts.LLM_SYSTEM, f"答复原文：\n{body}", body)
        if rewrite.status == "rewritten":
            return rewrite.text, False, texts.NOTE_REWRITTEN
        if rewrite.status == "rejected":
            return body, False, texts.NOTE_REWRITE_REJECTED.format(
                problems="；".join(rewrite.problems))
        return body, rewrite.status == "unavailable", texts.NOTE_GROUNDED

    # ------------------------------------------------------------------ reports
    def _report(self, state: TurnState) -> dict[str, Any]:
        dialogue = state.dialogue.model_copy(deep=True)
        signals = state.signals
        if signals.phones:
            dialogue.phone = signals.phones[-1]
        report = dialogue.report
        was = dialogue.awaiting
        continuing = report is not None and (
            report.stage != "filed"
            or (state.intent == "slot_answer" and was in ("address", "phone"))
        )
        opening = ""
        if report is None or not continuing:
            report = start_report(dialogue, state.text, self.clock())
            report.has_problem = names_a_problem(state.text)
            opening = texts.REPORT_OPENING
        else:
            if was == "problem":
                report.has_problem = names_a_problem(state.text)
            elif was == "address" and signals.address is None:
                note_address_answer(report, state.text, self.filler)
            add_turn(report, state.text, signals)
            if was in ("confirmation", "correction"):
                opening = texts.CORRECTED
        report.draft = draft_report(self.filler, report, dialogue.phone)
        dialogue.report = report
        if report.stage == "filed":  # details added to an emergency already filed
            return self._update_emergency(dialogue, report)
        missing = missing_slots(report)
        if missing:
            report.stage = "collecting"
            dialogue.awaiting = missing[0]
            text = opening + ask(report, missing[0])
        else:
            report.stage = "confirming"
            dialogue.awaiting = "confirmation"
            text = f"{opening}\n{summary_text(report.draft)}" if opening else summary_text(
                report.draft)
        return _done(dialogue, Outcome(text=text, ticket=ticket_card(report.draft, filed=False)))

    def _confirm(self, state: TurnState) -> dict[str, Any]:
        dialogue = state.dialogue.model_copy(deep=True)
        report = dialogue.report
        if report is None or report.draft is None:
            return _done(dialogue, Outcome(text=texts.THANKS))
        if report.stage == "filed":
            return _done(dialogue, Outcome(text=texts.ALREADY_FILED.format(id=report.ticket_id),
                                           ticket=ticket_card(report.draft, filed=True)))
        if state.intent == "confirm_no":
            dialogue.awaiting = "correction"
            return _done(dialogue, Outcome(text=texts.ASK_CHANGE,
                                           ticket=ticket_card(report.draft, filed=False)))
        try:
            filed = self._call("file_ticket", {"ticket": report.draft}, FiledTicket)
        except CityAgentError as exc:
            log.warning("ticket %s not filed, the citizen may confirm again: %s",
                        report.ticket_id, exc)
            return _done(dialogue, Outcome(text=texts.FILE_FAILED,
                                           ticket=ticket_card(report.draft, filed=False)))
        _mark_filed(dialogue, report)
        routing = (texts.FILED_ROUTING.format(department=filed.departments[0])
                   if filed.departments else "")
        return _done(dialogue, Outcome(text=texts.FILED.format(id=filed.id, routing=routing),
                                       ticket=ticket_card(report.draft, filed=True)))

    # ------------------------------------------------------------------ emergencies
    def _emergency(self, state: TurnState) -> dict[str, Any]:
        dialogue = state.dialogue.model_copy(deep=True)
        signals = state.signals
        if signals.phones:
            dialogue.phone = signals.phones[-1]
        report = dialogue.report
        if report is not None and (report.stage != "filed" or report.kind == "emergency"):
            report.kind = "emergency"
            add_turn(report, state.text, signals)
        else:
            report = start_report(dialogue, state.text, self.clock(), kind="emergency")
        report.has_problem = True
        report.draft = draft_report(self.filler, report, dialogue.phone)
        dialogue.report = report
        advice = signals.danger
        assert advice is not None, "an emergency is classified from a danger"
        numbers = "、".join(advice.numbers)
        first = texts.EMERGENCY_FIRST.format(numbers=numbers, advice=advice.advice)
        try:
            result = self._call("report_emergency",
                                {"ticket": report.draft, "description": state.text},
                                EmergencyReport)
        except CityAgentError as exc:
            log.error("emergency ticket not filed: %s", exc)
            dialogue.awaiting = None
            return _done(dialogue, Outcome(
                text=f"{first}\n{texts.EMERGENCY_FAILED.format(numbers=numbers)}",
                ticket=ticket_card(report.draft, filed=False)))
        routing = (texts.EMERGENCY_ROUTING.format(department=result.ticket.departments[0])
                   if result.ticket.departments else "")
        filed_text = texts.EMERGENCY_FILED.format(id=result.ticket.id, routing=routing)
        return self._after_emergency_filing(dialogue, report, f"{first}\n{filed_text}")

    def _update_emergency(self, dialogue: DialogueState, report: Report) -> dict[str, Any]:
        assert report.draft is not None
        result = self._call("report_emergency",
                            {"ticket": report.draft, "description": "\n".join(report.turns)},
                            EmergencyReport)
        return self._after_emergency_filing(
            dialogue, report, texts.EMERGENCY_UPDATED.format(id=result.ticket.id))

    def _after_emergency_filing(self, dialogue: DialogueState, report: Report, text: str
                                ) -> dict[str, Any]:
        assert report.draft is not None
        report.draft = report.draft.model_copy(update={"urgency": "紧急"})
        _mark_filed(dialogue, report)
        missing = [slot for slot in missing_slots(report) if slot != "problem"]
        if missing:
            dialogue.awaiting = missing[0]
            text += ask(report, missing[0])
        else:
            text += texts.EMERGENCY_KEEP_PHONE
        return _done(dialogue, Outcome(text=text, ticket=ticket_card(report.draft, filed=True)))

    # ------------------------------------------------------------------ status
    def _status(self, state: TurnState) -> dict[str, Any]:
        dialogue = state.dialogue.model_copy(deep=True)
        signals = state.signals
        if signals.phones:
            dialogue.phone = signals.phones[-1]
        ticket_id = (signals.ticket_ids[-1] if signals.ticket_ids
                     else dialogue.pending_ticket_id
                     or (dialogue.filed[-1] if dialogue.filed else None))
        if ticket_id is None:
            dialogue.status_awaiting = "ticket_id"
            return _done(dialogue, Outcome(text=texts.ASK_TICKET_ID))
        if dialogue.phone is None:
            dialogue.status_awaiting = "status_phone"
            dialogue.pending_ticket_id = ticket_id
            return _done(dialogue, Outcome(text=texts.ASK_STATUS_PHONE))
        dialogue.status_awaiting = None
        dialogue.pending_ticket_id = None
        status = self._call("ticket_status", {"ticket_id": ticket_id, "phone": dialogue.phone},
                            TicketStatus)
        return _done(dialogue, Outcome(text=_status_text(status)))

    # ------------------------------------------------------------------ helpers
    def _call(self, name: str, args: dict[str, Any], kind: type[T]) -> T:
        """Call a tool as the citizen persona; its result must be of type ``kind``."""
        result = self.registry.invoke(PERSONA, name, args, self.context)
        if not isinstance(result, kind):
            raise TypeError(f"tool {name} returned {type(result).__name__}, not {kind.__name__}")
        return result

    def _fixed(self, text: str, intent: Intent, note: str = texts.NOTE_TEMPLATE
               ) -> CitizenReply:
        return CitizenReply(text=text, intent=intent, degraded=self.llm is None,
                            note=_note(note, self.llm is None, False))

    def _compose(self, final: TurnState) -> CitizenReply:
        outcome = final.outcome
        assert outcome is not None, "the graph always ends with an outcome"
        dialogue = final.dialogue
        no_llm = self.llm is None
        return CitizenReply(
            text=outcome.text, citations=outcome.citations, ticket=outcome.ticket,
            intent=final.intent, awaiting=dialogue.status_awaiting or dialogue.awaiting,
            degraded=no_llm or outcome.llm_failed,
            note=_note(outcome.note, no_llm, outcome.llm_failed),
        )


def _route(state: TurnState) -> str:
    return _NODE_OF[state.intent]


def _note(note: str, no_llm: bool, llm_failed: bool) -> str:
    if no_llm:
        return f"{note}{texts.NOTE_NO_LLM}"
    if llm_failed:
        return f"{note}{texts.NOTE_LLM_DOWN}"
    return note


def _no_answer(found: KnowledgeSearch) -> Outcome:
    """The honest hand-over when no entry is sure enough, with the closest questions."""
    text = texts.NO_ANSWER
    close: list[KnowledgeFound] = found.entries[:2]
    if close:
        questions = "、".join(f"「{e.question}」" for e in close)
        text += texts.DID_YOU_MEAN.format(questions=questions)
    best = close[0].confidence if close else 0.0
    return Outcome(text=text, note=texts.NOTE_UNSURE.format(best=best,
                                                            threshold=found.threshold))


def _mark_filed(dialogue: DialogueState, report: Report) -> None:
    report.stage = "filed"
    dialogue.awaiting = None
    if report.ticket_id not in dialogue.filed:
        dialogue.filed.append(report.ticket_id)
        del dialogue.filed[:-MAX_FILED]


def _status_text(status: TicketStatus) -> str:
    if not status.found:
        return texts.STATUS_NOT_FOUND.format(id=status.ticket_id)
    text = texts.STATUS_FOUND.format(
        id=status.ticket_id, status=status.status or "已登记", summary=status.summary or "—",
        departments="、".join(status.departments) or "待分派")
    if status.call_time is not None:
        text += texts.STATUS_TIME.format(time=f"{status.call_time:%Y-%m-%d %H:%M}")
    return text
