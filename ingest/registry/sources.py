"""Where registry rows come from: a folder of CSV files (one per kind) or one JSON document.

A folder holds ``companies.csv``, ``persons.csv``, ``shareholdings.csv`` … (see
:data:`ingest.registry.rows.REGISTRY_FILES`); every file but ``companies.csv`` may be absent.
CSV files are UTF-8 (a byte-order mark is fine) with a header line, and are streamed, so a
registry of millions of rows is never held in memory. A JSON document is one object whose
keys are the same kinds, each a list of row objects; it is read whole, so it suits small
registries.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ingest.registry.issues import RowError
from ingest.registry.rows import REGISTRY_FILES, REQUIRED_FILES, columns, required_columns
from kg.errors import DataValidationError


@dataclass(frozen=True)
class RawRow:
    """A row as read, before validation: the file it came from, its line, its cells."""

    file: str
    line: int
    data: dict[str, Any]

    @property
    def source(self) -> str:
        """Provenance kept on what the row becomes: ``file:line``."""
        return f"{self.file}:{self.line}"


class RegistrySource(Protocol):
    """Rows of each registry file, in file order, with header problems as RowErrors."""

    name: str

    def rows(self, kind: str) -> Iterator[RawRow | RowError]:
        """The rows of one kind (no rows when its file is absent and optional)."""
        ...


class CsvFolder:
    """A folder of ``<kind>.csv`` files."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.name = str(folder)

    def rows(self, kind: str) -> Iterator[RawRow | RowError]:
        """Stream the rows of ``<kind>.csv``; a bad header yields its errors and no rows."""
        path = self.folder / f"{kind}.csv"
        if not path.exists():
            if kind in REQUIRED_FILES:
                yield RowError(file=path.name, line=0, field="-", message="缺少必需的文件")
            return
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                yield from self._read(path.name, kind, csv.reader(handle))
        except UnicodeDecodeError as exc:
            raise DataValidationError(
                f"{path.name}: 不是 UTF-8 编码（第 {exc.start} 字节附近），未写入任何数据"
            ) from exc

    def _read(self, file: str, kind: str, reader: Any) -> Iterator[RawRow | RowError]:
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip() for h in header]
        model = REGISTRY_FILES[kind]
        problems = [RowError(file=file, line=1, field=c, message="缺少必需的列")
                    for c in required_columns(model) if c not in header]
        problems += [RowError(file=file, line=1, field=c or "-", message="未知的列")
                     for c in header if c not in columns(model)]
        if problems:
            yield from problems
            return
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > len(header):
                yield RowError(file=file, line=reader.line_num, field="-",
                               message=f"有 {len(record)} 列，表头只有 {len(header)} 列")
                continue
            yield RawRow(file, reader.line_num, dict(zip(header, record, strict=False)))


class JsonDocument:
    """One JSON object ``{"companies": [...], "persons": [...], ...}``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = str(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataValidationError(f"{path.name}: 不是有效的 UTF-8 JSON：{exc}") from exc
        if not isinstance(data, dict):
            raise DataValidationError(f"{path.name}: 顶层应为对象，键为 companies、persons 等")
        unknown = sorted(set(data) - set(REGISTRY_FILES))
        if unknown:
            known = ", ".join(REGISTRY_FILES)
            raise DataValidationError(
                f"{path.name}: 未知的键 {', '.join(unknown)}；可用的键：{known}")
        self.data: dict[str, Any] = data

    def rows(self, kind: str) -> Iterator[RawRow | RowError]:
        """The items of list ``kind``, numbered from 1."""
        file = f"{self.path.name}#{kind}"
        items = self.data.get(kind)
        if items is None:
            if kind in REQUIRED_FILES:
                yield RowError(file=file, line=0, field="-", message="缺少必需的列表")
            return
        if not isinstance(items, list):
            yield RowError(file=file, line=0, field="-", message="应为对象列表")
            return
        for number, item in enumerate(items, start=1):
            if isinstance(item, dict):
                yield RawRow(file, number, item)
            else:
                yield RowError(file=file, line=number, field="-", message="应为对象")


def open_source(path: Path) -> RegistrySource:
    """The registry at ``path``: a folder of CSV files or a ``.json`` document."""
    if path.is_dir():
        return CsvFolder(path)
    if path.is_file() and path.suffix.lower() == ".json":
        return JsonDocument(path)
    raise DataValidationError(f"{path}: 应为 CSV 文件所在的文件夹或一个 .json 文件")
