"""The torch encoder that fine-tunes computes what the ONNX graph serves (needs torch)."""

from __future__ import annotations

import numpy as np
import pytest

from nlu.e5_checkpoint import float_tensors, read_e5_checkpoint
from nlu.encoder_ner_data import default_e5_file, trim_vocabulary
from nlu.onnx_encoder import encoder_graph, open_session, run_encoder

torch = pytest.importorskip("torch")


def test_torch_and_served_encoders_agree() -> None:
    from nlu.train_encoder_ner import CharEncoderTagger

    checkpoint = read_e5_checkpoint(default_e5_file())
    _, tensors = trim_vocabulary(checkpoint)
    weights = {
        name: value for name, value in float_tensors(tensors).items()
        if not name.startswith("l") or int(name[1 : name.index(".")]) < 2
    }
    rng = np.random.default_rng(0)
    weights["tag.w"] = rng.normal(0, 0.1, (5, 384)).astype(np.float32)
    weights["tag.b"] = np.zeros(5, np.float32)
    weights["emb.seg"] = rng.normal(0, 0.1, (4, 384)).astype(np.float32)
    shape = checkpoint.shape.model_copy(update={"layers": 2})
    model = CharEncoderTagger(weights, shape, layers=2, dropout=0.0).eval()
    ids = np.array([[0, 50, 60, 70, 2, 1], [0, 80, 90, 100, 110, 2]])
    mask = np.array([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]])
    positions = np.array([[0, 1, 3, 0, 0, 0], [0, 1, 2, 3, 0, 0]])
    with torch.no_grad():
        scores = model(*(torch.from_numpy(a) for a in (ids, mask, positions))).numpy()
    session = open_session(encoder_graph(weights, shape, int8=False).SerializeToString())
    served = run_encoder(session, ids, mask, positions)
    real = mask.astype(bool)
    expected = torch.log_softmax(torch.from_numpy(scores), dim=-1).numpy()
    assert np.abs(served[real] - expected[real]).max() < 1e-3
