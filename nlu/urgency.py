"""Urgency and sentiment of a call, each with the words that decided it.

Urgent means a risk to life or property now (gas, a burst main, people trapped, live wires,
fire, flooding of an underpass …): those tickets go out at once, so the rule is explicit and
its reason names the words heard. Sentiment tells the agent how the caller feels.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from kg.ticket import Sentiment, Urgency

# (pattern, why it is urgent)
_URGENT: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(燃气|煤气|天然气|液化气).{0,6}(味|泄漏|漏气|漏了)|(闻到|有股).{0,4}(煤气|燃气)"),
     "疑似燃气泄漏，存在爆炸和中毒风险"),
    (re.compile(r"爆管|(水管|管道|自来水管|主管).{0,4}(爆|裂|破)|喷水|(冒水|涌水).{0,6}(路面|马路)"),
     "供水管道爆裂，影响安全和供水"),
    (re.compile(r"(困|关)在.{0,4}电梯|电梯.{0,6}(困人|困住|关人|卡住了人)|被困"),
     "有人被困，需立即救援"),
    (re.compile(r"(电线|电缆).{0,6}(裸露|掉|断|垂|耷拉|冒火|打火)|漏电|触电|高压线.{0,4}(断|掉)"),
     "电线裸露或漏电，有触电危险"),
    (re.compile(r"着火|起火|失火|火灾|冒(黑)?烟|烧起来"), "发生火情"),
    (re.compile(r"(下穿|隧道|地下车库|涵洞).{0,8}(积水|淹|进水|倒灌)|(积水|淹).{0,8}(下穿|隧道|没过|半米|齐腰)|倒灌"),
     "严重积水，危及通行和财产安全"),
    (re.compile(r"(塌陷|坍塌|倒塌|要塌|快塌)|(墙|楼|房|路面).{0,4}(塌|裂开大口子)"),
     "有坍塌危险"),
    (re.compile(r"(晕倒|昏迷|受伤|出血|流血|抽搐|中毒|不省人事)"), "有人员受伤或身体危急"),
    (re.compile(r"(老人|孩子|小孩|儿童).{0,6}(走失|丢了|找不到)"), "有人走失"),
    (re.compile(r"(井盖|窨井盖).{0,6}(丢|没了|缺失|掀开|翻了)|掉进.{0,4}(井|坑)"),
     "井盖缺失，有人员坠落危险"),
    (re.compile(r"(危化品|化学品|农药).{0,6}(泄漏|倒|撒)|刺鼻.{0,6}(气体|毒)"), "危险化学品泄漏"),
]
# Words of complaint, harm or distress; an exclamation mark counts as one too.
_NEGATIVE = re.compile(
    r"投诉|生气|气死|过分|受不了|没人管|没人修|没人来|没人理|不管|不像话|忍无可忍|怎么回事|"
    r"凭什么|为什么|到底|多少次|一直没|都没|还没|推来推去|踢皮球|差劲|离谱|太差|骗|糊弄|敷衍|"
    r"烦死|吵死|要死|恶心|欺负|曝光|举报|火大|气愤|不满|失望|急死|着急|担心|害怕|心惊胆战|"
    r"睡不着|头疼|臭|吵|脏|乱|危险|摔|堵|淹|偷排|发黑|死鱼|灰大|绕路|宰|拖欠|欠.{0,6}工资|"
    r"坏了|坏掉|不亮|没水|停电|停水|漏水|噪音|扰民|太[高大吵脏臭乱多久慢贵]|！|!"
)
_THANKS = re.compile(r"谢谢|感谢|辛苦|麻烦您|麻烦了|太好了|服务真好|热心|好嘞")
_PRAISE = re.compile(r"表扬|点赞|锦旗|好人好事|服务真好")
_INQUIRY = re.compile(r"问一下|问问|想问|请问|咨询|怎么(办|申请|弄|办理|参保|上牌)|需要什么|"
                      r"要什么材料|能不能申请|在哪里|在哪|什么时候|有没有")


class UrgencyResult(BaseModel):
    """紧急 or 一般, with the reason and the words that triggered it."""

    urgency: Urgency
    reason: str
    evidence: str | None = None


class SentimentResult(BaseModel):
    """How the caller feels, with the words counted."""

    sentiment: Sentiment
    negative: list[str]
    positive: list[str]


def assess_urgency(text: str) -> UrgencyResult:
    """Whether the citizen's words describe a danger to life or property now."""
    for pattern, why in _URGENT:
        if match := pattern.search(text):
            return UrgencyResult(urgency="紧急", reason=f"提到「{match.group(0)}」：{why}",
                                 evidence=match.group(0))
    return UrgencyResult(urgency="一般", reason="未提到危及人身或财产安全的紧急情形")


def assess_sentiment(text: str) -> SentimentResult:
    """正面 for praise or thanks without complaint, 负面 for complaint, else 中性 (enquiries)."""
    negative = [m.group(0) for m in _NEGATIVE.finditer(text)]
    positive = [m.group(0) for m in _THANKS.finditer(text)] + [
        m.group(0) for m in _PRAISE.finditer(text)
    ]
    enquiry = bool(_INQUIRY.search(text))
    sentiment: Sentiment
    if _PRAISE.search(text) or (positive and len(negative) <= 1):
        sentiment = "正面"
    elif len(negative) >= 2 or (negative and not enquiry):
        sentiment = "负面"
    else:
        sentiment = "中性"
    return SentimentResult(sentiment=sentiment, negative=negative, positive=positive)
