"""Readers of the demo city's YAML files, shared by every domain builder.

Every error they raise is a DataValidationError that names the file and the entry, so a
typo in the hand-written data is found at once and nothing is loaded half-way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from kg.errors import DataValidationError
from kg.records import NodeRef

#: The folder of the demo city's hand-written data files.
DATA_DIR = Path(__file__).resolve().parent / "data"
REGIONS_FILE = "regions.yaml"
DEPARTMENTS_FILE = "departments.yaml"
#: The labelled call files whose calls developers have read (CALLS.md): tuning data. A blind
#: file joins them only once its figures are taken.
SEEN_CALL_FILES = tuple(
    DATA_DIR / f"calls_{split}.jsonl"
    for split in (
        "dev", "test", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6",
        "holdout7", "holdout8", "holdout9", "holdout10", "holdout11", "holdout12", "holdout13",
        "holdout14", "holdout15", "holdout16", "holdout17", "holdout18", "holdout19",
    )
)


def load_yaml(path: Path) -> dict[str, Any]:
    """The mapping in a YAML file, or a DataValidationError naming the file and the problem."""
    if not path.is_file():
        raise DataValidationError(f"{path.name}: file not found at {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataValidationError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DataValidationError(f"{path.name}: the top level must be a mapping")
    return data


def entry_label(entry: Any, index: int) -> str:
    """How an error names one entry of a list: its id, key or name, else its position."""
    if isinstance(entry, Mapping):
        for key in ("id", "key", "name", "item"):
            if entry.get(key):
                return str(entry[key])
    return f"#{index + 1}"


class DemoFile:
    """One YAML file of the demo data, with accessors whose errors name the file and entry."""

    def __init__(self, data_dir: Path, name: str) -> None:
        self.name = name
        self.data = load_yaml(data_dir / name)

    def error(self, where: str, message: str) -> DataValidationError:
        """A DataValidationError about entry ``where`` of this file."""
        return DataValidationError(f"{self.name}: entry {where!r}: {message}")

    def section(self, key: str, kind: type = list) -> Any:
        """A required top-level section of the given type."""
        value = self.data.get(key)
        if not isinstance(value, kind):
            raise DataValidationError(
                f"{self.name}: section {key!r} is missing or not a {kind.__name__}"
            )
        return value

    def entries(self, key: str) -> list[tuple[str, dict[str, Any]]]:
        """The entries of a list section, each with the label errors use for it."""
        out = []
        for index, entry in enumerate(self.section(key)):
            label = entry_label(entry, index)
            if not isinstance(entry, dict):
                raise self.error(label, "must be a mapping")
            out.append((label, entry))
        return out

    def field(self, entry: Mapping[str, Any], key: str, where: str, kind: Any = None) -> Any:
        """A required field of an entry, optionally checked against a type (or tuple of types)."""
        value = entry.get(key)
        if value is None or value == "" or value == []:
            raise self.error(where, f"missing field {key!r}")
        if kind is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise self.error(where, f"field {key!r} has the wrong type: {value!r}")
        return value

    def date_field(self, entry: Mapping[str, Any], key: str, where: str) -> date:
        """A required date field (a YAML date or an ISO string)."""
        value = self.field(entry, key, where)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError as exc:
            raise self.error(where, f"field {key!r} is not a date: {value!r}") from exc

    def str_list(self, entry: Mapping[str, Any], key: str, where: str) -> list[str]:
        """A required non-empty list of non-empty strings."""
        value = self.field(entry, key, where, list)
        if not all(isinstance(item, str) and item for item in value):
            raise self.error(where, f"field {key!r} must be a list of strings")
        return list(value)


@dataclass(frozen=True)
class RegionInfo:
    """One region of regions.yaml: where it is and which district it belongs to."""

    id: str
    name: str
    label: str
    lat: float
    lon: float
    code: str
    district_id: str
    district_name: str
    parent_id: str | None

    def ref(self) -> NodeRef:
        """A reference to the region's node (built by government.py)."""
        return NodeRef(label=self.label, key=self.id)


