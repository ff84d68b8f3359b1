"""Training of the learned sentiment model (`cityagent train sentiment`).

The model (see :mod:`nlu.sentiment`) learns from messages written for the purpose
(``nlu/sentiment_examples.jsonl``: about 700 across every area of the hotline, with calm and
polite complaints, enquiries that name a problem, thanks after a complaint …) and from the
caller's side of the demo city's labelled calls. The report gives out-of-fold accuracies on
the calls: the cues alone, the model alone, and the two weighed with several cue shares, from
which :data:`nlu.sentiment.RULE_SHARE` is chosen.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ValidationError

from kg.errors import DataValidationError
from kg.ticket import Sentiment
from nlu.call_cases import read_cases
from nlu.jsonl import read_records
from nlu.sentiment import DEFAULT_MODEL_DIR, MODEL_FILE, combine, cue_reading
from nlu.text_model import new_text_model, out_of_fold_probabilities, save_text_model
from nlu.transcript import citizen_text, split_turns

logger = logging.getLogger(__name__)

DEFAULT_EXAMPLES = Path(__file__).resolve().parent / "sentiment_examples.jsonl"
REGULARISATION = 10.0
RULE_SHARES = (0.0, 0.2, 0.35, 0.5, 0.65, 1.0)
# Courtesies that close a call whatever it was about: every third complaint of the examples is
# also learnt with one of them added, since thanks at the end leave a complaint a complaint
# (every complaint made thanks so suspect that calls with thanks lost more than they gained).
CLOSINGS = ("麻烦你们了，谢谢。", "谢谢你们，辛苦了。", "麻烦尽快处理一下，谢谢啊。", "多谢了。",
            "拜托你们了。")


class SentimentExample(BaseModel):
    """One training message: the caller's words and how they feel."""

    text: str
    sentiment: Sentiment
    kind: str = ""


class SentimentTrainingReport(BaseModel):
    """What the model learnt from, and out-of-fold accuracies on the calls."""

    examples: int
    calls: int
    cv_accuracy_on_calls: dict[str, float]  # "cues", "model", "rule_share=0.35" …


def call_messages(paths: Sequence[Path]) -> list[SentimentExample]:
    """The caller's words and expected sentiment of each call in ``paths``."""
    messages = []
    for path in paths:
        for case in read_cases(path):
            try:
                messages.append(SentimentExample(
                    text=citizen_text(split_turns(case.transcript)) or case.transcript,
                    sentiment=case.expected.get("sentiment"), kind=path.name))
            except ValidationError as exc:
                raise DataValidationError(f"{path}: call {case.id}: {exc}") from exc
    return messages


def with_closings(examples: list[SentimentExample]) -> list[SentimentExample]:
    """The examples, and every third complaint again with a courtesy closing (:data:`CLOSINGS`)."""
    complaints = [e for e in examples if e.sentiment == "负面"]
    return examples + [
        e.model_copy(update={"text": f"{e.text}{CLOSINGS[i // 3 % len(CLOSINGS)]}"})
        for i, e in enumerate(complaints) if i % 3 == 0
    ]


def train_sentiment_model(
    examples_path: Path, call_paths: Sequence[Path], out_dir: Path = DEFAULT_MODEL_DIR
) -> SentimentTrainingReport:
    """Fit the model on the examples and the calls, and write it to ``out_dir``."""
    examples = with_closings(read_records(examples_path, SentimentExample))
    calls = call_messages(call_paths)
    rows = examples + calls
    texts, labels = [r.text for r in rows], [r.sentiment for r in rows]
    probabilities, classes = out_of_fold_probabilities(texts, labels, REGULARISATION)
    on_calls = list(range(len(examples), len(rows)))
    truth = np.array([labels[i] for i in on_calls])
    cues = [cue_reading(texts[i]) for i in on_calls]
    model = [dict(zip(classes, probabilities[i], strict=True)) for i in on_calls]
    accuracy = {
        "cues": np.mean(np.array([c.sentiment for c in cues]) == truth),
        "model": np.mean(np.array(classes)[probabilities[on_calls].argmax(axis=1)] == truth),
    }
    for share in RULE_SHARES:
        combined = [combine(c, m, share).sentiment for c, m in zip(cues, model, strict=True)]
        accuracy[f"rule_share={share}"] = np.mean(np.array(combined) == truth)
    report = SentimentTrainingReport(
        examples=len(examples), calls=len(calls),
        cv_accuracy_on_calls={k: round(float(v), 4) for k, v in accuracy.items()},
    )
    save_text_model(new_text_model(REGULARISATION).fit(texts, labels), out_dir / MODEL_FILE,
                    report)
    logger.info("sentiment model: %d messages; on calls %s", len(rows),
                report.cv_accuracy_on_calls)
    return report
