"""A register-wide question in Chinese → :class:`~bots.text2cypher.frames.ListFrame`.

The question is read for: what is listed (the class word it asks about: 企业, 基金, 金融产品,
风险事件, 人, 担保方 — or a counter: 家, 只, 起); the conditions on it
(:mod:`bots.text2cypher.frame_conditions`); a breakdown (「按行业统计」, 「分区县」); a ranking
(「最高的10家」, 「前5」) or a sort (「按时间先后」) on a property, or on a count or sum over a
relationship (「对外担保总额最高」, 「担任法定代表人最多」); a floor on that count or sum
(「5家以上」); a count alone (「一共有几起」), with sums or averages beside it; and related
entities to show beside each (「及其管理人」). Directions of relationships come from the
ontology's domains and ranges. None when the question is not about the register.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bots.text2cypher.blanks import blank_matches, blank_span
from bots.text2cypher.frame_conditions import (
    EXCLUDED_CLASS,
    YEAR_PAIR,
    absent_conditions,
    address_conditions,
    age_conditions,
    birth_conditions,
    chinese_number,
    date_conditions,
    excluded_classes,
    numeric_conditions,
    other_values,
    related_conditions,
    value_conditions,
)
from bots.text2cypher.frames import (
    ACCOUNT_HELD,
    DISTRICT,
    MONTH,
    PARTY,
    STREET,
    YEAR,
    Aggregate,
    Companion,
    Condition,
    HoldingBound,
    ListFrame,
    RelatedCondition,
    Tally,
    label_lineage,
    label_properties,
    plain_label,
)
from bots.text2cypher.vocabulary import VALUE_PROPERTIES, GraphVocabulary
from kg.ontology import Ontology

CLASS_WORDS: tuple[tuple[str, str], ...] = (
    ("金融产品", "Product"), ("理财产品", "Product"), ("贷款产品", "LoanProduct"),
    ("风险事件", "RiskEvent"), ("银行", "Bank"),
    ("自然人", "Person"), ("基金经理", "Person"), ("基金", "Fund"), ("产品", "Product"),
    ("事件", "RiskEvent"),
    ("企业", "Company"), ("公司", "Company"), ("机构", "Company"), ("个人", "Person"),
    ("担保方", PARTY), ("担保主体", PARTY), ("担保人", PARTY), ("主体", PARTY), ("人", "Person"),
    ("账户", "Account"),
)
IMPLIED_CLASSES: tuple[tuple[str, str], ...] = (("行业", "Company"), ("注册资本", "Company"))
"""Words only one class's facts use, naming that class when the question names none
(「平均注册资本最高的三个行业」 is about companies)."""
_LOAN_WORDS = re.compile(r"贷|利率|额度")
"""Products a question lists are loan products when it speaks of loans, rates or limits."""
SUBCLASSES = {"LoanProduct": "Product", "Bank": "Company"}
"""A class word more specific than its counter: 「哪款贷款产品」 lists loan products."""
COUNTERS = {"家": "Company", "只": "Fund", "款": "Product", "起": "RiskEvent", "位": "Person",
            "名": "Person"}
_CLASS_ALTERNATIVES = "|".join(word for word, _ in CLASS_WORDS)
_NUMERAL = r"\d+|[一二两三四五六七八九十]+"
_ASKED_CLASS = re.compile(rf"哪(?:些|个|位|家|只|款|一)({_CLASS_ALTERNATIVES})")
_COUNTED_CLASS = re.compile(rf"(?:{_NUMERAL})(?:个|家|只|位|名|款|起)({_CLASS_ALTERNATIVES})")
_HOW_MANY_CLASS = re.compile(
    rf"^(?:(?:各|每个?)(?:区县|区|街道))?[^各每]*(?:多少|几)(?:个|家|只|位|名|款|起)"
    rf"({_CLASS_ALTERNATIVES})")
"""「高新区有多少家企业在任何银行都没有开户」 counts the class it asks how many of (not in a
question about each, 「每家管理人各管理几只基金」, unless each district:
「各区县分别有几家企业」)."""
_EACH_CLASS = re.compile(rf"^(?:各|每)(?:家|个|只|位|类)?({_CLASS_ALTERNATIVES})")
"""「各家银行分别有几款贷款产品」 lists the class right after 各/每 at the start."""
_CLASS_SCOPE = re.compile(rf"^(?:在)?({_CLASS_ALTERNATIVES})(?:[A-Za-z]+)?(?:里|中|当中|之中)")
"""「企业LP里…最多的前3家」 lists the class it opens with."""
_SCOPE_WHICH = re.compile(
    rf"({_CLASS_ALTERNATIVES})的?(?:里|中|当中|之中)[，,]?(?:有)?哪(?:些|个|家|几家)"
    rf"(?!{_CLASS_ALTERNATIVES})")
"""「被吊销营业执照的企业里，哪些名下还挂着久悬账户」 lists the class of its scope."""
_CLASS_WHO = re.compile(rf"({_CLASS_ALTERNATIVES})(?:是谁|都是谁|有谁)")
"""「担任法定代表人最多的人是谁，挂了几家公司」 lists the class asked who."""
_CLASS_ASKED = re.compile(rf"({_CLASS_ALTERNATIVES})(?:是|有)哪(?:个|些|家|只|款|位|一个|几)")
"""「…最多的产品是哪个」 lists the class just before 是哪个."""
_OTHER_END = re.compile(
    rf"(?:几|{_NUMERAL})(?:家|个|只|位|名|款|起)(?:及以上|以上)?(?:不同的?|不一样的)?"
    rf"({_CLASS_ALTERNATIVES})|(?:买|投)了?({_CLASS_ALTERNATIVES})|给({_CLASS_ALTERNATIVES})(?:出资|投资)|"
    rf"(?<![每各][家个只位名款])(?<![每各])({_CLASS_ALTERNATIVES})(?:有|共有|一共有)?(?:几|多少)"
    rf"(?:家|个|只|位|名|款|起)")
"""The class counted at a tally's other end: 「几款贷款产品」 (not the class each of which
has some: 「每只基金有几个投资人」)."""
_ASKED_COUNTER = re.compile(r"(?:哪|每|多少)([家只位款])")
_WHO = re.compile(r"(?<!□)(?:的|是|有)谁")
"""「最多的是谁」 asks for a person when no class word comes before it (「担保主体是谁」 asks for
a party); 「□是谁」 asks for a role's holder (blanked)."""
# Nouns naming the other end of a relationship; blanked before the listed class is sought.
_ROLE_NOUNS = re.compile(
    r"法定代表人|实际控制人|控制人|管理人|投资人|投资者|股东|发行人|高管|法人")
PROPERTY_SYNONYMS: dict[str, tuple[str, ...]] = {
    "registered_capital": ("注册资本", "注册资金"),
    "size": ("规模", "管理规模", "发行规模"),
    "expected_return": ("预期年化收益率", "年化收益率", "预期收益率", "收益率", "年化收益",
                        "预期年化", "年化"),
    "term_months": ("期限",),
    "founded_on": ("成立", "设立", "注册"),
    "occurred_on": ("发生",),
    "issued_on": ("发布", "发行"),
    "birth_year": ("出生", "年纪", "年龄"),
    "industry": ("行业",),
    "status": ("状态",),
    "kind": ("类型", "种类", "类别"),
    "severity": ("严重程度", "风险等级", "严重", "等级", "风险"),
    "gender": ("性别", "性"),
    "rate_min": ("利率下限", "最低利率", "最低年利率", "利率区间", "利率范围"),
    "rate_max": ("利率上限", "最高利率", "最高年利率", "利率区间", "利率范围"),
    "amount_max": ("最高额度", "贷款额度", "授信额度", "额度上限", "额度", "最高可贷", "最高能贷"),
    "filing_code": ("备案编码", "备案号", "备案"),
    "address": ("注册地址", "地址", "住所"),
    "phone": ("联系电话", "电话", "手机号"),
}
_SHAREABLE = ("address", "phone")
"""Properties whose shared values are a regulator's warning sign (one address, one phone)."""


@dataclass(frozen=True)
class RelationWord:
    """A wording of a relationship for tallies and companions; ``incoming`` forces the
    direction (the word names the other end's role, 「股东」), else the ontology decides;
    ``other`` is the class the word names at the other end (a 管理人 is a company)."""

    pattern: str
    rel: str
    sum_prop: str | None = None
    incoming: bool | None = None
    other: str | None = None


