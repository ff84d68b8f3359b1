"""The conditions a register-wide question sets on the entities it lists: values of their
text properties (「制造业」, 「不是“正常运作”」), numbers with their units and comparisons
(「注册资本超过1亿元」, 「收益率不低于15%」), dates and periods (「2023年上半年」, 「近两年」),
birth years (「1990年及以后出生」), and values of an entity one relationship away
(「被列为失信被执行人的企业」).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from bots.text2cypher.blanks import blank_span
from bots.text2cypher.frames import (
    PARTY,
    Condition,
    Op,
    RelatedCondition,
    label_lineage,
    label_properties,
    plain_label,
)
from bots.text2cypher.vocabulary import VALUE_PROPERTIES, GraphVocabulary
from kg.ontology import Ontology, PropertyDef, city_now

_GENERATION = re.compile(r"(?<!\d)([5-9][05])后")
_BIRTH = re.compile(r"(\d{4})年(?P<rel>及以后|以后|之后|后|及以前|以前|之前|前)?(?:出生|生)")
_NEGATED = re.compile(r"(?:不是|非|不为|除了?|排除|不在)“?$")
_OPS: dict[str, Op] = {
    "不低于": ">=", "不少于": ">=", "不小于": ">=", "大于等于": ">=", "至少": ">=",
    "及以上": ">=", "以上": ">=", "超过": ">", "超": ">", "高于": ">", "大于": ">", "多于": ">",
    "不高于": "<=", "不超过": "<=", "不大于": "<=", "小于等于": "<=", "及以下": "<=",
    "以下": "<=", "以内": "<=", "及以内": "<=", "低于": "<", "少于": "<", "小于": "<", "不到": "<",
    "不足": "<", "未满": "<", "未达到": "<", "达到": ">=", "达": ">=",
}
_BEFORE_OPS = "|".join(sorted((k for k in _OPS if "以" not in k), key=len, reverse=True))
_AFTER_OPS = "及以上|以上|及以下|以下|及以内|以内"
_NUMBER = re.compile(
    rf"(?:在|为|是|能到|能达到|可达|可以到)?(?P<op1>{_BEFORE_OPS})?(?P<num>\d+(?:\.\d+)?)"
    rf"(?P<unit>%|％|亿元|亿|万元|万|元|个月|月|年)?(?P<op2>{_AFTER_OPS})?")
_DATE = re.compile(
    r"(?P<y>\d{4})年(?:(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})[日号])?)?(?P<part>上半年|下半年|第?[一二三四1-4]季度)?"
    r"(?P<rel>以来|及以后|之后|以后|起|后|及以前|之前|以前|前)?")
_UNITS = r"%|％|亿元|亿|万元|万|元|个月|月|年"
_RANGE = re.compile(rf"(?:在|为|是|介于)?(?P<a>\d+(?:\.\d+)?)(?P<ua>{_UNITS})?(?:到|至|~|～|-|—)"
                    rf"(?P<b>\d+(?:\.\d+)?)(?P<ub>{_UNITS})?(?:之间|以内)?")
YEAR_PAIR = re.compile(r"(?P<a>\d{4})年?(?:和|及|与|、|跟|以及|至|到)(?P<b>\d{4})年")
"""Two years a question names together (「2024年和2025年」, 「2023至2025年」)."""
_SPAN = re.compile(
    r"(?P<y>\d{4})年(?:(?P<m>\d{1,2})月份?(?:(?P<d>\d{1,2})[日号])?)?(?:到|至|~|～|-|—)"
    r"(?:(?P<y2>\d{4})年)?(?:(?P<m2>\d{1,2})月份?)?(?:(?P<d2>\d{1,2})[日号])?")
"""A span of dates whose end may leave out the year and month it shares with the start
(「2025年1月到6月」, 「2023年2月1日至2023年6月30日」, 「2024年3月1日到15日」)."""
_RECENT = re.compile(r"(?:近|最近|过去)(?P<n>\d+|[一二两三四五六七八九十半])(?:个)?(?P<u>年|月)")
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10}


def chinese_number(text: str) -> int:
    """「10」, 「五」, 「十二」, 「二十」 as an int (the small numbers questions use)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 1) * 10 + _CN_DIGITS.get(ones, 0)
    return _CN_DIGITS.get(text, 0)


