"""Pure-logic tests of the demo city's government data (no database needed)."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from ingest.demo import government
from kg.errors import DataValidationError
from kg.records import GraphBundle
from tests.ingest.support import assert_valid, by_label, copy_data, edges

L1_NAMES = {
    "城乡建设", "环境保护", "交通运输", "教育文体", "劳动和社会保障", "商贸旅游", "卫生计生",
}
# The demo city box: about 40 x 40 km around lat 30.2, lon 120.2.
LAT_RANGE = (30.02, 30.38)
LON_RANGE = (120.00, 120.40)


@pytest.fixture(scope="module")
def bundle() -> GraphBundle:
    return government.build(government.DATA_DIR)


# -- ontology and integrity -------------------------------------------------------------
def test_every_node_and_relationship_validates(bundle: GraphBundle) -> None:
    assert_valid(bundle)


def test_ids_are_unique(bundle: GraphBundle) -> None:
    counts = Counter(str(n.properties["id"]) for n in bundle.nodes)
    assert [node_id for node_id, n in counts.items() if n > 1] == []


def test_every_relationship_endpoint_exists(bundle: GraphBundle) -> None:
    known = {(n.label, str(n.properties["id"])) for n in bundle.nodes}
    for rel in bundle.relationships:
        assert (rel.start.label, rel.start.key) in known, rel
        assert (rel.end.label, rel.end.key) in known, rel


def test_no_duplicate_relationships(bundle: GraphBundle) -> None:
    counts = Counter((r.type, r.start.key, r.end.key) for r in bundle.relationships)
    assert [key for key, n in counts.items() if n > 1] == []


# -- regions ----------------------------------------------------------------------------
def test_region_hierarchy(bundle: GraphBundle) -> None:
    assert len(by_label(bundle, "City")) == 1
    districts = by_label(bundle, "District")
    assert len(districts) >= 6
    parent = dict(edges(bundle, "PART_OF"))
    children: dict[str, list[str]] = defaultdict(list)
    for child, up in parent.items():
        children[up].append(child)
    for district in districts:
        streets = children[district.properties["id"]]
        assert 3 <= len(streets) <= 5, district.properties["name"]
        for street in streets:
            assert 3 <= len(children[street]) <= 5, street
    for node in by_label(bundle, "Street") + by_label(bundle, "Community"):
        node_id = node.properties["id"]
        assert node_id.startswith(parent[node_id]), node_id


def test_coordinates_inside_the_city_box(bundle: GraphBundle) -> None:
    for node in bundle.nodes:
        if "lat" in node.properties:
            assert LAT_RANGE[0] <= node.properties["lat"] <= LAT_RANGE[1], node.properties["id"]
            assert LON_RANGE[0] <= node.properties["lon"] <= LON_RANGE[1], node.properties["id"]


def test_landmarks_sit_in_a_community(bundle: GraphBundle) -> None:
    locations = by_label(bundle, "Location")
    assert len(locations) >= 40
    located = dict(edges(bundle, "LOCATED_IN"))
    communities = {n.properties["id"] for n in by_label(bundle, "Community")}
    for loc in locations:
        assert located[loc.properties["id"]] in communities


# -- departments and categories ---------------------------------------------------------
def test_departments(bundle: GraphBundle) -> None:
    departments = by_label(bundle, "Department")
    assert len(departments) >= 40
    governed = {start for start, _ in edges(bundle, "JURISDICTION_OVER")}
    for dept in departments:
        assert dept.properties["phone"].startswith("0579-")
        if dept.properties["level"] in {"区级", "街道"}:
            assert dept.properties["id"] in governed, dept.properties["name"]


def test_category_tree(bundle: GraphBundle) -> None:
    categories = by_label(bundle, "Category")
    l1 = [c for c in categories if c.properties["level"] == government.LEVEL_L1]
    l2 = [c for c in categories if c.properties["level"] == government.LEVEL_L2]
    assert {c.properties["name"] for c in l1} == L1_NAMES
    assert len(l1) == 7
    assert len(l2) >= 60
    assert all(c.properties["scheme"] == "hotline" for c in categories)
    parent = dict(edges(bundle, "SUBCATEGORY_OF"))
    l1_ids = {c.properties["id"] for c in l1}
    assert all(parent[c.properties["id"]] in l1_ids for c in l2)
    handled = {end for _, end in edges(bundle, "HANDLES")}
    assert [c.properties["id"] for c in l2 if c.properties["id"] not in handled] == []


# -- knowledge --------------------------------------------------------------------------
def test_knowledge_coverage(bundle: GraphBundle) -> None:
    entries = by_label(bundle, "KnowledgeEntry")
    assert len(entries) >= 300
    assert all(e.properties["domain"] == "政务" for e in entries)
    entry_ids = {e.properties["id"] for e in entries}
    per_category = Counter(end for start, end in edges(bundle, "ABOUT") if start in entry_ids)
    l2 = [c.properties["id"] for c in by_label(bundle, "Category")
          if c.properties["level"] == government.LEVEL_L2]
    assert {c: per_category[c] for c in l2 if per_category[c] < 3} == {}
    provided = {start for start, _ in edges(bundle, "PROVIDED_BY")}
    assert entry_ids <= provided


def test_service_items_and_policies(bundle: GraphBundle) -> None:
    items = by_label(bundle, "ServiceItem")
    policies = by_label(bundle, "Policy")
    assert len(items) >= 25
    assert len(policies) >= 20
    issued = {start for start, _ in edges(bundle, "ISSUED_BY")}
    assert {p.properties["id"] for p in policies} <= issued
    provided = {start for start, _ in edges(bundle, "PROVIDED_BY")}
    assert {s.properties["id"] for s in items} <= provided


# -- errors -----------------------------------------------------------------------------
def test_missing_required_field_names_file_and_entry(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    path = data / "departments.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    del doc["departments"][4]["duties"]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        government.build(data)
    assert "departments.yaml" in str(info.value)
    assert "D005" in str(info.value)
    assert "duties" in str(info.value)


def test_malformed_knowledge_entry_is_named(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    path = data / "government_knowledge_c01.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    entry = doc["entries"][0]
    entry["answer"] = ""
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        government.build(data)
    assert "government_knowledge_c01.yaml" in str(info.value)
    assert entry["id"] in str(info.value)


def test_unknown_reference_is_named(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    path = data / "categories.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["categories"][0]["children"][0]["handled_by"].append("D999")
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"C01-01.*D999"):
        government.build(data)


def test_duplicate_id_is_refused(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    path = data / "regions.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["landmarks"][1]["id"] = doc["landmarks"][0]["id"]
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataValidationError, match="duplicate id 'L001'"):
        government.build(data)


def test_broken_yaml_is_named(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    (data / "departments.yaml").write_text("departments: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"departments\.yaml"):
        government.build(data)


def test_missing_file_is_named(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    (data / "categories.yaml").unlink()
    with pytest.raises(DataValidationError, match=r"categories\.yaml"):
        government.build(data)
