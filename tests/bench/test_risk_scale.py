"""Risk queries at registry scale: load time, query latency, detector precision and recall.

Run with ``pytest tests/bench/test_risk_scale.py -s``. For each N in ``RISK_SCALES``
(default ``10000,100000``; add ``1000000`` when there is time) it generates a synthetic registry
(:mod:`ingest.synthetic_registry`), loads it into an emptied graph on its own Neo4j server
(heap ``RISK_BENCH_HEAP``, page cache ``RISK_BENCH_PAGECACHE``), and measures:

* the load (check + write, rows per second);
* p50/p95/max over ``RISK_BENCH_STARTS`` (default 50) random starting entities of
  ultimate_controllers (depth 3 and 6), related_parties, guarantee_chains (3 hops, from
  guarantors) and contagion (3 hops);
* one run of each global detector (guarantee circles, circular shareholding; cycles up to 6)
  and its precision and recall against the planted truth, and the recall of the shell
  clusters' controller by ultimate_controllers.

Prints one JSON object and writes ``var/bench/risk_scale.json``; asserts nothing on timings.
"""

from __future__ import annotations

import csv
import json
import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ingest.registry import load_registry
from ingest.synthetic_registry import RegistryTruth, generate_registry
from kg.risk.contagion import ContagionParams, contagion
from kg.risk.cycles import canonical_rotation
from kg.risk.equity import (
    CircularShareholdingParams,
    UltimateControllerParams,
    circular_shareholding,
    ultimate_controllers,
)
from kg.risk.guarantees import (
    GuaranteeChainParams,
    GuaranteeCircleParams,
    guarantee_chains,
    guarantee_circles,
)
from kg.risk.parties import RelatedPartyParams, related_parties
from kg.server import Neo4jServer, local_connection
from kg.settings import Settings
from kg.store import GraphStore
from tests.bench.timing import latency_figures

OUT = Path("var/bench/risk_scale.json")
SCALES = [int(s) for s in os.environ.get("RISK_SCALES", "10000,100000").split(",") if s]
STARTS = int(os.environ.get("RISK_BENCH_STARTS", "50"))
DETECTOR_LIMIT = 1000


@pytest.fixture(scope="module")
def bench_graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """An empty graph on a server of its own, with memory for a million companies."""
    var_dir = tmp_path_factory.mktemp("neo4j-risk-bench")
    settings = Settings(var_dir=var_dir, neo4j_data_dir=var_dir / "neo4j",
                        neo4j_heap=os.environ.get("RISK_BENCH_HEAP", "2g"),
                        neo4j_pagecache=os.environ.get("RISK_BENCH_PAGECACHE", "2g"))
    server = Neo4jServer(settings)
    info = server.start(port=0, auth=True, detach=False)
    try:
        with GraphStore(local_connection(settings, info), max_retry_time_s=60.0) as store:
            yield store
    finally:
        server.stop()


def _column(path: Path, name: str) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [row[name] for row in csv.DictReader(handle)]


def _timed(run: Callable[[str], Any], starts: list[str]) -> dict[str, Any]:
    run(starts[0])  # warm the query plan
    samples, rows = [], 0
    for start in starts:
        began = time.perf_counter()
        result = run(start)
        samples.append(time.perf_counter() - began)
        rows += len(result.rows)
    return {**latency_figures(samples), "queries": len(starts), "mean_rows": rows / len(starts)}


def _scores(found: set[tuple[str, ...]], planted: set[tuple[str, ...]]) -> dict[str, Any]:
    hits = len(found & planted)
    return {"found": len(found), "planted": len(planted),
            "precision": round(hits / len(found), 4) if found else None,
            "recall": round(hits / len(planted), 4) if planted else None}


def _detectors(store: GraphStore, truth: RegistryTruth) -> dict[str, Any]:
    out: dict[str, Any] = {}
    began = time.perf_counter()
    circles = guarantee_circles(store, GuaranteeCircleParams(max_len=6, limit=DETECTOR_LIMIT))
    out["guarantee_circles"] = {
        "seconds": round(time.perf_counter() - began, 3), "truncated": circles.truncated,
        **_scores({canonical_rotation([m.id for m in r.members]) for r in circles.rows},
                  {canonical_rotation(c) for c in truth.guarantee_circles})}
    began = time.perf_counter()
    loops = circular_shareholding(store, CircularShareholdingParams(max_len=6,
                                                                    limit=DETECTOR_LIMIT))
    out["circular_shareholding"] = {
        "seconds": round(time.perf_counter() - began, 3), "truncated": loops.truncated,
        **_scores({canonical_rotation([m.id for m in r.members]) for r in loops.rows},
                  {canonical_rotation(c) for c in truth.circular_shareholdings})}
    shells = [(s.controller, c) for s in truth.shell_clusters for c in s.companies]
    hits = sum(
        controller in {r.holder.id for r in ultimate_controllers(
            store, UltimateControllerParams(company_id=company)).rows}
        for controller, company in shells)
    out["shell_controller_recall"] = {"companies": len(shells),
                                      "recall": round(hits / len(shells), 4)}
    return out


def _scale(store: GraphStore, folder: Path, companies: int) -> dict[str, Any]:
    began = time.perf_counter()
    truth = generate_registry(folder, companies=companies, seed=companies)
    generate_s = time.perf_counter() - began
    store.clear()
    report = load_registry(store, folder)
    rows = sum(report.rows.values())
    rng = random.Random(companies)
    company_ids = rng.sample(_column(folder / "companies.csv", "id"), STARTS)
    guarantors = sorted(set(_column(folder / "guarantees.csv", "guarantor_id")))
    guarantors = rng.sample([g for g in guarantors if g.startswith("C")], STARTS)
    queries = {
        "ultimate_controllers_depth3": lambda c: ultimate_controllers(
            store, UltimateControllerParams(company_id=c, max_depth=3)),
        "ultimate_controllers_depth6": lambda c: ultimate_controllers(
            store, UltimateControllerParams(company_id=c, max_depth=6)),
        "related_parties": lambda c: related_parties(store, RelatedPartyParams(company_id=c)),
        "contagion_3_hops": lambda c: contagion(store, ContagionParams(source_id=c,
                                                                       max_hops=3)),
    }
    latency = {name: _timed(run, company_ids) for name, run in queries.items()}
    latency["guarantee_chains_3_hops"] = _timed(
        lambda c: guarantee_chains(store, GuaranteeChainParams(company_id=c, max_hops=3)),
        guarantors)
    return {
        "companies": companies, "rows": report.rows,
        "generate_s": round(generate_s, 2),
        "load": {"check_s": report.check_s, "write_s": report.write_s, "rows": rows,
                 "nodes": report.nodes, "relationships": report.relationships,
                 "rows_per_s": round(rows / (report.check_s + report.write_s)),
                 "write_rows_per_s": round(report.rows_per_s)},
        "latency": latency,
        "detectors": _detectors(store, truth),
    }


@pytest.mark.timeout(6 * 3600)
def test_risk_queries_at_scale(bench_graph: GraphStore, tmp_path: Path) -> None:
    figures: dict[str, Any] = {"starts_per_query": STARTS, "scales": []}
    for companies in SCALES:
        figures["scales"].append(_scale(bench_graph, tmp_path / f"registry-{companies}",
                                        companies))
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(figures, ensure_ascii=False, indent=1), encoding="utf-8")
        print(json.dumps(figures["scales"][-1], ensure_ascii=False))