EXCLUDABLE = {"贷款": "LoanProduct", "银行": "Bank"}
EXCLUDED_CLASS = re.compile(r"(?:非|不含|不算|不包括|除了?|排除)(贷款|银行)|"
                            r"(贷款|银行)(?=以外|之外|除外)")
"""A narrower class a question leaves out (「不算银行」, 「非贷款类」, 「银行以外」)."""


def excluded_classes(text: str) -> list[str]:
    """Narrower classes the question leaves out (「金融业企业（不算银行）」, 「非贷款类产品」)."""
    return [EXCLUDABLE[said.group(1) or said.group(2)] for said in EXCLUDED_CLASS.finditer(text)]


def value_conditions(text: str, label: str, vocabulary: GraphVocabulary,
                      words: dict[str, tuple[str, ...]], taken: str = "") -> list[Condition]:
    """Conditions on the listed entities' own text properties; values inside ``taken`` (the
    related entities' values already read) are not read again."""
    found = []
    for prop in VALUE_PROPERTIES.get(label, ()):
        near = "|".join(map(re.escape, words.get(prop, ())))
        named = [v for v in vocabulary.values.get(label, {}).get(prop, [])
                 if _names_value(text, v, near) and v not in taken]
        if len(named) == 1:
            at = text.find(named[0])
            negated = at > 0 and _NEGATED.search(text[max(0, at - 4):at]) is not None
            found.append(Condition(prop=prop, op="<>" if negated else "=", value=named[0]))
        elif named:
            found.append(Condition(prop=prop, op="IN", value=sorted(named)))
    return found


def related_conditions(text: str, label: str, ontology: Ontology,
                        vocabulary: GraphVocabulary) -> list[RelatedCondition]:
    """Conditions on entities of another class that one relationship links to the listed
    ones (「被列为失信被执行人的企业」: a RiskEvent of that kind INVOLVES the company)."""
    found = []
    lineage = label_lineage(ontology, label)
    for other in VALUE_PROPERTIES:
        if other in lineage or (label == PARTY and other in ("Company", "Person")):
            continue
        links = [(r.name, bool(lineage & set(r.domain))) for r in ontology.relationships.values()
                 if (lineage & set(r.domain) and other in r.range)
                 or (lineage & set(r.range) and other in r.domain)]
        if len(links) != 1:
            continue
        found += [RelatedCondition(rel=links[0][0], outgoing=links[0][1], other=other,
                                   prop=prop, value=value)
                  for prop, value in other_values(text, other, ontology, vocabulary)]
    return found


_JOINED = "(?:或者|或是|或|和|及|与|、|还是)"


def other_values(text: str, other: str, ontology: Ontology, vocabulary: GraphVocabulary
                 ) -> list[tuple[str, str | list[str]]]:
    """``(property, value)`` of the values of class ``other`` the question names (a list
    when it names several of one property: 「逾期或者涉嫌非法集资的产品」): three characters
    or more anywhere, two only beside the class's word (「账户被冻结」, 「久悬账户」)."""
    word = re.escape(ontology.classes[other].label_zh)
    found: list[tuple[str, str | list[str]]] = []
    for prop in VALUE_PROPERTIES.get(other, ()):
        values = vocabulary.values.get(other, {}).get(prop, [])
        said = re.escape(plain_label(ontology.node_properties(other)[prop].label_zh))
        named = [v for v in values if (len(v) >= 3 and v in text) or (
            len(v) == 2 and word and re.search(rf"{v}.?{word}|{word}.{{0,4}}{v}", text)) or (
            len(v) == 1 and re.search(rf"{said}(?:为|是)?{v}(?![于过])", text))]
        if named:  # 「逾期或者涉嫌非法集资」, 「吊销、注销」 (its 、 normalised away): a short
            # value joined to a named one
            joined = "|".join(map(re.escape, named))
            named += [v for v in values if len(v) == 2 and v not in named and re.search(
                rf"{v}{_JOINED}?(?:{joined})|(?:{joined}){_JOINED}?{v}", text)]
        named = [v for v in named if not any(v != longer and v in longer for longer in named)]
        if named:
            found.append((prop, named[0] if len(named) == 1 else sorted(named)))
    return found


