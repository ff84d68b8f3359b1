"""The regulator's common questions as templates: a wording pattern → a named risk query or a
parameterised lookup.

A question is normalised (blanks and punctuation dropped), the entity it names is found with
:class:`kg.mentions.MentionIndex` and replaced by 〈E〉, and the first template whose pattern
matches and whose entity kinds fit is chosen. Templates never put the question's words into
Cypher: the entity becomes an id parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from bots.text2cypher.frame_conditions import excluded_classes, period_bounds
from kg.mentions import Mention

PLACEHOLDER = "〈E〉"
_PUNCT = re.compile(r"(?:[\s，,。？?！!、；;：:“”\"'‘’「」《》…~～]|\.(?!\d))+")
"""Blanks and punctuation; a full stop stays before a digit (「3.3%」)."""
_HOPS = re.compile(r"([1-5一二两三四五])\s*(?:跳|层|级|度)")
_HOP_WORDS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_SHARE = re.compile(r"(\d+(?:\.\d+)?)[%％](?:以上|及以上)?|超过(\d+(?:\.\d+)?)[%％]")
_ALL_HOLDERS = re.compile(r"最终股东|穿透后|穿透比例|所有股东|全部股东")
_CONTROLLER = re.compile(r"实际控制|实控|控制人|说了算|受益")
_PERSON_PARTY = re.compile(
    r"自然人|个人股东|基金经理|哪位|哪个人|(?:涉及|牵涉|牵连)到?的?(?:个人|人员)")
_COMPANY_PARTY = re.compile(
    r"法人股东|企业法人|机构股东|企业股东|公司股东|哪家|哪些(?:企业|公司)|机构|私募管理人|"
    r"管理公司|(?:涉及|牵涉|牵连|波及)到?的?(?:企业|公司)")
_TX_ID = re.compile(r"(?i:TX)\d{8,}")
"""A transfer's 交易流水号, which a question may look it up by (the template's pattern is this
one, so the letters match in either case there as in the reader)."""
_ACCOUNT_ID = re.compile(r"(?i:AC)-?\d{6}")
"""An account's 编号 (「AC-000426」), which a question may look it up by."""
_BORN_BEFORE_NAME = re.compile(rf"\d{{2,4}}年(?:出生|生)?的?(?:那个|那位|这个|这位)?"
                               rf"(?={re.escape(PLACEHOLDER)})")
"""A year said right before the named person: their birth year, which tells same-name persons
apart (「1972年那个王建国」), not a period."""
_ALONG = re.compile(r"关系|链条|路径|沿")
_RELATION_WORDS = (("担保", "GUARANTEES"), ("持股|股权|股东", "HOLDS_SHARES"),
                   ("控制", "CONTROLS"), ("法定代表人|法人", "IS_LEGAL_REP"),
                   ("投资", "INVESTS_IN"), ("管理", "MANAGES"))

Rows = tuple[list[str], list[list[Any]]]


_ROUND_FIGURES = {"过亿": "超过1亿", "破亿": "超过1亿", "上亿": "1亿以上", "过千万": "超过1000万",
                  "破千万": "超过1000万", "上千万": "1000万以上", "过万": "超过1万"}
"""Round figures said in words (「规模过亿」), spelt as the numbers the readers of figures read."""
_ROUND_FIGURE = re.compile("|".join(_ROUND_FIGURES))


def normalise(question: str) -> str:
    """The question without blanks and punctuation (so 「？？」 or a missing comma do not
    matter; parentheses stay, since fund names carry them), with round figures said in words
    spelt in digits."""
    bare = _PUNCT.sub("", question)
    return _ROUND_FIGURE.sub(lambda m: _ROUND_FIGURES[m.group(0)], bare)


@dataclass(frozen=True)
class Template:
    """One kind of question: its patterns, the entity it needs, and what it runs.

    Exactly one of ``cypher`` (run through the guard with ``$id`` and constant params) and
    ``risk`` (a named query of :mod:`kg.risk`, its result flattened by ``flatten``) is set.
    """

    name: str
    title_zh: str
    patterns: tuple[str, ...]
    entity: tuple[str, ...] = ()
    entity_optional: bool = False
    cypher: str | None = None
    risk: str | None = None
    id_param: str = "id"
    constants: tuple[tuple[str, Any], ...] = ()
    flatten: Callable[[Any], Rows] | None = None
    pairwise: bool = False
    """Its rows are the other entities tied to the named one, so of two named entities it
    asks what ties the first to the second (「瑞丰纺织和滨江担保有没有共同任职的人」)."""

    def matches(self, text: str) -> bool:
        """Whether one of the patterns matches the normalised, placeholder-bearing text."""
        return any(re.search(p, text) for p in self.patterns)


def _party_rows(columns: list[str], rows: Sequence[Any], cells: Callable[[Any], list[Any]]
                ) -> Rows:
    return columns, [cells(r) for r in rows]


def _ultimate(result: Any) -> Rows:
    return _party_rows(["最终股东", "编号", "有效持股比例", "登记为实际控制人"],
                       result.rows,
                       lambda r: [r.holder.name, r.holder.id, r.effective_ratio,
                                  r.declared_controller])


def _related(result: Any) -> Rows:
    ties: dict[str, list[Any]] = {}
    for row in result.rows:
        entry = ties.setdefault(row.other.id, [row.other.name, row.other.id, []])
        if row.link_zh not in entry[2]:
            entry[2].append(row.link_zh)
    return ["关联企业", "编号", "关联方式"], [
        [name, cid, "、".join(links)] for name, cid, links in ties.values()]


