"""Totals and counts over a template's rows, when the question asks for those and not the list.

「远航物流对外担保总额是多少万元」 runs the same lookup as 「远航物流为谁担保了」; only the answer's
shape differs. A question that asks for a total gets the sum of the amount column; one that
asks how many gets the count of distinct entities in the first column; one that asks both
gets both. Questions that ask for the rows themselves (「各」, 「分别」, 「哪些」, 「名单」) keep
them.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from pydantic import BaseModel

from bots.text2cypher.frame_conditions import as_of_date, chinese_number, figure_conditions
from bots.text2cypher.frame_parser import LIMIT_WORDS, both_extremes

_TOTAL = re.compile(r"总额|合计|总计|总共|一共|累计|共计|加起来|总金额|总规模|"
                    # terse: 「收款 笔数 金额」, 「投资人 人数 金额」, 「管理基金 数量 规模」
                    r"(?:笔数|人数|数量|个数).{0,2}(?:金额|规模)|(?:金额|规模).{0,2}(?:笔数|人数|数量)")
_MONEY_ASKED = re.compile(r"多少钱|多少资金")
_WHO_ASKED = re.compile(r"谁|哪|有没有人|有人|什么人")
"""「收到了多少钱」 asks a total, 「担保了谁、多少钱」 each one's amount."""
_HOW_MANY = re.compile(
    r"多少(?:个(?!月)|位|名|家|只|笔|款|人|次)|(?<![那这哪])几(?:个(?!月)|位|名|家|只|笔|款|次)|"
    r"有多少[^钱万元]|"
    r"数量|人数|笔数")
_SORTED = re.compile(r"[从由][大小高低多少]到[大小高低多少]")
_RANKING = re.compile(
    r"最(?:高|大|多|长)|(?P<low>最(?:低|小|少|短))|前[0-9一二两三四五六七八九十]|排名|第一大|头号|"
    r"(?<![控前])大股东")
_MEMBERS = re.compile(r"(?:哪些|有哪)(?:企业|公司|主体)|"
                      r"(?:圈内|环上|链上|圈里)的?(?:企业|公司|成员)|"
                      r"(?:圈内|环上|链上|圈里|环里)都?(?:有谁|有哪些|是哪些|是谁)|"
                      r"(?:企业|公司|主体|成员)(?:有哪些|都有谁|是哪些)|"
                      r"涉及哪|到哪些|哪些.{0,4}(?:企业|公司)|哪几家|哪几个|有没有.{2,16}的(?:企业|公司)$")
_BESIDES_ITSELF = re.compile(r"除了?它|除了?自己|它以外|它之外")
_FIGURES = re.compile(r"多长|几层|几跳|长度|比例|金额|多少钱|总额")
_REACH = re.compile(r"到哪|能到|波及|牵连|影响|往下|顺着")
_EACH_ROW_COUNTED = re.compile(r"[几多少](?:笔|次)|笔数")
"""「转过几笔钱」 counts the rows themselves, not the parties in them."""
_ALREADY_TOTAL = re.compile(r"总额|合计|总计")
_SHARE_COLUMN = re.compile(r"比例")
_AMOUNT_COLUMN = re.compile(r"金额|万元")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq,
    "<>": operator.ne}
_ROWS_WANTED = re.compile(r"各|分别|哪些|哪几|名单|清单|列出|明细|是谁|都有谁|有谁")


class ShapedRows(BaseModel):
    """Columns and rows after shaping."""

    columns: list[str]
    rows: list[list[Any]]


def _title(column: str) -> str:
    """A column's name without its unit: 「金额_万元」 → 金额."""
    return re.split(r"[_（(]", column)[0]


def _amount_column(question: str, columns: list[str], rows: list[list[Any]]) -> int | None:
    """The column to total: a numeric one the question names (「总规模」 → 规模), else 金额."""
    numeric = [i for i in range(len(columns))
               if rows and all(isinstance(r[i], int | float) or r[i] is None for r in rows)]
    for i in numeric:
        word = _title(columns[i])
        if len(word) >= 2 and word in question:
            return i
    return next((i for i, c in enumerate(columns) if "金额" in c), None)


def keep_named_values(question: str, values: Iterable[str], rows: list[list[Any]]
                      ) -> list[list[Any]]:
    """The rows holding a value the question names (「哪些已经提前清算了」 keeps the funds whose
    status is 提前清算); all rows when it names none of ``values`` that the rows hold."""
    held = {v for r in rows for v in r if isinstance(v, str)}
    named = [v for v in values if len(v) >= 2 and v in question and v in held]
    if not named:
        return rows
    return [r for r in rows if any(v in named for v in r if isinstance(v, str))]


