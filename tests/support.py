"""Small helpers shared by the tests."""

from __future__ import annotations

import socket

import numpy as np

from nlu.e5_checkpoint import EncoderShape

TINY_SHAPE = EncoderShape(hidden=32, layers=2, heads=4, ffn=64, max_positions=40, eps=1e-12)
"""An encoder small enough to build and run in a test."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tiny_encoder_weights(
    shape: EncoderShape = TINY_SHAPE, *, seed: int = 0, vocab: int = 30, tags: int = 5,
    seg: bool = True,
) -> dict[str, np.ndarray]:
    """Random weights under the e5 names (``tags`` 0: no tag layer, the bare encoder)."""
    rng = np.random.default_rng(seed)

    def normal(*dims: int) -> np.ndarray:
        return rng.normal(0, 0.2, dims).astype(np.float32)

    hidden, ffn = shape.hidden, shape.ffn
    weights = {
        "emb.word": normal(vocab, hidden), "emb.pos": normal(shape.max_positions, hidden),
        "emb.type": normal(1, hidden), "emb.ln.w": 1 + normal(hidden), "emb.ln.b": normal(hidden),
    }
    if seg:
        weights["emb.seg"] = normal(4, hidden)
    if tags:
        weights["tag.w"], weights["tag.b"] = normal(tags, hidden), normal(tags)
    for layer in range(shape.layers):
        p = f"l{layer}."
        for name, rows, cols in (("q", hidden, hidden), ("k", hidden, hidden),
                                 ("v", hidden, hidden), ("ao", hidden, hidden),
                                 ("fi", ffn, hidden), ("fo", hidden, ffn)):
            weights[p + name + ".w"] = normal(rows, cols)
            weights[p + name + ".b"] = normal(rows)
        for norm in ("aln", "oln"):
            weights[p + norm + ".w"] = 1 + normal(hidden)
            weights[p + norm + ".b"] = normal(hidden)
    return weights
