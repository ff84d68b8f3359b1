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
_NOT_NAME = set("的了是在有就也都还要想不这那个一我你他她们啊呢吧吗呀哦嗯先女师阿大")
_TITLES = "先生|女士|小姐|阿姨|大爷|大妈|大姐|大哥|大伯|师傅|老师|奶奶|爷爷|伯伯|叔叔"
_NAME_END = r"(?=[，,。.、；;！!？?\s\d]|电话|手机|就行|就好|吧|$)"
_FULL = re.compile(
    rf"(?:我叫|俺叫|我的名字是|名字叫|名字是|我是|本人|叫我|联系人[：:]?|读者|署名[：:]?|叫)\s*(?P<name>(?:老|小)?{_SURNAME}[\u4e00-\u9fff]{{0,2}}?)"
    + _NAME_END
)
_SURNAME_ONLY = re.compile(rf"(?:免贵姓|我姓|姓)\s*(?P<sur>{_SURNAME})")
_SURNAME_THEN_NAME = re.compile(
    rf"(?:免贵姓|我姓|姓)\s*(?P<sur>{_SURNAME})[，,、\s]*(?P<name>(?P=sur)[\u4e00-\u9fff]{{1,2}}?)"
    + _NAME_END
)
_ANSWER_CHUNK = re.compile(rf"^(?:我是|我叫|俺叫|叫)?(?P<name>{_SURNAME}[\u4e00-\u9fff]{{0,2}})$")
_CHUNKS = re.compile(r"[^，,。.、；;！!？?\s\d：:]+")
_ROLES = {"游客", "业主", "居民", "家长", "租户", "房东", "市民", "学生", "司机", "患者", "病人",
          "顾客", "商户", "村民", "读者", "网友", "群众", "老人"}
_TITLED = re.compile(rf"(?P<sur>{_SURNAME})(?P<title>{_TITLES})")
_ASKED = re.compile(r"贵姓|怎么称呼|姓名|叫什么|称呼您|名字")


def _clean(name: str) -> str | None:
    """A name without trailing particles; None when it is not a name after all."""
    while name and name[-1] in _NOT_NAME:
        name = name[:-1]
    if len(name) < 2 or name[1] in _NOT_NAME - {"老", "小"} or name in _ROLES:
        return None
    return name


def _span(turn: Turn, match: re.Match[str], group: str) -> tuple[int, int]:
    start = turn.start + match.start(group)
    return start, start + len(match.group(group))


def _answer(turn: Turn) -> tuple[tuple[str, int, int] | None, tuple[str, int, int] | None]:
    """A full name and a bare surname given as the answer to the agent's question."""
    full = surname = None
    for chunk in _CHUNKS.finditer(turn.text):
        m = _ANSWER_CHUNK.match(chunk.group(0))
        if not m:
            continue
        start = turn.start + chunk.start() + m.start("name")
        if name := _clean(m.group("name")):
            full = full or (name, start, start + len(name))
        elif len(m.group("name")) == 1:
            surname = surname or (m.group("name"), start, start + 1)
    return full, surname


def find_caller_name(turns: list[Turn]) -> tuple[str, int, int] | None:
    """The caller's name with its span in the transcript; the last full name given wins.

    A full name beats a title (「孙先生」), which beats a bare surname; a bare surname takes
    the title the agent then uses (「沈阿姨」).
    """
    full: tuple[str, int, int] | None = None
    titled: tuple[str, int, int] | None = None
    surname: tuple[str, int, int] | None = None
    asked = False
    for turn in turns:
        if turn.speaker == "agent":
            asked = bool(_ASKED.search(turn.text))
            if surname and (m := _TITLED.search(turn.text)) and m.group("sur") == surname[0]:
                titled = (m.group(0), surname[1], surname[2])
            continue
        for match in [*_FULL.finditer(turn.text), *_SURNAME_THEN_NAME.finditer(turn.text)]:
            if name := _clean(match.group("name")):
                full = (name, *_span(turn, match, "name"))
        if asked:
            answer_full, answer_surname = _answer(turn)
            full = full or answer_full
            surname = surname or answer_surname
        if m := _SURNAME_ONLY.search(turn.text):
            surname = (m.group("sur"), *_span(turn, m, "sur"))
        if (m := _TITLED.search(turn.text)) and not _FULL.search(turn.text):
            titled = (m.group(0), *_span(turn, m, "sur"))
        asked = False
    return full or titled or surname
