"""Which departments the hotline agent names in the call: 「我们转环保部门处理」, 「联系救助站」.

Agents often say where a ticket goes while the caller is still on the line. What they name
is evidence for the category (a department handles only some categories), weighed with the
caller's own words by :class:`nlu.routing.CategoryMatcher`. Departments are found by their
names and aliases from the graph, and by the core of those names followed by a generic word
for an office (「生态环境局」 → 「生态环境部门」, 「城管局」 → 「城管部门」). Only a department the
agent hands the matter to counts, named after a verb such as 转, 联系 or 通知 in the same clause:
「请先拨打120」 is advice and 「您好，12345热线」 a greeting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kg.routing_table import RoutingDepartment

# What a department's name may start with that says where, not what: a city, a district or a
# county (「滨江市」, 「老城区」, 「南山县」).
_WHERE = re.compile(r"^(?:[\u4e00-\u9fff]{1,4}?[市区县])+")
# What it may end with that says what kind of office it is.
_KIND = re.compile(
    r"(?:管理局|管理中心|管理办公室|委员会|集团有限公司|有限公司|集团|公司|局|中心|委|支队|大队|"
    r"所|办公室|办|队|分局)$"
)
# A generic word for an office after a department's core: 「环保部门」, 「教育主管部门」.
_OFFICE = r"(?:主管|监管|管理|执法)?(?:部门|单位)"
# Everyday names the graph's aliases lack, by the alias they stand for.
EVERYDAY_NAMES = {"救助站": "民政局", "民警": "公安局"}
MIN_CORE = 2
_CLAUSE = re.compile(r"[^，,。！!？?；;\n]+")
_HANDS_OVER = re.compile(r"转|联系|通知|派|交给|交由|反馈|协调|督促|上报|报给|让")


def _cores(department: RoutingDepartment) -> set[str]:
    """The department's names without the place they start with and the kind of office."""
    cores = set()
    for name in (department.name, *department.aliases):
        core = _KIND.sub("", _WHERE.sub("", name))
        if len(core) >= MIN_CORE:
            cores.add(core)
    return cores


class DepartmentMentions:
    """Finds the departments named in a text, built once per routing table's departments."""

    def __init__(self, departments: Iterable[RoutingDepartment]) -> None:
        by_word: dict[str, set[str]] = {}
        for department in departments:
            names = {department.name, *department.aliases}
            names |= {word for word, alias in EVERYDAY_NAMES.items() if alias in names}
            for name in names:
                by_word.setdefault(name, set()).add(department.id)
            for core in _cores(department):
                by_word.setdefault(core + "#", set()).add(department.id)
        self._ids = by_word
        words = sorted(by_word, key=len, reverse=True)
        alternatives = [
            re.escape(w[:-1]) + _OFFICE if w.endswith("#") else re.escape(w) for w in words
        ]
        self._pattern = re.compile("|".join(f"(?P<w{i}>{a})" for i, a in enumerate(alternatives)))
        self._words = words

    def named(self, text: str) -> frozenset[str]:
        """The ids of the departments ``text`` names (empty when it names none)."""
        found: set[str] = set()
        for clause in _CLAUSE.finditer(text):
            verb = _HANDS_OVER.search(clause.group(0))
            if verb is None:
                continue
            for match in self._pattern.finditer(clause.group(0), verb.end()):
                group = match.lastgroup
                if group is not None:
                    found |= self._ids[self._words[int(group[1:])]]
        return frozenset(found)
