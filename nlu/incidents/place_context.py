"""What the words around a place phrase say about it: whether it is where something happens
or only an attribute of something else.

News reports name places in two ways. As a location — 「事故发生在某县某路口」, 「伤者被送往
某医院」 — the place follows a locative verb or preposition (在, 于, 送往, 赶到 …) or opens a
clause. As an attribute — 「某省地震局」, 「某市消防支队」, 「当地时间」, 「某国总统」, 「一辆某地
开往某地的客车」 — the place names whose organisation, people, time or vehicle is meant, and an
incident report's location it is not. These rules tell the two apart from the characters just
before and after the phrase, and find a news agency's dateline (「新华网杭州5月12日电」), whose
city the corpus annotates as a location.
"""

from __future__ import annotations

import re

# What follows a place that only qualifies the next noun: organisations, officials, people of
# a place, its time zone, a medium, a vehicle from there.
_ATTRIBUTE_HEAD = re.compile(
    r"\s*(?:(?:北京|当地)?时间|消防|交警|交通警|公安|警方|警察|政府|[市县区省镇乡村]?委|党委|人大"
    r"|[^\s，。、]{0,4}?(?:局|厅|署)(?![面势])|部门|宣传部|大队|中队|支队|总队|领导|负责人"
    r"|人民(?!医院)|市民|村民|农民|游客|学生|工人|人士|群众|人(?![民员工])|籍"
    r"|(?:新闻)?网|在线|晚报|日报|报(?!道|警)|电视|电台|媒体|官员|总统|总理|首相|省长|市长"
    r"|州长|县长|国家|驻|大使馆|使馆|领事馆|商会|红十字会|空军|陆军|军区|移动|联通|电信|方面"
    r"|相关|有关|当局|开往|大?客车|大?货车|卡车|面包车|轿车|公交|中巴|组织|首席|防灾|应急|地质"
    r"|卫生|教育|疾控|林业|气象|民政|安监|水利|国土|交通运输|安全|内政|外交|极端|嫌疑|中文|战斗"
    r"|[0-9０-９]+人|的(?:领导|农民|村民|居民|游客|学生|工人|人|官员|亲友)|警|军|政)"
)
# What comes just before a place that is not where something happens: a source (「据」), a
# distance (「距」), an origin (「来自」, 「由」), an embassy's host (「驻」).
_NOT_A_SCENE_BEFORE = re.compile(r"(?:据|对|距离?|离|来自|驻|由|一辆|根据|其中)\s*$")
# A locative verb or preposition right before a word: 「在」, 「送往」, 「赶到了」.
_LOCATIVE_BEFORE = re.compile(r"(?:[在于到往赴至进入回向去送达]|留在|前往|了)\s*$")
_AGENCY = re.compile(r"(?:新华社|新华网|中新社|中新网|新闻网|社|网)$")
_DATE_AFTER = re.compile(r"\s*[0-9０-９零〇一二三四五六七八九十]{1,4}(?:年|月)")


def is_attribute(text: str, end: int) -> bool:
    """Whether the place ending at ``end`` only qualifies the noun after it (「某市消防支队」,
    「当地时间」, 「某国总统」), so that it names no location of the report."""
    return bool(_ATTRIBUTE_HEAD.match(text, end))


def is_aside(text: str, start: int) -> bool:
    """Whether the words before ``start`` make the place a source, a distance's end or an
    origin (「据某国媒体」, 「距某市」, 「来自某省」) rather than where something happens."""
    return bool(_NOT_A_SCENE_BEFORE.search(text, max(0, start - 4), start))


def after_locative(text: str, start: int) -> bool:
    """Whether a locative verb or preposition comes right before ``start`` (「赶到现场」)."""
    return bool(_LOCATIVE_BEFORE.search(text, max(0, start - 3), start))


def is_dateline(text: str, start: int, end: int) -> bool:
    """Whether the place is a dateline's city: after a news agency, before the date
    (「新华网杭州5月12日电」)."""
    return bool(_AGENCY.search(text, max(0, start - 4), start)) and bool(
        _DATE_AFTER.match(text, end))
