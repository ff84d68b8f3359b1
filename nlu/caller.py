"""Who is calling: the caller's name as they give it, 「我叫王秀英」 or 「我姓李……李女士」.

The name is taken from the citizen's own turns; an answer to the agent's 「您贵姓」 counts too,
and the last name given wins, so a correction (「我叫王小明，不对，是王晓明」) is kept. By the
annotation conventions (ingest/demo/data/CALLS.md) a surname alone is kept only with the
title the caller gives themself (「投诉人：贾女士」) or the agent then uses (「好的叶先生」); a
bare surname, a refusal or no name at all gives no name.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from nlu.transcript import Turn

_SURNAME_CHARS = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
    # The rest of the Hundred Family Surnames and other living ones, less those that are far
    # more often everyday words (家, 都, 能, 国, 东, 水, 花 …) and would turn phrases into names.
    "傅皮萧湛禹狄贝伏谈茅昝裘宣贲郁诸钮嵇滑荀羊於惠封芮羿储汲邴糜牧隗宓蓬郗仰伊钭厉戎祖"
    "韶郜蓟薄印邰鄂索咸籍赖蔺屠阴胥苍莘贡逄郦雍璩濮扈燕冀郏浦阎慕茹习宦戈庾暨弘匡阙殳沃"
    "蔚夔厍晁融訾阚毋乜鞠巢蒯荆竺权逯盖桓鄢庹粟谌揭冼廉酆奚凤昌杭洪闻弓幸计"
)
# Compound surnames (西门 is left out: it names places more often than people).
_COMPOUND_SURNAMES = (
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "司徒",
    "申屠", "夏侯", "端木", "南宫", "独孤", "长孙", "宇文", "轩辕", "司空", "呼延", "闻人",
    "赫连", "拓跋", "钟离", "澹台", "公冶", "太史", "东郭", "万俟", "亓官", "公西", "漆雕",
    "左丘", "淳于", "单于", "太叔", "公羊", "宗政", "濮阳", "仲孙", "鲜于", "闾丘", "司寇",
    "颛孙", "巫马", "乐正", "壤驷", "公良", "夹谷", "宰父", "谷梁", "梁丘", "羊舌", "微生",
)
# Characters that end no name (particles), and that are never the second character of one.
_NOT_NAME = set("的了是在有就也都还要想不这那个一我你您他她们啊呢吧吗呀哦嗯先女师阿大")
# 「车号是四七一九」, Minnan 「阮姓洪」 (I am surnamed 洪), 「金字旁」.
_NOT_SECOND = set("过住说去到从给被把让打家号姓字")
# 「一」 and 「大」 start many given names (刘大勇, 钟一鸣) but also phrases (「李一个」,
# 「王大爷」 is a title): as the second of three characters they pass unless the third makes
# a phrase of them.
_SECOND_IN_GIVEN_NAME = {
    "一": set("个下直样般起点些次位辈天年种块会边家"),
    "大": set("爷妈娘姐哥伯叔婶"),
    # 「沈阿根」, 「陈阿毛」 (Wu given names), but 「王阿姨」 is a title.
    "阿": set("姨婆公伯叔哥姐妹嫂"),
    # 「宋有福」, 「王有才」, but 「李有个」, 「张有点」 are phrases.
    "有": set("个点些人的没时事关钱空问几多了"),
    # 「盛家豪」, but 「王家里」, 「李家门口」 are places.
    "家": set("里的门人住那这楼附旁边对后前屋院老小在有是属长"),
}
_TITLES = (
    "老先生|老太太|老爷子|先生|女士|小姐|阿姨|大爷|大妈|大娘|大姐|大哥|大伯|大叔|大婶|师傅|老师|"
    "奶奶|爷爷|伯伯|叔叔|老汉|老太|阿婆|阿公|阿伯|婆婆|嬢嬢|孃孃|经理|老板|医生|同学|主任|主管|"
    "书记|厂长|店长|队长|站长|校长|院长|会计|护士|教练|律师|班长|嫂子|姐|哥|伯|叔|姨|"
    # Cantonese: 「黎太」 (Mrs), 「巫生」 (Mr).
    "太|生"
)
# 「我」 as callers say it: Mandarin 我, northern 俺, Wu 阿拉, Hakka 涯, Shaanxi 额.
_I = "(?:我|俺|阿拉|涯|额|阮(?=[叫姓是]))"  # Minnan 「阮叫林月娥」 (not 「叫阮金水」)
_NAME_END = (
    r"(?=[，,。.、；;！!？?…\s\d（(）)]|电话|手机|号码|就行|就好|就可以|好了|吧|啊|呀|哈|呢|嘛|哦|"
    r"住在|家住|今年|就是了|就?要得|就?得啦|$)"
)
_FILLER = r"(?:\s|…|\.\.\.|那个|嗯|呃)*"
# What callers are when they name themself after it: 「我是高山村的网格员蓝海生」.
_SELF_ROLES = "网格员|楼长|志愿者|社工|村医|门卫|保安|村干部|村支书|业主代表|居民代表"
_CORRECTION = re.compile(r"不对|不是|说错了|错了|不好意思|唔好意思|唔系|[哦噢]不(?=[，,、\s])")
# Who signs a web message before the name: 「打铁巷居民 危宏伟」.
_LATIN_NAME = re.compile(r"叫\s*[A-Za-z]")
_SIGNER_ROLES = (
    "居民|住户|业主|学员|家长|市民|拆迁户|村民|租户|网友|患者|职工|员工|游客|乘客|顾客|家属|学生"
    "|志愿者|读者|代表"
)
# A last line that only gives a way to reach the writer: the name is on the line before.
# 「联系电话：0579 …」, 「電話 139 …」 (traditional characters), or the number alone.
_CONTACT_LINE = re.compile(
    r"^(?:(?:联系|聯繫|手机|手機|电话|電話|座机|微信|Tel|TEL|tel)[^\n]{0,8}?[：:\s]*)?"
    r"[\d\s()（）+-]{7,}[。.]?$"
)
# 「Eric Wu（吴一鸣）」, 「Sarah（方晓蕾）」: a name in Latin letters with the Chinese one after it.
_LATIN_ALIAS = r"[A-Za-z][A-Za-z .'-]{0,30}\s*[（(]"
# 「姓区，区域的区」, 「那振宇，那个“那”」: a surname the caller declares, even one that is
# more often an everyday word and so not among the surnames above.
# 「相声的相」, 「危险的危」: a character spelt by a word it starts. 「复姓濮阳」: a compound one.
_DECLARED_SURNAME = re.compile(
    rf"(?:{_I}|免贵|^)姓(?P<sur>[\u4e00-\u9fff])|[“\"「‘](?P<quoted>[\u4e00-\u9fff])[”\"」’]"
    r"|(?P<spelt>[\u4e00-\u9fff])[\u4e00-\u9fff]{0,3}[的嘅](?P=spelt)(?=[，,。.、；;！!\s]|$)"
    # 「禤系好少见嘅姓」: a surname said to be one; 「妫是女字旁一个为」, 「盍，上面一个来去的
    # 去」: spelt by its parts; 「麴不是曲」: told apart from a common one.
    r"|(?:^|(?<=[，,。\s]))(?P<said>[\u4e00-\u9fff])[是系][^，,。！!]{0,6}[的嘅]?姓"
    r"|(?:^|(?<=[，,。\s]))(?P<parts>[\u4e00-\u9fff])(?:是[\u4e00-\u9fff]{1,3}旁"
    r"|[，,]\s*(?:上面|上边|左边|左面)一个)"
    r"|(?:^|(?<=[，,。\s]))(?P<told>[\u4e00-\u9fff])不是[\u4e00-\u9fff](?=[，,。\s]|$)"
)
# 「复姓濮阳」, and 「我姓淳于，淳于国栋」 or 「我姓左丘，复姓……」: two characters said again.
_DECLARED_COMPOUND = re.compile(
    r"复姓(?P<compound>[\u4e00-\u9fff]{2})"
    r"|姓(?P<repeated>[\u4e00-\u9fff]{2})[，,、\s](?=.{0,20}?(?:复姓|(?P=repeated)))"
)
# The agent addressing the caller by surname and title: 「好的初女士」.
_AGENT_TITLED = re.compile(
    r"(?:^|[，,。！!？?\s]|好的|谢谢)(?P<sur>[\u4e00-\u9fff])(?:先生|女士|小姐|师傅|阿姨|大爷|大姐|老师)"
)
_NOT_SURNAMES = set("名什啥甚氏的")  # 「姓名」, 「姓什么」: no surname declared
_ASKED = re.compile(r"贵姓|怎么称呼|姓名|叫什么|称呼您|名字")
_CONFIRMS = re.compile(r"^(?:对|是|没错|嗯|对的|是的)(?:[，,。！!\s]|$)")
# 「我叫潘永福……算了，名字别写了」: a name given, then withdrawn.
_WITHDRAWN = re.compile(
    r"(?:名字|姓名)(?:就|你)?(?:别|不要|不用|甭|莫)(?:写|记|留|登记)|不(?:留|写|登记|记)(?:名字|姓名)"
)
_CHUNKS = re.compile(r"[^，,。.、；;！!？?\s\d：:…]+")
_ROLES = {"游客", "业主", "居民", "家长", "租户", "房东", "市民", "学生", "司机", "患者", "病人",
          "顾客", "商户", "村民", "读者", "网友", "群众", "老人", "家属", "邻居", "路人"}
# Words that look like a surname and a name but are replies: 「谢谢」, 「方便」, 「明白」.
_NOT_NAMES = {"谢谢", "方便", "明白", "高兴", "江北", "江南", "关于", "安全", "成功", "时间",
              "明天", "全部", "应该", "于是", "和平", "麻烦", "万一", "车牌", "门牌", "单元",
              "辛苦", "费心", "多谢", "晓得"}
# Characters an unlisted name never holds: 「我叫人来修」, 「我叫了他几声」, 「我叫什么了」.
_NOT_IN_UNLISTED = set("了过去来把给让叫他她你我们人这那什么怎谁店里车个的是在有就也都还要想不")
# Who signs without a name: 「一位老师」 ends 「老师」; 「学生」, 「医生」 are no 「X生」.
_NOT_SIGNATURES = {"老师", "老板", "老人", "小孩", "小区", "阿姨", "先生", "学生", "医生", "考生",
                   "新生", "太太", "家长", "居民", "业主", "市民", "村民", "网友"}
# Words of a contact line that are no name: 「电话 138…」, 「联系方式 …」.
_CONTACT = re.compile(r"电话|電話|手机|手機|联系|聯繫|号码|號碼|微信|座机|方式")
_PLACE_END = re.compile(r"(?:区|县|镇|乡|村|路|街|市|省|社区|小区|公园|广场)$")


class _Patterns(NamedTuple):
    """The name patterns for one set of surnames (the common ones, plus any a caller declares)."""

    full: re.Pattern[str]
    self_of: re.Pattern[str]
    corrected: re.Pattern[str]
    surname_only: re.Pattern[str]
    surname_then_name: re.Pattern[str]
    signed: re.Pattern[str]
    answer_chunk: re.Pattern[str]
    titled: re.Pattern[str]
    self_titled: re.Pattern[str]
    read_back: re.Pattern[str]
    signature: re.Pattern[str]
    latin_alias: re.Pattern[str]
    unlisted: re.Pattern[str]
    single_given: re.Pattern[str]


# A surname the caller declares is read as one of these private-use stand-ins (one
# character, or two for a compound), so the patterns are compiled once, not once per call.
_STAND_IN = 0xE000
_STAND_INS = 64
_COMPOUND_STAND_IN = 0xE100
# Characters the patterns spell out themselves: never taken as a declared surname.
_PATTERN_CHARS = set("我你您他她叫是系姓名电话手机号码的嘅老小阿")


def _compile(pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled with the stand-ins among the characters a name may hold."""
    stand_ins = f"{chr(_STAND_IN)}-{chr(_COMPOUND_STAND_IN + 2 * _STAND_INS - 1)}"
    for han in (r"\u4e00-\u9fff", "\u4e00-\u9fff"):
        pattern = pattern.replace(han, han + stand_ins)
    return re.compile(pattern)


