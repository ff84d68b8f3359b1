"""Hot topics: tickets about the same problem in the same place, grouped within a time window.

Two tickets belong together when they are about the same problem and the same place. The
problem: half the similarity of their words (TF-IDF over jieba words, the hotline's filler
words and the ticket's own place names left out), half whether the NLU put them in the same
category (where both have one; otherwise the words alone). The place: the same community,
street or district, or addresses that share most of their characters; the problem
similarity counts in full between tickets of one place and is discounted by
``place_weight`` between unrelated places, so a place alone never makes a topic.

Tickets are grouped by average-linkage clustering on that similarity, in time-ordered
blocks of ``max_block`` tickets so the work stays quadratic in a block, not in the whole
city; groups whose centres are alike are then joined. A group of at least ``min_tickets``
is a topic; its trend compares the two halves of the window.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
from pydantic import BaseModel, Field
from scipy import sparse as sp
from sklearn.cluster import AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

from kg.ontology import CITY_TIMEZONE
from kg.store import GraphStore
from kg.topic import HotTopic, TicketDigest, TopicPlace, Trend, read_ticket_digests, replace_topics
from nlu.router import join_tokens, split_tokens, word_tokens
from nlu.transcript import citizen_text, split_turns

log = logging.getLogger(__name__)

#: Words every hotline call uses; they say nothing about the problem.
_STOPWORD_TEXT = (
    "你好 您好 请问 我们 你们 他们 这个 那个 这样 就是 然后 已经 现在 一直 还是 没有 什么 "
    "怎么 问题 反映 希望 能够 可以 一下 谢谢 麻烦 相关 部门 政府 领导 情况 处理 解决 市民 "
    "坐席 电话 地址 号码 姓名 我叫 联系 来电 时间 今天 昨天 前天 最近 这里 那里 附近 非常 "
    "严重 一个 一些 因为 所以 但是 而且 如果 我家 家里 我们家 尊敬 请求 要求 投诉 建议 "
    "咨询 工作人员 有关 关于 进行 存在 目前 导致 影响 造成 出现 发现 表示 至今 "
    "多次 多天 几天 每天 晚上 早上 上午 下午 小时 分钟 街道 社区 小区 城管 有人 不能"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_CONTENT = re.compile(r"^[\u4e00-\u9fffA-Za-z]{2,}$")
#: Place weights: sharing a community says more than sharing a district.
_PLACE_WEIGHTS = (("C", 3), ("S", 2), ("D", 1))
_CITY_PREFIX = re.compile(r"^(?:[A-Z]?市)")
#: Anonymised place codes (「A3区」, 「A市」) glue onto the next word when jieba cuts them.
_PLACE_CODE = re.compile(r"[A-Z]\d*[市区县]")


class TopicSettings(BaseModel):
    """How topics are found; the defaults suit a city hotline's month."""

    window_days: int = Field(default=30, ge=1, le=3660)
    min_tickets: int = Field(default=3, ge=2)
    similarity: float = Field(default=0.3, gt=0.0, lt=1.0,
                              description="average similarity at which groups stop merging")
    merge_similarity: float = Field(default=0.4, gt=0.0, lt=1.0,
                                    description="centre similarity at which groups are joined")
    place_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    category_weight: float = Field(default=0.5, ge=0.0, le=1.0)
    max_block: int = Field(default=3000, ge=50, description="most tickets clustered at once")
    keywords: int = Field(default=5, ge=1)
    places: int = Field(default=3, ge=1)


class TopicBuild(BaseModel):
    """What a rebuild did: the window, how many tickets and topics, how long it took."""

    since: datetime
    until: datetime
    tickets: int
    topics: int
    seconds: float


def content_tokens(text: str) -> list[str]:
    """The words of what the citizen said that can name a problem."""
    said = _PLACE_CODE.sub("，", citizen_text(split_turns(text)) or text)
    return [tok for tok in word_tokens(said) if _CONTENT.match(tok) and tok not in STOPWORDS]


def _place_tokens(digest: TicketDigest) -> list[str]:
    tokens = []
    for prefix, weight in _PLACE_WEIGHTS:
        value = {"C": digest.community, "S": digest.street, "D": digest.district}[prefix]
        if value:
            tokens.extend([f"{prefix}:{value}"] * weight)
    if not tokens and digest.address_raw:
        raw = _CITY_PREFIX.sub("", digest.address_raw)
        tokens = [raw[i : i + 2] for i in range(len(raw) - 1)]
    return tokens


def _place_name(digest: TicketDigest) -> tuple[str, str | None] | None:
    """The most specific place a ticket names, with its region id when the graph knows it."""
    named = digest.community or digest.street or digest.district
    if named:
        return named, digest.region_id
    if digest.address_raw:
        return _CITY_PREFIX.sub("", digest.address_raw)[:20], None
    return None


