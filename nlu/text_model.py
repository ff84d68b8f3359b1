"""Small learned text classifiers of the hotline NLU: character n-grams and a logistic regression.

Urgency and sentiment each get one, trained on turns and messages written for the purpose and
on the demo city's calls; the second-level category gets one trained on the calls alone.
Characters need no word segmenter, which matters for dialect wordings (「交关」, 「恼火」,
「唔该」) that jieba cuts badly; 1–3-grams catch words and short phrases; the classes are
balanced so that the rarer class (an emergency, praise) is not drowned. The models are small
(a few megabytes at most) and answer in about a millisecond.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path

import joblib
import numpy as np
from pydantic import BaseModel
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline

from kg.errors import ConfigurationError, DataValidationError
from nlu.router import skip_sklearn_checks

FOLDS = 5
REPORT_FILE = "training_report.json"


def new_text_model(regularisation: float, min_count: int = 1) -> Pipeline:
    """An untrained classifier: character 1–3-gram TF-IDF and a balanced logistic regression.

    ``min_count`` drops n-grams seen in fewer texts, which keeps a many-class model small.
    """
    return make_pipeline(
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True,
                        min_df=min_count),
        LogisticRegression(C=regularisation, class_weight="balanced", max_iter=3000),
    )


def out_of_fold_probabilities(
    texts: Sequence[str], labels: Sequence[str], regularisation: float, min_count: int = 1
) -> tuple[np.ndarray, list[str]]:
    """Each text's class probabilities from a model that did not see it (stratified, seeded
    5-fold), and the class order of the columns."""
    classes = sorted(set(labels))
    if len(classes) < 2:
        raise DataValidationError("a classifier needs examples of at least two classes")
    target = np.array(labels)
    probabilities = np.zeros((len(texts), len(classes)))
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(texts, target):
        fold = new_text_model(regularisation, min_count).fit(
            [texts[i] for i in train], target[train])
        columns = [classes.index(c) for c in fold.classes_]
        probabilities[np.ix_(test, columns)] = fold.predict_proba([texts[i] for i in test])
    return probabilities, classes


def save_text_model(model: Pipeline, model_path: Path, report: BaseModel) -> None:
    """Write a trained model and its training report (JSON) beside it.

    The classifier's weights are kept at half precision: a probability moves by less than
    1e-4 (no decision changed on the demo city's 1,410 calls) and the file, committed anew at
    each refit, is a quarter of the size (the 81-class category model on 1,410 calls: 20.6 MB →
    5.0 MB).
    """
    stored = copy.deepcopy(model)  # the caller's model keeps its full precision
    classifier = stored.steps[-1][1]
    classifier.coef_ = classifier.coef_.astype(np.float16)
    classifier.intercept_ = classifier.intercept_.astype(np.float16)
    model_path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(stored, model_path, compress=3)
    (model_path.parent / REPORT_FILE).write_text(
        json.dumps(report.model_dump(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def load_text_model(model_path: Path, train_command: str) -> Pipeline:
    """A committed model (a trusted project artefact: joblib unpickles it), its weights
    widened back to double precision: a product of the texts' (double) features with half
    precision weights would convert the weights again on every call (6 ms a draft for the
    category model)."""
    if not model_path.exists():
        raise ConfigurationError(f"no model at {model_path}: run `{train_command}`")
    model: Pipeline = joblib.load(model_path)
    classifier = model.steps[-1][1]
    classifier.coef_ = classifier.coef_.astype(np.float64)
    classifier.intercept_ = classifier.intercept_.astype(np.float64)
    return model


def class_probabilities(model: Pipeline, texts: Sequence[str]) -> list[dict[str, float]]:
    """Per text, the probability of each class."""
    if not texts:
        return []
    with skip_sklearn_checks():
        rows = model.predict_proba(list(texts))
    return [{str(c): float(p) for c, p in zip(model.classes_, row, strict=True)} for row in rows]
