"""Address normalisation: what a caller says, matched to the city's districts, streets,
communities and landmarks.

``normalise_address`` finds every place name in the text (full names, aliases, names with a
colloquial suffix such as 小区/路/苑, and names with one wrong, missing or swapped
character), then picks the administrative chain that most mentions agree on. A landmark or
community alone implies its street and district; a mention that contradicts the chosen
chain lowers the confidence instead of winning. A place the caller takes back
(「……不对，是柳巷社区」) and the places a trip went to (its complaint is where it began) are
left out. House numbers and building details stay in ``raw`` but take no part in matching.

The lookup index is built once per :class:`~kg.gazetteer.Gazetteer` and cached on that
object, so a call costs a few dictionary lookups per character (well under 1 ms on the
demo city) and the module itself keeps no state between calls.
"""

from __future__ import annotations

import logging
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field

from kg.gazetteer import Gazetteer, GazetteerEntry

log = logging.getLogger(__name__)

MatchKind = Literal["name", "alias", "variant", "fuzzy"]

# Words that say "some place" but never which one: never matched on their own.
GENERIC_WORDS = frozenset({
    "市", "区", "县", "镇", "乡", "村", "路", "街", "巷", "苑", "园",
    "社区", "小区", "街道", "新村", "花园", "公园", "医院", "学校", "市场", "广场", "中心",
    "大道", "车站", "地铁站", "门口", "附近", "本地", "城区", "市区",
})
# Official suffix of a level -> the colloquial suffixes a caller may use instead.
_VARIANTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "district": (("区", "县"), ("区", "县")),
    "street": (("街道", "镇", "乡"), ("街道", "镇", "乡", "街办", "街")),
    "community": (("社区", "村"), ("社区", "小区", "村", "苑", "花园", "路", "街")),
}
_ROAD_SUFFIXES = ("路", "街")
_QUALITY: dict[MatchKind, float] = {"name": 1.0, "alias": 0.95, "variant": 0.9, "fuzzy": 0.7}
_ROAD_QUALITY = 0.8
_FUZZY_SUPPORT = 0.8
# Characters that, typed in place of a name's character, mean the text is not that name
# (「我家小区」 is not 「杨家小区」).
_FUNCTION_CHARS = frozenset("我你他她它们的这那本该咱某各每此其个在到去是了说有就都也和与跟住")
_DEPTH_BASE = {1: 0.6, 2: 0.75, 3: 0.85, 4: 0.85}

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_BREAK = re.compile(
    r"[\s，。！？；、,.!?;:：“”\"'‘’（）()\[\]【】<>《》~～…]+"
    r"|我家住在|家住在|住在|家住|位于|地址是|地址在|地址|就在|我在|在|到|去|是|于"
)
_SUFFIX = (
    r"(?:街道|社区|小区|大道|新村|花园|公园|广场|中心|医院|学校|中学|小学|市场|菜场|大桥|公寓"
    r"|景区|园区|站|市|区|县|镇|乡|村|路(?!灯)|街|巷|弄|苑|府|湾|城|园|桥|馆|院)"
)
_NUMBER = r"[0-9一二三四五六七八九十百零〇两]+"
_DETAIL = rf"(?:{_NUMBER}(?:号楼|号院|号|栋|幢|单元|室|楼|层|弄|巷|期|排|组)|[A-Za-z]\d*座)"
_ADDRESS = re.compile(
    rf"(?:[\u4e00-\u9fff0-9]{{0,8}}?{_SUFFIX}{_DETAIL}*)+(?:\d+(?:室|号)?)?"
)
# A bare name before a word of position (「在文庙那边」, 「北湖附近」) is said as a place too.
_POSITION = r"那边|这边|那头|这头|那儿|这儿|那块|那一带|一带|附近|旁边|门口|对面"
_LOCATIVE = re.compile(rf"[\u4e00-\u9fff]{{2,6}}?(?={_POSITION})")
# A place name said right before a word of position (「区实小门口」) is a place said as one.
_AT_POSITION = re.compile(_POSITION)
# A place where paperwork is to be done (「在市民中心办」, 「去政务大厅办理」) is not where the
# problem is (ingest/demo/data/CALLS.md); 「在万象汇办的卡」 names where a card was bought.
# 「去过一趟市民中心，排了一上午，窗口讲…」: a window in the same sentence marks it too.
# After the city's short name, a life in the city rather than a place in it.
_CITY_LIFE = re.compile(
    r"(?:工作|创业|发展|定居|落户|生活|来|做嘢|做事|上班|打工|[一二两三四五六七八九十几]年"
    r"|的(?:退休|居民|职工|政策|人才)|的?(?:医保|社保|户口|公积金))"
)
# 「现在回滨江了」, 「调到滨江」: moving to the city, not a place in it.
_TO_CITY = re.compile(r"(?:回|回到|来到|搬到|调到|调回)$")
_CARE = re.compile(r"医|卫生院|诊所")
# After a place, the caller working or studying there.
_AFFILIATION = re.compile(
    r"(?:上班|工作|教[\u4e00-\u9fff]{0,3}(?=[，,。！!]|$)|读书|上学"
    # 「在市博物馆做讲解员」, 「软件园一家公司的HR」.
    r"|做[\u4e00-\u9fff]{1,3}员(?=[，,。！!]|$)"
    r"|的(?:学生|老师|员工|职工)|[\u4e00-\u9fff]{2,6}?的(?:HR|人事|会计)(?=[，,。！!]|$))"
)
_PAPERWORK = re.compile(
    r"(?:那边|这边|那里|这里|现场)?(?:办理|办(?![了的过事]))|[^。！？!?]{0,12}?窗口"
    # 「骑到白沙街道那个上牌点」.
    r"|(?:那个|那边的?|的)?(?:上牌点|办证点|办事点)"
)
# A trip (「在北站打的车，去世纪城」): its complaint is where it began (CALLS.md), so the places
# it went to or through are not the address.
_TRIP = re.compile(r"(?:打|叫|坐|上|拦)了?(?:个|辆|一辆)?(?:的|车|出租车?|网约车|滴滴|120|救护车)"
                   r"|从[^，。,]{1,15}?(?:拉|送|开|坐|走)到")
