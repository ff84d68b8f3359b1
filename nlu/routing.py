"""From a citizen's words to the second-level category and the departments that handle it.

The first-level router gives a probability for each of the 7 classes; each second-level
category is then scored by a linear model, fitted on the seen calls, over the router's
probability of its parent, the category's keywords heard (how much, how many, whether the
first problem word of the call is one) and the TF-IDF similarity of the words to the
category's keywords, description and example questions (from the graph). Callers rarely use
the table's words (「吵得睡不着」 for 「噪音」, 「游医」 for 「非法行医」), so everyday wordings
of the table's keywords (:mod:`nlu.category_wordings`) count as those keywords; phone numbers
are left out of the match. When the words leave the choice uncertain, the meaning decides too:
the sentence encoder's similarity of the caller's opening to each category's description and
example questions (「羽毛球馆约不到」 is about sports venues though no keyword says so). It is
consulted only then, because encoding costs more than all the rest of a draft. What the
hotline agent says counts too: a department the agent hands the call to (「我们转环保部门」)
is evidence for the categories that department handles. So is how the city's callers put
each problem: a text model learnt from the labelled calls (:mod:`nlu.category_model`). The
departments come from the graph's HANDLES edges: the department with jurisdiction over the
caller's district first when there is one, then the lead department. Every choice carries
the evidence it rests on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from kg.routing_table import RoutingCategory, RoutingTable
from kg.ticket import DepartmentRoute, TicketAddress, TicketCategory
from nlu.batch_cache import BatchCache
from nlu.category_model import leaf_probabilities, learned_columns
from nlu.category_wordings import COLLOQUIAL
from nlu.pii import find_phones
from nlu.router import SentenceEncoder, embedding_input, skip_sklearn_checks

KEYWORD_SATURATION = 4  # matched keyword characters that count as full keyword evidence
KEYWORD_COUNT_SATURATION = 3  # distinct keywords heard that count as full evidence
SIMILARITY_SCALE = 0.2  # cosine to the category's knowledge that counts as a full match
MEANING_CHARS = 64  # how much of the caller's opening is encoded for its meaning
MEANING_CACHE_SIZE = 1024  # callers' openings whose encodings are kept
MEANING_SCALE = 0.05  # embedding cosine below the best category's at which meaning counts nothing
CONSULT_MEANING_BELOW = 0.8  # keyword-choice confidence under which the meaning is consulted
LEARNED_SAYS = 0.5  # the text model's probability from which a reason cites it
MAX_DEPARTMENTS = 3
DISTRICT_LEVEL = "区级"
# Long digit runs are phone, ID or order numbers: they say nothing about the category, and a
# keyword such as 「120」 must not be found inside one.
_LONG_NUMBER = re.compile(r"\d{5,}")
_PLAIN_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z0-9]+")


@dataclass(frozen=True)
class KeywordHit:
    """A keyword of the routing table heard in the text, in the caller's own words.

    ``start`` is where it was first heard; ``in_place_name`` marks the kind of place a place
    name ends with (「菜场」 in 「长河菜场」), which says where rather than what went wrong.
    """

    keyword: str
    heard: str
    start: int = 0
    in_place_name: bool = False

    def __str__(self) -> str:
        if self.heard == self.keyword:
            return f"「{self.heard}」"
        return f"「{self.heard}」（{self.keyword}）"


def matching_text(text: str) -> str:
    """``text`` without phone numbers and other long numbers, which say nothing of a category."""
    for _digits, start, end in reversed(find_phones(text)):
        text = text[:start] + " " + text[end:]
    return _LONG_NUMBER.sub(" ", text)


@dataclass(frozen=True)
class ScoreWeights:
    """How much each signal counts in a second-level category's score (a linear score; the
    softmax over all categories is the choice's confidence).

    The signals: the first-level router's probability of the category's parent; how much
    keyword text was heard (up to :data:`KEYWORD_SATURATION` characters), how many distinct
    keywords (up to :data:`KEYWORD_COUNT_SATURATION`) and whether any; the TF-IDF cosine to
    the category's knowledge, absolute (up to :data:`SIMILARITY_SCALE`) and relative to the
    best category's; and whether the category's keyword is the first problem word heard
    (callers state their main demand first; what comes later is often a side remark such as
    「救护车都进不去」 in a complaint about parked cars). The absolute cosine keeps a call that
    resembles nothing from making its least bad category look like a full match.
    ``agent_named``: whether the hotline agent named a department that handles the category
    (「我们转环保部门」, :mod:`nlu.department_mentions`). ``learned`` and ``learned_best``
    weigh :func:`nlu.category_model.learned_columns`: how probable the category is by how the
    city's callers put their problems. The last two, ``meaning`` and ``meaning_best``, weigh
    :func:`meaning_columns` when the meaning is consulted.
    """

    router: float
    keyword_length: float
    keyword_count: float
    keyword_any: float
    similarity: float
    relative_similarity: float
    first_keyword: float
    agent_named: float = 0.0
    learned: float = 0.0
    learned_best: float = 0.0
    meaning: float = 0.0
    meaning_best: float = 0.0

    def vector(self) -> np.ndarray:
        """The weights in the order of :meth:`CategoryMatcher.features`' columns."""
        return np.array([self.router, self.keyword_length, self.keyword_count,
                         self.keyword_any, self.similarity, self.relative_similarity,
                         self.first_keyword, self.agent_named, self.learned, self.learned_best,
                         self.meaning, self.meaning_best])