def _chains(result: Any) -> Rows:
    return _party_rows(["担保链", "跳数", "担保总额（万元）"], result.rows,
                       lambda r: [[m.name for m in r.members], r.hops, r.total_amount])


def _circles(result: Any) -> Rows:
    return _party_rows(["成员", "长度", "担保总额（万元）"], result.rows,
                       lambda r: [[m.name for m in r.members], r.length, r.total_amount])


def _cross(result: Any) -> Rows:
    return _party_rows(["成员", "长度", "环上持股比例之积"], result.rows,
                       lambda r: [[m.name for m in r.members], r.length, r.loop_ratio])


def _contagion(result: Any) -> Rows:
    return _party_rows(["受波及主体", "编号", "权重", "跳数"], result.rows,
                       lambda r: [r.entity.name, r.entity.id, r.weight, r.hops])


def _investors(result: Any) -> Rows:
    return _party_rows(["投资人", "投资标的", "金额（万元）"], result.rows,
                       lambda r: [r.investor.name, r.target.name, r.amount])


COMPANY = ("Company",)
HOLDER = ("Company", "Person")
FUND = ("Fund",)


def _shared_with(name: str, title_zh: str, said: str, match: str, shown: str,
                 also: str = "") -> Template:
    """Companies sharing something with the named one: a value (地址) or a party (法定代表人);
    ``also`` are wordings that say the sharing on their own (「交叉任职」)."""
    pattern = (rf"(同一|相同|一样|共同|同属).{{0,5}}({said})|({said}).{{0,2}}(相同|一样)|"
               rf"共用.{{0,2}}({said})|({said}).{{0,10}}(还有哪|也在用|也用|也登记)|"
               rf"({said}).{{0,6}}(还在|还控制|还担任|另外|其他|别的)")
    if also:
        pattern += f"|{also}"
    return Template(
        name, title_zh, (pattern,), COMPANY, cypher=f"MATCH (c:Company {{id: $id}}) {match} "
                        f"RETURN o.name AS 企业, o.id AS 编号, {shown} ORDER BY 编号",
        pairwise=True)