def birth_conditions(text: str, label: str, ontology: Ontology) -> list[Condition]:
    """「1990年及以后出生」 as a condition on the birth year of the listed people; 「80后」 as
    born in the 1980s, 「95后」 as born from 1995 to the decade's end."""
    if "birth_year" not in label_properties(ontology, label):
        return []
    generation = _GENERATION.search(text)
    if generation:
        year = 1900 + int(generation.group(1))
        decade_end = year - year % 10 + 9
        return [Condition(prop="birth_year", op=">=", value=year),
                Condition(prop="birth_year", op="<=", value=decade_end)]
    born = _BIRTH.search(text)
    if born is None:
        return []
    relation = born.group("rel") or ""
    op: Op = ">=" if "后" in relation else ("<" if "前" in relation else "=")
    return [Condition(prop="birth_year", op=op, value=int(born.group(1)))]


def _names_value(text: str, value: str, near: str) -> bool:
    """Whether the text names a property value: in full, without a trailing 业 before a
    class word (「房地产企业」), or (one character long) beside its property's word
    (「低风险」)."""
    if len(value) >= 2:
        stem = re.sub(r"(?:业|产品|基金|理财)$", "", value)
        short = value.replace("和", "").replace("、", "")
        return value in text or (len(short) >= 3 and short in text) or (
            len(stem) >= 2 and re.search(
                rf"{re.escape(stem)}(?:类|型)?的?(?:企业|公司|行业|类|产品|基金)", text)
            is not None)
    return bool(near) and re.search(
        rf"(?:{near})(?:为|是)?“?{value}|{value}等?(?:{near})", text) is not None


def _scaled(number: float, unit: str | None, label_zh: str) -> float:
    if "万元" in label_zh:
        return number * {"亿元": 10000, "亿": 10000, "元": 0.0001}.get(unit or "", 1)
    if "月" in label_zh and unit == "年":
        return number * 12
    if re.search("率|比例", label_zh) and (unit in ("%", "％") or number > 1):
        return number / 100
    return number


def numeric_conditions(text: str, label: str, ontology: Ontology,
                        words: dict[str, tuple[str, ...]]) -> list[Condition]:
    """Comparisons of the listed entities' numeric properties, in the property's own unit
    (「注册资本超过1亿元」 → registered_capital > 10000 万元; 「收益率不低于15%」 → ≥ 0.15)."""
    return compared_numbers(text, label_properties(ontology, label), words)


def compared_numbers(text: str, props: dict[str, PropertyDef],
                     words: dict[str, tuple[str, ...]]) -> list[Condition]:
    """Comparisons of the numeric ``props`` the text names by ``words``, in each property's
    own unit; shared by entities' properties and relationships' (「单笔金额在1000万元以上」)."""
    found = []
    for name, prop in props.items():
        if prop.datatype not in ("double", "integer") or name not in words:
            continue
        for word in sorted(words[name], key=len, reverse=True):
            at = text.find(word)
            if at < 0:
                continue
            span = _RANGE.match(text, at + len(word))
            if span is not None:  # 「注册资本1000到5000万元」: both ends included
                unit = span.group("ua") or span.group("ub")
                low, high = (_scaled(float(span.group(end)), unit, prop.label_zh)
                             for end in ("a", "b"))
                found += [Condition(prop=name, op=op, value=_typed(value, prop))
                          for op, value in ((">=", low), ("<=", high))]
                break
            number = _NUMBER.match(text, at + len(word))
            if number is None or not number.group("num"):
                continue
            op = _OPS.get(number.group("op1") or number.group("op2") or "", "=")
            value = _scaled(float(number.group("num")), number.group("unit"), prop.label_zh)
            found.append(Condition(prop=name, op=op, value=_typed(value, prop)))
            break
    return found