TALLY_WORDS: tuple[RelationWord, ...] = (
    RelationWord(r"被担保|获得担保|接受担保|被(?:\d+|[一二两三四五六七八九十多]+)(?:家|个|位)[^，,担]{0,8}担保",
                 "GUARANTEES", "amount", incoming=True),
    RelationWord("担保", "GUARANTEES", "amount"),
    RelationWord("法定代表人|法人", "IS_LEGAL_REP"),
    RelationWord("实际控制|控制", "CONTROLS"),
    RelationWord("股东", "HOLDS_SHARES", incoming=True),
    RelationWord("持股|参股|入股|对外投资|投资组合", "HOLDS_SHARES"),
    RelationWord("投资人|投资者|认购人|出资|募集|买的人", "INVESTS_IN", "amount", incoming=True),
    RelationWord("投资|认购|买|出资", "INVESTS_IN", "amount"),
    RelationWord("管理|管的|在管|管着|管了|基金经理", "MANAGES"),
    RelationWord("发行|产品", "ISSUES"),
    RelationWord("风险事件|涉及|涉事", "INVOLVES"),
    RelationWord("高管|任职|董监高|兼职|挂职", "SERVES_AS"),
    RelationWord("收到的?(?:转账|转入|资金|钱)|转入", "TRANSFERS", "amount", incoming=True),
    RelationWord("转出|转账", "TRANSFERS", "amount", incoming=False),
    RelationWord("开户|账户", "OPENED_AT", incoming=True),
    RelationWord("开户|账户", "HOLDS_ACCOUNT"),
)
COMPANION_WORDS: tuple[RelationWord, ...] = (
    RelationWord("管理人|管理机构", "MANAGES", incoming=True, other="Company"),
    RelationWord("基金经理", "MANAGES", incoming=True, other="Person"),
    RelationWord("谁管", "MANAGES", incoming=True),
    RelationWord("法定代表人|法人", "IS_LEGAL_REP", incoming=True),
    RelationWord("实际控制人|实控人", "CONTROLS", incoming=True),
    RelationWord("企业股东|公司股东|法人股东|机构股东", "HOLDS_SHARES", incoming=True,
                 other="Company"),
    RelationWord("个人股东|自然人股东", "HOLDS_SHARES", incoming=True, other="Person"),
    RelationWord("股东", "HOLDS_SHARES", incoming=True),
    RelationWord("投资人|投资者", "INVESTS_IN", incoming=True),
    RelationWord("户主|持有人|开户人|账户主体", "HOLDS_ACCOUNT", incoming=True),
    RelationWord("发行人|发行机构|发行方|谁发", "ISSUES", incoming=True),
    RelationWord("涉及|涉事|相关", "INVOLVES", incoming=False),
    RelationWord("产品", "ISSUES", incoming=False),
)
DEFAULT_COMPANIONS: dict[str, tuple[Companion, ...]] = {
    "LoanProduct": (Companion(rel="ISSUES", outgoing=False, column="发行银行"),)}
"""Related entities always shown beside a listed one: a loan product's bank."""
_COMPANION_TITLES = {"谁发": "发行方", "谁管": "管理人"}
_ACCOUNT_ASKED: tuple[tuple[str, str, bool, str], ...] = (
    (r"(?:是|归)谁的|谁名下|户主|户名|名下的?主体|是谁开的|哪些(?:单位|主体|户)|哪(?:家|个)单位",
     "HOLDS_ACCOUNT", False, "户主"),
    (r"(?:开在|在)哪(?:家|个)银行|开户行|开户银行|哪家银行开的", "OPENED_AT", True, "开户银行"))
"""What a question about accounts asks of each: its holder, its bank."""
_BORN_ROLE = re.compile(r"法定代表人|法人代表|(?<!企业)法人|实际控制人|实控人")
"""A person's role whose birth years a question may set for the entities listed."""
_FORMAL_OPENING = re.compile(
    r"^(?:请|麻烦)?(?:帮我)?(?:统计|列示|列出|核查|查询|查一下|测算|分别测算|穿透核查)(?:一下)?")
"""A supervisory opening that names no condition (「请统计」, 「核查」)."""
_VALUES_COMPARED = re.compile(r"相比|比一比|对比|比较|(?i:vs\.?)|"
                              r"哪(?:个|类|种)(?:更)?(?:高|低|多|少|大|小)|各(?:是|有)?多少|各几")
"""Values of one property set side by side: each gets its own group."""
_PER_GROUP = re.compile(r"^(?:每|各)|每个|每一|各个|分别|"
                        r"^(?:请)?按(?:照)?[一-龥]{1,6}?(?:列示|列出)")
"""Words asking for the first entities of each group rather than of all (「每个行业里注册资本
最高的是哪家」)."""
_FIGURE_OF_EACH = re.compile(r"平均|合计|总额|总计")
"""A figure over each listed entity's related ones (「各银行所发行贷款产品的平均最高年利率」)."""
_EACH_FIGURE = re.compile(r"分别|各自|各是|各为|各有|各(?:多少|几)")
"""Words asking a figure of each value a question names (「民营和国有控股企业的平均注册资本
分别是多少」)."""
_ACCOUNT_BANK = re.compile(r"(?:开在|在)哪(?:家|个)银行|银行(?=账户)|开户银行|开户行")
_SUM_WORDS = re.compile(
    r"总额|金额|总金额|合计|多少钱|资金|总计|累计|投资额|出资额|出资最多|出资最少")
_AVERAGE_EACH = re.compile(r"平均(?:每|一)(?:家|个|只|位|名|款|户)?")
"""A tally averaged over the listed entities: 「平均每家企业登记了几名高管」."""
_SHARE_SCOPE = re.compile(rf"^(.+?(?:{_CLASS_ALTERNATIVES}))的?(?:当中|之中|中间|里面|中|里)[，,]?")
"""The whole a share is taken of, when the question opens with it (「江北区企业中…占比」)."""
_COMPANION_SPLIT = re.compile(
    r"(?<!涉)及其|以及|(?<!涉)及(?!以上|以下|以内|以后|以前|之后|之前)|(?:和|它们|他们|这些(?:企业|公司))+的(?<!和的)|"
    r"并列出|并给出|同时列出|附上|"
    r"连同|连带|带上|附带|(?=谁(?:管|发|控制))|"
    r"(?<!的)(?=(?:分别|各自)?是哪(?:家|个)(?:银行|公司|机构|管理人)的?$)|"
    r"(?<=有哪些)(?=(?:分别|各自)?(?:是|由|归|属于)?(?:谁|哪))|(?=(?:各|分别)(?:是|属于|归)哪)|"
    r"(?<!私募)(?<!最[多少高低大小]的)(?=(?:管理人|发行人|发行方|法定代表人|实控人|实际控制人)(?:分别|都|各)?"
    r"(?:是谁|是哪家))")
SUPERLATIVE = re.compile(
    r"最(高|大|多|新|晚|近|低|小|少|早|长|短)|排名|排行|前\d|前[一二两三四五六七八九十]")
ASCENDING = frozenset("低小少早短")
_SORT = re.compile(r"按(?:照)?(?P<w>[一-龥]{0,6}?)的?(?P<dir>先后|顺序|从早到晚|从晚到早|从大到小|"
                   r"从小到大|从高到低|从低到高|降序|升序|倒序|由高到低|由大到小|由低到高|由小到大|"
                   r"从多到少|从少到多|由多到少|由少到多|从近到远|从远到近|从新到旧|从旧到新|"
                   r"排序|排列)")
_BARE_DIRECTION = re.compile(r"从高到低|从低到高|从大到小|从小到大|由高到低|由低到高|降序|升序")
"""A direction given without what to sort on: a breakdown then sorts on the figure it sums."""
_AGE_WORDS = frozenset({"年纪", "年龄"})
"""Words for a birth year that run against it: the oldest (年纪最大) is born earliest."""
_SORT_DESCENDING = frozenset({"从晚到早", "从大到小", "从高到低", "降序", "倒序", "由高到低",
                              "由大到小", "从多到少", "由多到少", "从近到远", "从新到旧"})
_COUNTED = r"(?:家|只|位|名|款|起|笔|个(?!月))"
LIMIT_WORDS = re.compile(
    rf"前({_NUMERAL})|(?<![同单每])(?<!超过|多于|大于|至少|不止)(?<!不少于)(?!一个人)"
    rf"({_NUMERAL}){_COUNTED}"
    rf"(?!及?以上|以下|[一-龥]{{0,4}}都没)")
"""How many a question asks for: 「前5」, 「三家」 (group 1 or 2)."""
_AT_LEAST = re.compile(rf"(?P<n1>{_NUMERAL}){_COUNTED}(?:及)?以上|"
                       rf"(?P<over>超过|多于|大于)(?P<n2>{_NUMERAL}){_COUNTED}|"
                       rf"(?:至少|不少于)(?P<n3>{_NUMERAL}){_COUNTED}|"
                       rf"(?P<over2>不止)(?P<n4>{_NUMERAL}){_COUNTED}")
_STRICT = frozenset({"超过", "多于", "大于", "高于"})
_AMOUNT_OVER = re.compile(r"(?:金额|总额|合计|累计|总共).{0,4}?"
                          r"(?P<op>超过|多于|大于|高于|不低于|不少于|至少)(?P<num>\d+(?:\.\d+)?)(?P<unit>亿元|亿|万元|万)")
_MOST_ARE_WHICH = re.compile(r"最[高大多新晚近低小少早长短]的(?:是|有)(?:哪几|哪些)")
_PLURAL = re.compile(r"哪些|有哪|排名|排行|几|列出|名单|清单")
_COUNT = re.compile(r"多少|(?<![那这哪])几(?:家|个|只|起|位|名|款)|数量|总数|一共|共有|总共|共计|"
                    r"(?:企业|公司|基金|产品|账户|事件)数$|人数$")
_EACH = re.compile(r"各有(?:几|多少)|分别有(?:几|多少)|各(?:多少|几)(?:家|起|只|个|款)|"
                   r"各(?:[发成注设开]\w{0,2}?)了?(?:多少|几)(?:家|起|只|个|款)")
_REGION_WORDS = re.compile(r"区县|区|县|地区|辖区")
_TWO_KEYS = re.compile(
    r"按(?:照)?(?P<a>[一-龥]{1,8}?)(?:和|与|及|以及|、|加)(?P<b>[一-龥]{1,8}?)(?:两个维度)?(?:交叉)?"
    r"(?:统计|分布|分组|汇总|划分|分类|来看|看|分|列示|列出)|"
    r"^各(?:个)?(?P<a2>区县|区|街道|行业|类型|状态)的?各(?P<b2>行业|类型|状态)")
