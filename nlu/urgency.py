"""Urgency and sentiment of a call, each with the words that decided it.

Urgent means a risk to life or property now (gas, a burst main, people trapped, live wires,
fire, flooding of an underpass …): those tickets go out at once, so the rule is explicit and
its reason names the words heard. A danger only feared (「万一着火」), narrowly missed
(「差点受伤」) or already over (「都下来了，没人受伤」) is not urgent.

Sentiment tells the agent how the caller feels (ingest/demo/data/CALLS.md): 负面 for
complaints, anger or distress, 正面 for praise or thanks, else 中性. Describing a fault
(「路灯坏了」, 「停水了」) is not yet a complaint; being wronged (「不给退」, 「欠工资」), harmed
(「摔了一跤」), bothered (「吵得睡不着」) or upset (「到底管不管」, 「！」) is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel

from kg.ticket import Sentiment, Urgency


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
                       r"|(闻到|有股).{0,4}(煤气|燃气)"),
            "疑似燃气泄漏，存在爆炸和中毒风险"),
    _Danger(re.compile(r"爆管|(水管|管道|自来水管|主管).{0,4}(爆|裂|破)|喷水"
                       r"|(冒水|涌水).{0,6}(路面|马路)"),
            "供水管道爆裂，影响安全和供水"),
    _Danger(re.compile(r"(困|关)在.{0,4}电梯|电梯.{0,6}(困人|困住|关人|卡住了人)|被困"
                       r"|人还在(车|里面)"),
            "有人被困，需立即救援"),
    _Danger(re.compile(r"(电线|电缆).{0,6}(裸露|掉|断|垂|耷拉|冒火|打火)|漏电|触电"
                       r"|高压线.{0,4}(断|掉)"),
            "电线裸露或漏电，有触电危险"),
    _Danger(re.compile(r"着火|起火|失火|火灾|冒(黑)?烟|烧起来"), "发生火情"),
    _Danger(re.compile(r"(下穿|隧道|地道|桥洞|立交|地下车库|涵洞).{0,8}(积水|淹|进水|倒灌)"
                       r"|(积水|淹).{0,8}(下穿|隧道|没过|半米|齐腰)|倒灌|水.{0,4}到(车门|膝盖|腰)"),
            "严重积水，危及通行和财产安全"),
    _Danger(re.compile(r"(塌陷|坍塌|倒塌|要塌|快塌)|(墙|楼|房|路面).{0,4}(塌|裂开大口子)"),
            "有坍塌危险", in_progress=False),
    _Danger(re.compile(r"(树|石头|落石|山石|广告牌|招牌|电线杆).{0,10}(倒|滚|掉|砸).{0,12}"
                       r"(横在|挡住|堵住|拦住|过不去|压住|砸到)|塌方|山体滑坡|泥石流"),
            "倒树或落石阻断道路", in_progress=False),
    _Danger(re.compile(r"晕倒|昏迷|不省人事|抽搐|大出血|血流不止|呼吸困难|叫.{0,3}不(动|醒|应)"
                       r"|没.?反应|(有人|好几个人|多人|人员).{0,4}(受伤|被砸|被撞)"),
            "有人员受伤或身体危急"),
    _Danger(re.compile(r"中毒|上吐下泻|集体.{0,4}(腹泻|呕吐)"), "疑似中毒，需立即处置"),
    _Danger(re.compile(r"(老人|孩子|小孩|儿童).{0,6}(走失|丢了|找不到)"), "有人走失"),
    _Danger(re.compile(r"(井盖|窨井盖).{0,6}(丢|没了|缺失|掀开|翻了)|掉进.{0,4}(井|坑)"),
            "井盖缺失，有人员坠落危险", in_progress=False),
    _Danger(re.compile(r"(危化品|化学品|农药).{0,6}(泄漏|倒|撒)|刺鼻.{0,6}(气体|毒)"),
            "危险化学品泄漏"),
    _Danger(re.compile(r"(校车|接送?学生|接孩子|面包车|客车|孩子|小孩|学生).{0,12}"
                       r"(超载|塞了|塞满|挤满|关不上)|超载.{0,6}(学生|孩子|小孩|乘客)"),
            "车辆严重超载行驶，危及乘车人安全"),
    _Danger(re.compile(r"锅炉.{0,6}(冒气|喷气|泄压|爆|冒蒸汽|嘶嘶)"), "锅炉异常，有爆炸危险"),
]
# Words just before a danger that make it feared, missed or denied rather than present.
_HEDGE = re.compile(
    r"万一|如果|要是|怕|担心|差点|险些|以防|防止|以免|会不会|是不是|有没有|没有|没|不会"
)
_HEDGE_WINDOW = 4
# Words after a danger saying it is over.
_RESOLVED = re.compile(r"都(下来|出来|救出来)了|(已经|都)(修好|救出来|灭了|处理好|没事)|没事了"
                       r"|险情.{0,2}解除")

# A complaint, anger or distress: the caller complains, protests or is upset.
_UPSET = (
    r"投诉|举报|曝光|生气|气死|气人|过分|受不了|忍无可忍|不像话|凭什么|到底|多少次|又来了|"
    r"差劲|离谱|太差|太狠|黑心|坑人|烦死|吵死|要死|要命|恶心|欺负|火大|气愤|不满|失望|急死|"
    r"着急|害怕|心惊胆战|睡不着|头疼|闹心|糟心|窝火|憋屈|作孽|吃不消|救命|咋整|赶紧|必须|"
    r"一定要|根本|合理吗|能随便|怎么这么|也没用|都没用|不负责|不作为|推诿|刁难|可恶|缺德|气得|"
    r"[烦吵气急]煞|搞啥子|脑壳(疼|痛)|拎不清|没法(睡|休息|住|过)|影响(休息|睡觉|生活)|吵醒"
)
# Someone wronged the caller: refused, cheated, kept waiting, charged, pushed around.
_WRONGED = (
    r"不给(退|报|办|赔|开|批|看|修|换|发)|不退|退不了|拖着|拖起|拖欠|欠.{0,6}(工资|钱|款)|克扣|"
    r"扣了.{0,6}(工资|钱|块|元|百|千|万)|跑路|卷款|老板.{0,4}(找不到|联系不上)|宰|骗|忽悠|糊弄|"
    r"敷衍|缺斤短两|卖.{0,4}过期|不让走|强制|强迫|不认|操纵|体罚|态度.{0,3}(差|恶劣|不好)|吼|"
    r"骂人|乱(收|要|涨)|多收|绕路|绕了|推给|推来推去|踢皮球|扯皮|不管|不理|不接|打不通|"
    r"[没么]人(管|修|来|理|收|处理)|不做事|不安排|没收到|等了|说好的|到现在(都|还)没|"
    r"退钱|退款|退费|赔偿|赔钱|假货|欺诈|霸王|上当|坑了|被坑|讨薪|讨要|"
    r"一(分钱?|毛钱?)[^，。]{0,6}(都|也)?没|一点[^，。]{0,4}(都|也)没"
)
# Harm to the caller or their family, or a nuisance they live with.
_HARMED = (
    r"摔|砸伤|(?<!没)(?<!没人)(?<!没有)(?<!未)(?<!无)受伤|绊倒|撞伤|疹|上吐下泻|肿了|疼得|痛得|"
    r"难受|差点就没|臭|吵|噪音|油烟|灰大|扰民|"
    r"震天响|苍蝇|老鼠|蟑螂|不敢|发黑|刺鼻|偷排|死鱼"
)
_NEGATIVE = re.compile(f"{_UPSET}|{_WRONGED}|{_HARMED}")
_EXCLAIM = re.compile(r"[！!]")
_THANKS = re.compile(r"谢谢|感谢|辛苦|麻烦您|麻烦了|太好了|服务真好|热心|好嘞")
_PRAISE = re.compile(r"表扬|点赞|锦旗|好人好事|服务真好")
_INQUIRY = re.compile(r"问一下|问问|想问|请问|咨询|怎么(申请|弄|办理|参保|上牌)|需要什么|"
                      r"要什么材料|能不能申请|在哪里|在哪|什么时候|有没有")


class UrgencyResult(BaseModel):
    """紧急 or 一般, with the reason and the words that triggered it."""

    urgency: Urgency
    reason: str
    evidence: str | None = None
    in_progress: bool = False  # the danger is unfolding as the caller speaks


class SentimentResult(BaseModel):
    """How the caller feels, with the words counted."""

    sentiment: Sentiment
    negative: list[str]
    positive: list[str]


def _present_danger(pattern: re.Pattern[str], text: str) -> re.Match[str] | None:
    """The first mention of the danger that is neither hedged nor said to be over."""
    for match in pattern.finditer(text):
        before = text[max(0, match.start() - _HEDGE_WINDOW) : match.start()]
        if not _HEDGE.search(before) and not _RESOLVED.search(text, match.end()):
            return match
    return None


def assess_urgency(text: str) -> UrgencyResult:
    """Whether the citizen's words describe a danger to life or property now."""
    for danger in _URGENT:
        if match := _present_danger(danger.pattern, text):
            return UrgencyResult(urgency="紧急", reason=f"提到「{match.group(0)}」：{danger.why}",
                                 evidence=match.group(0), in_progress=danger.in_progress)
    return UrgencyResult(urgency="一般", reason="未提到危及人身或财产安全的紧急情形")


def assess_sentiment(text: str) -> SentimentResult:
    """正面 for praise, or thanks without complaint; 负面 for complaint; else 中性.

    Each distinct complaint word counts once, exclamation marks once together; an enquiry
    (「我问一下」) outweighs one of them, since asking is not complaining.
    """
    words = list(dict.fromkeys(m.group(0) for m in _NEGATIVE.finditer(text)))
    negative = words + ([m.group(0) for m in _EXCLAIM.finditer(text)][:1])
    positive = [m.group(0) for m in _THANKS.finditer(text)] + [
        m.group(0) for m in _PRAISE.finditer(text)
    ]
    complaint = len(negative) - (1 if _INQUIRY.search(text) else 0)
    sentiment: Sentiment
    if _PRAISE.search(text) or (positive and not words):
        sentiment = "正面"
    elif complaint >= 1:
        sentiment = "负面"
    else:
        sentiment = "中性"
    return SentimentResult(sentiment=sentiment, negative=negative, positive=positive)
