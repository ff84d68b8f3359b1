"""Company-registry ingest: every bad input is named by file, line and field and writes nothing;
good input loads idempotently with the demo's labels and relationships."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from ingest.registry import check_registry, load_registry
from ingest.registry.rows import REGISTRY_FILES, columns
from ingest.registry.sources import open_source
from kg.errors import DataValidationError
from kg.store import GraphStore

GOOD: dict[str, list[dict[str, object]]] = {
    "companies": [
        {"id": "C1", "name": "甲公司", "registered_capital": 1000, "founded_on": "2010-05-01"},
        {"id": "C2", "name": "乙公司"},
        {"id": "C3", "name": "丙公司", "status": "存续"},
    ],
    "persons": [{"id": "P1", "name": "张三", "gender": "男", "birth_year": 1970}],
    "funds": [{"id": "F1", "name": "丁基金"}],
    "products": [{"id": "D1", "name": "丁一期", "issuer_id": "F1", "status": "逾期"}],
    "risk_events": [{"id": "E1", "type": "逾期兑付", "date": "2024-05-01",
                     "involved_ids": "D1;F1;C3"}],
    "shareholdings": [
        {"holder_id": "P1", "company_id": "C1", "ratio": 0.6},
        {"holder_id": "C1", "company_id": "C2", "ratio": 0.5},
        {"holder_id": "C2", "company_id": "C1", "ratio": 0.4},
    ],
    "controls": [{"controller_id": "P1", "company_id": "C1"}],
    "legal_reps": [{"person_id": "P1", "company_id": "C2", "since": "2020-01-01"}],
    "officers": [{"person_id": "P1", "company_id": "C3", "title": "董事"}],
    "guarantees": [
        {"guarantor_id": "C1", "guaranteed_id": "C2", "amount": 500, "date": "2023-01-01"},
        {"guarantor_id": "C2", "guaranteed_id": "C3", "amount": 300},
        {"guarantor_id": "C3", "guaranteed_id": "C1", "amount": 200},
    ],
    "managers": [{"manager_id": "C3", "fund_id": "F1"}],
    "investments": [{"investor_id": "P1", "target_id": "D1", "amount": 100}],
}


def write_csv(folder: Path, data: dict[str, list[dict[str, object]]]) -> Path:
    """The registry as a folder of CSV files (header = the model's columns)."""
    folder.mkdir(parents=True, exist_ok=True)
    for kind, rows in data.items():
        header = columns(REGISTRY_FILES[kind])
        with (folder / f"{kind}.csv").open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                writer.writerow([row.get(c, "") for c in header])
    return folder


def with_row(kind: str, row: dict[str, object]) -> dict[str, list[dict[str, object]]]:
    """GOOD with one more row appended to ``kind`` (it lands on CSV line len + 2)."""
    data = {k: list(v) for k, v in GOOD.items()}
    data[kind] = [*data[kind], row]
    return data


def total_nodes(store: GraphStore) -> int:
    return int(store.read("MATCH (n) RETURN count(n) AS c")[0]["c"])


# -- validation, no database ---------------------------------------------------------------
BAD_ROWS = [
    ("shareholdings", {"holder_id": "P9", "company_id": "C3", "ratio": 0.1}, "holder_id",
     "P9"),
    ("guarantees", {"guarantor_id": "C1", "guaranteed_id": "X", "amount": 1}, "guaranteed_id",
     "不在登记数据中"),
    ("shareholdings", {"holder_id": "P1", "company_id": "C3", "ratio": -0.1}, "ratio", "须大于"),
    ("shareholdings", {"holder_id": "P1", "company_id": "C3", "ratio": 1.5}, "ratio", "不能大于"),
    ("shareholdings", {"holder_id": "P1", "company_id": "C2", "ratio": 0.6}, "ratio", "超过 100%"),
    ("guarantees", {"guarantor_id": "C2", "guaranteed_id": "C1", "amount": -5}, "amount",
     "不能小于"),
    ("companies", {"id": "C9"}, "name", "缺少必填字段"),
    ("companies", {"id": "C1", "name": "重名公司"}, "id", "重复"),
    ("persons", {"id": "C2", "name": "李四"}, "id", "重复"),
    ("companies", {"id": "C9", "name": "戊公司", "founded_on": "2021-13-40"}, "founded_on",
     "日期无效"),
    ("risk_events", {"id": "E2", "type": "涉诉", "date": "昨天", "involved_ids": "C1"}, "date",
     "日期无效"),
    ("guarantees", {"guarantor_id": "F1", "guaranteed_id": "C1", "amount": 5}, "guarantor_id",
     "是基金"),
    ("guarantees", {"guarantor_id": "C1", "guaranteed_id": "C2", "amount": 5}, "guaranteed_id",
     "重复"),
    ("guarantees", {"guarantor_id": "C1", "guaranteed_id": "C1", "amount": 5}, "guaranteed_id",
     "自身"),
]


@pytest.mark.parametrize(("kind", "row", "field", "words"), BAD_ROWS)
def test_each_bad_row_is_named_by_file_line_and_field(
    tmp_path: Path, kind: str, row: dict[str, object], field: str, words: str
) -> None:
    folder = write_csv(tmp_path / "reg", with_row(kind, row))
    check = check_registry(open_source(folder))
    assert check.error_count == 1, [str(e) for e in check.errors]
    error = check.errors[0]
    assert (error.file, error.line, error.field) == (f"{kind}.csv", len(GOOD[kind]) + 2, field)
    assert words in error.message


def test_a_good_registry_passes_with_its_cycles(tmp_path: Path) -> None:
    check = check_registry(open_source(write_csv(tmp_path / "reg", GOOD)))
    assert check.error_count == 0
    assert check.rows["shareholdings"] == 3 and check.rows["guarantees"] == 3
    assert check.labels["D1"] == "Product" and check.labels["P1"] == "Person"


def test_headers_and_missing_files_are_checked(tmp_path: Path) -> None:
    folder = write_csv(tmp_path / "reg", GOOD)
    (folder / "officers.csv").write_text("person_id,company_id,titel\nP1,C3,董事\n",
                                         encoding="utf-8")
    (folder / "companies.csv").unlink()
    found = {(e.file, e.line, e.field, e.message)
             for e in check_registry(open_source(folder)).errors}
    assert ("companies.csv", 0, "-", "缺少必需的文件") in found
    assert ("officers.csv", 1, "title", "缺少必需的列") in found
    assert ("officers.csv", 1, "titel", "未知的列") in found


def test_a_json_document_is_read_like_the_folder(tmp_path: Path) -> None:
    path = tmp_path / "registry.json"
    data = with_row("shareholdings", {"holder_id": "P1", "company_id": "C3", "ratio": "abc"})
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    check = check_registry(open_source(path))
    assert [str(e) for e in check.errors] == [
        "registry.json#shareholdings:4: ratio: 不是数字：'abc'"]
    path.write_text(json.dumps({"companies": [], "banks": []}), encoding="utf-8")
    with pytest.raises(DataValidationError, match="banks"):
        open_source(path)


# -- loading into Neo4j ----------------------------------------------------------------------
def test_a_bad_registry_writes_nothing(graph: GraphStore, tmp_path: Path) -> None:
    graph.write("CREATE (:Company {id: 'KEEP', name: '原有企业'})")
    before = total_nodes(graph)
    data = with_row("shareholdings", {"holder_id": "P1", "company_id": "C3", "ratio": 2})
    folder = write_csv(tmp_path / "reg", data)
    with pytest.raises(DataValidationError, match=r"shareholdings.csv:5: ratio") as info:
        load_registry(graph, folder)
    assert "未写入任何数据" in str(info.value)
    assert total_nodes(graph) == before


def test_skip_bad_loads_the_rest_and_reports_the_bad_rows(graph: GraphStore,
                                                         tmp_path: Path) -> None:
    data = with_row("companies", {"id": "C4"})
    data["legal_reps"] = [*data["legal_reps"], {"person_id": "P1", "company_id": "C4"}]
    report = load_registry(graph, write_csv(tmp_path / "reg", data), skip_bad=True)
    assert report.skipped == 2
    assert {(e.file, e.field) for e in report.errors} == {("companies.csv", "name"),
                                                          ("legal_reps.csv", "company_id")}
    assert report.rows["companies"] == 3
    assert not graph.read("MATCH (c:Company {id: 'C4'}) RETURN c")


def test_load_writes_the_finance_graph_and_a_reload_changes_nothing(
    graph: GraphStore, tmp_path: Path
) -> None:
    folder = write_csv(tmp_path / "reg", GOOD)
    first = load_registry(graph, folder, batch_size=2)
    assert first.nodes == 7 and first.relationships == 15
    counts = graph.counts()
    assert counts.nodes == {"Company": 3, "Fund": 1, "Person": 1, "Product": 1, "RiskEvent": 1}
    load_registry(graph, folder)
    assert graph.counts() == counts
    rows = graph.read("MATCH (p:Person {id: 'P1'})-[r:HOLDS_SHARES]->(c:Company {id: 'C1'}) "
                      "RETURN r.ratio AS ratio, r.source AS edge, c.source AS node")
    assert rows[0]["ratio"] == 0.6
    assert rows[0]["edge"].startswith("shareholdings.csv:")
    assert rows[0]["node"].startswith("companies.csv:")
    event = graph.read("MATCH (e:RiskEvent {id: 'E1'})-[:INVOLVES]->(x) "
                       "RETURN e.kind AS kind, e.source AS source, e.occurred_on AS day, "
                       "collect(x.id) AS ids")[0]
    assert event["kind"] == "逾期兑付" and event["source"] == "risk_events.csv:2"
    assert sorted(event["ids"]) == ["C3", "D1", "F1"] and str(event["day"]) == "2024-05-01"
    guarantee = graph.read("MATCH (:Company {id: 'C1'})-[g:GUARANTEES]->(:Company {id: 'C2'}) "
                           "RETURN g.amount AS amount, g.since AS since")[0]
    assert guarantee["amount"] == 500.0 and str(guarantee["since"]) == "2023-01-01"
    assert graph.read("MATCH (:Fund {id: 'F1'})-[:ISSUES]->(p:Product) RETURN p.id AS id") == [
        {"id": "D1"}]
