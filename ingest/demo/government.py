"""The government domain of the demo city 「滨江市」, read from the YAML files in ``data/``.

``build`` turns the hand-written YAML (regions and landmarks, departments, the 12345
category tree, policies, service items and knowledge entries) into one
:class:`~kg.records.GraphBundle`. Every entry is checked for its required fields and for
references to ids that exist, so a typo in a data file fails loudly with the file and the
entry id instead of producing a dangling relationship in the graph.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ingest.demo.data_files import DATA_DIR, load_yaml
from kg.errors import DataValidationError
from kg.records import GraphBundle, NodeRef

logger = logging.getLogger(__name__)


REGIONS_FILE = "regions.yaml"
DEPARTMENTS_FILE = "departments.yaml"
CATEGORIES_FILE = "categories.yaml"
KNOWLEDGE_GLOB = "government_knowledge*.yaml"

DEFAULT_SCHEME = "hotline"
DEFAULT_DOMAIN = "政务"
LEVEL_L1 = "一级"
LEVEL_L2 = "二级"

Entry = dict[str, Any]

_REGION_FIELDS = ("id", "name", "code", "lat", "lon", "population")
_LANDMARK_FIELDS = ("id", "name", "kind", "community", "address", "lat", "lon")
_DEPARTMENT_FIELDS = ("id", "name", "level", "duties", "phone", "address")
_L1_FIELDS = ("id", "name", "children")
_L2_FIELDS = ("id", "name", "keywords", "description", "handled_by")
_POLICY_FIELDS = ("id", "name", "doc_number", "issued_on", "valid_from", "content", "issued_by")
_SERVICE_FIELDS = (
    "id", "name", "department", "category", "conditions", "materials", "time_limit_days", "fee",
)
_KNOWLEDGE_FIELDS = (
    "id", "question", "answer", "paraphrases", "keywords", "source", "valid_from",
    "department", "category",
)


@dataclass
class _Context:
    """What the builder has seen so far: references by id, to resolve links between files."""

    bundle: GraphBundle = field(default_factory=GraphBundle)
    refs: dict[str, NodeRef] = field(default_factory=dict)

    def add(self, where: str, label: str, props: Entry) -> NodeRef:
        """Add a node, refusing a second node with the same id anywhere in the bundle."""
        node_id = str(props["id"])
        if node_id in self.refs:
            raise DataValidationError(f"{where}: duplicate id {node_id!r}")
        ref = self.bundle.node(label, **{k: v for k, v in props.items() if v is not None})
        self.refs[node_id] = ref
        return ref

    def ref(self, where: str, entry_id: str, target: Any, *labels: str) -> NodeRef:
        """The reference to ``target``, which must exist and carry one of ``labels``."""
        found = self.refs.get(str(target))
        if found is None or (labels and found.label not in labels):
            wanted = "/".join(labels) or "node"
            raise DataValidationError(
                f"{where}: entry {entry_id!r} refers to unknown {wanted} {target!r}"
            )
        return found


# -- reading and checking ---------------------------------------------------------------
def _entries(data: Entry, key: str, where: str, required: bool = True) -> list[Entry]:
    """The list under ``key``: each item must be a mapping."""
    items = data.get(key)
    if items is None and not required:
        return []
    if not isinstance(items, list):
        raise DataValidationError(f"{where}: expected a list under {key!r}")
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            raise DataValidationError(f"{where}: item {position} under {key!r} is not a mapping")
    return items


def _require(entry: Entry, fields: Iterable[str], where: str) -> None:
    """Raise a DataValidationError naming the file and entry id if a field is missing."""
    entry_id = entry.get("id", "<no id>")
    for name in fields:
        value = entry.get(name)
        if value is None or value == "" or value == []:
            raise DataValidationError(
                f"{where}: entry {entry_id!r} is missing required field {name!r}"
            )


def _as_list(entry: Entry, name: str, where: str) -> list[Any]:
    """A field that may be written as one value or a list, returned as a list."""
    value = entry.get(name)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, (str, int)):
        return [value]
    raise DataValidationError(
        f"{where}: entry {entry.get('id')!r} field {name!r} must be a value or a list"
    )


def _strings(entry: Entry, name: str, where: str) -> list[str]:
    """A list-of-strings field, checked item by item (bare numbers such as 120 become text)."""
    items: list[str] = []
    for item in _as_list(entry, name, where):
        if isinstance(item, int) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            raise DataValidationError(
                f"{where}: entry {entry.get('id')!r} field {name!r} holds a non-text item"
            )
        items.append(item)
    return items


def _date(entry: Entry, name: str, where: str) -> date | None:
    """A date field: YAML gives a ``date`` for ISO dates; strings are parsed."""
    value = entry.get(name)
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise DataValidationError(
            f"{where}: entry {entry.get('id')!r} field {name!r} is not a date: {value!r}"
        ) from exc


def _number(entry: Entry, name: str, where: str) -> float:
    """A numeric field (coordinates), refusing text and booleans."""
    value = entry.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DataValidationError(
            f"{where}: entry {entry.get('id')!r} field {name!r} must be a number"
        )
    return float(value)


# -- regions and landmarks --------------------------------------------------------------
_REGION_LABELS = ("City", "District", "Street", "Community")
_REGION_CHILDREN = ("districts", "streets", "communities", None)


def _region_props(entry: Entry, where: str) -> Entry:
    _require(entry, _REGION_FIELDS, where)
    return {
        "id": str(entry["id"]),
        "name": entry["name"],
        "aliases": _strings(entry, "aliases", where),
        "level": entry.get("level"),
        "code": str(entry["code"]),
        "lat": _number(entry, "lat", where),
        "lon": _number(entry, "lon", where),
        "population": entry["population"],
        "description": entry.get("description"),
    }


def _add_region(ctx: _Context, entry: Entry, depth: int, parent: NodeRef | None,
                where: str) -> None:
    """Add one region and, recursively, the regions below it (PART_OF child -> parent)."""
    ref = ctx.add(where, _REGION_LABELS[depth], _region_props(entry, where))
    if parent is not None:
        ctx.bundle.rel("PART_OF", ref, parent)
    child_key = _REGION_CHILDREN[depth]
    if child_key is None:
        return
    children = _entries(entry, child_key, f"{where} ({entry['id']})")
    if not children:
        raise DataValidationError(f"{where}: entry {entry['id']!r} has no {child_key}")
    for child in children:
        _add_region(ctx, child, depth + 1, ref, where)


def _add_regions(ctx: _Context, path: Path) -> None:
    """The city, its districts, streets, communities and the landmarks in them."""
    where = str(path)
    data = load_yaml(path)
    city = data.get("city")
    if not isinstance(city, dict):
        raise DataValidationError(f"{where}: expected a mapping under 'city'")
    _add_region(ctx, city, 0, None, where)
    for entry in _entries(data, "landmarks", where):
        _require(entry, _LANDMARK_FIELDS, where)
        community = ctx.ref(where, entry["id"], entry["community"], "Community")
        ref = ctx.add(where, "Location", {
            "id": str(entry["id"]),
            "name": entry["name"],
            "aliases": _strings(entry, "aliases", where),
            "kind": entry["kind"],
            "address": entry["address"],
            "lat": _number(entry, "lat", where),
            "lon": _number(entry, "lon", where),
            "description": entry.get("description"),
        })
        ctx.bundle.rel("LOCATED_IN", ref, community)


# -- departments ------------------------------------------------------------------------
def _add_departments(ctx: _Context, path: Path) -> None:
    """Departments with their parents, the regions they govern and where they sit."""
    where = str(path)
    entries = _entries(load_yaml(path), "departments", where)
    for entry in entries:
        _require(entry, _DEPARTMENT_FIELDS, where)
        ctx.add(where, "Department", {
            "id": str(entry["id"]),
            "name": entry["name"],
            "aliases": _strings(entry, "aliases", where),
            "level": entry["level"],
            "duties": entry["duties"],
            "phone": str(entry["phone"]),
            "address": entry["address"],
            "description": entry.get("description"),
        })
    # Links come second so that a department may name a parent listed after it.
    for entry in entries:
        ref = ctx.refs[str(entry["id"])]
        for parent in _as_list(entry, "parent", where):
            ctx.bundle.rel("SUBORDINATE_TO", ref, ctx.ref(where, entry["id"], parent,
                                                          "Department"))
        for region in _as_list(entry, "jurisdiction", where):
            ctx.bundle.rel("JURISDICTION_OVER", ref, ctx.ref(where, entry["id"], region,
                                                             *_REGION_LABELS))
        if entry.get("district") is not None:
            ctx.bundle.rel("LOCATED_IN", ref, ctx.ref(where, entry["id"], entry["district"],
                                                      "District"))


# -- categories -------------------------------------------------------------------------
def _add_categories(ctx: _Context, path: Path) -> None:
    """The two-level category tree (SUBCATEGORY_OF) and the departments that handle it."""
    where = str(path)
    data = load_yaml(path)
    scheme = str(data.get("scheme") or DEFAULT_SCHEME)
    for top in _entries(data, "categories", where):
        _require(top, _L1_FIELDS, where)
        parent = ctx.add(where, "Category", _category_props(top, scheme, LEVEL_L1, where))
        _add_handlers(ctx, top, parent, where)
        for child in _entries(top, "children", f"{where} ({top['id']})"):
            _require(child, _L2_FIELDS, where)
            ref = ctx.add(where, "Category", _category_props(child, scheme, LEVEL_L2, where))
            ctx.bundle.rel("SUBCATEGORY_OF", ref, parent)
            _add_handlers(ctx, child, ref, where)


def _category_props(entry: Entry, scheme: str, level: str, where: str) -> Entry:
    return {
        "id": str(entry["id"]),
        "name": entry["name"],
        "aliases": _strings(entry, "aliases", where),
        "scheme": scheme,
        "level": level,
        "code": str(entry.get("code") or entry["id"]),
        "keywords": _strings(entry, "keywords", where),
        "description": entry.get("description"),
    }


def _add_handlers(ctx: _Context, entry: Entry, category: NodeRef, where: str) -> None:
    """HANDLES edges in the order written: rank 1 is the lead department."""
    for rank, dept in enumerate(_as_list(entry, "handled_by", where), start=1):
        ref = ctx.ref(where, entry["id"], dept, "Department")
        ctx.bundle.rel("HANDLES", ref, category, rank=rank)


# -- policies, service items and knowledge entries --------------------------------------
def _knowledge_files(data_dir: Path) -> list[Path]:
    files = sorted(data_dir.glob(KNOWLEDGE_GLOB))
    if not files:
        raise DataValidationError(f"{data_dir / KNOWLEDGE_GLOB}: no knowledge files found")
    return files


def _sections(files: Iterable[Path]) -> Iterator[tuple[str, str, Entry]]:
    """Every (section, file, entry) of the knowledge files, policies first."""
    loaded = [(str(path), load_yaml(path)) for path in files]
    for section in ("policies", "service_items", "entries"):
        for where, data in loaded:
            for entry in _entries(data, section, where, required=False):
                yield section, where, entry


def _link_categories(ctx: _Context, entry: Entry, ref: NodeRef, name: str, where: str) -> None:
    for category in _as_list(entry, name, where):
        ctx.bundle.rel("ABOUT", ref, ctx.ref(where, entry["id"], category, "Category"))


def _link_policies(ctx: _Context, entry: Entry, ref: NodeRef, where: str) -> None:
    for policy in _as_list(entry, "policy", where):
        ctx.bundle.rel("BASED_ON", ref, ctx.ref(where, entry["id"], policy, "Policy"))


def _add_policy(ctx: _Context, entry: Entry, where: str) -> None:
    _require(entry, _POLICY_FIELDS, where)
    ref = ctx.add(where, "Policy", {
        "id": str(entry["id"]),
        "name": entry["name"],
        "aliases": _strings(entry, "aliases", where),
        "doc_number": entry["doc_number"],
        "issued_on": _date(entry, "issued_on", where),
        "valid_from": _date(entry, "valid_from", where),
        "valid_to": _date(entry, "valid_to", where),
        "content": entry["content"],
        "description": entry.get("description"),
    })
    for dept in _as_list(entry, "issued_by", where):
        ctx.bundle.rel("ISSUED_BY", ref, ctx.ref(where, entry["id"], dept, "Department"))
    _link_categories(ctx, entry, ref, "categories", where)


def _add_service_item(ctx: _Context, entry: Entry, where: str) -> None:
    _require(entry, _SERVICE_FIELDS, where)
    days = entry["time_limit_days"]
    if isinstance(days, bool) or not isinstance(days, int):
        raise DataValidationError(
            f"{where}: entry {entry['id']!r} field 'time_limit_days' must be an integer"
        )
    ref = ctx.add(where, "ServiceItem", {
        "id": str(entry["id"]),
        "name": entry["name"],
        "aliases": _strings(entry, "aliases", where),
        "description": entry.get("description"),
        "conditions": entry["conditions"],
        "materials": _strings(entry, "materials", where),
        "time_limit_days": days,
        "fee": str(entry["fee"]),
    })
    ctx.bundle.rel("PROVIDED_BY", ref, ctx.ref(where, entry["id"], entry["department"],
                                               "Department"))
    _link_categories(ctx, entry, ref, "category", where)
    _link_policies(ctx, entry, ref, where)


def _add_knowledge(ctx: _Context, entry: Entry, where: str) -> None:
    _require(entry, _KNOWLEDGE_FIELDS, where)
    ref = ctx.add(where, "KnowledgeEntry", {
        "id": str(entry["id"]),
        # No default name: questions would flood the entity_names index used for linking.
        "name": entry.get("name"),
        "question": entry["question"],
        "answer": entry["answer"],
        "paraphrases": _strings(entry, "paraphrases", where),
        "keywords": _strings(entry, "keywords", where),
        "source": entry["source"],
        "valid_from": _date(entry, "valid_from", where),
        "valid_to": _date(entry, "valid_to", where),
        "domain": entry.get("domain") or DEFAULT_DOMAIN,
    })
    for dept in _as_list(entry, "department", where):
        ctx.bundle.rel("PROVIDED_BY", ref, ctx.ref(where, entry["id"], dept, "Department"))
    _link_categories(ctx, entry, ref, "category", where)
    _link_policies(ctx, entry, ref, where)


_SECTION_BUILDERS = {
    "policies": _add_policy,
    "service_items": _add_service_item,
    "entries": _add_knowledge,
}


def build(data_dir: Path = DATA_DIR) -> GraphBundle:
    """Read the government YAML files in ``data_dir`` and return them as one graph bundle.

    Regions come first, then departments, categories and finally policies, service items
    and knowledge entries, so that each file may refer to ids defined by the ones before
    it. Raises :class:`DataValidationError` naming the file and entry id for a missing
    file, a missing required field, a duplicate id or a reference to an unknown id.
    """
    data_dir = Path(data_dir)
    ctx = _Context()
    _add_regions(ctx, data_dir / REGIONS_FILE)
    _add_departments(ctx, data_dir / DEPARTMENTS_FILE)
    _add_categories(ctx, data_dir / CATEGORIES_FILE)
    for section, where, entry in _sections(_knowledge_files(data_dir)):
        _SECTION_BUILDERS[section](ctx, entry, where)
    logger.info(
        "government demo data: %d nodes, %d relationships from %s",
        len(ctx.bundle.nodes), len(ctx.bundle.relationships), data_dir,
    )
    return ctx.bundle
