"""The caller's name as given in the call."""

from __future__ import annotations

import pytest

from nlu.caller import find_caller_name
from nlu.transcript import citizen_text, split_turns


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        ("市民：我叫王秀英，住在滨江", "王秀英"),
        ("坐席：怎么称呼您\n市民：陈先生", "陈先生"),
        ("市民：我姓张，张女士", "张女士"),
        ("市民：你好我是住在春晓小区的", None),
        ("市民：路灯坏了", None),
    ],
)
def test_names_as_callers_give_them(transcript: str, name: str | None) -> None:
    found = find_caller_name(split_turns(transcript))
    assert (found[0] if found else None) == name
    if found:
        assert transcript[found[1] : found[2]] == found[0][: found[2] - found[1]]


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        # A bare surname is no name (CALLS.md); the title the agent then uses makes it one.
        ("坐席：请问您贵姓？\n市民：免贵姓李", None),
        ("坐席：您贵姓？\n市民：我姓王。\n坐席：电话呢？\n市民：不留了。", None),
        ("坐席：您贵姓？\n市民：姓叶。\n坐席：好的叶先生。", "叶先生"),
        ("坐席：您贵姓？\n市民：我姓马，你叫我马师傅就行。", "马师傅"),
        ("市民：俺姓吕，吕老汉。", "吕老汉"),
        ("市民：叫我小王就行。", "小王"),
        ("市民：发票我要了，车号是四七一九。", None),  # a plate number, not 车号
        ("市民：阮姓洪，洪水的洪。\n坐席：洪先生，联系电话是多少？", "洪先生"),  # Minnan 阮: I
        ("市民：我姓鄞，金字旁……不对，是一个堇菜的堇加个耳朵旁。\n坐席：鄞阿姨，电话多少？",
         "鄞阿姨"),
        ("市民：我是车间的班长，姓仲，仲夏的仲。\n坐席：仲班长，电话多少？", "仲班长"),
        # Surnames declared by saying they are one, or by spelling their parts.
        ("坐席：您贵姓？\n市民：叫我小禤得啦，禤系好少见嘅姓。", "小禤"),
        ("坐席：您怎么称呼？\n市民：叫我老妫，妫是女字旁一个为人的为。", "老妫"),
        ("市民：我英文名叫Grace，身份证上叫双雨桐，双喜的双。\n坐席：双女士，稍后联系您。",
         "双雨桐"),
        # A surname told apart from a common one, or spelt by its parts after a correction.
        ("坐席：您怎么称呼？\n市民：麴文博，麴不是曲，麦字旁一个匊。", "麴文博"),
        ("坐席：您怎么称呼？\n市民：盍志强。\n坐席：何志强？\n市民：不是不是，盍，上面一个来去的去，"
         "下面一个器皿的皿。", "盍志强"),
        # The name to write down, after a nickname; a compound surname and a one-character name.
        ("坐席：您怎么称呼？\n市民：叫我阿Ray……写陈睿吧，睿智的睿。", "陈睿"),
        ("坐席：请问您的姓名？\n市民：复姓南郭，南郭先生那个南郭，单名一个文。", "南郭文"),
        # A surname corrected in the same breath, then the agent's title for the new one.
        ("市民：我是跑夜班的出租车司机，姓房……哦不，姓方，方向的方。\n坐席：方师傅，电话多少？",
         "方师傅"),
    ],
)
def test_a_surname_counts_only_with_a_title(transcript: str, name: str | None) -> None:
    found = find_caller_name(split_turns(transcript))
    assert (found[0] if found else None) == name


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        ("市民：弓长，不是，我叫张长弓。", "张长弓"),
        ("市民：我叫王小明，不对不对，是王晓明。", "王晓明"),
        ("坐席：怎么称呼？\n市民：王晓明…不对，王小明，小是大小的小。", "王小明"),
        # After 「不对，是」 without a name given before, a place is corrected, not a name.
        ("市民：在3号楼，不对，是万象汇。", None),
    ],
)
def test_the_corrected_name_wins(transcript: str, name: str | None) -> None:
    found = find_caller_name(split_turns(transcript))
    assert (found[0] if found else None) == name


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        ("市民：店叫老李烧烤。\n坐席：请问您的姓名？\n市民：曹丽，电话15925807788。", "曹丽"),
        ("市民：我想表扬王老师，她特别负责。", None),
        ("市民：那个商场，叫万象汇。", None),
        ("市民：我是楼上的，叫他们别吵了", None),
        ("市民：我是李建国的家属", None),
        ("市民：在江北，电话13800000000", None),
    ],
)
def test_other_peoples_and_shops_names_are_not_the_callers(
    transcript: str, name: str | None
) -> None:
    found = find_caller_name(split_turns(transcript))
    assert (found[0] if found else None) == name


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        ("市民：我是云谷社区的张伟，电话13800000000", "张伟"),
        ("市民：我是他女儿，叫米兰，电话15925801122。", "米兰"),
        ("市民：我是12345的老用户了，我姓黄，叫黄海", "黄海"),
        ("市民：我叫…那个…王建军", "王建军"),
        ("市民：我叫刘春生今年七十了", "刘春生"),
        ("坐席：怎么称呼您？\n市民：姓名张伟。", "张伟"),
        ("投诉人：贾女士，电话：13777001122", "贾女士"),
        ("小区门口有人摆摊。\n留言人：刘芳", "刘芳"),
        ("小区门口有人摆摊。\n张建国，13800000000", "张建国"),
        ("坐席：请问您的名字？\n市民：就写李女士吧。", "李女士"),
    ],
)
def test_names_in_other_wordings(transcript: str, name: str) -> None:
    found = find_caller_name(split_turns(transcript))
    assert found is not None and found[0] == name


