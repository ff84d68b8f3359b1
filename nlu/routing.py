"""From a citizen's words to the second-level category and the departments that handle it.

The first-level router gives a probability for each of the 7 classes; within them the
second-level category is the one whose keywords, description and example questions (from
the graph) best match the words. Callers rarely use the table's words (「吵得睡不着」 for
「噪音」, 「游医」 for 「非法行医」), so everyday wordings of the table's keywords count as
those keywords; phone numbers are left out of the match. The departments come from the
graph's HANDLES edges: the department with jurisdiction over the caller's district first
when there is one, then the lead department. Every choice carries the evidence it rests on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from kg.routing_table import RoutingCategory, RoutingTable
from kg.ticket import DepartmentRoute, TicketAddress, TicketCategory
from nlu.pii import find_phones
from nlu.router import skip_sklearn_checks

# How much each signal counts in a second-level category's score.
ROUTER_WEIGHT, KEYWORD_WEIGHT, SIMILARITY_WEIGHT = 0.3, 0.4, 0.3  # tuned on calls_dev
KEYWORD_SATURATION = 4  # matched keyword characters that count as full keyword evidence
MAX_DEPARTMENTS = 3
DISTRICT_LEVEL = "区级"
# Long digit runs are phone, ID or order numbers: they say nothing about the category, and a
# keyword such as 「120」 must not be found inside one.
_LONG_NUMBER = re.compile(r"\d{5,}")

# Everyday wordings of the routing table's keywords (keyword -> pattern of what callers say).
# Only keywords the table has take part, so the city's own categories still decide.
COLLOQUIAL: dict[str, str] = {
    # 城乡建设
    "租赁补贴": r"租房补贴",
    "渗水": r"渗漏",
    "墙体开裂": r"开裂|裂缝|墙裂",
    "井盖": r"窨井",
    "道路破损": r"路面破损|路面坏|路坏了",
    "停水": r"没水|断水|水停了",
    "水压低": r"水压小|水流很小|水很小",
    "黄水": r"水发黄|水是黄的",
    "爆管": r"水管.{0,2}[爆破裂]",
    "停电": r"断电|没电了|不来电|没来电",
    "电压不稳": r"电压低|灯一闪一闪",
    "液化气": r"煤气罐",
    "违建": r"违法搭建|私自搭建|乱搭|加盖|搭了",
    "楼顶加盖": r"顶楼.{0,4}加盖|楼顶.{0,4}盖",
    "占道经营": r"占道|摆摊|出摊|摊贩|摊位占",
    "乱张贴": r"小广告|牛皮癣",
    "房产证": r"房本|产权证",
    "采光": r"挡光|挡住阳光|晒不到太阳|太阳都没有|没有阳光",
    "加装电梯": r"装电梯|加电梯",
    "老旧小区": r"老小区",
    "积水": r"淹|水漫|进水",
    "污水外溢": r"冒污水|污水.{0,4}冒|返水",
    "管道堵塞": r"堵塞|下水.{0,3}堵",
    "电动车充电": r"电瓶车.{0,4}充电|飞线充电|楼道.{0,4}充电",
    "群租房": r"群租|隔成.{0,4}间",
    "施工安全": r"安全网|安全带|脚手架",
    "拖欠工程款": r"工程款",
    "农村建房": r"翻建|盖房|建房|自建房",
    "村道": r"村里的路|村里那条路",
    # 环境保护
    "臭味": r"臭气|臭烘烘|发臭",
    "异味": r"烟味|味道.{0,2}大",
    "焚烧": r"烧垃圾|烧塑料|露天烧|烧秸秆",
    "扬尘": r"灰大|灰尘|尘土",
    "烟尘": r"黑烟|浓烟",
    "噪音": r"吵|噪声|轰隆|震天响|音响|喇叭",
    "夜间施工": r"(半夜|夜里|晚上).{0,6}(施工|打钻)|打桩",
    "偷排": r"直排|排进河|排到河",
    "河水发黑": r"水发黑|黑臭",
    "垃圾清运": r"垃圾.{0,6}没人[收清运]|满出来",
    "公厕": r"厕所",
    "垃圾堆放": r"堆垃圾|垃圾堆",
    "树木修剪": r"修剪|剪树|树枝",
    "行道树": r"大树|树倒|倒树|树.{0,6}刮倒",
    "砍树": r"砍伐|把树砍",
    "倾倒": r"乱倒|偷倒|倒了.{0,8}桶",
    "危险废物": r"危废|化学品|废油",
    "漂浮物": r"漂着|漂浮",
    "河道": r"河里|河边|河面|湖面|湖里|江面",
    "垃圾中转站选址": r"垃圾中转站",
    # 交通运输
    "出租车": r"的士|打车",
    "拥堵": r"堵车|堵得",
    "交通事故": r"撞车|追尾|车祸",
    "路面坑洼": r"坑坑洼洼|坑洼",
    "乱停车": r"乱停|停满|占车位",
    "僵尸车": r"破车|废弃车|停了大半年",
    "驾驶证": r"驾照|驾驶本",
    "车辆年检": r"年审",
    "违章处理": r"违章|罚单",
    "共享单车": r"单车",
    "乱停放": r"堆成山",
    "长途客车": r"大巴|长途车",
    "快递丢失": r"包裹.{0,4}(丢|没收到)",
    # 教育文体
    "小学报名": r"上小学|读小学|上初中",
    "托育": r"托儿所",
    "培训机构": r"培训班|辅导班|补习班",
    "补课": r"补习",
    "校服费": r"校服",
    "体罚": r"打学生|打了手心|打手心|罚站",
    "校车": r"接学生|接送学生|接孩子的车",
    "放学时间": r"放学",
    "校园欺凌": r"霸凌|欺负同学",
    "作业负担": r"作业太多",
    "网吧": r"网咖",
    "演出": r"演唱会",
    "篮球场": r"球场",
    "学校操场开放": r"操场.{0,4}开放",
    "古建筑": r"古宅|清朝|明清",
    # 劳动和社会保障
    "辞退": r"开除|解雇|炒鱿鱼|不用来了|不要我了",
    "经济补偿": r"补偿金|赔偿金",
    "劳动合同": r"(不|没|没有)签.{0,2}合同",
    "拖欠工资": r"欠.{0,8}(工资|工钱)|(工资|工钱).{0,4}(没发|不发)|不发工资",
    "工资克扣": r"扣.{0,8}工资",
    "工伤": r"(干活|上班).{0,6}(受伤|砸伤|摔伤)",
    "社保转移": r"社保.{0,4}转|转.{0,2}社保",
    "社保缴费": r"交社保|缴社保",
    "高校毕业生": r"刚毕业|应届|毕业生",
    "找工作": r"找不到工作",
    "职称评审": r"评职称",
    "技能培训": r"技能.{0,4}培训|电工培训",
    "流浪乞讨": r"流浪|乞讨|露宿|躺在(路边|桥|那里)",
    "养老院": r"敬老院",
    "老年食堂": r"助餐",
    "残疾证": r"残障证|残疾人证",
    "退役军人": r"退伍|老兵|转业军人",
    # 商贸旅游
    "网购纠纷": r"网上买|网购",
    "商品质量": r"质量问题|不制冷",
    "退货": r"退换|换货",
    "乱收费": r"乱收钱|收费太高",
    "明码标价": r"不标价|没标价|没有标价",
    "价格欺诈": r"虚构原价|原价",
    "旅行社": r"旅游团|跟团",
    "强制购物": r"不买不让走|购物店",
    "商家跑路": r"老板.{0,4}跑|卷款|人去楼空|关门跑路",
    "充值卡": r"充了.{0,4}[钱块元百千万]|充值|办了.{0,4}卡",
    "营业执照": r"办.{0,2}执照",
    "注册公司": r"开公司|注册.{0,6}公司",
    "游乐设施": r"游乐|过山车|摩天轮|小火车|蹦床",
    "虚假宣传": r"忽悠|夸大|能治|包治|神药",
    "保健品宣传": r"保健品",
    "虚假广告": r"假广告",
    # 卫生计生
    "挂号": r"号.{0,2}难挂|挂不上号",
    "病历复印": r"复印病历|病历",
    "医疗事故": r"手术.{0,4}出了问题|治坏了",
    "生育登记": r"准生证|生二胎|生三胎",
    "HPV": r"九价|宫颈癌疫苗",
    "食品安全": r"变质|发霉|馊了",
    "过期食品": r"卖.{0,4}过期|过期的.{0,4}(牛奶|食品|面包|零食|肉)",
    "食物中毒": r"上吐下泻|拉肚子|吃坏",
    "餐馆卫生": r"后厨|厨房.{0,4}脏",
    "异物": r"吃出",
    "药店": r"药房",
    "处方药": r"处方|头孢|抗生素",
    "非法行医": r"游医|无照行医|没有执照.{0,6}(拔牙|打针|看病|行医)"
                r"|(拔牙|打针|看病).{0,12}没有执照",
    "游泳池水质": r"水太浑|水很浑|漂白粉|池水",
    "社区卫生服务中心": r"社区医院",
    "鼠患": r"老鼠.{0,4}多",
}


@dataclass(frozen=True)
class KeywordHit:
    """A keyword of the routing table heard in the text, in the caller's own words."""

    keyword: str
    heard: str

    def __str__(self) -> str:
        if self.heard == self.keyword:
            return f"「{self.heard}」"
        return f"「{self.heard}」（{self.keyword}）"


