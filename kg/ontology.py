"""The ontology (``ontology.ttl``) loaded with rdflib into typed definitions.

Everything that needs to know which labels, keys, relationship types and properties exist
asks this module: schema generation, the GraphStore's validation and the RDF mapping. It
also coerces values to the property's datatype so that the graph holds typed values.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from datetime import date, datetime, tzinfo
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from rdflib import OWL, RDF, RDFS, XSD, Graph, Namespace, URIRef
from rdflib import Literal as RdfLiteral

from kg.errors import OntologyError
from kg.records import NodeRecord, RelRecord

CA = Namespace("https://cityagent.dev/ontology#")
SCHEMA = Namespace("http://schema.org/")
ANY_CLASS = "Thing"
CITY_TIMEZONE: tzinfo = ZoneInfo("Asia/Shanghai")


def city_now() -> datetime:
    """The current time in the city's time zone (the clock bots and runs default to)."""
    return datetime.now(CITY_TIMEZONE)


Datatype = Literal["string", "integer", "double", "boolean", "date", "dateTime"]
_XSD_TO_DATATYPE: dict[URIRef, Datatype] = {
    XSD.string: "string",
    XSD.integer: "integer",
    XSD.double: "double",
    XSD.boolean: "boolean",
    XSD.date: "date",
    XSD.dateTime: "dateTime",
}


class PropertyDef(BaseModel):
    """A property: its datatype, whether it is a list, and the indexes it belongs to."""

    name: str
    iri: str
    datatype: Datatype
    is_list: bool = False
    fulltext_index: str | None = None
    vector_dimensions: int | None = None
    vector_similarity: str | None = None
    exported: bool = True
    domain: list[str] = Field(default_factory=list)
    label_zh: str = ""
    label_en: str = ""


class ClassDef(BaseModel):
    """A class: its parents, whether it is a Neo4j label, and its key."""

    name: str
    iri: str
    parents: list[str] = Field(default_factory=list)
    materialized: bool = True
    declared_key: str | None = None
    label_zh: str = ""
    label_en: str = ""


class RelationshipDef(BaseModel):
    """A relationship type: the classes at each end and its properties."""

    name: str
    iri: str
    domain: list[str]
    range: list[str]
    edge_key: str | None = None
    label_zh: str = ""
    label_en: str = ""


class ValidNode(BaseModel):
    """A node record checked against the ontology, ready to write."""

    merge_label: str
    labels: list[str]
    key: str
    key_value: str
    properties: dict[str, Any]


class ValidRel(BaseModel):
    """A relationship record checked against the ontology, ready to write."""

    type: str
    start_label: str
    start_key: str
    end_label: str
    end_key: str
    edge_key: str | None
    properties: dict[str, Any]


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.6)
    return f" Did you mean: {', '.join(close)}?" if close else ""


def _text(graph: Graph, subject: URIRef, predicate: URIRef, lang: str) -> str:
    for value in graph.objects(subject, predicate):
        if isinstance(value, RdfLiteral) and value.language == lang:
            return str(value)
    return ""


def _local(iri: URIRef) -> str:
    return str(iri).removeprefix(str(CA))