TEMPLATES: tuple[Template, ...] = (
    Template("transfer_by_tx", "按交易流水号查转账", (_TX_ID.pattern,),
             cypher="MATCH (a:Account)-[t:TRANSFERS {tx_id: $tx}]->(b:Account) "
                    "OPTIONAL MATCH (pa)-[:HOLDS_ACCOUNT]->(a) "
                    "OPTIONAL MATCH (pb)-[:HOLDS_ACCOUNT]->(b) "
                    "RETURN t.tx_id AS 交易流水号, a.name AS 付款账户, pa.name AS 付款方, "
                    "b.name AS 收款账户, pb.name AS 收款方, t.amount AS 金额_万元, "
                    "t.time AS 交易时间"),
    Template("account_by_id", "按账户编号查账户", (_ACCOUNT_ID.pattern,),
             cypher="MATCH (a:Account {id: $account}) "
                    "OPTIONAL MATCH (o)-[:HOLDS_ACCOUNT]->(a) "
                    "OPTIONAL MATCH (a)-[:OPENED_AT]->(b) "
                    "RETURN a.id AS 账户编号, a.name AS 账户, o.name AS 户名, b.name AS 开户银行, "
                    "a.kind AS 账户类型, a.status AS 账户状态, a.opened_on AS 开户日期"),
    # -- companies sharing an address, phone or person with the named one -------------------
    _shared_with("same_address", "同一注册地址的企业", "地址|住所|注册地",
                 "MATCH (o:Company) WHERE o <> c AND o.address = c.address",
                 "o.address AS 地址"),
    _shared_with("same_phone", "同一联系电话的企业", "电话|联系方式",
                 "MATCH (o:Company) WHERE o <> c AND o.phone = c.phone", "o.phone AS 电话"),
    _shared_with("same_legal_rep", "同一法定代表人的企业", "法定代表人|法人",
                 "MATCH (p:Person)-[:IS_LEGAL_REP]->(c) MATCH (p)-[:IS_LEGAL_REP]->(o:Company) "
                 "WHERE o <> c", "p.name AS 法定代表人"),
    _shared_with("same_officer", "有共同任职人员的企业", "高管|董事|监事|任职|董监高",
                 "MATCH (p:Person)-[:SERVES_AS]->(c) MATCH (p)-[:SERVES_AS]->(o:Company) "
                 "WHERE o <> c", "p.name AS 共同任职人员", also="交叉任职|交叉兼职"),
    _shared_with("same_controller", "同一实际控制人的企业", "实际控制人|实控人|控制人|控制方|老板",
                 "MATCH (x)-[:CONTROLS]->(c) MATCH (x)-[:CONTROLS]->(o:Company) WHERE o <> c",
                 "collect(DISTINCT x.name) AS 实际控制人"),
    Template("legal_rep_is_controller", "法定代表人是否即实际控制人",
             (r"〈E〉.*((法定代表人|法人)(和|与|跟|及|同)(实际控制人|实控人)|"
              r"(实际控制人|实控人)(和|与|跟|及|同)(法定代表人|法人)).{0,4}(是不是|是否|是|为)"
              r"(同一|一个)",),
             COMPANY,
             cypher="MATCH (c:Company {id: $id}) OPTIONAL MATCH (l:Person)-[:IS_LEGAL_REP]->(c) "
                    "OPTIONAL MATCH (x)-[:CONTROLS]->(c) "
                    "RETURN l.name AS 法定代表人, x.name AS 实际控制人, "
                    "coalesce(l = x, false) AS 是否同一人"),
    # -- named risk queries ---------------------------------------------------------------
    Template("guarantee_circles", "互保圈",
             (r"互保|联保|担保圈|循环担保|担保闭环|相互担保|互相担保|担保.{0,6}闭环",),
             COMPANY, entity_optional=True, risk="guarantee_circles", id_param="company_id",
             flatten=_circles),
    Template("circular_shareholding", "循环持股",
             (r"循环持股|交叉持股|相互持股|持股.*闭环|闭环.*持股",), COMPANY,
             entity_optional=True, risk="circular_shareholding", id_param="company_id",
             flatten=_cross),
    Template("guarantee_chains", "担保链",
             (r"担保链|担保链条|担保关系追踪|担保路径|(顺着|沿着?).{0,4}担保.{0,8}(往下|向下)|"
              r"担保.{0,4}(下游|往下传|向下传)",), HOLDER,
             risk="guarantee_chains", id_param="company_id", flatten=_chains),
    Template("contagion", "风险传导",
             (r"传导|波及|牵连|影响到|蔓延|受影响|敞口|"
              r"(如果|要是|一旦|假如|万一|若).{0,8}(出险|出事|违约|暴雷|爆雷|倒闭|破产|失联)",),
             ("RiskEvent", "Company", "Person", "Fund"), risk="contagion",
             id_param="source_id", flatten=_contagion),
    Template("related_parties", "关联方", (r"关联",), COMPANY, risk="related_parties",
             id_param="company_id", flatten=_related),
    Template("control_chain", "控制链上的自然人",
             (r"控制链|控制关系.{0,4}(往上|向上)|(往上|向上).{0,6}控制",), COMPANY,
             cypher="MATCH (p:Person)-[:CONTROLS*1..6]->(c:Company {id: $id}) "
                    "RETURN DISTINCT p.name AS 实际控制人, p.id AS 编号"),
    Template("majority_shareholders", "控股股东（持股过半）",
             (r"控股股东|(持股过半|持股超过(一半|半数|50%)|绝对控股)(?!的(公司|企业|子公司))",),
             COMPANY,
             cypher="MATCH (h)-[r:HOLDS_SHARES]->(c:Company {id: $id}) WHERE r.ratio > 0.5 "
                    "RETURN h.name AS 控股股东, h.id AS 编号, r.ratio AS 持股比例, "
                    "r.since AS 持股起始日期 ORDER BY r.ratio DESC"),
    Template("declared_controller", "登记的实际控制人",
             (r"^(?!.*(最终|背后|穿透|说了算|幕后))"
              r".*((实际控制[人方]|实控[人方]|控制[人方])(是谁|是哪|有谁|为|叫|分别)|由谁控制|被谁控制|"
              r"[被由]哪(家|个|位)?.{0,4}控制|"
              r"谁(是|在)?(实际)?控制|〈E〉的?(实际控制[人方]|实控[人方])及其|〈E〉的?(实际控制方|实控方)$)",),
             COMPANY,
             cypher="MATCH (x)-[r:CONTROLS]->(c:Company {id: $id}) "
                    "OPTIONAL MATCH (x)-[h:HOLDS_SHARES]->(c) "
                    "RETURN x.name AS 实际控制人, x.id AS 编号, r.since AS 控制起始日期, "
                    "h.ratio AS 直接持股比例"),
    Template("upstream_shareholders", "向上穿透股东",
             (r"^(?!.*(最终|最顶|到底|顶层|最上)).*(〈E〉.*((往上|向上)穿透|穿透.{0,6}(往上|向上)|"
              r"(直接(和|或|及|加)间接|间接|穿透|上游|层层).{0,6}股东)|"
              r"(往上|向上)穿透.{0,4}〈E〉)",),
             COMPANY,
             cypher="MATCH path = (h)-[:HOLDS_SHARES*1..6]->(c:Company {id: $id}) "
                    "WHERE ($kind IS NULL OR $kind IN labels(h)) "
                    "AND all(i IN range(0, size(nodes(path)) - 2) "
                    "WHERE NOT nodes(path)[i] IN nodes(path)[i + 1..]) "
                    "WITH h, sum(reduce(x = 1.0, r IN relationships(path) | x * r.ratio)) AS ratio "
                    "RETURN h.name AS 股东, h.id AS 编号, ratio AS 穿透持股比例 "
                    "ORDER BY 穿透持股比例 DESC, 编号"),
    Template("penetrated_holdings", "向下穿透持股",
             (r"〈E〉.*(往下穿透|向下穿透|直接或间接|直接和间接|直接加间接|间接持股|间接持有|"
              r"持股链|合计持有|一共持有|总共持有|"
              r"穿透后.{0,4}持股.{0,10}企业|穿透(下来|持有|后持有)|(往下|向下).{0,6}穿)|"
              r"穿透.{0,4}〈E〉.{0,10}(往下|向下)",),
             HOLDER,
             cypher="MATCH path = (h:Company|Person|Fund {id: $id})"
                    "-[:HOLDS_SHARES*1..6]->(c:Company) "
                    "WHERE all(i IN range(0, size(nodes(path)) - 2) "
                    "WHERE NOT nodes(path)[i] IN nodes(path)[i + 1..]) "
                    "WITH c, sum(reduce(x = 1.0, r IN relationships(path) | x * r.ratio)) AS ratio "
                    "WHERE ratio >= coalesce($threshold, 0.0) "
                    "RETURN c.name AS 企业, c.id AS 编号, ratio AS 穿透持股比例 "
                    "ORDER BY 穿透持股比例 DESC, 编号"),
    Template("ultimate_controllers", "实际控制人（股权穿透）",
             (r"实际控制人|实控人|最终受益|最终控制|最终由谁控制|穿透|最终股东|背后.*(控制|说了算)|"
              r"受益股东|说了算|控股股东",),
             COMPANY, risk="ultimate_controllers", id_param="company_id", flatten=_ultimate),
    Template("co_investors", "投资人的其他投资",
             (r"〈E〉.*(投资人|投资者|认购人|出资人|买家).*(同时|另外|还|也)(又)?(投资|投|买|认购)(了|过)?"
              r"(其他|别的|另外|哪些|什么)",),
             ("Product", "Fund"),
             cypher="MATCH (i)-[:INVESTS_IN]->(p:Product|Fund {id: $id}) "
                    "MATCH (i)-[r:INVESTS_IN]->(o) WHERE o <> p "
                    "RETURN i.name AS 投资人, i.id AS 编号, o.name AS 其他投资标的, "
                    "r.amount AS 金额_万元 ORDER BY 编号, 其他投资标的"),
    Template("fund_direct_investors", "基金出资人",
             (r"出资|(谁|哪些|哪家|哪几家).{0,6}投(了|过)?〈E〉",), FUND,
             cypher="MATCH (f:Fund {id: $id}) OPTIONAL MATCH (f)-[:ISSUES]->(p:Product) "
                    "WITH f, collect(p) AS shares "
                    "WITH CASE WHEN EXISTS { MATCH ()-[:INVESTS_IN]->(f) } THEN [f] "
                    "ELSE [f] + shares END AS targets "
                    "UNWIND targets AS t MATCH (i)-[r:INVESTS_IN]->(t) "
                    "RETURN i.name AS 出资人, i.id AS 编号, t.name AS 出资标的, "
                    "r.amount AS 出资金额_万元 ORDER BY i.id"),
    Template("fund_investors", "基金投资人",
             (r"投资人|投资者|投资方|出资人|出资方|出资|谁投资了|认购|谁买|买了|购买|持有人",),
             FUND,
             risk="fund_exposure", id_param="fund_id", flatten=_investors),
    Template("product_investors", "产品投资人",
             (r"投资人|投资者|出资人|出资|谁投资了|认购|谁买|买了|购买|持有人|投(了|得|的)(?!哪些企业|哪些公司)",),
             ("Product",),
             cypher="MATCH (i)-[r:INVESTS_IN]->(p:Product {id: $id}) "
                    "RETURN i.name AS 投资人, i.id AS 编号, r.amount AS 金额_万元 ORDER BY i.id"),
    # -- simple lookups ---------------------------------------------------------------------
    Template("controlled_companies", "实际控制的企业", (r"〈E〉.*(控制|实控)",), HOLDER,
             cypher="MATCH (p:Company|Person {id: $id})-[r:CONTROLS]->(c) "
                    "RETURN c.name AS 企业, c.id AS 编号, c.status AS 企业状态, "
                    "r.since AS 控制起始日期 ORDER BY c.id"),
    Template("legal_rep_companies", "担任法定代表人的企业",
             (r"〈E〉.*(法定代表人|法人)",), ("Person",),
             cypher="MATCH (p:Person {id: $id})-[r:IS_LEGAL_REP]->(c) "
                    "RETURN c.name AS 企业, c.id AS 编号, c.status AS 企业状态, "
                    "r.since AS 任职起始日期 ORDER BY c.id"),
    Template("legal_rep", "法定代表人", (r"法定代表人|(?<!企业)法人(?!股东|单位)",),
             ("Company", "Fund"),
             cypher="MATCH (p:Person)-[r:IS_LEGAL_REP]->(c:Company|Fund {id: $id}) "
                    "RETURN p.name AS 法定代表人, p.id AS 编号, r.since AS 任职起始日期"),
    Template("guarantees_both", "担保情况（对外担保与被担保）",
             (r"担保情况|担保关系|担保往来|(给谁|为谁).*(谁又?给|谁为)|(谁给|谁为).*(给谁|为谁)",),
             HOLDER,
             cypher="MATCH (c:Company|Person {id: $id})-[g:GUARANTEES]-(o) "
                    "RETURN startNode(g).name AS 担保人, endNode(g).name AS 被担保人, "
                    "g.amount AS 金额_万元 ORDER BY 担保人, 金额_万元 DESC"),
    Template("guarantors", "为其担保的主体",
             (r"(谁|哪些|哪家).*(为|给|替)〈E〉.*担保|(为|给)〈E〉(提供|做)?.*担保|"
              r"〈E〉.*(为|给|替)(它|其|该公司|这家公司)(提供|做)?了?担保|"
              r"〈E〉.*(担保人|担保方|被谁担保|是谁(在|来|给)?担保|谁(在|来)担保|"
              r"(接受|获得|得到)了?(哪些|谁的|多少)?担保)",),
             COMPANY,
             cypher="MATCH (g)-[r:GUARANTEES]->(c:Company {id: $id}) "
                    "RETURN g.name AS 担保人, g.id AS 编号, r.amount AS 金额_万元, "
                    "r.since AS 起始日期 ORDER BY g.id"),
    Template("guarantees_given", "对外担保", (r"〈E〉.*担保",), HOLDER,
             cypher="MATCH (g:Company|Person {id: $id})-[r:GUARANTEES]->(c) "
                    "RETURN c.name AS 被担保企业, c.id AS 编号, r.amount AS 金额_万元, "
                    "r.since AS 起始日期 ORDER BY c.id"),
    Template("risk_events_by_severity", "按严重程度列出风险事件",
             (r"(高|中|低)(风险|严重|等级).*风险事件|严重(程度|性)?(为|是)?(高|中|低).*风险事件|"
              r"(高|中|低)风险事件",), (),
             cypher="MATCH (e:RiskEvent {severity: $severity}) "
                    "RETURN e.name AS 风险事件, e.kind AS 类型, e.occurred_on AS 日期 "
                    "ORDER BY e.occurred_on"),
    Template("risk_events", "风险事件", (r"风险|负面|处罚|失信|异常",),
             ("Company", "Person", "Fund", "Product"),
             cypher="MATCH (e:RiskEvent)-[:INVOLVES]->(x:Company|Person|Fund|Product {id: $id}) "
                    "RETURN e.name AS 风险事件, e.kind AS 类型, e.severity AS 严重程度, "
                    "e.occurred_on AS 日期 ORDER BY e.occurred_on"),
    Template("fund_manager", "基金管理人",
             (r"管理人|由谁管理|谁管理|谁在管理?|哪家.{0,4}管|管理机构|管理方|基金经理",), FUND,
             cypher="MATCH (m)-[r:MANAGES]->(f:Fund {id: $id}) "
                    "WHERE $kind IS NULL OR $kind IN labels(m) "
                    "RETURN m.name AS 管理人, m.id AS 编号, r.since AS 管理起始日期"),
    Template("investments", "对外投资的基金和产品",
             (r"〈E〉.*(投了|投资了|认购了|买了|买过|投过|认购过|购买|出资了).*(基金|产品|理财)",
              r"〈E〉.*(投资标的|认购(?:了哪些|明细|记录|情况))"),
             HOLDER,
             cypher="MATCH (i:Company|Person {id: $id})-[r:INVESTS_IN]->(t) "
                    "WHERE $target IS NULL OR $target IN labels(t) "
                    "RETURN t.name AS 投资标的, t.id AS 编号, r.amount AS 金额_万元 ORDER BY t.id"),
    Template("funds_managed", "管理的基金", (r"基金",), HOLDER,
             cypher="MATCH (m:Company|Person {id: $id})-[:MANAGES]->(f:Fund) "
                    "RETURN f.name AS 基金, f.id AS 编号, f.status AS 状态, f.size AS 规模_万元, "
                    "f.kind AS 类型 ORDER BY f.id"),
    Template("product_issuer", "产品发行方",
             (r"(谁|哪家|哪个|什么机构|哪一家).{0,4}(发行|推出|发的)|发行(人|方|机构)",),
             ("Product",),
             cypher="MATCH (i)-[:ISSUES]->(p:Product {id: $id}) "
                    "RETURN i.name AS 发行方, i.id AS 编号"),
    Template("event_parties", "风险事件涉及的主体",
             (r"涉及|牵涉|涉事|主体|哪些(企业|公司|人)|谁",), ("RiskEvent",),
             cypher="MATCH (e:RiskEvent {id: $id})-[:INVOLVES]->(x) "
                    "WHERE $kind IS NULL OR $kind IN labels(x) "
                    "RETURN x.name AS 涉及主体, x.id AS 编号, labels(x)[0] AS 主体类型"),
    Template("event_profile", "风险事件信息",
             (r"什么时候|哪天|何时|日期|时间|严重|等级|类型|情况|详情|怎么回事|来源|描述|是什么",),
             ("RiskEvent",),
             cypher="MATCH (e:RiskEvent {id: $id}) "
                    "RETURN e.name AS 风险事件, e.kind AS 类型, e.severity AS 严重程度, "
                    "e.occurred_on AS 发生日期, e.occurred_on.year AS 发生年份, "
                    "e.source AS 来源, e.description AS 描述"),
    Template("product_profile", "金融产品信息",
             (r"状态|期限|收益|规模|发行|类型|情况|利率|额度|能贷|贷多少|客户|条件|门槛|申请|到期|"
              r"哪家(银行|机构|公司|基金)的|谁家的",),
             ("Product",),
             cypher="MATCH (p:Product {id: $id}) OPTIONAL MATCH (i)-[:ISSUES]->(p) "
                    "WITH p, collect(i.name) AS issuers "
                    "RETURN p.name AS 产品, issuers[0] AS 发行方, p.status AS 状态, "
                    "p.kind AS 类型, "
                    "p.expected_return AS 预期年化收益率, p.term_months AS 期限_月, "
                    "p.size AS 规模_万元, p.issued_on AS 发布日期, p.issued_on.year AS 发布年份, "
                    "CASE WHEN p.term_months IS NULL THEN null "
                    "ELSE p.issued_on + duration({months: p.term_months}) END AS 到期日, "
                    "p.rate_min AS 最低年利率, p.rate_max AS 最高年利率, "
                    "p.amount_max AS 最高额度_万元, p.target_customers AS 目标客户, "
                    "p.conditions AS 申请条件"),
    Template("transfers", "账户资金往来",
             (r"〈E〉.*(转账|转给|转了|转过|转入|转出|打款|打给|打了|打过|汇款|汇给|流水|资金往来|"
              r"收了|收到|收过|转来|汇来|打来|进账|到账|流入|流出|付给|付了|付过|打钱|转钱|汇钱|"
              r"收款|付款|转进)|"
              r"往〈E〉.{0,4}(打|转|汇)|"
              r"(转给|打给|汇给|付给|转入|转到)〈E〉|[给向]〈E〉(转|打|汇|付)",),
             ("Company", "Person", "Fund"),
             cypher="MATCH (x:Company|Person|Fund {id: $id})-[:HOLDS_ACCOUNT]->(a:Account)"
                    "-[t:TRANSFERS]-(:Account)<-[:HOLDS_ACCOUNT]-(o) "
                    "WHERE $bank IS NULL OR (a)-[:OPENED_AT]->(:Bank {id: $bank}) "
                    "WITH x, o, t, startNode(t) = a AS paid "
                    "WHERE ($paid IS NULL OR paid = $paid) "
                    "AND ($party IS NULL OR $party IN labels(o)) "
                    "AND ($since IS NULL OR date(t.time) >= date($since)) "
                    "AND ($until IS NULL OR date(t.time) <= date($until)) "
                    "RETURN CASE WHEN paid THEN x.name ELSE o.name END AS 付款方, "
                    "CASE WHEN paid THEN o.name ELSE x.name END AS 收款方, "
                    "t.amount AS 金额_万元, t.time AS 时间, t.tx_id AS 流水号 ORDER BY 时间"),
    Template("accounts", "银行账户（持有的，银行则含在该行开立的）",
             (r"开户|开了户|开过户|开的户|账户|开在哪",), ("Company", "Person", "Fund"),
             cypher="MATCH (x:Company|Person|Fund {id: $id}) MATCH (a:Account) "
                    "WHERE (x)-[:HOLDS_ACCOUNT]->(a) OR (a)-[:OPENED_AT]->(x) "
                    "OPTIONAL MATCH (a)-[:OPENED_AT]->(b) "
                    "RETURN a.id AS 账户编号, a.name AS 账户, b.name AS 开户银行, "
                    "a.kind AS 账户类型, a.status AS 账户状态, a.opened_on AS 开户日期 "
                    "ORDER BY a.id"),
    Template("positions", "个人任职", (r"〈E〉.*(任职|职务|担任)",), ("Person",),
             cypher="MATCH (p:Person {id: $id})-[s:SERVES_AS]->(c) "
                    "RETURN c.name AS 任职企业, c.id AS 编号, s.title AS 职务, "
                    "s.since AS 任职起始日期 ORDER BY c.id"),
    Template("issued_products", "企业发行的产品",
             (r"(发行|发过|发的|推出|在售|卖的?).{0,8}(产品|计划|贷款|理财)|〈E〉.*(产品|贷款|理财|哪款)",),
             COMPANY,
             cypher="MATCH (c:Company {id: $id})-[:ISSUES]->(p:Product) "
                    "WHERE ($target IS NULL OR $target IN labels(p)) "
                    "AND ($excluded IS NULL OR NOT $excluded IN labels(p)) "
                    "RETURN p.name AS 产品, p.id AS 编号, p.kind AS 类型, p.status AS 状态, "
                    "p.size AS 规模_万元, p.expected_return AS 预期年化收益率 ORDER BY p.id"),
    Template("fund_profile", "基金信息", (r"^(?!.*产品).*(状态|规模|成立|类型|备案|多大)",),
             FUND,
             cypher="MATCH (f:Fund {id: $id}) "
                    "RETURN f.name AS 基金, f.status AS 状态, f.kind AS 类型, f.size AS 规模_万元, "
                    "f.founded_on AS 成立日期, f.founded_on.year AS 成立年份, "
                    "f.filing_code AS 备案编码"),
    Template("fund_products", "基金产品及状态", (r"产品|状态|份额",), FUND,
             cypher="MATCH (f:Fund {id: $id})-[:ISSUES]->(p:Product) "
                    "RETURN p.name AS 产品, p.id AS 编号, p.status AS 状态 ORDER BY p.id"),
    Template("shareholders", "股东及持股比例", (r"股东|股权结构|谁持有〈E〉|持有〈E〉",), COMPANY,
             cypher="MATCH (h)-[r:HOLDS_SHARES]->(c:Company {id: $id}) "
                    "WHERE $kind IS NULL OR $kind IN labels(h) "
                    "RETURN h.name AS 股东, h.id AS 编号, r.ratio AS 持股比例, "
                    "r.since AS 持股起始日期, CASE WHEN h:Person THEN $person_kind "
                    "WHEN h:Fund THEN $fund_kind ELSE $company_kind END AS 股东类型 "
                    "ORDER BY r.ratio DESC",
             constants=(("person_kind", "自然人"), ("fund_kind", "基金"),
                        ("company_kind", "企业"))),
    Template("holdings", "对外持股",
             (r"〈E〉.*(持有|持股|参股|入股|对外投资|投资了|股权|投了哪些(企业|公司)|投的(企业|公司)|"
              r"子公司)",),
             ("Company", "Person", "Fund"),
             cypher="MATCH (h:Company|Person|Fund {id: $id})-[r:HOLDS_SHARES]->(c) "
                    "RETURN c.name AS 被持股企业, c.id AS 编号, r.ratio AS 持股比例, "
                    "r.since AS 持股起始日期 ORDER BY r.ratio DESC"),
    Template("officers", "高管任职",
             (r"高管|董事|监事|总经理|管理层|管理人员|董监高|任职|行长|总裁|经理|总监|负责人|"
              r"主席|秘书",), COMPANY,
             cypher="MATCH (p:Person)-[s:SERVES_AS]->(c:Company {id: $id}) "
                    "WHERE $titles IS NULL OR s.title IN $titles "
                    "RETURN p.name AS 姓名, p.id AS 编号, s.title AS 职务, "
                    "s.since AS 任职起始日期 ORDER BY p.id"),
    Template("company_profile", "企业基本信息",
             (r"注册资本|注册资金|成立|信用代码|地址|电话|基本信息|行业|状态|街道|区县|哪个区|"
              r"在哪|位于|注册在|类型|性质",), COMPANY,
             cypher="MATCH (c:Company {id: $id}) "
                    "OPTIONAL MATCH (c)-[:LOCATED_IN]->(r) "
                    "OPTIONAL MATCH (r)-[:PART_OF]->(d:District) "
                    "RETURN c.name AS 企业, c.registered_capital AS 注册资本_万元, "
                    "c.founded_on AS 成立日期, c.founded_on.year AS 成立年份, "
                    "c.credit_code AS 统一社会信用代码, "
                    "c.industry AS 行业, c.status AS 状态, c.kind AS 类型, c.address AS 地址, "
                    "c.phone AS 电话, r.name AS 所在区域, coalesce(d.name, r.name) AS 区县"),
)
"""Tried in order: specific wordings (担保链, 关联方) before general ones (担保, 股东)."""


