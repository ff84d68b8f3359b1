"""Reading JSON-lines data files, one object per line, with errors that name file and line.

Training and evaluation files (CLUENER, router and ticket sets) all share this shape; a bad
line must stop the run with its location rather than be skipped and bias the figures. Bulk
ingestion instead passes ``on_error``: a bad line is reported and the rest still goes in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from kg.errors import DataValidationError

Record = TypeVar("Record", bound=BaseModel)


def read_records(path: Path, model: type[Record]) -> list[Record]:
    """Every line of ``path`` as a ``model``; a line that does not fit is an error naming the
    file and the line."""
    records = []
    for lineno, row in read_jsonl(path):
        try:
            records.append(model.model_validate(row))
        except ValidationError as exc:
            raise DataValidationError(f"{path}:{lineno}: {exc}") from exc
    return records


def read_jsonl(
    path: Path, on_error: Callable[[int, DataValidationError], None] | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line of ``path``.

    A line that is not a JSON object raises, or, with ``on_error``, is handed to it (with its
    number) and skipped.
    """
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise DataValidationError(f"{path}: cannot read the file ({exc})") from exc
    with handle:
        try:
            for lineno, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield lineno, _object(path, lineno, line)
                except DataValidationError as exc:
                    if on_error is None:
                        raise
                    on_error(lineno, exc)
        except UnicodeDecodeError as exc:
            raise DataValidationError(f"{path}: not UTF-8 text ({exc})") from exc


def _object(path: Path, lineno: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataValidationError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(row, dict):
        raise DataValidationError(f"{path}:{lineno}: expected a JSON object")
    return row