# 「在老火车站门口上的大巴」: where the trip was boarded is its origin, said outright.
_BOARDED = re.compile(
    r"(?:门口|那边|这边|站)?(?:集合)?(?:上的车|上的大巴|上了车|上车|坐上|出发|发车)")
# 「湖滨路」, 「石桥大道」: a road named like a place is a road. Road names do not change where
# a street or community said outright puts a call (CALLS.md).
_ROAD = re.compile(r"路|大道|大街")
# 「人才公寓南门」: a gate of the place before it.
_GATE = re.compile(r"[东南西北]门")
_GATED = re.compile(r"(?:学校|小区|公园|医院|厂|校)$")
# Words that follow an estate's name (「雅苑小区」).
_ESTATE_WORDS = frozenset({"小区", "社区", "花园", "新村", "公寓"})
_OUR = re.compile(r"(?:我们|咱们|俺们|咱|本)$")
_TOWARDS = re.compile(r"(?:去|到|往|开往|前往|绕到|经过|途经)(?:了|的是)?$")
# 「……不对，是柳巷社区」: the caller takes back a place said just before.
_CORRECTION = re.compile(r"不对|错了|不是不是")
_CORRECTION_REACH = 20  # characters between a correction and the places it concerns
_FILLERS = ("那个", "就是", "这个", "我们", "我家", "咱们", "他们", "这边", "那边",
            "嗯", "啊", "呃", "哦", "那", "这", "的")


class AddressEvidence(BaseModel):
    """One place name found in the text and the gazetteer entry it was read as."""

    surface: str = Field(description="the text as written")
    start: int
    end: int
    matched: str = Field(description="the gazetteer form it matched (name, alias or variant)")
    how: MatchKind
    distance: int = 0
    entry_id: str
    entry_name: str
    level: str
    used: bool = Field(description="whether the chosen address agrees with this reading")


class AddressMatch(BaseModel):
    """A normalised address: the span, the administrative chain, and how sure we are."""

    raw: str
    district: str | None = None
    district_id: str | None = None
    street: str | None = None
    street_id: str | None = None
    community: str | None = None
    community_id: str | None = None
    landmark: str | None = None
    landmark_id: str | None = None
    confidence: float = Field(default=0.0, ge=0.0, le=1.0)
    conflict: bool = False
    ambiguous: bool = False
    evidence: list[AddressEvidence] = Field(default_factory=list)

    def ticket_address(self) -> dict[str, str | float | None]:
        """The ``address`` object of a Ticket: raw, district, street, community, confidence."""
        return {
            "raw": self.raw,
            "district": self.district,
            "street": self.street,
            "community": self.community,
            "confidence": self.confidence,
        }


# -- the index ------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Form:
    """One searchable form of an entry."""

    text: str
    entry: GazetteerEntry
    how: MatchKind
    quality: float


