"""Reading JSON-lines data files, one object per line, with errors that name file and line.

Training and evaluation files (CLUENER, router and ticket sets) all share this shape; a bad
line must stop the run with its location rather than be skipped and bias the figures.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kg.errors import DataValidationError


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line of ``path``."""
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
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    message = f"{path}:{lineno}: not valid JSON ({exc.msg})"
                    raise DataValidationError(message) from exc
                if not isinstance(row, dict):
                    raise DataValidationError(f"{path}:{lineno}: expected a JSON object")
                yield lineno, row
        except UnicodeDecodeError as exc:
            raise DataValidationError(f"{path}: not UTF-8 text ({exc})") from exc