def _vectors(docs: list[list[str]], min_df: int) -> tuple[sp.csr_matrix, TfidfVectorizer] | None:
    if not any(docs):
        return None
    vectorizer = TfidfVectorizer(analyzer=split_tokens, sublinear_tf=True, min_df=min_df)
    try:
        return vectorizer.fit_transform([join_tokens(d) for d in docs]), vectorizer
    except ValueError:  # no term reaches min_df
        return None


def _blocks(digests: Sequence[TicketDigest], max_block: int) -> list[list[int]]:
    """Indices in runs of at most ``max_block`` consecutive tickets in time order.

    A topic lives within a window, so cutting by time splits few of them, and it keeps the
    quadratic similarity matrix bounded however many tickets a window holds.
    """
    order = sorted(range(len(digests)), key=lambda i: digests[i].call_time)
    return [order[i : i + max_block] for i in range(0, len(order), max_block)]


def _trend(recent: int, earlier: int) -> Trend:
    if recent >= 1.5 * earlier and recent - earlier >= 2:
        return "上升"
    if earlier >= 1.5 * recent and earlier - recent >= 2:
        return "下降"
    return "持平"


def _topic_id(built_at: datetime, index: int) -> str:
    stamp = hashlib.sha1(built_at.isoformat().encode()).hexdigest()[:6]
    return f"TP{built_at:%Y%m%d%H%M%S}-{stamp}-{index:03d}"


class _Vectors(BaseModel):
    """Word and place vectors and the category of every ticket of the window."""

    model_config = {"arbitrary_types_allowed": True}

    words: sp.csr_matrix
    places: sp.csr_matrix | None
    categories: np.ndarray
    vocabulary: list[str]
    idf: np.ndarray


class _Group(BaseModel):
    members: list[int]
    centrality: list[float]
    keywords: list[str]


def _theme_tokens(digest: TicketDigest) -> list[str]:
    """The ticket's content words without its own place names.

    Place words are left to the place vector: two problems in one district must not look
    alike because both name it.
    """
    places = [p for p in (digest.district, digest.street, digest.community, digest.address_raw)
              if p]
    return [tok for tok in content_tokens(digest.text) if not any(tok in p for p in places)]


def _window_vectors(digests: Sequence[TicketDigest]) -> _Vectors | None:
    words = _vectors([_theme_tokens(d) for d in digests], min_df=2)
    if words is None:
        return None
    places = _vectors([_place_tokens(d) for d in digests], min_df=1)
    return _Vectors(words=words[0], places=places[0] if places else None,
                    categories=np.array([d.category_id or "" for d in digests], dtype=object),
                    vocabulary=[str(w) for w in words[1].get_feature_names_out()],
                    idf=np.asarray(words[1].idf_))


def _combine(
    words: np.ndarray, places: np.ndarray | None, categories: np.ndarray,
    settings: TopicSettings,
) -> np.ndarray:
    """Problem similarity (words and category) discounted between unrelated places."""
    known = categories != ""
    both = known[:, None] & known[None, :]
    same = categories[:, None] == categories[None, :]
    weight = settings.category_weight
    similarity = np.where(both, (1 - weight) * words + weight * same, words)
    if places is not None and settings.place_weight > 0:
        similarity = similarity * ((1 - settings.place_weight) + settings.place_weight * places)
    return np.asarray(similarity, dtype=float)


def _similarity(vectors: _Vectors, rows: list[int], settings: TopicSettings) -> np.ndarray:
    words = vectors.words[rows]
    where = vectors.places[rows] if vectors.places is not None else None
    return _combine(
        np.asarray((words @ words.T).toarray()),
        np.asarray((where @ where.T).toarray()) if where is not None else None,
        vectors.categories[rows], settings,
    )


def _cluster_block(vectors: _Vectors, block: list[int], settings: TopicSettings) -> list[list[int]]:
    """Groups of two or more tickets of one block."""
    if len(block) < 2:
        return []
    distance = np.clip(1.0 - _similarity(vectors, block, settings), 0.0, None)
    np.fill_diagonal(distance, 0.0)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average",
        distance_threshold=1.0 - settings.similarity,
    ).fit_predict(distance)
    groups = [[block[int(k)] for k in np.flatnonzero(labels == label)]
              for label in np.unique(labels)]
    return [group for group in groups if len(group) >= 2]


def _centroid(words: sp.csr_matrix) -> np.ndarray:
    centroid = np.asarray(words.mean(axis=0)).ravel()
    return centroid / (np.linalg.norm(centroid) or 1.0)