def template_named(name: str) -> Template:
    """The template called ``name`` (KeyError when there is none)."""
    for template in TEMPLATES:
        if template.name == name:
            return template
    raise KeyError(name)


class TemplateMatch(BaseModel):
    """A template chosen for a question, the entity mention it uses, and extra parameters."""

    template: str
    mention: Mention | None = None
    params: dict[str, Any] = {}


def _fits(template: Template, mention: Mention | None) -> bool:
    if not template.entity:
        return True
    if mention is None:
        return template.entity_optional
    return any(c.label in template.entity for c in mention.candidates)


def _share(text: str) -> float | None:
    """The share a question names: 「25%以上」, 「超过25%」 → 0.25."""
    share = _SHARE.search(text)
    return min(float(share.group(1) or share.group(2)) / 100, 1.0) if share else None


def _threshold(text: str) -> float | None:
    """The share a penetration question asks about: 「25%以上」 → 0.25; all ultimate holders
    (0) when it asks for the holders and their ratios rather than the controller."""
    share = _share(text)
    if share is not None:
        return share
    if _ALL_HOLDERS.search(text) and not _CONTROLLER.search(text):
        return 0.0
    return None


_TITLE_JOINS = "和|、|及|与|跟|以及|或"


def _asked_titles(text: str, titles: Sequence[str]) -> list[str] | None:
    """The job titles a question asks who holds (「行长是谁」, 「董事长和行长分别是谁」, or the
    last word of a terse query: 「长澜银行滨江分行 行长」), not titles it lists; None when it
    asks of none."""
    said = "|".join(re.escape(t) for t in sorted(titles, key=len, reverse=True))
    if not said:
        return None
    run = re.search(rf"(?<![^的〉是任])(?:(?:{said})(?:{_TITLE_JOINS})?)*(?:{said})"
                    rf"(?:分别|各自|都)?(?:是谁|是哪位|叫什么|是什么人|由谁担任|$)", text)
    if run is None:
        run = re.search(rf"谁(?:是|担任|在当).{{0,12}}?(?:{said})", text)
    return re.findall(said, run.group(0)) if run else None


