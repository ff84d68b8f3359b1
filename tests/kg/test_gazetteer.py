"""The gazetteer: pure tests over the demo city's records, and one against a real Neo4j."""

from __future__ import annotations

from collections import Counter

import pytest

from ingest.demo import government
from kg.gazetteer import Gazetteer, GazetteerEntry, gazetteer_from_bundle, load_gazetteer
from kg.records import GraphBundle
from kg.store import GraphStore


@pytest.fixture(scope="module")
def bundle() -> GraphBundle:
    return government.build(government.DATA_DIR)


@pytest.fixture(scope="module")
def gazetteer(bundle: GraphBundle) -> Gazetteer:
    return gazetteer_from_bundle(bundle)


def test_every_region_and_landmark_of_the_demo_city_is_there(gazetteer: Gazetteer) -> None:
    counts = Counter(entry.level for entry in gazetteer.entries)
    assert counts == {"city": 1, "district": 6, "street": 24, "community": 93, "landmark": 50}
    assert len(gazetteer.by_id) == len(gazetteer.entries)


def test_entries_come_top_down_and_by_id(gazetteer: Gazetteer) -> None:
    keys = [(entry.depth, entry.id) for entry in gazetteer.entries]
    assert keys == sorted(keys)


def _chain_ok(entry: GazetteerEntry, gazetteer: Gazetteer) -> bool:
    parent = gazetteer.get(entry.parent_id)
    if entry.level == "district":
        return entry.district_id == entry.id and parent is not None and parent.level == "city"
    if parent is None or (parent.depth != entry.depth - 1 and entry.level != "landmark"):
        return False
    own = {"street": "street_id", "community": "community_id"}.get(entry.level)
    if own and getattr(entry, own) != entry.id:
        return False
    # Everything above the parent is the parent's chain.
    return all(
        getattr(entry, level) == (getattr(parent, level) or parent.id)
        for level in ("district_id", "street_id", "community_id")[: parent.depth]
    )


def test_every_entry_below_the_city_has_its_full_chain(gazetteer: Gazetteer) -> None:
    broken = [e.id for e in gazetteer.entries if e.level != "city" and not _chain_ok(e, gazetteer)]
    assert broken == []
    for entry in gazetteer.at_level("landmark"):
        assert entry.community_id and entry.street_id and entry.district_id
        assert entry.parent_id == entry.community_id
        community = gazetteer.by_id[entry.community_id]
        assert (community.street_id, community.district_id) == (entry.street_id, entry.district_id)


def test_names_aliases_and_coordinates_are_kept(gazetteer: Gazetteer) -> None:
    district = gazetteer.by_id["R01-02"]
    assert (district.name, district.aliases, district.level) == ("滨江区", ("滨江",), "district")
    park = gazetteer.by_id["L011"]
    assert park.name == "澜江公园"
    assert park.aliases == ("江滨公园", "澜江滨江公园")
    assert (park.community_id, park.street_id, park.district_id) == (
        "R01-01-03-04", "R01-01-03", "R01-01",
    )
    assert park.lat == pytest.approx(30.2085)
    assert park.lon == pytest.approx(120.1862)
    assert park.surfaces == ("澜江公园", "江滨公园", "澜江滨江公园")


def test_derived_structures_are_built_once_per_gazetteer(gazetteer: Gazetteer) -> None:
    calls: list[int] = []

    def build(g: Gazetteer) -> int:
        calls.append(1)
        return len(g.entries)

    copy = Gazetteer(entries=list(gazetteer.entries))
    assert copy.derived("test.count", build) == copy.derived("test.count", build) == 174
    assert calls == [1]
    # The cache is not part of the value: a used and an unused gazetteer still compare equal.
    assert copy == Gazetteer(entries=list(gazetteer.entries))


def test_locations_outside_any_community_are_left_out() -> None:
    bundle = GraphBundle()
    city = bundle.node("City", id="C", name="城")
    district = bundle.node("District", id="D", name="区")
    bundle.rel("PART_OF", district, city)
    bundle.node("Location", id="L", name="无主之地")
    assert [e.id for e in gazetteer_from_bundle(bundle).entries] == ["C", "D"]


def test_load_gazetteer_reads_the_same_from_neo4j(graph: GraphStore, gazetteer: Gazetteer) -> None:
    graph.write_bundle(government.build(government.DATA_DIR))
    loaded = load_gazetteer(graph)
    assert sorted(loaded.entries, key=lambda e: e.id) == sorted(
        gazetteer.entries, key=lambda e: e.id
    )
