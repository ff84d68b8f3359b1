"""The engines of CityAgent as Tool nodes, wired to the nodes they act on (``tools.yaml``).

Each tool becomes a Tool node (kind ``perception`` or ``optimisation``, JSON Schemas stored as
JSON strings, the dotted entrypoint where the implementation lives), OPERATES edges from the
departments that run it, and APPLIES_TO edges to every node its selectors match.

Selectors match nodes of the emergency and finance bundles. ``build(data_dir)`` builds those
two itself from the same data directory (both builds are deterministic, so the ids agree with
the bundles the loader writes); callers that already hold them pass them as ``bundles`` to skip
the rebuild. Department selectors resolve against ``departments.yaml`` (government.py's nodes).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ingest.demo import emergency, finance
from ingest.demo.data_files import DATA_DIR, DemoFile, DepartmentIndex
from kg.errors import DataValidationError
from kg.records import GraphBundle, NodeRecord, NodeRef

log = logging.getLogger(__name__)

TOOLS_FILE = "tools.yaml"
TOOL_KINDS = ("perception", "optimisation")
_SELECTOR_KEYS = {"label", "observes", "name", "kind", "has", "description_contains",
                  "department"}


class _Catalogue:
    """The nodes a selector can match, with what each camera OBSERVES."""

    def __init__(self, bundles: Sequence[GraphBundle]) -> None:
        self.nodes: list[NodeRecord] = [n for b in bundles for n in b.nodes]
        self.observes: dict[str, set[str]] = {}
        for bundle in bundles:
            for rel in bundle.relationships:
                if rel.type == "OBSERVES":
                    self.observes.setdefault(rel.start.key, set()).add(rel.end.label)

    def select(self, selector: Mapping[str, Any]) -> list[NodeRef]:
        """References to the nodes matching ``selector``, in bundle order."""
        found = []
        for node in self.nodes:
            props = node.properties
            if node.label != selector["label"]:
                continue
            if "observes" in selector and (
                    selector["observes"] not in self.observes.get(str(props["id"]), set())):
                continue
            if any(k in selector and props.get(k) != selector[k] for k in ("name", "kind")):
                continue
            if "has" in selector and props.get(str(selector["has"])) in (None, ""):
                continue
            text = str(selector.get("description_contains", ""))
            if text and text not in str(props.get("description", "")):
                continue
            found.append(NodeRef(label=node.label, key=str(props["id"])))
        return found


def _schema(file: DemoFile, entry: Mapping[str, Any], key: str, where: str) -> str:
    """A JSON Schema from the YAML entry, checked to be an object schema, as a JSON string."""
    schema = file.field(entry, key, where, dict)
    if schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise file.error(where, f"field {key!r} must be a JSON Schema of type object")
    return json.dumps(schema, ensure_ascii=False, sort_keys=True)


def _entrypoint(file: DemoFile, entry: Mapping[str, Any], where: str) -> str:
    value = str(file.field(entry, "entrypoint", where))
    module, _, function = value.partition(":")
    if not function or not all(part.isidentifier() for part in [*module.split("."), function]):
        raise file.error(where, f"entrypoint {value!r} must look like package.module:function")
    return value


def _targets(file: DemoFile, entry: Mapping[str, Any], where: str, catalogue: _Catalogue,
             departments: DepartmentIndex) -> list[NodeRef]:
    """Every node the tool's selectors match; a selector that matches nothing is an error."""
    targets: list[NodeRef] = []
    for selector in file.field(entry, "targets", where, list):
        if not isinstance(selector, dict) or set(selector) - _SELECTOR_KEYS:
            raise file.error(where, f"bad target selector {selector!r}")
        if "department" in selector:
            found = [departments.ref(str(selector["department"]), f"{file.name}: {where}")]
        elif "label" in selector:
            found = catalogue.select(selector)
        else:
            raise file.error(where, f"target selector {selector!r} needs a label")
        if not found:
            raise file.error(where, f"target selector {selector!r} matches no node")
        targets.extend(ref for ref in found if ref not in targets)
    return targets


def build(data_dir: Path = DATA_DIR, bundles: Sequence[GraphBundle] | None = None) -> GraphBundle:
    """The Tool nodes with their OPERATES and APPLIES_TO edges.

    ``bundles`` are the bundles whose nodes the selectors may match; by default the emergency
    and finance bundles built from ``data_dir``. Raises DataValidationError naming the file
    and tool for a missing file or field, a bad kind, schema or entrypoint, an unknown
    department, or a selector that matches nothing.
    """
    data_dir = Path(data_dir)
    file = DemoFile(data_dir, TOOLS_FILE)
    departments = DepartmentIndex(data_dir)
    if bundles is None:
        bundles = [emergency.build(data_dir), finance.build(data_dir)]
    catalogue = _Catalogue(bundles)
    out = GraphBundle()
    seen: set[str] = set()
    for label, entry in file.entries("tools"):
        tid = str(file.field(entry, "id", label))
        if not tid.startswith("T-") or tid in seen:
            raise file.error(tid, "tool ids must be unique and start with 'T-'")
        seen.add(tid)
        kind = str(file.field(entry, "kind", tid))
        if kind not in TOOL_KINDS:
            raise file.error(tid, f"kind must be one of {', '.join(TOOL_KINDS)}")
        applies_to = file.str_list(entry, "applies_to_labels", tid)
        tool = out.node(
            "Tool", id=tid, name=str(file.field(entry, "name", tid)),
            aliases=file.str_list(entry, "aliases", tid), kind=kind,
            description=str(file.field(entry, "description", tid)),
            input_schema=_schema(file, entry, "input_schema", tid),
            output_schema=_schema(file, entry, "output_schema", tid),
            entrypoint=_entrypoint(file, entry, tid), applies_to_labels=applies_to)
        for name in file.str_list(entry, "operators", tid):
            out.rel("OPERATES", departments.ref(name, f"{TOOLS_FILE}: entry {tid!r}"), tool)
        for target in _targets(file, entry, tid, catalogue, departments):
            if target.label not in applies_to:
                raise DataValidationError(
                    f"{TOOLS_FILE}: entry {tid!r}: target {target.key} is a {target.label}, "
                    f"which applies_to_labels does not list")
            out.rel("APPLIES_TO", tool, target)
    log.info("tool demo data: %d tools, %d relationships", len(out.nodes), len(out.relationships))
    return out
