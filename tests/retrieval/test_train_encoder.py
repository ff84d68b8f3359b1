"""The paraphrase fine-tune (torch, the train extra): pairs, a short run, a servable result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from retrieval.entries import KnowledgeItem
from tests.retrieval.test_tuned_encoder import _vocab
from tests.support import TINY_SHAPE, tiny_encoder_weights

pytest.importorskip("torch")

from retrieval.train_encoder import TuneConfig, fine_tune, paraphrase_pairs
from retrieval.tuned_encoder import TunedEncoder, TunedEncoderFiles, save_tuned_encoder


def _items() -> list[KnowledgeItem]:
    return [
        KnowledgeItem(id="a", question="信用卡还款", answer="答",
                      paraphrases=("还款怎么办", "信用卡逾期", "还款逾期")),
        KnowledgeItem(id="b", question="云闪付", answer="答", paraphrases=("云闪付查询",)),
        KnowledgeItem(id="c", question="银行卡密码", answer="答"),
    ]


def test_pairs_pair_wordings_with_their_question_and_cap_the_rest() -> None:
    pairs = paraphrase_pairs(_items(), seed=0)
    with_question = [p for p in pairs if p.passage in {"信用卡还款", "云闪付"}]
    assert len(with_question) == 4
    among = [p for p in pairs if p.entry == 0 and p.passage != "信用卡还款"]
    assert len(among) == 3  # three of the entry's three possible pairs, capped at 3 wordings
    assert {p.entry for p in pairs} == {0, 1}


def test_a_short_fine_tune_changes_the_weights_and_stays_servable(tmp_path: Path) -> None:
    vocab = _vocab()
    start = tiny_encoder_weights(TINY_SHAPE, vocab=len(vocab.pieces), tags=0, seg=False)
    cfg = TuneConfig(epochs=2, batch_size=4, max_tokens=12, learning_rate=1e-3)
    tuned = fine_tune(paraphrase_pairs(_items(), seed=0), start, TINY_SHAPE, vocab, cfg)
    assert set(tuned) == set(start)
    assert not np.allclose(tuned["l0.q.w"], start["l0.q.w"])
    files = TunedEncoderFiles(vocab=vocab, hidden=TINY_SHAPE.hidden, max_tokens=12)
    encoder = TunedEncoder(save_tuned_encoder(tmp_path / "m", tuned, TINY_SHAPE, files))
    assert encoder.encode_queries(["还款逾期"]).shape == (1, TINY_SHAPE.hidden)
