"""Loads the demo city into the graph: every domain's bundle, checked, then written in batches.

The load is idempotent (MERGE on keys), so ``cityagent demo load`` can run any number of
times; the schema is applied first so every MERGE finds its key through a constraint. The
city's recent hotline messages follow (drafted into tickets by the NLU) and their hot topics.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from pydantic import BaseModel
from tqdm import tqdm

from ingest.demo import emergency, finance, government, tools
from ingest.demo.data_files import DATA_DIR
from ingest.demo.history import HistoryReport, load_demo_history
from kg.records import GraphBundle
from kg.store import GraphCounts, GraphStore

log = logging.getLogger(__name__)


class DemoLoadReport(BaseModel):
    """What a demo load wrote, how long it took, and what the graph holds afterwards."""

    nodes_written: int
    relationships_written: int
    batches: int
    history: HistoryReport
    seconds: float
    counts: GraphCounts


def build_demo_city(data_dir: Path = DATA_DIR) -> GraphBundle:
    """The whole demo city as one bundle: government, finance, emergency and the tools."""
    fin = finance.build(data_dir)
    emer = emergency.build(data_dir)
    bundle = GraphBundle()
    for part in (government.build(data_dir), fin, emer, tools.build(data_dir, [emer, fin])):
        bundle.extend(part)
    return bundle


def load_demo_city(store: GraphStore, progress: bool = False) -> DemoLoadReport:
    """Apply the schema and upsert the demo city; returns what was written and the counts."""
    began = time.perf_counter()
    store.apply_schema()
    bundle = build_demo_city()
    total = len(bundle.nodes) + len(bundle.relationships)
    with tqdm(total=total, desc="滨江市 demo city", unit="rec", disable=not progress) as bar:
        summary = store.write_bundle(bundle, progress=bar.update)
    history = load_demo_history(store)
    report = DemoLoadReport(
        nodes_written=summary.nodes,
        relationships_written=summary.relationships,
        batches=summary.batches,
        history=history,
        seconds=round(time.perf_counter() - began, 2),
        counts=store.counts(),
    )
    log.info("demo city loaded: %d nodes, %d relationships, %d tickets, %d hot topics in %.1f s",
             summary.nodes, summary.relationships, history.tickets, history.topics.topics,
             report.seconds)
    return report