def _typed(value: float, prop: PropertyDef) -> float | int:
    return int(value) if prop.datatype == "integer" else value


class Figure(BaseModel):
    """A comparison with a share or an amount the question sets on a template's rows."""

    op: Op
    value: float
    kind: Literal["share", "amount"]
    at: int = Field(default=0, description="where the figure starts in the text")


_HALF = re.compile(r"过半|超过一半|半数以上|一半以上|控股子公司")
_WHOLLY = re.compile(r"全资|100[%％]持股|持股100[%％]")


def figure_conditions(text: str) -> list[Figure]:
    """Comparisons with a share (「持股10%以上」, 「持股过半」, 「控股子公司」, 「全资」: a
    fraction) or an amount (「超过1000万」, 「达到5000万」: in 万元) that the (normalised) text
    sets, with their comparison word."""
    half, wholly = _HALF.search(text), _WHOLLY.search(text)
    found = [Figure(op=">", value=0.5, kind="share", at=half.start())] if half else []
    if wholly:
        return [*found, Figure(op="=", value=1.0, kind="share", at=wholly.start())]
    for number in _NUMBER.finditer(text):
        op_word = number.group("op1") or number.group("op2")
        unit = number.group("unit") or ""
        if not number.group("num") or not op_word or unit not in ("%", "％", "亿元", "亿",
                                                                   "万元", "万"):
            continue
        share = unit in ("%", "％")
        label_zh = "比例" if share else "金额（万元）"
        found.append(Figure(op=_OPS[op_word],
                            value=_scaled(float(number.group("num")), unit, label_zh),
                            kind="share" if share else "amount", at=number.start()))
    return found


def absent_conditions(text: str, label: str, ontology: Ontology,
                      words: dict[str, tuple[str, ...]]) -> list[Condition]:
    """Properties the question says the listed entities lack (「没有备案编码的基金」,
    「电话为空的企业」)."""
    props = label_properties(ontology, label)
    found = []
    for name, said in words.items():
        if name not in props:
            continue
        alternatives = "|".join(map(re.escape, sorted(said, key=len, reverse=True)))
        if re.search(rf"(?:(?<!有)没有|没|无|缺少|缺失|未填写?|未登记)(?:{alternatives})|"
                     rf"(?:{alternatives})(?:为空|缺失|空白|没填|未填)", text):
            found.append(Condition(prop=name, op="IS NULL", value=""))
    return found


_ADDRESS_PART = re.compile(
    r"(?:注册)?(?:地址|住所)(?:在|位于|是|为)(?P<v>[一-龥0-9]{2,12}?(?:路|街|大道|巷|弄|大厦|广场|园区))")
_ADDRESS = re.compile(r"[一-龥]{0,8}?(?:路|街|大道|巷)\d+号(?:\d+(?:幢|栋|号楼))?(?:\d+室)?")
_PHONE = re.compile(r"(?<!\d)(?:0\d{2,3}-?\d{7,8}|1[3-9]\d{9})(?!\d)")


def address_conditions(text: str, label: str, ontology: Ontology) -> list[Condition]:
    """The address or phone the listed entities are registered with: a road or building
    (「注册地址在红星路的企业」), an address written out (「江北区红星路300号2幢1108室这个
    地址」) or a phone number (「0579-86031888这个号码」)."""
    props = label_properties(ontology, label)
    found = []
    address = _ADDRESS.search(text) or _ADDRESS_PART.search(text)
    if address is not None and "address" in props:
        said = address.group("v") if "v" in address.groupdict() else address.group(0)
        found.append(Condition(prop="address", op="CONTAINS", value=said))
    phone = _PHONE.search(text)
    if phone is not None and "phone" in props:
        found.append(Condition(prop="phone", op="=", value=phone.group(0)))
    return found