@lru_cache(maxsize=1)
def _patterns() -> _Patterns:
    """The name patterns: the common surnames, and the stand-ins for declared ones."""
    declared = f"{chr(_STAND_IN)}-{chr(_STAND_IN + _STAND_INS - 1)}"
    compound = f"[{chr(_COMPOUND_STAND_IN)}-{chr(_COMPOUND_STAND_IN + 2 * _STAND_INS - 1)}]{{2}}"
    surname = rf"(?:{'|'.join(_COMPOUND_SURNAMES)}|{compound}|[{_SURNAME_CHARS}{declared}])"
    name = rf"(?:老|小)?{surname}[\u4e00-\u9fff]{{0,2}}?"
    prefixes = (
        rf"{_I}叫|{_I}的名字(?:是|叫)|名字叫|名字是|姓名是|姓名[：:]?|{_I}[是系]|本人|就叫|"
        rf"(?:{_I}的)?(?:大名|全名|本名|学名|真名|中文名字?)(?:叫|是|啊|呀|吧)?[，,\s]*|"
        # 「我老秦，秦始皇的秦」: 「我」 and straight on the familiar 老 + surname.
        rf"{_I}(?=老{surname}[，,。\s])|"
        # 「英文名叫Grace，身份证上叫双雨桐」; 「叫我阿Ray……写陈睿吧」.
        r"(?:身份证|证件|户口本)上(?:叫|写的是|是)|(?:^|(?<=[，,。…\s]))写(?=[\u4e00-\u9fff]{2,3}吧)|"
        rf"[叫喊]{_I}|联系人[：:]?|留言人[：:]?|投诉人[：:]?|反映人[：:]?|举报人[：:]?|来电人[：:]?|"
        r"(?:业主|居民|村民|家长)?代表[：:]|读者|署名[：:]?|落款[：:]?"
    )
    # 「我是他女儿，叫米兰」, 「我是高山村的网格员蓝海生」: who the caller is, then their name.
    self_of = (
        rf"{_I}[是系][^。；;！!？?]{{1,16}}?(?:的|[，,]\s*叫|{_SELF_ROLES}"
        # 「我是村里的会计，施工的施，施建华」, 「…，木子李，李春生」
        rf"|[，,]\s*[\u4e00-\u9fff]{{1,4}}?的?(?P<spelt>[\u4e00-\u9fff])[，,]\s*(?=(?P=spelt)))"
        # 「我是溪头镇中学的老师，叫郎建华」: 「老师」 is what the caller is, not a name.
        rf"(?!老师|老板)(?P<name>{name})"
        + _NAME_END
    )
    # 「柏树的柏」, 「弓长张」, 「走之旁一个录」, 「南郭先生那个南郭」: how the caller spells the
    # surname out.
    explained = (r"(?:[\u4e00-\u9fff]{1,4}[的嘅](?P=sur)|[\u4e00-\u9fff]{1,2}(?P=sur)"
                 r"|[\u4e00-\u9fff]{1,5}一个[\u4e00-\u9fff]{1,3}|[\u4e00-\u9fff]{1,6}?那个(?P=sur))")
    surname_word = rf"(?:免贵姓|{_I}姓|姓)"
    signer = rf"[\u4e00-\u9fff0-9A-Za-z]{{0,10}}?(?:{_SIGNER_ROLES})"
    return _Patterns(
        # 「我叫丁……丁卫东」: a surname stuttered before the name.
        full=_compile(
            rf"(?:{prefixes}){_FILLER}(?:{surname}(?:…+|\.{{3,}}|—+|、)\s*(?:[嗯呃][，,]\s*)?)?"
            rf"(?P<name>{name})"
            + _NAME_END
        ),
        self_of=_compile(self_of),
        # 「不对，是王晓明」, 「哦不对，记录上写远方的远，龚思远」: a name given again after a
        # correction, straight on or after the character it corrects is spelt out.
        corrected=_compile(
            rf"(?:{_CORRECTION.pattern})[，,、\s…—]+(?:[^，,。；;！!？?]{{0,6}}?(?:是|叫|写)|我叫|应该是"
            # 「不对，萍，草字头的萍，严丽萍」: the character, spelt, then the name.
            rf"|(?:[^，,。；;！!？?]{{1,5}}[，,])?[^，,。；;！!？?]{{1,10}}[的嘅][^，,。；;！!？?]，)?"
            rf"(?P<name>{name}){_NAME_END}"
        ),
        surname_only=_compile(rf"{surname_word}\s*(?P<sur>{surname})"),
        surname_then_name=_compile(
            rf"{surname_word}\s*(?P<sur>{surname})[，,、\s]*"
            rf"(?:{explained}[，,、\s]*)?(?:读[^，,。]{{1,4}}[，,、\s]*)?"
            # 「西门庆的西门——唉，这个名字说出来不好听——叫西门小芸」: an aside between dashes.
            r"(?:[—…]+[^—…\n]{1,20}[—…]+)?(?:叫|名叫)?"
            rf"(?P<name>(?P=sur)[\u4e00-\u9fff]{{1,2}}?)"
            + _NAME_END
        ),
        # 「陈丽，电话1592…」: a name signed right before the phone number, asked for or not.
        signed=_compile(
            rf"(?:^|(?<=[，,。.；;！!？?\s：:]))"
            rf"(?P<name>{surname}[\u4e00-\u9fff]{{1,2}}|[小老]{surname})"
            r"[，,、\s]*(?:联系)?(?:电话|手机)?(?:号码)?(?:是)?[：:]?\s*(?=[0-9一二三四五六七八九零幺]{3})"
        ),
        answer_chunk=_compile(
            rf"^(?:{_I}是|{_I}叫|叫)?(?P<name>{surname}[\u4e00-\u9fff]{{0,2}})$"
        ),
        titled=_compile(rf"(?P<sur>{surname})(?P<title>{_TITLES})"),
        # A chunk in which the caller names themself by a title: 「就写李女士吧」.
        self_titled=_compile(
            rf"^(?:{_I}[是系]|我就是|就是|(?:你|侬)?就?(?:叫|喊|记|写)(?:{_I})?(?:个)?"
            rf"|{_I}[是系][^，,。]{{1,12}}的|[\u4e00-\u9fff]{{1,4}}都[叫喊]{_I})?"
            rf"(?:{'|'.join(sorted(_ROLES))}|乘客)?"  # 「我是乘客蔡女士」, 「业主蓝女士」
            # 「你叫我容生得啦」: after 「叫我」 any surname goes with a title.
            rf"(?P<titled>{surname}(?:{_TITLES})|(?<=[叫喊]我)[\u4e00-\u9fff](?:{_TITLES}))"
            r"(?:吧|就行|就好|就可以|好了|就是了|就系了?|啊|哈|就?得啦|就?要得)*$"
        ),
        # The agent reading a spelt-out name back (「詹丽萍，对吗？」) for the caller to confirm.
        read_back=_compile(
            rf"(?P<name>{surname}[\u4e00-\u9fff]{{1,2}}?)[，,]?\s*(?:对吗|是吗|对吧|是吧|对不对|没错吧)"
        ),
        # A web message signed on its last line: 「刘思远」, 「——林先生」, 「龙湾社区居民 欧宝珍」,
        # 「打铁巷居民 危宏伟 182…」 (after a role, a surname not listed too), 「晏静怡 微信同
        # 手机号 138…」.
        signature=_compile(
            rf"^[-—－\s]*(?:(?:{signer}[：:\s]*)?"
            rf"(?:(?P<titled>{surname}(?:{_TITLES}))"
            rf"|(?P<name>{surname}[\u4e00-\u9fff]{{1,2}}|[老小]{surname}))"
            # 「郑宇轩（Eric） 国内联系电话：138…（我姐姐）」, 「小宋（宋晓峰）151…」.
            rf"(?:[（(](?P<bracketed>{surname}[\u4e00-\u9fff]{{1,2}})[）)]"
            r"|[（(][^）)\n]{1,12}[）)])?"
            rf"|{signer}[：:\s]+(?P<unlisted>[\u4e00-\u9fff]{{2,3}})"
            # 「容博 18868127741」: a name not listed, signed with the number, perhaps after
            # what the writer is (「服务员 小蔡 微信同号151…」, 「软件园打工人 小鹿 158…」).
            r"|(?:[\u4e00-\u9fff]{1,6}\s+)?(?P<bare>[\u4e00-\u9fff]{2,3})"
            r"(?=\s+(?:微信同号|联系电话|电话|手机)?[：:]?\s*\d)"
            # 「在软件园上班的 小符」: what the writer is, then the name they go by.
            # 「一个天天堵在这里的司机 老弥」, 「星光社区12幢 阿伟」.
            r"|[\u4e00-\u9fff0-9]{1,16}?(?:的\s*|\s+)(?P<nick>[小老阿][\u4e00-\u9fff])(?=[\s（(]|$)"
            # 「老伦」, Cantonese 「劳生」: a familiar form or title alone.
            r"|(?P<lone>[小老阿][\u4e00-\u9fff]|[\u4e00-\u9fff][生太])(?=[\s（(。.！!]|$)"
            # 「手语翻译 禄小芳」 above 「手机：135…」: what the writer is, then the name.
            r"|(?:[\u4e00-\u9fff0-9]{1,10}\s+)+(?P<above>[\u4e00-\u9fff]{2,3})(?=[\s（(]|$))"
            r"(?:(?<=[）)])\d[\d\s-]{6,}|\s+[^\d\n]{0,8}?\d[\d\s-]{6,})?"
            r"[。.！!\s]*(?:[（(][^）)]*[）)])?[。.！!\s]*$"
        ),
        latin_alias=_compile(rf"{_LATIN_ALIAS}(?P<name>{surname}[\u4e00-\u9fff]{{1,2}})[）)]"),
        # 「我叫努尔兰」, 「我叫楼佳慧」: after 「我叫」 a name whose surname is not listed (a
        # Uyghur or Kazakh name, a rare surname that is more often a word).
        # 「留言人：第五芳（复姓第五）」 too: after a signer's label; and 「叫我阿坤就行」.
        unlisted=_compile(
            # 「你叫我老粟就要得」.
            # 「我是哈萨克族，叫努尔兰」.
            rf"(?:{_I}叫做?|{_I}的名字(?:是|叫做?)|名字叫做?|{_I}[是系][^。；;！!？?]{{1,12}}?[，,]\s*叫"
            rf"|[叫喊]{_I}(?=[阿老][\u4e00-\u9fff](?:就行|就好|就可以|好了|吧|就?要得))"
            rf"|(?:联系人|留言人|投诉人|反映人|举报人|来电人)[：:]\s*)(?P<name>[\u4e00-\u9fff]{{2,4}}?)"
            + _NAME_END
        ),
        # 「就姓阳，阳光的阳，单名一个锋」: the surname, then the one-character given name.
        single_given=_compile(
            rf"{surname_word}\s*(?P<sur>{surname})[，,、\s]*(?:{explained}[，,、\s]*)?"
            r"单名(?:一个|就一个|是)?(?P<given>[\u4e00-\u9fff])"
        ),
    )


