"""Bulk-ingest benchmark: the Teddy Cup citizen messages as tickets into Neo4j, then hot topics.

Run with ``make bench``; prints its figures and writes ``var/bench/ingest_messages.json``.
Skipped with a message where ``../shared/data/teddycup2020c`` is absent. Nothing is asserted
about timings.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ingest.demo.loader import load_demo_city
from ingest.messages import ingest_messages
from kg.server import Neo4jServer, local_connection
from kg.settings import Settings, get_settings
from kg.store import GraphStore
from kg.topic import list_topics
from nlu.ticket_fill import TicketFiller
from nlu.topics import TopicSettings, build_topics

OUT = Path("var/bench/ingest_messages.json")
FILES = ("messages_with_votes.jsonl", "messages_with_replies.jsonl", "labelled_sample.jsonl")


@pytest.mark.timeout(3600)
def test_teddycup_bulk_ingest(tmp_path: Path) -> None:
    source = get_settings().shared_data_dir / "teddycup2020c"
    if not source.is_dir():
        pytest.skip(f"{source} is absent: the Teddy Cup messages are needed for this benchmark")
    settings = Settings(var_dir=tmp_path / "var")
    server = Neo4jServer(settings)
    info = server.start(port=0, auth=True, detach=False)
    results: dict[str, Any] = {"files": {}}
    try:
        with GraphStore(local_connection(settings, info)) as store:
            load_demo_city(store)
            filler = TicketFiller.from_store(store)
            began = time.perf_counter()
            stored = 0
            for name in FILES:
                report = ingest_messages(store, filler, source / name, id_prefix="TC-")
                results["files"][name] = report.model_dump(exclude={"refused"}) | {
                    "refused": len(report.refused)}
                stored += report.stored
            elapsed = time.perf_counter() - began
            tickets = store.read("MATCH (t:Ticket) WHERE t.id STARTS WITH 'TC-' "
                                 "RETURN count(t) AS n, max(t.call_time) AS last")[0]
            results["ingest"] = {
                "messages": stored, "distinct_tickets": tickets["n"],
                "seconds": round(elapsed, 1),
                "messages_per_minute": round(stored / elapsed * 60, 1),
            }
            last = tickets["last"]
            for days in (30, 365):
                build = build_topics(store, last + timedelta(seconds=1),
                                     TopicSettings(window_days=days))
                top = list_topics(store, limit=10)
                results[f"topics_{days}d"] = build.model_dump(mode="json") | {
                    "top": [{"name": t.name, "tickets": t.ticket_count, "trend": t.trend}
                            for t in top]}
    finally:
        server.stop()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, ensure_ascii=False, indent=2, default=str),
                   encoding="utf-8")
    print(json.dumps(results, ensure_ascii=False, indent=2, default=str))