def _period(match: re.Match[str]) -> tuple[date, date]:
    year = int(match.group("y"))
    month, part = match.group("m"), match.group("part") or ""
    if match.group("d"):
        day = date(year, int(month), int(match.group("d")))
        return day, day
    if month:
        m = int(month)
        end = date(year + (m == 12), m % 12 + 1, 1)
        return date(year, m, 1), date.fromordinal(end.toordinal() - 1)
    if part == "上半年":
        return date(year, 1, 1), date(year, 6, 30)
    if part == "下半年":
        return date(year, 7, 1), date(year, 12, 31)
    if part:
        q = chinese_number(part.strip("第季度")) or 1
        end = date(year + (q == 4), (q * 3) % 12 + 1, 1)
        return date(year, q * 3 - 2, 1), date.fromordinal(end.toordinal() - 1)
    return date(year, 1, 1), date(year, 12, 31)


def _span(match: re.Match[str]) -> tuple[date, date]:
    """The first and last day of a span of dates; the end takes what it leaves out from the
    start, and a month or year it names ends on its last day."""
    year = int(match.group("y"))
    start_month = int(match.group("m") or 1)
    start = date(year, start_month, int(match.group("d") or 1))
    end_year = int(match.group("y2") or year)
    end_month = int(match.group("m2") or (start_month if match.group("d2") or match.group("m")
                                          else 12))
    if match.group("d2"):
        return start, date(end_year, end_month, int(match.group("d2")))
    after = date(end_year + (end_month == 12), end_month % 12 + 1, 1)
    return start, date.fromordinal(after.toordinal() - 1)


def date_conditions(text: str, label: str, ontology: Ontology,
                     words: dict[str, tuple[str, ...]]) -> list[Condition]:
    """The date range a question sets (「2023年上半年」, 「2025年以来」, 「近两年」) on the date
    property its verb names (成立 → founded_on, 发生 → occurred_on), else the only one."""
    dated = [n for n, p in label_properties(ontology, label).items() if p.datatype == "date"]
    named = [n for n in dated if any(w in text for w in words.get(n, ()))]
    if not (named or dated):
        return []
    return period_conditions(text, (named or dated)[0])


_AGE = re.compile(r"(?P<verb>成立|设立|注册)(?:时间)?(?:已经|已)?"
                  r"(?P<op1>不满|未满|不到|不足|少于|超过|满|达到)?(?P<n>\d+|[一二两三四五六七八九十]+)年(?P<op2>及以上|以上|以下|以内|之内)?")
_AS_OF = re.compile(r"(?:截至|截止到?|截止|到)(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})[日号]?")
_YOUNGER = frozenset({"不满", "未满", "不到", "不足", "少于", "以下", "以内", "之内"})


def as_of_date(text: str) -> date:
    """The day a question counts to (「截至2025年6月30日」, 「到2025年6月30日」), else today."""
    said = _AS_OF.search(text)
    if said is None:
        return city_now().date()
    return date(int(said.group("y")), int(said.group("m")), int(said.group("d")))


def age_conditions(text: str, label: str, ontology: Ontology,
                   words: dict[str, tuple[str, ...]]) -> tuple[list[Condition], str]:
    """How long ago the listed entities were founded, as of the date the question gives or
    today (「截至2025年6月30日，成立不满3年」 → founded after 2022-06-30 and by 2025-06-30;
    「成立满20年」 → by 20 years before), and the text without the words read; no conditions
    when it sets no age."""
    age = _AGE.search(text)
    said = (age.group("op1") or age.group("op2")) if age else None
    dated = [n for n, p in label_properties(ontology, label).items() if p.datatype == "date"]
    prop = next((n for n in dated if age and age.group("verb") in words.get(n, ())), None)
    if age is None or said is None or prop is None:
        return [], text
    as_of_said = _AS_OF.search(text)
    as_of = as_of_date(text)
    years = chinese_number(age.group("n"))
    try:
        bound = as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February
        bound = as_of.replace(year=as_of.year - years, day=28)
    if said in _YOUNGER:
        found = [Condition(prop=prop, op=">", value=bound.isoformat(), is_date=True),
                 Condition(prop=prop, op="<=", value=as_of.isoformat(), is_date=True)]
    else:
        found = [Condition(prop=prop, op="<" if said == "超过" else "<=",
                           value=bound.isoformat(), is_date=True)]
    read = [age] + ([as_of_said] if as_of_said else [])
    for match in read:
        text = blank_span(text, match.start(), match.end())
    return found, text