def test_turns_keep_their_offsets_and_speakers() -> None:
    text = "坐席：您好，12345\n市民：  楼下在施工\n没有前缀的一行"
    turns = split_turns(text)
    assert [t.speaker for t in turns] == ["agent", "citizen", "citizen"]
    assert all(text[t.start : t.end] == t.text for t in turns)
    assert citizen_text(turns) == "楼下在施工\n没有前缀的一行"


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        # Surnames outside the commonest hundred still make names and titles.
        ("市民：江北永和家园。我姓傅，傅女士，电话15057712340。", "傅女士"),
        ("坐席：您的姓名电话？\n市民：宓少华，13757665544。", "宓少华"),
        ("坐席：您贵姓？\n市民：姓赖，赖阿婆，电话13805716600。", "赖阿婆"),
        # A surname and title is a title, never cut into a false full name (「伏老」).
        ("坐席：您贵姓？\n市民：我姓伏，伏老师，电话13957100099。", "伏老师"),
    ],
)
def test_rarer_surnames_and_titles(transcript: str, name: str) -> None:
    found = find_caller_name(split_turns(transcript))
    assert (found[0] if found else None) == name


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        # 「大」 and 「一」 begin given names, though 「王大爷」 is a title and 「李一个」 no name.
        ("市民：我叫石大海，电话13900001111", "石大海"),
        ("坐席：您怎么称呼？\n市民：蒋一舟，电话13900001111", "蒋一舟"),
        ("坐席：您贵姓？\n市民：姓王，王大爷。", "王大爷"),
        # A correction with words before the name, or in an answer of several chunks.
        ("坐席：您的姓名？\n市民：黄小燕……不对，户口本上是黄晓燕", "黄晓燕"),
        ("坐席：您的姓名？\n市民：付丽，付出的付……哎不对，是师傅的傅，傅丽。", "傅丽"),
        # The caller's role before the title they give themself; the agent's job titles.
        ("我是业主温女士，电话13900001111", "温女士"),
        ("市民：我是乘客郑先生", "郑先生"),
        ("市民：我是村委会的，姓殷。\n坐席：殷主任，请您先疏散群众。", "殷主任"),
    ],
)
def test_given_names_roles_and_job_titles(transcript: str, name: str) -> None:
    found = find_caller_name(split_turns(transcript))
    assert found is not None and found[0] == name


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        # Wu given names with 「阿」, but 「阿姨」 stays a title.
        ("市民：我叫陈阿毛，电话13900001111", "陈阿毛"),
        ("坐席：您贵姓？\n市民：姓陈，陈阿姨。", "陈阿姨"),
        # The surname spelt out before the full name; 「大名」; the familiar 「我老X」.
        ("市民：我姓计，计算的计，计海峰。", "计海峰"),
        ("市民：大家都叫我阿强，我大名叫温志强。", "温志强"),
        ("市民：我老郑，郑州的郑。", "老郑"),
        # Cantonese 「我系」 and single-character titles.
        ("市民：我系康乐社区的邝伯，唔该。", "邝伯"),
        ("市民：你喊我幸嬢嬢就是了。", "幸嬢嬢"),
        # A name spelt out character by character, read back by the agent and confirmed.
        ("坐席：您的姓名？\n市民：华，中华的华，春燕，春天的春，燕子的燕。\n"
         "坐席：华春燕，对吗？\n市民：对。", "华春燕"),
        # A web message signed on its last line.
        ("您好，想咨询人才公寓怎么申请。\n谢谢！\n祁文博", "祁文博"),
    ],
)
def test_spelt_out_read_back_and_signed_names(transcript: str, name: str) -> None:
    found = find_caller_name(split_turns(transcript))
    assert found is not None and found[0] == name


