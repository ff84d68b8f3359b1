"""How well incidents are read from emergency reports, against the CEC corpus's annotations.

Each report is given to :func:`nlu.incidents.extract_incident` as its title, a newline and
its content, with its report time (``<ReportTime>``) as the reference time. Three measures,
each as precision, recall and F1:

* **type**, per document: the predicted hazard type, mapped to a CEC category
  (:data:`nlu.incidents.hazards.CEC_CATEGORY`), against the document's category (its folder).
  A document without a prediction counts against recall only; a type without a CEC category
  is a wrong prediction. Also per category.
* **time** and **location**, per mention: every predicted time expression (location phrase)
  in the content against every annotated ``<Time>`` (``<Location>``) of the document, whatever
  event it belongs to; mentions in the title are not scored (the corpus annotates none there).
  *strict*: same start and end; *overlap*: the spans share at least one character. Matching
  is one to one (a gold span is used once, pairs taken left to right), so a long prediction
  covering two gold spans counts once.

The corpus is split once, deterministically (:func:`nlu.incidents.labelled.split_corpus`: per
category, by the SHA-1 of the document id, 30 % dev, 70 % test). The rules were tuned on dev
only; test is the headline figure.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field

from nlu.incidents import IncidentDraft, extract_incident
from nlu.incidents.hazards import CEC_CATEGORY
from nlu.incidents.labelled import CecDocument, SpanKind, split_corpus

log = logging.getLogger(__name__)

_REPORT_TIME = re.compile(r"(\d{4})\D+(\d{1,2})\D+(\d{1,2})\D*(?:(\d{1,2})[:：时](\d{1,2}))?")


class Score(BaseModel):
    """Precision, recall and F1 from the counts behind them."""

    precision: float
    recall: float
    f1: float
    correct: int
    predicted: int
    gold: int

    @classmethod
    def of(cls, correct: int, predicted: int, gold: int) -> Score:
        """The score of ``correct`` right predictions among ``predicted``, of ``gold``."""
        p = correct / predicted if predicted else 0.0
        r = correct / gold if gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(precision=round(p, 4), recall=round(r, 4), f1=round(f, 4), correct=correct,
                   predicted=predicted, gold=gold)


class SpanScores(BaseModel):
    """Mention scores under both matching rules."""

    strict: Score
    overlap: Score


class SplitReport(BaseModel):
    """The scores on one split of the corpus."""

    documents: int
    type: Score
    type_per_category: dict[str, Score]
    time: SpanScores
    location: SpanScores
    times_resolved: float = Field(description="share of predicted times with a date")


class IncidentReport(BaseModel):
    """The scores on dev (where the rules were tuned) and test (the headline)."""

    headline: str = "test"
    dev: SplitReport
    test: SplitReport


def report_time(document: CecDocument) -> datetime | None:
    """The document's ``<ReportTime>`` as a datetime (「2008年05月12日16:25」), else None."""
    m = _REPORT_TIME.search(document.report_time or "")
    if not m:
        return None
    try:
        return datetime(int(m[1]), int(m[2]), int(m[3]), int(m[4] or 0), int(m[5] or 0))
    except ValueError:
        return None


def read_document(document: CecDocument) -> tuple[IncidentDraft, int]:
    """The draft of one report and the offset of its content in the text given."""
    offset = len(document.title) + 1
    draft = extract_incident(f"{document.title}\n{document.text}", report_time(document))
    return draft, offset


def match_spans(predicted: Sequence[tuple[int, int]], gold: Sequence[tuple[int, int]],
                strict: bool) -> int:
    """How many predicted spans match a gold span one to one (equal, or overlapping)."""
    used: set[int] = set()
    correct = 0
    for start, end in sorted(predicted):
        for index, (g_start, g_end) in enumerate(gold):
            if index in used:
                continue
            if (start, end) == (g_start, g_end) if strict else start < g_end and g_start < end:
                used.add(index)
                correct += 1
                break
    return correct


def evaluate_split(documents: Sequence[CecDocument]) -> SplitReport:
    """The scores of the extractor on some CEC documents."""
    type_counts: Counter[tuple[str, str]] = Counter()  # (category, outcome)
    spans: Counter[str] = Counter()
    dated = 0
    for document in documents:
        draft, offset = read_document(document)
        predicted = CEC_CATEGORY.get(draft.hazard) if draft.hazard else None
        type_counts[(document.category, "gold")] += 1
        if draft.hazard is not None:
            type_counts[(predicted or str(draft.hazard), "predicted")] += 1
            if predicted == document.category:
                type_counts[(document.category, "correct")] += 1
        times = [(t.start - offset, t.end - offset) for t in draft.times if t.start >= offset]
        places = [(p.start - offset, p.end - offset) for p in draft.locations if p.start >= offset]
        dated += sum(1 for t in draft.times if t.start >= offset and t.date is not None)
        kinds: tuple[tuple[SpanKind, list[tuple[int, int]]], ...] = (
            ("time", times), ("location", places))
        for name, found in kinds:
            gold = [(s.start, s.end) for s in document.spans(name)]
            spans[f"{name}.gold"] += len(gold)
            spans[f"{name}.predicted"] += len(found)
            spans[f"{name}.strict"] += match_spans(found, gold, strict=True)
            spans[f"{name}.overlap"] += match_spans(found, gold, strict=False)
    categories = sorted({c for c, outcome in type_counts if outcome == "gold"})
    per_category = {
        c: Score.of(type_counts[(c, "correct")], type_counts[(c, "predicted")],
                    type_counts[(c, "gold")]) for c in categories
    }
    total = Score.of(
        sum(type_counts[(c, "correct")] for c in categories),
        sum(n for (_, outcome), n in type_counts.items() if outcome == "predicted"),
        len(documents),
    )
    return SplitReport(
        documents=len(documents),
        type=total,
        type_per_category=per_category,
        time=_span_scores(spans, "time"),
        location=_span_scores(spans, "location"),
        times_resolved=round(dated / max(spans["time.predicted"], 1), 4),
    )


def evaluate_incidents(documents: Sequence[CecDocument]) -> IncidentReport:
    """Scores on the corpus's fixed dev and test splits
    (:func:`nlu.incidents.labelled.split_corpus`)."""
    splits = split_corpus(list(documents))
    log.info("evaluating incidents on %d dev and %d test documents",
             len(splits["dev"]), len(splits["test"]))
    return IncidentReport(dev=evaluate_split(splits["dev"]), test=evaluate_split(splits["test"]))


def _span_scores(counts: Counter[str], name: str) -> SpanScores:
    gold, predicted = counts[f"{name}.gold"], counts[f"{name}.predicted"]
    return SpanScores(strict=Score.of(counts[f"{name}.strict"], predicted, gold),
                      overlap=Score.of(counts[f"{name}.overlap"], predicted, gold))
