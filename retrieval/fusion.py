"""Weighted reciprocal-rank fusion: one ranking out of several (dense, BM25, …).

RRF adds ``weight / (k + rank)`` over the rankings a key appears in. It uses ranks only, so
scores on different scales (cosines, BM25) need no calibration against each other, and a
key found by several retrievers rises above one found by a single retriever.
"""

from __future__ import annotations

from collections.abc import Sequence


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Fuse ``rankings`` (keys, best first) into (key, score) pairs, best first.

    ``k`` damps the weight of the top ranks (60 is the value of the original paper);
    ``weights`` scales each ranking's contribution (default 1 each). Ranks start at 1; a key
    repeated within one ranking counts at its best rank only. Ties keep first-seen order.
    """
    if k < 0:
        raise ValueError(f"k must be non-negative, got {k}")
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(weights)} weights for {len(rankings)} rankings")
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, key in enumerate(dict.fromkeys(ranking), start=1):
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: -item[1])
