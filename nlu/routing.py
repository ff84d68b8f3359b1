"""From a citizen's words to the second-level category and the departments that handle it.

The first-level router gives a probability for each of the 7 classes; within them the
second-level category is the one whose keywords, description and example questions (from
the graph) best match the words. The departments come from the graph's HANDLES edges: the
department with jurisdiction over the caller's district first when there is one, then the
lead department. Every choice carries the evidence it rests on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from kg.routing_table import RoutingCategory, RoutingTable
from kg.ticket import DepartmentRoute, TicketAddress, TicketCategory
from nlu.router import skip_sklearn_checks

# How much each signal counts in a second-level category's score.
ROUTER_WEIGHT, KEYWORD_WEIGHT, SIMILARITY_WEIGHT = 0.4, 0.3, 0.3  # tuned on calls_dev
KEYWORD_SATURATION = 4  # matched keyword characters that count as full keyword evidence
MAX_DEPARTMENTS = 3
DISTRICT_LEVEL = "区级"


@dataclass(frozen=True)
class CategoryChoice:
    """The chosen categories, how sure, and why."""

    category: TicketCategory
    confidence: float
    reason: str


class CategoryMatcher:
    """Scores second-level categories of one routing table against a text (built once)."""

    def __init__(self, table: RoutingTable) -> None:
        self.table = table
        self.leaves: list[RoutingCategory] = [
            c for c in table.categories.values() if c.parent_id is not None
        ]
        documents = [
            " ".join([c.name, c.description, *c.keywords, *c.examples]) for c in self.leaves
        ]
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3),
                                           sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(documents)
        # Per leaf, once: its parent and the words that count as keyword hits.
        self._leaf_words = [
            (leaf, table.categories[leaf.parent_id or ""],
             tuple(k for k in {leaf.name, *leaf.keywords} if k))
            for leaf in self.leaves
        ]

    def choose(self, text: str, l1_scores: dict[str, float]) -> CategoryChoice:
        """The best second-level category for ``text`` given the first-level probabilities."""
        return self.choose_many([text], [l1_scores])[0]

    def choose_many(
        self, texts: Sequence[str], l1_scores: Sequence[dict[str, float]]
    ) -> list[CategoryChoice]:
        """:meth:`choose` for many texts, with one TF-IDF transform and product for them all."""
        with skip_sklearn_checks():
            similarity = (self._matrix @ self._vectorizer.transform(texts).T).toarray()
        return [
            self._best(text, scores, similarity[:, column])
            for column, (text, scores) in enumerate(zip(texts, l1_scores, strict=True))
        ]

    def _best(
        self, text: str, l1_scores: dict[str, float], similarity: np.ndarray
    ) -> CategoryChoice:
        top_similarity = float(similarity.max()) or 1.0
        best: tuple[float, RoutingCategory, list[str]] | None = None
        for index, (leaf, parent, keywords) in enumerate(self._leaf_words):
            hits = [k for k in keywords if k in text]
            keyword = min(sum(len(k) for k in hits) / KEYWORD_SATURATION, 1.0)
            score = (
                ROUTER_WEIGHT * l1_scores.get(parent.name, 0.0)
                + KEYWORD_WEIGHT * keyword
                + SIMILARITY_WEIGHT * float(similarity[index]) / top_similarity
            )
            if best is None or score > best[0]:
                best = (score, leaf, sorted(hits, key=len, reverse=True))
        assert best is not None, "the routing table has no second-level category"
        score, leaf, hits = best
        parent = self.table.categories[leaf.parent_id or ""]
        words = "、".join(f"「{h}」" for h in hits[:3])
        reason = (
            f"一级分类「{parent.name}」（模型概率 {l1_scores.get(parent.name, 0.0):.2f}）；"
            + (f"提到{words}，对应二级分类「{leaf.name}」" if hits
               else f"内容与二级分类「{leaf.name}」的知识最相近")
        )
        return CategoryChoice(
            category=TicketCategory(l1=parent.name, l2=leaf.name, l1_id=parent.id, l2_id=leaf.id),
            confidence=round(float(np.clip(score, 0.0, 1.0)), 3),
            reason=reason,
        )


def rank_departments(
    table: RoutingTable, choice: CategoryChoice, address: TicketAddress
) -> list[DepartmentRoute]:
    """The departments of the category, the one with jurisdiction over the place first."""
    leaf_id = choice.category.l2_id
    if leaf_id is None:
        return []
    handled_by = table.categories[leaf_id].handled_by
    places = [p for p in (address.community_id, address.street_id, address.district_id) if p]
    routes: list[DepartmentRoute] = []
    for dept_id in handled_by:
        dept = table.departments[dept_id]
        if dept.level == DISTRICT_LEVEL and address.district_id in dept.jurisdiction:
            routes.append(DepartmentRoute(
                name=dept.name, id=dept.id, confidence=round(choice.confidence * 0.95, 3),
                reason=f"承办「{choice.category.l2}」，且管辖事发地「{address.district}」",
            ))
            break
    lead = table.departments[handled_by[0]] if handled_by else None
    if lead is not None:
        routes.append(DepartmentRoute(
            name=lead.name, id=lead.id,
            confidence=round(choice.confidence * (0.6 if routes else 0.9), 3),
            reason=f"「{choice.category.l2}」的牵头承办部门"
            + ("" if places else "（事发地未明确，先派市级牵头部门）"),
        ))
    for dept_id in handled_by[1:]:
        if len(routes) >= MAX_DEPARTMENTS:
            break
        if all(r.id != dept_id for r in routes):
            dept = table.departments[dept_id]
            routes.append(DepartmentRoute(
                name=dept.name, id=dept.id, confidence=round(choice.confidence * 0.3, 3),
                reason=f"同样承办「{choice.category.l2}」",
            ))
    return routes
