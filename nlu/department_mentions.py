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
from nlu.transcript import Turn

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
        # Per word, whether it is a name's core (then followed by an office word), and the ids
        # of the departments it names.
        by_word: dict[tuple[str, bool], set[str]] = {}
        for department in departments:
            names = {department.name, *department.aliases}
            names |= {word for word, alias in EVERYDAY_NAMES.items() if alias in names}
            for name in names:
                by_word.setdefault((name, False), set()).add(department.id)
            for core in _cores(department):
                by_word.setdefault((core, True), set()).add(department.id)
        # Longest first, and a core with its office word before the same word alone.
        words = sorted(by_word, key=lambda w: (len(w[0]), w[1]), reverse=True)
        self._ids = [frozenset(by_word[w]) for w in words]
        self._pattern = re.compile("|".join(
            f"(?P<w{i}>{re.escape(word)}{_OFFICE if core else ''})"
            for i, (word, core) in enumerate(words)
        ))

    def handed_to(self, turns: list[Turn]) -> frozenset[str]:
        """The ids of the departments the agent hands the call to (empty when none)."""
        found: set[str] = set()
        for turn in turns:
            if turn.speaker != "agent":
                continue
            for clause in _CLAUSE.finditer(turn.text):
                verb = _HANDS_OVER.search(clause.group(0))
                if verb is None:
                    continue
                for match in self._pattern.finditer(clause.group(0), verb.end()):
                    if match.lastgroup is not None:
                        found |= self._ids[int(match.lastgroup[1:])]
        return frozenset(found)