_HAVING = re.compile(
    r"有(?P<w>[一-龥]{1,6}?)(?:记录|关系|行为|经历)?的(?:企业|公司|人|自然人|基金|产品)|"
    r"(?:企业|公司|人|基金|产品)(?:发生过|有过|出过|涉及过?|卷入过?)(?P<x>[一-龥]{2,6})|"
    r"(?<![没未无])(?:担任|当过?|做过?)(?:企业|公司)?的?(?P<y>法定代表人|法人|高管|董事|监事|股东|实际控制人)|"
    r"(?:发生过|有过|出过|涉及过?|卷入过?)(?P<z>[一-龥]{2,6}?)的(?:那些|这些)?(?:企业|公司|人|基金|产品)|"
    r"(?P<v>风险事件)(?:所)?(?:涉及|牵涉|牵连)到?的(?:企业|公司|人|自然人)|"
    r"(?:还在|仍在|仍然在|还|在)(?P<g>对外(?:提供|做)?担保|(?:提供|做)担保)的|"
    r"(?:开了|开过|开立了?|开有)(?P<o>银行账户|账户)的(?:企业|公司|人|自然人|基金)")
_OTHER_END_ASKED = re.compile(
    r"(?:分别|各自)?(?:是|在)?哪(?:家|些|个|几家)(?:公司|企业)|什么公司")
"""After 「担任法定代表人的有哪些人」: the question also asks which company each is tied to
(「分别是哪家公司」)."""
ROLE_RELATIONS: tuple[tuple[str, str], ...] = (
    ("法定代表人|法人代表|法人", "IS_LEGAL_REP"), ("实际控制人|实控人", "CONTROLS"),
    ("股东", "HOLDS_SHARES"), ("投资人|投资者", "INVESTS_IN"), ("管理人", "MANAGES"),
    ("担保人|担保方", "GUARANTEES"), ("高管", "SERVES_AS"), ("基金经理", "MANAGES"))
"""Roles a question may list parties by, with the relationship the role holds."""
PERSON_ROLES = {"法定代表人": "Person", "法人代表": "Person", "法人": "Person", "高管": "Person",
                "实际控制人": "Person", "实控人": "Person", "基金经理": "Person"}
"""Roles held by persons when the question names no class (「女性的实际控制人」)."""
_ROLE_AS_CLASS = re.compile(
    r"(?<!公司)(?<!企业)(?<!集团)(?<!银行)(?<!基金)(?<!产品)"
    r"(?:的|女性|男性|(?<=\d)后|出生)(?:前)?(?:\d+|[一二两三四五六七八九十]+)?(?:家|个|位|名)?"
    r"(?:私募|基金|个人|企业)?"
    rf"(?P<role>{'|'.join(pattern for pattern, _ in ROLE_RELATIONS)})"
    r"(?P<follow>有哪些|有|中|里|一共|共|总共|数量|人数|名单|列出|都有|是哪些|是哪几|是哪|是谁|都是|$)")
"""A role listed across the register (「女性的实际控制人有哪些」), not one entity's role
(「某公司的股东有哪些」)."""
_ROLE_FIRST = re.compile(
    r"(?:全市|全部|所有)?(?P<kind>私募|基金|个人|企业)?"
    r"(?P<role>法定代表人|实际控制人|实控人|股东|投资人|投资者|管理人|担保人|担保方)"
    r"(?:按|里面?|中|当中|之中)")
"""A role the question starts from (「私募管理人按在管基金总规模排名」)."""
_LISTS = frozenset({"有哪些", "是哪些", "是哪几", "都有", "名单"})
"""Words after a role that ask for a list, wherever the role stands in the question."""
_SHARE_ASKED = re.compile(
    r"占(?:全部|所有|全市|总数)?.{0,8}?(?:比例|比重|百分之多少|百分之几|几成)|占比|"
    r"占多少(?![钱万元家个笔人只位名款])")
_LACKABLE = ("实际控制人|实控人|股东|法定代表人|管理人|投资人|托管账户|账户|开户|开立账户|"
             "转入或转出|转账|被担保|对外担保|任职|持股")
_LACKED_ACTIVITY: tuple[tuple[str, tuple[tuple[str, bool], ...]], ...] = (
    ("托管账户|账户|开户|开立账户", (("HOLDS_ACCOUNT", True),)),
    ("任职", (("SERVES_AS", True),)), ("持股", (("HOLDS_SHARES", True),)),
    ("转入或转出|转账", (("TRANSFERS", True), ("TRANSFERS", False))),
    ("被担保", (("GUARANTEES", False),)), ("对外担保", (("GUARANTEES", True),)))
"""What the listed entities have never done (「没有开户」, 「没有发生过转账」): the
relationships they lack, each way where either counts."""
_LACKING = re.compile(
    rf"(?:没有|没|无|未)(?:在任何[一-龥]{{1,4}}?)?(?P<held>当过?|做过?|担任过?)?"
    rf"(?:登记|任何|开立|开过|发生过?|过)?(?:任何)?(?:公司|企业|银行)?(?:的)?(?P<a>{_LACKABLE})|"
    rf"(?P<b>{_LACKABLE})(?:都|也)?(?:没有|没|未)(?:登记|有)?")
_LACKED_TOO = re.compile(rf"(?:、|或者|或|和|及|以及)?(?P<a>{_LACKABLE})")
"""A further relationship lacked, listed after the first (「没有任何任职、持股或法定代表人
记录」)."""
_ROWS_ASKED = re.compile(r"叫什么|都叫|哪些|哪几|列出|列示|名单|清单|分别|各是|是哪")
_SINGULAR = re.compile(r"哪(?:个|家|位|只|款|一)|是谁|^谁|并列")
_LISTING = re.compile(r"叫什么|都叫|哪些|有哪|是哪|列出|列示|名单|清单|所有|全部|是谁")
_GROUP = re.compile(r"(?P<sex>男的女的|男女|男性和女性|男的和女的|男性女性|男的多还是女的多|"
                    r"男性多还是女性多|女的多还是男的多|女性多还是男性多)|"
                    r"(?P<yr>每年|逐年|各年|历年)|(?P<mo>每个月|每月|各月|逐月|按月|分月)|"
                    r"(?:各个|各|每个|哪个|哪些|几个)(?P<f>街道|乡镇|镇街|区县|区(?!县))|"
                    r"分(?P<h>区县|街道|行业|状态|类型)|^(?:各个?|每个)(?P<s>行业|类型|状态)|"
                    r"(?P<t>各类|每一?类|各种|每一?种|不同类型)|"
                    r"(?:最高|最低|最多|最少|最大|最小)的(?:\d+|[一二两三四五六七八九十])?个?"
                    r"(?P<r>行业|区县|街道|类型|状态)|"
                    r"(?:最高|最低|最多|最少|最大|最小)的?是?哪(?:个|些|一个)"
                    r"(?P<w>行业|区县|街道|类型|状态)|"
                    r"(?P<g>街道|区县)(?:是哪|有哪|分别|各)|"
                    r"^哪(?:个|一个|些|几个)(?P<which>行业|区县|街道|类型|状态)的(?=.*(?:最|前))|"
                    r"哪(?:个|些|几个)(?P<u>[一-龥]{1,4}?)(?:下面?|里面?|上)(?:注册|登记|有|挤|集中|扎堆)|"
                    r"按(?:照)?(?P<a>[一-龥]{1,8}?)(?:统计|分布|分组|汇总|划分|分类|来看|看|分|列示|列出)|"
                    r"按(?P<k>区县|区|街道|行业|状态|类型|年份|年度)$|"
                    r"(?P<kw>类型|状态|行业|区县|年份)的?(?:数量|分布|统计)$|"
                    r"(?:排名|排)?前(?:\d+|[一二两三四五六七八九十]+)(?:名|位)?的?(?P<r2>行业|区县|街道|类型|状态)|"
                    r"每(?:个|一个|一)?(?P<e>[一-龥]{1,5}?)(?:各|分别)?(?:有|的)|"
                    r"哪(?:个|些|一个|类|种)(?P<d>[一-龥]{1,5}?)的?(?:企业|公司|基金|产品|事件)?"
                    r"(?:数量|最多|最少)|"
                    r"各(?P<b>[一-龥]{1,5}?)(?:的)?(?:企业|公司|基金|产品|事件)?(?:数量|分布|各有|有多少)|"
                    r"(?P<c>[一-龥]{2,5}?)分布(?!在哪)")
def property_words(ontology: Ontology, label: str) -> dict[str, tuple[str, ...]]:
    """The words a question may name each property of ``label`` by: its Chinese label (units
    dropped) and the synonyms of :data:`PROPERTY_SYNONYMS`."""
    words: dict[str, tuple[str, ...]] = {}
    for name, prop in label_properties(ontology, label).items():
        base = plain_label(prop.label_zh)
        found = tuple(dict.fromkeys(w for w in (*PROPERTY_SYNONYMS.get(name, ()), base) if w))
        if name not in ("id", "name", "aliases", "description", "source") and found:
            words[name] = found
    return words


def _listed_label(main: str, classed: str | None = None) -> str | None:
    """The class a register-wide question lists (loan products rather than products when it
    speaks of loans, rates or limits); ``classed`` is the question with the words that name
    no class blanked, when it differs."""
    label = _named_class(blank_matches(EXCLUDED_CLASS, classed or main))
    loans = _LOAN_WORDS.search(main) and "LoanProduct" not in excluded_classes(main)
    return "LoanProduct" if label == "Product" and loans else label


_WHICH_MANAGER = re.compile(r"哪(?:个|家|些|几家)(?:私募)?(?:基金)?管理人")
"""「哪个基金管理人…」 asks which company, though it names the funds it manages."""


