"""The encoder graph: int8 products close to float32, rows independent of their batch."""

from __future__ import annotations

import numpy as np
import pytest
from onnxruntime import InferenceSession

from nlu.onnx_encoder import encoder_graph, open_session, quantize_weights, run_encoder
from tests.support import TINY_SHAPE, tiny_encoder_weights

SHAPE = TINY_SHAPE


def _weights(seed: int = 0) -> dict[str, np.ndarray]:
    return tiny_encoder_weights(SHAPE, seed=seed)


def _rows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids = np.array([[0, 5, 6, 7, 8, 2], [0, 9, 10, 2, 1, 1], [0, 11, 2, 1, 1, 1]])
    mask = (ids != 1).astype(np.int64)
    positions = np.array([[0, 1, 3, 1, 3, 0], [0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0]])
    return ids, mask, positions


@pytest.fixture(scope="module")
def sessions() -> dict[bool, InferenceSession]:
    weights = _weights()
    return {
        int8: open_session(encoder_graph(weights, SHAPE, int8=int8).SerializeToString())
        for int8 in (False, True)
    }


def test_int8_weights_stay_close_and_vectors_stay_float() -> None:
    weights = _weights()
    stored = quantize_weights(weights)
    assert stored["l0.q.w"].dtype == np.int8 and stored["emb.pos"].dtype == np.float32
    back = stored["l0.q.w"] * stored["l0.q.w.scale"]
    assert np.abs(back - weights["l0.q.w"]).max() <= stored["l0.q.w.scale"].max() / 2 + 1e-7
    assert np.array_equal(stored["l0.q.b"], weights["l0.q.b"])


def test_int8_graph_scores_like_the_float_graph(sessions: dict[bool, InferenceSession]) -> None:
    ids, mask, positions = _rows()
    exact = run_encoder(sessions[False], ids, mask, positions)
    fast = run_encoder(sessions[True], ids, mask, positions)
    real = mask > 0
    assert np.allclose(np.exp(exact[real]).sum(axis=-1), 1.0, atol=1e-5)
    assert np.abs(np.exp(fast[real]) - np.exp(exact[real])).max() < 0.05
    assert not fast[~real].any()  # padding stays zero


@pytest.mark.parametrize("int8", [False, True])
def test_a_row_scores_the_same_alone_and_in_a_batch(
    sessions: dict[bool, InferenceSession], int8: bool
) -> None:
    ids, mask, positions = _rows()
    batched = run_encoder(sessions[int8], ids, mask, positions)
    for row in range(len(ids)):
        n = int(mask[row].sum())
        alone = run_encoder(
            sessions[int8], ids[row : row + 1, :n], mask[row : row + 1, :n],
            positions[row : row + 1, :n],
        )
        assert np.abs(alone[0] - batched[row, :n]).max() < 1e-5