def _declared_surnames(turns: list[Turn]) -> tuple[list[str], list[str]]:
    """Surname characters the caller declares that are not among the common surnames, and
    compound surnames the caller declares."""
    said = [turn.text for turn in turns if turn.speaker != "agent"]
    listed = "".join(c for c in _COMPOUND_SURNAMES if any(c in text for text in said))
    found = {
        char
        for text in said for m in _DECLARED_SURNAME.finditer(text)
        if (char := m.group("sur") or m.group("quoted") or m.group("spelt") or m.group("said")
            or m.group("parts") or m.group("told")) not in _NOT_SURNAMES
        and char not in _SURNAME_CHARS and char not in _PATTERN_CHARS
        # 「我姓东方」, 「上官敏，上下的上，官员的官」: part of a compound surname said.
        and char not in listed
    }
    compounds = {m.group("compound") or m.group("repeated")
                 for text in said for m in _DECLARED_COMPOUND.finditer(text)}
    # 「初晓雯。」 then the agent's 「好的初女士」: the agent's title says 初 is a surname.
    found |= {
        char
        for turn in turns if turn.speaker == "agent" for m in _AGENT_TITLED.finditer(turn.text)
        if (char := m.group("sur")) not in _NOT_SURNAMES and char not in _SURNAME_CHARS
        and char not in _PATTERN_CHARS and char not in listed and any(char in t for t in said)
    }
    return (sorted(found)[:_STAND_INS],
            sorted(compounds - set(_COMPOUND_SURNAMES))[:_STAND_INS])