FEATURE_COUNT = 12
AGENT_COLUMN = 7
LEARNED_COLUMNS = slice(8, 10)
MEANING_COLUMNS = slice(10, 12)

#: Both fitted by ``cityagent train categories`` on the twenty-one seen call files (2,490
#: calls: dev, test, holdout … holdout19) as conditional logits (softmax over the 81 second-level
#: categories), rounded, with the text model's out-of-fold probabilities in its columns.
#: Without the meaning: for every call. With it (the last two
#: columns: how close the caller's opening is in meaning to the category's knowledge,
#: relative to the closest category, and whether it is the closest): for the uncertain ones.
KEYWORD_WEIGHTS = ScoreWeights(router=0.6, keyword_length=-0.1, keyword_count=3.2, keyword_any=0.7,
                               similarity=1.5, relative_similarity=1.7, first_keyword=1.3,
                               agent_named=5.4, learned=25.0, learned_best=-4.0)
WEIGHTS = ScoreWeights(router=0.5, keyword_length=0.3, keyword_count=2.4, keyword_any=0.7,
                       similarity=0.5, relative_similarity=1.1, first_keyword=1.2, agent_named=5.3,
                       learned=21.4, learned_best=-3.4, meaning=4.1, meaning_best=-0.1)


@dataclass(frozen=True)
class CategoryChoice:
    """The chosen categories, how sure, and why."""

    category: TicketCategory
    confidence: float
    reason: str


