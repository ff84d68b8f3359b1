"""The gazetteer: every named place of the graph with its full administrative chain.

Address normalisation (``nlu``) matches what a caller says against the city's regions and
landmarks. It needs, for every City, District, Street and Community, and every Location
with the community it is LOCATED_IN, the names, aliases and the ids of the chain above it.
:func:`load_gazetteer` reads that from Neo4j in two read queries;
:func:`gazetteer_from_bundle` builds the same thing from records, so tests and the NLU can
work without a database. Both give entries in the same order, so the two compare equal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from kg.records import GraphBundle
from kg.store import GraphStore

Level = Literal["city", "district", "street", "community", "landmark"]
T = TypeVar("T")

# Neo4j label -> gazetteer level, top down; the order also sorts the entries.
REGION_LEVELS: dict[str, Level] = {
    "City": "city",
    "District": "district",
    "Street": "street",
    "Community": "community",
}
LANDMARK_LABEL = "Location"
_LEVEL_ORDER: dict[str, int] = {
    "city": 0,
    "district": 1,
    "street": 2,
    "community": 3,
    "landmark": 4,
}

_REGIONS_QUERY = (
    "MATCH (r) WHERE r:City OR r:District OR r:Street OR r:Community "
    "OPTIONAL MATCH (r)-[:PART_OF]->(p) WHERE p:City OR p:District OR p:Street "
    "RETURN [label IN labels(r) WHERE label IN $levels][0] AS label, r.id AS id, "
    "r.name AS name, coalesce(r.aliases, []) AS aliases, r.lat AS lat, r.lon AS lon, "
    "p.id AS parent_id"
)
_LANDMARKS_QUERY = (
    "MATCH (l:Location)-[:LOCATED_IN]->(c:Community) "
    "RETURN $landmark AS label, l.id AS id, l.name AS name, "
    "coalesce(l.aliases, []) AS aliases, l.lat AS lat, l.lon AS lon, c.id AS parent_id"
)


class GazetteerEntry(BaseModel):
    """One named place: a region or a landmark, with the ids of its administrative chain.

    ``district_id``/``street_id``/``community_id`` name the place itself at its own level
    and its ancestors above it, so that a match on any entry yields the whole chain.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    level: Level
    parent_id: str | None = None
    district_id: str | None = None
    street_id: str | None = None
    community_id: str | None = None
    lat: float | None = None
    lon: float | None = None

    @property
    def depth(self) -> int:
        """0 for the city, 1 district, 2 street, 3 community, 4 landmark."""
        return _LEVEL_ORDER[self.level]

    @property
    def surfaces(self) -> tuple[str, ...]:
        """The name followed by the aliases, without duplicates or blanks."""
        seen: dict[str, None] = {}
        for text in (self.name, *self.aliases):
            if text and text.strip():
                seen.setdefault(text.strip(), None)
        return tuple(seen)


class Gazetteer(BaseModel):
    """The named places of one city, ordered by level and id.

    Lookup structures derived from the entries are built once per instance and cached on
    it (:meth:`derived`), so callers such as the address normaliser pay for them once.
    """

    entries: list[GazetteerEntry] = Field(default_factory=list)

    @cached_property
    def by_id(self) -> dict[str, GazetteerEntry]:
        """Entries by id."""
        return {entry.id: entry for entry in self.entries}

    @cached_property
    def _derived_cache(self) -> dict[str, Any]:
        return {}

    def get(self, entry_id: str | None) -> GazetteerEntry | None:
        """The entry with ``entry_id``, or None (also for a None id)."""
        return self.by_id.get(entry_id) if entry_id else None

    def at_level(self, level: Level) -> list[GazetteerEntry]:
        """The entries of one level, in gazetteer order."""
        return [entry for entry in self.entries if entry.level == level]

    def derived(self, key: str, build: Callable[[Gazetteer], T]) -> T:
        """A structure built from this gazetteer by ``build``, computed once and cached here.

        The cache lives on the instance (not in a module), so it goes away with the
        gazetteer and two gazetteers never share or leak state. Entries must not be changed
        after the first call.
        """
        cache = self._derived_cache
        if key not in cache:
            cache[key] = build(self)
        value: T = cache[key]
        return value


