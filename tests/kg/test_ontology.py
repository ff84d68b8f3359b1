"""The ontology file and what is derived from it, without a database."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kg.errors import OntologyError
from kg.ontology import load_ontology
from kg.records import NodeRecord, NodeRef, RelRecord
from kg.schema import constraint_statements, fulltext_statements, vector_statements

ONTO = load_ontology()


def test_every_domain_of_the_design_is_in_the_ontology() -> None:
    expected = {
        "Department", "ServiceItem", "Policy", "Category", "Ticket", "Topic", "Region",
        "District", "Street", "Community", "Address", "KnowledgeEntry", "Company", "Person",
        "Fund", "Product", "Bank", "LoanProduct", "Account", "RiskEvent", "HazardType",
        "Incident", "Plan", "Resource", "PumpStation", "Shelter", "Team", "Vehicle", "Sensor",
        "Camera", "WaterGauge", "Location", "Tool", "Document",
    }
    assert expected <= set(ONTO.classes)
    for rel in ("HOLDS_SHARES", "CONTROLS", "IS_LEGAL_REP", "GUARANTEES", "MANAGES", "ISSUES",
                "TRANSFERS", "APPLIES_TO", "OPERATES", "MENTIONS", "ROUTED_TO", "ABOUT", "AT"):
        assert rel in ONTO.relationships


def test_every_term_has_chinese_and_english_labels() -> None:
    for term in [*ONTO.classes.values(), *ONTO.relationships.values(), *ONTO.properties.values()]:
        assert term.label_zh and term.label_en, term.name


def test_relationship_properties_are_declared_on_their_type() -> None:
    assert set(ONTO.rel_properties("HOLDS_SHARES")) >= {"ratio"}
    assert set(ONTO.rel_properties("GUARANTEES")) >= {"amount"}
    assert set(ONTO.rel_properties("TRANSFERS")) >= {"amount", "time", "tx_id"}
    assert ONTO.relationships["TRANSFERS"].edge_key == "tx_id"


def test_subclasses_inherit_labels_key_and_properties() -> None:
    assert ONTO.labels_for("Camera") == ["Camera", "Sensor"]
    assert ONTO.merge_label("Bank") == "Company"
    assert ONTO.key_of("WaterGauge") == "id"
    assert "warning_level_cm" in ONTO.node_properties("WaterGauge")
    assert "name" in ONTO.node_properties("WaterGauge")
    assert "Entity" not in ONTO.labels_for("Camera")  # a mixin, not a label


def test_one_uniqueness_constraint_per_hierarchy_root() -> None:
    names = {s.name for s in constraint_statements(ONTO)}
    assert "company_id_unique" in names and "sensor_id_unique" in names
    assert "bank_id_unique" not in names and "camera_id_unique" not in names
    assert len(names) == len(ONTO.key_labels())


def test_fulltext_and_vector_indexes_come_from_annotations() -> None:
    fulltext = {s.name: s.cypher for s in fulltext_statements(ONTO)}
    assert set(fulltext) == {"entity_names", "knowledge_text"}
    assert "'cjk'" in fulltext["entity_names"] and "`Company`" in fulltext["entity_names"]
    vectors = vector_statements(ONTO)
    assert [v.name for v in vectors] == ["knowledgeentry_embedding_vector"]
    assert "`vector.dimensions`: 384" in vectors[0].cypher


def test_values_are_coerced_to_the_declared_datatype() -> None:
    node = ONTO.validate_node(NodeRecord(label="Policy", properties={
        "id": "PO1", "name": "政策", "valid_from": "2025-01-01", "aliases": ["a"]}))
    assert node.properties["valid_from"] == date(2025, 1, 1)
    assert node.labels == ["Policy"] and node.key_value == "PO1"
    ticket = ONTO.validate_node(NodeRecord(label="Ticket", properties={
        "id": "T1", "call_time": "2025-06-01T10:00:00"}))
    assert isinstance(ticket.properties["call_time"], datetime)
    assert ticket.properties["call_time"].tzinfo is not None


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        (NodeRecord(label="Departmnt", properties={"id": "x"}), "Did you mean: Department"),
        (NodeRecord(label="Department", properties={"id": "x", "colour": "red"}), "'colour'"),
        (NodeRecord(label="Department", properties={"name": "无编号"}), "missing its key"),
        (NodeRecord(label="Fund", properties={"id": "F", "size": "很大"}), "type double"),
        (NodeRecord(label="Company", properties={"id": "C", "aliases": "滨江"}), "must be a list"),
        (NodeRecord(label="Entity", properties={"id": "x"}), "unknown label 'Entity'"),
    ],
)
def test_bad_nodes_are_refused_with_a_clear_message(record: NodeRecord, fragment: str) -> None:
    with pytest.raises(OntologyError) as err:
        ONTO.validate_node(record)
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        (RelRecord(type="HOLDS_SHARE", start=NodeRef(label="Person", key="p"),
                   end=NodeRef(label="Company", key="c")), "Did you mean: HOLDS_SHARES"),
        (RelRecord(type="HOLDS_SHARES", start=NodeRef(label="Camera", key="p"),
                   end=NodeRef(label="Company", key="c")), "cannot start at Camera"),
        (RelRecord(type="GUARANTEES", start=NodeRef(label="Company", key="a"),
                   end=NodeRef(label="Fund", key="c")), "cannot end at Fund"),
        (RelRecord(type="TRANSFERS", start=NodeRef(label="Account", key="a"),
                   end=NodeRef(label="Account", key="b"), properties={"amount": 1}), "tx_id"),
    ],
)
def test_bad_relationships_are_refused(record: RelRecord, fragment: str) -> None:
    with pytest.raises(OntologyError) as err:
        ONTO.validate_rel(record)
    assert fragment in str(err.value)


def test_any_class_may_be_mentioned_and_a_bank_is_a_company() -> None:
    ONTO.validate_rel(RelRecord(type="MENTIONS", start=NodeRef(label="Document", key="d"),
                                end=NodeRef(label="WaterGauge", key="w"),
                                properties={"start": 0, "end": 3}))
    rel = ONTO.validate_rel(RelRecord(type="GUARANTEES", start=NodeRef(label="Bank", key="b"),
                                      end=NodeRef(label="Company", key="c")))
    assert rel.start_label == "Company"
