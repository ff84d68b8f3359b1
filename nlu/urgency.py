"""Urgency of a call, with the words that decided it.

Urgent means a risk to life or property now (gas, a burst main, people trapped, live wires,
fire, flooding of an underpass …): those tickets go out at once, so the rule is explicit and
its reason names the words heard. A danger only feared (「万一着火」), narrowly missed
(「差点受伤」) or already over (「都下来了，没人受伤」) is not urgent.

Dangers the rules do not know are left to a learned second opinion
(:mod:`nlu.urgency_model`): a turn of the caller's it finds likely enough to report a present
danger makes the call urgent too, and the reason quotes that turn.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel

from kg.ticket import Urgency
from nlu.urgency_model import URGENT_AT, urgent_probabilities


@dataclass(frozen=True)
class _Danger:
    """A kind of present danger: the words for it, why it is urgent, and whether it unfolds now.

    ``in_progress`` dangers (a leak, a fire, someone trapped) are happening as the caller
    speaks; a missing manhole cover or a fallen tree is a state that began at some time.
    """

    pattern: re.Pattern[str]
    why: str
    in_progress: bool = True


_URGENT: list[_Danger] = [
    _Danger(re.compile(r"(燃气|煤气|天然气|液化气).{0,6}(味|泄漏|漏气|漏了)"
                       r"|(闻到|有股).{0,4}(煤气|燃气)"
                       # 「煤气管子烂掉了，……嘶嘶地在漏」
                       # 「燃气调压箱……被撞了一下，现在呲呲地响，箱子外面都结霜了」
                       r"|(燃气|煤气|天然气|液化气|调压箱)[^。！？]{0,24}(嘶嘶|呲呲|在漏|结霜)"),
            "疑似燃气泄漏，存在爆炸和中毒风险"),
    _Danger(re.compile(r"爆管|(水管|管道|自来水管|主管).{0,4}(爆|裂|破)|喷水"
                       r"|(冒水|涌水).{0,6}(路面|马路)"),
            "供水管道爆裂，影响安全和供水"),
    _Danger(re.compile(r"(困|关)在.{0,4}电梯|电梯.{0,6}(困人|困住|关人|卡住了人)|被困"
                       r"|人还在(车|里面)"),
            "有人被困，需立即救援"),
    # 「老鼠把电线咬断了」 is a chewed cable indoors, not a live wire down.
    _Danger(re.compile(r"(电线|电缆).{0,6}(裸露|掉|(?<!咬)断|垂|耷拉|冒火|打火)|漏电|触电"
                       r"|高压线.{0,4}(断|掉)"),
            "电线裸露或漏电，有触电危险"),
    # 「打不着火」, 「点不着火」: a stove or heater that will not light is no fire; 「正对着火车站」
    # is facing the station.
    _Danger(re.compile(r"(?<![不没])着火(?!车)|起火|失火|火灾|冒[黑白浓]?烟|烧起来"), "发生火情"),
    _Danger(re.compile(r"(下穿|隧道|地道|桥洞|立交|地下车库|涵洞).{0,8}(积水|淹|进水|倒灌)"
                       r"|(积水|淹).{0,8}(下穿|隧道|没过|半米|齐腰)|倒灌|[水淹].{0,4}到(车门|膝盖|腰|胸)"),
            "严重积水，危及通行和财产安全"),
    _Danger(re.compile(r"(塌陷|坍塌|倒塌|要塌|快塌)|(墙|楼|房|路面)[^怕担会]{0,4}(塌|裂开大口子)"
                       r"|塌了.{0,4}(坑|洞|口子)|(路|马路|地面)上.{0,4}塌了"
                       # 「挡土墙……鼓出来了，中间裂了几道缝，往下掉石头」 (not 「墙皮鼓包」).
                       r"|(挡土墙|围墙|院墙|护坡|堡坎)[^。！？]{0,10}(鼓出来|鼓包)|往下掉石头"),
            "有坍塌危险", in_progress=False),
    _Danger(re.compile(r"(树|银杏|香樟|梧桐|石头|落石|山石|广告牌|招牌|电线杆).{0,10}(倒|滚|掉|砸|断).{0,12}"
                       r"(横在|挡住|堵住|堵在|拦住|过不去|压住|砸到)|塌方|山体滑坡|泥石流"
                       # 「限高杆……被撞歪了，横杆现在斜着挂下来」.
                       r"|(限高杆|横杆)[^。！？]{0,12}(挂下来|垂下来|横在|挡住)"),
            "倒树或落石阻断道路", in_progress=False),
    _Danger(re.compile(r"晕倒|昏迷|不省人事|抽搐|大出血|血流不止|流了?(好多|很多|一地|一身)的?血"
                       r"|呼吸困难|叫.{0,3}不(动|醒|应)|突然(倒|晕)|倒地不起|嘴(也)?歪"
                       r"|半边身子.{0,2}(不能动|动不了)|胸口?(疼|痛)得|胸痛|喘不上气|说不出话"
                       # 「人没反应」, not 「屏幕点了没反应」.
                       r"|(人|他|她|老人|孩子|叫|喊|推).{0,4}没.?反应"
                       r"|(有人|好几个人|多人|人员).{0,4}(受伤|被砸|被撞)"
                       # 「怀孕八个月……肚子疼，流血了」, 「半个小时前开始流血的」.
                       r"|(孕妇|怀孕|肚子)[^。！？]{0,12}(流血|出血|见红)|(开始|一直|还在)流血"
                       # 「从七点半左右开始一个接一个地吐」, 「肚子疼得在地上打滚」.
                       r"|一个接一个地?(吐|呕吐|拉肚子)|(都|全)在吐|疼得在地上打滚"),
            "有人员受伤或身体危急"),
    # 「会一氧化碳中毒」: the gas is part of the match, so the hedge 「会」 stays in reach.
    _Danger(re.compile(r"(一氧化碳|煤气)?中毒|上吐下泻|集体.{0,4}(腹泻|呕吐)"),
            "疑似中毒，需立即处置"),
    # The person is lost, not something of theirs (「孩子的接种证丢了」).
    # 「孩子找不到书」 is a book not found.
    # 「施工队早撤了，社区说找不到人」: nobody answerable, not someone lost.
    _Danger(re.compile(r"(老人|孩子|小孩|儿童)[^的，。,]{0,6}(走失|丢了|找不到(?=了|人|[，。,！!？?]|$))|走丢"
                       # 「老板找不到人」, 「房东找不到人」: nobody answerable either.
                       r"|(?<![说都也队板东主])找不到人了?|人找不到了"), "有人走失"),
    _Danger(re.compile(r"(井盖|窨井盖).{0,6}(丢|没了|缺失|掀开|翻了)|掉进.{0,4}(井|坑)"),
            "井盖缺失，有人员坠落危险", in_progress=False),
    # 「像是电石，碰到火要炸的」.
    _Danger(re.compile(r"(危化品|化学品|农药|柴油|汽油|油罐车).{0,6}(泄漏|倒|撒|流|漏)"
                       r"|电石[^。！？]{0,8}(炸|爆|冒泡|遇水)"
                       r"|油箱.{0,6}(漏油|滴油|在漏)"
                       r"|刺鼻.{0,6}(气体|毒)"),
            "危险化学品或油品泄漏"),
    _Danger(re.compile(r"(校车|接送?学生|接孩子|面包车|客车|孩子|小孩|学生).{0,12}"
                       r"(超载|塞了|塞满|挤满|关不上)|超载.{0,6}(学生|孩子|小孩|乘客)"),
            "车辆严重超载行驶，危及乘车人安全"),
    _Danger(re.compile(r"酒驾|醉驾|喝(了)?酒开车|酒后(驾驶|开车)"
                       r"|(司机|驾驶员)[^。！？]{0,8}(打瞌睡|睡着了|疲劳驾驶)"),
            "驾驶员酒后或疲劳驾驶，危及乘车人和路人安全"),
    _Danger(re.compile(r"管涌|(堤|坝)[^。，！？]{0,6}(冒水|冒浑水|渗水|溃|决口)|漫堤|溃堤|决堤"),
            "堤坝出现险情，危及堤后人员安全"),
    # 「升降台卡住了……那个焦味越来越大」: something burning that gets worse.
    _Danger(re.compile(r"焦味越来越(大|浓|重)|(烧焦|焦糊)的?味道?越来越(大|浓|重)"),
            "焦糊味越来越重，可能起火"),
    _Danger(re.compile(r"锅炉.{0,12}(冒气|喷气|泄压|爆|[冒喷]蒸汽|往外[喷冒]|嘶嘶)"),
            "锅炉异常，有爆炸危险"),
]
# A day gone by (「上礼拜有个工友晕倒了」, 「第二天在家里晕倒」): in the danger's clause, or in
# the model's turn, it puts the danger in the past.
_PAST_DAY = r"上礼拜|上周|上星期|上个?月|去年|前年|前几天|第二天"
# What happens each time (「每次下大雨巷子里的水就到膝盖」): no danger now.
_EACH_TIME = r"每次|每回|每逢"
# 「人没事」, Sichuan 「哦豁，人倒是没得事」: nobody hurt.
_NOBODY_HURT = r"(?:[哦噢哎呀豁]{1,2}[，,]\s*)?人(?:倒是|都)?没得?事"
# In the danger's clause, a day gone by or what happens each time it rains.
# 「天天半夜烟囱冒黑烟」 too.
_NOT_THIS_TIME = re.compile(f"{_PAST_DAY}|{_EACH_TIME}|一下大?雨|天天|每天|每晚")
# Words just before a danger that make it feared, missed or denied rather than present.
_HEDGE = re.compile(
    r"万一|如果|要是|怕|担心|差点|险些|以防|防止|以免|免得|会不会|是不是|不是|有没有|没有|没|不会"
    r"|以为|唔系"  # 「我以为屋企着火」, Cantonese 「唔系着火」
    r"|会(?!儿)"  # 「装在封闭的地方会一氧化碳中毒」: what could happen
    r"|真要"  # 「真要着火了人都跑不掉」
    r"|雨水?就"  # 「一下大雨(雨水)就倒灌」: what happens each time it rains
)
_HEDGE_WINDOW = 4
# In the model's turn: the danger is feared, narrowly missed or over, not present.
_NOT_NOW = re.compile(r"差点|险些|万一|如果|要是|担心|以防|防止|以免|免得|会不会|没有?人受伤|以为"
                      rf"|(?:哦|噢|哎)[，,]?不是|^{_NOBODY_HURT}|{_PAST_DAY}|{_EACH_TIME}")
# A turn in which the caller gives their name (「我姓贲，上面一个卉，下面一个贝」) reports no
# danger, whatever rare characters spell it out.
_INTRODUCTION = re.compile(r"^(?:我|免贵|本人)?姓|^我叫")
_QUOTE = 30  # characters of a turn quoted in a reason
_CLAUSE_END = re.compile(r"[，,。！？!?；;\n]")
# Words after a danger saying it is over.
_RESOLVED = re.compile(r"都(下来|出来|救出来)了|(已经|都)(修好|救出来|灭了|处理好|没事)|没事了"
                       r"|险情.{0,2}解除|扑灭|火(是|已经|都)?灭了|现在(已经)?没(有)?了"
                       r"|(救|抢救)(回来|过来)了|脱离(了)?危险|找到了|换(掉|好)了"
                       # 「当场来修好了」 (not 「还没修好了」), Wu 「现在呒没了」, 「水退了」.
                       r"|(?<![没不未])修好了|现在(已经)?(呒没|冇|没得)了|(水|现在)(已经)?退了"
                       # 「火当时就灭了」.
                       r"|火[^，。,]{0,4}灭了"
                       # 「我家着火了……不是现在，是上个月烧的」.
                       r"|不是现在[，,。]"
                       # 「幸好送医院及时，现在已经好了」.
                       r"|(?:现在|已经)[^，。,]{0,2}好了"
                       # 「有人员受伤或者正在倒塌吗？」「那倒还没有」.
                       r"|那倒(?:还|也)?没有?"
                       # 「电梯掉下去了！……没有没有，是昨天晚上的事」.
                       r"|是(?:昨天|昨晚|前天|上周|上礼拜|上个月)[^，。,]{0,4}的事")
# The caller's next turn takes an alarm back: 「煤气要炸了！」「不是不是，莫得漏气」,
# 「出车祸了！」「人没事，就是……后视镜刮断了」.
_TAKEN_BACK = re.compile(rf"\s*(?:不是不是|没有没有|不是的|{_NOBODY_HURT})")
# After words saying it is over, words saying it is not: 「现在火灭了，但还在呲呲地往外冒气」.
_STILL = re.compile(r"[，,]?\s*(?:但|可)(?:是)?还")
# Right after a danger, words that take it back: 「着火了——哦，不是房子着火」.
# 「着火了吧？……管子呼呼往外冒白烟……哦不是，是蒸汽」: a longer take-back after 「……」.
# 「着火了！……不是，是有人在烧东西」.
_RETRACTED = re.compile(r".{0,6}?(?:(?:哦|噢|哎)[，,]?不是|唔系)"
                        r"|[^。\n]{0,40}?(?:…|\.\.\.)+(?:哦|噢|哎)?[，,]?不是")


class UrgencyResult(BaseModel):
    """紧急 or 一般, with the reason and the words that triggered it."""

    urgency: Urgency
    reason: str
    evidence: str | None = None
    in_progress: bool = False  # the danger is unfolding as the caller speaks
    probability: float | None = None  # the learned model's, when it decided


def _present_danger(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first mention of the danger that is neither hedged nor said to be over or past.

    A hedge counts only within the danger's clause: in 「到现在都没回来，找不到人了」 the
    「没」 belongs to the clause before.
    """
    for match in pattern.finditer(text):
        if not (hedged(text, match.start())
                or _NOT_THIS_TIME.search(_clause_before(text, match.start()))
                or _over(text, match.end())
                or _RETRACTED.match(text, match.end())):
            return match
    return None


