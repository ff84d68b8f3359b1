"""Weighted reciprocal-rank fusion."""

from __future__ import annotations

import pytest

from retrieval.fusion import reciprocal_rank_fusion


def test_keys_found_by_both_rankings_come_first() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a", "d"]], k=60)
    assert [key for key, _ in fused] == ["a", "c", "b", "d"]
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[-1][1] == pytest.approx(1 / 63)


def test_weights_scale_each_ranking() -> None:
    fused = dict(reciprocal_rank_fusion([["a"], ["b"]], k=0, weights=[1.0, 3.0]))
    assert fused == {"a": pytest.approx(1.0), "b": pytest.approx(3.0)}


def test_a_key_repeated_in_one_ranking_counts_at_its_best_rank() -> None:
    assert reciprocal_rank_fusion([["a", "a", "b"]], k=0) == [("a", 1.0), ("b", 0.5)]


def test_empty_rankings_give_nothing() -> None:
    assert reciprocal_rank_fusion([]) == []
    assert reciprocal_rank_fusion([[], []]) == []


def test_ties_keep_first_seen_order() -> None:
    assert [key for key, _ in reciprocal_rank_fusion([["x"], ["y"]])] == ["x", "y"]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="weights"):
        reciprocal_rank_fusion([["a"]], weights=[1.0, 2.0])
    with pytest.raises(ValueError, match="non-negative"):
        reciprocal_rank_fusion([["a"]], k=-1)
