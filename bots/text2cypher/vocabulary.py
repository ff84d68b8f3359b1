"""The words a regulator's question can use for the register's own values: which industries,
statuses, kinds, severities and job titles the graph holds right now.

Read from the graph on each question (a few small DISTINCT queries), so a newly ingested
industry or title is understood at once; labels and properties come from a fixed list,
never from the question.
"""

from __future__ import annotations

import time
import weakref
from functools import cached_property

from pydantic import BaseModel, Field

from kg.store import GraphStore

VALUE_PROPERTIES: dict[str, tuple[str, ...]] = {
    "Company": ("industry", "status", "kind"),
    "Fund": ("status", "kind"),
    "Product": ("status", "kind"),
    "LoanProduct": ("status", "kind"),
    "RiskEvent": ("severity", "kind"),
    "Person": ("gender",),
    "Account": ("status", "kind"),
}
"""The text properties whose values a question may name as a condition (「制造业」, 「清盘」)."""
MAX_VALUES = 300
MAX_AGE_S = 30.0
_READ: weakref.WeakKeyDictionary[GraphStore, tuple[float, GraphVocabulary]] = (
    weakref.WeakKeyDictionary())


class GraphVocabulary(BaseModel):
    """Distinct values of the condition properties, and the job titles of SERVES_AS."""

    values: dict[str, dict[str, list[str]]] = Field(
        default_factory=dict, description="label → property → distinct values")
    titles: list[str] = Field(default_factory=list, description="职务 values, longest first")

    @classmethod
    def from_graph(cls, store: GraphStore) -> GraphVocabulary:
        """The vocabulary of the graph as it is now."""
        values: dict[str, dict[str, list[str]]] = {}
        for label, props in VALUE_PROPERTIES.items():
            for prop in props:
                rows = store.read(
                    f"MATCH (n:{label}) WHERE n.{prop} IS NOT NULL "
                    f"RETURN DISTINCT toString(n.{prop}) AS v LIMIT {MAX_VALUES}")
                values.setdefault(label, {})[prop] = sorted(
                    (str(r["v"]) for r in rows if str(r["v"]).strip()), key=len, reverse=True)
        rows = store.read("MATCH ()-[s:SERVES_AS]->() WHERE s.title IS NOT NULL "
                          f"RETURN DISTINCT s.title AS v LIMIT {MAX_VALUES}")
        titles = sorted((str(r["v"]) for r in rows if str(r["v"]).strip()), key=len, reverse=True)
        return cls(values=values, titles=titles)

    @cached_property
    def all_values(self) -> list[str]:
        """Every value of every condition property, longest first (worked out once per
        vocabulary, which serves every question for up to :data:`MAX_AGE_S`)."""
        return sorted({v for props in self.values.values() for vs in props.values() for v in vs},
                      key=len, reverse=True)



def vocabulary_of(store: GraphStore) -> GraphVocabulary:
    """The graph's vocabulary, read again when the copy at hand is older than
    :data:`MAX_AGE_S` (so questions do not each pay for the DISTINCT queries, and new
    values are understood within half a minute)."""
    now = time.monotonic()
    held = _READ.get(store)
    if held is None or now - held[0] > MAX_AGE_S:
        held = (now, GraphVocabulary.from_graph(store))
        _READ[store] = held
    return held[1]
