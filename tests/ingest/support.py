"""Helpers shared by the demo-city bundle tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest.demo.data_files import DATA_DIR
from kg.ontology import load_ontology
from kg.records import GraphBundle, NodeRecord


def by_label(bundle: GraphBundle, *labels: str) -> list[NodeRecord]:
    """The bundle's nodes of any of ``labels``."""
    return [n for n in bundle.nodes if n.label in labels]


def edges(bundle: GraphBundle, rel_type: str) -> list[tuple[str, str]]:
    """(start key, end key) of the bundle's relationships of one type."""
    return [(r.start.key, r.end.key) for r in bundle.relationships if r.type == rel_type]


def copy_data(tmp_path: Path) -> Path:
    """A private copy of the demo data folder, for tests that break a file."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def assert_valid(bundle: GraphBundle) -> None:
    """Every node and relationship of the bundle passes the ontology's checks."""
    ontology = load_ontology()
    for node in bundle.nodes:
        ontology.validate_node(node)
    for rel in bundle.relationships:
        ontology.validate_rel(rel)