def _named_class(main: str) -> str | None:
    """The class a register-wide question names: a role it ends on (「…的私募管理人有哪些」),
    the class after 各/哪些/a count, a person when it asks who before naming a class, the
    last class word, else what its counter or facts imply."""
    role = _listed_role(main)
    if role and (role.end() >= len(main) - 4 or role.group("follow") in _LISTS):
        return PERSON_ROLES.get(role.group("role"), PARTY)
    if first := _ROLE_FIRST.match(main):  # 「企业股东」 are companies, 「企业法定代表人」 persons
        kind = {"个人": "Person", "企业": "Company"}.get(first.group("kind") or "")
        return PERSON_ROLES.get(first.group("role")) or kind or PARTY
    if _WHICH_MANAGER.search(main):
        return "Company"
    blanked = _ROLE_NOUNS.sub("□", main)
    if "账户" in blanked:  # 「被冻结的账户都是谁的、开在哪家银行」 lists accounts, not banks
        blanked = _ACCOUNT_BANK.sub("□", blanked)
    who = _WHO.search(blanked)
    which = _ASKED_COUNTER.search(blanked)
    first_class = min((at for word, _ in CLASS_WORDS if (at := blanked.find(word)) >= 0),
                      default=len(blanked))
    if blanked.startswith("谁") or (who is not None and who.start() < first_class
                                    and (which is None or who.start() < which.start())):
        return "Person"
    for finder in (_CLASS_SCOPE, _SCOPE_WHICH, _EACH_CLASS, _ASKED_CLASS, _CLASS_ASKED, _CLASS_WHO,
                   _COUNTED_CLASS, _HOW_MANY_CLASS):
        if found := finder.search(blanked):
            return dict(CLASS_WORDS)[found.group(1)]
    named = _last_class_word(blanked)
    if which:
        counted = COUNTERS[which.group(1)]
        return named if named and SUBCLASSES.get(named) == counted else counted
    return named or _implied_label(main)


def _named_values(main: str, vocabulary: GraphVocabulary) -> list[tuple[str, str]]:
    """Each (label, value) of the register's values longer than two characters that the
    question names."""
    return [(label, value) for label, props in vocabulary.values.items()
            for values in props.values() for value in values if len(value) > 2
            and value in main]


def _values_blanked(main: str, named: list[tuple[str, str]]) -> str:
    """The question with the values it names (``named``) blanked, so that 「小微企业信用贷款」
    names no company."""
    for _, value in named:
        main = blank_matches(re.escape(value), main)
    return main


def _valued_label(named: list[tuple[str, str]]) -> str | None:
    """The one class whose values a question names (``named``) when it names no class
    (「个人消费贷款和小微企业信用贷款」 are loan products' kinds), the narrower where a class
    and its subclass both hold them."""
    labels = {label for label, _ in named}
    labels -= {SUBCLASSES[label] for label in labels if label in SUBCLASSES}
    return labels.pop() if len(labels) == 1 else None


def _listed_role(main: str) -> re.Match[str] | None:
    """The role the question lists parties by (「女性的实际控制人有哪些」); 「…的X是谁」 only
    after a ranking (「年纪最大的基金经理是谁」), since otherwise it asks about one entity's X."""
    role = _ROLE_AS_CLASS.search(main)
    if role is None or (role.group("follow") == "是谁"
                        and not SUPERLATIVE.search(main, 0, role.start())):
        return None
    return role


def _last_class_word(blanked: str) -> str | None:
    """The class of the class word nearest the end (longer words first where they overlap)."""
    best: tuple[int, str] | None = None
    searched = blanked
    for word, label in CLASS_WORDS:
        at = searched.rfind(word)
        if at >= 0 and (best is None or at > best[0]):
            best = (at, label)
            searched = blank_span(searched, at, at + len(word))
    return best[1] if best else None


def _implied_label(main: str) -> str | None:
    """The class a question names by no class word: by its counter (「前三位」), a role it
    lists (「女性的实际控制人」) or facts only one class has (「行业」)."""
    counter = LIMIT_WORDS.search(main)
    if counter and counter.group(0)[-1] in COUNTERS:
        return COUNTERS[counter.group(0)[-1]]
    role = _listed_role(main)
    if role:
        return PERSON_ROLES.get(role.group("role"), PARTY)
    return next((label for word, label in IMPLIED_CLASSES if word in main), None)


def _group_by(text: str, label: str, words: dict[str, tuple[str, ...]], ontology: Ontology
              ) -> str | None:
    match, each = _GROUP.search(text), _EACH.search(text)
    if match is not None:
        said = ("类型" if match.group("t") else "性别" if match.group("sex")
                else "月份" if match.group("mo") else next((g for g in match.groups() if g), ""))
    elif each is not None:
        said = text[:each.start()]
    else:
        return None
    return _grouping(said, text, label, words, ontology)


def _two_groupings(text: str, label: str, words: dict[str, tuple[str, ...]],
                   ontology: Ontology) -> tuple[str, str] | None:
    """The two groupings of a cross count (「按年份和类型统计」, 「各区县各行业的企业数量」), the
    second a property or a date's year; None unless the question names two that differ."""
    match = _TWO_KEYS.search(text)
    if match is None:
        return None
    first = _grouping(match.group("a") or match.group("a2"), text, label, words, ontology)
    second = _grouping(match.group("b") or match.group("b2"), text, label, words, ontology)
    if first is None or second is None or second in (DISTRICT, STREET) or first == second:
        return None
    return first, second


def _grouping(said: str, text: str, label: str, words: dict[str, tuple[str, ...]],
              ontology: Ontology) -> str | None:
    """What the words a question groups by name: a district or street, a date's year, or a
    property."""
    if re.search("街道|乡镇|镇街", said):
        return STREET
    if _REGION_WORDS.search(said):
        return DISTRICT
    part = (YEAR if re.search(r"年份|年度|^年$|每年", said) or YEAR_PAIR.search(said)
            else MONTH if re.search(r"月份|^月$", said) else None)
    if part is not None:  # 「2024年和2025年各发生了多少起」 counts per year
        dated = [n for n, p in label_properties(ontology, label).items() if p.datatype == "date"]
        named = [n for n in dated if any(w in text for w in words.get(n, ()))]
        return f"{part}{(named or dated)[0]}" if dated else None
    return _named_property(said, label, words)


def _count_floor(text: str) -> tuple[int, bool] | None:
    """The count the question sets as a floor and whether it must be exceeded: 「5家以上」
    (5, False), 「超过3家」 (3, True)."""
    counted = _AT_LEAST.search(text)
    if counted is None:
        return None
    said = (counted.group("n1") or counted.group("n2") or counted.group("n3")
            or counted.group("n4"))
    return chinese_number(said), bool(counted.group("over") or counted.group("over2"))


def _group_floor(text: str) -> int | None:
    """The count a group must exceed to be listed: 「超过5家公司的地址」 (> 5), 「5家及以上」
    (> 4)."""
    floor = _count_floor(text)
    if floor is None:
        return None
    count, strictly = floor
    return count - (0 if strictly else 1)


def _shared_value(text: str, words: dict[str, tuple[str, ...]]) -> str | None:
    """The property whose values the question asks to find shared (「登记在同一个地址」,
    「联系电话跟别的企业是重复的」, 「重名的人」)."""
    if re.search(r"重名的?(?:人|有|情况)|哪些重名|有没有重名", text):
        return "name"
    for name in _SHAREABLE:
        said = "|".join(map(re.escape, words.get(name, ())))
        if said and re.search(rf"(?:同一个?|相同的?|共用的?|共同的?)(?:{said})|"
                              rf"(?:{said}).{{0,8}}(?:重复|相同|一样)", text):
            return name
    return None


def _named_property(said: str, label: str, words: dict[str, tuple[str, ...]]) -> str | None:
    """The text property the words name, by the longest word (「风险事件类型」 names 类型,
    not the 风险 of 严重程度)."""
    best: tuple[int, str] | None = None
    for prop in (*VALUE_PROPERTIES.get(label, ()), *_SHAREABLE):
        for word in words.get(prop, ()):
            if word in said and (best is None or len(word) > best[0]):
                best = (len(word), prop)
    return best[1] if best else None


def _far_ends(ontology: Ontology, rel: str, outgoing: bool) -> list[str]:
    """The classes at the other end of ``rel`` from the entities it leaves (``outgoing``) or
    reaches."""
    found = ontology.relationships[rel]
    return list(found.range if outgoing else found.domain)


def _direction(ontology: Ontology, word: RelationWord, label: str) -> bool | None:
    """Outgoing (True), incoming (False), or None when the label sits at neither end."""
    rel = ontology.relationships[word.rel]
    lineage = label_lineage(ontology, label)
    at_start, at_end = bool(lineage & set(rel.domain)), bool(lineage & set(rel.range))
    if word.incoming is not None:
        wanted = not word.incoming
        return wanted if (at_start if wanted else at_end) else None
    if at_start:
        return True
    return False if at_end else None