def _names_any(row: list[Any], names: set[str]) -> bool:
    return any(cell in names if isinstance(cell, str)
               else isinstance(cell, list) and bool(names.intersection(map(str, cell)))
               for cell in row)


def keep_named_entities(names: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    """The rows naming one of the other entities the question names (「国资运营公司穿透持有
    市民银行多少」 keeps the row of 市民银行 among everything the holder reaches); all rows
    when none of them names one."""
    kept = [r for r in rows if _names_any(r, set(names))]
    return kept or rows


def drop_named_entities(names: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    """The rows naming none of the entities the question excludes (「除了恒信集团，还控制
    哪些企业」)."""
    return [r for r in rows if not _names_any(r, set(names))] if names else rows


def kept_by_figures(question: str, columns: list[str], rows: list[list[Any]]
                    ) -> list[list[Any]]:
    """The rows whose share or amount meets the comparisons the question sets (「持股10%以上的
    股东」, 「控股（持股过半）的子公司」, 「担保金额超过1000万的」); all rows when it sets none
    or the rows carry no such figure."""
    kept = rows
    for figure in figure_conditions(question):
        words = _SHARE_COLUMN if figure.kind == "share" else _AMOUNT_COLUMN
        before = question[:figure.at][-10:]
        named = sorted((before.rfind(title), i) for i, c in enumerate(columns)
                       if len(title := _title(c)) >= 2 and title in before
                       and any(isinstance(r[i], int | float) for r in rows))
        column = named[-1][1] if named else _closest_column(before, columns, rows)
        if column is None:
            column = next((i for i, c in enumerate(columns) if words.search(c)), None)
        if column is None:
            continue
        compare = _COMPARE[figure.op]
        kept = [r for r in kept if isinstance(r[column], int | float)
                and compare(float(r[column]), figure.value)]
    return kept


def _closest_column(said: str, columns: list[str], rows: list[list[Any]]) -> int | None:
    """The numeric column whose title shares most characters (two at least) with what the
    question says before a figure: 「利率下限低于3.3%」 is about 「最低年利率」."""
    scored = [(len(set(_title(c)) & set(said)), i) for i, c in enumerate(columns)
              if any(isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in rows)]
    best = max(scored, default=(0, -1))
    return best[1] if best[0] >= 2 else None


_PER_PARTY = re.compile(r"(?:各|分别|每(?:家|个|人|位|一方|个来源)).{0,3}?(?:转|收|付|打|汇|给)了?"
                        r"(?:多少|几笔|几次)|(?:分别|都)是谁(?:转|打|汇)(?:过来|进来)?的")
"""「各转了多少」, 「分别是谁转过来的」: the amounts totalled per counterparty."""


_TOTAL_WORD = re.compile(r"合计|总共|一共|总计|加起来")


def totals_per_named_value(question: str, columns: list[str], rows: list[list[Any]]
                           ) -> ShapedRows | None:
    """The figure totalled, and the rows counted, for each of two or more values of one
    column that the question names, side by side in one row, when it asks a total of each
    (「企业股东合计持股多少，自然人股东合计持股多少」); None otherwise."""
    totals_asked = len(_TOTAL_WORD.findall(question))
    if not rows or totals_asked == 0 or (totals_asked < 2 and not re.search("分别|各", question)):
        return None
    figure = _amount_column(question, columns, rows)
    if figure is None and "持股" in question:
        figure = next((i for i, c in enumerate(columns) if "比例" in c), None)
    if figure is None:
        return None
    for at in range(len(columns)):
        values = {r[at] for r in rows if isinstance(r[at], str)}
        named = sorted((v for v in values if len(v) >= 2 and v in question), key=question.find)
        if len(named) < 2 or len(values) > 6:
            continue
        title = _title(columns[figure])
        shaped_columns: list[str] = []
        values_out: list[Any] = []
        for value in named:  # one row, a pair of figures per value, like the question asks
            kept = [r for r in rows if r[at] == value]
            shaped_columns += [f"{value}{title}合计", f"{value}数量"]
            values_out += [round(sum(float(r[figure] or 0) for r in kept), 4), len(kept)]
        return ShapedRows(columns=shaped_columns, rows=[values_out])
    return None


def totals_per_party(question: str, columns: list[str], rows: list[list[Any]],
                     anchor: str | None) -> ShapedRows | None:
    """The amount of a party-to-party table (payer and payee first) totalled per party on
    the other side from the anchor, with how many there were, when the question asks how
    much each gave or got (「收过哪些人转来的钱，各转了多少」); None otherwise."""
    amount = _amount_column(question, columns, rows)
    if anchor is None or amount is None or len(columns) < 2 or not _PER_PARTY.search(question):
        return None
    if not all(anchor in (r[0], r[1]) for r in rows):
        return None
    others = [r[1] if r[0] == anchor else r[0] for r in rows]
    received = all(r[1] == anchor for r in rows)
    paid = all(r[0] == anchor for r in rows)
    title = columns[0] if received else (columns[1] if paid else "对方")
    totals: dict[str, list[float]] = {}
    for other, row in zip(others, rows, strict=True):
        totals.setdefault(str(other), []).append(float(row[amount] or 0))
    return ShapedRows(columns=[title, f"{_title(columns[amount])}合计", "笔数"],
                      rows=[[name, round(sum(v), 4), len(v)] for name, v in totals.items()])


_INFLOW = re.compile(r"转进|转入|流入|收到|收款|进账|入账|转来|进来")
_OUTFLOW = re.compile(r"转出|流出|付出|付款|打出|汇出|出去|支出")
_HOW_MUCH = re.compile(r"多少|几笔|合计|总额|一共|金额")


def totals_each_way(question: str, columns: list[str], rows: list[list[Any]],
                    anchor: str | None) -> ShapedRows | None:
    """The amount of a party-to-party table (payer and payee first) totalled each way, into
    the anchor and out of it, with how many there were, when the question asks both
    (「账户转进来一共多少钱，转出去一共多少钱」); None otherwise."""
    amount = _amount_column(question, columns, rows)
    if (anchor is None or amount is None or len(columns) < 2 or not _INFLOW.search(question)
            or not _OUTFLOW.search(question) or not _HOW_MUCH.search(question)
            or not all(anchor in (r[0], r[1]) for r in rows)):
        return None
    inflow = [float(r[amount] or 0) for r in rows if r[1] == anchor]
    outflow = [float(r[amount] or 0) for r in rows if r[0] == anchor]
    title = _title(columns[amount])
    return ShapedRows(columns=[f"流入{title}合计", "流入笔数", f"流出{title}合计", "流出笔数"],
                      rows=[[round(sum(inflow), 4), len(inflow),
                             round(sum(outflow), 4), len(outflow)]])


_EACH_COUNTED = re.compile(
    r"各自|各有|各是|分别|各(?:控制|持有|开|投|管)|相比|比一比|哪(?:家|个|位)更多")
"""「吴立新和周德明各自控制了几家公司」: a count for each entity asked about."""
_MORE_OF_WHICH = re.compile(r"哪(?:家|个|位|只)[一-龥]{0,10}?(?:更多|多一些)")
"""「哪家在售的贷款产品更多」: which has more, a count for each."""
_NOT_A_COUNT = re.compile(r"好几")
SUBJECT_COLUMN = "主体"
"""The first column of rows stacked for each entity a question asks about."""


def counts_per_subject(question: str, columns: list[str], rows: list[list[Any]]
                       ) -> ShapedRows | None:
    """How many rows each entity asked about has (their first listed value counted once),
    with the total of the figure it asks totalled (「各管几只、总规模多少」), when the question
    asks how many each has or which has more; None otherwise."""
    asked = _NOT_A_COUNT.sub("", question)  # 「叫张伟的有好几个人」 asks no count
    averaged = "平均" in asked and _EACH_COUNTED.search(asked) is not None
    if not columns or columns[0] != SUBJECT_COLUMN or not (
            (_HOW_MANY.search(asked) and _EACH_COUNTED.search(asked))
            or _MORE_OF_WHICH.search(asked) or averaged):
        return None
    lead = 2 if len(columns) > 1 and columns[1] == "出生年份" else 1
    if len(columns) <= lead:
        return None
    if averaged and (mean := _means_per_subject(asked, columns, rows, lead)) is not None:
        return mean
    amount = _amount_column(asked, columns, rows) if _TOTAL.search(asked) else None
    counted: dict[tuple[Any, ...], dict[str, float]] = {}
    for row in rows:
        figure = float(row[amount] or 0) if amount is not None and amount >= lead else 0.0
        counted.setdefault(tuple(row[:lead]), {})[str(row[lead])] = figure
    counted_title = _title(columns[lead]).removesuffix("编号")
    if amount is None or amount < lead:
        return ShapedRows(columns=[*columns[:lead], f"{counted_title}数量"],
                          rows=[[*key, len(values)] for key, values in counted.items()])
    return ShapedRows(columns=[*columns[:lead], f"{counted_title}数量", f"{columns[amount]}合计"],
                      rows=[[*key, len(values), round(sum(values.values()), 4)]
                            for key, values in counted.items()])


def _means_per_subject(question: str, columns: list[str], rows: list[list[Any]], lead: int
                       ) -> ShapedRows | None:
    """How many rows each entity asked about has and the average of the figure the question
    names over them (「交投和城投各自发行的产品中，平均预期年化收益率分别是多少」)."""
    figure = _amount_column(question, columns, rows)
    if figure is None or figure < lead:
        return None
    grouped: dict[tuple[Any, ...], list[float]] = {}
    for row in rows:
        values = grouped.setdefault(tuple(row[:lead]), [])
        if row[figure] is not None:
            values.append(float(row[figure]))
    return ShapedRows(
        columns=[*columns[:lead], "数量", f"平均{_title(columns[figure])}"],
        rows=[[*key, len(values), sum(values) / len(values) if values else None]
              for key, values in grouped.items()])


_BY_COLUMN = re.compile(
    r"按(?:照)?(?P<w>[一-龥]{1,6}?)(?:分布|统计|分组|汇总|划分|分类|来看|列示|列出)|"
    r"各(?P<v>行业|区县|状态|类型)")


def counts_by_column(question: str, columns: list[str], rows: list[list[Any]]
                     ) -> ShapedRows | None:
    """How many rows hold each value of the column the question breaks them down by
    (「王建国实际控制的公司按行业分布各有几家」), most first; None when it asks no breakdown or
    the rows have no such column."""
    asked = _BY_COLUMN.search(question)
    if asked is None or not rows:
        return None
    said = asked.group("w") or asked.group("v")
    at = next((i for i, column in enumerate(columns) if _title(column) == said
               or (len(said) >= 2 and said in column)), None)
    if at is None:
        return None
    counted = Counter(row[at] for row in rows)
    return ShapedRows(columns=[columns[at], "数量"],
                      rows=[[value, n] for value, n in sorted(
                          counted.items(), key=lambda item: (-item[1], str(item[0])))])


_DIFFERENCE = re.compile(r"差多少|相差|差额|差距|(?:高|低|大|小|多|少)(?:出)?多少")


def difference_of_two(question: str, columns: list[str], rows: list[list[Any]]
                      ) -> ShapedRows | None:
    """Two entities' values of the figure the question names, the larger first, and how far
    apart they are, when it asks by how much they differ (「华晟电子和瑞丰纺织，哪家注册资本高？
    差多少万元」); None otherwise."""
    if not columns or columns[0] != SUBJECT_COLUMN or len(rows) != 2 or not _DIFFERENCE.search(
            question):
        return None
    figure = next((i for i, column in enumerate(columns) if i > 0 and _title(column) in question
                   and all(isinstance(r[i], int | float) for r in rows)), None)
    if figure is None:
        return None
    high, low = sorted(rows, key=lambda r: r[figure], reverse=True)
    title = _title(columns[figure])
    return ShapedRows(columns=["较高一方", f"{title}（较高）", "较低一方", f"{title}（较低）",
                               f"{title}相差"],
                      rows=[[high[0], high[figure], low[0], low[figure],
                             high[figure] - low[figure]]])


_YEARS_ASKED = re.compile(r"成立(?:满|了|有)?(?:多少|几)年|成立多久|成立年限")
_FOUNDED = "成立日期"


def years_founded(question: str, columns: list[str], rows: list[list[Any]]
                  ) -> ShapedRows | None:
    """How many full years each entity has stood, as of the day the question counts to or
    today, when it asks (「滨江城投到2025年6月30日成立满多少年了」); None otherwise."""
    if not rows or _FOUNDED not in columns or not _YEARS_ASKED.search(question):
        return None
    at, as_of = columns.index(_FOUNDED), as_of_date(question)

    def full_years(founded: date) -> int:
        return as_of.year - founded.year - ((as_of.month, as_of.day)
                                            < (founded.month, founded.day))

    return ShapedRows(columns=[columns[0], _FOUNDED, "截至日期", "成立年数"],
                      rows=[[r[0], r[at], as_of, full_years(r[at])] for r in rows
                            if isinstance(r[at], date)])


def shape_rows(question: str, columns: list[str], rows: list[list[Any]]) -> ShapedRows | None:
    """The total and/or count the (normalised) question asks for instead of the rows; None
    when it asks for the rows."""
    if _ROWS_WANTED.search(question) or _RANKING.search(question) or not columns:
        return None
    wants_total = bool(_TOTAL.search(question) or (_MONEY_ASKED.search(question)
                                                   and not _WHO_ASKED.search(question)))
    wants_count = bool(_HOW_MANY.search(question))
    amount = _amount_column(question, columns, rows)
    shaped_columns: list[str] = []
    values: list[Any] = []
    if wants_count and _EACH_ROW_COUNTED.search(question):
        shaped_columns.append("笔数")
        values.append(len(rows))
    elif wants_count:
        shaped_columns.append(f"{columns[0]}数量")
        values.append(len({str(r[0]) for r in rows}))
    if wants_total and amount is not None and not _ALREADY_TOTAL.search(columns[amount]):
        shaped_columns.append(f"{columns[amount]}合计")
        values.append(round(sum(float(r[amount] or 0) for r in rows), 4))
        if not wants_count:  # a total comes with how many it adds up (「对外担保总额」: 2 笔)
            money = "金额" in columns[amount]
            shaped_columns.append("笔数" if money else f"{columns[0]}数量")
            values.append(len(rows) if money else len({str(r[0]) for r in rows}))
    if "平均" in question and amount is not None and rows:
        shaped_columns.append(f"{columns[amount]}平均")
        values.append(round(sum(float(r[amount] or 0) for r in rows) / len(rows), 4))
    if not values:
        return None
    return ShapedRows(columns=shaped_columns, rows=[values])


def ranked_rows(question: str, columns: list[str], rows: list[list[Any]]
                ) -> list[list[Any]] | None:
    """The rows ordered by the figure a ranking question names and cut to its count
    (「持股比例最高的前三位股东」), with any tied at the cut, or all of them sorted when it
    asks for an order (「按最高额度从大到小排」); None when the question ranks nothing."""
    titles = [_title(c) for c in columns]
    wording = next((m for m in _RANKING.finditer(question)
                    if not any(len(t) > 2 and question.startswith(t, m.start()) for t in titles)
                    # 「最高能贷多少」 asks a limit, 「最低、最高年利率」 two columns
                    and question[m.end():m.end() + 1] not in ("能", "可")
                    and not both_extremes(question, m.start())),
                   None)
    sort = _SORTED.search(question)
    if (wording is None and sort is None) or not rows:
        return None
    numeric = [i for i in range(len(columns))
               if all(isinstance(r[i], int | float) and not isinstance(r[i], bool)
                      for r in rows)]
    if not numeric:
        return None
    named = [i for i in numeric if titles[i][-2:] in question]
    column = (named or numeric)[0]
    if wording is None:
        assert sort is not None
        return sorted(rows, key=lambda r: float(r[column]),
                      reverse=sort.group(0)[1] in "大高多")
    ascending = bool(wording.group("low"))
    ordered = sorted(rows, key=lambda r: float(r[column]), reverse=not ascending)
    count = LIMIT_WORDS.search(question)
    cut = chinese_number(count.group(1) or count.group(2)) if count else 1
    if cut <= 0 or cut >= len(ordered):
        return ordered
    last = float(ordered[cut - 1][column])
    return [r for r in ordered[:cut]] + [r for r in ordered[cut:] if float(r[column]) == last]


def members_asked(question: str, rows: list[list[Any]], anchor: str | None
                  ) -> ShapedRows | None:
    """The distinct members of the circles, chains or cycles in the rows, one per row, when
    the question asks which companies they involve (「形成担保圈的企业有哪些」); the anchor is
    left out when the question asks what it reaches (「能到哪些企业」), and each member then
    comes with the fewest hops it is from the anchor along chains that start there."""
    if (not rows or not isinstance(rows[0][0], list) or not _MEMBERS.search(question)
            or _FIGURES.search(question)):
        return None
    reach = _REACH.search(question) is not None or _BESIDES_ITSELF.search(question) is not None
    hops: dict[str, int] = {}
    for row in rows:
        for at, member in enumerate(row[0]):
            if not (reach and member == anchor):
                hops[member] = min(hops.get(member, at), at)
    if reach and all(row[0] and row[0][0] == anchor for row in rows):
        return ShapedRows(columns=["成员", "层级"], rows=[[m, h] for m, h in hops.items()])
    return ShapedRows(columns=["成员"], rows=[[m] for m in hops])

