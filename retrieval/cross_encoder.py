"""A cross-encoder: reads two customer questions together and scores whether they ask the same.

Why: a sentence encoder sees each question alone, so the one word that flips an intent
(借/还, 开通/关闭, 能/不能) is diluted into a vector that still sits next to the other
question's. Reading both at once, every piece of one attends to every piece of the other,
which is how fine-tuned BERT-class matchers reach their accuracy on bank question pairs.

The model is multilingual-e5-small fine-tuned on labelled question pairs
(``retrieval/train_cross_encoder.py``), served like the tuned encoder: one int8 ONNX graph
(``nlu/onnx_encoder.py``), no torch. Its input is XLM-R's pair layout
``<s> A </s></s> B </s>``; the mean of the last hidden states goes through one linear unit,
whose output is the logit of "same intent". The pair matcher (``retrieval/pairs.py``) blends
it with its logistic model.

A model folder holds ``encoder.onnx`` and ``cross.json`` (pieces, head, what it was trained on).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from nlu.char_encoder import padded_rows
from nlu.e5_checkpoint import EncoderShape
from nlu.onnx_encoder import encoder_graph
from retrieval.pieces import PieceTokenizer, PieceVocab
from retrieval.tuned_encoder import GRAPH_FILE, open_model_folder, pooled_states
from retrieval.vector_index import atomic_directory

logger = logging.getLogger(__name__)

CROSS_FILE = "cross.json"
DEFAULT_CROSS_DIR = Path(__file__).resolve().parent / "models" / "cross_e5"


def cross_encoder_dir(name: str) -> Path:
    """The folder a recorded cross-encoder name means: a path, or a folder of the
    committed models (``cross_e5``)."""
    path = Path(name)
    return path if path.is_absolute() else DEFAULT_CROSS_DIR.parent / name


class CrossEncoderFiles(BaseModel):
    """What ``cross.json`` holds besides the graph: pieces, the pair head, provenance."""

    vocab: PieceVocab
    max_tokens: int = Field(gt=0, description="pieces kept of each question")
    head_weight: list[float]
    head_bias: float
    trained_on: dict[str, Any] = Field(default_factory=dict)


def pair_rows(
    tokenizer: PieceTokenizer, left: Sequence[str], right: Sequence[str], max_tokens: int
) -> tuple[np.ndarray, np.ndarray]:
    """Padded ``(ids, mask)`` rows ``<s> a </s></s> b </s>``, each side cut to ``max_tokens``.

    Training and serving both build their input here, so they cut and pad alike.
    """
    eos = tokenizer.vocab.eos
    rows = [
        [*tokenizer.encode(a, max_tokens), eos, eos, *tokenizer.encode(b, max_tokens)]
        for a, b in zip(left, right, strict=True)
    ]
    ids, mask, _ = padded_rows(rows, None, tokenizer.vocab)
    return ids, mask


def save_cross_encoder(
    out_dir: Path, weights: dict[str, np.ndarray], shape: EncoderShape, files: CrossEncoderFiles
) -> Path:
    """Write the int8 graph of ``weights`` and ``cross.json`` as the folder ``out_dir``, whole."""
    graph = encoder_graph(weights, shape, int8=True).SerializeToString()
    with atomic_directory(out_dir) as staging:
        (staging / GRAPH_FILE).write_bytes(graph)
        (staging / CROSS_FILE).write_text(files.model_dump_json(), encoding="utf-8")
    return out_dir


class CrossEncoder:
    """A cross-encoder model folder served by ONNX Runtime on the CPU."""

    def __init__(self, model_dir: Path = DEFAULT_CROSS_DIR, *, batch_size: int = 64) -> None:
        """Load the folder's graph and head; a missing or broken file names itself."""
        self.files, self._session = open_model_folder(
            model_dir, CROSS_FILE, CrossEncoderFiles, "cross-encoder", "cityagent train pairs"
        )
        self._tokenizer = PieceTokenizer(self.files.vocab)
        self._head = np.asarray(self.files.head_weight, dtype=np.float32)
        committed = model_dir.resolve().parent == DEFAULT_CROSS_DIR.parent
        self.name = model_dir.name if committed else str(model_dir.resolve())
        """What a pairs model records: :func:`cross_encoder_dir` maps it back to the folder."""
        self.batch_size = batch_size

    def logits(self, left: Sequence[str], right: Sequence[str]) -> np.ndarray:
        """The same-intent logit of each pair ``(left[i], right[i])``."""
        if len(left) != len(right):
            raise ValueError("logits needs as many left as right texts")
        out = np.zeros(len(left), dtype=np.float64)
        # pairs of similar length share a batch, so little of it is padding
        order = sorted(range(len(left)), key=lambda i: len(left[i]) + len(right[i]))
        for start in range(0, len(order), self.batch_size):
            chosen = order[start : start + self.batch_size]
            ids, mask = pair_rows(
                self._tokenizer, [left[i] for i in chosen], [right[i] for i in chosen],
                self.files.max_tokens,
            )
            pooled = pooled_states(self._session, ids, mask)
            out[chosen] = pooled @ self._head + self.files.head_bias
        return out
