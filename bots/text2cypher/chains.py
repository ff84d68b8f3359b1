"""Questions that walk two or more relationships from one named entity, compiled to one path
query.

「恒信集团实际控制的那几家公司，法定代表人分别是谁」, 「澜汇置业控股股东的法人是谁」,
「宏达建设担保的那家公司，又为谁做了担保」 and 「嘉禾贸易的股东的股东的股东是谁」 each name an
entity and then a chain of hops: what it does (实际控制的…公司), a role held towards what came
before (…的法人), or what the last ones do in turn (又为谁做了担保). The hops are read in the
order the question says them; a question of one hop is left to the templates. Relationship
types and properties are checked against the ontology, and every value is a parameter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from bots.text2cypher.blanks import blank_matches, blank_span
from bots.text2cypher.frame_parser import ROLE_RELATIONS
from bots.text2cypher.frames import CompiledFrame
from kg.ontology import Ontology

MIN_HOPS = 2
MAX_HOPS = 4


class Hop(BaseModel):
    """One relationship walked from the entities reached so far."""

    rel: str
    outgoing: bool = Field(description="from the entities reached so far to the next ones")
    title: str = Field(description="the Chinese title of the entities it reaches")
    label: str | None = Field(default=None, description="the class of the entities it reaches")
    rel_values: dict[str, str] = Field(default_factory=dict,
                                       description="values the relationship must have (职务)")
    majority: bool = Field(default=False, description="a holding of more than half")
    largest: bool = Field(default=False, description="the holder of the largest share only "
                          "(「第一大股东」; ties all kept)")
    verb: bool = Field(default=False, description="says what the entities reached so far do "
                       "(「持股的」, 「还持有哪些公司」), not a role held towards them (「股东」)")


class Chain(BaseModel):
    """A named entity and the hops walked from it."""

    entity_id: str | None = Field(description="the named entity; None: every entity of its "
                                  "class (「出过风险事件的企业里…」 starts from every event)")
    entity_label: str = Field(description="the named entity's class")
    hops: list[Hop] = Field(min_length=1, max_length=MAX_HOPS,
                            description="two or more, or one with a role its entities hold")
    held_role: str | None = Field(default=None, description="a relationship the last hop's "
                                  "entities must have themselves (「投资人里本身是企业法定代表"
                                  "人的」: IS_LEGAL_REP)")
    counted: bool = Field(default=False, description="how many of the last hop's entities, "
                          "not which (「有几个人」)")
    others_only: bool = Field(default=False, description="leave the named entity out of the "
                              "last hop's entities (「还在哪些公司当法人」)")
    totalled: bool = Field(default=False, description="the last relationships' amounts summed "
                           "and counted (「控制的企业一共对外担保了多少金额」)")
    totalled_each: bool = Field(default=False, description="totalled for each entity the hop "
                                "before reaches (「每家担保了几家企业、总额多少」)")
    each_asked: bool = Field(default=False, description="every hop's entities are asked for, "
                             "not only the last ones (「控股股东是谁？它的第一大股东又是谁」)")


class _Wording(BaseModel):
    pattern: str
    hop: Hop


def _w(pattern: str, rel: str, outgoing: bool, title: str, label: str | None = None,
       majority: bool = False, verb: bool = False, largest: bool = False) -> _Wording:
    return _Wording(pattern=pattern, hop=Hop(rel=rel, outgoing=outgoing, title=title,
                                             label=label, majority=majority, verb=verb,
                                             largest=largest))


_COMPANY = "(?:公司|企业)"
_WHICH = ("(?:(?:其他|其它|别的|另外)的?)?(?:哪些|哪几家|哪几个|哪家|哪个|什么)"
          "(?:其他|其它|别的)?的?")
_INVOLVED = "(?:被点名|所涉及?|涉及|牵涉|涉事|涉案|卷入)"
WORDINGS: tuple[_Wording, ...] = (
    # a role held towards companies, asked the other way round (「他还是哪些公司的法定代表人」)
    _w(rf"(?:是|当|做|担任)?{_WHICH}{_COMPANY}的(?:法定代表人|法人)", "IS_LEGAL_REP", True,
       "任法人的企业", "Company", verb=True),
    _w(rf"(?:是|当|做)?{_WHICH}{_COMPANY}的(?:实际控制人|实控人)", "CONTROLS", True,
       "被控制企业", verb=True),
    _w(rf"(?:是|当|做)?{_WHICH}{_COMPANY}的股东", "HOLDS_SHARES", True, "持股企业", verb=True),
    # who issued the product, and what was issued (「是哪只基金发行的」, 「发行了哪些产品」)
    _w(r"(?:是|由)?(?:哪只|哪个|哪家|谁)(?:基金|公司|企业|机构)?(?:(?:发行|发起)的?|发的)",
       "ISSUES", False, "发行方", verb=True),
    _w(r"发行(?:了|的)(?:哪些|什么)?(?:产品|计划)?", "ISSUES", True, "发行的产品", "Product",
       verb=True),
    _w(r"发行(?:方|人|机构|基金)", "ISSUES", False, "发行方"),
    # what the entities reached so far do, asked at the end (「又为谁做了担保」)
    _w(r"(?:为|给)(?:谁|哪些|哪家|别人|他人|其他企业|别的企业)(?:公司|企业)?(?:做了?|提供了?|作了?)?担保|"
       r"担保了(?:谁|哪些|哪家)",
       "GUARANTEES", True, "被担保人", verb=True),
    _w(r"(?:是)?谁(?:在)?(?:给|为)(?:它们|它|他们|其|这些企业|这些公司)(?:做|提供)?(?:了)?担保",
       "GUARANTEES", False, "担保人", verb=True),
    _w(r"被谁(?:实际)?控制|由谁(?:实际)?控制|被哪(?:家|个|位)(?:公司|企业)?(?:实际)?控制",
       "CONTROLS", False, "实际控制人", verb=True),
    _w(rf"(?:在|担任了?|当了?|做了?){_WHICH}{_COMPANY}的?(?:当|做|担任)?(?:法人|法定代表人)",
       "IS_LEGAL_REP", True, "任法人的企业", "Company", verb=True),
    _w(rf"(?:持有|持股了?|参股了?|投了){_WHICH}{_COMPANY}", "HOLDS_SHARES", True, "持股企业",
       verb=True),
    _w(r"(?:管着|管理着?|在管|管理的是|管的是)(?:哪些|哪只|哪几只|什么)基金", "MANAGES", True,
       "管理的基金",
       "Fund", verb=True),
    _w(rf"在{_WHICH}{_COMPANY}任职|在(?:其他|其它|别的|另外的?)?(?:{_WHICH})?{_COMPANY}(?:还|也)?"
       r"(?:担任|任|挂)(?:了|着)?(?:什么|哪些|何种?)(?:职务|职位|岗位)",
       "SERVES_AS", True, "任职企业", verb=True),
    _w(rf"在(?:其他|其它|别的|另外的?)?{_COMPANY}□*(?:中|里)?的?(?:任职|兼职)",
       "SERVES_AS", True, "任职企业", verb=True),
    _w(rf"(?:实际)?控制(?:着|了)?{_WHICH}{_COMPANY}", "CONTROLS", True, "被控制企业", verb=True),
    # the risk events the entities reached are involved in (「有没有出过风险事件」)
    _w(r"(?:出过|发生过|有过|涉及|卷入|牵涉|出了|有)(?:了|过)?(?:什么|哪些)?(?:风险事件|负面事件)",
       "INVOLVES", False, "风险事件", "RiskEvent", verb=True),
    # what the named entity or those reached do (「实际控制的那几家公司」)
    _w(r"(?:实际)?控制(?:的|着的)", "CONTROLS", True, "被控制企业", verb=True),
    _w(r"(?:担任|挂名|当|做)(?:的)?(?:法定代表人|法人)的", "IS_LEGAL_REP", True, "任法人的企业",
       "Company", verb=True),
    _w(r"担保(?:的|过的)|对外(?:提供了?|做了?)?担保", "GUARANTEES", True, "被担保人", verb=True),
    _w(r"(?:直接)?(?:持股|参股|入股)的", "HOLDS_SHARES", True, "持股企业", verb=True),
    _w(r"控股的", "HOLDS_SHARES", True, "控股企业", majority=True, verb=True),
    _w(r"(?:对外)?投资的?(?:企业|公司)", "HOLDS_SHARES", True, "持股企业", "Company", verb=True),
    _w(r"(?:又|再)?(?:是|被|由)?谁(?:持股|控股|持有|入股)的", "HOLDS_SHARES", False, "股东",
       verb=True),
    _w(r"(?:管理|管)(?:的|着的)", "MANAGES", True, "管理的基金", "Fund", verb=True),
    # the parties of a risk event (「那件事里被点名的自然人」)
    _w(rf"(?:里|中)的?(?:那个|那位|那些)?{_INVOLVED}?的?(?:那个|那位|那些)?(?:自然人|个人)|"
       rf"(?:里|中)?(?:所涉及?|{_INVOLVED}的(?:那个|那位|那些)?)(?:自然人|个人)|"
       rf"(?:里|中)?{_INVOLVED}的(?:那个|那位|那些)?人",
       "INVOLVES", True, "涉事自然人", "Person"),
    _w(rf"(?:里|中)的?(?:那家|那个|那些)?{_INVOLVED}?的?(?:企业|公司)|"
       rf"(?:所涉及?|{_INVOLVED}的)(?:企业|公司)", "INVOLVES", True, "涉事企业", "Company"),
    # roles held towards the entities reached so far (「…的法人」, 「…的股东」)
    _w(r"控股股东", "HOLDS_SHARES", False, "控股股东", majority=True),
    _w(r"第一大股东|最大(?:的)?股东|大股东", "HOLDS_SHARES", False, "第一大股东", largest=True),
    _w(r"子公司", "HOLDS_SHARES", True, "子公司", "Company"),
    _w(r"(?:企业|法人|机构|公司)股东", "HOLDS_SHARES", False, "企业股东", "Company"),
    _w(r"(?:自然人|个人)股东", "HOLDS_SHARES", False, "自然人股东", "Person"),
    _w(r"股东", "HOLDS_SHARES", False, "股东"),
    _w(r"实际控制人|实控人|控制人", "CONTROLS", False, "实际控制人"),
    _w(r"法定代表人|法人代表|(?:(?<=[那这几些家]企业)|(?<!企业))(?<!单位)法人(?!股东|企业|单位|机构)",
       "IS_LEGAL_REP", False, "法定代表人", "Person"),
    # 「企业法人」, 「法人股东」 are companies, not representatives; 「那几家企业，法人」 (its comma
    # normalised away) asks for theirs
    _w(r"基金经理", "MANAGES", False, "基金经理", "Person"),
    _w(r"管理人(?!员)", "MANAGES", False, "管理人"),
    _w(r"投资人|投资者|出资人", "INVESTS_IN", False, "投资人"),
    _w(r"担保人|担保方", "GUARANTEES", False, "担保人"),
)


_YES_NO = re.compile(r"(?:过|了)?(?:吗|没有|没|呢)?")
"""Between a verb and the same verb again: the question asked once as yes/no, then which."""
_ONE_MORE = re.compile(r"再?往(?:下|上)再?(?:走|穿|追|查)?(?:一层|一级)(?=又?是谁|有哪些|呢)")
"""「再往下一层又是谁」: the last hop walked once more."""
_AMOUNTED = ("GUARANTEES", "INVESTS_IN")
"""Relationships with an amount a chain's last hop can total."""
_TOTALLED = re.compile(r"一共|总共|合计|总额|总金额|加起来|累计")
_EACH = re.compile(r"每家|各家|每个|各自|分别|逐家")
_POINTER = "(?:这个|这位|这家|这只|该|那个|那位|那家|那只|此)"
_NOT_A_HOP = re.compile(r"除了(?:当|做|担任|是)[一-龥]{1,8}?(?:以外|之外)?(?=还|也)|"
                        r"(?:是否|是不是)(?:同时|也)?(?:为|是|担任)?(?:该|这家|本)(?:企业|公司)的?"
                        r"(?:法定代表人|法人|股东|实际控制人|实控人)|"
                        r"[（(](?:不含|不包括|除去?|剔除)[^）)]*[）)]|"
                        r"(?<=(?:持股|参股|控制|投资)的)(?:私募)?(?:基金)?管理人(?=所?管理)|"
                        r"(?:担任|身为|作为)(?:基金经理|法定代表人|法人|股东|实际控制人|管理人)(?!的)|"
                        r"被担保的?(?:这|那)(?:家|个|些)(?:公司|企业)?|"
                        rf"(?<![的里中]){_POINTER}(?:公司|企业|人)(?:自己|本人|本身)?|"
                        rf"(?<![里中])(?<!里的)(?<!中的){_POINTER}"
                        r"(?:控股股东|第一大股东|大股东|股东|基金|管理人|法定代表人|法人|"
                        r"实际控制人|实控人)(?:自己|本人|本身)?")
