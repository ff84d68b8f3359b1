"""How well facts and entities are read from regulators' texts, against labelled files.

Two measures, each as precision, recall and F1:

* **facts** (``finance_texts_*.jsonl``): a predicted fact is right when its relation, its
  subject and object, and its value agree with a labelled fact of the same document. A side
  agrees by entity when the label has a graph id (the prediction, resolved, must have that
  id) and by name otherwise (the same surface form, spaces aside). Ratios agree within half
  a percentage point, amounts within 0.5 %; a risk event must have the same kind.
* **entities** (``entity_mentions_*.jsonl``): a mention resolved to an id counts as
  predicted; it is right when the label has that id. Precision is over the mentions
  resolved, recall over the labelled mentions that have an id; a mention labelled without
  id (not in the graph, or a homonym without evidence) that gets resolved is a false merge.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from nlu.entity_resolution import EntityResolver
from nlu.finance_extraction import FinanceExtractor, FinanceFact, Mention, MentionKind, Relation

RATIO_TOLERANCE = 0.005
AMOUNT_TOLERANCE = 0.005


class LabelledFact(BaseModel):
    """A fact as the labelled file gives it."""

    relation: Relation
    subject: str
    subject_id: str | None = None
    object: str | None = None
    object_id: str | None = None
    ratio: float | None = None
    amount: float | None = None
    event: str | None = None


class LabelledDocument(BaseModel):
    """A document with its labelled facts."""

    id: str
    kind: str | None = None
    source: str | None = None
    date: str | None = None
    text: str
    facts: list[LabelledFact] = Field(default_factory=list)


class LabelledMention(BaseModel):
    """A mention in its sentence with the id it refers to (None: none, or undecidable)."""

    id: str
    mention: str
    context: str = ""
    kind: MentionKind
    expected_id: str | None = None
    note: str | None = None


class Scores(BaseModel):
    """Counts and the figures made of them."""

    true_positives: int = 0
    predicted: int = 0
    expected: int = 0

    @property
    def precision(self) -> float:
        """Share of the predictions that are right."""
        return self.true_positives / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        """Share of the labels that were found."""
        return self.true_positives / self.expected if self.expected else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def figures(self) -> dict[str, float | int]:
        """The counts and P/R/F1, rounded, for the report."""
        return {"tp": self.true_positives, "predicted": self.predicted,
                "expected": self.expected, "precision": round(self.precision, 3),
                "recall": round(self.recall, 3), "f1": round(self.f1, 3)}


class FactReport(BaseModel):
    """Fact extraction figures, overall and per relation, with the misses to read."""

    documents: int
    overall: dict[str, float | int]
    by_relation: dict[str, dict[str, float | int]]
    missed: list[str] = Field(default_factory=list)
    spurious: list[str] = Field(default_factory=list)


class ResolutionReport(BaseModel):
    """Entity-resolution figures, overall and per kind of case, and the errors."""

    mentions: int
    overall: dict[str, float | int]
    false_merges: int = Field(description="mentions labelled without id that were resolved")
    by_note: dict[str, dict[str, float | int]]
    errors: list[str] = Field(default_factory=list)


def _same_text(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


def _side_agrees(predicted: Mention | None, text: str | None, entity: str | None,
                 resolver: EntityResolver, sentence: str) -> bool:
    if predicted is None or text is None:
        return predicted is None and text is None
    if entity is not None:
        return resolver.resolve(predicted.text, predicted.kind, sentence).id == entity
    return _same_text(predicted.text, text)


def _values_agree(fact: FinanceFact, label: LabelledFact) -> bool:
    if label.ratio is not None and (fact.ratio is None
                                    or abs(fact.ratio - label.ratio) > RATIO_TOLERANCE):
        return False
    if label.amount is not None and (fact.amount is None or abs(fact.amount - label.amount)
                                     > AMOUNT_TOLERANCE * label.amount):
        return False
    return label.event is None or fact.event == label.event


def _matches(fact: FinanceFact, label: LabelledFact, resolver: EntityResolver) -> bool:
    return (fact.relation == label.relation and _values_agree(fact, label)
            and _side_agrees(fact.subject, label.subject, label.subject_id, resolver,
                             fact.sentence)
            and _side_agrees(fact.object, label.object, label.object_id, resolver,
                             fact.sentence))


def evaluate_facts(documents: Sequence[LabelledDocument], extractor: FinanceExtractor,
                   resolver: EntityResolver, shown: int = 30) -> FactReport:
    """Extract every document's facts and score them against its labels."""
    overall = Scores()
    per: dict[str, Scores] = {}
    missed: list[str] = []
    spurious: list[str] = []
    for doc in documents:
        predicted = extractor.extract(doc.text, doc.id)
        unused = list(predicted)
        for label in doc.facts:
            scores = per.setdefault(label.relation, Scores())
            scores.expected += 1
            overall.expected += 1
            hit = next((f for f in unused if _matches(f, label, resolver)), None)
            if hit is not None:
                unused.remove(hit)
                scores.true_positives += 1
                overall.true_positives += 1
            else:
                missed.append(f"{doc.id} {label.relation} {label.subject}→{label.object or ''}"
                              f" {label.ratio or label.amount or label.event or ''}")
        for fact in predicted:
            per.setdefault(fact.relation, Scores()).predicted += 1
            overall.predicted += 1
        spurious += [f"{doc.id} {f.relation} {f.subject.text}→"
                     f"{f.object.text if f.object else ''}" for f in unused]
    return FactReport(documents=len(documents), overall=overall.figures(),
                      by_relation={k: v.figures() for k, v in sorted(per.items())},
                      missed=missed[:shown], spurious=spurious[:shown])


def evaluate_resolution(mentions: Sequence[LabelledMention], resolver: EntityResolver,
                        shown: int = 30) -> ResolutionReport:
    """Resolve every mention in its context and score the ids against the labels."""
    overall = Scores()
    per: dict[str, Scores] = {}
    false_merges = 0
    errors: list[str] = []
    for case in mentions:
        got = resolver.resolve(case.mention, case.kind, case.context).id
        for scores in (overall, per.setdefault(case.note or "other", Scores())):
            scores.predicted += got is not None
            scores.expected += case.expected_id is not None
            scores.true_positives += got is not None and got == case.expected_id
        if got != case.expected_id:
            false_merges += case.expected_id is None
            errors.append(f"{case.id} {case.mention}（{case.note}）: expected "
                          f"{case.expected_id}, got {got}")
    return ResolutionReport(mentions=len(mentions), overall=overall.figures(),
                            false_merges=false_merges,
                            by_note={k: v.figures() for k, v in sorted(per.items())},
                            errors=errors[:shown])
