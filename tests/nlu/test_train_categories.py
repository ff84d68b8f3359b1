"""Fitting the category scorer's weights: the conditional logit and its training rows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ingest.demo.hotline import demo_ticket_filler
from kg.errors import DataValidationError
from nlu.category_model import MODEL_FILE
from nlu.routing import FEATURE_COUNT
from nlu.text_model import load_text_model
from nlu.train_categories import category_rows, fit_logit, train_category_weights


def test_the_logit_weighs_the_column_that_marks_the_answer() -> None:
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(60, 5, 2))
    labels = rng.integers(0, 5, size=60)
    rows[np.arange(60), labels, 0] += 3.0  # column 0 points at the answer, column 1 is noise
    weights = fit_logit(rows, labels, penalty=0.1)
    assert weights[0] > 1.0 > abs(weights[1])
    assert ((rows @ weights).argmax(axis=1) == labels).mean() > 0.9


def _call(l2: str) -> dict[str, object]:
    return {"id": "C-1", "transcript": "市民：小区门口的井盖丢了", "call_time":
            "2025-03-01T09:00:00+08:00", "expected": {"category": {"l1": "城乡建设", "l2": l2}}}


def test_training_rows_carry_the_meaning_and_the_answer(tmp_path: Path) -> None:
    data = tmp_path / "calls.jsonl"
    data.write_text(json.dumps(_call("市政设施"), ensure_ascii=False) + "\n", encoding="utf-8")
    filler = demo_ticket_filler()
    rows, labels, texts = category_rows(filler, [data])
    assert rows.shape == (1, len(filler.matcher.leaves), FEATURE_COUNT)
    assert texts == ["小区门口的井盖丢了"]
    assert filler.matcher.leaves[labels[0]].name == "市政设施"
    assert rows[0, :, -1].sum() == 1  # the closest category in meaning is marked


def test_an_unknown_category_is_named(tmp_path: Path) -> None:
    data = tmp_path / "calls.jsonl"
    data.write_text(json.dumps(_call("不存在的分类"), ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="不存在的分类"):
        category_rows(demo_ticket_filler(), [data])


def test_training_writes_the_text_model_and_reports_what_it_adds(tmp_path: Path) -> None:
    said = {"市政设施": ["井盖丢了", "路灯不亮了", "人行道的砖翘起来了", "下水道井盖松了",
                         "路边护栏倒了"],
            "噪声污染": ["楼下烧烤店太吵了", "工地半夜还在打桩", "广场舞音响声音太大",
                         "隔壁装修电钻响一天", "酒吧音乐吵得睡不着"]}
    data = tmp_path / "calls.jsonl"
    data.write_text("".join(
        json.dumps({**_call(l2), "id": f"C-{l2}-{i}", "transcript": f"市民：{text}",
                    "expected": {"category": {"l1": "", "l2": l2}}}, ensure_ascii=False) + "\n"
        for l2, texts in said.items() for i, text in enumerate(texts)
    ), encoding="utf-8")
    report = train_category_weights([data], demo_ticket_filler(learned_categories=False),
                                    model_dir=tmp_path / "model")
    assert report.calls == 10 and report.data == ["calls.jsonl"]
    assert 0.0 <= report.learned_alone <= 1.0
    assert set(report.without_learned) == {"keyword_weights", "weights"}
    model = load_text_model(tmp_path / "model" / MODEL_FILE, "train")
    assert set(model.classes_) == set(said)
    assert (tmp_path / "model" / "training_report.json").exists()
