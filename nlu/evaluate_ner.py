"""Reading CLUENER2020 files and scoring a NER pipeline on them (exact span match).

``cityagent eval ner --data FILE`` calls :func:`evaluate_ner`; :func:`read_cluener` is shared
with the trainer so that both validate input the same way.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from spacy.language import Language

from kg.errors import DataValidationError
from nlu.jsonl import read_jsonl

logger = logging.getLogger(__name__)

CLUENER_LABELS: tuple[str, ...] = (
    "address",
    "book",
    "company",
    "game",
    "government",
    "movie",
    "name",
    "organization",
    "position",
    "scene",
)


class GoldSpan(BaseModel):
    """One annotated mention: character offsets, ``end`` exclusive."""

    start: int = Field(ge=0)
    end: int = Field(gt=0)
    label: str


class CluenerRecord(BaseModel):
    """One CLUENER sentence with its mentions (offsets converted to end-exclusive)."""

    text: str
    spans: list[GoldSpan] = Field(default_factory=list)
    line: int = Field(default=0, description="1-based line number in the source file.")


class LabelScore(BaseModel):
    """Precision, recall and F1 of one label, with the counts they come from."""

    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int
    support: int = Field(description="Gold mentions of this label.")


class NerEvalReport(BaseModel):
    """Exact-span NER scores over a CLUENER file: overall (micro) and per label."""

    data: str
    sentences: int
    gold_entities: int
    predicted_entities: int
    precision: float
    recall: float
    f1: float
    tp: int
    fp: int
    fn: int
    per_label: dict[str, LabelScore]
    ignored_labels: list[str] = Field(
        default_factory=list,
        description="Predicted labels that the data never annotates (e.g. the ruler's PHONE).",
    )


def _fail(path: Path, line: int, why: str) -> DataValidationError:
    return DataValidationError(f"{path}:{line}: malformed CLUENER record: {why}")


def _parse_spans(path: Path, lineno: int, text: str, label: Any) -> list[GoldSpan]:
    if not isinstance(label, dict):
        raise _fail(path, lineno, "'label' must be an object")
    spans: list[GoldSpan] = []
    for name, mentions in label.items():
        if not isinstance(mentions, dict):
            raise _fail(path, lineno, f"label {name!r} must map mentions to offset lists")
        for mention, offsets in mentions.items():
            if not isinstance(offsets, list):
                raise _fail(path, lineno, f"offsets of {mention!r} must be a list")
            for pair in offsets:
                ok = (
                    isinstance(pair, list)
                    and len(pair) == 2
                    and all(isinstance(x, int) and not isinstance(x, bool) for x in pair)
                )
                if not ok:
                    raise _fail(path, lineno, f"offset {pair!r} of {mention!r} is not [start, end]")
                start, end_incl = pair
                if not 0 <= start <= end_incl < len(text):
                    raise _fail(path, lineno, f"offset {pair!r} of {mention!r} is out of range")
                if text[start : end_incl + 1] != mention:
                    raise _fail(
                        path, lineno, f"offset {pair!r} reads {text[start:end_incl + 1]!r}, "
                        f"not {mention!r}"
                    )
                spans.append(GoldSpan(start=start, end=end_incl + 1, label=name))
    return spans


def read_cluener(path: Path) -> list[CluenerRecord]:
    """Read a CLUENER JSON-lines file, validating every line.

    Each line is ``{"text": str, "label": {TYPE: {mention: [[start, end_inclusive], …]}}}``;
    ``label`` may be absent (no mentions). Blank lines are skipped. Any malformed line raises
    :class:`~kg.errors.DataValidationError` naming the file and the line, because a silently
    skipped record would bias both training and evaluation.
    """
    records: list[CluenerRecord] = []
    for lineno, obj in read_jsonl(path):
        text = obj.get("text")
        if not isinstance(text, str) or not text:
            raise _fail(path, lineno, "'text' must be a non-empty string")
        spans = _parse_spans(path, lineno, text, obj.get("label", {}))
        records.append(CluenerRecord(text=text, spans=spans, line=lineno))
    if not records:
        raise DataValidationError(f"{path}: no CLUENER records")
    return records


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def _score(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f = _ratio(2 * p * r, p + r) if p + r else 0.0
    return round(p, 4), round(r, 4), round(f, 4)


def score_spans(
    gold: Iterable[set[tuple[int, int, str]]],
    pred: Iterable[set[tuple[int, int, str]]],
    *,
    data: str = "",
) -> NerEvalReport:
    """Exact-match scores of predicted against gold ``(start, end, label)`` sets per sentence.

    Predicted labels outside CLUENER's ten and the gold's own are ignored (and listed), so
    the entity ruler's extra labels neither help nor hurt the figures.
    """
    gold_list, pred_list = list(gold), list(pred)
    labels = set(CLUENER_LABELS) | {lab for g in gold_list for _, _, lab in g}
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    ignored: set[str] = set()
    n_pred = 0
    for g, p_all in zip(gold_list, pred_list, strict=True):
        p = {s for s in p_all if s[2] in labels}
        ignored |= {s[2] for s in p_all} - labels
        n_pred += len(p)
        for s in g & p:
            tp[s[2]] += 1
        for s in p - g:
            fp[s[2]] += 1
        for s in g - p:
            fn[s[2]] += 1
    per_label = {}
    for lab in sorted(labels):
        pr, rc, f1 = _score(tp[lab], fp[lab], fn[lab])
        per_label[lab] = LabelScore(
            precision=pr, recall=rc, f1=f1, tp=tp[lab], fp=fp[lab], fn=fn[lab],
            support=tp[lab] + fn[lab],
        )
    t, f_p, f_n = sum(tp.values()), sum(fp.values()), sum(fn.values())
    pr, rc, f1 = _score(t, f_p, f_n)
    return NerEvalReport(
        data=data, sentences=len(gold_list), gold_entities=t + f_n, predicted_entities=n_pred,
        precision=pr, recall=rc, f1=f1, tp=t, fp=f_p, fn=f_n, per_label=per_label,
        ignored_labels=sorted(ignored),
    )


def evaluate_records(
    records: list[CluenerRecord], nlp: Language, *, data: str = ""
) -> NerEvalReport:
    """Run ``nlp`` over the records' texts and score its entities (see :func:`score_spans`)."""
    gold = [{(s.start, s.end, s.label) for s in r.spans} for r in records]
    pred = [
        {(e.start_char, e.end_char, e.label_) for e in doc.ents}
        for doc in nlp.pipe((r.text for r in records), batch_size=256)
    ]
    return score_spans(gold, pred, data=data)


def evaluate_ner(data: Path, pipeline: Language | None = None) -> NerEvalReport:
    """Score a NER pipeline on a CLUENER file: micro P/R/F1 and per label, exact spans.

    ``pipeline`` defaults to the committed model (:func:`nlu.pipeline.load_pipeline`). This is
    what ``cityagent eval ner --data FILE`` reports, so figures are comparable with the
    CLUENER2020 anchors (which also use exact-span micro F1).
    """
    records = read_cluener(data)
    if pipeline is None:
        from nlu.pipeline import load_pipeline

        pipeline = load_pipeline()
    report = evaluate_records(records, pipeline, data=str(data))
    logger.info("NER on %s: P=%.4f R=%.4f F1=%.4f", data, report.precision, report.recall,
                report.f1)
    return report