def _with_stand_ins(turns: list[Turn]) -> tuple[list[Turn], dict[int, str]]:
    """The turns with each declared surname written as its stand-in (offsets kept: one
    character for one), and the table that turns the stand-ins back."""
    chars, compounds = _declared_surnames(turns)
    if not chars and not compounds:
        return turns, {}
    swaps = {compound: chr(_COMPOUND_STAND_IN + 2 * i) + chr(_COMPOUND_STAND_IN + 2 * i + 1)
             for i, compound in enumerate(compounds)}
    swaps |= {char: chr(_STAND_IN + i) for i, char in enumerate(chars)}
    back = {ord(stand_in[k]): word[k] for word, stand_in in swaps.items()
            for k in range(len(word))}
    pattern = re.compile("|".join(map(re.escape, swaps)))
    return [turn.model_copy(update={"text": pattern.sub(lambda m: swaps[m.group(0)], turn.text)})
            for turn in turns], back


Span = tuple[str, int, int]


def _clean(name: str, p: _Patterns) -> str | None:
    """A name without trailing particles; None when it is not a name after all.

    A surname with a title (「伏老师」) is a title, not a full name: stripping its last
    character would leave a false name (「伏老」), so it is left to the title rules.
    """
    if p.titled.fullmatch(name):
        return None
    while name and name[-1] in _NOT_NAME:
        name = name[:-1]
    given = len(name) == 3 and name[2] not in _SECOND_IN_GIVEN_NAME.get(name[1], {name[2]})
    if (
        len(name) < 2
        or (name[1] in (_NOT_NAME | _NOT_SECOND) - {"老", "小"} and not given)
        or name in _ROLES
        or name in _NOT_NAMES
        or "的" in name or "嘅" in name  # 「诸葛的诸」 spells a surname out
        or _PLACE_END.search(name)
        or (len(name) == 3 and name[2] == "人")  # 「我是杭州人」, 「我是本地人」
    ):
        return None
    return name