class CategoryMatcher:
    """Scores second-level categories of one routing table against a text (built once).

    ``learned`` is the text model of how calls were filed (:mod:`nlu.category_model`); without
    it its columns are empty.

    ``places`` are the city's place names: a keyword inside one names the place, not the
    problem (「澜江」 in 「澜江公园」), unless the place name ends with it (「图书馆」 in
    「市图书馆」 says what kind of place it is).
    """

    def __init__(
        self,
        table: RoutingTable,
        places: Iterable[str] = (),
        encoder: SentenceEncoder | None = None,
        keyword_weights: ScoreWeights = KEYWORD_WEIGHTS,
        weights: ScoreWeights = WEIGHTS,
        learned: Pipeline | None = None,
    ) -> None:
        self.table = table
        self.learned = learned
        self.keyword_weights = keyword_weights
        self.weights = weights
        self.encoder = encoder
        self.leaves: list[RoutingCategory] = [
            c for c in table.categories.values() if c.parent_id is not None
        ]
        documents = [
            " ".join([c.name, c.description, *c.keywords, *_wordings(c.keywords), *c.examples])
            for c in self.leaves
        ]
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3),
                                           sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(documents)
        # Per leaf, once: its parent and the words that count as keyword hits.
        self._leaf_words = [
            (leaf, table.categories[leaf.parent_id or ""],
             tuple(dict.fromkeys(k for k in (leaf.name, *leaf.keywords) if k)))
            for leaf in self.leaves
        ]
        known = list(dict.fromkeys(k for _l, _p, words in self._leaf_words for k in words))
        self._keywords = [(k, re.compile(COLLOQUIAL[k]) if k in COLLOQUIAL else None)
                          for k in known]
        self._kinds = sorted(known, key=len, reverse=True)
        parents = sorted({parent.name for _l, parent, _w in self._leaf_words})
        self._parent_of = np.array(
            [parents.index(parent.name) for _l, parent, _w in self._leaf_words]
        )
        self._parents = parents
        self._handled = [frozenset(leaf.handled_by) for leaf in self.leaves]
        names = sorted({p for p in places if len(p) >= 2}, key=len, reverse=True)
        self._places = re.compile("|".join(map(re.escape, names))) if names else None
        # Per leaf, its knowledge in sentences, encoded once: the description and the examples.
        knowledge = [(i, sentence) for i, leaf in enumerate(self.leaves)
                     for sentence in (f"{leaf.name}：{leaf.description}", *leaf.examples)]
        self._knowledge_leaf = np.array([i for i, _ in knowledge])
        self._knowledge = (
            _encode_knowledge(encoder, tuple(sentence for _, sentence in knowledge))
            if encoder is not None else None
        )
        # A live call is drafted again as it grows; once the opening is complete its encoding
        # is reused.
        self._openings: BatchCache[str, np.ndarray] = BatchCache(MEANING_CACHE_SIZE)

    def choose(
        self, text: str, l1_scores: dict[str, float], named: frozenset[str] = frozenset()
    ) -> CategoryChoice:
        """The best second-level category for ``text`` given the first-level probabilities
        and the ids of the departments the agent named."""
        return self.choose_many([text], [l1_scores], [named])[0]

    def choose_many(
        self, texts: Sequence[str], l1_scores: Sequence[dict[str, float]],
        named: Sequence[frozenset[str]] | None = None,
    ) -> list[CategoryChoice]:
        """:meth:`choose` for many texts, with one TF-IDF transform and product for them all,
        and one encoding of the uncertain ones."""
        scored = self.word_features(texts, l1_scores, named)
        choices = [
            self._best(rows, heard, scores, self.keyword_weights)
            for (rows, heard), scores in zip(scored, l1_scores, strict=True)
        ]
        uncertain = [i for i, c in enumerate(choices) if c.confidence < CONSULT_MEANING_BELOW]
        if uncertain and self.encoder is not None:
            closeness = self.meaning_closeness([texts[i] for i in uncertain])
            for i, close in zip(uncertain, closeness, strict=True):
                rows, heard = scored[i]
                rows[:, MEANING_COLUMNS] = meaning_columns(close)
                choices[i] = self._best(rows, heard, l1_scores[i], self.weights, close)
        return choices

    def word_features(
        self, texts: Sequence[str], l1_scores: Sequence[dict[str, float]],
        named: Sequence[frozenset[str]] | None = None,
    ) -> list[tuple[np.ndarray, list[list[KeywordHit]]]]:
        """:meth:`features` of each text (meaning columns empty) and the keywords heard, with
        one TF-IDF transform and product for them all."""
        cleaned = [matching_text(text) for text in texts]
        named = named if named is not None else [frozenset()] * len(texts)
        with skip_sklearn_checks():
            similarity = (self._matrix @ self._vectorizer.transform(cleaned).T).toarray()
        learned = (
            leaf_probabilities(self.learned, cleaned, [leaf.name for leaf in self.leaves])
            if self.learned is not None and cleaned else None
        )
        return [
            self.features(text, scores, similarity[:, column], agent_named,
                          None if learned is None else learned[column])
            for column, (text, scores, agent_named)
            in enumerate(zip(cleaned, l1_scores, named, strict=True))
        ]

    def meaning_closeness(self, texts: Sequence[str]) -> np.ndarray:
        """Per text, per second-level category: the best embedding cosine between the text's
        opening and the category's knowledge (zeros without an encoder)."""
        encoder = self.encoder
        if encoder is None or self._knowledge is None or not texts:
            return np.zeros((len(texts), len(self.leaves)))
        openings = [embedding_input(t, MEANING_CHARS) for t in texts]
        encoded = self._openings.values(openings, lambda new: np.asarray(encoder.query(new)))
        cosines = np.array([encoded[o] for o in openings]) @ self._knowledge.T
        closeness = np.full((len(texts), len(self.leaves)), -1.0)
        for row, values in zip(closeness, cosines, strict=True):
            np.maximum.at(row, self._knowledge_leaf, values)
        return closeness

    def forget(self) -> None:
        """Drop the encodings of earlier openings."""
        self._openings.clear()

    def _without_place_names(self, text: str) -> tuple[str, list[tuple[int, int]]]:
        """``text`` with place names blanked but for the kind of place a name ends with, and
        where those kinds stand."""
        if self._places is None:
            return text, []
        kinds: list[tuple[int, int]] = []

        def blank(match: re.Match[str]) -> str:
            name = match.group(0)
            kind = next((k for k in self._kinds if name.endswith(k) and len(k) < len(name)), "")
            if kind:
                kinds.append((match.end() - len(kind), match.end()))
            return " " * (len(name) - len(kind)) + kind

        return self._places.sub(blank, text), kinds

    def keyword_hits(self, text: str) -> dict[str, KeywordHit]:
        """The table's keywords heard in ``text``, as said or in an everyday wording."""
        text, kinds = self._without_place_names(text)
        hits = {}
        for word, colloquial in self._keywords:
            said = text.find(word)
            # Once the keyword is heard, only a wording said before it can tell more.
            end = len(text) if said < 0 else said
            found = colloquial.search(text, 0, end) if colloquial else None
            if said < 0 and found is None:
                continue
            if found is not None and (said < 0 or found.start() < said):
                heard, start = found.group(0), found.start()
            else:
                heard, start = word, said
            hits[word] = KeywordHit(word, heard, start, any(a <= start < b for a, b in kinds))
        return hits

    def features(
        self, text: str, l1_scores: dict[str, float], similarity: np.ndarray,
        named: frozenset[str] = frozenset(), learned: np.ndarray | None = None,
    ) -> tuple[np.ndarray, list[list[KeywordHit]]]:
        """One row of signals per second-level category (see :class:`ScoreWeights`) and the
        keywords heard for each, for a text already cleaned by :func:`matching_text`;
        ``named`` are the ids of the departments the agent named, ``learned`` the text model's
        probability of each category."""
        heard = self.keyword_hits(text)
        hits = [[heard[k] for k in keywords if k in heard] for _l, _p, keywords in self._leaf_words]
        length = np.array([sum(len(h.keyword) for h in found) for found in hits], dtype=float)
        count = np.array([len(found) for found in hits], dtype=float)
        router = np.array([l1_scores.get(p, 0.0) for p in self._parents])[self._parent_of]
        top = float(similarity.max()) or 1.0
        problem = [h for h in heard.values() if not h.in_place_name]
        first = min(problem, key=lambda h: (h.start, -len(h.heard))) if problem else None
        rows = np.column_stack([
            router,
            np.minimum(length / KEYWORD_SATURATION, 1.0),
            np.minimum(count / KEYWORD_COUNT_SATURATION, 1.0),
            (count > 0).astype(float),
            np.minimum(similarity / SIMILARITY_SCALE, 1.0),
            similarity / top,
            np.array([any(h is first for h in found) for found in hits], dtype=float),
            np.array([bool(named & handled) for handled in self._handled], dtype=float),
            np.zeros((len(hits), 2)) if learned is None else learned_columns(learned),
            np.zeros((len(hits), 2)),  # the meaning's columns, filled when it is consulted
        ])
        return rows, hits

    def _best(
        self, rows: np.ndarray, heard: list[list[KeywordHit]], l1_scores: dict[str, float],
        weights: ScoreWeights, closeness: np.ndarray | None = None,
    ) -> CategoryChoice:
        scores = rows @ weights.vector()
        index = int(np.argmax(scores))
        chance = np.exp(scores - scores[index])
        leaf, parent, _keywords = self._leaf_words[index]
        hits = sorted(heard[index], key=lambda h: len(h.keyword), reverse=True)
        words = "、".join(str(h) for h in hits[:3])
        reason = (
            f"一级分类「{parent.name}」（模型概率 {l1_scores.get(parent.name, 0.0):.2f}）；"
            + (f"提到{words}，对应二级分类「{leaf.name}」" if hits
               else f"内容与二级分类「{leaf.name}」的知识最相近")
        )
        if rows[index, AGENT_COLUMN] and weights.agent_named > 0:
            reason += "；坐席提到的部门承办此类诉求"
        if (learned := rows[index, LEARNED_COLUMNS.start]) >= LEARNED_SAYS and weights.learned > 0:
            reason += f"；以往同类工单多有类似说法（模型概率 {learned:.2f}）"
        if closeness is not None:
            reason += (f"；关键词不足以确定，按语义比对"
                       f"（与「{leaf.name}」相似度 {closeness[index]:.2f}）")
        return CategoryChoice(
            category=TicketCategory(l1=parent.name, l2=leaf.name, l1_id=parent.id, l2_id=leaf.id),
            confidence=round(float(1.0 / chance.sum()), 3),
            reason=reason,
        )


def meaning_columns(closeness: np.ndarray) -> np.ndarray:
    """The two meaning features of every category from its embedding closeness: how near the
    closest category it comes (1 for the closest, 0 at :data:`MEANING_SCALE` below), and
    whether it is the closest."""
    gap = closeness.max() - closeness
    return np.column_stack([np.clip(1.0 - gap / MEANING_SCALE, 0.0, 1.0),
                            (gap == 0).astype(float)])


@lru_cache(maxsize=4)
def _encode_knowledge(encoder: SentenceEncoder, sentences: tuple[str, ...]) -> np.ndarray:
    """Passage embeddings of the categories' knowledge, once per encoder and table."""
    return np.asarray(encoder.passage(list(sentences)), dtype=np.float32)


def _wordings(keywords: Iterable[str]) -> list[str]:
    """The plain words among the everyday wordings of ``keywords`` (「吵」, 「噪声」 for
    「噪音」), so that the category's knowledge also reads the way callers speak."""
    return [
        word for keyword in keywords if keyword in COLLOQUIAL
        for word in COLLOQUIAL[keyword].split("|") if _PLAIN_WORD.fullmatch(word)
    ]


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
