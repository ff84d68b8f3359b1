"""Knowledge entries in the graph: read them for indexing, and read what surrounds them.

Retrieval indexes the entries' questions; the graph knows the rest — the category an entry
is about, the departments that handle that category, the policy it is based on, who
provides it. :func:`knowledge_context` returns that neighbourhood for a list of hits so an
answer can say who to call and which rule it rests on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from pydantic import BaseModel, Field

from kg.store import GraphStore

_ENTRIES = """
MATCH (k:KnowledgeEntry)
WHERE $domain IS NULL OR k.domain = $domain
OPTIONAL MATCH (k)-[:ABOUT]->(c:Category)
WITH k, head(collect(c.name)) AS category
RETURN k.id AS id, k.question AS question, k.answer AS answer,
       coalesce(k.paraphrases, []) AS paraphrases, coalesce(k.keywords, []) AS keywords,
       coalesce(k.domain, '通用') AS domain, k.source AS source, category,
       k.valid_from AS valid_from, k.valid_to AS valid_to
ORDER BY k.id
"""

_CONTEXT = """
UNWIND $ids AS kid
MATCH (k:KnowledgeEntry {id: kid})
OPTIONAL MATCH (k)-[:ABOUT]->(c:Category)
OPTIONAL MATCH (c)<-[h:HANDLES]-(d:Department)
WITH k, c, d, h ORDER BY coalesce(h.rank, 99)
WITH k, collect(DISTINCT c.name) AS categories,
     collect(DISTINCT {name: d.name, phone: d.phone}) AS departments
OPTIONAL MATCH (k)-[:BASED_ON]->(p:Policy)
WITH k, categories, departments, collect(DISTINCT p.name) AS policies
OPTIONAL MATCH (k)-[:PROVIDED_BY]->(o)
RETURN k.id AS id, categories, [d IN departments WHERE d.name IS NOT NULL] AS departments,
       policies, head(collect(o.name)) AS provider
"""


class KnowledgeRecord(BaseModel):
    """A KnowledgeEntry node's fields as stored."""

    id: str
    question: str
    answer: str
    paraphrases: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    domain: str
    source: str | None = None
    category: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class ContactDepartment(BaseModel):
    """A department that handles an entry's category, with its phone when known."""

    name: str
    phone: str | None = None


class KnowledgeContext(BaseModel):
    """What the graph holds around one knowledge entry."""

    id: str
    categories: list[str] = Field(default_factory=list)
    departments: list[ContactDepartment] = Field(default_factory=list)
    policies: list[str] = Field(default_factory=list)
    provider: str | None = None


def read_knowledge(
    store: GraphStore, domain: str | None = None, today: date | None = None
) -> list[KnowledgeRecord]:
    """Every knowledge entry (of ``domain`` if given) still valid on ``today``, by id."""
    rows = store.read_models(_ENTRIES, KnowledgeRecord, domain=domain)
    if today is None:
        return rows
    return [r for r in rows if r.valid_to is None or r.valid_to >= today]


def knowledge_context(store: GraphStore, ids: Sequence[str]) -> dict[str, KnowledgeContext]:
    """The graph neighbourhood of each entry id (absent ids are left out)."""
    if not ids:
        return {}
    rows = store.read_models(_CONTEXT, KnowledgeContext, ids=list(dict.fromkeys(ids)))
    return {row.id: row for row in rows}
