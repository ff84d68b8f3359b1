"""The graph's companies, funds, products and persons as entity resolution needs them.

Besides names and aliases, a person's record carries what can tell homonyms apart: the
companies and funds they are tied to (shareholdings, control, legal representation, office),
their birth year, ID number and address.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from kg.store import GraphStore

RESOLVED_LABELS = ("Company", "Bank", "Fund", "Product", "Person")

_RECORDS = (
    "MATCH (n) WHERE (n:Company OR n:Fund OR n:Product OR n:Person) AND n.name IS NOT NULL "
    "OPTIONAL MATCH (n)-[:HOLDS_SHARES|CONTROLS|IS_LEGAL_REP|SERVES_AS|MANAGES]-(m) "
    "WHERE m:Company OR m:Fund OR m:Person "
    "WITH n, collect(DISTINCT m.name) AS names, collect(coalesce(m.aliases, [])) AS aliases "
    "RETURN n.id AS id, [l IN labels(n) WHERE l IN $labels][0] AS label, n.name AS name, "
    "coalesce(n.aliases, []) AS aliases, names + reduce(a = [], x IN aliases | a + x) AS linked, "
    "n.birth_year AS birth_year, n.id_number AS id_number, n.address AS address"
)


class EntityRecord(BaseModel):
    """What entity resolution knows of one graph entity."""

    id: str
    label: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    linked: list[str] = Field(default_factory=list,
                              description="names and aliases of the entities it is tied to")
    birth_year: int | None = None
    id_number: str | None = None
    address: str | None = None


def read_entity_records(store: GraphStore) -> list[EntityRecord]:
    """Every company, fund, product and person of the graph, with its ties' names."""
    return [EntityRecord.model_validate(row)
            for row in store.read(_RECORDS, labels=list(RESOLVED_LABELS))]
