"""Facts a question asks about the entities a template listed, added beside them.

A template answers the question's relation (「1970年出生的王芳担任法人的公司」); the question
often also asks something of each entity found (「现在什么状态」, 「这家公司在哪个区」). The
properties of the listed entities' classes that the question names (by the ontology's Chinese
labels) and their district are read by id and added as columns; the rows themselves never
change.
"""

from __future__ import annotations

import re
from typing import Any

from bots.text2cypher.frame_parser import asked_properties, property_words
from bots.text2cypher.frames import plain_label
from bots.text2cypher.vocabulary import GraphVocabulary
from kg.store import GraphStore

ID_COLUMN = "编号"
_LISTED_LABELS = ("LoanProduct", "Company", "Person", "Fund", "Product", "RiskEvent")
_DISTRICT_ASKED = re.compile(r"哪个区|哪一个区|什么区|哪个区县|所在区|所属区|区县")
_DISTRICT_COLUMN = "区县"


def with_asked_columns(store: GraphStore, text: str, columns: list[str],
                       rows: list[list[Any]], vocabulary: GraphVocabulary
                       ) -> tuple[list[str], list[list[Any]]]:
    """``columns`` and ``rows`` with a column for each property of the listed entities that
    the (normalised) question names, or one of whose values it names (「吊销或者注销了」
    adds the status, which the rows are then kept to), a person's birth year (which tells
    same-name persons apart), and their district when it asks where they are; unchanged when
    the rows carry no entity ids."""
    if ID_COLUMN not in columns or not rows:
        return columns, rows
    at = columns.index(ID_COLUMN)
    ids = [row[at] for row in rows]
    found = store.read(
        "MATCH (n) WHERE n.id IN $ids "
        "OPTIONAL MATCH (n)-[:LOCATED_IN]->(r) OPTIONAL MATCH (r)-[:PART_OF]->(d:District) "
        "RETURN n.id AS id, labels(n) AS labels, properties(n) AS props, "
        "coalesce(d.name, r.name) AS district", ids=ids)
    if not found:
        return columns, rows
    labels = dict.fromkeys(lab for r in found for lab in _LISTED_LABELS if lab in r["labels"])
    ontology = store.ontology
    added: dict[str, str] = {}
    for label in labels:
        props = ontology.node_properties(label)
        asked = asked_properties(text, label, ontology, property_words(ontology, label))
        valued = [prop for prop, values in vocabulary.values.get(label, {}).items()
                  if any(len(v) >= 2 and v in text for v in values)]
        shown = ["birth_year"] if label == "Person" else []
        for name in dict.fromkeys([*asked, *valued, *shown]):
            title = plain_label(props[name].label_zh)
            if not any(title in column for column in columns):
                added.setdefault(name, title)
    by_id = {r["id"]: r for r in found}
    extra = list(added.values())
    district = (_DISTRICT_ASKED.search(text) is not None and _DISTRICT_COLUMN not in columns
                and any(r["district"] for r in found))
    if district:
        extra.append(_DISTRICT_COLUMN)
    if not extra:
        return columns, rows
    widened = []
    for row, entity_id in zip(rows, ids, strict=True):
        fact = by_id.get(entity_id)
        cells = [fact["props"].get(name) if fact else None for name in added]
        if district:
            cells.append(fact["district"] if fact else None)
        widened.append([*row, *cells])
    return columns + extra, widened
