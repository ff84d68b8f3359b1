"""BIO tags: from spans, best valid sequence, back to spans, span F1."""

from __future__ import annotations

import numpy as np

from nlu.bio_tags import best_tags, row_spans, span_f1, spans_to_tags, tags_to_spans

LABELS = ["address", "name"]


def test_spans_round_trip() -> None:
    spans = [(0, 2, "name"), (2, 6, "address"), (7, 8, "name")]
    tags = spans_to_tags(9, spans, LABELS)
    assert tags == [3, 4, 1, 2, 2, 2, 0, 3, 0]
    assert tags_to_spans(tags, LABELS) == spans


def test_best_tags_never_starts_an_entity_inside() -> None:
    log_probs = np.log(np.full((3, 5), 0.01))
    log_probs[0, 0] = np.log(0.9)  # O
    log_probs[1, 2] = np.log(0.6)  # I-address after O: not allowed
    log_probs[1, 1] = np.log(0.3)  # B-address
    log_probs[2, 2] = np.log(0.9)
    assert best_tags(log_probs) == [0, 1, 2]
    assert best_tags(np.zeros((0, 5))) == []


def test_span_f1() -> None:
    gold = [[(0, 2, "name")], [(1, 3, "address")]]
    assert span_f1(gold, gold) == 1.0
    assert span_f1([[(0, 2, "name")], []], gold) == 2 / 3
    assert span_f1([[], []], [[], []]) == 0.0


def test_row_spans_skip_the_bos_of_each_padded_row() -> None:
    log_probs = np.log(np.full((2, 4, 5), 0.01))
    log_probs[:, :, 0] = np.log(0.9)  # O everywhere …
    log_probs[0, 1, 3] = log_probs[0, 2, 4] = np.log(0.95)  # … but a name on row 0's chars 0-1
    assert row_spans(log_probs, [2, 1], LABELS) == [[(0, 2, "name")], []]