def _party_kind(text: str) -> str | None:
    """The kind of party a question restricts to: 「自然人股东」, 「基金经理」 → Person;
    「法人股东」, 「哪家机构」, 「私募管理人」 → Company; None when it says neither."""
    person, company = _PERSON_PARTY.search(text), _COMPANY_PARTY.search(text)
    if person and company:  # 「企业股东合计持股多少，自然人股东呢」 asks of both
        return None
    if person:
        return "Person"
    return "Company" if company else None


def _target_kind(text: str) -> str | None:
    """What a question about investments or issues restricts the targets to: loan products
    (「贷款产品」), products (「买过哪些产品」) or funds (「投了哪些基金」); None when it names
    both of the last two or none."""
    if "LoanProduct" in excluded_classes(text):  # 「非贷款类产品」
        return None
    if "贷款" in text:
        return "LoanProduct"
    product, fund = bool(re.search(r"产品|理财", text)), "基金" in text
    if product == fund:
        return None
    return "Product" if product else "Fund"


def _contagion_relations(text: str) -> tuple[str, ...] | None:
    """The relationship types a contagion question restricts the spread to (「沿担保关系」)."""
    if not _ALONG.search(text):
        return None
    named = tuple(rel for word, rel in _RELATION_WORDS if re.search(word, text))
    return tuple(dict.fromkeys(named)) or None


