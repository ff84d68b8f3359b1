"""What a citizen's message is, decided by rules over its words and the dialogue so far.

The embedded LLM is a tiny base model that can neither plan nor call tools reliably, so the
citizen bot never asks it what to do: every turn is classified here, deterministically and
in order of precedence — an attempt to subvert the bot first, then a danger to life, then
what the dialogue is waiting for (a yes or no, a missing detail), then the kind of message.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from bots.agents.citizen_state import DialogueState, Forbidden, Intent
from bots.tools.emergency_advice import EmergencyAdvice, life_danger
from kg.gazetteer import Gazetteer
from kg.ticket import TicketAddress
from nlu.address import normalise_address
from nlu.pii import find_phones
from nlu.sentiment import assess_sentiment
from nlu.urgency import assess_urgency

TICKET_ID = re.compile(r"(?<![0-9A-Za-z])[Tt](\d{14})-([0-9a-fA-F]{8})(?![0-9A-Za-z])")

_INJECTION = re.compile(
    r"忽略.{0,8}(指令|指示|提示|规则|设定|要求|限制)|无视.{0,8}(指令|规则|限制)"
    r"|ignore.{0,20}(instruction|prompt|rule)|system\s*prompt|jailbreak|越狱|提示词"
    r"|(你|您)(现在)?(是|扮演|作为|变成).{0,4}(管理员|开发者|系统|超级用户|root|admin)"
    r"|(管理员|开发者|调试|debug|sudo|上帝)模式|切换.{0,4}(角色|身份|模式)"
    r"|(列出|导出|显示|给我|告诉我|查看|打印|输出).{0,8}(所有|全部|其他人|别人|他人).{0,8}"
    r"(工单|电话|号码|信息|数据|记录|用户)"
    r"|调用.{0,12}(工具|函数|接口|tool|api|API)|执行.{0,8}(cypher|sql|代码|命令)|MATCH\s*\(",
    re.IGNORECASE,
)
# Requests turned down whoever asks, and however politely: another person's identity or
# contact (「是谁举报的」, 「他留的电话」), changing or deleting records, a certificate with
# dictated content; and abuse that asks for nothing.
_FORBIDDEN: tuple[tuple[Forbidden, re.Pattern[str]], ...] = (
    ("others_data", re.compile(
        r"(谁|哪个人?|哪位)(举报|投诉|反映|报警|打的电话)"
        r"|(投诉人|举报人|报警人|反映人|来电人|报案人|当事人)[^。？?！!]{0,12}"
        r"(电话|号码|手机|姓名|名字|是谁|身份|住址|信息)"
        r"|(他|她|别人|对方|邻居|人家)(留的|的)(电话|号码|手机|姓名|名字|住址|身份证)")),
    ("record_change", re.compile(
        r"(改成|改为|修改|删除|删掉|撤销|撤掉|注销).{0,10}(工单|状态|记录|数据)"
        r"|(工单|状态|记录|数据).{0,10}(改成|改为|删除|删掉)")),
    ("false_paper", re.compile(
        r"(开|出具|出|写)一?[张份个]?.{0,6}(证明|材料|发票).{0,12}(就写|写成|写上|填成|填上)"
        r"|伪造|造假|假证明|假材料|假发票")),
)
_ABUSE = re.compile(r"废物|摆设|饭桶|垃圾(政府|部门|东西)|傻[逼瓜]|混蛋|王八|去死|狗官|滚蛋")
_CANCEL = re.compile(r"取消|不报了|不反映了|不投诉了|算了|不用了|不需要了|不登记了")
_STATUS = re.compile(r"查询|查一下|查查|查下|进度|进展|办理(情况|结果)"
                     r"|处理(得|的)?(怎么样|情况|结果)|到哪一步|有没有(人)?(处理|回复)|状态"
                     r"|办好了吗|处理了吗")
_TICKET_WORD = re.compile(r"工单|投诉|反映的|诉求|单子|编号|报修")
# Yes, also in dialect: 「中」 (northern), 「要得」 (Sichuan), 「阔以」, 「好嘞」.
_YES = re.compile(r"^(是|是的|对|对的|没错|正确|确认|确定|提交|好|好的|可以|行|嗯|嗯嗯|中|要得|得行"
                  r"|成|好嘞|行嘞|阔以|ok|yes|y|没问题)(的|吧|啊|呀|了|嘛|哈|咯|撒|呗|无误|提交|确认"
                  r"|没问题)*$", re.IGNORECASE)
_NO = re.compile(r"^(不|不对|不是|错了|有误|不确认|修改|改一下|要改|等一下|先别|暂不|no|n)"
                 r"(对|是|的|吧|啊|了|提交|确认)*$", re.IGNORECASE)
_GREETING = re.compile(
    r"^(你好|您好|hi|hello|哈喽|嗨|在吗|在不在|喂|早上好|上午好|中午好|下午好|晚上好|有人吗|你是谁|"
    r"谢谢|多谢|感谢|谢了|辛苦了|好的谢谢|没有了|没事了|再见|拜拜|好的|知道了|明白了)+$",
    re.IGNORECASE,
)
_THANKS = re.compile(r"谢|辛苦|再见|拜拜|没有了|没事了|知道了|明白了|^好的?$")
_HANDOVER = re.compile(r"转人工|人工客服|人工服务|找人工|真人|人工坐席|接线员")
_QUESTION = re.compile(
    r"[？?]|怎么|怎样|如何|哪里|哪儿|哪个|哪些|哪家|什么|多少|多久|(?<![好十这前近过])几(天|个|点|号|月|年)"
    r"|能否|能不能|可不可以|可以.{0,12}吗|是否|吗$|吗[。，,]|呢$|请问|咨询|想问|问一下|问问"
    r"|需要.{0,8}(材料|条件|手续|证件)|流程|条件|标准|找谁"
)
_HOW = re.compile(r"怎么|如何|怎样|哪里|在哪|流程|方式|渠道|找谁|哪个部门|什么部门")
_FILE_REQUEST = re.compile(r"投诉|举报|报修|反映(一下|个|问题|情况)?|登记"
                           r"|帮我(报|登记|反映|处理|解决)|派人|来人|处理一下|解决一下"
                           r"|要求(处理|整改)")
_PROBLEM = re.compile(
    r"坏了|坏掉|损坏|破损|破了|不亮|灭了|漏水|渗水|滴水|堵(了|塞|住|死)|噪音|噪声|扰民|太吵|吵得|很吵"
    r"|臭|异味|乱(停|扔|倒|搭|贴|摆|收费|涨价)|占道|违建|违章|私搭|乱建|没人(管|修|处理|清理|来)"
    r"|不处理|不作为|停水|停电|断水|断电|没水|没电|积水|污水|油烟|垃圾.{0,6}(没人|满|堆|臭)"
    r"|拖欠|欠薪|欠.{0,4}工资|井盖|倒了|塌|裂缝|开裂|脏|施工|偷排|排污|堆放|杂物|故障|不通|失灵"
    r"|不给(退|办|修|赔)|被骗|爆了|爆管|淹了|毁了|发黄|变黄|铁锈|不敢喝"
)
_OFF_TOPIC = re.compile(
    r"天气|气温|下雨吗|股票|彩票|笑话|唱歌|唱首歌|写.{0,4}诗|作文|讲个故事|电影|游戏|星座|算命|"
    r"恋爱|男朋友|女朋友|翻译|写代码|编程|菜谱|做饭|教我做.{0,4}(菜|饭|肉|汤)|吃啥|吃什么好"
)
# Words that carry no problem: what is left when they are removed must say what is wrong.
_BOILERPLATE = re.compile(
    r"我要|我想|想要|想|要|投诉|举报|反映|报修|登记|一下|一个|个|问题|情况|事情|你好|您好|喂|请|帮我|"
    r"麻烦|工单|有|[^\u4e00-\u9fff]"
)
_NEGATED_PLACE = re.compile(r"(不是|不在)[^，,。；;！!？?]*")
_PUNCT = re.compile(r"[\s，,。.!！~～、;；:：…]+")
MIN_PROBLEM_CHARS = 3


class TurnSignals(BaseModel):
    """What a message contains, read once before it is classified."""

    phones: list[str] = Field(default_factory=list, description="phone numbers, in order")
    address: TicketAddress | None = Field(
        default=None, description="a place the message alone resolves to a street or community")
    ticket_ids: list[str] = Field(default_factory=list)
    danger: EmergencyAdvice | None = None
    urgent: bool = Field(default=False, description="the ticket NLU finds the message urgent")


def normalise_ticket_id(match: re.Match[str]) -> str:
    """A ticket id as stored: upper-case T, lower-case hash."""
    return f"T{match.group(1)}-{match.group(2).lower()}"


def drop_negated_places(text: str) -> str:
    """The text without the places it denies: 「不是长河社区，是鼓楼社区」 → 「，是鼓楼社区」."""
    return _NEGATED_PLACE.sub("", text)


def place_of(text: str, gazetteer: Gazetteer) -> TicketAddress | None:
    """The street or community the text names (a denied one, 「不是长河社区」, left out)."""
    match = normalise_address(drop_negated_places(text), gazetteer)
    if not (match.street_id or match.community_id):
        return None
    return TicketAddress(
        raw=match.raw, district=match.district, street=match.street, community=match.community,
        district_id=match.district_id, street_id=match.street_id,
        community_id=match.community_id, confidence=match.confidence,
    )


def read_signals(text: str, gazetteer: Gazetteer) -> TurnSignals:
    """Phones, a resolved place, ticket ids, a danger to life and urgency in ``text``."""
    ids = [normalise_ticket_id(m) for m in TICKET_ID.finditer(text)]
    rest = TICKET_ID.sub(" ", text)
    urgency = assess_urgency(rest)
    return TurnSignals(
        phones=[digits for digits, _, _ in find_phones(rest)],
        address=place_of(rest, gazetteer),
        ticket_ids=list(dict.fromkeys(ids)),
        danger=life_danger(rest, urgency),
        urgent=urgency.urgency == "紧急",
    )


def names_a_problem(text: str) -> bool:
    """Whether the text says what is wrong, not only that something is (「我要投诉」 does not)."""
    return len(_BOILERPLATE.sub("", text)) >= MIN_PROBLEM_CHARS or bool(_PROBLEM.search(text))


def is_question(text: str) -> bool:
    """Whether the text asks something (a question mark or a question word)."""
    return bool(_QUESTION.search(text))


def is_thanks(text: str) -> bool:
    """Whether a greeting-like message thanks or takes leave (「谢谢」) rather than opens."""
    return bool(_THANKS.search(_short(text)))


def _short(text: str) -> str:
    """The message without blanks and punctuation, for matching one-word answers."""
    return _PUNCT.sub("", text)


def _is_status_query(text: str, signals: TurnSignals) -> bool:
    return bool(signals.ticket_ids) or bool(_STATUS.search(text) and _TICKET_WORD.search(text))


def _in_report(text: str, state: DialogueState, signals: TurnSignals) -> Intent | None:
    """The intent of a message while a report waits for a yes/no or a detail, if it is one."""
    report = state.report
    word = _short(text)
    if report is not None and report.stage == "filed" and _YES.match(word):
        return "confirm_yes"  # a repeated or retried 「确认」: nothing more is filed
    if state.awaiting == "confirmation":
        if _YES.match(word):
            return "confirm_yes"
        if _NO.match(word):
            return "confirm_no"
    if state.awaiting not in ("confirmation", "correction", "problem", "address", "phone"):
        return None
    if _GREETING.match(word) or _HANDOVER.search(text):
        return None
    gives_detail = bool(signals.phones or signals.address or _PROBLEM.search(text))
    if is_question(text) and not gives_detail:
        return "service_question"
    return "slot_answer"


def forbidden(text: str) -> Forbidden | None:
    """Why the message asks what the bot must turn down, if it does: someone else's data, a
    change to the records, a certificate saying what the caller dictates, or abuse alone."""
    for reason, pattern in _FORBIDDEN:
        if pattern.search(text):
            return reason
    if _ABUSE.search(text) and not _PROBLEM.search(text) and not is_question(text):
        return "abuse"
    return None


def classify_turn(text: str, state: DialogueState, signals: TurnSignals) -> Intent:
    """The intent of one non-empty message, given the dialogue so far."""
    if _INJECTION.search(text):
        return "injection"
    if forbidden(text) is not None:
        return "forbidden"
    if signals.danger is not None:
        return "emergency"
    report_open = state.report is not None and state.report.stage != "filed"
    if report_open and _CANCEL.search(text) and not signals.phones:
        return "cancel"
    if _is_status_query(text, signals):
        return "status_query"
    if state.status_awaiting == "status_phone" and signals.phones:
        return "status_query"
    in_report = _in_report(text, state, signals)
    if in_report is not None:
        return in_report
    return _kind_of(text, signals)


def _kind_of(text: str, signals: TurnSignals) -> Intent:
    """The intent of a message that the dialogue's state does not decide."""
    if _HANDOVER.search(text):
        return "handover"
    if _GREETING.match(_short(text)):
        return "greeting"
    question = is_question(text)
    if _FILE_REQUEST.search(text) and not _HOW.search(text):
        return "problem_report"
    if _PROBLEM.search(text) and not question:
        return "problem_report"
    if _OFF_TOPIC.search(text):
        return "off_topic"
    if not question and (signals.urgent or assess_sentiment(text).sentiment == "负面"):
        return "problem_report"
    return "service_question"
