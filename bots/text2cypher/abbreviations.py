"""Names a question gives in a shortened form that no stored name, alias or short form
covers: 「城投」 for 「滨江城市建设投资有限公司」, 「聚鑫第3期」 for 「聚鑫稳健收益一号第3期」.

The stretches of the question that no mention covers are cut at function words (的, 和, 了,
哪些 …) and at the register's own words (高管, 利率, 规模 …); each stretch is resolved by
:class:`nlu.entity_resolution.EntityResolver` as a company and as a fund or product, and kept
only when exactly one entity fits (an abbreviation, the name without place and legal form, or
one wrong character). Two companies that share a trade name are never guessed between.
"""

from __future__ import annotations

import re
import time
import weakref

from kg.entity_records import EntityRecord, read_entity_records
from kg.mentions import Candidate, Mention
from kg.store import GraphStore
from nlu.entity_resolution import EntityResolver, MentionKind, company_key

MAX_AGE_S = 30.0
_KINDS: tuple[MentionKind, ...] = ("company", "fund")
_CUTS = re.compile(
    r"[的是和与跟及或又还都了吗呢吧谁哪几在从往给对把被向比]|哪些|多少|什么|一共|总共|帮我|"
    r"查一下|看看|请问|发行|发了|投了|买了|管着|控制|持有|担保|股东|法人|产品|基金|公司|企业|"
    r"账户|情况|对比|比较|一下|分别|各自|怎么样|有没有|注册|登记|成立|名下|旗下|下面|以外|"
    r"高管|董事|监事|经理|职务|行长|总裁|主席|秘书|任职|投资人|投资者|管理人|控制人|实控人|代表人|"
    r"担保人|出资人|利率|额度|规模|收益|状态|期限|资本|地址|电话|行业|金额|比例|风险|事件|街道|区县")
_SINGLE_CUT = re.compile(r"[的是和与跟及或又还都了吗呢吧谁哪几在从往给对把被向比]")
"""Function characters a name may still hold (「三和咨询」): spans may cross them."""
_MIN, _MAX = 2, 10
_READ: weakref.WeakKeyDictionary[GraphStore, tuple[float, ShortNames]] = (
    weakref.WeakKeyDictionary())


class ShortNames:
    """The graph's entity resolver and how its companies', funds' and products' names and
    keys begin, so only spans that could be one of them are resolved."""

    def __init__(self, records: list[EntityRecord], events: list[Candidate] | None = None
                 ) -> None:
        """Index ``records`` (persons are never resolved from a shortened form) and the risk
        events' names (``events``)."""
        self.resolver = EntityResolver(records)
        self.events = events or []
        forms = [form for r in records if r.label != "Person"
                 for name in (r.name, *r.aliases) for form in (name, company_key(name))]
        self.heads = {form[:2] for form in forms if len(form) >= 2}
        self.firsts = {form[:1] for form in forms if form}

    def could_start(self, span: str) -> bool:
        """Whether a name, alias or key begins as ``span`` does (its first two characters, or
        its first for a two-character span)."""
        return (span[:1] in self.firsts) if len(span) == _MIN else span[:2] in self.heads


def short_names_of(store: GraphStore) -> ShortNames:
    """The graph's short-name resolver, read again when the copy at hand is older than
    :data:`MAX_AGE_S` (new entities are known within half a minute)."""
    now = time.monotonic()
    held = _READ.get(store)
    if held is None or now - held[0] > MAX_AGE_S:
        events = [Candidate(id=r["id"], name=r["name"], label="RiskEvent") for r in store.read(
            "MATCH (e:RiskEvent) WHERE e.name IS NOT NULL RETURN e.id AS id, e.name AS name")]
        held = (now, ShortNames(read_entity_records(store), events))
        _READ[store] = held
    return held[1]