def matching_text(text: str) -> str:
    """``text`` without phone numbers and other long numbers, which say nothing of a category."""
    for _digits, start, end in reversed(find_phones(text)):
        text = text[:start] + " " + text[end:]
    return _LONG_NUMBER.sub(" ", text)


@dataclass(frozen=True)
class CategoryChoice:
    """The chosen categories, how sure, and why."""

    category: TicketCategory
    confidence: float
    reason: str


class CategoryMatcher:
    """Scores second-level categories of one routing table against a text (built once).

    ``places`` are the city's place names: a keyword inside one names the place, not the
    problem (「澜江」 in 「澜江公园」), unless the place name ends with it (「图书馆」 in
    「市图书馆」 says what kind of place it is).
    """

    def __init__(self, table: RoutingTable, places: Iterable[str] = ()) -> None:
        self.table = table
        self.leaves: list[RoutingCategory] = [
            c for c in table.categories.values() if c.parent_id is not None
        ]
        documents = [
            " ".join([c.name, c.description, *c.keywords, *c.examples]) for c in self.leaves
        ]
        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3),
                                           sublinear_tf=True)
        self._matrix = self._vectorizer.fit_transform(documents)
        # Per leaf, once: its parent and the words that count as keyword hits.
        self._leaf_words = [
            (leaf, table.categories[leaf.parent_id or ""],
             tuple(dict.fromkeys(k for k in (leaf.name, *leaf.keywords) if k)))
            for leaf in self.leaves
        ]
        known = list(dict.fromkeys(k for _l, _p, words in self._leaf_words for k in words))
        self._keywords = [(k, re.compile(COLLOQUIAL[k]) if k in COLLOQUIAL else None)
                          for k in known]
        self._kinds = sorted(known, key=len, reverse=True)
        names = sorted({p for p in places if len(p) >= 2}, key=len, reverse=True)
        self._places = re.compile("|".join(map(re.escape, names))) if names else None

    def choose(self, text: str, l1_scores: dict[str, float]) -> CategoryChoice:
        """The best second-level category for ``text`` given the first-level probabilities."""
        return self.choose_many([text], [l1_scores])[0]

    def choose_many(
        self, texts: Sequence[str], l1_scores: Sequence[dict[str, float]]
    ) -> list[CategoryChoice]:
        """:meth:`choose` for many texts, with one TF-IDF transform and product for them all."""
        cleaned = [matching_text(text) for text in texts]
        with skip_sklearn_checks():
            similarity = (self._matrix @ self._vectorizer.transform(cleaned).T).toarray()
        return [
            self._best(text, scores, similarity[:, column])
            for column, (text, scores) in enumerate(zip(cleaned, l1_scores, strict=True))
        ]

    def _without_place_names(self, text: str) -> str:
        """``text`` with place names blanked but for the kind of place a name ends with."""
        if self._places is None:
            return text

        def blank(match: re.Match[str]) -> str:
            name = match.group(0)
            kind = next((k for k in self._kinds if name.endswith(k) and len(k) < len(name)), "")
            return " " * (len(name) - len(kind)) + kind

        return self._places.sub(blank, text)

    def keyword_hits(self, text: str) -> dict[str, KeywordHit]:
        """The table's keywords heard in ``text``, as said or in an everyday wording."""
        text = self._without_place_names(text)
        hits = {}
        for word, colloquial in self._keywords:
            if word in text:
                hits[word] = KeywordHit(word, word)
            elif colloquial and (m := colloquial.search(text)):
                hits[word] = KeywordHit(word, m.group(0))
        return hits

    def _best(
        self, text: str, l1_scores: dict[str, float], similarity: np.ndarray
    ) -> CategoryChoice:
        top_similarity = float(similarity.max()) or 1.0
        heard = self.keyword_hits(text)
        best: tuple[float, RoutingCategory, list[KeywordHit]] | None = None
        for index, (leaf, parent, keywords) in enumerate(self._leaf_words):
            hits = [heard[k] for k in keywords if k in heard]
            keyword = min(sum(len(h.keyword) for h in hits) / KEYWORD_SATURATION, 1.0)
            score = (
                ROUTER_WEIGHT * l1_scores.get(parent.name, 0.0)
                + KEYWORD_WEIGHT * keyword
                + SIMILARITY_WEIGHT * float(similarity[index]) / top_similarity
            )
            if best is None or score > best[0]:
                best = (score, leaf, sorted(hits, key=lambda h: len(h.keyword), reverse=True))
        assert best is not None, "the routing table has no second-level category"
        score, leaf, hits = best
        parent = self.table.categories[leaf.parent_id or ""]
        words = "、".join(str(h) for h in hits[:3])
        reason = (
            f"一级分类「{parent.name}」（模型概率 {l1_scores.get(parent.name, 0.0):.2f}）；"
            + (f"提到{words}，对应二级分类「{leaf.name}」" if hits
               else f"内容与二级分类「{leaf.name}」的知识最相近")
        )
        return CategoryChoice(
            category=TicketCategory(l1=parent.name, l2=leaf.name, l1_id=parent.id, l2_id=leaf.id),
            confidence=round(float(np.clip(score, 0.0, 1.0)), 3),
            reason=reason,
        )