_PAID_TO = re.compile(rf"(转给|打给|汇给|付给|转入|转到){PLACEHOLDER}|往{PLACEHOLDER}|"
                      rf"[给向]{PLACEHOLDER}(转|打|汇|付)|"
                      rf"{PLACEHOLDER}.*(收到|收过|收了|收款|转来|汇来|打来|进账|到账|流入|入账|来的钱|"
                      rf"转进|转入|(?:打|汇|转)(?:钱|款)?进来)")
_PAID_BY = re.compile(rf"{PLACEHOLDER}.*(转给|打给|汇给|付给|转出|汇出|流出|付出|支付|付款|"
                      r"往外(?:转|打|汇|付)|"
                      rf"[给向].{{1,12}}(转|打|汇|付))")


def _paid_by_named(text: str) -> bool | None:
    """False when the question asks what the named party received (「收过哪些…转来的钱」,
    「谁转给了孙立伟」), True when what it paid (「转给了谁」), None for both ways."""
    paid_to, paid_by = _PAID_TO.search(text), _PAID_BY.search(text)
    if paid_to and not paid_by:
        return False
    if paid_by and not paid_to:
        return True
    return None


_COUNTERPARTY = re.compile(r"(个人|自然人|企业|公司|单位)(?:往|向|给|转|打|汇)|"
                           r"(?:来自|转给|打给|汇给|付给)(个人|自然人|企业|公司|单位)")