def _tally(text: str, label: str, ontology: Ontology) -> Tally | None:
    for word in TALLY_WORDS:
        match = re.search(word.pattern, text)
        if match is None:
            continue
        outgoing, through = _direction(ontology, word, label), None
        if outgoing is None and word.rel == "TRANSFERS" and label_lineage(ontology, label) & set(
                ontology.relationships[ACCOUNT_HELD].domain):  # a holder's accounts' transfers
            outgoing, through = not word.incoming, ACCOUNT_HELD
        if outgoing is None:
            continue
        summed = word.sum_prop is not None and bool(_SUM_WORDS.search(text))
        if through:
            return Tally(rel=word.rel, outgoing=outgoing, through=through,
                         function="sum" if summed else "count",
                         prop=word.sum_prop if summed else None,
                         column=f"{match.group(0)}{'金额（万元）' if summed else '笔数'}",
                         counted_column="笔数" if summed else None)
        if not summed and (figure := _other_end_total(text, word.rel, outgoing, ontology)):
            name, label_zh, end = figure
            return Tally(rel=word.rel, outgoing=outgoing, function="sum", other_prop=name,
                         column=f"{match.group(0)}{label_zh}合计",
                         counted_column=f"{ontology.classes[end].label_zh}数量")
        return Tally(rel=word.rel, outgoing=outgoing, function="sum" if summed else "count",
                     prop=word.sum_prop if summed else None,
                     column=f"{match.group(0)}{'金额（万元）' if summed else '数量'}",
                     counted_column="笔数" if summed else None)
    return None


def _other_end_total(text: str, rel: str, outgoing: bool, ontology: Ontology
                     ) -> tuple[str, str, str] | None:
    """A numeric property of the entities at the other end that the question totals
    (「在管基金总规模」, 「汇总在管基金规模」 sum the managed funds' size), with its Chinese
    label and the class that has it."""
    ends = _far_ends(ontology, rel, outgoing)
    for end in ends:
        props = ontology.node_properties(end)
        for name, said in property_words(ontology, end).items():
            if props[name].datatype not in ("double", "integer"):
                continue
            words = "|".join(map(re.escape, said))
            if re.search(rf"总(?:{words})|(?:{words})的?(?:合计|总额|总和|加总|加起来)|"
                         rf"(?:汇总|合计|累计|加总)[^，,。]{{0,6}}?(?:{words})", text):
                return name, plain_label(props[name].label_zh), end
    return None


def _companions(tail: str, label: str, ontology: Ontology) -> list[Companion]:
    """The related entities the tail asks to show beside each listed one, a wording once
    (「企业股东」 is not also 「股东」)."""
    found = []
    for word in COMPANION_WORDS:
        match = re.search(word.pattern, tail)
        if match is None:
            continue
        outgoing = _direction(ontology, word, label)
        if outgoing is not None:
            said = match.group(0)
            found.append(Companion(rel=word.rel, outgoing=outgoing, other=word.other,
                                   column=_COMPANION_TITLES.get(said, said)))
            tail = blank_span(tail, match.start(), match.end())
    return found[:2]


def _sorted_by(text: str, words: dict[str, tuple[str, ...]], ontology: Ontology, label: str
               ) -> tuple[str, bool] | None:
    """An explicit sort the question asks for (「按时间先后」, 「按注册资本从大到小」)."""
    asked = _SORT.search(text)
    if asked is None:
        return None
    props = label_properties(ontology, label)
    said = asked.group("w")
    named = [n for n, ws in words.items() if any(w in said for w in ws)]
    if not named and re.search(r"时间|日期|先后", said + asked.group("dir")):
        named = [n for n, p in props.items() if p.datatype == "date"]
    descending = asked.group("dir") in _SORT_DESCENDING
    if not named:
        counted = re.search(r"数量|数|多少|多到少|少到多", said + asked.group("dir"))
        return ("tally", descending) if counted else None
    return named[0], descending


_RANGED_WORDS = (("年利率", ("rate_min", "rate_max")), ("利率", ("rate_min", "rate_max")))
"""Words naming a range of two properties, the lower and the upper end."""


def _order(text: str, words: dict[str, tuple[str, ...]], ontology: Ontology, label: str
           ) -> tuple[str | None, bool]:
    # a property word may begin with a superlative (「最高额度」), of this class or another's
    every = [w for said in (*words.values(), *PROPERTY_SYNONYMS.values()) for w in said]
    superlatives = [m for m in SUPERLATIVE.finditer(text)
                    if not any(text.startswith(w, m.start()) for w in every)]
    if not superlatives:
        return None, True
    props = label_properties(ontology, label)
    for match in superlatives:
        descending = (match.group(1) or "") not in ASCENDING
        before = text[:match.start()]
        best: tuple[int, str, str] | None = None
        for name, said in words.items():
            if props[name].datatype not in ("double", "integer", "date"):
                continue
            for word in said:
                at = before.rfind(word)
                if at >= 0 and (best is None or at > best[0]):
                    best = (at, name, word)
        if best is not None:
            return best[1], descending != (best[2] in _AGE_WORDS)
        ranged = next((pair for word, pair in _RANGED_WORDS if before.endswith(word)
                       and all(p in props for p in pair)), None)
        if ranged is not None:  # 「利率最低」 ranks the lower rates, 「利率最高」 the upper
            return ranged[1] if descending else ranged[0], descending
    match = superlatives[0]
    descending = (match.group(1) or "") not in ASCENDING
    if (match.group(1) or "") in ("新", "晚", "近", "早"):
        dated = [n for n, p in props.items() if p.datatype == "date"]
        return (dated[0] if dated else None), descending
    return "tally", descending


_BOTH_EXTREMES = re.compile(
    r"(?P<pair>最(?:低[、和及与]?最高|高[、和及与]?最低|小[、和及与]?最大|大[、和及与]?最小|"
    r"少[、和及与]?最多|多[、和及与]?最少))(?P<w>[一-龥]{2,4})")


def both_extremes(text: str, at: int = 0) -> re.Match[str] | None:
    """「最低、最高年利率」 at ``at``: two opposite extremes of one figure, which name two
    columns rather than rank (the 、 normalised away)."""
    return _BOTH_EXTREMES.match(text, at)


def _extremes_spelt_out(text: str) -> str:
    """「最低最高年利率」 → 「最低年利率最高年利率」."""
    return _BOTH_EXTREMES.sub(
        lambda m: f"最{m['pair'][1]}{m['w']}最{m['pair'][-1]}{m['w']}", text)


def asked_properties(text: str, label: str, ontology: Ontology,
                      words: dict[str, tuple[str, ...]]) -> list[str]:
    """The listed entities' properties the question names, to show beside each
    (「…有哪些，预期收益率多少」)."""
    props = label_properties(ontology, label)
    every = [w for said in words.values() for w in said]
    text = _extremes_spelt_out(text)  # 「最低、最高年利率」 names both rates
    return [name for name, said in words.items()
            if name in props and any(len(w) >= 2 and _stands_alone(w, text, every)
                                     for w in said)]


def _stands_alone(word: str, text: str, every: list[str]) -> bool:
    """Whether the word is in the text other than inside a longer property word there
    (「注册」 inside 「注册资本」 names the capital, not the founding date)."""
    longer = [w for w in every if word in w and w != word and w in text]
    return word in re.sub("|".join(map(re.escape, longer)), "□", text) if longer else word in text


def _other_end(main: str, tally: Tally, ontology: Ontology, vocabulary: GraphVocabulary
               ) -> Tally:
    """The tally counting only the class the question names at the other end (「几款贷款
    产品」), when that class can stand there, or only the other ends of a value it names
    (「久悬账户最多的银行」)."""
    ends = _far_ends(ontology, tally.rel, tally.outgoing)
    valued = [(end, found) for end in ends if (found := other_values(main, end, ontology,
                                                                        vocabulary))]
    if len(valued) == 1:
        end, found = valued[0]
        tally = tally.model_copy(update={"other": end, "other_values": dict(found)})
    at = 0
    while counted := _OTHER_END.search(main, at):  # 「每家银行有几款贷款产品」: not the banks
        other = dict(CLASS_WORDS)[next(g for g in counted.groups() if g)]
        if other != PARTY and set(ontology.ancestors(other)) & set(ends):
            return tally.model_copy(update={"other": other})
        at = counted.start() + 1
    return tally


def _title_tally(main: str, label: str, ontology: Ontology, vocabulary: GraphVocabulary
                 ) -> Tally | None:
    """A count of the posts of a job title the question names (「在两家及以上公司当财务负责人
    的人」), for the persons who hold them."""
    title = next((t for t in vocabulary.titles if t in main), None)
    if title is None or not label_lineage(ontology, label) & set(
            ontology.relationships["SERVES_AS"].domain):
        return None
    return Tally(rel="SERVES_AS", outgoing=True, function="count", column=f"{title}任职数",
                 rel_values={"title": title})


_FIGURE_WORDS: tuple[tuple[str, str], ...] = (
    ("avg", "平均"), ("max", "最高|最大|上限|最多"), ("min", "最低|最小|下限|最少"),
    ("sum", "总|合计|一共|累计"))


def _with_other_end_figures(text: str, tally: Tally, ontology: Ontology) -> Tally:
    """The tally with the figures the question asks of its other ends' numeric properties
    (「各银行的贷款产品有几款，单户最高额度上限是多少」: the highest 最高额度 of each bank's
    loan products), the other end narrowed to the class that has the property."""
    ends = [tally.other] if tally.other else _far_ends(ontology, tally.rel, tally.outgoing)
    classes = [c for c in ontology.classes if set(ontology.ancestors(c)) & set(ends)]
    for other in sorted(classes, key=lambda c: c not in ends):
        props = ontology.node_properties(other)
        found = []
        for name, said in property_words(ontology, other).items():
            if props[name].datatype not in ("double", "integer"):
                continue
            words = "|".join(map(re.escape, sorted(said, key=len, reverse=True)))
            at = re.search(words, text)
            if at is None or not re.search(r"多少|几|是多|为多|^[。？?]?$", text[at.end():]):
                continue
            near = text[max(0, at.start() - 4):at.end() + 4]
            function = next((f for f, w in _FIGURE_WORDS if re.search(w, near)), None)
            if function:
                found.append(Aggregate(function=function, prop=name))
        if found:
            return tally.model_copy(update={"other": other, "other_aggregates": found})
    return tally