"""Words that walk nowhere: a role set aside (「除了当基金经理，还在…」, 「（不含事件涉及企业）」),
asked yes or no of what was reached (「是不是该企业的法定代表人」) or held by the entity itself
(「曾晓燕担任基金经理管理的…」), and a pointer back to what was reached (「这个股东的董事长」,
「这家控股股东自己的…」, 「被担保的这家又…」)."""
_ASKED = re.compile(r"是谁|是哪|有哪些|分别|又是")
"""Said between two hops, the entities reached so far are asked for too, and the same role
said again right after is a pointer back (「管理人是谁，管理人的实际控制人又是谁」)."""
_HELD_ITSELF = re.compile(
    r"(?:里|中|当中)(?:有)?(?P<count>几个|多少|几位|多少个|多少位)?(?:哪些|哪几个|哪几位)?(?:人|个人|位)?"
    r"(?:本身|自己|本人|同时)(?:也|还)?(?:是|担任|当)了?(?:企业|公司)?的?"
    r"(?P<role>法定代表人|法人|股东|实际控制人|实控人)")
"""A role the entities reached hold themselves, asked as a condition on them."""
_NOT_A_CHAIN = re.compile(r"穿透|最终|直接(?:或|和|及|加)间接|层层|一层层|同一|相同|共同")
"""Look-through and shared-party questions, which the templates answer."""
_PARALLEL = re.compile(r"(?:的)?(?:和|与|及|以及|跟|还有|、)(?:其|它的|他的)?")
_GIVEN_TO_OTHERS = re.compile(r"(?:为|给)(?:别人|他人|其他|其它|别的)(?:企业|公司)?")
"""「给别的企业做过担保」: others than the guarantor, which it cannot guarantee anyway."""
_OTHERS = re.compile(r"还|其他|其它|别的|另外|以外|之外|不是(?:他|她)?(?:本人|自己)")
"""「…的法人还在哪些公司当法人」 leaves out the entity the question started from."""