def abbreviated_mentions(text: str, mentions: list[Mention], names: ShortNames,
                         blocked: list[str]) -> list[Mention]:
    """Mentions of shortened names in the stretches of ``text`` that ``mentions`` leave
    uncovered, each naming exactly one company, fund or product. Spans never take in the
    register's own words (``blocked``: values such as 「创业投资基金」, and 高管, 利率 …)."""
    closed = [False] * len(text)
    for mention in mentions:
        closed[mention.start:mention.end] = [True] * (mention.end - mention.start)
    cuts = list(_CUTS.finditer(text))
    for cut in cuts:
        if not _SINGLE_CUT.fullmatch(cut.group(0)):
            closed[cut.start():cut.end()] = [True] * (cut.end() - cut.start())
    for word in blocked:
        for at in (m.start() for m in re.finditer(re.escape(word), text)):
            closed[at:at + len(word)] = [True] * len(word)
    starts = [0, *(cut.end() for cut in cuts)]
    ends = {cut.start() for cut in cuts} | {len(text)}
    found: list[Mention] = []
    reached = 0
    for start in starts:
        if start < reached or start >= len(text) or closed[start]:
            continue
        limit = start
        while limit < min(len(text), start + _MAX) and not closed[limit]:
            limit += 1
        if (named := _leading_name(text, start, limit, ends, names)) is not None:
            found.append(named)
            reached = named.end
    return found


def _leading_name(text: str, start: int, limit: int, ends: set[int], names: ShortNames
                  ) -> Mention | None:
    """The longest span from ``start`` (three characters or more, or a two-character stretch
    between cuts) that names exactly one entity: 「三和咨询」 in 「跟三和咨询留的」, across the
    和 a name may hold."""
    for stop in range(limit, start + _MIN - 1, -1):
        span = text[start:stop]
        if (stop - start == _MIN and stop not in ends) or not names.could_start(span):
            continue
        if (candidate := _one_entity(span, names.resolver)) is not None:
            return Mention(text=span, start=start, end=stop, candidates=[candidate])
    return None


def _one_entity(stretch: str, resolver: EntityResolver) -> Candidate | None:
    resolved = [found for kind in _KINDS
                if (found := resolver.resolve(stretch, kind).id) is not None]
    if len(resolved) != 1:
        return None
    record = resolver.records[resolved[0]]
    label = "Company" if record.label == "Bank" else record.label
    return Candidate(id=record.id, name=record.name, label=label)


_EVENT_POINTER = re.compile(
    r"那件事|这件事|那个案子|这个案子|那个事|这个事|那起|这起|那个事件|这个事件|事件|案子|一案|一事|案")
_EVENT_MIN = 4


_PARTY_EVENT = re.compile(
    rf"的?(?:那个|那起|这起)?(?P<word>[一-龥]{{2,6}}?)(?:{_EVENT_POINTER.pattern})")
"""After a party's name: the word of one of its events (「周德明的失联事件」)."""


def event_mentions(text: str, mentions: list[Mention], names: ShortNames) -> list[Mention]:
    """``mentions`` with a risk event named by the beginning of its name and a pointer
    (「白沙汽配失信那件事」 for 「白沙汽配失信被执行」, 「鑫盛财富虚假私募那个案子」), or by a
    party and a word of its name (「周德明的失联事件」), in place of the mentions it covers; one
    event only, never a guess between two."""
    for event in names.events:
        for size in range(len(event.name) - 1, _EVENT_MIN - 1, -1):
            at = text.find(event.name[:size])
            if at < 0 or not _EVENT_POINTER.match(text, at + size):
                continue
            if sum(e.name.startswith(event.name[:size]) for e in names.events) != 1:
                break
            kept = [m for m in mentions if m.end <= at or m.start >= at + size]
            named = Mention(text=event.name[:size], start=at, end=at + size, candidates=[event])
            return sorted([*kept, named], key=lambda m: m.start)
    for party in mentions:
        said = _PARTY_EVENT.match(text, party.end)
        if said is None:
            continue
        events = [e for e in names.events if party.text in e.name and said.group("word") in e.name]
        if len(events) == 1:
            kept = [m for m in mentions if m.end <= party.start or m.start >= said.end()]
            named = Mention(text=text[party.start:said.end("word")], start=party.start,
                            end=said.end("word"), candidates=events)
            return sorted([*kept, named], key=lambda m: m.start)
    return mentions
