"""Money moved inside a controller's group: between the companies one party controls, or from
them to the controller's own account.

「1972年出生的王建国控制的公司之间互相转账一共多少笔、多少钱」 and 「2025年3月，周德明控制的
公司向他个人账户一共转了多少钱？分别是哪几笔」 are how a regulator looks for tunnelling: the
transfers have the named controller at both ends, through the companies it controls. The
question is read into a :class:`GroupTransfers` and compiled to one parameterised read-only
query.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, Field

from bots.text2cypher.frame_conditions import period_bounds
from bots.text2cypher.frames import CompiledFrame

_CONTROLLED = re.compile(r"(?:[（(][^）)]*[）)])?(?:所|本人)?(?:实际)?控制(?:的|着的)?"
                         r"(?:那些|这些|那几家|这几家|几家|全部|所有|各家)?(?:公司|企业)")
_BETWEEN = re.compile(r"之间|彼此|互相|相互")
_TO_SELF = re.compile(r"(?:向|往|给|转给|打给|转到|转入|打到|打进|划转至|划给|划入)了?[一-龥]{0,4}?"
                      r"(?:(?:本人)?的?个人|本人的?)(?:银行)?账户")
_MOVED = re.compile(r"转账|转了|转过|打了|打过|划转|转入|转出|打钱|转钱|资金往来|汇")
_TOTAL = re.compile(r"一共|总共|合计|总额|总金额|多少钱|多少笔|(?<!哪)几笔|累计|加起来")
_EACH_ONE = re.compile(r"哪几笔|哪些笔|分别是|逐笔|明细|列出|列一下|哪些钱")
_PER_PAYER = re.compile(r"按(?:公司|企业)|每家|各家|分公司")


class GroupTransfers(BaseModel):
    """The transfers inside one controller's group, in a period, shaped as asked."""

    controller_id: str
    controller_label: str
    to_controller: bool = Field(description="to the controller's own accounts, not between "
                                "the companies it controls")
    since: str | None = None
    until: str | None = None
    shape: Literal["rows", "total", "per_payer", "rows_with_total"] = "rows"


def parse_group_transfers(text: str, controller_id: str, controller_label: str,
                          after: int) -> GroupTransfers | None:
    """The group transfers the (normalised) question asks about, reading from ``after`` (where
    the controller's name ends), or None for any other question."""
    if not _CONTROLLED.match(text, after) or not _MOVED.search(text, after):
        return None
    to_controller = bool(_TO_SELF.search(text, after))
    if not to_controller and not _BETWEEN.search(text, after):
        return None
    since, until = period_bounds(text)
    total, each_one = bool(_TOTAL.search(text)), bool(_EACH_ONE.search(text))
    shape: Literal["rows", "total", "per_payer", "rows_with_total"] = (
        "per_payer" if _PER_PAYER.search(text) else "rows_with_total" if total and each_one
        else "total" if total else "rows")
    return GroupTransfers(controller_id=controller_id, controller_label=controller_label,
                          to_controller=to_controller, since=since, until=until, shape=shape)


def compile_group_transfers(asked: GroupTransfers) -> CompiledFrame:
    """The transfers as one read-only query: each one (payer, payee, amount, time), their
    count and total, the total per paying company, or each one beside the total."""
    payee = ("(x)" if asked.to_controller
             else "(b:Company)<-[:CONTROLS]-(x)")
    params: dict[str, Any] = {"id": asked.controller_id, "since": asked.since,
                              "until": asked.until}
    head = (f"MATCH (x:{asked.controller_label} {{id: $id}})-[:CONTROLS]->(a:Company)"
            "-[:HOLDS_ACCOUNT]->(:Account)-[t:TRANSFERS]->(:Account)<-[:HOLDS_ACCOUNT]-"
            f"{payee} WHERE ($since IS NULL OR date(t.time) >= date($since)) "
            "AND ($until IS NULL OR date(t.time) <= date($until))")
    payee_name = "x.name" if asked.to_controller else "b.name"
    if asked.shape == "total":
        return CompiledFrame(
            cypher=f"{head} RETURN count(t) AS 笔数, sum(t.amount) AS 金额_万元合计",
            params=params)
    if asked.shape == "per_payer":
        return CompiledFrame(
            cypher=f"{head} RETURN a.name AS 付款方, count(t) AS 笔数, "
                   "sum(t.amount) AS 金额_万元合计 ORDER BY 金额_万元合计 DESC", params=params)
    if asked.shape == "rows_with_total":
        return CompiledFrame(
            cypher=f"{head} WITH collect({{payer: a.name, payee: {payee_name}, "
                   "amount: t.amount, time: t.time, tx: t.tx_id}) AS moved, "
                   "sum(t.amount) AS total UNWIND moved AS m "
                   "RETURN m.payer AS 付款方, m.payee AS 收款方, m.amount AS 金额_万元, "
                   "m.time AS 时间, m.tx AS 流水号, total AS 金额_万元合计 ORDER BY 时间",
            params=params)
    return CompiledFrame(
        cypher=f"{head} RETURN a.name AS 付款方, {payee_name} AS 收款方, t.amount AS 金额_万元, "
               "t.time AS 时间, t.tx_id AS 流水号 ORDER BY 时间", params=params)