def _role_tally(main: str, label: str, ontology: Ontology) -> Tally | None:
    """A role the listed entities must hold, when the question lists them by it
    (「1990年以后出生的法定代表人有多少位」 lists persons who are a legal representative) or
    starts from it (「法定代表人里男的女的各有多少人」)."""
    role = (_listed_role(blank_matches(_LACKING, main))
            or _ROLE_FIRST.match(main))
    if role is None:
        return None
    rel = next(r for pattern, r in ROLE_RELATIONS if re.fullmatch(pattern, role.group("role")))
    if not label_lineage(ontology, label) & set(ontology.relationships[rel].domain):
        return None
    return Tally(rel=rel, outgoing=True, function="count", column=f"{role.group('role')}关系数",
                 at_least=1.0)


def _lacking(main: str, label: str, ontology: Ontology) -> list[Companion]:
    """Relationships the question says the listed entities lack (「没有登记实际控制人的企业」,
    「一个股东都没登记」)."""
    found = []
    lineage = label_lineage(ontology, label)
    for said in _LACKING.finditer(main):
        roles = [said.group("a") or said.group("b")]
        end = said.end()
        while more := _LACKED_TOO.match(main, end):
            roles.append(more.group("a"))
            end = more.end()
        for role in roles:
            found += _lacked(role, bool(said.group("held")), label, lineage, ontology)
    return found


def _lacked(role: str, held_said: bool, label: str, lineage: set[str], ontology: Ontology
            ) -> list[Companion]:
    """The relationships lacking ``role`` means for the listed entities: an activity of
    their own (开户, 任职), a role they hold (「没当过法定代表人」; a person's 「没有实际控制人
    记录」), else a role another holds towards them (「没有实际控制人的企业」)."""
    lacked = next((rels for pattern, rels in _LACKED_ACTIVITY if re.fullmatch(pattern, role)),
                  None)
    if lacked is not None:
        return [Companion(rel=rel, outgoing=out, column=role) for rel, out in lacked
                if lineage & set(_far_ends(ontology, rel, not out))]  # their own end
    held = next((rel for pattern, rel in ROLE_RELATIONS if re.fullmatch(pattern, role)), None)
    ends = ontology.relationships[held] if held else None
    if ends and lineage & set(ends.domain) and (held_said or not lineage & set(ends.range)):
        return [Companion(rel=ends.name, outgoing=True, column=role)]
    for word in COMPANION_WORDS:
        if word.incoming and re.fullmatch(word.pattern, role):
            outgoing = _direction(ontology, word, label)
            return [] if outgoing is None else [Companion(rel=word.rel, outgoing=outgoing,
                                                          column=role)]
    return []


def _lacked_titles(main: str, label: str, ontology: Ontology, titles: list[str]
                   ) -> list[Companion]:
    """The positions nobody holds at the listed entities (「没有监事的公司」, 「未设董事长」)."""
    if not titles or not label_lineage(ontology, label) & set(
            ontology.relationships["SERVES_AS"].range):
        return []
    said = "|".join(re.escape(t) for t in sorted(titles, key=len, reverse=True))
    return [Companion(rel="SERVES_AS", outgoing=False, column=m.group("t"), job=m.group("t"))
            for m in re.finditer(rf"(?:没有|没|无|未)(?:设|设置|配备|登记)?(?:任何)?(?P<t>{said})"
                                 r"(?![一-龥]*(?:的人|的自然人))", main)]


def _tally_threshold(main: str, tally: Tally) -> Tally:
    """The tally with the floor the question sets: 「5家以上」 (≥ 5), 「超过3家」 (> 3), or for
    a sum 「累计金额超过1500万元」 (> 1500 万元)."""
    if (floor := _count_floor(main)) is not None:
        count, strictly = floor
        return tally.model_copy(update={"at_least": float(count), "strictly": strictly})
    amount = _AMOUNT_OVER.search(main)
    if tally.function == "sum" and amount:
        scale = 10000.0 if amount.group("unit") in ("亿", "亿元") else 1.0
        return tally.model_copy(update={"at_least": float(amount.group("num")) * scale,
                                        "strictly": amount.group("op") in _STRICT})
    return tally


_FIGURE_WORD = r"(?:平均|最高|最低|最大|最小|中位数)"
_FIGURE_LIST = re.compile(rf"{_FIGURE_WORD}(?:[、和及与]?{_FIGURE_WORD})+")
"""Two or more figures of one property asked at once (「平均、最高、最低」), which rank
nothing."""
_LISTED_FIGURES = (("平均", "avg"), ("最高", "max"), ("最大", "max"), ("最低", "min"),
                   ("最小", "min"), ("中位数", "median"))


def _aggregates(main: str, label: str, ontology: Ontology, words: dict[str, tuple[str, ...]]
                ) -> list[Aggregate]:
    """Sums, averages and medians of numeric properties a count or breakdown also asks for
    (「总规模」, 「平均注册资本」, 「注册资本的中位数」)."""
    found = []
    for name, prop in label_properties(ontology, label).items():
        if prop.datatype not in ("double", "integer") or name not in words:
            continue
        said = "|".join(map(re.escape, words[name]))
        if re.search(rf"平均(?:{said})|(?:{said})(?:的)?平均", main):
            found.append(Aggregate(function="avg", prop=name))
        if re.search(rf"总(?:{said})|(?:{said})的?(?:合计|总额|总和|加总|加起来)|合计(?:{said})",
                     main):
            found.append(Aggregate(function="sum", prop=name))
        if re.search(rf"(?:{said})的?中位数|中位数.{{0,2}}(?:{said})", main):
            found.append(Aggregate(function="median", prop=name))
        listed = re.search(rf"(?:{said})的?(?P<a>{_FIGURE_LIST.pattern})|"
                           rf"(?P<b>{_FIGURE_LIST.pattern})的?(?:{said})", main)
        if listed:  # 「收益率平均、最高、最低分别是多少」
            found += [Aggregate(function=function, prop=name)
                      for word, function in _LISTED_FIGURES
                      if word in (listed.group("a") or listed.group("b"))]
    return list({(a.function, a.prop): a for a in found}.values())


_DOER_VERBS = {"入股": "HOLDS_SHARES", "持股": "HOLDS_SHARES", "参股": "HOLDS_SHARES",
               "投资": "INVESTS_IN", "担保": "GUARANTEES", "控股": "HOLDS_SHARES"}
_DOER_FIRST = re.compile(r"^(?:私募)?(?P<doer>基金|自然人|个人|企业|公司|银行)"
                         rf"(?P<verb>{'|'.join(_DOER_VERBS)})$")
"""A relationship the listed entities must have, said with its doer first (「私募基金入股」)."""


def _having(main: str, label: str, ontology: Ontology) -> tuple[Tally, int] | None:
    """The relationship the listed entities must have (「发生过风险事件的」, 「担任法定代表人
    的」) and where its wording ends."""
    having = _HAVING.search(main)
    if having is None:
        return None
    said = next(g for g in having.groups() if g)
    doer = _DOER_FIRST.match(said)
    if doer is not None:  # 「有私募基金入股的企业」: funds hold the companies' shares
        rel = _DOER_VERBS[doer.group("verb")]
        other = dict(CLASS_WORDS)[doer.group("doer")]
        if label_lineage(ontology, label) & set(ontology.relationships[rel].range):
            return Tally(rel=rel, outgoing=False, function="count", other=other,
                         column=f"{doer.group('doer')}数量", at_least=1.0), having.end()
    tally = _tally(said, label, ontology)
    return (tally.model_copy(update={"at_least": 1.0}), having.end()) if tally else None


def _relationship_tally(main: str, tail: str, label: str, ontology: Ontology,
                        vocabulary: GraphVocabulary, group_by: str | None, order_by: str | None,
                        companions: list[Companion]) -> tuple[Tally | None, str | None]:
    """The count or sum over a relationship the question ranks, floors or requires, and the
    order it then implies; ``companions`` gains the other end when the question asks for it
    (「分别是哪家公司」)."""
    if group_by:
        held = _having(main, label, ontology)
        kept = order_by if order_by not in (None, "tally") else ("tally" if order_by else None)
        return (held[0] if held else _role_tally(main, label, ontology)), kept
    if order_by == "tally" or _AT_LEAST.search(main) or _AMOUNT_OVER.search(main) or (
            order_by is None and re.search("各|每", main)
            and (_COUNT.search(main) or _FIGURE_OF_EACH.search(main))):
        tally = _tally(main, label, ontology) or _title_tally(main, label, ontology, vocabulary)
        if tally is None:
            return _role_tally(main, label, ontology), None
        tally = _other_end(main, _tally_threshold(main, tally), ontology, vocabulary)
        return _with_other_end_figures(main + tail, tally, ontology), order_by or "tally"
    held = _having(main, label, ontology)
    if held is not None:
        tally, end = held
        if _OTHER_END_ASKED.search(main[end:] + tail):
            companions.insert(0, Companion(rel=tally.rel, outgoing=tally.outgoing,
                                           column="关联主体"))
        return tally, order_by
    return _role_tally(main, label, ontology), order_by


def _conditions(text: str, label: str, ontology: Ontology, vocabulary: GraphVocabulary,
                words: dict[str, tuple[str, ...]], taken: str) -> list[Condition]:
    """The conditions ``text`` sets on the listed entities' own properties (values, birth
    years, figures, dates, missing properties, an address written out)."""
    aged, text = age_conditions(text, label, ontology, words)
    return (value_conditions(text, label, vocabulary, words, taken)
            + birth_conditions(text, label, ontology)
            + numeric_conditions(text, label, ontology, words)
            + aged + date_conditions(text, label, ontology, words)
            + absent_conditions(text, label, ontology, words)
            + address_conditions(text, label, ontology))