@pytest.mark.parametrize(
    "transcript",
    [
        # A name withdrawn after it was given; thanks in an answer are no name.
        "坐席：您的姓名？\n市民：我叫葛振东……算了，名字别写了，电话13900001111。",
        "坐席：您贵姓？\n市民：不用了，谢谢您啊，辛苦了。",
        # The agent reading back a place, or a name the caller does not confirm.
        "市民：在江北。\n坐席：江北区，对吗？\n市民：对。",
        "市民：姓华。\n坐席：华春燕，对吗？\n市民：不是。",
    ],
)
def test_withdrawn_names_and_replies_are_not_names(transcript: str) -> None:
    assert find_caller_name(split_turns(transcript)) is None


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        # A surname that is more often an everyday word counts once the caller declares it.
        ("坐席：您贵姓？\n市民：我姓能，能力的能，能建平。", "能建平"),
        ("坐席：怎么称呼？\n市民：那志刚，那个“那”字。", "那志刚"),
        # Compound surnames beyond the ten commonest.
        ("市民：我叫司徒文静，电话13900001111。", "司徒文静"),
        ("市民：我叫夏侯明，电话13900001111。", "夏侯明"),
        # 「有」 begins given names too, though 「王有个」 is no name.
        ("市民：我叫宋有田，电话13900001111。", "宋有田"),
        # Who the caller is before the name: a role, or a long description and 「叫」.
        ("市民：我是桃源村的网格员邵春梅，我来报个情况。", "邵春梅"),
        ("市民：我是江北区船闸社区的一个退休老教师，叫韦国庆。", "韦国庆"),
        ("市民：业主代表：汪建华，请回复。", "汪建华"),
        # Hakka 「涯」 for 「我」.
        ("市民：涯叫温秀英，电话13900001111。", "温秀英"),
        ("市民：叫涯老邱就行。", "老邱"),
        # A web message signed with a surname and title.
        ("路口的红绿灯坏了好几天。\n麻烦尽快修一下。\n——曹女士", "曹女士"),
    ],
)
def test_declared_surnames_roles_and_dialect_pronouns(transcript: str, name: str) -> None:
    found = find_caller_name(split_turns(transcript))
    assert found is not None and found[0] == name
    assert transcript[found[1] : found[2]] == name