def _merge_close(
    vectors: _Vectors, groups: list[list[int]], settings: TopicSettings
) -> list[list[int]]:
    """Join groups whose centres are alike, words and places weighed as between tickets.

    Blocks cut by time can split a topic, and average linkage can leave paraphrases of one
    problem apart; their centres still sit close together.
    """
    if len(groups) < 2:
        return groups
    centres = np.vstack([_centroid(vectors.words[g]) for g in groups])
    where = (np.vstack([_centroid(vectors.places[g]) for g in groups])
             if vectors.places is not None else None)
    categories = np.array(
        [Counter(vectors.categories[g]).most_common(1)[0][0] for g in groups], dtype=object
    )
    similarity = _combine(centres @ centres.T, where @ where.T if where is not None else None,
                          categories, settings)
    close = similarity >= settings.merge_similarity
    parent = list(range(len(groups)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(close, k=1)), strict=True):
        parent[root(int(i))] = root(int(j))
    merged: dict[int, list[int]] = {}
    for i, group in enumerate(groups):
        merged.setdefault(root(i), []).extend(group)
    return list(merged.values())


def _describe(vectors: _Vectors, members: list[int], settings: TopicSettings) -> _Group:
    """Members most representative first, with how close each is, and the topic's keywords."""
    words = vectors.words[members]
    centroid = _centroid(words)
    closeness = np.asarray(words @ centroid).ravel()
    order = np.argsort(-closeness)
    # a keyword is a word most members use and few other tickets do
    coverage = np.asarray((words > 0).mean(axis=0)).ravel()
    score = coverage * vectors.idf
    top = np.argsort(-score)[: settings.keywords]
    return _Group(
        members=[members[int(k)] for k in order],
        centrality=[round(float(closeness[k]), 4) for k in order],
        keywords=[vectors.vocabulary[int(k)] for k in top if score[k] > 0],
    )


def _topic(
    digests: Sequence[TicketDigest], group: _Group, until: datetime, settings: TopicSettings,
) -> HotTopic:
    members = [digests[i] for i in group.members]
    middle = until - timedelta(days=settings.window_days / 2)
    recent = sum(1 for d in members if d.call_time >= middle)
    earlier = len(members) - recent
    places: Counter[tuple[str, str | None]] = Counter(
        place for d in members if (place := _place_name(d)) is not None
    )
    top_places = [
        TopicPlace(name=name, region_id=region_id, ticket_count=n)
        for (name, region_id), n in places.most_common(settings.places)
    ]
    categories = Counter(d.category_id for d in members if d.category_id)
    theme = "、".join(group.keywords[:3])
    return HotTopic(
        id="",
        name=f"{top_places[0].name}：{theme}" if top_places else theme,
        keywords=group.keywords,
        ticket_count=len(members),
        recent_count=recent,
        earlier_count=earlier,
        trend=_trend(recent, earlier),
        hot_score=recent + 0.5 * earlier,
        period_start=min(d.call_time for d in members).date(),
        period_end=max(d.call_time for d in members).date(),
        category_id=categories.most_common(1)[0][0] if categories else None,
        places=top_places,
        ticket_ids=[d.id for d in members],
        centrality=group.centrality,
    )


def cluster_topics(
    digests: Sequence[TicketDigest], until: datetime, built_at: datetime,
    settings: TopicSettings | None = None,
) -> list[HotTopic]:
    """The hot topics among ``digests``, the tickets of the window ending at ``until``.

    Hottest first: recent tickets count fully, those of the window's earlier half by half.
    """
    settings = settings or TopicSettings()
    vectors = _window_vectors(digests)
    if vectors is None:
        return []
    groups = [
        group
        for block in _blocks(digests, settings.max_block)
        for group in _cluster_block(vectors, block, settings)
    ]
    topics = [
        _topic(digests, _describe(vectors, members, settings), until, settings)
        for members in _merge_close(vectors, groups, settings)
        if len(members) >= settings.min_tickets
    ]
    topics.sort(key=lambda t: (-t.hot_score, -t.ticket_count, t.name))
    return [
        topic.model_copy(update={"id": _topic_id(built_at, i)})
        for i, topic in enumerate(topics, start=1)
    ]


def build_topics(
    store: GraphStore, until: datetime | None = None, settings: TopicSettings | None = None,
) -> TopicBuild:
    """Find the hot topics of the window ending at ``until`` (now) and store them in the graph."""
    settings = settings or TopicSettings()
    began = time.perf_counter()
    built_at = datetime.now(CITY_TIMEZONE)
    until = until or built_at
    since = until - timedelta(days=settings.window_days)
    digests = read_ticket_digests(store, since, until)
    topics = cluster_topics(digests, until, built_at, settings)
    replace_topics(store, topics, built_at)
    report = TopicBuild(since=since, until=until, tickets=len(digests), topics=len(topics),
                        seconds=round(time.perf_counter() - began, 3))
    log.info("hot topics: %d from %d tickets in %.1f s", report.topics, report.tickets,
             report.seconds)
    return report