class Ontology:
    """The classes, relationship types and properties of the CityAgent graph."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.classes: dict[str, ClassDef] = {}
        self.relationships: dict[str, RelationshipDef] = {}
        self.properties: dict[str, PropertyDef] = {}
        self._read_classes()
        self._read_relationships()
        self._read_properties()

    # -- reading ---------------------------------------------------------------------
    def _flag(self, subject: URIRef, predicate: URIRef, default: bool) -> bool:
        value = self.graph.value(subject, predicate)
        return bool(value.toPython()) if isinstance(value, RdfLiteral) else default

    def _read_classes(self) -> None:
        g = self.graph
        for iri in g.subjects(RDF.type, OWL.Class):
            if not isinstance(iri, URIRef) or not str(iri).startswith(str(CA)):
                continue
            key = g.value(iri, CA.key)
            self.classes[_local(iri)] = ClassDef(
                name=_local(iri),
                iri=str(iri),
                parents=sorted(
                    _local(p) for p in g.objects(iri, RDFS.subClassOf) if isinstance(p, URIRef)
                ),
                materialized=self._flag(iri, CA.materialized, True),
                declared_key=_local(key) if isinstance(key, URIRef) else None,
                label_zh=_text(g, iri, RDFS.label, "zh"),
                label_en=_text(g, iri, RDFS.label, "en"),
            )

    def _class_names(self, iris: Iterable[Any]) -> list[str]:
        names = []
        for iri in iris:
            names.append(ANY_CLASS if iri == OWL.Thing else _local(iri))
        return sorted(names)

    def _read_relationships(self) -> None:
        g = self.graph
        for iri in g.subjects(RDF.type, OWL.ObjectProperty):
            assert isinstance(iri, URIRef)
            edge_key = g.value(iri, CA.edgeKey)
            self.relationships[_local(iri)] = RelationshipDef(
                name=_local(iri),
                iri=str(iri),
                domain=self._class_names(g.objects(iri, SCHEMA.domainIncludes)),
                range=self._class_names(g.objects(iri, SCHEMA.rangeIncludes)),
                edge_key=_local(edge_key) if isinstance(edge_key, URIRef) else None,
                label_zh=_text(g, iri, RDFS.label, "zh"),
                label_en=_text(g, iri, RDFS.label, "en"),
            )

    def _read_properties(self) -> None:
        g = self.graph
        for iri in g.subjects(RDF.type, OWL.DatatypeProperty):
            assert isinstance(iri, URIRef)
            xsd_range = g.value(iri, RDFS.range)
            if xsd_range not in _XSD_TO_DATATYPE:
                raise OntologyError(f"property {_local(iri)} has unsupported range {xsd_range}")
            fulltext = g.value(iri, CA.fulltextIndex)
            dims = g.value(iri, CA.vectorDimensions)
            similarity = g.value(iri, CA.vectorSimilarity)
            self.properties[_local(iri)] = PropertyDef(
                name=_local(iri),
                iri=str(iri),
                datatype=_XSD_TO_DATATYPE[xsd_range],  # type: ignore[index]
                is_list=self._flag(iri, CA.list, False),
                fulltext_index=str(fulltext) if fulltext is not None else None,
                vector_dimensions=int(dims) if isinstance(dims, RdfLiteral) else None,
                vector_similarity=str(similarity) if similarity is not None else None,
                exported=self._flag(iri, CA.exported, True),
                domain=self._class_names(g.objects(iri, SCHEMA.domainIncludes)),
                label_zh=_text(g, iri, RDFS.label, "zh"),
                label_en=_text(g, iri, RDFS.label, "en"),
            )

    # -- classes ---------------------------------------------------------------------
    def check_label(self, label: str) -> ClassDef:
        """The class named ``label``, or an OntologyError naming the unknown label."""
        cls = self.classes.get(label)
        if cls is None or not cls.materialized:
            known = [c.name for c in self.classes.values() if c.materialized]
            raise OntologyError(f"unknown label {label!r}.{_suggest(label, known)}")
        return cls

    @cache  # noqa: B019 - the ontology lives as long as the process
    def ancestors(self, label: str) -> tuple[str, ...]:
        """The class and all its ancestors, nearest first."""
        order: list[str] = []
        pending = [label]
        while pending:
            name = pending.pop(0)
            if name not in order:
                order.append(name)
                pending.extend(self.classes[name].parents)
        return tuple(order)

    def most_specific(self, labels: Iterable[str]) -> str:
        """The most specific ontology class among a node's labels (Camera for Camera:Sensor)."""
        given = list(labels)
        known = [label for label in given if label in self.classes]
        if not known:
            raise OntologyError(f"a node with labels {given} has no label of the ontology")
        return max(known, key=lambda label: len(self.ancestors(label)))

    def is_a(self, label: str, cls: str) -> bool:
        """Whether ``label`` is ``cls`` or one of its subclasses (any class is a Thing)."""
        return cls == ANY_CLASS or cls in self.ancestors(label)

    def labels_for(self, label: str) -> list[str]:
        """The Neo4j labels a node of this class carries: itself and its labelled ancestors."""
        return [c for c in self.ancestors(label) if self.classes[c].materialized]

    def merge_label(self, label: str) -> str:
        """The topmost labelled class of ``label``: the label its key is unique on."""
        return self.labels_for(label)[-1]

    def key_of(self, label: str) -> str:
        """The key property of a class (declared on it or inherited)."""
        for name in self.ancestors(label):
            if self.classes[name].declared_key:
                return self.classes[name].declared_key  # type: ignore[return-value]
        raise OntologyError(f"class {label!r} has no key in the ontology")

    def key_labels(self) -> list[str]:
        """Labels that carry a uniqueness constraint: each hierarchy's topmost labelled class."""
        return sorted(
            {self.merge_label(c.name) for c in self.classes.values() if c.materialized}
        )

    def node_properties(self, label: str) -> dict[str, PropertyDef]:
        """The properties a node of this class may carry, inherited ones included."""
        lineage = set(self.ancestors(label))
        return {p.name: p for p in self.properties.values() if lineage.intersection(p.domain)}

    def rel_properties(self, rel_type: str) -> dict[str, PropertyDef]:
        """The properties a relationship of this type may carry."""
        return {p.name: p for p in self.properties.values() if rel_type in p.domain}

    def labels_with(self, prop: PropertyDef) -> list[str]:
        """The key labels whose nodes may carry ``prop`` (used for indexes)."""
        labels = set()
        for cls in self.classes.values():
            if cls.materialized and prop.name in self.node_properties(cls.name):
                labels.add(self.merge_label(cls.name))
        return sorted(labels)

    # -- relationships ---------------------------------------------------------------
    def check_relationship(self, rel_type: str, start: str, end: str) -> RelationshipDef:
        """The relationship type, checked for the labels at its ends."""
        rel = self.relationships.get(rel_type)
        if rel is None:
            raise OntologyError(
                f"unknown relationship type {rel_type!r}.{_suggest(rel_type, self.relationships)}"
            )
        self.check_label(start)
        self.check_label(end)
        if not any(self.is_a(start, c) for c in rel.domain):
            raise OntologyError(
                f"{rel_type} cannot start at {start}: the ontology allows {', '.join(rel.domain)}"
            )
        if not any(self.is_a(end, c) for c in rel.range):
            raise OntologyError(
                f"{rel_type} cannot end at {end}: the ontology allows {', '.join(rel.range)}"
            )
        return rel

    # -- values ----------------------------------------------------------------------
    def coerce(self, prop: PropertyDef, value: Any, where: str) -> Any:
        """``value`` converted to the property's datatype, or an OntologyError saying why not."""
        if prop.is_list:
            if not isinstance(value, (list, tuple)):
                raise OntologyError(f"{where}.{prop.name} must be a list, got {value!r}")
            return [self._scalar(prop, item, where) for item in value]
        if isinstance(value, (list, tuple)):
            raise OntologyError(f"{where}.{prop.name} must be a single value, got a list")
        return self._scalar(prop, value, where)

    @staticmethod
    def _scalar(prop: PropertyDef, value: Any, where: str) -> Any:  # noqa: C901
        bad = OntologyError(
            f"{where}.{prop.name} must be of type {prop.datatype}, got {value!r}"
        )
        kind = prop.datatype
        try:
            if kind == "string":
                if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                    raise bad
                return str(value)
            if kind == "integer":
                if isinstance(value, bool):
                    raise bad
                if isinstance(value, float) and not value.is_integer():
                    raise bad
                return int(value)
            if kind == "double":
                if isinstance(value, bool):
                    raise bad
                number = float(value)
                if math.isnan(number) or math.isinf(number):
                    raise bad
                return number
            if kind == "boolean":
                if isinstance(value, bool):
                    return value
                if str(value).lower() in {"true", "false"}:
                    return str(value).lower() == "true"
                raise bad
            if kind == "date":
                if isinstance(value, datetime):
                    raise bad
                return value if isinstance(value, date) else date.fromisoformat(str(value))
            stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            return stamp if stamp.tzinfo else stamp.replace(tzinfo=CITY_TIMEZONE)
        except (TypeError, ValueError) as exc:
            raise bad from exc

    def _coerce_all(
        self, props: dict[str, Any], allowed: dict[str, PropertyDef], where: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in props.items():
            prop = allowed.get(name)
            if prop is None:
                raise OntologyError(
                    f"unknown property {name!r} on {where}.{_suggest(name, allowed)}"
                )
            if value is not None:
                out[name] = self.coerce(prop, value, where)
        return out

    def validate_node(self, record: NodeRecord) -> ValidNode:
        """The node checked and typed, or an OntologyError naming what is wrong."""
        self.check_label(record.label)
        key = self.key_of(record.label)
        allowed = self.node_properties(record.label)
        props = self._coerce_all(record.properties, allowed, record.label)
        key_value = props.get(key)
        if key_value in (None, ""):
            raise OntologyError(f"{record.label} node is missing its key property {key!r}")
        return ValidNode(
            merge_label=self.merge_label(record.label),
            labels=self.labels_for(record.label),
            key=key,
            key_value=str(key_value),
            properties=props,
        )

    def validate_rel(self, record: RelRecord) -> ValidRel:
        """The relationship checked and typed, or an OntologyError naming what is wrong."""
        rel = self.check_relationship(record.type, record.start.label, record.end.label)
        props = self._coerce_all(record.properties, self.rel_properties(record.type), record.type)
        if rel.edge_key and props.get(rel.edge_key) is None:
            raise OntologyError(f"{record.type} relationship is missing {rel.edge_key!r}")
        return ValidRel(
            type=record.type,
            start_label=self.merge_label(record.start.label),
            start_key=record.start.key,
            end_label=self.merge_label(record.end.label),
            end_key=record.end.key,
            edge_key=rel.edge_key,
            properties=props,
        )


@lru_cache(maxsize=1)
def load_ontology() -> Ontology:
    """The project's ontology, parsed once per process from ``kg/ontology.ttl``."""
    text = resources.files("kg").joinpath("ontology.ttl").read_text(encoding="utf-8")
    graph = Graph()
    graph.parse(data=text, format="turtle")
    return Ontology(graph)
