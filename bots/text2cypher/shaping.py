"""Totals and counts over a template's rows, when the question asks for those and not the list.

「远航物流对外担保总额是多少万元」 runs the same lookup as 「远航物流为谁担保了」; only the answer's
shape differs. A question that asks for a total gets the sum of the amount column; one that
asks how many gets the count of distinct entities in the first column; one that asks both
gets both. Questions that ask for the rows themselves (「各」, 「分别」, 「哪些」, 「名单」) keep
them.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

_TOTAL = re.compile(r"总额|合计|总计|总共|一共|累计|共计|加起来|总金额")
_HOW_MANY = re.compile(
    r"多少(?:个|位|名|家|只|笔|款)|几(?:个|位|名|家|只|笔|款)|有多少[^钱万元]|数量|人数")
_ROWS_WANTED = re.compile(r"各|分别|哪些|哪几|名单|清单|列出|明细|是谁|都有谁|有谁")


class ShapedRows(BaseModel):
    """Columns and rows after shaping."""

    columns: list[str]
    rows: list[list[Any]]


def _amount_column(columns: list[str]) -> int | None:
    return next((i for i, c in enumerate(columns) if "金额" in c), None)


def shape_rows(question: str, columns: list[str], rows: list[list[Any]]) -> ShapedRows | None:
    """The total and/or count the (normalised) question asks for instead of the rows; None
    when it asks for the rows."""
    if _ROWS_WANTED.search(question) or not columns:
        return None
    wants_total, wants_count = bool(_TOTAL.search(question)), bool(_HOW_MANY.search(question))
    amount = _amount_column(columns)
    shaped_columns: list[str] = []
    values: list[Any] = []
    if wants_count:
        shaped_columns.append(f"{columns[0]}数量")
        values.append(len({str(r[0]) for r in rows}))
    if wants_total and amount is not None:
        shaped_columns.append(f"{columns[amount]}合计")
        values.append(round(sum(float(r[amount] or 0) for r in rows), 4))
    if not values:
        return None
    return ShapedRows(columns=shaped_columns, rows=[values])
