"""The second-level category as the demo city's calls were filed: a text model of callers' words.

The category scorer's other signals read the routing table's own words (keywords, the
categories' descriptions and examples, their meaning). This model reads how callers actually
put each problem (「骑手站长扣了我一千多」 is 工资发放, not 食品安全), learnt from the labelled
seen calls by ``cityagent train categories``. Its probabilities are two more columns of the
scorer (:mod:`nlu.routing`), weighed against the others by the same fit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

from nlu.text_model import class_probabilities, load_text_model

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent / "models" / "categories"
MODEL_FILE = "categories.joblib"
TRAIN_COMMAND = "cityagent train categories"
#: Chosen by leave-one-file-out accuracy on the seen calls (see the model card).
REGULARISATION = 100.0
MIN_COUNT = 2
#: Chinese characters a text needs before the model's reading counts: it learnt from Chinese
#: calls, and on 「asdf」 a few Latin letters it once saw (AED, APP) would still tip it.
MIN_CHINESE_CHARS = 4
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def load_category_model(model_dir: Path = DEFAULT_MODEL_DIR) -> Pipeline:
    """The committed second-level category model."""
    return load_text_model(model_dir / MODEL_FILE, TRAIN_COMMAND)


def leaf_probabilities(
    model: Pipeline, texts: Sequence[str], leaves: Sequence[str]
) -> np.ndarray:
    """Per text, the model's probability of each of ``leaves`` (second-level category names;
    0 for one it never learnt); all 0 for a text with too little Chinese to read."""
    probabilities = probability_matrix(class_probabilities(model, texts), leaves)
    unread = [len(_CHINESE.findall(text)) < MIN_CHINESE_CHARS for text in texts]
    probabilities[unread] = 0.0
    return probabilities


def probability_matrix(rows: Sequence[dict[str, float]], leaves: Sequence[str]) -> np.ndarray:
    """Class probabilities by name as a texts × ``leaves`` matrix."""
    return np.array([[row.get(leaf, 0.0) for leaf in leaves] for row in rows]).reshape(
        len(rows), len(leaves))


def learned_columns(probabilities: np.ndarray) -> np.ndarray:
    """The two learned features of every category: its probability, and that probability
    again for the most probable category only (0 for the others).

    Not a ratio to the most probable: on words the model knows nothing of (「asdf」) every
    probability is small, and a ratio would still make one category look certain.
    """
    best = probabilities == probabilities.max()
    return np.column_stack([probabilities, np.where(best, probabilities, 0.0)])
