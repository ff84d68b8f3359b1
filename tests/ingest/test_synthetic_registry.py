"""The synthetic registry: deterministic, valid, its only cycles are the planted ones, and the
risk detectors find every planted circle once it is loaded."""

from __future__ import annotations

import csv
from pathlib import Path

import networkx as nx
import pytest

from ingest.registry import check_registry, load_registry
from ingest.registry.sources import open_source
from ingest.synthetic_registry import generate_registry, read_truth
from kg.errors import DataValidationError
from kg.risk.cycles import canonical_rotation
from kg.risk.equity import (
    CircularShareholdingParams,
    UltimateControllerParams,
    circular_shareholding,
    ultimate_controllers,
)
from kg.risk.guarantees import GuaranteeCircleParams, guarantee_circles
from kg.store import GraphStore

COMPANIES = 2000


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("registry")
    generate_registry(folder, companies=COMPANIES, seed=11)
    return folder


def _cycles(folder: Path, file: str, start: str, end: str) -> set[tuple[str, ...]]:
    with (folder / file).open(encoding="utf-8") as handle:
        edges = [(row[start], row[end]) for row in csv.DictReader(handle)]
    return {canonical_rotation(list(c)) for c in nx.simple_cycles(nx.DiGraph(edges))}


def test_the_same_seed_writes_the_same_files(registry: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate_registry(again, companies=COMPANIES, seed=11)
    for path in registry.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name
    other = tmp_path / "other"
    generate_registry(other, companies=COMPANIES, seed=12)
    assert (other / "shareholdings.csv").read_bytes() != (registry /
                                                         "shareholdings.csv").read_bytes()


def test_sizes_follow_the_company_count(registry: Path) -> None:
    rows = read_truth(registry).rows
    assert rows["companies"] == COMPANIES
    assert rows["persons"] == int(COMPANIES * 0.8)
    assert 1.5 * COMPANIES <= rows["shareholdings"] <= 2.2 * COMPANIES
    assert 0.25 * COMPANIES <= rows["guarantees"] <= 0.4 * COMPANIES
    with pytest.raises(DataValidationError, match="companies"):
        generate_registry(registry / "tiny", companies=10)


def test_the_registry_is_valid_and_only_planted_cycles_exist(registry: Path) -> None:
    check = check_registry(open_source(registry))
    assert check.error_count == 0, [str(e) for e in check.errors[:5]]
    truth = read_truth(registry)
    assert len(truth.guarantee_circles) >= 2 and len(truth.circular_shareholdings) >= 2
    assert all(3 <= len(c) <= 6 for c in truth.guarantee_circles)
    assert all(2 <= len(c) <= 5 for c in truth.circular_shareholdings)
    assert _cycles(registry, "guarantees.csv", "guarantor_id", "guaranteed_id") == {
        canonical_rotation(c) for c in truth.guarantee_circles}
    assert _cycles(registry, "shareholdings.csv", "holder_id", "company_id") == {
        canonical_rotation(c) for c in truth.circular_shareholdings}
    assert all(len(s.companies) >= 15 for s in truth.shell_clusters)
    assert truth.missing_controllers and truth.overdue_funds


def test_the_detectors_find_every_planted_pattern(graph: GraphStore, registry: Path) -> None:
    load_registry(graph, registry)
    truth = read_truth(registry)
    circles = guarantee_circles(graph, GuaranteeCircleParams(max_len=6, limit=1000))
    assert {canonical_rotation([m.id for m in row.members]) for row in circles.rows} == {
        canonical_rotation(c) for c in truth.guarantee_circles}
    loops = circular_shareholding(graph, CircularShareholdingParams(max_len=6, limit=1000))
    assert {canonical_rotation([m.id for m in row.members]) for row in loops.rows} == {
        canonical_rotation(c) for c in truth.circular_shareholdings}
    cluster = truth.shell_clusters[0]
    for company in cluster.companies:
        found = ultimate_controllers(graph, UltimateControllerParams(company_id=company))
        assert cluster.controller in {row.holder.id for row in found.rows}, company
    events = graph.read("MATCH (e:RiskEvent {kind: '实控人失联'})-[:INVOLVES]->(x) "
                        "RETURN e.id AS id, collect(x.id) AS ids")
    planted = {m.event: {m.controller, *m.companies} for m in truth.missing_controllers}
    assert {row["id"]: set(row["ids"]) for row in events} == planted