def _over(text: str, start: int) -> bool:
    """Whether words after ``start`` say the danger is over, and nothing after them that it
    goes on."""
    return any(not _STILL.match(text, m.end()) for m in _RESOLVED.finditer(text, start))


def hedged(text: str, start: int) -> bool:
    """Whether the words just before ``start``, in its clause, make a danger feared, missed
    or denied (「万一着火」, 「差点被砸」, 「没有漏气」) rather than present."""
    return bool(_HEDGE.search(_clause_before(text, start, _HEDGE_WINDOW)))


def _clause_before(text: str, start: int, reach: int | None = None) -> str:
    """The words of ``start``'s clause before it, at most ``reach`` characters of them."""
    begin = 0 if reach is None else max(0, start - reach)
    return _CLAUSE_END.split(text[begin:start])[-1]


def assess_urgency(text: str) -> UrgencyResult:
    """Whether the citizen's words describe a danger to life or property now.

    ``text`` is the citizen's words, one turn per line: the rules read it whole, the learned
    model turn by turn.
    """
    return assess_urgency_many([text])[0]


def assess_urgency_many(texts: Sequence[str]) -> list[UrgencyResult]:
    """:func:`assess_urgency` of each text, the model run once for the turns of all the texts
    the rules leave open (a batch of drafts pays the model's fixed cost once)."""
    ruled = [_rule_reading(text) for text in texts]
    turns = [[line.strip() for line in text.splitlines() if line.strip()] if reading is None
             else [] for text, reading in zip(texts, ruled, strict=True)]
    chances = iter(urgent_probabilities([turn for per_text in turns for turn in per_text]))
    return [
        reading or _model_reading(text, per_text, [next(chances) for _ in per_text])
        for text, reading, per_text in zip(texts, ruled, turns, strict=True)
    ]


