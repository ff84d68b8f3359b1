"""Training and loading the turn-level urgency model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.errors import ConfigurationError, DataValidationError
from nlu.jsonl import read_records
from nlu.text_model import REPORT_FILE
from nlu.urgency_model import (
    DEFAULT_EXAMPLES,
    MODEL_FILE,
    UrgencyExample,
    load_urgency_model,
    train_urgency_model,
    urgent_probabilities,
)

CALL_TIME = "2025-03-01T09:00:00+08:00"


def _lines(rows: list[dict[str, object]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def test_the_committed_examples_cover_both_sides_and_many_kinds() -> None:
    examples = read_records(DEFAULT_EXAMPLES, UrgencyExample)
    urgent = [e for e in examples if e.urgent]
    assert len(urgent) >= 200 and len(examples) - len(urgent) >= 200
    assert len({e.kind for e in urgent}) >= 30
    assert len({e.text for e in examples}) == len(examples)


def test_training_writes_the_model_and_its_cross_validated_report(tmp_path: Path) -> None:
    examples = tmp_path / "examples.jsonl"
    rows = [{"text": f"{place}着火了，浓烟很大", "urgent": True} for place in "ABCDEFGHIJ"]
    rows += [{"text": f"想问一下{thing}怎么办理", "urgent": False} for thing in "ABCDEFGHIJ"]
    examples.write_text(_lines(rows), encoding="utf-8")
    calls = tmp_path / "calls.jsonl"
    calls.write_text(_lines([
        {"transcript": "市民：路灯坏了\n坐席：好的", "call_time": CALL_TIME,
         "expected": {"urgency": "一般"}},
        {"transcript": "市民：煤气漏了", "call_time": CALL_TIME, "expected": {"urgency": "紧急"}},
    ]), encoding="utf-8")
    report = train_urgency_model(examples, [calls], tmp_path / "model")
    assert (report.examples, report.urgent, report.call_turns) == (20, 11, 1)
    assert report.urgent_call_turns == 1
    assert report.cv_f1 > 0.8
    assert (tmp_path / "model" / MODEL_FILE).exists()
    assert json.loads((tmp_path / "model" / REPORT_FILE).read_text())["cv_f1"] == report.cv_f1


def test_one_sided_examples_are_refused(tmp_path: Path) -> None:
    examples = tmp_path / "examples.jsonl"
    examples.write_text(_lines([{"text": "着火了", "urgent": True}] * 3), encoding="utf-8")
    with pytest.raises(DataValidationError, match="both"):
        train_urgency_model(examples, [], tmp_path / "model")


def test_a_malformed_example_names_its_line(tmp_path: Path) -> None:
    examples = tmp_path / "examples.jsonl"
    examples.write_text('{"text": "着火了", "urgent": true}\n{"urgent": true}\n', encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"examples.jsonl:2"):
        read_records(examples, UrgencyExample)


def test_a_missing_model_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cityagent train urgency"):
        load_urgency_model(tmp_path)


def test_probabilities_come_one_per_turn() -> None:
    assert urgent_probabilities([]) == []
    fire, question = urgent_probabilities(["楼道里着火了，全是烟", "请问社保卡怎么补办"])
    assert fire > 0.5 > question
