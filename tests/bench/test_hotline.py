"""Hotline benchmark: ticket draft latency and throughput, and per-field accuracy on the calls.

Run with ``make bench``; prints its figures and writes ``var/bench/hotline.json``. Nothing is
asserted about timings.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from ingest.demo.data_files import DATA_DIR
from ingest.demo.hotline import demo_ticket_filler
from nlu.evaluate_tickets import evaluate_tickets, read_cases

OUT = Path("var/bench/hotline.json")


def _latency(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1] * 1000, 2),
        "max_ms": round(ordered[-1] * 1000, 2),
    }


def test_hotline_benchmark() -> None:
    filler = demo_ticket_filler()
    cases = read_cases(DATA_DIR / "calls_dev.jsonl") + read_cases(DATA_DIR / "calls_test.jsonl")
    for case in cases[:20]:  # warm up models and caches
        filler.draft(case.transcript, case.call_time)
    results: dict[str, object] = {"calls": len(cases)}
    for name, entities in (("with_ner", filler.entities), ("without_ner", None)):
        filler.entities = entities
        times = []
        began = time.perf_counter()
        for _ in range(3):
            for case in cases:
                start = time.perf_counter()
                filler.draft(case.transcript, case.call_time)
                times.append(time.perf_counter() - start)
        elapsed = time.perf_counter() - began
        results[name] = _latency(times) | {"drafts_per_s": round(len(times) / elapsed, 1)}
    for split in ("dev", "test"):
        report = evaluate_tickets(DATA_DIR / f"calls_{split}.jsonl", filler)
        results[f"accuracy_{split}"] = {f: s.accuracy for f, s in report.fields.items()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))
