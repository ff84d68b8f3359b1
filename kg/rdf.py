"""RDF export and import of the graph with the ontology's IRIs (Turtle and JSON-LD).

Nodes become resources typed with their ontology classes; properties become typed literals
(lists become RDF collections, so their order survives); a relationship becomes a triple
and, when it carries properties, also a reified ``rdf:Statement`` holding them, so a round
trip keeps every relationship, parallel ones included.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from pathlib import Path
from typing import Any
from typing import Literal as TypingLiteral
from urllib.parse import quote

from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.plugin import register
from rdflib.plugins.serializers.turtle import TurtleSerializer
from rdflib.serializer import Serializer
from rdflib.term import Node

from kg.errors import OntologyError, RdfFormatError
from kg.ontology import CA, Ontology, PropertyDef
from kg.records import GraphBundle, NodeRecord, NodeRef, RelRecord
from kg.store import GraphStore, WriteSummary

log = logging.getLogger(__name__)

DATA = Namespace("https://cityagent.dev/id/")
RdfFormat = TypingLiteral["turtle", "json-ld"]
_XSD = {
    "string": XSD.string,
    "integer": XSD.integer,
    "double": XSD.double,
    "boolean": XSD.boolean,
    "date": XSD.date,
    "dateTime": XSD.dateTime,
}
_SUFFIX_FORMATS: dict[str, RdfFormat] = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".jsonld": "json-ld",
    ".json-ld": "json-ld",
    ".json": "json-ld",
}


class ExactTurtleSerializer(TurtleSerializer):
    """Turtle that keeps every digit of an xsd:double.

    rdflib's Turtle writer shortens doubles to six significant digits (RDFLib issue #1852),
    which would move a coordinate by up to a hundred metres; this one writes them typed.
    """

    def label(self, node: Node, position: int) -> str:
        """The Turtle text of a node, with doubles in their full typed form."""
        if isinstance(node, Literal) and node.datatype == XSD.double:
            return node._literal_n3(
                use_plain=False, qname_callback=lambda dt: self.get_pname(dt, False)
            )
        return super().label(node, position)


register("cityagent-turtle", Serializer, "kg.rdf", "ExactTurtleSerializer")


def node_iri(label: str, key: str) -> URIRef:
    """The IRI of a node: its key label and its key, percent-encoded."""
    return DATA[f"{label}/{quote(key, safe='')}"]


def _literal(prop: PropertyDef, value: Any) -> Literal:
    return Literal(value, datatype=_XSD[prop.datatype])


def _add_property(graph: Graph, subject: Node, prop: PropertyDef, value: Any) -> None:
    if prop.is_list:
        head = BNode()
        Collection(graph, head, [_literal(prop, v) for v in value])
        graph.add((subject, CA[prop.name], head))
    else:
        graph.add((subject, CA[prop.name], _literal(prop, value)))


class RdfExporter:
    """Writes the graph held by a GraphStore as RDF."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.ontology = store.ontology

    def to_graph(self) -> Graph:
        """The whole graph as an rdflib Graph with the ontology's IRIs."""
        onto = self.ontology
        graph = Graph()
        graph.bind("ca", CA)
        graph.bind("id", DATA)
        for row in self.store.read("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props"):
            label = onto.most_specific(row["labels"])
            key_label = onto.merge_label(label)
            subject = node_iri(key_label, str(row["props"][onto.key_of(label)]))
            for name in onto.labels_for(label):
                graph.add((subject, RDF.type, CA[name]))
            allowed = onto.node_properties(label)
            for name, value in sorted(row["props"].items()):
                prop = allowed.get(name)
                if prop is None:
                    log.warning("not exported: %s.%s is not in the ontology", label, name)
                elif prop.exported:
                    _add_property(graph, subject, prop, value)
        rels = self.store.read(
            "MATCH (a)-[r]->(b) RETURN labels(a) AS a_labels, properties(a) AS a_props, "
            "type(r) AS type, properties(r) AS props, labels(b) AS b_labels, "
            "properties(b) AS b_props"
        )
        for row in rels:
            self._add_relationship(graph, row)
        return graph

    def _endpoint(self, labels: list[str], props: dict[str, Any]) -> URIRef:
        label = self.ontology.most_specific(labels)
        return node_iri(self.ontology.merge_label(label), str(props[self.ontology.key_of(label)]))

    def _add_relationship(self, graph: Graph, row: dict[str, Any]) -> None:
        rel_type = row["type"]
        subject = self._endpoint(row["a_labels"], row["a_props"])
        obj = self._endpoint(row["b_labels"], row["b_props"])
        graph.add((subject, CA[rel_type], obj))
        if not row["props"]:
            return
        edge_key = self.ontology.relationships[rel_type].edge_key
        tag = f"{subject}|{obj}|{row['props'].get(edge_key, '') if edge_key else ''}"
        statement = DATA[f"rel/{rel_type}/{hashlib.sha1(tag.encode()).hexdigest()[:16]}"]
        graph.add((statement, RDF.type, RDF.Statement))
        graph.add((statement, RDF.subject, subject))
        graph.add((statement, RDF.predicate, CA[rel_type]))
        graph.add((statement, RDF.object, obj))
        allowed = self.ontology.rel_properties(rel_type)
        for name, value in sorted(row["props"].items()):
            if name in allowed:
                _add_property(graph, statement, allowed[name], value)

    def export(self, path: Path, fmt: RdfFormat) -> int:
        """Write the graph to ``path`` in ``fmt``; returns the number of triples."""
        graph = self.to_graph()
        if fmt == "json-ld":
            context = {"ca": str(CA), "id": str(DATA), "xsd": str(XSD)}
            graph.serialize(destination=path, format="json-ld", context=context, indent=1)
        else:
            graph.serialize(destination=path, format="cityagent-turtle")
        return len(graph)