def test_a_phrase_with_you_is_no_name() -> None:
    assert find_caller_name(split_turns("市民：我是王有个事想问问")) is None


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        # A character corrected after it is spelt out; a Cantonese apology as the correction.
        ("市民：我叫邱思源，哦不对，户口上写远方的远，邱思远。", "邱思远"),
        ("坐席：您的姓名？\n市民：黎志钢，钢铁嘅钢——唔好意思，系刚强嘅刚，黎志刚。", "黎志刚"),
        # The full name asked for after a nickname.
        ("坐席：您贵姓？\n市民：叫我小方就行。哦，要全名啊，方雨桐，雨水的雨。", "方雨桐"),
        # 「家」 in a given name, though 「王家里」 is no name.
        ("市民：对，我叫盛家豪，电话13900001111。", "盛家豪"),
        # A signature with a remark in brackets.
        ("路灯坏了一个月。\n麻烦修一下。\n韩先生（电话就不留了）", "韩先生"),
        # A surname spelt out through a compound one is no name; the agent's title is.
        ("坐席：您贵姓？\n市民：我姓诸，诸葛的诸，就一个字。\n坐席：好的诸师傅。", "诸师傅"),
    ],
)
def test_corrected_characters_full_names_and_signatures(transcript: str, name: str) -> None:
    found = find_caller_name(split_turns(transcript))
    assert found is not None and found[0] == name


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        # Names whose surname is not listed, after 「我叫」; 「我叫人来修」 is none.
        ("市民：我叫阿依古丽，电话13900001111。", "阿依古丽"),
        ("市民：我叫楼晓燕，住在江北。", "楼晓燕"),
        # A stuttered surname; a signature by a familiar form before the phone.
        ("坐席：请问姓名？\n市民：我叫田……田志强。", "田志强"),
        ("水管漏了三天。\n留言：老樊 13900001111", "老樊"),
        # Signatures with a role before the name, or words and a number after it.
        ("路灯坏了。\n请尽快修。\n——江湾社区居民 危建华 13900001111", "危建华"),
        ("路灯坏了。\n请尽快修。\n桥西社区业主 汪美玲", "汪美玲"),
        ("路灯坏了。\n请尽快修。\n孟晓雪 微信同手机号 13900001111", "孟晓雪"),
    ],
)
def test_unlisted_surnames_stutters_and_familiar_signatures(transcript: str, name: str) -> None:
    found = find_caller_name(split_turns(transcript))
    assert found is not None and found[0] == name
    assert transcript[found[1] : found[2]] == name


def test_a_one_character_given_name_told_after_the_surname() -> None:
    transcript = "坐席：您是欧阳先生？\n市民：不是，就姓阳，阳光的阳，单名一个明。"
    found = find_caller_name(split_turns(transcript))
    assert found is not None and found[0] == "阳明"