def parse_chain(text: str, entity_id: str | None, entity_label: str, after: int,
                titles: Sequence[str] = (), first: Hop | None = None) -> Chain | None:
    """The chain of hops the (normalised) question walks from the entity it names, reading
    from ``after`` (where the entity's name ends), after the hop ``first`` when given; None
    for fewer than two hops. ``titles`` are the job titles the graph knows: 「市民银行董事长本人
    还持有哪些公司」 walks from the bank to its chairman, then to his holdings."""
    if _NOT_A_CHAIN.search(text):
        return None
    text = blank_matches(_NOT_A_HOP, text)
    itself = _HELD_ITSELF.search(text, after)
    if itself is not None:  # 「投资人里有几个人本身是企业法定代表人」: a condition, no hop
        text = blank_span(text, itself.start(), itself.end())
    hops: list[Hop] = [first] if first else []
    at, verb_before, each_asked = after, bool(first and first.verb), False
    title_pattern = "|".join(map(re.escape, titles))
    while at < len(text) and len(hops) <= MAX_HOPS:
        best: tuple[int, int, Hop] | None = None
        for wording in WORDINGS:
            found = re.compile(wording.pattern).search(text, at)
            if found and (best is None or found.start() < best[0]
                          or (found.start() == best[0] and found.end() > best[1])):
                best = (found.start(), found.end(), wording.hop)
        if title_pattern and (held := re.compile(title_pattern).search(text, at)) and (
                best is None or held.start() < best[0]):
            best = (held.start(), held.end(), Hop(
                rel="SERVES_AS", outgoing=False, title=held.group(0), label="Person",
                rel_values={"title": held.group(0)}))
        again = _ONE_MORE.search(text, at) if hops else None
        once_more = again is not None and (best is None or again.start() < best[0])
        if again is not None and once_more:
            best = (again.start(), again.end(), hops[-1])
        if best is None:
            break
        start, end, hop = best
        verb = hop.verb
        between = text[at:start]
        if hops and (_PARALLEL.fullmatch(between) or (not between and not verb_before
                                                       and not verb)):
            return None  # 「法定代表人和实控人」, 「董事长、总经理」: roles of one entity
        asked_before = len(hops) > (1 if first else 0) and bool(_ASKED.search(between))
        each_asked = each_asked or asked_before
        restated = (hops and not once_more and hops[-1].rel == hop.rel
                    and hops[-1].outgoing == hop.outgoing
                    and ((verb_before and not verb)  # 「持股的全资子公司」 is one hop
                         # 「对外提供担保为谁担保」, 「给别的企业担保过吗？担保了谁」
                         or (verb_before and verb and _YES_NO.fullmatch(between))
                         or (asked_before and not verb and hops[-1].title == hop.title)))
        if not restated:
            hops.append(hop)
        at, verb_before = end, verb
    if not (MIN_HOPS if itself is None else 1) <= len(hops) <= MAX_HOPS:
        return None
    totalled = hops[-1].rel in _AMOUNTED and bool(_TOTALLED.search(text, after))
    return Chain(entity_id=entity_id, entity_label=entity_label, hops=hops,
                 others_only=entity_id is not None and bool(_OTHERS.search(
                     blank_matches(_GIVEN_TO_OTHERS, text))),
                 totalled=totalled,
                 totalled_each=totalled and bool(_EACH.search(text, after)),
                 each_asked=each_asked,
                 held_role=next(rel for pattern, rel in ROLE_RELATIONS
                                if re.fullmatch(pattern, itself.group("role"))) if itself else None,
                 counted=bool(itself and itself.group("count")))