def _span(turn: Turn, match: re.Match[str], group: str) -> tuple[int, int]:
    start = turn.start + match.start(group)
    return start, start + len(match.group(group))


def _cleaned_at(turn: Turn, match: re.Match[str], name: str) -> Span:
    """``name`` (the match's ``name`` group after :func:`_clean`) at its span in the transcript."""
    start, _end = _span(turn, match, "name")
    return name, start, start + len(name)


def _names(turn: Turn, pattern: re.Pattern[str], p: _Patterns) -> list[Span]:
    """The names ``pattern`` finds in a turn that survive :func:`_clean`, with their spans."""
    return [
        _cleaned_at(turn, match, name) for match in pattern.finditer(turn.text)
        if (name := _clean(match.group("name"), p))
    ]


def _stated(turn: Turn, named_before: bool, p: _Patterns) -> Span | None:
    """The last full name the caller states in a turn (「我叫…」, 「姓陈，陈志强」, corrections).

    「不对，是王晓明」 corrects a name only once one was given: after 「不对，是」 callers
    more often correct a place (「不对，是万象汇」).
    """
    found = [s for pattern in (p.full, p.self_of, p.surname_then_name, p.signed, p.latin_alias)
             for s in _names(turn, pattern, p)]
    found += [
        _cleaned_at(turn, m, m.group("name")) for m in p.unlisted.finditer(turn.text)
        if not _NOT_IN_UNLISTED & set(m.group("name"))
        and not any(s[1] == turn.start + m.start("name") for s in found)
    ]
    found += [
        (m.group("sur") + m.group("given"), turn.start + m.start("sur"), turn.start + m.end())
        for m in p.single_given.finditer(turn.text)
    ]
    first = min((s[1] for s in found), default=None)
    # 「我叫Coco……唔系，写陈可欣」: a name in Latin letters is a name given before, too.
    latin = _LATIN_NAME.search(turn.text)
    found += [s for s in _names(turn, p.corrected, p)
              if named_before or (first is not None and first < s[1])
              or (latin is not None and turn.start + latin.start() < s[1])]
    return max(found, key=lambda s: s[1]) if found else None


