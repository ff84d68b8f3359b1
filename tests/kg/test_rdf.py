"""RDF export and import: round trips keep everything; bad files change nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ingest.demo.loader import load_demo_city
from kg.errors import OntologyError, RdfFormatError
from kg.ontology import load_ontology
from kg.rdf import RdfExporter, RdfImporter, format_for
from kg.store import GraphStore


def _snapshot(store: GraphStore) -> tuple[Any, Any]:
    nodes = store.read(
        "MATCH (n) RETURN n.id AS id, labels(n) AS labels, properties(n) AS props ORDER BY id")
    for row in nodes:
        row["labels"] = sorted(row["labels"])
        row["props"].pop("embedding", None)
    rels = store.read(
        "MATCH (a)-[r]->(b) RETURN a.id AS a, type(r) AS t, b.id AS b, properties(r) AS props")
    rels.sort(key=lambda r: (r["a"], r["t"], r["b"], sorted(map(str, r["props"].items()))))
    return nodes, rels


def test_round_trips_keep_counts_labels_and_properties(graph: GraphStore, tmp_path: Path) -> None:
    load_demo_city(graph)
    before = _snapshot(graph)
    counts = graph.counts()
    for path in (tmp_path / "city.ttl", tmp_path / "city.jsonld"):
        triples = RdfExporter(graph).export(path, format_for(path))
        assert triples > counts.total_nodes
        graph.clear()
        assert graph.counts().total_nodes == 0
        RdfImporter(graph.ontology).load(graph, path, format_for(path))
        assert graph.counts() == counts, path.name
        assert _snapshot(graph) == before, path.name


def test_turtle_uses_the_ontology_iris(graph: GraphStore, tmp_path: Path) -> None:
    graph.write("CREATE (:Region:District {id: 'R01-01', name: '滨江区', aliases: ['滨江']})")
    path = tmp_path / "one.ttl"
    RdfExporter(graph).export(path, "turtle")
    text = path.read_text(encoding="utf-8")
    assert "https://cityagent.dev/ontology#" in text and "ca:District" in text
    assert "<https://cityagent.dev/id/Region/R01-01>" in text or "id:Region" in text


def test_malformed_rdf_is_refused_and_nothing_is_written(graph: GraphStore, tmp_path: Path) -> None:
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ca: <https://cityagent.dev/ontology#> .\n<a> ca:name 'x ;;\n")
    with pytest.raises(RdfFormatError, match=r"bad\.ttl is not valid turtle"):
        RdfImporter(graph.ontology).load(graph, bad, "turtle")
    assert graph.counts().total_nodes == 0


def test_rdf_with_unknown_terms_or_dangling_links_writes_nothing(
    graph: GraphStore, tmp_path: Path
) -> None:
    head = ("@prefix ca: <https://cityagent.dev/ontology#> .\n"
            "<urn:a> a ca:Department ; ca:id 'D1' ; ca:name '甲' .\n")
    unknown_class = tmp_path / "u.ttl"
    unknown_class.write_text(head + "<urn:b> a ca:Starship ; ca:id 'S1' .\n", encoding="utf-8")
    with pytest.raises(OntologyError, match="Starship"):
        RdfImporter(graph.ontology).load(graph, unknown_class, "turtle")
    unknown_prop = tmp_path / "p.ttl"
    unknown_prop.write_text(head + "<urn:a> ca:colour 'red' .\n", encoding="utf-8")
    with pytest.raises(OntologyError, match="colour"):
        RdfImporter(graph.ontology).load(graph, unknown_prop, "turtle")
    dangling = tmp_path / "d.ttl"
    dangling.write_text(head + "<urn:a> ca:HANDLES <urn:nowhere> .\n", encoding="utf-8")
    with pytest.raises(RdfFormatError, match="urn:nowhere"):
        RdfImporter(graph.ontology).load(graph, dangling, "turtle")
    assert graph.counts().total_nodes == 0


def test_format_is_guessed_or_refused(tmp_path: Path) -> None:
    assert format_for(tmp_path / "x.ttl") == "turtle"
    assert format_for(tmp_path / "x.jsonld") == "json-ld"
    with pytest.raises(RdfFormatError, match="cannot tell the RDF format"):
        format_for(tmp_path / "x.xml")
    with pytest.raises(RdfFormatError, match="no such RDF file"):
        RdfImporter(load_ontology()).parse(tmp_path / "absent.ttl", "turtle")