_EITHER_PARTY = re.compile(r"(?:个人|自然人)(?:或者?|和|及|与|、)(?:企业|公司|单位)|"
                           r"(?:企业|公司|单位)(?:或者?|和|及|与|、)(?:个人|自然人)")


def _counterparty_kind(text: str) -> str | None:
    """The kind of party on the other side of the named one's transfers, when the question
    says it (「有多少个人往鑫盛财富的账户打钱」 → Person); None otherwise."""
    said = _COUNTERPARTY.search(text)
    if said is None or _EITHER_PARTY.search(text):
        return None
    return "Person" if (said.group(1) or said.group(2)) in ("个人", "自然人") else "Company"


def _lookup_params(cypher: str, text: str, titles: Sequence[str]) -> dict[str, Any]:
    """A value read from the question for each parameter the lookup's Cypher declares."""
    undated = _BORN_BEFORE_NAME.sub("", text)  # 「1972年那个王建国」 names no period
    readers: dict[str, Callable[[], Any]] = {
        "severity": lambda: next(s for s in "高中低" if s in text),
        "tx": lambda: next(m.group(0).upper() for m in _TX_ID.finditer(text)),
        "account": lambda: next("AC-" + m.group(0)[-6:] for m in _ACCOUNT_ID.finditer(text)),
        "titles": lambda: _asked_titles(text, titles),
        "threshold": lambda: _share(text),
        "kind": lambda: _party_kind(text),
        "target": lambda: _target_kind(text),
        "excluded": lambda: ("LoanProduct" if "LoanProduct" in excluded_classes(text)
                             or ("理财" in text and "贷款" not in text) else None),
        "paid": lambda: _paid_by_named(text),
        "party": lambda: _counterparty_kind(text),
        "bank": lambda: None,  # the engine sets the bank the question names beside the party
        "since": lambda: period_bounds(undated)[0],
        "until": lambda: period_bounds(undated)[1],
    }
    return {name: read() for name, read in readers.items() if f"${name}" in cypher}


