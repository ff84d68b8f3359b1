"""Hotline benchmark: ticket draft latency and throughput, and per-field accuracy on the calls.

Cold: each call drafted whole, once, as a new call (``draft``: latency p50/p95/max and drafts
per second; ``draft_many``: drafts per second in bulk), with nothing kept from earlier drafts.
Live: each call drafted again after every line, as the agent's form fills while the call goes
on; a draft then reads only the lines it has not read and reuses the opening's encoding.
Each with and without the NER, and without the category's meaning (the sentence encoding of
uncertain calls), over a fixed sample of the demo city's calls spread evenly over every call
file (the blind holdouts included: calls the category words leave uncertain also pay for a
sentence encoding, and those are more common among unseen calls), so that the run does not
grow with each new file; accuracy over every call. Run with ``make bench``; prints its figures
and writes ``var/bench/hotline.json``. Nothing is asserted about timings.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from ingest.demo.data_files import DATA_DIR
from ingest.demo.hotline import demo_ticket_filler
from nlu.call_cases import TicketCase, read_cases
from nlu.evaluate_tickets import evaluate_tickets
from nlu.ticket_fill import TicketFiller
from tests.bench.timing import latency_figures

OUT = Path("var/bench/hotline.json")
ROUNDS = 3
LIVE_ROUNDS = 1  # a live call is ~7 drafts already
BATCH_SIZE = 64
TIMED_CALLS = 600  # the sample timed in each configuration


def _timed_drafts(filler: TicketFiller, drafts: list[list[TicketCase]], rounds: int,
                  prefix: str) -> dict[str, float]:
    """Latency and rate of drafting each group of calls in order, the filler's memory of
    earlier drafts dropped before each group (not timed)."""
    times = []
    for _ in range(rounds):
        for group in drafts:
            filler.forget()
            for case in group:
                start = time.perf_counter()
                filler.draft(case.transcript, case.call_time)
                times.append(time.perf_counter() - start)
    figures = latency_figures(times) | {"drafts_per_s": round(len(times) / sum(times), 1)}
    return {f"{prefix}{name}": value for name, value in figures.items()}


def _as_it_grows(case: TicketCase) -> list[TicketCase]:
    """The call after each of its lines, as a live call is drafted again and again."""
    lines = case.transcript.splitlines()
    return [case.model_copy(update={"transcript": "\n".join(lines[:n])})
            for n in range(1, len(lines) + 1)]


def _batched(filler: TicketFiller, cases: list[TicketCase]) -> dict[str, float]:
    calls = [(case.transcript, case.call_time) for case in cases]
    elapsed = 0.0
    for _ in range(ROUNDS):
        filler.forget()
        began = time.perf_counter()
        filler.draft_many(calls, batch_size=BATCH_SIZE)
        elapsed += time.perf_counter() - began
    return {"batched_drafts_per_s": round(ROUNDS * len(calls) / elapsed, 1)}


@pytest.mark.timeout(3600)  # 600 calls, three configurations, cold, batched and live
def test_hotline_benchmark() -> None:
    filler = demo_ticket_filler()
    splits = sorted(p.stem.removeprefix("calls_") for p in DATA_DIR.glob("calls_*.jsonl"))
    cases = [case for split in splits for case in read_cases(DATA_DIR / f"calls_{split}.jsonl")]
    for case in cases[:20]:  # warm up models and caches
        filler.draft(case.transcript, case.call_time)
    timed = cases[:: max(1, len(cases) // TIMED_CALLS)][:TIMED_CALLS]
    results: dict[str, object] = {"calls": len(cases), "timed_calls": len(timed),
                                  "batch_size": BATCH_SIZE}
    entities, encoder = filler.entities, filler.matcher.encoder
    configurations = (("with_ner", entities, encoder), ("without_ner", None, encoder),
                      ("with_ner_without_meaning", entities, None))
    growing = [_as_it_grows(case) for case in timed]
    results["live_drafts_per_call"] = round(sum(map(len, growing)) / len(timed), 1)
    for name, finder, meaning in configurations:
        filler.entities, filler.matcher.encoder = finder, meaning
        results[name] = (_timed_drafts(filler, [[case] for case in timed], ROUNDS, "")
                         | _batched(filler, timed)
                         | _timed_drafts(filler, growing, LIVE_ROUNDS, "live_"))
    filler.entities, filler.matcher.encoder = entities, encoder
    for split in splits:
        report = evaluate_tickets(DATA_DIR / f"calls_{split}.jsonl", filler)
        results[f"accuracy_{split}"] = {f: s.accuracy for f, s in report.fields.items()}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2))
