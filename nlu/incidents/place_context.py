"""What the words around a place phrase say about it: whether it is where something happens
or only an attribute of something else.

News reports name places in two ways. As a location — 「事故发生在某县某路口」, 「伤者被送往
某医院」 — the place follows a locative verb or preposition (在, 于, 送往, 赶到 …) or opens a
clause. As an attribute — 「某省地震局」, 「某市消防支队」, 「当地时间」, 「某国总统」, 「一辆某地
开往某地的客车」 — the place names whose organisation, people, time or vehicle is meant, and an
incident report's location it is not. These rules tell the two apart from the characters just
before and after the phrase, and find a news agency's dateline (「新华网杭州5月12日电」), whose
city the corpus annotates as a location. Outside a locative frame an authority's or a
hospital's name (「某省教育厅」, 「某市人民医院」) is the one that acts, not a site; a scene word
that opens a clause (「，车上8名乘客被困」) is where the clause happens.
"""

from __future__ import annotations

import re

# What follows a place that only qualifies the next noun: organisations, officials, people of
# a place, its time zone, a medium, a vehicle from there.
_ATTRIBUTE_HEAD = re.compile(
    r"\s*(?:(?:北京|当地)?时间|消防|交警|交通警|公安|警方|警察|政府|[市县区省州镇乡村]?委|党委|人大"
    r"|[^\s，。、]{0,4}?(?:局|厅|署)(?![面势])|部门|宣传部|大队|中队|支队|总队|领导|负责人"
    r"|人民(?!医院)|市民|村民|农民|游客|学生|工人|人士|群众|人(?![民员工])|籍"
    r"|(?:新闻)?网|在线|晚报|日报|报(?!道|警)|电视|电台|媒体|官员|总统|总理|首相|省长|市长"
    r"|州长|县长|国家|驻|大使馆|使馆|领事馆|商会|红十字会|空军|陆军|军区|移动|联通|电信|方面"
    r"|相关|有关|当局|开往|大?客车|大?货车|卡车|面包车|轿车|公交|中巴|组织|首席|防灾|应急|地质"
    r"|卫生|教育|疾控|林业|气象|民政|安监|水利|国土|交通运输|安全|内政|外交|极端|嫌疑|中文|战斗"
    r"|[0-9０-９]+人|的(?:领导|农民|村民|居民|游客|学生|工人|人|官员|亲友)|警|军|政)"
)
# The last words of an authority or organisation's name, and of a hospital, which a report
# names as the one that acts (「某医院收治……」) unless a locative verb governs it.
_ORGANISATION_END = re.compile(
    r"(?:局|厅|署|委|政府|(?<![东西南北中内外])部|办|军区|总队|支队|大队|中队|官兵|领导|大学|学院|医院|科"
    r"|(?:疾控|控制|指挥|预警)中心)$")
# What comes just before a place that is not where something happens: a source (「据」), a
# distance (「距」), an origin (「来自」, 「由」), an embassy's host (「驻」).
_NOT_A_SCENE_BEFORE = re.compile(r"(?:据|对|距离?|离|来自|驻|由|一辆|根据|其中)\s*$")
# A locative verb or preposition right before a word: 「在」, 「送往」, 「赶到了」.
_LOCATIVE_BEFORE = re.compile(r"(?:[在于到往赴至进入回向去送达]|留在|前往|了)\s*$")
# A scene word (the scene itself, the inside of a vehicle or a room) at the start of a clause.
_OPENING_SCENE = re.compile(
    r"(?:^|(?<=[，。；：！？\n“]))(现场|当地|车上|车内|车外|店内|室内|屋内|窗外)")
# What makes an opening scene word qualify a noun: 「的」, 「所」 (「车上所载」) or a kind of
# staff (「现场救援人员」).
_OF = re.compile(r"\s*(?:的|所(?!有)|[^\s，。]{0,2}人员)")
_AGENCY = re.compile(r"(?:新华社|新华网|中新社|中新网|新闻网|社|网)$")
_DATE_AFTER = re.compile(r"\s*[0-9０-９零〇一二三四五六七八九十]{1,4}(?:年|月)")


def is_attribute(text: str, end: int) -> bool:
    """Whether the place ending at ``end`` only qualifies the noun after it (「某市消防支队」,
    「当地时间」, 「某国总统」), so that it names no location of the report."""
    return bool(_ATTRIBUTE_HEAD.match(text, end))


def is_organisation(phrase: str) -> bool:
    """Whether a phrase names an authority or an organisation (「某省教育厅」, 「某区政府」,
    「某大学」) rather than a site: outside a locative frame, such a phrase is the subject that
    acts or reports (「某局已组织……」), not where the incident happens."""
    return bool(_ORGANISATION_END.search(phrase))


def opening_scenes(text: str) -> list[tuple[int, int]]:
    """The spans of scene words that open a clause (「，车上8名乘客被困」, 「。现场一片狼藉」):
    there the scene is where the clause happens, as after a locative word, unless it only
    qualifies the noun after it (「现场的医护人员」, 「当地警方」)."""
    return [m.span(1) for m in _OPENING_SCENE.finditer(text)
            if not (_OF.match(text, m.end()) or is_attribute(text, m.end()))]


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