def _sort_key(entry: GazetteerEntry) -> tuple[int, str]:
    return (entry.depth, entry.id)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _assemble(rows: Iterable[dict[str, Any]]) -> Gazetteer:
    """Entries from rows of ``label, id, name, aliases, lat, lon, parent_id``.

    The chain ids are computed by following parent ids, which must point at regions in the
    same rows; a place whose parent is missing keeps the part of the chain that is known.
    """
    rows = [row for row in rows if row.get("label") and row.get("id") is not None]
    levels: dict[str, Level] = {}
    parents: dict[str, str | None] = {}
    for row in rows:
        level = REGION_LEVELS.get(row["label"], "landmark")
        levels[str(row["id"])] = level
        parents[str(row["id"])] = None if row.get("parent_id") is None else str(row["parent_id"])
    entries = []
    for row in rows:
        entry_id = str(row["id"])
        chain: dict[str, str] = {}
        current: str | None = entry_id
        while current is not None and current in levels and len(chain) < len(_LEVEL_ORDER):
            level = levels[current]
            if level in ("district", "street", "community"):
                chain.setdefault(f"{level}_id", current)
            current = parents.get(current)
        entries.append(
            GazetteerEntry(
                id=entry_id,
                name=str(row.get("name") or entry_id),
                aliases=tuple(str(a) for a in row.get("aliases") or ()),
                level=levels[entry_id],
                parent_id=parents[entry_id],
                lat=_float(row.get("lat")),
                lon=_float(row.get("lon")),
                **chain,
            )
        )
    return Gazetteer(entries=sorted(entries, key=_sort_key))


def load_gazetteer(store: GraphStore) -> Gazetteer:
    """Every City/District/Street/Community and every Location in a Community, from Neo4j.

    Two read queries: the regions with their PART_OF parent, and the locations with the
    community they are LOCATED_IN; the chains are then assembled in Python.
    """
    rows = store.read(_REGIONS_QUERY, levels=list(REGION_LEVELS))
    rows += store.read(_LANDMARKS_QUERY, landmark=LANDMARK_LABEL)
    return _assemble(rows)


def gazetteer_from_bundle(bundle: GraphBundle) -> Gazetteer:
    """The same gazetteer as :func:`load_gazetteer`, built from records without a database.

    Uses the bundle's region nodes, Location nodes, PART_OF edges between regions and
    LOCATED_IN edges from a Location to a Community.
    """
    labels: dict[str, str] = {}
    rows: dict[str, dict[str, Any]] = {}
    for node in bundle.nodes:
        if node.label not in REGION_LEVELS and node.label != LANDMARK_LABEL:
            continue
        props = node.properties
        node_id = str(props["id"])
        labels[node_id] = node.label
        rows[node_id] = {
            "label": node.label,
            "id": node_id,
            "name": props.get("name"),
            "aliases": props.get("aliases") or [],
            "lat": props.get("lat"),
            "lon": props.get("lon"),
            "parent_id": None,
        }
    for rel in bundle.relationships:
        start, end = rel.start.key, rel.end.key
        if start not in rows:
            continue
        start_label, end_label = labels[start], labels.get(end)
        is_part_of = (
            rel.type == "PART_OF"
            and start_label in REGION_LEVELS
            and end_label in ("City", "District", "Street")
        )
        is_located_in = (
            rel.type == "LOCATED_IN" and start_label == LANDMARK_LABEL and end_label == "Community"
        )
        if is_part_of or is_located_in:
            rows[start]["parent_id"] = end
    # Like the LOCATED_IN match of load_gazetteer: a location outside any community is left out.
    kept = [row for row in rows.values() if row["label"] != LANDMARK_LABEL or row["parent_id"]]
    return _assemble(kept)