@dataclass
class _Index:
    exact: dict[str, list[_Form]] = field(default_factory=dict)
    lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)  # by first character
    fuzzy: dict[str, list[_Form]] = field(default_factory=dict)
    fuzzy_lengths: dict[str, frozenset[int]] = field(default_factory=dict)
    city_names: frozenset[str] = frozenset()  # the city's names without 「市」 (「滨江」)


def _variants(entry: GazetteerEntry) -> Iterable[tuple[str, float]]:
    """Forms with a colloquial suffix: 滨江区→滨江县, 城南街道→城南镇, 春晓社区→春晓小区/春晓路."""
    if entry.level not in _VARIANTS:
        return
    official, colloquial = _VARIANTS[entry.level]
    stems = set()
    for text in entry.surfaces:
        stem = next((text[: -len(s)] for s in official if text.endswith(s)), text)
        if len(stem) >= 2 and stem not in GENERIC_WORDS:
            stems.add(stem)
    for stem in sorted(stems):
        yield stem, _QUALITY["alias"]
        for suffix in colloquial:
            yield stem + suffix, _ROAD_QUALITY if suffix in _ROAD_SUFFIXES else _QUALITY["variant"]


def _deletions(text: str) -> set[str]:
    return {text[:i] + text[i + 1 :] for i in range(len(text))}


def _build_index(gazetteer: Gazetteer) -> _Index:
    """Every name, alias and variant by text, and a one-deletion index for fuzzy matching."""
    index = _Index(city_names=frozenset(
        entry.name.removesuffix("市") for entry in gazetteer.at_level("city")))
    exact: dict[str, list[_Form]] = defaultdict(list)
    for entry in gazetteer.entries:
        for position, text in enumerate(entry.surfaces):
            if len(text) >= 2 and text not in GENERIC_WORDS:
                how: MatchKind = "name" if position == 0 else "alias"
                exact[text].append(_Form(text, entry, how, _QUALITY[how]))
    official = set(exact)
    for entry in gazetteer.entries:
        for text, quality in _variants(entry):
            forms = exact[text]
            if text not in official and all(f.entry.id != entry.id for f in forms):
                forms.append(_Form(text, entry, "variant", quality))
    index.exact = dict(exact)
    by_first: dict[str, set[int]] = defaultdict(set)
    for text in exact:
        by_first[text[0]].add(len(text))
    index.lengths = {char: tuple(sorted(ns, reverse=True)) for char, ns in by_first.items()}
    fuzzy: dict[str, list[_Form]] = defaultdict(list)
    lengths: dict[str, set[int]] = defaultdict(set)
    for text, forms in index.exact.items():
        if len(text) < 3:
            continue
        # Fuzzy matching only against official names and aliases: one edit away from a
        # made-up variant (南山县城镇) is too far from anything a caller said.
        for form in (f for f in forms if f.how != "variant"):
            for key in {text} | _deletions(text):
                fuzzy[key].append(form)
        lengths[text[-1]].update((len(text) - 1, len(text), len(text) + 1))
    index.fuzzy = dict(fuzzy)
    index.fuzzy_lengths = {char: frozenset(n for n in ns if n >= 3) for char, ns in lengths.items()}
    log.debug("address index: %d forms, %d fuzzy keys", len(index.exact), len(index.fuzzy))
    return index


def _index(gazetteer: Gazetteer) -> _Index:
    return gazetteer.derived("nlu.address.index", _build_index)


# -- finding mentions ---------------------------------------------------------------------
@dataclass
class _Mention:
    start: int
    end: int
    forms: list[tuple[_Form, int]]  # (form, edit distance)

    @property
    def fuzzy(self) -> bool:
        return all(distance > 0 for _, distance in self.forms)


