"""The cross-encoder's folder: pair layout, written whole, loaded back, order-free batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kg.errors import ModelUnavailableError
from retrieval.cross_encoder import (
    CROSS_FILE,
    DEFAULT_CROSS_DIR,
    CrossEncoder,
    CrossEncoderFiles,
    cross_encoder_dir,
    pair_rows,
    save_cross_encoder,
)
from retrieval.pieces import PieceTokenizer
from retrieval.tuned_encoder import GRAPH_FILE
from tests.retrieval.test_tuned_encoder import _vocab
from tests.support import TINY_SHAPE, tiny_encoder_weights


def _model(tmp_path: Path) -> Path:
    vocab = _vocab()
    weights = tiny_encoder_weights(TINY_SHAPE, vocab=len(vocab.pieces), tags=0, seg=False)
    head = np.random.default_rng(1).normal(0, 1, TINY_SHAPE.hidden)
    files = CrossEncoderFiles(vocab=vocab, max_tokens=6, head_weight=head.tolist(), head_bias=0.5)
    return save_cross_encoder(tmp_path / "cross", weights, TINY_SHAPE, files)


def test_pair_rows_join_both_questions_as_xlmr_pairs() -> None:
    tokenizer = PieceTokenizer(_vocab())
    ids, mask = pair_rows(tokenizer, ["银行卡"], ["信用卡还款逾期怎么办"], 3)
    # <s> ▁银行 </s></s> ▁信用 </s>: each side cut to 3 pieces
    assert ids[0].tolist() == [0, 4, 5, 6, 2, 2, 4, 8, 9, 2]
    assert mask.sum() == 10


def test_saved_folder_loads_and_scores_pairs_independent_of_the_batch(tmp_path: Path) -> None:
    folder = _model(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [CROSS_FILE, GRAPH_FILE]
    cross = CrossEncoder(folder)
    assert cross_encoder_dir(cross.name) == folder.resolve()
    left, right = ["信用卡还款", "银行卡密码怎么办", "云闪付"], ["还款逾期", "密码", "云闪付查询"]
    logits = cross.logits(left, right)
    assert logits.shape == (3,) and np.isfinite(logits).all()
    assert cross.logits([left[1]], [right[1]])[0] == pytest.approx(logits[1], abs=1e-4)
    assert cross.logits([], []).shape == (0,)
    with pytest.raises(ValueError, match="as many"):
        cross.logits(["甲"], [])


def test_a_missing_or_broken_folder_names_itself(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match="not found"):
        CrossEncoder(tmp_path / "nothing")
    folder = _model(tmp_path)
    (folder / CROSS_FILE).write_text("{", encoding="utf-8")
    with pytest.raises(ModelUnavailableError, match="cannot load"):
        CrossEncoder(folder)


@pytest.mark.skipif(not (DEFAULT_CROSS_DIR / CROSS_FILE).is_file(), reason="no committed model")
def test_committed_model_tells_a_rewording_from_another_question() -> None:
    cross = CrossEncoder()
    assert cross.name == DEFAULT_CROSS_DIR.name
    same, other = cross.logits(["借款多久能到账", "借款多久能到账"],
                               ["我的借款什么时候到账", "怎么提前还款"])
    assert same > other
