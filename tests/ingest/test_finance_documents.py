"""Documents into the risk graph: facts between known entities written with their source,
the rest reported, bad files refused before anything is written."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ingest.finance_documents import FinanceDocument, ingest_documents, read_documents
from kg.entity_records import read_entity_records
from kg.errors import DataValidationError
from kg.records import GraphBundle
from kg.store import GraphStore
from nlu.entity_resolution import EntityResolver
from nlu.finance_extraction import FinanceExtractor


def _city(graph: GraphStore) -> tuple[FinanceExtractor, EntityResolver]:
    bundle = GraphBundle()
    for cid, name, aliases in (("CO-1", "滨江宏达建设工程有限公司", ["宏达建设"]),
                               ("CO-2", "滨江凯旋建材有限公司", ["凯旋建材"]),
                               ("CO-3", "滨江鼎盛控股集团有限公司", ["鼎盛集团"])):
        bundle.node("Company", id=cid, name=name, aliases=aliases)
    bundle.node("Person", id="P-1", name="周德明")
    graph.write_bundle(bundle)
    records = read_entity_records(graph)
    return FinanceExtractor.from_records(records), EntityResolver(records)


def test_facts_between_known_entities_are_written_with_their_source(graph: GraphStore) -> None:
    extractor, resolver = _city(graph)
    docs = [
        FinanceDocument(id="N-1", source="滨江日报", date=date(2025, 5, 1), kind="news",
                        text="公告称，宏达建设为凯旋建材提供3,000万元连带责任担保。"
                             "鼎盛集团实际控制人周德明自4月初起失联。"),
        FinanceDocument(id="N-2", text="宏达建设为杭州恒丰实业有限公司提供500万元担保。"),
    ]
    report = ingest_documents(graph, docs, extractor, resolver)
    assert report.documents == 2 and report.written == 3 and report.mentions >= 5
    assert len(report.unresolved) == 1 and "杭州恒丰实业有限公司" in report.unresolved[0]
    rows = graph.read("MATCH (:Company {id: 'CO-1'})-[g:GUARANTEES]->(:Company {id: 'CO-2'}) "
                      "RETURN g.amount AS amount, g.source AS doc, g.evidence AS ev")
    assert rows == [{"amount": 3000.0, "doc": "N-1", "ev": rows[0]["ev"]}]
    assert "宏达建设为凯旋建材" in rows[0]["ev"]
    assert graph.read("MATCH (:Person {id: 'P-1'})-[c:CONTROLS]->(:Company {id: 'CO-3'}) "
                      "RETURN c.source AS doc") == [{"doc": "N-1"}]
    event = graph.read("MATCH (e:RiskEvent)-[:INVOLVES]->(:Person {id: 'P-1'}) "
                       "RETURN e.kind AS kind, e.source AS source, e.occurred_on AS day")
    assert event == [{"kind": "失联", "source": "滨江日报", "day": date(2025, 5, 1)}]
    mention = graph.read("MATCH (:Document {id: 'N-1'})-[m:MENTIONS]->(:Company {id: 'CO-1'}) "
                         "RETURN m.start AS start, m.text AS text")
    assert mention == [{"start": 4, "text": "宏达建设"}]


def test_a_bad_file_names_its_line_and_writes_nothing(graph: GraphStore,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text('{"id": "A-1", "text": "宏达建设为凯旋建材提供担保。"}\n'
                    '{"id": "A 2", "text": ""}\n', encoding="utf-8")
    before = graph.counts()
    with pytest.raises(DataValidationError, match=r"docs\.jsonl:2"):
        read_documents(path)
    assert graph.counts() == before