@pytest.mark.parametrize(
    "transcript", ["市民：我叫人来修，修不好。", "市民：我叫了他几声，没人应。"]
)
def test_what_follows_jiao_in_a_phrase_is_no_name(transcript: str) -> None:
    assert find_caller_name(split_turns(transcript)) is None


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        ("坐席：您贵姓？\n市民：你叫我老孔就行……还是写全名吧，孔德明，孔子的孔。", "孔德明"),
        ("坐席：您怎么称呼？\n市民：我姓岳，岳飞的岳，岳小红……哦不，岳小虹，小红是我妹。",
         "岳小虹"),
        ("坐席：您贵姓？\n市民：谢谢您！我姓逄，走之旁一个逢，逄雪。\n坐席：逄女士，好的。",
         "逄雪"),
        ("坐席：请问您怎么称呼？\n市民：额叫郝建国，电话一八六，五七九一，二七七〇。", "郝建国"),
        ("市民：我是村里的出纳，木子李，李春生。\n坐席：李先生，电话多少？", "李春生"),
        ("门口堆满了垃圾。\n请尽快清理。\n留言人：上官燕（复姓上官）\n联系电话：176 5790 5548",
         "上官燕"),
        ("路灯坏了一个月。\n联系人：朴志勋（留学生） 电话：13657946605", "朴志勋"),
        ("坐席：您怎么称呼？\n市民：叫我阿明就行，电话一八六，零零五七，九二二零。", "阿明"),
        ("坐席：您怎么称呼？\n市民：侬叫我钱阿姨好了，电话 139 0571 6628。", "钱阿姨"),  # Wu 侬
        ("市民：我是南门社区的退役军人，叫禹卫东，大禹的禹。", "禹卫东"),  # spelt 「X…的X」
        ("市民：我是地方文史爱好者，复姓濮阳，濮阳明远。", "濮阳明远"),  # a declared compound
        ("坐席：怎么称呼？\n市民：你叫我黎太就得啦。", "黎太"),  # Cantonese Mrs
        ("坐席：怎么称呼？\n市民：你叫我巫生得啦，巫师嘅巫。", "巫生"),  # Cantonese Mr
        ("公园北段没有一个公厕。\n能不能加一个？\n老吕", "老吕"),
        ("人才补贴拖了十五个月。\n希望给个明确时间。\n容博 18868127741", "容博"),
        ("坐席：怎么称呼？\n市民：你叫我容生得啦。", "容生"),  # a surname not listed, titled
        ("坐席：您怎么称呼？\n市民：我姓敖，你叫我敖嫂子就要得。", "敖嫂子"),
        ("市民：我姓盘，盘子的盘，村里都叫我盘大娘。电话就不用了。", "盘大娘"),
        # Compound surnames said twice, or called compound after.
        ("市民：我是做外墙涂料的小包工头。\n市民：我姓淳于，淳于国栋。", "淳于国栋"),
        ("坐席：您贵姓？\n市民：我姓左丘，复姓，左丘明那个左丘。叫左丘红梅。", "左丘红梅"),
        ("市民：我复姓西门，西门庆的西门——唉，这个名字说出来不好听——叫西门小芸。", "西门小芸"),
        # The character corrected, spelt, then the name again.
        ("市民：我叫严丽平……不对，萍，草字头的萍，严丽萍。", "严丽萍"),
        ("门口的健身房关门跑路了。\n程程（真名程诺），请在平台回复", "程诺"),
        ("坐席：您贵姓？\n市民：你叫我老粟就要得，粟米的粟。", "老粟"),
        # A surname not listed, which the agent then uses with a title.
        ("坐席：怎么称呼？\n市民：初晓雯。电话一八六，五七一三，零二七五。\n坐席：好的初女士。",
         "初晓雯"),
        ("想用公积金付房租，需要什么材料？\n亓官雨桐  微信同号13588217604", "亓官雨桐"),
        ("坐席：怎么称呼？\n市民：我姓尚……不对不对，瞧我这嘴，商场的商，商振东。", "商振东"),
        ("市民：我是溪头镇中学的老师，叫郎建华。\n坐席：郎老师，联系电话？", "郎建华"),
        ("市民：我是哈萨克族，叫努尔兰，去年从新疆过来上班。", "努尔兰"),
        ("市民：你好，我叫Kevin……哦，中文名钱凯文。", "钱凯文"),
        ("扣了我一千五。\n服务员 小蔡 微信同号15168127702", "小蔡"),
        ("工地扬尘。\n软件园打工人 小鹿 15857127733", "小鹿"),
        ("市民：阮叫林月娥，请你们帮阮谢谢伊。", "林月娥"),  # Minnan 阮: I
        ("市民：我姓阮，阮家的阮，叫阮金水。", "阮金水"),  # and 阮 the surname
        ("市民：我姓欧，不是欧阳，就叫欧雅琪。\n坐席：好的欧女士。", "欧雅琪"),
        ("找到了外公。\n上海游客周敏 021-5566 8899", "周敏"),
        ("请表扬小郁。\n郑宇轩（Eric） 国内联系电话：138 5719 6620（我姐姐）", "郑宇轩"),
        ("市民：我叫Coco……唔系，写陈可欣。", "陈可欣"),
        ("市民：我叫欧阳……嗯，欧阳子萱。", "欧阳子萱"),
    ],
)
def test_names_after_a_change_of_mind_a_radical_a_signers_label_or_a_dialect_title(
    transcript: str, name: str
) -> None:
    found = find_caller_name(split_turns(transcript))
    assert found is not None and found[0] == name
    assert transcript[found[1] : found[2]] == name


