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

from kg.entity_records import read_entity_records
from kg.mentions import Candidate, Mention
from kg.store import GraphStore
from nlu.entity_resolution import EntityResolver, MentionKind

MAX_AGE_S = 30.0
_KINDS: tuple[MentionKind, ...] = ("company", "fund")
_CUTS = re.compile(
    r"[的是和与跟及或又还都了吗呢吧谁哪几在从往给对把被向]|哪些|多少|什么|一共|总共|帮我|"
    r"查一下|看看|请问|发行|发了|投了|买了|管着|控制|持有|担保|股东|法人|产品|基金|公司|企业|"
    r"账户|情况|对比|比较|一下|分别|各自|怎么样|有没有|注册|登记|成立|名下|旗下|下面|以外|"
    r"高管|董事|监事|经理|职务|行长|总裁|主席|秘书|任职|投资人|投资者|管理人|控制人|实控人|代表人|"
    r"担保人|出资人|利率|额度|规模|收益|状态|期限|资本|地址|电话|行业|金额|比例|风险|事件|街道|区县")
_MIN, _MAX = 2, 10
_READ: weakref.WeakKeyDictionary[GraphStore, tuple[float, EntityResolver]] = (
    weakref.WeakKeyDictionary())


def resolver_of(store: GraphStore) -> EntityResolver:
    """The graph's entity resolver, read again when the copy at hand is older than
    :data:`MAX_AGE_S` (new entities are known within half a minute)."""
    now = time.monotonic()
    held = _READ.get(store)
    if held is None or now - held[0] > MAX_AGE_S:
        held = (now, EntityResolver(read_entity_records(store)))
        _READ[store] = held
    return held[1]


def abbreviated_mentions(text: str, mentions: list[Mention], resolver: EntityResolver
                         ) -> list[Mention]:
    """Mentions of shortened names in the stretches of ``text`` that ``mentions`` leave
    uncovered, each naming exactly one company, fund or product."""
    covered = [False] * len(text)
    for mention in mentions:
        covered[mention.start:mention.end] = [True] * (mention.end - mention.start)
    found = []
    start = 0
    for cut in [*_CUTS.finditer(text), None]:
        end = cut.start() if cut else len(text)
        stretch = text[start:end]
        if (_MIN <= len(stretch) <= _MAX and not any(covered[start:end])
                and (candidate := _one_entity(stretch, resolver)) is not None):
            found.append(Mention(text=stretch, start=start, end=end, candidates=[candidate]))
        start = cut.end() if cut else len(text)
    return found


def _one_entity(stretch: str, resolver: EntityResolver) -> Candidate | None:
    resolved = [found for kind in _KINDS
                if (found := resolver.resolve(stretch, kind).id) is not None]
    if len(resolved) != 1:
        return None
    record = resolver.records[resolved[0]]
    label = "Company" if record.label == "Bank" else record.label
    return Candidate(id=record.id, name=record.name, label=label)