def _answer(turn: Turn, p: _Patterns) -> tuple[Span | None, Span | None]:
    """A full name and a bare surname given as the answer to the agent's question.

    The first full name answers, unless the caller corrects it: 「付强……不对，是师傅的傅，傅强」.
    """
    full = surname = None
    for chunk in _CHUNKS.finditer(turn.text):
        m = p.answer_chunk.match(chunk.group(0))
        if not m:
            continue
        start = turn.start + chunk.start() + m.start("name")
        if name := _clean(m.group("name"), p):
            corrected = full is not None and _CORRECTION.search(turn.text, full[2] - turn.start,
                                                                 chunk.start())
            if full is None or corrected:
                full = (name, start, start + len(name))
        elif len(m.group("name")) == 1:
            surname = surname or (m.group("name"), start, start + 1)
    return full, surname


def _self_titled(turn: Turn, p: _Patterns) -> Span | None:
    """The caller naming themself by surname and title (「钟先生，电话…」), not someone else."""
    found = None
    for chunk in _CHUNKS.finditer(turn.text):
        if m := p.self_titled.match(chunk.group(0)):
            start = turn.start + chunk.start() + m.start("titled")
            found = (m.group("titled"), start, start + len(m.group("titled")))
    return found


def _agent_title(turn: Turn, surname: Span | None, p: _Patterns) -> Span | None:
    """The agent's title for the surname the caller gave (「姓沈」 → 「沈阿姨」), at its span."""
    if surname is None:
        return None
    for match in p.titled.finditer(turn.text):
        if match.group("sur") == surname[0]:
            return match.group(0), surname[1], surname[2]
    return None


