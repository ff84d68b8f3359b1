"""Pure logic of the FAQ figures and the scorer's threshold."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.entries import KnowledgeItem
from retrieval.evaluate_faq import precision_at_coverage, precision_coverage, ranking_figures
from retrieval.train_scorer import choose_threshold, fold_plan


def test_ranking_figures() -> None:
    figures = ranking_figures([["a", "b"], ["b", "a"], ["c"], []], ["a", "a", None, "a"])
    assert (figures.top1, figures.top5) == (0.25, 0.5)
    assert figures.mrr == pytest.approx((1 + 0.5) / 4)


def test_precision_coverage_points() -> None:
    points = precision_coverage([0.9, 0.8, 0.4, 0.2], [True, False, True, False], [0.5, 0.95])
    assert (points[0].precision, points[0].coverage) == (0.5, 0.5)
    assert (points[1].precision, points[1].coverage) == (1.0, 0.0)


def test_precision_at_coverage_answers_the_most_confident_share() -> None:
    conf = [0.9, 0.8, 0.7, 0.1]
    assert precision_at_coverage(conf, [True, True, False, False], 0.5) == 1.0
    assert precision_at_coverage(conf, [True, True, False, False], 0.75) == pytest.approx(0.6667)
    assert precision_at_coverage([], [], 0.85) == 1.0


def test_threshold_is_the_lowest_confidence_that_keeps_the_precision() -> None:
    conf = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6])
    correct = np.array([True, True, True, True, False, False])
    assert choose_threshold(conf, correct, 0.95) == pytest.approx(0.8)
    assert choose_threshold(conf, correct, 0.8) == pytest.approx(0.7)
    assert choose_threshold(conf, np.zeros(6, dtype=bool), 0.95) == 1.0


def test_fold_plan_hides_each_paraphrase_once() -> None:
    items = [
        KnowledgeItem(id=f"K{i}", question=f"问题{i}", answer="答",
                      paraphrases=tuple(f"问法{i}-{j}" for j in range(4)))
        for i in range(30)
    ]
    plan = fold_plan(items, n_folds=3, seed=1)
    for base, questions in plan:
        held = {q.question for q in questions}
        assert all(p not in held for item in base for p in item.paraphrases)
        unknown = {q.question for q in questions if q.expected_id is None}
        assert all(item.question not in unknown for item in base)
    known = [q.question for _, qs in plan for q in qs if q.expected_id is not None]
    assert len(known) == len(set(known))