class RegionIndex:
    """The regions of regions.yaml by id and by name, in file order."""

    def __init__(self, data_dir: Path) -> None:
        self.file = DemoFile(data_dir, REGIONS_FILE)
        self.regions: list[RegionInfo] = []
        self._by_key: dict[str, RegionInfo] = {}
        city = self.file.section("city", dict)
        city_id = str(self.file.field(city, "id", "city"))
        self._add(city, "City", city_id, "", None)
        for d_index, district in enumerate(self.file.field(city, "districts", city_id, list)):
            d_id = self._add(district, "District", "", "", city_id, d_index)
            d_name = str(district["name"])
            self._by_key[d_id] = self._with_district(self._by_key[d_id], d_id, d_name)
            for s_index, street in enumerate(self.file.field(district, "streets", d_id, list)):
                s_id = self._add(street, "Street", d_id, d_name, d_id, s_index)
                for c_index, community in enumerate(street.get("communities") or []):
                    self._add(community, "Community", d_id, d_name, s_id, c_index)
        self.regions = list(self._by_key.values())
        self._index_names()

    @staticmethod
    def _with_district(info: RegionInfo, d_id: str, d_name: str) -> RegionInfo:
        return RegionInfo(info.id, info.name, info.label, info.lat, info.lon, info.code,
                          d_id, d_name, info.parent_id)

    def _add(self, entry: Any, label: str, d_id: str, d_name: str, parent: str | None,
             index: int = 0) -> str:
        where = entry_label(entry, index)
        if not isinstance(entry, dict):
            raise self.file.error(where, "must be a mapping")
        rid = str(self.file.field(entry, "id", where))
        info = RegionInfo(
            id=rid,
            name=str(self.file.field(entry, "name", rid)),
            label=label,
            lat=float(self.file.field(entry, "lat", rid, (int, float))),
            lon=float(self.file.field(entry, "lon", rid, (int, float))),
            code=str(entry.get("code") or ""),
            district_id=d_id,
            district_name=d_name,
            parent_id=parent,
        )
        if rid in self._by_key:
            raise self.file.error(rid, "duplicate region id")
        self._by_key[rid] = info
        return rid

    def _index_names(self) -> None:
        names: dict[str, list[RegionInfo]] = {}
        for info in self.regions:
            names.setdefault(info.name, []).append(info)
        self._by_name = names

    def find(self, name_or_id: str, where: str) -> RegionInfo:
        """The region with this id or unique name, else a DataValidationError naming ``where``."""
        if name_or_id in self._by_key:
            return self._by_key[name_or_id]
        matches = self._by_name.get(name_or_id, [])
        if len(matches) != 1:
            problem = "is ambiguous" if matches else "is not in regions.yaml"
            raise DataValidationError(f"{where}: region {name_or_id!r} {problem}")
        return matches[0]

    def of_label(self, label: str) -> list[RegionInfo]:
        """All regions of one level (City, District, Street, Community), in file order."""
        return [r for r in self.regions if r.label == label]

    def children(self, region_id: str) -> list[RegionInfo]:
        """The regions directly below ``region_id``, in file order."""
        return [r for r in self.regions if r.parent_id == region_id]

    def district_code(self, info: RegionInfo) -> str:
        """The 6-digit division code of the region's district (or the city for the city)."""
        district = self._by_key.get(info.district_id, info)
        return (district.code or "339900")[:6]


class DepartmentIndex:
    """The departments of departments.yaml, found by id, name or alias."""

    def __init__(self, data_dir: Path) -> None:
        self.file = DemoFile(data_dir, DEPARTMENTS_FILE)
        self.names: dict[str, str] = {}
        self._by_alias: dict[str, list[str]] = {}
        self.ids: list[str] = []
        for label, entry in self.file.entries("departments"):
            did = str(self.file.field(entry, "id", label))
            self.ids.append(did)
            self.names[did] = str(self.file.field(entry, "name", did))
            for alias in [self.names[did], *(entry.get("aliases") or [])]:
                self._by_alias.setdefault(str(alias), []).append(did)

    def find(self, name: str, where: str) -> str:
        """The id of the department with this id, exact name or unique alias."""
        if name in self.names:
            return name
        for did, full in self.names.items():
            if full == name:
                return did
        matches = self._by_alias.get(name, [])
        if len(matches) != 1:
            problem = "is ambiguous" if matches else "is not in departments.yaml"
            raise DataValidationError(f"{where}: department {name!r} {problem}")
        return matches[0]

    def ref(self, name: str, where: str) -> NodeRef:
        """A reference to the department's node (built by government.py)."""
        return NodeRef(label="Department", key=self.find(name, where))
