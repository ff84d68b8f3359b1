"""Facts a regulator needs, read from Chinese announcements, news and court notices.

A spaCy pipeline (one token per character) splits the text into sentences and finds the
names the caller already knows (the graph's names and aliases such as 「鼎盛集团」) with an
EntityRuler; rules add organisation-suffix names such as 「滨江鼎盛置业有限公司」 and persons
after a role word such as 「法定代表人王建国」. Each sentence is then searched for the
relations between them: shareholdings with their ratio (持有/持股/受让/增持至 …),
guarantees with their amount (为…提供…担保), actual control (实际控制人), legal
representation (法定代表人), and risk events of an entity (失联, 延期兑付, 违规募集 …). Every
fact keeps its document, sentence and character span. Facts that are only planned (拟, 计划),
denied or negated (不存在, 未, 否认) are not facts and are left out.

Rules are deliberately explicit: the phrases of filings are formulaic, and every rule can be
read and tested. Which graph entity a mention is, is decided later (entity resolution).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from kg.entity_records import EntityRecord
from nlu.numbers import parse_number
from nlu.pipeline import blank_zh

Relation = Literal["HOLDS_SHARES", "GUARANTEES", "CONTROLS", "IS_LEGAL_REP", "RISK_EVENT"]
MentionKind = Literal["company", "fund", "person"]

SENTENCE_ENDS = ("。", "！", "？", "!", "?", "；", ";", "\n")
_ORG_SUFFIX = (
    r"(?:股份有限公司|有限责任公司|集团有限公司|有限公司|合伙企业[（(]有限合伙[）)]|合伙企业"
    r"|私募投资基金|私募证券投资基金|私募股权投资基金|私募基金|投资基金|集团)"
)
_ORG = re.compile(r"[\u4e00-\u9fff（）()·A-Za-z0-9]{2,30}?" + _ORG_SUFFIX)
# Words after which an organisation's name starts, wherever they stand in the run before its
# suffix (none of them is part of a name), and place names a name usually starts with.
_BOUNDARY_WORDS = (
    "公告称", "公告显示", "据悉", "其中", "本公司", "控股股东", "全资子公司", "子公司", "关联方",
    "被执行人", "被申请人", "申请人", "原告", "被告", "债务人", "债权人", "宣布", "披露", "显示",
    "表示", "通报", "获悉", "日前", "近日", "此外", "另外", "经查", "查明", "认定", "裁定",
    "判决", "受理", "对于", "关于", "持有", "持股", "受让", "转让给", "转让予", "增持", "减持",
    "提供", "收购", "股权", "股份", "所持", "旗下", "以及", "并且", "同时", "其中", "分别",
)
_PLACES = re.compile(
    "滨江|杭州|宁波|温州|绍兴|嘉兴|湖州|金华|台州|舟山|丽水|衢州|上海|北京|天津|重庆|深圳|广州"
    "|南京|苏州|无锡|合肥|武汉|成都|西安|厦门|福州|青岛|济南|浙江|江苏|广东|安徽|福建|山东"
)
# Single characters dropped from the start of a name (prepositions, conjunctions, verbs).
_LEAD_CHARS = set("对与为向由和及将把被称系是的在于据经因其该以给同跟、")
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧"
    "耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙"
    "鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫"
)
_ROLE_PERSON = re.compile(
    r"(?P<role>法定代表人|法人代表|实际控制人|实控人|董事长|执行董事|总经理|监事|自然人股东|自然人)"
    r"(?:由|为|是|系|：|:|变更为|已变更为|均为|仍为)?\s*"
    r"(?P<name>[\u4e00-\u9fff]{2,3}?)(?=[，,。；;、（(先女是为的与和等已自于在所持同]|$)"
)
_PERSON_TITLE = re.compile(r"(?P<name>[\u4e00-\u9fff]{2,3}?)(?:先生|女士)")
_RATIO = re.compile(
    r"(?P<num>\d+(?:\.\d+)?)\s*[%％]|百分之(?P<cn>[零一二两三四五六七八九十百点]+)"
    r"|(?P<tenth>[一二两三四五六七八九十])成"
)
_AMOUNT = re.compile(
    r"(?:人民币)?(?P<num>\d[\d,，]*(?:\.\d+)?|[零一二两三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟]+)"
    r"\s*(?P<unit>亿元|万元|亿|万|元)"
)
_NOT_A_FACT = re.compile(
    r"拟|计划|准备|意向|有意|不存在|并未|尚未|从未|从不|并非|没有|否认|不实|谣言|辟谣"
    r"|未(?:为|向|对)?.{0,8}提供|未持有"
)
_EVENTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("失联", re.compile(r"(?<!住所)(?<!场所)(?<!地址)(?:失联|无法(?:取得)?联系|联系不上)")),
    ("延期兑付", re.compile(
        r"延期兑付|逾期兑付|未能按期兑付|未按(?:期|约定)兑付|兑付(?:出现)?逾期|到期未兑付")),
    ("违规募集", re.compile(
        r"违规募集|非法集资|非法吸收公众存款|虚假私募|未(?:经|在).{0,12}登记.{0,12}募集")),
    ("失信被执行", re.compile(r"失信被执行人")),
    ("股权冻结", re.compile(r"股权.{0,8}冻结|冻结.{0,8}股权")),
    ("行政处罚", re.compile(r"行政处罚|处以罚款|罚款\d|被罚")),
    ("涉诉", re.compile(r"起诉|诉讼|被诉|立案受理")),
    ("经营异常", re.compile(r"经营异常名录|列入经营异常")),
)


class Mention(BaseModel):
    """An entity named in a sentence, as written."""

    text: str
    kind: MentionKind
    start: int = Field(description="offset in the document")
    end: int


class FinanceFact(BaseModel):
    """A fact read from a document, with the words it was read from."""

    relation: Relation
    subject: Mention
    object: Mention | None = None
    ratio: float | None = Field(default=None, ge=0.0, le=1.0)
    amount: float | None = Field(default=None, gt=0.0, description="万元")
    event: str | None = None
    document: str
    sentence: str
    span: tuple[int, int] = Field(description="the sentence's offsets in the document")


class FinanceExtractor:
    """Reads facts from text; ``known`` names (the graph's names and aliases) are always found.

    ``known`` maps a surface form to its kind, so 「鼎盛集团」 and 「聚鑫稳健收益一号」 are
    mentions although no suffix marks them.
    """

    def __init__(self, known: dict[str, MentionKind] | None = None) -> None:
        """Find ``known`` surface forms besides the patterns. The spaCy pipeline (one token
        per character) splits sentences and finds the known forms with an EntityRuler."""
        self.known = dict(known or {})
        self.nlp = blank_zh()
        ruler = self.nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH"})
        ruler.add_patterns([{"label": kind, "pattern": form}  # type: ignore[attr-defined]
                            for form, kind in self.known.items()])
        self.nlp.add_pipe("sentencizer", config={"punct_chars": list(SENTENCE_ENDS)})

    @classmethod
    def from_records(cls, records: Iterable[EntityRecord]) -> FinanceExtractor:
        """An extractor that also finds the graph's names and aliases (persons' names too)."""
        known: dict[str, MentionKind] = {}
        for record in records:
            kind: MentionKind = ("person" if record.label == "Person" else
                                 "fund" if record.label in ("Fund", "Product") else "company")
            for form in (record.name, *record.aliases):
                if len(form) >= 2:
                    known.setdefault(form, kind)
        return cls(known)

    def extract(self, text: str, document: str) -> list[FinanceFact]:
        """Every fact of ``text``, in order; ``document`` names where it came from."""
        facts: list[FinanceFact] = []
        current: Mention | None = None
        for sentence in self.nlp(text).sents:
            if sentence.text.strip():
                found, current = self._sentence_facts(sentence.text, sentence.start_char,
                                                      document, current)
                facts += found
        return _unique(facts)

    # ------------------------------------------------------------------ mentions
    def mentions(self, sentence: str, offset: int = 0) -> list[Mention]:
        """The entities ``sentence`` names, left to right, without overlaps."""
        found = [Mention(text=ent.text, kind=self.known[ent.text],
                         start=offset + ent.start_char, end=offset + ent.end_char)
                 for ent in self.nlp(sentence).ents]
        for m in _ORG.finditer(sentence):
            start = m.start() + _lead_length(m.group())
            name = sentence[start:m.end()]
            known = self._known_ending(name)
            if known is not None and not _PLACES.fullmatch(name[:-len(known)] or "滨江"):
                start = m.end() - len(known)
                name = known
            if len(name) >= 4:
                kind: MentionKind = "fund" if "基金" in name else "company"
                found.append(Mention(text=name, kind=kind, start=offset + start,
                                     end=offset + m.end()))
        for pattern in (_ROLE_PERSON, _PERSON_TITLE):
            for m in pattern.finditer(sentence):
                if m.group("name")[0] not in _SURNAMES:
                    continue
                found.append(Mention(text=m.group("name"), kind="person",
                                     start=offset + m.start("name"), end=offset + m.end("name")))
        return _without_overlaps(found)

    def _known_ending(self, name: str) -> str | None:
        """The longest known name or alias that ``name`` ends with (「也从未为鼎盛集团」→
        「鼎盛集团」), so words before a known name are not taken as part of it."""
        endings = [form for form in self.known if name.endswith(form)]
        return max(endings, key=len) if endings else None

    # ------------------------------------------------------------------ relations
    def _sentence_facts(self, sentence: str, offset: int, document: str,
                        current: Mention | None) -> tuple[list[FinanceFact], Mention | None]:
        """The sentence's facts, and the company the text is about after it. ``current`` is
        the company named last before the sentence: what 「该公司」「公司」「其」 refer to."""
        mentions = self.mentions(sentence, offset)
        companies = [m for m in mentions if m.kind != "person"]
        after = companies[-1] if companies else current
        if not mentions:
            return [], after
        facts: list[FinanceFact] = []

        def fact(relation: Relation, subject: Mention, obj: Mention | None = None, *,
                 ratio: float | None = None, amount: float | None = None,
                 event: str | None = None) -> None:
            facts.append(FinanceFact(relation=relation, subject=subject, object=obj, ratio=ratio,
                                     amount=amount, event=event, document=document,
                                     sentence=sentence, span=(offset, offset + len(sentence))))

        for clause_start, clause in _clauses(sentence):
            local = [m for m in mentions
                     if clause_start <= m.start - offset < clause_start + len(clause)]
            if not local or _NOT_A_FACT.search(clause):
                continue
            at = offset + clause_start
            earlier = [m for m in companies if m.start < at] or ([current] if current else [])
            for holder, held, ratio in _shareholdings(clause, at, local, earlier):
                fact("HOLDS_SHARES", holder, held, ratio=ratio)
            for guarantor, guaranteed, amount in _guarantees(clause, at, local):
                amount = amount if amount is not None else parse_amount(
                    sentence[clause_start:])
                fact("GUARANTEES", guarantor, guaranteed, amount=amount)
            for person, company, relation in _roles(clause, at, local, mentions, current):
                fact(relation, person, company)
        for subject, event in _events(sentence, offset, mentions):
            fact("RISK_EVENT", subject, event=event)
        return facts, after


# ---------------------------------------------------------------------- mention helpers
def _lead_length(run: str) -> int:
    """How many characters at the start of ``run`` precede the organisation's name: up to the
    last boundary word, then up to a place name if one follows, then leading particles."""
    limit = max(len(run) - 6, 0)
    cut = 0
    for word in _BOUNDARY_WORDS:
        position = run.rfind(word, 0, limit)
        if position >= 0:
            cut = max(cut, position + len(word))
    place = _PLACES.search(run, cut, limit + 2)
    if place is not None:
        cut = place.start()
    while cut < limit and run[cut] in _LEAD_CHARS:
        cut += 1
    return cut


def _without_overlaps(found: Sequence[Mention]) -> list[Mention]:
    """Longest mentions first, then left to right; a mention inside a kept one is dropped."""
    kept: list[Mention] = []
    for mention in sorted(found, key=lambda m: (-(m.end - m.start), m.start)):
        if all(mention.end <= k.start or mention.start >= k.end for k in kept):
            kept.append(mention)
    return sorted(kept, key=lambda m: m.start)


def _clauses(sentence: str) -> list[tuple[int, str]]:
    """The sentence cut at commas into clauses that keep their offsets; a clause without an
    entity joins the one before, so 「A公司，持股40%」 stays one clause."""
    parts: list[tuple[int, str]] = []
    start = 0
    for match in re.finditer(r"[，,]", sentence):
        parts.append((start, sentence[start:match.end()]))
        start = match.end()
    parts.append((start, sentence[start:]))
    return [(0, sentence)] if len(parts) == 1 else _merged(parts)


def _merged(parts: list[tuple[int, str]]) -> list[tuple[int, str]]:
    merged: list[tuple[int, str]] = []
    for start, text in parts:
        if merged and not re.search(r"[\u4e00-\u9fff]{2}", text[:4]):
            prev_start, prev = merged.pop()
            merged.append((prev_start, prev + text))
        else:
            merged.append((start, text))
    return merged


def _local(mention: Mention, at: int) -> int:
    return mention.start - at


def _between(clause: str, left: Mention, right: Mention, at: int) -> str:
    return clause[_local(left, at) + len(left.text):_local(right, at)]


# ---------------------------------------------------------------------- values
def parse_ratio(text: str) -> float | None:
    """The first share ratio of ``text`` as a fraction (「40%」「百分之四十」「四成」→ 0.4)."""
    match = _RATIO.search(text)
    if match is None:
        return None
    if match.group("num"):
        value = float(match.group("num")) / 100
    elif match.group("cn"):
        whole, _, fraction = match.group("cn").partition("点")
        number = parse_number(whole)
        if number is None:
            return None
        digits = "".join(str(parse_number(ch) or 0) for ch in fraction)
        value = float(f"{number}.{digits}" if digits else number) / 100
    else:
        tenth = parse_number(match.group("tenth"))
        value = (tenth or 0) / 10
    return value if 0 < value <= 1 else None


def parse_amount(text: str) -> float | None:
    """The first money amount of ``text`` in 万元 (「3,000万元」「叁仟万元」「0.3亿元」→ 3000)."""
    for match in _AMOUNT.finditer(text):
        raw = match.group("num").replace(",", "").replace("，", "")
        try:
            number = float(raw)
        except ValueError:
            parsed = parse_number(raw)
            if parsed is None:
                continue
            number = float(parsed)
        unit = match.group("unit")
        if unit.startswith("亿"):
            return number * 10_000
        if unit.startswith("万"):
            return number
        return number / 10_000 if number >= 10_000 else None
    return None


# ---------------------------------------------------------------------- relation rules
_HOLD = re.compile(r"持有|持股|受让|增持(?:至|到)?|认缴|出资|合计持有|直接持有|间接持有")
_TRANSFER_TO = re.compile(r"转让(?:给|予)")
_GUARANTEE = re.compile(r"担保")
_GUARANTEE_FOR = re.compile(
    r"^(?:（[^）]*）)?[^，,。]{0,6}(?:为|对|替)(?:其)?(?:全资|控股)?(?:子公司|孙公司)?$")


def _shareholdings(clause: str, at: int, local: list[Mention], earlier: list[Mention]
                   ) -> Iterable[tuple[Mention, Mention, float]]:
    """Who holds how much of whom. ``earlier`` are the companies named before the clause (the
    one a bare 「公司」 or 「其」 means is the last)."""
    entities = [m for m in local if m.kind in ("company", "fund", "person")]
    for parent, child in itertools.pairwise(entities):
        # 「A的全资子公司B」, 「A为全资子公司B」: A holds all of B.
        if child.kind != "person" and re.search(r"全资子公司$", _between(clause, parent, child,
                                                                       at)):
            yield parent, child, 1.0
    ratio = parse_ratio(clause)
    if ratio is None:
        return
    transfer = _TRANSFER_TO.search(clause)
    if transfer is not None:
        # 「A将所持B 40%股权转让给C」: C holds 40% of B (A may be named in an earlier clause).
        before = [m for m in entities if _local(m, at) < transfer.start() and m.kind != "person"]
        buyers = [m for m in entities if _local(m, at) >= transfer.end()]
        held = before[1] if len(before) >= 2 else before[0] if before else None
        if buyers and held is not None:
            yield buyers[0], held, ratio
        return
    for holder, held in itertools.pairwise(entities):
        if held.kind == "person":
            continue
        words = _between(clause, holder, held, at)
        if _HOLD.search(words) and len(words) <= 12:
            yield holder, held, ratio
            return
    # 「(公司)股东A持股40%」, 「法定代表人张伟持股60%」: A holds 40% of the company in question.
    for holder in entities:
        rest = clause[_local(holder, at) + len(holder.text):]
        if re.match(r"[^，,。]{0,4}持(?:有公司|股|有其)", rest):
            company = next((m for m in reversed(earlier + entities)
                            if m.kind != "person" and m is not holder
                            and m.start < holder.start), None)
            if company is not None:
                yield holder, company, ratio
            return


def _guarantees(clause: str, at: int, local: list[Mention]
                ) -> Iterable[tuple[Mention, Mention, float | None]]:
    if not _GUARANTEE.search(clause):
        return
    amount = parse_amount(clause)
    entities = [m for m in local if m.kind in ("company", "person", "fund")]
    for guarantor, guaranteed in itertools.pairwise(entities):
        words = _between(clause, guarantor, guaranteed, at)
        rest = clause[_local(guaranteed, at) + len(guaranteed.text):]
        if _GUARANTEE_FOR.match(words) and "担保" in rest:
            yield guarantor, guaranteed, amount
            return
        # 「B的贷款由A提供担保」
        if re.fullmatch(r"[^，,。]{0,10}由", words) and "担保" in rest:
            yield guaranteed, guarantor, amount
            return


def _roles(clause: str, at: int, local: list[Mention], sentence_mentions: list[Mention],
           current: Mention | None) -> Iterable[tuple[Mention, Mention, Relation]]:
    """Legal representatives and actual controllers: 「A的法定代表人为张伟」, 「A法定代表人由
    黄华变更为葛红英」 (the new one), 「张伟系A的法定代表人」, 「该公司实际控制人孙立伟」."""
    roles = (("法定代表人|法人代表", "IS_LEGAL_REP"), ("实际控制人|实控人", "CONTROLS"))
    for role, relation in roles:
        for match in re.finditer(role, clause):
            changed = re.match(r"由[\u4e00-\u9fff]{2,3}变更为", clause[match.end():])
            begin = match.end() + (changed.end() if changed else 0)
            persons = [m for m in local if m.kind == "person"
                       and 0 <= _local(m, at) - begin <= 6]
            before = [m for m in sentence_mentions if m.start - at < match.start()]
            companies = [m for m in before if m.kind in ("company", "fund")]
            if persons:
                company = companies[-1] if companies else current
                if company is not None:
                    yield persons[0], company, relation  # type: ignore[misc]
                continue
            # 「张伟系滨江伟业装饰工程有限公司法定代表人」: the person comes first.
            if companies and before and before[0].kind == "person" and re.search(
                    r"(?:系|是|为|担任|任)[^，,。]{0,4}$",
                    clause[:_local(companies[-1], at)]):
                yield before[0], companies[-1], relation  # type: ignore[misc]


def _events(sentence: str, at: int, mentions: list[Mention]) -> Iterable[tuple[Mention, str]]:
    """The entity a risk event befalls: for 失联 the last person named before the words (the
    controller who vanished), else the first company or fund named before them. An event
    whose own clause is negated or only planned is none."""
    for event, pattern in _EVENTS:
        match = pattern.search(sentence)
        if match is None:
            continue
        clause_start = max(sentence.rfind("，", 0, match.start()),
                           sentence.rfind(",", 0, match.start())) + 1
        clause_end = min((i for i in (sentence.find("，", match.end()),
                                      sentence.find(",", match.end())) if i >= 0),
                         default=len(sentence))
        if _NOT_A_FACT.search(sentence[clause_start:clause_end]):
            continue
        before = [m for m in mentions if _local(m, at) < match.start()]
        persons = [m for m in before if m.kind == "person"]
        in_clause = [m for m in before if m.kind != "person" and _local(m, at) >= clause_start]
        if event == "股权冻结":
            # 「冻结周德明持有的A公司80%股权」: A's shares are frozen.
            inside = [m for m in mentions if m.kind != "person"
                      and match.start() <= _local(m, at) < match.end()]
            if inside:
                yield inside[-1], event
                continue
        if event == "失联" and persons:
            yield persons[-1], event
        elif in_clause:
            yield in_clause[-1], event
        elif before:
            yield next((m for m in before if m.kind != "person"), before[0]), event


def _unique(facts: list[FinanceFact]) -> list[FinanceFact]:
    seen: set[tuple[str, str, str, str | None]] = set()
    kept = []
    for fact in facts:
        key = (fact.relation, fact.subject.text, fact.object.text if fact.object else "",
               fact.event)
        if key not in seen:
            seen.add(key)
            kept.append(fact)
    return kept
