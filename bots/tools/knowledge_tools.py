"""The knowledge-search tools: the government's entries and the bank's, each its own tool.

The two search the same knowledge base through the same answer scorer but in different
domains, so a persona reaches only the knowledge its role serves: the citizen bot cannot
answer from the bank's entries, and the bank bot cannot answer from the government's.
Results are cited by entry id; an entry's confidence below the threshold means it may be
shown as a suggestion, never given as the answer.
"""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from bots.tools.context import ToolContext, context_of
from bots.tools.spec import ToolSpec
from kg.knowledge import ContactDepartment

CANDIDATES = 10
"""Entries the knowledge base shortlists for the scorer to rerank."""
GOVERNMENT_DOMAIN = "政务"
BANK_DOMAIN = "银行"


class SearchKnowledgeArgs(BaseModel):
    """Arguments of the knowledge-search tools."""

    query: str = Field(min_length=1, max_length=512, description="用户的问题原文")
    k: int = Field(default=3, ge=1, le=10, description="最多返回几条知识")


class KnowledgeFound(BaseModel):
    """One knowledge entry found for a question, cited by its id."""

    entry_id: str
    question: str
    answer: str
    matched: str = Field(description="the entry's question or paraphrase that matched best")
    source: str | None = None
    category: str | None = None
    confidence: float = Field(ge=0.0, le=1.0, description="the scorer's probability")
    departments: list[ContactDepartment] = Field(
        default_factory=list, description="who handles it, from the graph")


class KnowledgeSearch(BaseModel):
    """The entries found for a question, best first, and the answer threshold."""

    query: str
    threshold: float
    entries: list[KnowledgeFound] = Field(default_factory=list)

    @property
    def confident(self) -> list[KnowledgeFound]:
        """The entries sure enough to be given as the answer."""
        return [e for e in self.entries if e.confidence >= self.threshold]

    @property
    def best(self) -> float:
        """The best entry's confidence (0 when nothing was found)."""
        return self.entries[0].confidence if self.entries else 0.0


def find_entries(ctx: ToolContext, query: str, k: int, domain: str) -> KnowledgeSearch:
    """The ``k`` entries of ``domain`` that best answer ``query``: shortlisted by hybrid
    retrieval, reranked by the answer scorer, expanded through the graph when it can."""
    hits = ctx.knowledge_base.search(query, CANDIDATES, domain=domain)
    ranked = ctx.answer_scorer.rerank(query, hits)[:k]
    ids = [r.hit.item.id for r in ranked]
    around = dict(ctx.lookup(ids)) if ctx.lookup is not None and ids else {}
    entries = []
    for scored in ranked:
        item = scored.hit.item
        graph = around.get(item.id)
        entries.append(KnowledgeFound(
            entry_id=item.id, question=item.question, answer=item.answer,
            matched=scored.hit.matched_key, source=item.source, category=item.category,
            confidence=round(scored.probability, 4),
            departments=graph.departments if graph else [],
        ))
    return KnowledgeSearch(query=query, threshold=ctx.threshold, entries=entries)


@tool("search_knowledge", args_schema=SearchKnowledgeArgs, description=(
    "检索政务知识库：返回与市民问题最相关的知识条目（编号、标准问题、答复原文、出处、置信度、"
    "承办部门），供引用作答；置信度低于阈值的条目不能当作答案。"))
def search_knowledge(query: str, k: int, config: RunnableConfig) -> KnowledgeSearch:
    """The government entries that best answer a citizen's ``query``, so an answer can cite
    them by id and name the departments that handle them."""
    return find_entries(context_of(config), query, k, GOVERNMENT_DOMAIN)


@tool("search_bank_knowledge", args_schema=SearchKnowledgeArgs, description=(
    "检索银行知识库：返回与客户问题最相关的银行业务知识条目（编号、标准问题、答复原文、出处、"
    "置信度）；置信度低于阈值时不能作答，应转人工。"))
def search_bank_knowledge(query: str, k: int, config: RunnableConfig) -> KnowledgeSearch:
    """The bank's entries that best answer a customer's ``query``; the bank bot answers only
    from these."""
    return find_entries(context_of(config), query, k, BANK_DOMAIN)


KNOWLEDGE_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(search_knowledge, frozenset({"citizen", "hotline_assist", "emergency"}),
             ("KnowledgeEntry",)),
    ToolSpec(search_bank_knowledge, frozenset({"bank_qa"}), ("KnowledgeEntry",)),
)
"""The knowledge-search tools with the personas allowed to call each."""
