"""Problems found in registry rows: where (file, line, field) and why, in words a clerk reads."""

from __future__ import annotations

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知的列",
    "string_too_short": "不能为空",
    "string_too_long": "内容过长",
    "string_pattern_mismatch": "格式不对",
    "float_parsing": "不是数字",
    "float_type": "不是数字",
    "finite_number": "不是有限的数字",
    "int_parsing": "不是整数",
    "int_from_float": "不是整数",
    "int_type": "不是整数",
    "date_parsing": "日期无效，应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期无效，应为 YYYY-MM-DD",
    "date_from_datetime_inexact": "日期无效，应为 YYYY-MM-DD",
    "date_type": "日期无效，应为 YYYY-MM-DD",
    "too_short": "至少要有一项",
    "list_type": "应为编号列表",
    "string_type": "应为文本",
}


class RowError(BaseModel):
    """One bad row: the file (``registry.json#companies`` for a JSON document), the line (the
    CSV line, header = 1; for JSON the item's position from 1), the field and the reason."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


def _message(error: ErrorDetails) -> str:
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "greater_than":
        return f"须大于 {ctx.get('gt')}，实际为 {error['input']!r}"
    if kind == "greater_than_equal":
        return f"不能小于 {ctx.get('ge')}，实际为 {error['input']!r}"
    if kind == "less_than_equal":
        return f"不能大于 {ctx.get('le')}，实际为 {error['input']!r}"
    if kind in _MESSAGES:
        return _MESSAGES[kind] + (f"：{error['input']!r}" if kind != "missing" else "")
    return str(error["msg"])


def row_errors(exc: ValidationError, file: str, line: int) -> list[RowError]:
    """One RowError per field pydantic refused in a row."""
    out = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "-"
        out.append(RowError(file=file, line=line, field=field, message=_message(error)))
    return out
