"""The first pass over a registry: validate every row before anything is written.

Each row is checked on its own (pydantic: required fields, numbers, ranges, dates) and against
the rest: ids unique across all node files, every referenced id defined in the registry with a
class the relationship allows (a guarantee is owed by a company, not a fund), no relationship
from a node to itself, no pair listed twice in one file (the graph would keep one edge), and
the holdings of one company adding up to at most 100 % (plus a rounding tolerance). Cycles in
shareholding or guarantees are legal data and pass.

Only ids, labels, per-company totals and one file's pairs are kept, so a registry of a million
companies is checked in bounded memory. Files are checked in the order of
:data:`~ingest.registry.rows.REGISTRY_FILES`, nodes first, so a row that names a refused row's
id is refused too.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pydantic import ValidationError

from ingest.registry.issues import RowError, row_errors
from ingest.registry.rows import (
    EDGE_FILES,
    NODE_FILES,
    EdgeRow,
    NodeRow,
    RegistryRow,
)
from ingest.registry.sources import RawRow, RegistrySource
from kg.ontology import load_ontology

log = logging.getLogger(__name__)

HOLDINGS_TOLERANCE = 1e-3  # published percentages are rounded; 100.05 % in sum is still whole
MAX_KEPT_ERRORS = 1000


@dataclass
class RegistryCheck:
    """What the first pass learnt: each id's label, valid rows per file, and the bad rows."""

    labels: dict[str, str] = field(default_factory=dict)
    rows: Counter[str] = field(default_factory=Counter)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    bad_rows: set[tuple[str, int]] = field(default_factory=set)

    def refuse(self, errors: Iterable[RowError]) -> None:
        """Record a bad row's errors (the first MAX_KEPT_ERRORS are kept in full)."""
        for error in errors:
            self.error_count += 1
            self.bad_rows.add((error.file, error.line))
            if len(self.errors) < MAX_KEPT_ERRORS:
                self.errors.append(error)


def _zh(label: str) -> str:
    return load_ontology().classes[label].label_zh or label


def parse_row(model: type[RegistryRow], raw: RawRow) -> RegistryRow | list[RowError]:
    """The row validated by its file's model, or the errors naming each bad field."""
    try:
        return model.model_validate(raw.data)
    except ValidationError as exc:
        return row_errors(exc, raw.file, raw.line)


class _Checker:
    """Runs the first pass over one source."""

    def __init__(self, source: RegistrySource) -> None:
        self.source = source
        self.result = RegistryCheck()
        self.holdings: dict[str, float] = {}

    def reference(self, raw: RawRow, name: str, value: str,
                  allowed: tuple[str, ...]) -> RowError | None:
        label = self.result.labels.get(value)
        if label is None:
            return RowError(file=raw.file, line=raw.line, field=name,
                            message=f"编号 {value!r} 不在登记数据中")
        if label not in allowed:
            wanted = "或".join(_zh(a) for a in allowed)
            return RowError(file=raw.file, line=raw.line, field=name,
                            message=f"编号 {value!r} 是{_zh(label)}，此处应为{wanted}")
        return None

    def node_references(self, raw: RawRow, row: NodeRow) -> list[RowError]:
        refs = (self.reference(raw, name, value, allowed)
                for name, value, allowed in row.references())
        return [r for r in refs if r is not None]

    def parsed(self, kind: str, model: type[RegistryRow]) -> Iterator[tuple[RawRow, RegistryRow]]:
        """The rows of ``kind`` that parse; the others are refused on the way."""
        for raw in self.source.rows(kind):
            if isinstance(raw, RowError):
                self.result.refuse([raw])
                continue
            row = parse_row(model, raw)
            if isinstance(row, list):
                self.result.refuse(row)
                continue
            yield raw, row

    def check_nodes(self, kind: str, model: type[NodeRow]) -> None:
        for raw, row in self.parsed(kind, model):
            assert isinstance(row, NodeRow)
            problems = self.node_references(raw, row)
            if row.id in self.result.labels:
                problems.append(RowError(
                    file=raw.file, line=raw.line, field="id",
                    message=f"编号 {row.id!r} 重复（已登记为{_zh(self.result.labels[row.id])}）"))
            if problems:
                self.result.refuse(problems)
                continue
            self.result.labels[row.id] = model.label
            self.result.rows[kind] += 1

    def check_edges(self, kind: str, model: type[EdgeRow]) -> None:
        pairs: set[tuple[str, str]] = set()
        for raw, row in self.parsed(kind, model):
            assert isinstance(row, EdgeRow)
            problems = self.edge_problems(raw, row, pairs)
            if problems:
                self.result.refuse(problems)
                continue
            pairs.add((row.start, row.end))
            self.result.rows[kind] += 1

    def edge_problems(self, raw: RawRow, row: EdgeRow,
                      pairs: set[tuple[str, str]]) -> list[RowError]:
        refs = [self.reference(raw, row.start_field, row.start, row.start_labels),
                self.reference(raw, row.end_field, row.end, row.end_labels)]
        problems = [r for r in refs if r is not None]
        if problems:
            return problems
        if row.start == row.end:
            return [RowError(file=raw.file, line=raw.line, field=row.end_field,
                             message=f"{row.start!r} 不能指向自身")]
        if (row.start, row.end) in pairs:
            return [RowError(file=raw.file, line=raw.line, field=row.end_field,
                             message=f"{row.start!r} → {row.end!r} 在本文件中重复出现")]
        ratio = getattr(row, "ratio", None)
        if ratio is not None:
            total = self.holdings.get(row.end, 0.0) + float(ratio)
            if total > 1.0 + HOLDINGS_TOLERANCE:
                return [RowError(file=raw.file, line=raw.line, field="ratio",
                                 message=f"企业 {row.end!r} 的持股比例合计 {total:.4f}，超过 100%")]
            self.holdings[row.end] = total
        return []

    def run(self) -> RegistryCheck:
        for kind, node_model in NODE_FILES.items():
            self.check_nodes(kind, node_model)
        for kind, edge_model in EDGE_FILES.items():
            self.check_edges(kind, edge_model)
        log.info("registry %s checked: %d valid rows, %d errors", self.source.name,
                 sum(self.result.rows.values()), self.result.error_count)
        return self.result


def check_registry(source: RegistrySource) -> RegistryCheck:
    """Validate every row of ``source`` (nothing is written) and say which rows are bad.

    Run before any write so that a registry with a bad row can be refused as a whole, and so
    that the writing pass knows the label of every id it links.
    """
    return _Checker(source).run()