def _osa_distance(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbouring characters as one edit."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _normalise_text(text: str) -> str:
    """Full-width digits, letters and spaces to ASCII, one character for one, so offsets
    found in the folded text are offsets in the original."""
    return text.translate(_FULL_WIDTH)


def _exact_mentions(text: str, index: _Index) -> list[_Mention]:
    mentions = []
    for start, char in enumerate(text):
        for length in index.lengths.get(char, ()):
            forms = index.exact.get(text[start : start + length])
            if forms and start + length <= len(text):
                mentions.append(_Mention(start, start + length, [(f, 0) for f in forms]))
    return mentions


def _fuzzy_ok(window: str, form: _Form) -> bool:
    """One edit away, same last character, and no function word typed into a short name."""
    text = form.text
    if text in window or text[-1] != window[-1] or abs(len(text) - len(window)) > 1:
        return False
    if len(window) < 4 and (len(window) != len(text) or window[1:] in GENERIC_WORDS):
        # 「大医院」 is not 「县医院」: a short window sharing only a generic word is no name.
        return False
    if len(text) <= 5 and any(c in _FUNCTION_CHARS and c not in text for c in window):
        return False
    return _osa_distance(window, text) == 1


def _covered(text: str, exact: list[_Mention]) -> list[int]:
    """For each character, the length of the longest exact mention over it (0 if none)."""
    longest = [0] * len(text)
    for mention in exact:
        for position in range(mention.start, mention.end):
            longest[position] = max(longest[position], mention.end - mention.start)
    return longest


def _fuzzy_mentions(text: str, index: _Index, exact: list[_Mention]) -> list[_Mention]:
    """Windows ending like a name and one edit away from it. A window that overlaps an exact
    mention about as long as itself is skipped: the exact reading explains that text."""
    longest = _covered(text, exact)
    mentions = []
    for end in range(3, len(text) + 1):
        for length in index.fuzzy_lengths.get(text[end - 1], ()):
            start = end - length
            if start < 0 or max(longest[start:end]) >= length - 1:
                continue
            window = text[start:end]
            if window in index.exact or _CJK.fullmatch(window) is None:
                continue
            found: dict[str, _Form] = {}
            for key in {window} | _deletions(window):
                for form in index.fuzzy.get(key, ()):
                    if form.entry.id not in found and _fuzzy_ok(window, form):
                        found[form.entry.id] = form
            if found:
                mentions.append(_Mention(start, end, [(f, 1) for f in _closest(window, found)]))
    return mentions


def _common_suffix(a: str, b: str) -> int:
    length = 0
    while length < min(len(a), len(b)) and a[-1 - length] == b[-1 - length]:
        length += 1
    return length


def _closest(window: str, found: dict[str, _Form]) -> list[_Form]:
    """The fuzzy readings that share the longest ending with the window: 「滨江公园」 is
    rather 「江滨公园」 (a park) than 「滨江花园」 (a housing estate)."""
    forms = list(found.values())
    best = max(_common_suffix(window, f.text) for f in forms)
    return [f for f in forms if _common_suffix(window, f.text) == best]


def _overlaps(a: _Mention, b: _Mention) -> bool:
    return a.start < b.end and b.start < a.end


def _select_mentions(text: str, exact: list[_Mention], fuzzy: list[_Mention]) -> list[_Mention]:
    """Drop fuzzy readings that an exact one explains, then mentions inside longer ones.

    An exact name followed by a word for a housing estate explains a fuzzy reading of both:
    「雅苑小区」 is the estate 雅苑, not 翠苑小区 misheard.
    """
    kept_fuzzy: list[_Mention] = []
    for mention in sorted(fuzzy, key=lambda m: (m.start - m.end, m.start)):
        length = mention.end - mention.start
        ids = {form.entry.id for form, _ in mention.forms}
        if any(
            _overlaps(mention, e)
            and (e.end - e.start >= length - 1 or ids & {f.entry.id for f, _ in e.forms}
                 or (e.start == mention.start and text[e.end:mention.end] in _ESTATE_WORDS))
            for e in exact
        ):
            continue
        if not any(_overlaps(mention, k) for k in kept_fuzzy):
            kept_fuzzy.append(mention)
    kept: list[_Mention] = []
    for mention in sorted(exact + kept_fuzzy, key=lambda m: (m.start - m.end, m.start)):
        inside = any(
            k.start <= mention.start and mention.end <= k.end and k.end - k.start
            > mention.end - mention.start for k in kept
        )
        if not inside:
            kept.append(mention)
    for mention in kept:
        mention.forms = _collapse(mention.forms)
    return sorted(kept, key=lambda m: m.start)


def _is_ancestor(a: GazetteerEntry, b: GazetteerEntry) -> bool:
    """Whether ``a`` lies above ``b`` in the administrative chain."""
    if a.depth >= b.depth:
        return False
    if a.level == "city":
        return True
    chain = {"district": b.district_id, "street": b.street_id, "community": b.community_id}
    return chain.get(a.level) == a.id


def _covers(a: GazetteerEntry, b: GazetteerEntry) -> bool:
    """``a`` is ``b`` or one of its ancestors."""
    return a.id == b.id or _is_ancestor(a, b)


def _collapse(forms: list[tuple[_Form, int]]) -> list[tuple[_Form, int]]:
    """One reading per entry; an alias shared down one chain (鼓楼 street and community) means
    the higher place, since the lower one would claim more than was said."""
    best: dict[str, tuple[_Form, int]] = {}
    for form, distance in forms:
        current = best.get(form.entry.id)
        if current is None or form.quality > current[0].quality:
            best[form.entry.id] = (form, distance)
    entries = [f.entry for f, _ in best.values()]
    return [
        (form, distance)
        for form, distance in best.values()
        if not any(_is_ancestor(other, form.entry) for other in entries)
    ]


# -- choosing the chain ---------------------------------------------------------------------
@dataclass
class _Choice:
    district_id: str | None = None
    street_id: str | None = None
    community_id: str | None = None
    landmark_id: str | None = None
    winners: list[GazetteerEntry] = field(default_factory=list)
    support: float = 0.0
    conflict: bool = False
    ambiguous: bool = False


def _support(mention: _Mention, target: GazetteerEntry) -> float:
    weights = [
        _FUZZY_SUPPORT if distance else 1.0
        for form, distance in mention.forms
        if _covers(form.entry, target)
    ]
    return max(weights, default=0.0)


def _common_chain(entries: list[GazetteerEntry]) -> _Choice:
    """The part of the chain that all ``entries`` share (all of it for one entry)."""
    choice = _Choice()
    for level in ("district_id", "street_id", "community_id"):
        values = {getattr(e, level) for e in entries}
        if len(values) != 1:
            break
        setattr(choice, level, values.pop())
    if len(entries) == 1 and entries[0].level == "landmark":
        choice.landmark_id = entries[0].id
    return choice


def _torn(
    mentions: list[_Mention], winners: list[GazetteerEntry], top: list[GazetteerEntry]
) -> bool:
    """Whether one mention reads as a winner and, just as well, as an equally supported
    place in another chain (a name shared by two districts): the choice is then a guess.
    Two mentions that contradict each other are a conflict, not this."""
    rivals = [e for e in top if not any(_covers(e, w) for w in winners)]
    for mention in mentions:
        entries = [form.entry for form, _ in mention.forms]
        for winner in winners:
            if any(_covers(e, winner) for e in entries) and any(
                _covers(e, rival) and not _covers(e, winner) for e in entries for rival in rivals
            ):
                return True
    return False


def _choose(mentions: list[_Mention]) -> _Choice | None:
    """The entry most mentions agree with (deepest on a tie); None without a place below
    the city. Several equally supported entries in different chains keep only what they
    share and mark the choice ambiguous."""
    candidates = {
        form.entry.id: form.entry
        for mention in mentions
        for form, _ in mention.forms
        if form.entry.level != "city"
    }
    if not candidates:
        return None
    scored = [(sum(_support(m, e) for m in mentions), e) for e in candidates.values()]
    best = max(score for score, _ in scored)
    top = [e for score, e in scored if score >= best - 1e-9]
    deepest = max(e.depth for e in top)
    winners = _written_out([e for e in top if e.depth == deepest], mentions)
    choice = _common_chain(winners)
    choice.winners = winners
    choice.support = best
    choice.ambiguous = len(winners) > 1 or _torn(mentions, winners, top)
    choice.conflict = any(
        all(_support(m, w) == 0.0 for w in winners) for m in mentions
    )
    return choice


def _written_out(winners: list[GazetteerEntry], mentions: list[_Mention]) -> list[GazetteerEntry]:
    """Of equally supported places, the one written out after its own district or street
    (「临湖区湖西镇沈家村」, not the 「湖西村」 a navigator went to), or else the one said by
    its full name (「青湖荷花社区」: 荷花社区, not the lake's 青湖), when only one is."""
    if len(winners) < 2:
        return winners
    chained = [
        winner for winner in winners
        if any(
            any(form.entry.id == winner.id for form, _ in mention.forms)
            and any(
                0 <= mention.start - before.end <= 1
                and any(_is_ancestor(form.entry, winner) for form, _ in before.forms)
                for before in mentions
            )
            for mention in mentions
        )
    ]
    if len(chained) == 1:
        return chained
    by_name = [
        winner for winner in winners
        if any(form.entry.id == winner.id and form.how == "name"
               for mention in mentions for form, _ in mention.forms)
    ]
    return by_name if len(by_name) == 1 else winners


def _corrected(text: str, mentions: list[_Mention]) -> list[_Mention]:
    """Mentions less the places the caller takes back (「西门社区……不对，是柳巷社区」): a
    place said shortly before 「不对」 or 「错了」 that the first place said after contradicts."""
    dropped: set[int] = set()
    for correction in _CORRECTION.finditer(text):
        replacement = next((m for m in mentions
                            if 0 <= m.start - correction.end() <= _CORRECTION_REACH), None)
        for index, mention in enumerate(mentions):
            if (replacement is not None
                    and 0 <= correction.start() - mention.end <= _CORRECTION_REACH
                    and not _same_chain(mention, replacement)):
                dropped.add(index)
    # Said again later, a place taken back is somewhere else (「柳巷那边是我儿子家」).
    taken_back = {form.entry.id for index in dropped for form, _ in mentions[index].forms}
    return [
        m for index, m in enumerate(mentions)
        if index not in dropped and not (
            taken_back and all(form.entry.id in taken_back for form, _ in m.forms)
        )
    ]


def _off_roads(text: str, mentions: list[_Mention]) -> list[_Mention]:
    """The mentions less roads' names (「湖滨路」, 「石桥」 before 「路」) that a street,
    community or landmark said outright contradicts (「永和社区石桥路」) or that are named for
    the street said (「湖滨街道湖滨路」). A road on the chain of what was said narrows it
    (「长河街道槐树路」, 「老城区府前路」)."""
    roads = [m for m in mentions if _is_road(text, m)]
    places = [m for m in mentions if m not in roads and any(
        form.entry.level not in ("city", "district") for form, _ in m.forms)]
    return [
        m for m in mentions
        if m not in roads or not any(
            not _same_chain(m, place)
            or text[place.start:place.end].startswith(_ROAD.sub("", text[m.start:m.end]))
            for place in places
        )
    ]


def _is_road(text: str, mention: _Mention) -> bool:
    """Whether a mention is the name of a road (「沿江大道」, 「湖滨路」)."""
    return bool(_ROAD.match(text, mention.end)
                or _ROAD.search(text, max(0, mention.end - 2), mention.end))


def _paperwork(text: str, mention: _Mention) -> bool:
    """Whether a mention is a hall visited for a service (「市民中心……窗口说材料不齐」); a
    hospital's window (「到县医院了，想挂个专家号，窗口说……」) is the hospital's own doing."""
    return bool(_PAPERWORK.match(text, mention.end)) and not _CARE.search(
        text, mention.start, mention.end)


def _the_city(text: str, mention: _Mention, index: _Index) -> bool:
    """Whether a mention is the city said by its short name (「在我们滨江交的医保」), which a
    district may share as its alias: 「我们」 before it makes it the caller's city, and so
    do moving there (「现在回滨江了」) and living, working or belonging there (「引进到滨江工作」,
    「滨江的退休职工」)."""
    return text[mention.start:mention.end] in index.city_names and bool(
        _OUR.search(text, max(0, mention.start - 2), mention.start)
        or _TO_CITY.search(text, max(0, mention.start - 2), mention.start)
        or _CITY_LIFE.match(text, mention.end)
    )


def _gates_dropped(text: str, mentions: list[_Mention]) -> list[_Mention]:
    """The mentions less a gate said right after a place (「人才公寓南门外面」 is that
    place's south gate, not 南门社区), or right after a school, estate or park not named
    (「我们学校南门对过」)."""
    return [
        m for m in mentions
        if not (_GATE.fullmatch(text, m.start, m.end) and (
            any(k.end == m.start for k in mentions) or _GATED.search(text, 0, m.start)))
    ]


def _trip_origin(text: str, mentions: list[_Mention]) -> list[_Mention]:
    """In a trip, the place it was boarded at, or else the mentions less the places it went
    to or through, when a place is left."""
    if not _TRIP.search(text):
        return mentions
    if boarded := [m for m in mentions if _BOARDED.match(text, m.end)]:
        return boarded[:1]
    left: list[_Mention] = []
    towards_end = -2  # where the last place gone to ends: 「去滨江区世纪城」 is one place
    for m in sorted(mentions, key=lambda m: m.start):
        if m.start - towards_end <= 1 or _TOWARDS.search(text, max(0, m.start - 4), m.start):
            towards_end = m.end
        else:
            left.append(m)
    return left or mentions


def _without_affiliations(text: str, mentions: list[_Mention]) -> list[_Mention]:
    """The mentions less the places the caller works or studies at (「在软件园上班」,
    「在云谷学校教英语」, 「我是滨江职院的学生」), when another place is left: who the caller
    is, not where the problem is."""
    left = [m for m in mentions if not _AFFILIATION.match(text, m.end)]
    return left or mentions


def _same_chain(a: _Mention, b: _Mention) -> bool:
    """Whether some reading of ``a`` and some reading of ``b`` lie on one chain."""
    return any(
        _covers(x.entry, y.entry) or _covers(y.entry, x.entry)
        for x, _ in a.forms for y, _ in b.forms
    )


def _confidence(choice: _Choice, mentions: list[_Mention], in_span: bool) -> float:
    depth = 4 if choice.landmark_id else 3 if choice.community_id else 2 if choice.street_id else 1
    if not choice.district_id:
        return 0.1
    used = [m for m in mentions if any(_support(m, w) > 0 for w in choice.winners)]
    confidence = _DEPTH_BASE[depth] + min(0.1, 0.05 * (len(used) - 1))
    forms = [form for m in used for form, _ in m.forms]
    confidence *= math.sqrt(min((form.quality for form in forms), default=1.0))
    if any(m.fuzzy for m in used):
        confidence *= 0.85
    if choice.conflict:
        confidence = min(0.6, confidence * len(used) / len(mentions))
    if choice.ambiguous:
        confidence *= 0.7
    if not in_span and all(m.end - m.start <= 2 for m in used):
        # Only two-character aliases in running text (「和平」, 「一中」): may be chatter.
        confidence *= 0.6
    return round(max(0.0, min(1.0, confidence)), 3)


# -- spans --------------------------------------------------------------------------------
def _trim_fillers(text: str, start: int, end: int) -> int:
    changed = True
    while changed:
        changed = False
        for filler in _FILLERS:
            if text.startswith(filler, start) and end - start > len(filler):
                start += len(filler)
                changed = True
    return start


def find_address_spans(text: str) -> list[tuple[int, int]]:
    """Candidate address spans ``(start, end)`` in one transcript line, left to right.

    A pattern finder that needs no gazetteer: the text is cut at punctuation and at words
    that introduce a place (在, 住在, 位于, 地址是 …), and each piece keeps its longest run
    of name-plus-suffix units (…区, …街道, …社区, …路, …小区) with the house number and
    building details after it; a piece without one keeps a bare name said before a word of
    position (「文庙那边」). It errs towards recall; matching decides what is a place.
    """
    text = _normalise_text(text)
    spans: list[tuple[int, int]] = []
    position = 0
    pieces = []
    for cut in _BREAK.finditer(text):
        pieces.append((position, cut.start()))
        position = cut.end()
    pieces.append((position, len(text)))
    for piece_start, piece_end in pieces:
        found_here = [*_ADDRESS.finditer(text, piece_start, piece_end)]
        if not found_here:
            found_here = [*_LOCATIVE.finditer(text, piece_start, piece_end)]
        for found in found_here:
            start = _trim_fillers(text, found.start(), found.end())
            if text[start : found.end()] not in GENERIC_WORDS and found.end() - start >= 2:
                spans.append((start, found.end()))
    return spans


# -- the entry point ------------------------------------------------------------------------
def _evidence(text: str, mentions: list[_Mention], choice: _Choice | None) -> list[AddressEvidence]:
    evidence = []
    winners = choice.winners if choice else []
    for mention in mentions:
        for form, distance in mention.forms:
            evidence.append(
                AddressEvidence(
                    surface=text[mention.start : mention.end],
                    start=mention.start,
                    end=mention.end,
                    matched=form.text,
                    how="fuzzy" if distance else form.how,
                    distance=distance,
                    entry_id=form.entry.id,
                    entry_name=form.entry.name,
                    level=form.entry.level,
                    used=any(_covers(form.entry, w) for w in winners),
                )
            )
    return evidence


_TRAILING_DETAIL = re.compile(rf"{_DETAIL}*(?:\d+(?:室|号)?)?")
_MAX_GAP = 2
_PUNCTUATION = re.compile(r"[^\w\s]")


def _clusters(
    text: str,
    mentions: list[_Mention],
    spans: list[tuple[int, int]],
    winners: list[GazetteerEntry],
) -> list[list[_Mention]]:
    """Mentions grouped into runs: in one span, or at most two characters apart with no
    punctuation between them (a comma is fine between two that agree with the address)."""
    clusters: list[list[_Mention]] = []
    for mention in sorted(mentions, key=lambda m: m.start):
        if clusters:
            last = clusters[-1][-1]
            same_span = any(s[0] < last.end and mention.start < s[1] for s in spans)
            gap = text[last.end : mention.start]
            agree = all(any(_support(m, w) > 0 for w in winners) for m in (last, mention))
            if same_span or (len(gap) <= _MAX_GAP and (agree or not _PUNCTUATION.search(gap))):
                clusters[-1].append(mention)
                continue
        clusters.append([mention])
    return clusters


def _raw(
    text: str,
    spans: list[tuple[int, int]],
    mentions: list[_Mention],
    winners: list[GazetteerEntry],
) -> str:
    """The address as written: the run of mentions that best supports the chosen address,
    widened to the spans it touches and the house number after it; else the first span;
    else the whole text."""
    if not mentions:
        return text[spans[0][0] : spans[0][1]] if spans else text.strip()
    cluster = max(
        _clusters(text, mentions, spans, winners),
        key=lambda run: sum(_support(m, w) > 0 for m in run for w in winners),
    )
    start, end = cluster[0].start, max(m.end for m in cluster)
    touching = [s for s in spans if s[0] < end and start < s[1]]
    if touching:
        start, end = min(start, *(s[0] for s in touching)), max(end, *(s[1] for s in touching))
    detail = _TRAILING_DETAIL.match(text, end)
    if detail:
        end = detail.end()
    return text[start:end]


def _mentions_in_spans(
    mentions: list[_Mention], spans: list[tuple[int, int]]
) -> list[_Mention]:
    """Mentions inside an address span or running on from one (「滨江区鼓楼」: the finder
    sees 「滨江区」, 「鼓楼」 follows it directly)."""
    reach = [list(span) for span in spans]
    inside: list[_Mention] = []
    for mention in mentions:
        for span in reach:
            if span[0] <= mention.end and mention.start <= span[1]:
                span[0], span[1] = min(span[0], mention.start), max(span[1], mention.end)
                inside.append(mention)
                break
    return inside


def normalise_address(text: str, gazetteer: Gazetteer) -> AddressMatch:
    """Match the address in ``text`` (a transcript line or an address) to the gazetteer.

    Returns the district, street and community (names and ids, None when unknown), the
    landmark when one was used, a confidence in [0, 1] (0 when no place was found) and the
    evidence for each reading. When the pattern finder sees address spans that contain
    place names, only those are used, so that chatter elsewhere in the line cannot win.
    """
    folded = _normalise_text(text)
    index = _index(gazetteer)
    exact = _exact_mentions(folded, index)
    mentions = [
        m for m in _select_mentions(folded, exact, _fuzzy_mentions(folded, index, exact))
        if not _paperwork(folded, m) and not _the_city(folded, m, index)
    ]
    for narrow in (_gates_dropped, _off_roads, _corrected, _trip_origin, _without_affiliations):
        mentions = narrow(folded, mentions)
    spans = find_address_spans(folded)
    spanned = _mentions_in_spans(mentions, spans)
    in_spans = [m for m in mentions if m in spanned or _AT_POSITION.match(folded, m.end)]
    # A road found as the address span does not silence a place named along it
    # (「沿江大道往东信方向那段」).
    if in_spans and not all(_is_road(folded, m) for m in in_spans):
        mentions = in_spans
    choice = _choose(mentions)
    evidence = _evidence(text, mentions, choice)
    if choice is None:
        return AddressMatch(
            raw=_raw(text, spans, mentions, []),
            confidence=0.1 if mentions else 0.0,
            evidence=evidence,
        )
    return _build_match(text, gazetteer, choice, mentions, spans, bool(in_spans), evidence)


def _build_match(
    text: str,
    gazetteer: Gazetteer,
    choice: _Choice,
    mentions: list[_Mention],
    spans: list[tuple[int, int]],
    in_span: bool,
    evidence: list[AddressEvidence],
) -> AddressMatch:
    district = gazetteer.get(choice.district_id)
    street = gazetteer.get(choice.street_id)
    community = gazetteer.get(choice.community_id)
    landmark = gazetteer.get(choice.landmark_id)
    return AddressMatch(
        raw=_raw(text, spans, mentions, choice.winners),
        district=district.name if district else None,
        district_id=choice.district_id,
        street=street.name if street else None,
        street_id=choice.street_id,
        community=community.name if community else None,
        community_id=choice.community_id,
        landmark=landmark.name if landmark else None,
        landmark_id=choice.landmark_id,
        confidence=_confidence(choice, mentions, in_span),
        conflict=choice.conflict,
        ambiguous=choice.ambiguous,
        evidence=evidence,
    )
