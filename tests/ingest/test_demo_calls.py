"""Pure checks of the demo city's 12345 call transcripts and their expected tickets.

The files ``calls_dev.jsonl`` and ``calls_test.jsonl`` (see ``CALLS.md``) must only use
names that exist in the demo city's own YAML files, so that ticket evaluations measure
extraction and routing rather than gaps in the reference data.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingest.demo.data_files import DATA_DIR

CALL_FILES = (
    "calls_dev.jsonl",
    "calls_test.jsonl",
    "calls_holdout.jsonl",
    "calls_holdout2.jsonl",
    "calls_holdout3.jsonl",
    "calls_holdout4.jsonl",
    "calls_holdout5.jsonl",
    "calls_holdout6.jsonl",
    "calls_holdout7.jsonl",
    "calls_holdout8.jsonl",
    "calls_holdout9.jsonl",
    "calls_holdout10.jsonl",
    "calls_holdout11.jsonl",
    "calls_holdout12.jsonl",
    "calls_holdout13.jsonl",
    "calls_holdout14.jsonl",
    "calls_holdout15.jsonl",
    "calls_holdout16.jsonl",
    "calls_holdout17.jsonl",
    "calls_holdout18.jsonl",
    "calls_holdout19.jsonl",
    "calls_holdout20.jsonl",
    "calls_holdout21.jsonl",
)
EXPECTED_KEYS = {
    "caller_name",
    "phone",
    "address",
    "event_time",
    "category",
    "urgency",
    "sentiment",
    "department",
}
FIRST = datetime.fromisoformat("2025-03-01T00:00:00+08:00")
LAST = datetime.fromisoformat("2025-07-01T00:00:00+08:00")

Call = dict[str, Any]


def _yaml(name: str) -> Any:
    return yaml.safe_load((Path(DATA_DIR) / name).read_text(encoding="utf-8"))


def _read(name: str) -> list[Call]:
    lines = (Path(DATA_DIR) / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@pytest.fixture(scope="module")
def calls() -> list[Call]:
    return [call for name in CALL_FILES for call in _read(name)]


@pytest.fixture(scope="module")
def categories() -> dict[str, tuple[str, list[str]]]:
    """L2 name -> (L1 name, handled_by department ids)."""
    tree = _yaml("categories.yaml")["categories"]
    return {ch["name"]: (c["name"], ch["handled_by"]) for c in tree for ch in c["children"]}


@pytest.fixture(scope="module")
def departments() -> dict[str, dict[str, Any]]:
    """Department id -> record."""
    return {d["id"]: d for d in _yaml("departments.yaml")["departments"]}


@pytest.fixture(scope="module")
def places() -> dict[str, Any]:
    """Lookups of district, street and community names to their parents and ids."""
    districts: dict[str, str] = {}
    streets: dict[str, str] = {}
    communities: dict[str, str] = {}
    for d in _yaml("regions.yaml")["city"]["districts"]:
        districts[d["name"]] = d["id"]
        for s in d["streets"]:
            streets[s["name"]] = d["name"]
            for c in s["communities"]:
                communities[c["name"]] = s["name"]
    return {"districts": districts, "streets": streets, "communities": communities}


def test_files_parse_and_ids_are_unique(calls: list[Call]) -> None:
    for name in CALL_FILES:
        assert _read(name), name
    ids = [call["id"] for call in calls]
    assert len(ids) == len(set(ids))
    assert len(calls) >= 200


def test_call_shape(calls: list[Call]) -> None:
    for call in calls:
        cid = call["id"]
        assert cid.startswith("CALL-"), cid
        assert set(call["expected"]) == EXPECTED_KEYS, cid
        lines = call["transcript"].split("\n")
        assert 3 <= len(lines) <= 15, cid
        assert all(line.strip() for line in lines), cid
        exp = call["expected"]
        assert exp["urgency"] in ("紧急", "一般"), cid
        assert exp["sentiment"] in ("负面", "中性", "正面"), cid
        assert exp["phone"] is None or exp["phone"].isdigit(), cid
        if exp["caller_name"] is not None:
            assert exp["caller_name"] in call["transcript"], cid


def test_categories_exist(calls: list[Call], categories: dict[str, Any]) -> None:
    for call in calls:
        cat = call["expected"]["category"]
        assert cat["l2"] in categories, call["id"]
        assert categories[cat["l2"]][0] == cat["l1"], call["id"]


def test_addresses_exist_and_agree(calls: list[Call], places: dict[str, Any]) -> None:
    for call in calls:
        addr = call["expected"]["address"]
        assert set(addr) == {"district", "street", "community"}, call["id"]
        if addr["community"] is not None:
            assert places["communities"].get(addr["community"]) == addr["street"], call["id"]
        if addr["street"] is not None:
            assert places["streets"].get(addr["street"]) == addr["district"], call["id"]
        if addr["district"] is not None:
            assert addr["district"] in places["districts"], call["id"]


def _expected_department(
    handled_by: list[str], district_id: str | None, departments: dict[str, dict[str, Any]]
) -> str:
    """The district-level counterpart for the district if there is one, else the lead."""
    for dep_id in handled_by:
        dep = departments[dep_id]
        if district_id and dep["level"] == "区级" and district_id in dep["jurisdiction"]:
            return str(dep["name"])
    return str(departments[handled_by[0]]["name"])


def test_departments_exist_and_handle_the_category(
    calls: list[Call],
    categories: dict[str, Any],
    departments: dict[str, dict[str, Any]],
    places: dict[str, Any],
) -> None:
    by_name = {d["name"]: dep_id for dep_id, d in departments.items()}
    for call in calls:
        exp = call["expected"]
        handled_by = categories[exp["category"]["l2"]][1]
        assert exp["department"] in by_name, call["id"]
        assert by_name[exp["department"]] in handled_by, call["id"]
        district_id = places["districts"].get(exp["address"]["district"])
        wanted = _expected_department(handled_by, district_id, departments)
        assert exp["department"] == wanted, call["id"]


def test_times(calls: list[Call]) -> None:
    for call in calls:
        called = datetime.fromisoformat(call["call_time"])
        offset = called.utcoffset()
        assert offset is not None, call["id"]
        assert offset.total_seconds() == 8 * 3600, call["id"]
        assert FIRST <= called < LAST, call["id"]
        event = call["expected"]["event_time"]
        if event is not None:
            at = datetime.fromisoformat(event)
            assert at.utcoffset() is not None, call["id"]
            assert at <= called, call["id"]
            assert at.minute == 0 and at.second == 0, call["id"]


def test_coverage(calls: list[Call], categories: dict[str, Any]) -> None:
    l1 = Counter(call["expected"]["category"]["l1"] for call in calls)
    assert set(l1) == {first for first, _ in categories.values()}
    assert min(l1.values()) >= 20, l1
    assert len({call["expected"]["category"]["l2"] for call in calls}) >= 50
    assert {call["expected"]["urgency"] for call in calls} == {"紧急", "一般"}
    assert {call["expected"]["sentiment"] for call in calls} == {"负面", "中性", "正面"}