_FROM_EVENTS = re.compile(r"(?:出过|出了|发生过|有过|卷入过?|涉及过?|牵涉过?)(?:了)?"
                          r"(?:风险事件|风险)的?(?:企业|公司)(?:里|中|当中|里面)?")
"""Companies picked by their risk events, a chain's start: every event's companies."""


def parse_event_chain(text: str, titles: Sequence[str] = ()) -> Chain | None:
    """The chain a (normalised) question walks from the companies involved in risk events
    (「出过风险事件的企业里，有哪些还在对外提供担保」), or None."""
    start = _FROM_EVENTS.match(text)
    if start is None:
        return None
    involved = Hop(rel="INVOLVES", outgoing=True, title="涉事企业", label="Company", verb=True)
    return parse_chain(text, None, "RiskEvent", start.end(), titles, first=involved)


def compile_chain(chain: Chain, ontology: Ontology) -> CompiledFrame:
    """The chain as one read-only path query: the entities each hop reaches (the last hop's
    only, once each, when three hops or more end on a role), with the last relationship's
    amount, share or title, or those amounts totalled (for each entity the hop before
    reaches, when asked) (ValueError for a type, class or property the ontology does not
    know)."""
    head, params = _walked(chain, ontology)
    last = len(chain.hops)
    final = f"`{chain.hops[-1].title}`"
    if chain.counted:
        return CompiledFrame(cypher=f"{head} RETURN count(DISTINCT m{last}) AS "
                                    f"`{chain.hops[-1].title}数量`", params=params)
    if chain.totalled_each:  # each relationship once, however many paths reach it
        return CompiledFrame(
            cypher=f"{head} WITH DISTINCT m{last - 1} AS party, r{last} AS counted, "
                   f"m{last} AS reached RETURN party.name AS `{chain.hops[-2].title}`, "
                   f"count(DISTINCT reached) AS `{chain.hops[-1].title}数量`, "
                   "sum(counted.amount) AS 合计金额_万元, count(counted) AS 笔数 "
                   "ORDER BY 合计金额_万元 DESC", params=params)
    if chain.totalled:
        return CompiledFrame(cypher=f"{head} WITH DISTINCT r{last} AS counted "
                                    "RETURN sum(counted.amount) AS 合计金额_万元, "
                                    "count(counted) AS 笔数", params=params)
    if last > MIN_HOPS and not chain.hops[-1].verb and not chain.each_asked:
        # 「股东的股东的股东是谁」: the last ones
        return CompiledFrame(cypher=f"{head} RETURN DISTINCT m{last}.name AS {final}, "
                                    f"m{last}.id AS 编号 ORDER BY 编号", params=params)
    # who did it beside what was done (「…还持有哪些公司」): every hop's entities, in order,
    # each with its relationship's amount, share or title
    titles: list[str] = []
    for hop in chain.hops:
        title = hop.title
        while title in titles:
            title += "（下一层）"
        titles.append(title)
    walked = ", ".join(f"m{i}.name AS `{title}`" for i, title in enumerate(titles, 1))
    if chain.entity_id is None:  # from every entity of a class: which one each row is from
        walked = f"e.name AS `{ontology.classes[chain.entity_label].label_zh}`, {walked}"
    figures = "".join(
        f", r{i}.{figure[0]} AS `{figure[1] if i == last else titles[i - 1] + figure[1]}`"
        for i, hop in enumerate(chain.hops, 1) if (figure := _FIGURES.get(hop.rel)))
    figures += "".join(f", m{i}.kind AS `{titles[i - 1]}类型`"  # an event's kind says what it was
                       for i, hop in enumerate(chain.hops, 1) if hop.label == "RiskEvent")
    return CompiledFrame(
        cypher=f"{head} RETURN DISTINCT {walked}, m{last}.id AS 编号{figures} "
               f"ORDER BY {', '.join([*(f'`{t}`' for t in titles[:-1]), '编号'])}",
        params=params)


