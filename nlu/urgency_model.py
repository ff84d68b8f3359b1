"""A learned second opinion on urgency: how likely a turn of the caller reports a present danger.

The rules of :mod:`nlu.urgency` name the dangers they know, in the words they know; callers
describe new ones in new words (「吊车在大风里晃得厉害」, 「孩子被锁在车里」). This model
reads each citizen turn as character n-grams and gives the probability that it reports a
danger to life or property now. It learns from turns written for the purpose
(``nlu/urgency_examples.jsonl``: about 270 present dangers of 47 kinds, and 350 hard
non-urgent turns — feared, past, narrowly missed or chronic dangers and alarming words used
in other senses) and from the demo city's labelled calls: every citizen turn of a call
labelled 一般 is calm, and of a call labelled 紧急 the one turn that a first model, fitted on
the written turns alone, finds most urgent is urgent (a call is labelled, not its turns; the
other turns of an urgent call are left out, as most of them are names and numbers).
Classes are balanced; a turn counts as urgent from a probability of 0.6, the threshold with
the fewest errors on calls_holdout10, which the model did not learn from (0.5: 9 false
alarms and 2 misses; 0.6: 6 and 2; 0.7: 5 and 4).

`cityagent train urgency` regenerates ``nlu/models/urgency`` and prints cross-validated
figures.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel
from sklearn.metrics import precision_recall_fscore_support
from sklearn.pipeline import Pipeline

from kg.errors import DataValidationError
from nlu.call_cases import read_cases
from nlu.jsonl import read_records
from nlu.text_model import (
    class_probabilities,
    load_text_model,
    new_text_model,
    out_of_fold_probabilities,
    save_text_model,
)
from nlu.transcript import split_turns

logger = logging.getLogger(__name__)

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "urgency"
DEFAULT_EXAMPLES = Path(__file__).resolve().parent / "urgency_examples.jsonl"
MODEL_FILE = "urgency.joblib"
URGENT_AT = 0.6
REGULARISATION = 3.0
_URGENT, _CALM = "urgent", "calm"


class UrgencyExample(BaseModel):
    """One training turn: the words, whether they report a present danger, and its kind."""

    text: str
    urgent: bool
    kind: str = ""


class UrgencyTrainingReport(BaseModel):
    """What the model learnt from, and its cross-validated precision, recall and F1."""

    examples: int
    urgent: int
    call_turns: int  # the calm calls' turns
    urgent_call_turns: int  # one turn of each urgent call
    cv_precision: float
    cv_recall: float
    cv_f1: float
    urgent_at: float


def calm_call_turns(paths: Sequence[Path]) -> list[str]:
    """Every citizen turn of the calls in ``paths`` whose expected urgency is 一般."""
    return [
        turn.text for path in paths for case in read_cases(path)
        if case.expected.get("urgency") == "一般"
        for turn in split_turns(case.transcript) if turn.speaker == "citizen"
    ]


def urgent_call_turns(paths: Sequence[Path], first: Pipeline) -> list[str]:
    """Of each call in ``paths`` whose expected urgency is 紧急, the citizen turn ``first``
    finds most likely to report a present danger."""
    turns = [
        [turn.text for turn in split_turns(case.transcript) if turn.speaker == "citizen"]
        for path in paths for case in read_cases(path) if case.expected.get("urgency") == "紧急"
    ]
    picked = []
    for per_call in filter(None, turns):
        chances = [p[_URGENT] for p in class_probabilities(first, per_call)]
        picked.append(per_call[int(np.argmax(chances))])
    return picked


def train_urgency_model(
    examples_path: Path, call_paths: Sequence[Path], out_dir: Path = DEFAULT_MODEL_DIR
) -> UrgencyTrainingReport:
    """Fit the turn model on the examples and the labelled calls' turns, and write it to
    ``out_dir``."""
    examples = read_records(examples_path, UrgencyExample)
    calm = calm_call_turns(call_paths)
    written = [e.text for e in examples]
    written_labels = [_URGENT if e.urgent else _CALM for e in examples]
    if len(set(written_labels + [_CALM] * len(calm))) < 2:
        raise DataValidationError(f"{examples_path}: need both urgent and non-urgent examples")
    urgent_turns = urgent_call_turns(
        call_paths, new_text_model(REGULARISATION).fit(written, written_labels))
    texts = written + calm + urgent_turns
    labels = written_labels + [_CALM] * len(calm) + [_URGENT] * len(urgent_turns)
    probabilities, classes = out_of_fold_probabilities(texts, labels, REGULARISATION)
    predicted = probabilities[:, classes.index(_URGENT)] >= URGENT_AT
    precision, recall, f1, _ = precision_recall_fscore_support(
        np.array(labels) == _URGENT, predicted, average="binary", zero_division=0)
    report = UrgencyTrainingReport(
        examples=len(examples), urgent=labels.count(_URGENT), call_turns=len(calm),
        urgent_call_turns=len(urgent_turns),
        cv_precision=round(float(precision), 4), cv_recall=round(float(recall), 4),
        cv_f1=round(float(f1), 4), urgent_at=URGENT_AT,
    )
    save_text_model(new_text_model(REGULARISATION).fit(texts, labels), out_dir / MODEL_FILE,
                    report)
    logger.info("urgency model: %d turns, cross-validated F1 %.3f", len(texts), f1)
    return report


@lru_cache(maxsize=1)
def load_urgency_model(model_dir: Path = DEFAULT_MODEL_DIR) -> Pipeline:
    """The committed turn model."""
    return load_text_model(model_dir / MODEL_FILE, "cityagent train urgency")


def urgent_probabilities(turns: Sequence[str]) -> list[float]:
    """Per turn, the probability that it reports a danger to life or property now."""
    return [p[_URGENT] for p in class_probabilities(load_urgency_model(), turns)]