def _read_back(turn: Turn, previous: Turn | None, p: _Patterns) -> Span | None:
    """A full name the agent reads back, when its surname is in the caller's turn before."""
    if previous is None:
        return None
    for match in p.read_back.finditer(turn.text):
        name = _clean(match.group("name"), p)
        if name and name[0] in previous.text:
            return _cleaned_at(turn, match, name)
    return None


def _signature(turns: list[Turn], p: _Patterns) -> Span | None:
    """The name a written message (no agent in it) is signed with on its last line: a full
    name (「刘思远」) or a surname and title (「——林先生」)."""
    if len(turns) < 2 or any(t.speaker == "agent" for t in turns):
        return None
    last = turns[-1]
    above_contact = bool(_CONTACT_LINE.match(last.text)) and len(turns) > 2
    if above_contact:
        last = turns[-2]  # 「业主代表 司寇明」 above 「联系电话：0579 …」
    if (dash := last.text.rfind("——")) > 0:  # 「麻烦查一下。——詹若琳 188…」
        last = Turn(speaker=last.speaker, text=last.text[dash:], start=last.start + dash)
    if not (m := p.signature.match(last.text)):
        return None
    if m.group("bracketed"):  # 「小宋（宋晓峰）151…」: the full name after the nickname
        return (m.group("bracketed"), *_span(last, m, "bracketed"))
    if m.group("titled"):
        return (m.group("titled"), *_span(last, m, "titled"))
    # A name standing alone, or after what the writer is, only where a contact line follows.
    groups = ("unlisted", "bare", "nick", "lone") + (("above",) if above_contact else ())
    for group in groups:
        word = m.group(group)
        familiar = group in ("nick", "lone") and word and word[0] in "小老阿"
        if word and not (_NOT_IN_UNLISTED & set(word[1:] if familiar else word)
                         or _CONTACT.search(word) or word[-1] in "妈爸"  # 「乐乐妈」
                         or word in _NOT_SIGNATURES):
            return (word, *_span(last, m, group))
    if not m.group("name"):
        return None
    name = _clean(m.group("name"), p)
    return _cleaned_at(last, m, name) if name else None