_FIGURES = {"GUARANTEES": ("amount", "金额_万元"), "HOLDS_SHARES": ("ratio", "持股比例"),
            "INVESTS_IN": ("amount", "金额_万元"), "SERVES_AS": ("title", "职务")}
"""The figure a relationship carries, shown beside the entities it reaches."""


def _walked(chain: Chain, ontology: Ontology) -> tuple[str, dict[str, Any]]:
    """The MATCH … WHERE of the chain's path (``e`` the named entity, ``m1``… the entities
    reached, ``r1``… the relationships) and its parameters, checked against the ontology."""
    if chain.entity_label not in ontology.classes:
        raise ValueError(f"unknown class {chain.entity_label}")
    params: dict[str, Any] = {"id": chain.entity_id} if chain.entity_id else {}
    steps = []
    where = []
    for i, hop in enumerate(chain.hops, 1):
        if hop.rel not in ontology.relationships:
            raise ValueError(f"unknown relationship type {hop.rel}")
        if hop.label is not None and hop.label not in ontology.classes:
            raise ValueError(f"unknown class {hop.label}")
        known = ontology.rel_properties(hop.rel)
        if unknown := [p for p in hop.rel_values if p not in known]:
            raise ValueError(f"{hop.rel} has no properties {unknown}")
        label = f":{hop.label}" if hop.label else ""
        arrow = f"-[r{i}:{hop.rel}]->" if hop.outgoing else f"<-[r{i}:{hop.rel}]-"
        steps.append(f"{arrow}(m{i}{label})")
        for j, (prop, value) in enumerate(sorted(hop.rel_values.items())):
            params[f"h{i}v{j}"] = value
            where.append(f"r{i}.{prop} = $h{i}v{j}")
        if hop.majority:
            where.append(f"r{i}.ratio > 0.5")
        if hop.largest:  # no holder of the entity before has a larger share
            before = "e" if i == 1 else f"m{i - 1}"
            where.append(f"NOT EXISTS {{ MATCH ({before})<-[x{i}:{hop.rel}]-() "
                         f"WHERE x{i}.ratio > r{i}.ratio }}")
    last = len(chain.hops)
    if chain.others_only:  # nor what the named entity itself is tied to (the event's company)
        where.append(f"m{last} <> e AND NOT (e)-[:{chain.hops[0].rel}]-(m{last})")
    if chain.held_role is not None:
        if chain.held_role not in ontology.relationships:
            raise ValueError(f"unknown relationship type {chain.held_role}")
        where.append(f"EXISTS {{ MATCH (m{last})-[:{chain.held_role}]->() }}")
    named = " {id: $id}" if chain.entity_id else ""
    head = f"MATCH (e:{chain.entity_label}{named}){''.join(steps)}"
    return (f"{head} WHERE {' AND '.join(where)}" if where else head), params