@pytest.mark.parametrize(
    "transcript",
    [
        "市民：村口电线杆上的电线垂下来了。\n坐席：您贵姓？\n市民：姓沈，电话13567302418。",
        "市民：我是高山村的村主任，姓屠。\n坐席：电话？\n市民：13575902614。",
        "路灯坏了一个月。\n电话 13575902614",
    ],
)
def test_words_that_repeat_a_character_and_contact_lines_are_no_names(transcript: str) -> None:
    assert find_caller_name(split_turns(transcript)) is None


def test_declared_surnames_need_no_new_patterns() -> None:
    # Compiling the patterns costs ~20 ms: a caller's own surname must not trigger it.
    from nlu.caller import _patterns

    for transcript in ("市民：我姓容，容易的容，容女士", "市民：我叫相卫东，相声的相",
                       "市民：复姓濮阳，濮阳明远", "市民：上官敏，上下的上，官员的官"):
        find_caller_name(split_turns(transcript))
    assert _patterns.cache_info().currsize == 1


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        # A Latin name with the Chinese one after it in brackets.
        ("食堂饭菜里吃出了虫子。\n请学校查一下。\nKevin Li（李浩然），电话13900001111", "李浩然"),
        # The name a writer goes by, after what they are; a role before a declared name.
        ("公园的健身器材坏了。\n希望修一修。\n每天来锻炼的 小滕", "小滕"),
        ("公园的健身器材坏了。\n希望修一修。\n晨练队员代表 老骆 短信联系13900001111", "老骆"),
        # A contact line last: the name is on the line before it.
        ("小区门口路灯坏了。\n请尽快修。\n3幢居民代表 欧阳文\n联系电话：0579 8600 1234", "欧阳文"),
        # Hakka 「就系了」 after the title the caller wants.
        ("坐席：您怎么称呼？\n市民：你喊涯钟阿伯就系了。", "钟阿伯"),
        # A nickname after the full name does not replace it.
        ("坐席：您怎么称呼？\n市民：滕志远，叫我老滕就行。", "滕志远"),
        # A signature after a dash on the message's last line; a nickname with the full name
        # in brackets, the phone right after.
        ("网约车绕路。\n麻烦交通部门查一下。——詹若琳 18868031756", "詹若琳"),
        ("厂里工资只发了一半。\n房租都交不起。\n小宋（宋晓峰）15157926602", "宋晓峰"),
        # What the writer is, then a familiar form; the contact line below.
        ("医院门口天天堵车。\n请疏导。\n一个天天堵在这里的司机 老弥\n电话 0579-8832 6609", "老弥"),
        ("电竞酒店半夜吵。\n请管一管。\n星光社区12幢 阿伟\n微信同号 13588019276", "阿伟"),
        # A familiar form or a Cantonese title alone; a contact line in traditional characters.
        ("门诊慢特病怎么申请？\n请给予答复。\n老伦", "老伦"),
        ("押金唔肯退。\n麻烦帮手处理。\n劳生\n電話 139 2580 1164", "劳生"),
        # A name not listed after what the writer is, above a contact line or a bare number.
        ("残疾证换证太难。\n能不能上门办理？\n手语翻译 禄小芳\n手机：135-7902-4416", "禄小芳"),
        ("施教区划得太远。\n希望重新考虑。\n永和社区 一位准一年级家长 杞女士\n13758021946",
         "杞女士"),
    ],
)
def test_aliases_nicknames_and_signatures_above_a_contact_line(transcript: str, name: str) -> None:
    found = find_caller_name(split_turns(transcript))
    assert found is not None and found[0] == name
    assert transcript[found[1] : found[2]] == name


@pytest.mark.parametrize(
    "transcript",
    [
        "坐席：您贵姓？\n市民：我是宁波人，来这边打工的。",  # where the caller is from
        "路灯坏了。\n请修一下。\n豆豆妈 13900001111",  # a child's mother, no name
        "路灯坏了。\n请修一下。\n一位着急的家长 电话 139 0000 1111",
    ],
)
def test_home_towns_kin_nicknames_and_contact_words_are_no_names(transcript: str) -> None:
    assert find_caller_name(split_turns(transcript)) is None
