"""Questions in two parts, split into two questions about the same subject.

Regulators ask two things at once: 「临港化工的法人是谁？该公司登记的联系电话是多少」,
「智谷软件的法人和实控人分别是谁」. Each part is answered on its own and the answers are put
side by side. A part that names no entity of its own (「该公司…」, 「它…」, or nothing) is
about the first part's entity, so that name is carried over.
"""

from __future__ import annotations

import re
from typing import Any

from kg.mentions import MentionIndex

_BREAK = re.compile(r"[？?；;。！!]+|[，,](?=.{0,12}(?:谁|多少|多大|哪|什么|几|吗|如何|怎样))")
_ASKS = re.compile(r"谁|多少|多大|多高|多长|多久|哪|什么|几|吗|如何|怎样|有没有|是否|何时")
_BOTH = re.compile(r"^(?P<subject>.+?的)(?P<a>[一-龥]{2,6})(?:和|与|及|、)(?P<b>[一-龥]{2,6}?)"
                   r"(?:分别|各自)?(?P<ask>是谁|是什么|是多少|有哪些|是哪些)")
# A second part that only asks for the figure of the first (「持股多少」, 「穿透比例多少」) or
# restates it about the same entity (「又有谁给它担保」) is one question, not two.
_FOLLOW_UP = re.compile(r"^(?:各自?|分别|都|一共|总共|合计)?"
                        r"(?:持股|穿透|投资?|担保|出资|认购|持有|占)?(?:了|的)?"
                        r"(?:比例|金额|钱|股份|份额)?(?:是|为|有)?(?:多少|几|多大)")
_INNER_POINTER = re.compile(r"它|他|她|其")
_POINTERS = re.compile(
    r"^(?:该公司|该企业|这家公司|这家企业|这家|该基金|该产品|它的|它|其|他的|她的|他|她)")


def two_parts(question: str, index: MentionIndex) -> list[str] | None:
    """The question as two questions when it asks two things, the second carrying the
    first's entity when it names none; None for a question in one part."""
    both = _BOTH.match(question.strip())
    if both:
        return [f"{both['subject']}{both['a']}{both['ask']}",
                f"{both['subject']}{both['b']}{both['ask']}"]
    parts = [p for p in _BREAK.split(question) if p.strip()]
    if len(parts) != 2 or not all(_ASKS.search(p) for p in parts):
        return None
    first, second = parts
    if _FOLLOW_UP.match(second.strip()) or _INNER_POINTER.search(second.strip()[1:]):
        return None
    named = index.find(first)
    if not named:
        return None
    if not index.find(second):
        second = f"{named[0].text}的{_POINTERS.sub('', second.strip())}"
    return [first, second]


def side_by_side(first: tuple[list[str], list[list[Any]]],
                 second: tuple[list[str], list[list[Any]]]
                 ) -> tuple[list[str], list[list[Any]]] | None:
    """Two answers' columns and rows as one table: a one-row answer is added to each row of
    the other; None when both have several rows (they do not line up)."""
    (columns_a, rows_a), (columns_b, rows_b) = first, second
    if len(rows_b) == 1:
        return columns_a + columns_b, [row + rows_b[0] for row in rows_a]
    if len(rows_a) == 1:
        return columns_a + columns_b, [rows_a[0] + row for row in rows_b]
    return None