class HoldingThrough(BaseModel):
    """A holder's share in a company held through a named middle company
    (「吴立新通过恒信集团间接持有瑞丰纺织多少股份」)."""

    holder_id: str
    holder_label: str
    via_id: str
    target_id: str | None = Field(default=None, description="the company held; none: which "
                                  "companies (「国资运营通过滨江城投间接持股了哪些公司」)")


_THROUGH = re.compile(r"^(?:通过|经由|经过|借助)(?:它的|其)?$")
_HELD = re.compile(r"(?:穿透下来)?(?:间接)?(?:持有|持股|控股)")
_HELD_WHICH = re.compile(
    r"(?:间接)?(?:持有|持股|控股|参股)了?(?:哪些|哪几家|哪家|什么)(?:子)?(?:公司|企业)")


def parse_holding_through(text: str, named: Sequence[tuple[int, int, str, str]]
                          ) -> HoldingThrough | None:
    """The holding the (normalised) question asks through a middle company, from its first
    named entities ``(start, end, id, label)`` in order: the holder, 通过 the middle one, then
    间接持有 the target, or 间接持有哪些公司 when it names none; None for any other question."""
    if len(named) < 2:
        return None
    (_, holder_end, holder, label), (via_start, via_end, via, _) = named[:2]
    if not _THROUGH.match(text[holder_end:via_start]):
        return None
    if len(named) == 2:
        listed = _HELD_WHICH.match(text, via_end)
        return (HoldingThrough(holder_id=holder, holder_label=label, via_id=via)
                if listed else None)
    target_start, target = named[2][0], named[2][2]
    if not _HELD.search(text[via_end:target_start]):
        return None
    return HoldingThrough(holder_id=holder, holder_label=label, via_id=via, target_id=target)