_YEAR_SAID = re.compile(r"\d{4}年")
_RELATIVE_YEAR = re.compile(r"今年|本年度?|去年|上一?年度?|前年")
_YEARS_BACK = {"今年": 0, "本年": 0, "本年度": 0, "去年": 1, "上年": 1, "上一年": 1, "上年度": 1,
               "上一年度": 1, "前年": 2}


def _years_spelt_out(text: str) -> str:
    """The text with a year said relative to today (「去年」, 「今年上半年」) spelt as the year,
    unless the question also names the year itself (「今年（2025年）以来」)."""
    if _YEAR_SAID.search(text):
        return text
    year = city_now().year
    return _RELATIVE_YEAR.sub(lambda m: f"{year - _YEARS_BACK[m.group(0)]}年", text)


def period_conditions(text: str, prop: str) -> list[Condition]:
    """The date range a question sets (「2025年3月份」, 「2025年以来」, 「近两年」, 「去年」) as
    conditions on the date or time property ``prop``."""
    text = _years_spelt_out(text)
    recent = _RECENT.search(text)
    if recent:
        amount = 0.5 if recent.group("n") == "半" else chinese_number(recent.group("n"))
        days = round(amount * (365 if recent.group("u") == "年" else 30.5))
        since = date.fromordinal(city_now().date().toordinal() - days)
        return [Condition(prop=prop, op=">=", value=since.isoformat(), is_date=True)]
    pair = YEAR_PAIR.search(text)
    if pair is not None:
        first, last = sorted((int(pair.group("a")), int(pair.group("b"))))
        return [Condition(prop=prop, op=">=", value=date(first, 1, 1).isoformat(), is_date=True),
                Condition(prop=prop, op="<=", value=date(last, 12, 31).isoformat(), is_date=True)]
    span = _SPAN.search(text)
    if span is not None and (span.group("y2") or span.group("m2") or span.group("d2")):
        try:
            start, end = _span(span)
        except ValueError:  # a day the calendar lacks (「2月30日」)
            return []
        return [Condition(prop=prop, op=">=", value=start.isoformat(), is_date=True),
                Condition(prop=prop, op="<=", value=end.isoformat(), is_date=True)]
    match = _DATE.search(text)
    if match is None:
        return []
    start, end = _period(match)
    relation = match.group("rel") or ""
    if relation in ("以来", "及以后", "之后", "以后", "起", "后"):
        return [Condition(prop=prop, op=">=", value=start.isoformat(), is_date=True)]
    if relation in ("及以前", "之前", "以前", "前"):
        return [Condition(prop=prop, op="<", value=start.isoformat(), is_date=True)]
    return [Condition(prop=prop, op=">=", value=start.isoformat(), is_date=True),
            Condition(prop=prop, op="<=", value=end.isoformat(), is_date=True)]


def period_bounds(text: str) -> tuple[str | None, str | None]:
    """The first and last day of the period a question names (「2025年3月份」, 「2024年9月
    10日当天」, 「2024年以来」), as ISO text, None for a side it leaves open; a birth year is no
    period."""
    since = until = None
    for condition in period_conditions(_BIRTH.sub("", text), "time"):
        if condition.op == ">=":
            since = str(condition.value)
        elif condition.op == "<=":
            until = str(condition.value)
        elif condition.op == "<":
            until = (date.fromisoformat(str(condition.value)) - timedelta(days=1)).isoformat()
    return since, until
