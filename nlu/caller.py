"""Who is calling: the caller's name as they give it, 「我叫王秀英」 or 「我姓李」.

The name is taken from the citizen's own turns; an answer to the agent's 「您贵姓」 counts too.
A surname alone becomes 「李先生」/「李女士」 when the caller's title is heard, else the surname.
"""

from __future__ import annotations

import re

from nlu.transcript import Turn

_SURNAME_CHARS = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐",
)
_SURNAME = rf"(?:{'|'.join(_COMPOUND_SURNAMES)}|[{_SURNAME_CHARS}])"
_NOT_NAME = set("的了是在有就也都还要想不这那个一我你他她们啊呢吧吗呀哦嗯先女师阿老小大")
_FULL = re.compile(
    rf"(?:我叫|我的名字是|名字叫|我是|本人|叫我)\s*(?P<name>{_SURNAME}[\u4e00-\u9fff]{{1,2}})"
)
_SURNAME_ONLY = re.compile(
    rf"(?:免贵姓|我姓|姓)\s*(?P<sur>{_SURNAME})(?:[，,、\s]*(?:\S{{0,4}}的\S)?)?"
    r"(?P<title>先生|女士|阿姨|大爷|师傅|老师)?"
)
_TITLED = re.compile(rf"(?P<sur>{_SURNAME})(?P<title>先生|女士)")
_ASKED = re.compile(r"贵姓|怎么称呼|您的姓名|叫什么名字|留个姓名|称呼您")


def _clean_full(name: str) -> str | None:
    """A full name without trailing particles; None when it is not a name after all."""
    while name and name[-1] in _NOT_NAME:
        name = name[:-1]
    if len(name) < 2 or name[1] in _NOT_NAME:
        return None
    return name


def find_caller_name(turns: list[Turn]) -> tuple[str, int, int] | None:
    """The caller's name with its span in the transcript, the last one given (corrections win)."""
    found: tuple[str, int, int] | None = None
    asked = False
    for turn in turns:
        if turn.speaker == "agent":
            asked = asked or bool(_ASKED.search(turn.text))
            continue
        for match in _FULL.finditer(turn.text):
            name = _clean_full(match.group("name"))
            if name:
                start = turn.start + match.start("name")
                found = (name, start, start + len(name))
        for match in _SURNAME_ONLY.finditer(turn.text):
            surname = match.group("sur")
            title = match.group("title") or ""
            if title not in ("先生", "女士"):
                title = ""
            start = turn.start + match.start("sur")
            if found is None or found[1] != start:
                found = (surname + title, start, start + len(surname))
        titled = _TITLED.search(turn.text)
        if titled and ((found is None and asked) or (found and found[0] == titled.group("sur"))):
            start = turn.start + titled.start()
            found = (titled.group(0), start, start + len(titled.group(0)))
    return found