def compile_holding_through(asked: HoldingThrough, ontology: Ontology) -> CompiledFrame:
    """The share as the sum, over the shareholding paths from the holder through the middle
    company to the target that visit no company twice, of the ratios multiplied along each;
    without a target, each company the middle one holds, with both shares."""
    if asked.holder_label not in ontology.classes:
        raise ValueError(f"unknown class {asked.holder_label}")
    if asked.target_id is None:  # the middle company's holdings, and the holder's share in each
        return CompiledFrame(
            cypher=f"MATCH path = (a:{asked.holder_label} {{id: $holder}})"
                   "-[:HOLDS_SHARES*1..4]->(m:Company {id: $via}) "
                   "WHERE all(i IN range(0, size(nodes(path)) - 2) "
                   "WHERE NOT nodes(path)[i] IN nodes(path)[i + 1..]) "
                   "WITH m, sum(reduce(x = 1.0, r IN relationships(path) | x * r.ratio)) AS upper "
                   "MATCH (m)-[r:HOLDS_SHARES]->(x) "
                   "RETURN x.name AS 企业, x.id AS 编号, upper AS 对中间企业持股比例, "
                   "r.ratio AS 中间企业持股比例, upper * r.ratio AS 间接持股比例 "
                   "ORDER BY 间接持股比例 DESC, 编号",
            params={"holder": asked.holder_id, "via": asked.via_id})
    return CompiledFrame(
        cypher=f"MATCH path = (a:{asked.holder_label} {{id: $holder}})"
               "-[:HOLDS_SHARES*1..4]->(:Company {id: $via})-[:HOLDS_SHARES*1..4]->"
               "(:Company {id: $target}) "
               "WHERE all(i IN range(0, size(nodes(path)) - 2) "
               "WHERE NOT nodes(path)[i] IN nodes(path)[i + 1..]) "
               "RETURN sum(reduce(x = 1.0, r IN relationships(path) | x * r.ratio)) "
               "AS 间接持股比例, count(path) AS 持股路径数",
        params={"holder": asked.holder_id, "via": asked.via_id, "target": asked.target_id})