def format_for(path: Path, fmt: str | None = None) -> RdfFormat:
    """The RDF format named, or guessed from the file's suffix."""
    if fmt in ("turtle", "json-ld"):
        return fmt  # type: ignore[return-value]
    if fmt is not None:
        raise RdfFormatError(f"unknown RDF format {fmt!r}: use turtle or json-ld")
    guessed = _SUFFIX_FORMATS.get(path.suffix.lower())
    if guessed is None:
        raise RdfFormatError(
            f"cannot tell the RDF format of {path.name}: name it .ttl or .jsonld, or pass --format"
        )
    return guessed


class RdfImporter:
    """Reads RDF written with the ontology's IRIs back into graph records."""

    def __init__(self, ontology: Ontology) -> None:
        self.ontology = ontology

    def parse(self, path: Path, fmt: RdfFormat) -> Graph:
        """The file parsed into an rdflib Graph, or an RdfFormatError saying where it broke."""
        if not path.is_file():
            raise RdfFormatError(f"no such RDF file: {path}")
        graph = Graph()
        try:
            graph.parse(path, format=fmt)
        except Exception as exc:  # rdflib raises many parser-specific types
            raise RdfFormatError(f"{path.name} is not valid {fmt}: {exc}") from exc
        return graph

    def _value(self, graph: Graph, prop: PropertyDef, obj: Node, where: str) -> Any:
        if prop.is_list:
            if not isinstance(obj, (BNode, URIRef)):
                raise RdfFormatError(f"{where}: {prop.name} must be an RDF list")
            items = list(Collection(graph, obj))
            return [item.toPython() for item in items if isinstance(item, Literal)]
        if not isinstance(obj, Literal):
            raise RdfFormatError(f"{where}: {prop.name} must be a literal, got {obj}")
        return obj.toPython()

    def _properties(
        self, graph: Graph, subject: Node, allowed: dict[str, PropertyDef], where: str
    ) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for pred, obj in graph.predicate_objects(subject):
            if not isinstance(pred, URIRef) or not str(pred).startswith(str(CA)):
                continue
            name = str(pred).removeprefix(str(CA))
            if name in self.ontology.relationships:
                continue
            if name not in allowed:
                raise OntologyError(f"{where}: property {name!r} is not in the ontology here")
            props[name] = self._value(graph, allowed[name], obj, where)
        return props

    def to_bundle(self, graph: Graph) -> GraphBundle:
        """The nodes and relationships the RDF graph describes, validated against the ontology."""
        onto = self.ontology
        bundle = GraphBundle()
        refs: dict[Node, NodeRef] = {}
        types: dict[Node, list[str]] = defaultdict(list)
        for subject, cls in graph.subject_objects(RDF.type):
            if isinstance(cls, URIRef) and str(cls).startswith(str(CA)):
                types[subject].append(str(cls).removeprefix(str(CA)))
        for subject, labels in types.items():
            unknown = [label for label in labels if label not in onto.classes]
            if unknown:
                raise OntologyError(f"{subject}: unknown class(es) {', '.join(unknown)}")
            label = onto.most_specific(labels)
            props = self._properties(graph, subject, onto.node_properties(label), str(subject))
            key = props.get(onto.key_of(label))
            if key is None:
                raise RdfFormatError(f"{subject}: missing ca:{onto.key_of(label)}")
            bundle.nodes.append(NodeRecord(label=label, properties=props))
            refs[subject] = NodeRef(label=label, key=str(key))
        statements: dict[tuple[Node, str, Node], list[Node]] = defaultdict(list)
        for statement in graph.subjects(RDF.type, RDF.Statement):
            s = graph.value(statement, RDF.subject)
            p = graph.value(statement, RDF.predicate)
            o = graph.value(statement, RDF.object)
            if s is None or o is None or not isinstance(p, URIRef):
                raise RdfFormatError(f"{statement}: incomplete rdf:Statement")
            statements[(s, str(p).removeprefix(str(CA)), o)].append(statement)
        for rel_type in onto.relationships:
            for s, o in graph.subject_objects(CA[rel_type]):
                if s not in refs or o not in refs:
                    missing = s if s not in refs else o
                    raise RdfFormatError(f"{rel_type} points at {missing}, which has no ca: type")
                allowed = onto.rel_properties(rel_type)
                found: list[Node | None] = list(statements.get((s, rel_type, o), []))
                for stmt in found or [None]:
                    props = (
                        self._properties(graph, stmt, allowed, f"{rel_type} statement")
                        if stmt is not None
                        else {}
                    )
                    bundle.relationships.append(
                        RelRecord(type=rel_type, start=refs[s], end=refs[o], properties=props)
                    )
        return bundle

    def load(self, store: GraphStore, path: Path, fmt: RdfFormat) -> WriteSummary:
        """Parse, check and write an RDF file into the graph; a failed check writes nothing."""
        bundle = self.to_bundle(self.parse(path, fmt))
        log.info("importing %d nodes and %d relationships from %s",
                 len(bundle.nodes), len(bundle.relationships), path)
        return store.write_bundle(bundle)