def _extra_params(template: Template, text: str, titles: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = dict(template.constants)
    if template.cypher is not None:
        params.update(_lookup_params(template.cypher, text, titles))
    if template.risk == "ultimate_controllers" and (threshold := _threshold(text)) is not None:
        params["threshold"] = threshold
    if template.risk == "contagion" and (relations := _contagion_relations(text)):
        params["relations"] = relations
    hops = _HOPS.search(text)
    if hops and template.risk in ("contagion", "guarantee_chains"):
        word = hops.group(1)
        params["max_hops"] = _HOP_WORDS.get(word) or int(word)
    return params


def match_template(question: str, mentions: Sequence[Mention], titles: Sequence[str] = ()
                   ) -> TemplateMatch | None:
    """The first template whose pattern matches the question and whose entity kind fits one
    of its mentions (tried left to right); None when no template covers the question.
    ``titles`` are the job titles the graph knows (「行长」), for questions about one."""
    text = normalise(question)
    options: list[Mention | None] = [*mentions, None]
    for fronted in (False, True):
        for template in TEMPLATES:
            for mention in options:
                if not _fits(template, mention) or (fronted and mention is None):
                    continue
                marked = _marked(text, mention, fronted)
                if template.matches(marked):
                    return TemplateMatch(template=template.name,
                                         mention=mention if template.entity else None,
                                         params=_extra_params(template, marked, titles))
    return None


def _marked(text: str, mention: Mention | None, fronted: bool) -> str:
    """The text with the mention as 〈E〉 where it stands, or moved to the front (tried only
    when nothing matched otherwise, for 「实际控制的公司有哪些？我说的是王红兵」)."""
    if mention is None:
        return text
    if fronted:
        return PLACEHOLDER + text.replace(mention.text, "", 1)
    return text.replace(mention.text, PLACEHOLDER, 1)
