"""BIO tags over characters for the encoder NER: spans to tags, and scores back to spans.

Training turns each CLUENER mention into ``B-label`` on its first character and ``I-label`` on
the rest; inference picks the best tag sequence under the BIO rules (an ``I-x`` only after
``B-x`` or ``I-x``) from per-character scores, so that every predicted span is well formed.
Pure numpy: the GPU machine that fine-tunes decodes with the same code as the service.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np


def spans_to_tags(
    length: int, spans: Sequence[tuple[int, int, str]], labels: Sequence[str]
) -> list[int]:
    """Tag ids of ``length`` characters for ``(start, end, label)`` spans, ``end`` exclusive.

    The ids are the classifier's outputs: 0 is O, then ``B-x``, ``I-x`` for each label in order.
    """
    index = {label: i for i, label in enumerate(labels)}
    tags = [0] * length
    for start, end, label in spans:
        first = 1 + 2 * index[label]
        tags[start] = first
        for i in range(start + 1, end):
            tags[i] = first + 1
    return tags


@cache
def _rules(n_tags: int) -> tuple[np.ndarray, np.ndarray]:
    """The score added when tag ``b`` follows tag ``a`` (``-inf`` where ``I-x`` does not follow
    ``B-x``/``I-x``), and the tags a sequence may start with; made once per tag count."""
    allowed = np.ones((n_tags, n_tags), dtype=bool)
    for b in range(2, n_tags, 2):  # I- tags
        allowed[:, b] = False
        allowed[b - 1, b] = True
        allowed[b, b] = True
    start_ok = np.array([t == 0 or t % 2 == 1 for t in range(n_tags)])
    return np.where(allowed, 0.0, -np.inf), start_ok


def best_tags(log_probs: np.ndarray) -> list[int]:
    """The most likely BIO-valid tag sequence for ``[length, tags]`` log-probabilities."""
    length, n_tags = log_probs.shape
    if length == 0:
        return []
    penalty, start_ok = _rules(n_tags)
    score = np.where(start_ok, log_probs[0], -np.inf)
    back = np.zeros((length, n_tags), dtype=np.int64)
    for i in range(1, length):
        total = score[:, None] + penalty
        back[i] = total.argmax(axis=0)
        score = total.max(axis=0) + log_probs[i]
    tags = [int(score.argmax())]
    for i in range(length - 1, 0, -1):
        tags.append(int(back[i, tags[-1]]))
    return tags[::-1]


def tags_to_spans(tags: Sequence[int], labels: Sequence[str]) -> list[tuple[int, int, str]]:
    """``(start, end, label)`` spans, ``end`` exclusive, of a BIO-valid tag sequence."""
    spans: list[tuple[int, int, str]] = []
    start = -1
    for i, tag in enumerate([*tags, 0]):
        if start >= 0 and tag != tags[start] + 1:
            spans.append((start, i, labels[(tags[start] - 1) // 2]))
            start = -1
        if tag % 2 == 1:
            start = i
    return spans


def row_spans(
    log_probs: np.ndarray, lengths: Sequence[int], labels: Sequence[str]
) -> list[list[tuple[int, int, str]]]:
    """The spans of each padded row of ``[rows, length, tags]`` log-probabilities, the row's
    characters starting after its ``bos`` (offsets count characters, not the ``bos``)."""
    return [
        tags_to_spans(best_tags(log_probs[row, 1 : n + 1]), labels)
        for row, n in enumerate(lengths)
    ]


def span_f1(
    predicted: list[list[tuple[int, int, str]]], gold: list[list[tuple[int, int, str]]]
) -> float:
    """Micro exact-span F1 of predicted against gold spans, sentence by sentence."""
    tp = sum(len(set(p) & set(g)) for p, g in zip(predicted, gold, strict=True))
    n_pred = sum(len(p) for p in predicted)
    n_gold = sum(len(g) for g in gold)
    return 2 * tp / (n_pred + n_gold) if n_pred + n_gold else 0.0
