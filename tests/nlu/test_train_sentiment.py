"""Training the learned sentiment model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.errors import DataValidationError
from nlu.jsonl import read_records
from nlu.text_model import REPORT_FILE
from nlu.train_sentiment import (
    CLOSINGS,
    DEFAULT_EXAMPLES,
    SentimentExample,
    train_sentiment_model,
    with_closings,
)


def _lines(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def test_the_committed_examples_hold_all_three_feelings() -> None:
    examples = read_records(DEFAULT_EXAMPLES, SentimentExample)
    counts = {s: sum(e.sentiment == s for e in examples) for s in ("负面", "中性", "正面")}
    assert counts["负面"] >= 300 and counts["中性"] >= 200 and counts["正面"] >= 100


def test_every_third_complaint_is_also_learnt_with_a_closing() -> None:
    examples = [SentimentExample(text=f"投诉{i}", sentiment="负面") for i in range(6)]
    examples.append(SentimentExample(text="谢谢", sentiment="正面"))
    extra = with_closings(examples)[len(examples):]
    assert [e.text for e in extra] == [f"投诉0{CLOSINGS[0]}", f"投诉3{CLOSINGS[1]}"]
    assert all(e.sentiment == "负面" for e in extra)


def test_training_reports_out_of_fold_accuracy_on_the_calls(tmp_path: Path) -> None:
    examples = tmp_path / "examples.jsonl"
    rows = [{"text": f"{x}太吵了，根本睡不着，投诉", "sentiment": "负面"} for x in "ABCDEFGH"]
    rows += [{"text": f"想问一下{x}怎么办理", "sentiment": "中性"} for x in "ABCDEFGH"]
    rows += [{"text": f"表扬{x}师傅，谢谢你们", "sentiment": "正面"} for x in "ABCDEFGH"]
    examples.write_text(_lines(rows), encoding="utf-8")
    calls = tmp_path / "calls.jsonl"
    calls.write_text(_lines([
        {"transcript": f"市民：{x}楼下装修太吵了", "call_time": "2025-03-01T09:00:00+08:00",
         "expected": {"sentiment": "负面"}}
        for x in "ABCDE"
    ]), encoding="utf-8")
    report = train_sentiment_model(examples, [calls], tmp_path / "model")
    assert report.calls == 5 and report.examples == 24 + 3
    assert {"cues", "model", "rule_share=0.35"} <= set(report.cv_accuracy_on_calls)
    assert (tmp_path / "model" / REPORT_FILE).exists()


def test_an_unknown_feeling_names_its_line(tmp_path: Path) -> None:
    examples = tmp_path / "examples.jsonl"
    examples.write_text(_lines([{"text": "好", "sentiment": "开心"}]), encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"examples.jsonl:1"):
        read_records(examples, SentimentExample)