_LINK_VERBS = {"投资": "INVESTS_IN", "认购": "INVESTS_IN", "买": "INVESTS_IN", "投": "INVESTS_IN",
               "持股": "HOLDS_SHARES", "入股": "HOLDS_SHARES", "参股": "HOLDS_SHARES",
               "担保": "GUARANTEES", "管理": "MANAGES", "管": "MANAGES", "发行": "ISSUES"}
_LINKED_END = re.compile(
    rf"(?:^|既|又|也|同时|还|和|并且?|且|都|曾经?)(?:给|为)?(?P<verb>{'|'.join(_LINK_VERBS)})(?:了|过)?"
    rf"(?P<end>{'|'.join(w for w, _ in CLASS_WORDS if w not in ('人', '主体'))})")
"""A kind of entity the listed ones are linked to by a verb (「投了基金」, 「为企业担保」)."""


def _linked_ends(main: str, label: str, ontology: Ontology) -> list[RelatedCondition]:
    """The kinds of entity the listed ones must be linked to, each by its verb, when the
    question lists them by those links (「既投基金又投产品的自然人」: persons investing in a
    fund and in a product); links apart from the listed class's words are not read."""
    runs: list[re.Match[str]] = []
    for said in _LINKED_END.finditer(main):
        runs = [*runs, said] if runs and runs[-1].end() == said.start() else [said]
        if main.startswith("的", said.end()):
            break
    else:
        return []
    lineage, found = label_lineage(ontology, label), []
    for said in runs:
        rel, other = _LINK_VERBS[said.group("verb")], dict(CLASS_WORDS)[said.group("end")]
        kind = ontology.relationships[rel]
        if lineage & set(kind.domain) and set(label_lineage(ontology, other)) & set(kind.range):
            found.append(RelatedCondition(rel=rel, outgoing=True, other=other))
    return found


_HELD_ROLES: tuple[tuple[str, str, bool], ...] = (
    ("被担保人|被担保方|被担保", "GUARANTEES", False),
    *((pattern, rel, True) for pattern, rel in ROLE_RELATIONS))
"""Roles with the relationship each holds: from the entity (担保人) or towards it (被担保人)."""
_ROLE_LINK = re.compile(
    r"(?:既|又|也|同时)(?:是|为|当|做|担任)?(?:别人的|他人的)?"
    rf"(?P<role>{'|'.join(pattern for pattern, _, _ in _HELD_ROLES)})")
"""A role the listed ones hold, one of two or more said together (「既是股东又是被担保人」)."""


def _role_links(main: str, label: str, ontology: Ontology) -> list[RelatedCondition]:
    """The roles the listed entities must all hold when the question lists them by two or
    more (「既是股东又是被担保人的企业」: holding shares, and guaranteed)."""
    said = list(_ROLE_LINK.finditer(main))
    if len(said) < 2:
        return []
    lineage, found = label_lineage(ontology, label), []
    for match in said:
        rel, outgoing = next((r, out) for pattern, r, out in _HELD_ROLES
                             if re.fullmatch(pattern, match.group("role")))
        kind = ontology.relationships[rel]
        if lineage & set(kind.domain if outgoing else kind.range):
            found.append(RelatedCondition(rel=rel, outgoing=outgoing, other=None))
    return found


_RISKY_ROLE = re.compile(
    r"(?P<role>实际控制人|实控人|担保人|担保方|股东|法定代表人|法人|管理人)(?:本身|自己|自身|本人)?"
    r"(?:也)?(?:涉及|出过|发生过|有过|卷入|牵涉)(?:过|到)?(?:风险事件|风险|事)")


def _risky_roles(main: str, label: str, ontology: Ontology
                 ) -> tuple[list[RelatedCondition], list[Companion]]:
    """The holders of a role towards the listed entities that are themselves involved in a
    risk event (「实际控制人涉及风险事件的企业」, 「担保人自己出过风险事件的，被它担保的企业」): a
    condition, and those holders shown beside each entity."""
    lineage = label_lineage(ontology, label)
    related, shown = [], []
    for said in _RISKY_ROLE.finditer(main):
        role = said.group("role")
        rel = next(r for pattern, r in ROLE_RELATIONS if re.fullmatch(pattern, role))
        if not lineage & set(ontology.relationships[rel].range):
            continue
        related.append(RelatedCondition(rel=rel, outgoing=False, other=PARTY, involved=True))
        shown.append(Companion(rel=rel, outgoing=False, column=role, involved=True))
    return related, shown


def _role_holder_born(main: str, label: str, ontology: Ontology) -> list[RelatedCondition]:
    """The birth years of the person holding a role towards the listed entities, when the
    question sets them (「90后当法定代表人的企业」, 「实际控制人是90后的企业」)."""
    if label in ("Person", PARTY):
        return []
    role = _BORN_ROLE.search(main)
    born = birth_conditions(main, "Person", ontology)
    if role is None or not born:
        return []
    rel = next(r for pattern, r in ROLE_RELATIONS if re.fullmatch(pattern, role.group(0)))
    if not label_lineage(ontology, label) & set(ontology.relationships[rel].range):
        return []
    bounds = {c.op: float(c.value) for c in born if isinstance(c.value, int | float)}
    return [RelatedCondition(rel=rel, outgoing=False, other="Person", prop="birth_year",
                             at_least=bounds.get(">="), at_most=bounds.get("<="))]


def _share_base(main: str, label: str, ontology: Ontology, vocabulary: GraphVocabulary,
                words: dict[str, tuple[str, ...]], taken: str) -> tuple[list[Condition], bool]:
    """The conditions of the whole a share is taken of, and whether it is the question's
    district: 「江北区企业中制造业占比」 is out of 江北区's companies, 「吊销的企业占全部企业的
    比例」 out of all (the district's name reaches here blanked, □)."""
    scope = _SHARE_SCOPE.search(main)
    if scope is None:
        return [], False
    said = scope.group(1)
    return _conditions(said, label, ontology, vocabulary, words, taken), "□" in said


_WHOLE = "100%|百分之百|全部"
_HALF = "一半以上|半数以上|过半|超过一半|超过半数|超过50%|50%以上|百分之五十以上"
_HOLDING_BOUND = re.compile(
    rf"(?:持有|持股)[一-龥]{{0,8}}?(?:(?P<w1>{_WHOLE})|(?P<h1>{_HALF}))的?(?:股权|股份)?|"
    rf"(?:(?P<w2>{_WHOLE}|全资)|(?P<h2>{_HALF}))的?(?:持股|股权|股份|控股)")
"""A shareholding above half, or of the whole company, said of who holds it or is held."""
_HELD_BY = re.compile(r"由(?:一个|某个|一位|某位|单个|单一)?(?P<holder>自然人|个人|企业|公司|基金)")
_HOLDERS = {"自然人": "Person", "个人": "Person", "企业": "Company", "公司": "Company",
            "基金": "Fund"}


def _holding_bound(main: str, label: str) -> tuple[HoldingBound, str] | None:
    """The shareholding above half or whole the listed entities hold or are held by, and the
    question with the holder it names (「由一个自然人」) blanked, so that the class listed is
    the one held; None when it sets none."""
    bound = _HOLDING_BOUND.search(main)
    if bound is None:
        return None
    op, ratio = ("=", 1.0) if bound.group("w1") or bound.group("w2") else (">", 0.5)
    held_by = _HELD_BY.search(main)
    if held_by is not None:
        blanked = blank_matches(_HELD_BY, main, count=1)
        return (HoldingBound(outgoing=False, other=_HOLDERS[held_by.group("holder")], op=op,
                             ratio=ratio), blanked)
    if label not in ("Person", "Company", "Fund", PARTY):
        return None
    return HoldingBound(outgoing=True, other="Company", op=op, ratio=ratio), main


_PER_OWNER = re.compile(
    r"^(?:每|各)(?:个|家|位|只)?(?P<owner>私募基金管理人|私募管理人|基金管理人|管理人|发行方|银行|基金)"
    r"(?:手里|手上|旗下|名下|发行|管理)?的?(?:里|中|当中)?"
    r"(?P<rest>.*最[高低大小多少早晚长短].*)$")
_OWNER_ROLES = {"私募基金管理人": "MANAGES", "私募管理人": "MANAGES", "基金管理人": "MANAGES",
                "管理人": "MANAGES", "发行方": "ISSUES"}
"""Owners named by their role, each a company (a fund's manager, a product's issuer)."""
_WHICH_ONE = re.compile(rf"哪|是什么|叫什么|(?:{_CLASS_ALTERNATIVES})$")
"""After an owner, the words asking which of its entities ranks first."""
_OWNER_LINKS = ("ISSUES", "MANAGES", "CONTROLS", "HOLDS_SHARES", "INVESTS_IN", "GUARANTEES")
"""Relationships tying an owner class to the entities ranked under it, the likeliest first."""


_LOCATED_ASKED = re.compile(r"(?:分别|各自)?(?:位于|在|属于|注册在|落在)哪(?:个|一个)?(?:区县|区)")
"""Each listed entity's district asked beside it (「分别位于哪个区县」)."""
_DIGITS = re.compile(r"(?:保留|精确到|取)?(?P<n>\d|[一两二三四])位小数")


def _digits(text: str) -> int:
    """The decimal places a question asks its percentages to (「保留一位小数」), else 2."""
    said = _DIGITS.search(text)
    return chinese_number(said.group("n")) if said else 2


