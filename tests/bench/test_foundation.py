"""Foundation benchmark: local Neo4j start-up, demo load, RDF round trip, graph query latency.

Run with ``make bench`` (or ``pytest tests/bench/test_foundation.py -s``). It prints its
figures and writes them to ``var/bench/foundation.json``; it asserts nothing about timings.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from ingest.demo.loader import load_demo_city
from kg.queries import neighbourhood, search_entities
from kg.rdf import RdfExporter, RdfImporter
from kg.server import Neo4jServer, local_connection
from kg.settings import Settings
from kg.store import GraphStore
from tests.bench.timing import latency_figures

OUT = Path("var/bench/foundation.json")
QUERIES = ["住建", "滨江区", "城管", "公积金", "泵站", "派出所", "医院", "小区", "投资", "银行"]


@pytest.mark.timeout(1800)
def test_foundation_benchmark(tmp_path: Path) -> None:
    results: dict[str, Any] = {}
    settings = Settings(var_dir=tmp_path / "var")
    server = Neo4jServer(settings)
    server.build()
    starts = []
    for _ in range(3):
        began = time.perf_counter()
        server.start(port=0, auth=True, detach=False)
        starts.append(time.perf_counter() - began)
        server.stop()
    results["neo4j_start_s"] = {"runs": [round(s, 2) for s in starts],
                                "median": round(statistics.median(starts), 2)}
    info = server.start(port=0, auth=True, detach=False)
    try:
        with GraphStore(local_connection(settings, info)) as store:
            first = load_demo_city(store)
            second = load_demo_city(store)
            results["demo_load_s"] = {"empty_graph": first.seconds, "second_run": second.seconds}
            results["counts"] = first.counts.model_dump()
            results["second_run_changed_counts"] = first.counts != second.counts
            path = tmp_path / "city.ttl"
            began = time.perf_counter()
            triples = RdfExporter(store).export(path, "turtle")
            results["rdf_export"] = {"triples": triples,
                                     "seconds": round(time.perf_counter() - began, 2)}
            store.clear()
            began = time.perf_counter()
            RdfImporter(store.ontology).load(store, path, "turtle")
            results["rdf_import_s"] = round(time.perf_counter() - began, 2)
            search_times, neighbour_times = [], []
            for _ in range(10):
                for text in QUERIES:
                    began = time.perf_counter()
                    hits = search_entities(store, text)
                    search_times.append(time.perf_counter() - began)
                    if hits:
                        began = time.perf_counter()
                        neighbourhood(store, hits[0].label, hits[0].id)
                        neighbour_times.append(time.perf_counter() - began)
            results["entity_search"] = latency_figures(search_times) | {"n": len(search_times)}
            results["neighbourhood"] = latency_figures(neighbour_times) | {
                "n": len(neighbour_times)
            }
    finally:
        server.stop()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))