def _rule_reading(text: str) -> UrgencyResult | None:
    """紧急 when a rule's danger is present in ``text``; None leaves it to the model."""
    for danger in _URGENT:
        if match := _present_danger(danger.pattern, text):
            return UrgencyResult(urgency="紧急", reason=f"提到「{match.group(0)}」：{danger.why}",
                                 evidence=match.group(0), in_progress=danger.in_progress)
    return None


def _model_reading(text: str, turns: list[str], chances: list[float]) -> UrgencyResult:
    """紧急 when the model finds a turn that reports a present danger, else 一般.

    The model learnt turns that report a danger as it happens, so the danger it finds is
    taken as unfolding now: with no time named, the event is at the call's hour."""
    present = [
        (chance, turn) for chance, turn, at in zip(chances, turns, map(text.find, turns),
                                                    strict=True)
        if chance >= URGENT_AT and not _NOT_NOW.search(turn) and not _INTRODUCTION.match(turn)
        and not _over(text, at) and not _TAKEN_BACK.match(text, at + len(turn))
    ]
    if present:
        chance, turn = max(present)
        quoted = turn if len(turn) <= _QUOTE else turn[:_QUOTE] + "…"
        return UrgencyResult(
            urgency="紧急", evidence=turn, probability=round(chance, 3), in_progress=True,
            reason=f"模型判断「{quoted}」描述正在发生的危险（概率 {chance:.2f}），请核实",
        )
    return UrgencyResult(urgency="一般", reason="未提到危及人身或财产安全的紧急情形")