def _per_owner(question: str, ontology: Ontology, vocabulary: GraphVocabulary,
               district_id: str | None) -> ListFrame | None:
    """The first entities under each related owner (「每个私募管理人手里规模最大的是哪只基金」,
    「每家银行利率最低的贷款产品」): the ranking after the owner, per owner."""
    said = _PER_OWNER.match(question)
    if said is None or _COUNT.search(said.group("rest")) or not _WHICH_ONE.search(
            said.group("rest")):  # 「各有几款，利率下限最低是多少」 asks figures per owner
        return None
    inner = parse_frame(said.group("rest"), ontology, vocabulary, district_id)
    owner = said.group("owner")
    if inner is None or inner.order_by in (None, "tally") or inner.group_by:
        return None
    lineage = label_lineage(ontology, inner.label)
    rel = _OWNER_ROLES.get(owner)
    other = "Company"
    if rel is None:
        other = dict(CLASS_WORDS)[owner]
        owners = label_lineage(ontology, other)
        rel = next((r for r in _OWNER_LINKS if owners & set(ontology.relationships[r].domain)
                    and lineage & set(ontology.relationships[r].range)), None)
    if rel is None or not lineage & set(ontology.relationships[rel].range) or other == inner.label:
        return None
    return inner.model_copy(update={
        "per_related": Companion(rel=rel, outgoing=False, column=owner, other=other)})


def _grouping_asked(main: str, tail: str, label: str, words: dict[str, tuple[str, ...]],
                    ontology: Ontology, conditions: list[Condition], located: bool
                    ) -> str | None:
    """The one grouping a question counts or figures by: a property or place it names, else
    the property of the values it compares (「股份有限公司和有限责任公司比，平均注册资本哪个
    高」); none when it lists entities with their district (「有哪些？分别位于哪个区县」)."""
    group_by = _group_by(main, label, words, ontology)
    if located:
        return None if group_by == DISTRICT else group_by
    if group_by is None and (_VALUES_COMPARED.search(main) or _EACH_FIGURE.search(main + tail)):
        group_by = next((c.prop for c in conditions if isinstance(c.value, list)), None)
    return group_by


_BY_BANK = re.compile(r"按(?:照)?(?:开户|发行)?银行(?:统计|分布|汇总|分组|列示|来看|看)?|"
                      r"(?:开户|发行)银行的?分布")
"""「按开户银行统计」, 「开户银行分布」: a figure of each bank, as 「各银行」 asks it."""


def parse_frame(question: str, ontology: Ontology, vocabulary: GraphVocabulary,
                district_id: str | None = None) -> ListFrame | None:
    """The register-wide frame a (normalised) question asks for, or None when it asks
    about no class of entity or asks nothing of the register as a whole."""
    question = _FORMAL_OPENING.sub("", question)  # 「请统计各银行…」 asks about the banks
    question = _BY_BANK.sub("各银行", question)
    return (_per_owner(question, ontology, vocabulary, district_id)
            or _listing_frame(question, ontology, vocabulary, district_id))


def _listing_frame(question: str, ontology: Ontology, vocabulary: GraphVocabulary,
                   district_id: str | None) -> ListFrame | None:
    """The frame of a question that ranks nothing under each related owner."""
    parts = _COMPANION_SPLIT.split(question, maxsplit=1)
    main, tail = parts[0], (parts[1] if len(parts) > 1 else "")
    valued = _named_values(main, vocabulary)
    label = _listed_label(main, _values_blanked(main, valued)) or _valued_label(valued)
    holding = _holding_bound(main, label or "")
    if holding is not None and holding[1] != main:  # 「由一个自然人100%持股的公司」 lists companies
        main = holding[1]
        label = _listed_label(main)
    if label is None:
        return None
    words = property_words(ontology, label)
    related = related_conditions(main, label, ontology, vocabulary)
    taken = " ".join(v for r in related for v in ([r.value] if isinstance(r.value, str)
                                                  else r.value or []))
    conditions = _conditions(main, label, ontology, vocabulary, words, taken)
    born = _role_holder_born(main, label, ontology)
    years = {str(int(b)) for r in born for b in (r.at_least, r.at_most) if b is not None}
    conditions = [c for c in conditions  # 「1990年及以后出生的人」 is no founding date
                  if not (c.is_date and str(c.value)[:4] in years)]
    related += born + _linked_ends(main, label, ontology) + _role_links(main, label, ontology)
    risky, risky_holders = _risky_roles(main, label, ontology)
    if risky:  # the holders' risk events are no condition on the listed entities themselves
        related += risky
        main = blank_matches(_RISKY_ROLE, main)
    shared = _shared_value(main, words)
    two = None if shared else _two_groupings(main, label, words, ontology)
    located = _LOCATED_ASKED.search(main + tail) is not None and bool(_LISTING.search(main))
    group_by = shared or (two[0] if two else _grouping_asked(main, tail, label, words, ontology,
                                                            conditions, located))
    floor = _group_floor(main) if group_by else None
    order_by, descending = _order(blank_matches(_FIGURE_LIST, main), words, ontology, label)
    ranked = order_by is not None
    if order_by is None and (sort := _sorted_by(main, words, ontology, label)):
        order_by, descending = sort
    companions = risky_holders or _companions(tail, label, ontology)
    if label == "Account":  # 「被冻结的账户都是谁的」, 「开在哪家银行」
        companions += [Companion(rel=rel, outgoing=out, column=title) for pattern, rel, out, title
                       in _ACCOUNT_ASKED if re.search(pattern, main + tail)
                       and not any(c.rel == rel for c in companions)]
    if companions and _LISTING.search(tail) and not _LISTING.search(main):
        # 「涉及风险事件的企业，它们的企业股东有哪些」 lists the shareholders: rows need one
        companions[0] = companions[0].model_copy(update={"required": True})
    companions += [c for c in DEFAULT_COMPANIONS.get(label, ())
                   if not any(c.rel == have.rel for have in companions)]
    tally, order_by = _relationship_tally(main, tail, label, ontology, vocabulary, group_by,
                                          order_by, companions)
    held = _having(main, label, ontology) if tally is not None else None
    if held is not None and tally is not None and held[0].rel != tally.rel:
        # 「出过风险事件的那些产品，各有多少投资人」 tallies investors of products with an event
        related.append(RelatedCondition(rel=held[0].rel, outgoing=held[0].outgoing,
                                        other=held[0].other))
    limit_match = LIMIT_WORDS.search(main)
    limit = chinese_number(limit_match.group(1) or limit_match.group(2)) if limit_match else None
    if ranked and order_by and not limit and not (tally and (tally.at_least or 0) > 1):
        # 「期限最长的是哪几款」: the longest, however many tie; 「排名靠前的有哪些」: ten
        limit = 1 if (_SINGULAR.search(main) or not _PLURAL.search(main)
                      or _MOST_ARE_WHICH.search(main)) else 10
    # 「同时担任3家以上法定代表人的人数」 counts those over the floor, not each one's tally
    floored = (tally is not None and tally.at_least is not None and not ranked
               and not re.search("各|每", main))
    # 「按基金类型统计基金数量及平均规模」: a figure asked after 及 is the breakdown's too
    figures = _aggregates(main + tail, label, ontology, words)
    count_only = (not (group_by or (order_by == "tally" and not floored)
                       or (order_by and ranked))
                  and bool(_COUNT.search(main) or figures)  # 「私募证券投资基金的平均规模」
                  # 「平均、最高、最低分别是多少」 asks figures, not rows
                  and not (_ROWS_ASKED.search(main)
                           and not (figures and _FIGURE_LIST.search(main))))
    lacking = (_lacking(main + tail, label, ontology)  # 「没有任职、持股…」 runs past a 、
               + _lacked_titles(main, label, ontology, vocabulary.titles))
    aggregates = figures if group_by or count_only else []
    bare = _BARE_DIRECTION.search(main)
    if group_by and aggregates and order_by in (None, "tally") and bare:
        order_by, descending = aggregates[0].prop, bare.group(0) in _SORT_DESCENDING
    if not (conditions or related or lacking or district_id or group_by or order_by or count_only
            or holding or _LISTING.search(main + tail)):
        return None
    excluded = [x for x in excluded_classes(main) if x != label]
    average = tally is not None and _AVERAGE_EACH.search(main) is not None
    if average:
        order_by, limit = None, None
    # 「吊销的企业占全部企业的比例」, 「有银行账户的企业占全部企业的比例」
    share = (bool(conditions or related or (tally and tally.at_least))
             and _SHARE_ASKED.search(main) is not None)
    base = (_share_base(main, label, ontology, vocabulary, words, taken) if share
            else ([], False))
    return ListFrame(label=label, conditions=conditions, related=related, lacking=lacking,
                     holding=holding[0] if holding else None,
                     excluded=excluded,
                     shown=asked_properties(main + tail, label, ontology, words),
                     district_id=district_id, tally=tally,
                     group_by=group_by, then_by=two[1] if two else None,
                     top_per_group=(group_by is not None and order_by not in (None, "tally")
                                    and not any(a.prop == order_by for a in aggregates)
                                    and _PER_GROUP.search(main) is not None),
                     shared_only=shared is not None, group_floor=floor,
                     share=share, share_base=base[0], share_in_district=base[1],
                     group_share=(group_by is not None
                                  and _SHARE_ASKED.search(main + tail) is not None),
                     count_only=count_only, tally_average=average, order_by=order_by,
                     tally_share=(tally is not None and not conditions
                                  and _SHARE_ASKED.search(main + tail) is not None),
                     descending=descending, limit=limit or None, digits=_digits(main + tail),
                     district_shown=located and group_by is None,
                     aggregates=aggregates,
                     companions=companions[:2])
