"""Saving a fine-tune as the NER pipeline; the fine-tune itself where torch is installed."""

from __future__ import annotations

import json
from itertools import product
from pathlib import Path

import numpy as np
import pytest

from nlu.e5_checkpoint import float_tensors
from nlu.encoder_fine_tune import FineTuneConfig, FineTuneResult
from nlu.encoder_ner_data import default_e5_file, prepare_encoder_ner_data, split_heldout
from nlu.evaluate_ner import read_cluener
from nlu.pipeline import extract_entities, load_pipeline
from nlu.train_ner import save_trained_ner, train_ner


def _write_cluener(path: Path) -> Path:
    names = ["张伟", "李娜", "王芳", "刘洋", "陈静"]
    places = ["北京市海淀区", "上海市浦东新区", "杭州市西湖区"]
    firms = ["阿里巴巴", "腾讯公司", "华为公司"]
    with path.open("w", encoding="utf-8") as out:
        for n, p, f in product(names, places, firms):
            text = f"{n}在{p}的{f}上班。"
            label = {
                lab: {m: [[text.index(m), text.index(m) + len(m) - 1]]}
                for lab, m in (("name", n), ("address", p), ("company", f))
            }
            out.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")
    return path


def test_split_is_seeded_and_disjoint(tmp_path: Path) -> None:
    records = read_cluener(_write_cluener(tmp_path / "train.json"))
    train, held = split_heldout(records, 0)
    assert len(held) == 4 and len(train) == 41
    assert {r.line for r in train}.isdisjoint({r.line for r in held})
    assert split_heldout(records, 0) == (train, held)


def test_saved_fine_tune_is_a_loadable_pipeline_with_a_card(tmp_path: Path) -> None:
    data = _write_cluener(tmp_path / "train.json")
    prepared = prepare_encoder_ner_data(data, default_e5_file())
    rng = np.random.default_rng(0)
    weights = {
        name: value for name, value in float_tensors(prepared.tensors).items()
        if not name.startswith("l") or name.startswith("l0.")
    }
    n_tags = 1 + 2 * len(prepared.labels)
    weights["tag.w"] = rng.normal(0, 0.02, (n_tags, 384)).astype(np.float32)
    weights["tag.b"] = np.zeros(n_tags, np.float32)
    weights["emb.seg"] = np.zeros((4, 384), np.float32)
    result = FineTuneResult(
        config=FineTuneConfig(layers=1, epochs=1), weights=weights, best_epoch=1,
        selection_f1=0.0, history=[0.0], seconds=1.0, device="cpu",
    )
    out = tmp_path / "model"
    report = save_trained_ner(result, prepared, data, out)
    assert report.train_sentences + report.selection_sentences + report.heldout_sentences == 45
    assert report.heldout.sentences == 4 and report.size_mb > 5
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "first **1 layers**" in card and f"F1 {report.heldout.f1:.4f}" in card
    nlp = load_pipeline(out)
    assert nlp.pipe_names == ["cityagent_encoder_ner", "cityagent_pattern_entities"]
    text = "电话13812345678，张伟在杭州。"
    assert all(text[e.start : e.end] == e.text for e in extract_entities(text, nlp))


def test_fine_tune_learns_the_toy_labels(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    data = _write_cluener(tmp_path / "train.json")
    config = FineTuneConfig(layers=2, epochs=6, batch_size=8, learning_rate=3e-4,
                            head_learning_rate=3e-3, average_last=2)
    report = train_ner(data, tmp_path / "model", config=config)
    assert len(report.history) == 7  # six epochs and the mean of the last two
    assert report.selection_f1 > 0.3
