"""Evaluation of the first-level router on a labelled JSON-lines file.

Each line is an object ``{"text": ..., "label": ...}`` with a label among the seven classes
of :data:`nlu.router.LABELS`. Any malformed line stops the evaluation with a
:class:`~kg.errors.DataValidationError` naming the file and line, so a broken evaluation
file never yields a silently smaller score.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score
from sklearn.metrics import precision_recall_fscore_support as prfs

from kg.errors import DataValidationError
from nlu.jsonl import read_jsonl
from nlu.router import LABELS, Router, load_router

logger = logging.getLogger(__name__)


class ClassScores(BaseModel):
    """Precision, recall, F1 and support of one class."""

    precision: float
    recall: float
    f1: float
    support: int


class RouterEvalReport(BaseModel):
    """Scores of the router on one file; the confusion matrix rows are true labels."""

    data: str
    n: int
    macro_f1: float
    accuracy: float
    per_class: dict[str, ClassScores]
    labels: list[str]
    confusion_matrix: list[list[int]]


def read_eval_file(path: Path) -> tuple[list[str], list[str]]:
    """Texts and labels of a JSON-lines evaluation file, validated line by line."""
    texts: list[str] = []
    labels: list[str] = []
    for lineno, row in read_jsonl(path):
        text, label = row.get("text"), row.get("label")
        if not isinstance(text, str) or not text.strip():
            raise DataValidationError(f"{path}:{lineno}: 'text' is missing or empty")
        if label not in LABELS:
            raise DataValidationError(
                f"{path}:{lineno}: unknown label {label!r}; expected one of {', '.join(LABELS)}"
            )
        texts.append(text)
        labels.append(str(label))
    if not texts:
        raise DataValidationError(f"{path}: no evaluation records")
    return texts, labels


def evaluate_router(data: Path, router: Router | None = None) -> RouterEvalReport:
    """Route every message of ``data`` and score the predictions against its labels.

    ``router`` defaults to the committed model. Metrics use the fixed label order of
    :data:`nlu.router.LABELS`, so reports of different files line up.
    """
    path = Path(data)
    texts, gold = read_eval_file(path)
    router = router or load_router()
    predicted = [result.label for result in router.predict_batch(texts)]
    order = list(LABELS)
    precision, recall, f1, support = prfs(
        gold, predicted, labels=order, average=None, zero_division=0
    )
    per_class = {
        label: ClassScores(
            precision=round(float(precision[i]), 4),
            recall=round(float(recall[i]), 4),
            f1=round(float(f1[i]), 4),
            support=int(support[i]),
        )
        for i, label in enumerate(order)
    }
    present = [label for label in order if label in set(gold) | set(predicted)]
    report = RouterEvalReport(
        data=str(path),
        n=len(texts),
        macro_f1=round(
            float(f1_score(gold, predicted, labels=present, average="macro", zero_division=0)), 4
        ),
        accuracy=round(float(accuracy_score(gold, predicted)), 4),
        per_class=per_class,
        labels=order,
        confusion_matrix=confusion_matrix(gold, predicted, labels=order).tolist(),
    )
    logger.info(
        "router on %s: n=%d macro-F1 %.4f accuracy %.4f",
        path,
        report.n,
        report.macro_f1,
        report.accuracy,
    )
    return report
