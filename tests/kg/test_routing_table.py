"""The routing table read from the graph equals the one built from the demo records."""

from __future__ import annotations

import pytest

from ingest.demo import government
from kg.records import GraphBundle
from kg.routing_table import load_routing_table, routing_table_from_bundle
from kg.store import GraphStore


@pytest.fixture(scope="module")
def bundle() -> GraphBundle:
    return government.build(government.DATA_DIR)


def test_table_from_records(bundle: GraphBundle) -> None:
    table = routing_table_from_bundle(bundle)
    assert [c.name for c in table.first_level()] == [
        "城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生"]
    second = [c for c in table.categories.values() if c.parent_id]
    assert len(second) >= 60 and all(c.handled_by for c in second)
    housing = next(c for c in second if c.name == "住房保障")
    assert table.departments[housing.handled_by[0]].level == "市级"  # the lead comes first
    assert housing.examples and housing.keywords


def test_table_from_neo4j_equals_the_records(graph: GraphStore, bundle: GraphBundle) -> None:
    graph.write_bundle(bundle)
    assert load_routing_table(graph) == routing_table_from_bundle(bundle)