def rank_departments(
    table: RoutingTable, choice: CategoryChoice, address: TicketAddress
) -> list[DepartmentRoute]:
    """The departments of the category, the one with jurisdiction over the place first."""
    leaf_id = choice.category.l2_id
    if leaf_id is None:
        return []
    handled_by = table.categories[leaf_id].handled_by
    places = [p for p in (address.community_id, address.street_id, address.district_id) if p]
    routes: list[DepartmentRoute] = []
    for dept_id in handled_by:
        dept = table.departments[dept_id]
        if dept.level == DISTRICT_LEVEL and address.district_id in dept.jurisdiction:
            routes.append(DepartmentRoute(
                name=dept.name, id=dept.id, confidence=round(choice.confidence * 0.95, 3),
                reason=f"承办「{choice.category.l2}」，且管辖事发地「{address.district}」",
            ))
            break
    lead = table.departments[handled_by[0]] if handled_by else None
    if lead is not None:
        routes.append(DepartmentRoute(
            name=lead.name, id=lead.id,
            confidence=round(choice.confidence * (0.6 if routes else 0.9), 3),
            reason=f"「{choice.category.l2}」的牵头承办部门"
            + ("" if places else "（事发地未明确，先派市级牵头部门）"),
        ))
    for dept_id in handled_by[1:]:
        if len(routes) >= MAX_DEPARTMENTS:
            break
        if all(r.id != dept_id for r in routes):
            dept = table.departments[dept_id]
            routes.append(DepartmentRoute(
                name=dept.name, id=dept.id, confidence=round(choice.confidence * 0.3, 3),
                reason=f"同样承办「{choice.category.l2}」",
            ))
    return routes