def find_caller_name(turns: list[Turn]) -> Span | None:
    """The caller's name with its span in the transcript; the last full name given wins.

    A full name beats a title the caller gives themself (「孙先生」), which beats the title the
    agent gives a bare surname (「姓沈」……「沈阿姨」); a bare surname alone is no name. A name
    the agent reads back counts once the caller confirms it; a name the caller withdraws
    (「算了，名字别写了」) does not count. A surname the caller declares (「我姓区」) counts as one
    even when it is more often an everyday word.
    """
    turns, back = _with_stand_ins(turns)
    p = _patterns()
    full: Span | None = None
    titled: Span | None = None
    agent_titled: Span | None = None
    surname: Span | None = None
    read_back: Span | None = None
    asked = False
    previous: Turn | None = None
    for turn in turns:
        if turn.speaker == "agent":
            asked = bool(_ASKED.search(turn.text))
            agent_titled = _agent_title(turn, surname, p) or agent_titled
            read_back = _read_back(turn, previous, p)
            continue
        previous = turn
        if read_back and _CONFIRMS.match(turn.text):
            full = read_back
        read_back = None
        answer_full, answer_surname = _answer(turn, p) if asked else (None, None)
        named = full is not None or answer_full is not None
        stated = _stated(turn, named_before=named, p=p)
        if stated and named and stated[0][0] in "老小" and len(stated[0]) == 2:
            stated = None  # 「丁浩，叫我老丁就行」: the full name stays the name
        full = stated or full or answer_full
        surname = surname or answer_surname
        for m in p.surname_only.finditer(turn.text):  # 「姓房……哦不，姓方」: the last one
            surname = (m.group("sur"), *_span(turn, m, "sur"))
        titled = _self_titled(turn, p) or titled
        asked = False
        if withdrawn := _WITHDRAWN.search(turn.text):
            given_before = turn.start + withdrawn.start()
            full, titled, agent_titled = (
                None if found and found[1] < given_before else found
                for found in (full, titled, agent_titled)
            )
    found = full or titled or agent_titled or _signature(turns, p)
    return (found[0].translate(back), found[1], found[2]) if found else None
