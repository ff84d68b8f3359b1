"""Life-threatening situations in a citizen's words, and which number to call right now.

A citizen who reports a fire, a gas leak, someone injured or trapped must be told at once to
call 119 (fire and rescue), 120 (ambulance) or 110 (police) — a ticket alone is too slow.
The present dangers come from :func:`nlu.urgency.assess_urgency` (which already ignores a
danger that is only feared, narrowly missed or over); a few that the hotline's urgency rules
do not cover (violence, drowning, road accidents) are added here with the same hedging.
Dangers to property only (a burst main, a missing manhole cover) are urgent tickets, not
emergencies, and are left to the ticket flow.

The advice sentences are fixed texts written for each hazard, not composed per message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, Field

from nlu.urgency import UrgencyResult, assess_urgency, hedged


class EmergencyAdvice(BaseModel):
    """What to do now for one hazard."""

    hazard: str = Field(description="the kind of danger, e.g. 火情")
    numbers: list[str] = Field(description="the emergency numbers to call now")
    advice: str = Field(description="what to do, in Chinese")
    evidence: str = Field(description="the words that revealed the danger")


@dataclass(frozen=True)
class _Hazard:
    pattern: re.Pattern[str]
    hazard: str
    numbers: tuple[str, ...]
    advice: str
    needs_people: bool = False  # a danger to life only when people are in it


# Matched against the words nlu.urgency found (its evidence): the first that fits wins.
_URGENT_HAZARDS = (
    _Hazard(re.compile(r"燃气|煤气|天然气|液化气"), "燃气泄漏", ("119",),
            "请立即关闭燃气总阀，不要开关电器、不要使用明火，打开门窗通风，"
            "人员马上撤到室外安全处，再拨打119报警。"),
    _Hazard(re.compile(r"着火|起火|失火|火灾|冒(黑)?烟|烧起来"), "火情", ("119",),
            "请立即拨打119报警，迅速从安全通道撤离，不要乘坐电梯，用湿毛巾捂住口鼻、低姿前进。"),
    _Hazard(re.compile(r"困|关在|卡住了人|人还在"), "人员被困", ("119",),
            "请立即拨打119求救；被困人员保持冷静，不要强行扒门或自行脱困。"),
    _Hazard(re.compile(r"电线|电缆|漏电|触电|高压线"), "触电危险", ("119", "120"),
            "请远离电线和积水处，不要用手触碰；有人触电时先设法切断电源，并立即拨打120和119。"),
    _Hazard(re.compile(r"积水|淹|倒灌|进水|水.{0,4}到"), "严重积水", ("119",),
            "请立即远离积水深处，不要涉水或驾车通过；有人被困请马上拨打119。",
            needs_people=True),
    _Hazard(re.compile(r"塌"), "坍塌", ("119",),
            "请立即远离危险区域并提醒周围人员避让，有人被埋压请马上拨打119。",
            needs_people=True),
    _Hazard(re.compile(r"车.{0,4}(撞了|翻了|追尾)|车祸|撞车|被车撞"), "交通事故", ("110", "120"),
            "请立即拨打110报警，有人受伤请拨打120；开启危险报警灯，在车后设置警示标志，"
            "不要随意搬动伤者。"),
    _Hazard(re.compile(r"晕倒|昏迷|不省人事|抽搐|出血|流.{0,4}血|血流不止|呼吸困难|叫.{0,3}不"
                       r"|没.?反应"
                       r"|受伤|被砸|被撞"),
            "人员受伤或急病", ("120",),
            "请立即拨打120急救电话，说清地址和伤病情况；不要随意搬动伤者，保持其呼吸通畅。"),
    _Hazard(re.compile(r"中毒|上吐下泻|腹泻|呕吐"), "疑似中毒", ("120",),
            "请立即拨打120急救电话，停止食用可疑食物并保留样品。"),
    _Hazard(re.compile(r"(老人|孩子|小孩|儿童).{0,6}(走失|丢|找不到)|走丢|找不到人|人找不到"),
            "人员走失", ("110",),
            "请立即拨打110报警，说明走失人员的体貌特征和最后出现的地点。"),
    _Hazard(re.compile(r"危化品|化学品|农药|刺鼻"), "危险化学品泄漏", ("119",),
            "请立即撤离到上风方向，用湿毛巾捂住口鼻，不要靠近泄漏处，并拨打119报警。"),
    _Hazard(re.compile(r"锅炉"), "锅炉异常", ("119",),
            "请立即疏散周围人员、远离锅炉房，并拨打119报警。"),
    _Hazard(re.compile(r"超载|塞了|塞满|挤满|关不上"), "车辆严重超载", ("110",),
            "请立即拨打110报警，说明车牌号和行驶方向。"),
)
# Dangers the hotline's urgency rules leave out, matched against the whole message.
_OTHER_HAZARDS = (
    _Hazard(re.compile(r"打人|打架|斗殴|持刀|拿刀|砍人|行凶|抢劫|抢东西|绑架|家暴|劫持"),
            "治安警情", ("110",), "请先确保自身安全、远离冲突现场，并立即拨打110报警。"),
    _Hazard(re.compile(r"溺水|落水|掉(进|到)?(河|江|湖|水|塘)里"), "溺水", ("119", "120"),
            "请立即拨打119和120，向落水者抛救生圈、绳索等漂浮物，不会游泳不要贸然下水。"),
    _Hazard(re.compile(r"车祸|撞车|被车撞|翻车"), "交通事故", ("110", "120"),
            "请立即拨打110报警，有人受伤请拨打120；开启危险报警灯，在车后设置警示标志。"),
    _Hazard(re.compile(r"救命"), "紧急求救", ("110",), "请立即拨打110报警，尽量说清所在位置。"),
)
_PEOPLE = re.compile(r"人|老人|孩子|小孩|学生|车里|被埋|压住|困")
# A danger named as a topic, not happening: 「火灾隐患」, 「消防演练」.
_NOT_HAPPENING = re.compile(r"隐患|演练|预防|宣传|知识|培训|安全检查")


_NOT_HAPPENING_WINDOW = 4
_SENTENCE_END = re.compile(r"[。！？!?\n]")


def _hedged(text: str, start: int, end: int) -> bool:
    after = text[end : end + _NOT_HAPPENING_WINDOW]
    return hedged(text, start) or bool(_NOT_HAPPENING.search(after))


def _advice(hazard: _Hazard, evidence: str) -> EmergencyAdvice:
    return EmergencyAdvice(hazard=hazard.hazard, numbers=list(hazard.numbers),
                           advice=hazard.advice, evidence=evidence)


def _sentence_at(text: str, start: int) -> str:
    """The sentence of ``text`` that holds the offset ``start``."""
    begin = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    end = _SENTENCE_END.search(text, start)
    return text[begin : end.start() if end else len(text)]


def life_danger(text: str, urgency: UrgencyResult | None = None) -> EmergencyAdvice | None:
    """The danger to life the text reports as happening now, with what to do; else None.

    ``urgency`` is the text's assessment when the caller already has it.
    """
    urgency = urgency or assess_urgency(text)
    if urgency.urgency == "紧急" and urgency.evidence:
        start = text.find(urgency.evidence)
        if not _hedged(text, start, start + len(urgency.evidence)):
            # The hazard is read in the sentence of the words that made the call urgent: in
            # 「两辆车撞了，有个人流了好多血」 the blood is a traffic accident's.
            sentence = _sentence_at(text, start)
            for hazard in _URGENT_HAZARDS:
                if hazard.pattern.search(sentence) and (
                    not hazard.needs_people or _PEOPLE.search(text)
                ):
                    return _advice(hazard, urgency.evidence)
    for hazard in _OTHER_HAZARDS:
        for match in hazard.pattern.finditer(text):
            if not _hedged(text, match.start(), match.end()):
                return _advice(hazard, match.group(0))
    return None
