"""The cross-encoder fine-tune (torch, the train extra): a short run, served as it was trained."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.pairs import LabelledPair
from tests.retrieval.test_tuned_encoder import _vocab
from tests.support import TINY_SHAPE, tiny_encoder_weights

pytest.importorskip("torch")

import torch

from nlu.train_encoder_ner import CharEncoderTagger
from retrieval.cross_encoder import CrossEncoder, CrossEncoderFiles, pair_rows, save_cross_encoder
from retrieval.pieces import PieceTokenizer
from retrieval.train_cross_encoder import CrossTuneConfig, fine_tune_cross

PAIRS = [
    ("信用卡还款", "还款逾期", 1), ("信用卡还款", "云闪付查询", 0),
    ("银行卡密码", "密码怎么办", 1), ("银行卡密码", "手续费", 0),
    ("云闪付", "云闪付查询", 1), ("云闪付", "信用卡逾期", 0),
]


def test_a_short_fine_tune_learns_and_is_served_as_trained(tmp_path: Path) -> None:
    vocab = _vocab()
    start = tiny_encoder_weights(TINY_SHAPE, vocab=len(vocab.pieces), tags=0, seg=False)
    pairs = [LabelledPair(sentence1=a, sentence2=b, label=y) for a, b, y in PAIRS]
    cfg = CrossTuneConfig(epochs=3, batch_size=4, max_tokens=8, learning_rate=1e-3, dropout=0.0)
    weights, unit, bias, loss = fine_tune_cross(pairs, start, TINY_SHAPE, vocab, cfg)
    assert set(weights) == set(start) and np.isfinite(loss)
    assert not np.allclose(weights["l0.q.w"], start["l0.q.w"])
    files = CrossEncoderFiles(vocab=vocab, max_tokens=8, head_weight=unit.tolist(), head_bias=bias)
    served = CrossEncoder(save_cross_encoder(tmp_path / "c", weights, TINY_SHAPE, files))
    left, right = [p[0] for p in PAIRS], [p[1] for p in PAIRS]

    model = CharEncoderTagger(weights, TINY_SHAPE, TINY_SHAPE.layers, 0.0).eval()
    ids, mask = (torch.from_numpy(a) for a in pair_rows(PieceTokenizer(vocab), left, right, 8))
    with torch.no_grad():
        states = model.states(ids, mask, torch.zeros_like(ids))
        m = mask.unsqueeze(-1).float()
        expected = ((states * m).sum(1) / m.sum(1)).numpy() @ unit + bias
    np.testing.assert_allclose(served.logits(left, right), expected, atol=0.15)


def test_one_label_is_refused() -> None:
    vocab = _vocab()
    start = tiny_encoder_weights(TINY_SHAPE, vocab=len(vocab.pieces), tags=0, seg=False)
    pairs = [LabelledPair(sentence1="云闪付", sentence2="云闪付查询", label=1)] * 2
    with pytest.raises(ValueError, match="both labels"):
        fine_tune_cross(pairs, start, TINY_SHAPE, vocab, CrossTuneConfig())
