"""Which graph entity a name in a text is: company abbreviations resolved, homonyms kept apart.

Companies are known by many names: the registered one (「滨江城市建设投资有限公司」), the
stored aliases (「滨江城投」), and the short forms a journalist writes without the city and
the legal form (「城投」, 「鼎盛置业」). A mention is resolved, in order, by its exact name or
alias, by its *key* (the name without place prefix and legal-form suffix), and by
abbreviation (the mention's characters in order within one company's key, starting with
its trade name). When several companies fit equally, nothing is resolved: two companies
that share a trade name (「恒信贸易」, 「恒信纺织」) are never merged by a guess.

Persons share names (three 张伟), so a person's name is resolved only when one person has
it, or when the sentence gives evidence that points to one of them: a company they are
tied to, their birth year, their district, the last digits of their ID number. Without
evidence the mention stays unresolved and says which persons it could be.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from kg.entity_records import EntityRecord

MentionKind = Literal["company", "fund", "person"]
_LABELS: dict[MentionKind, tuple[str, ...]] = {
    "company": ("Company", "Bank"), "fund": ("Fund", "Product"), "person": ("Person",)}
_PLACE_PREFIX = re.compile(r"^(?:滨江市|滨江|杭州市?|浙江省?|上海市?|北京市?|深圳市?)")
_LEGAL_SUFFIX = re.compile(
    r"(?:集团股份有限公司|集团有限公司|股份有限公司|有限责任公司|有限公司|集团|公司"
    r"|合伙企业[（(]有限合伙[）)]|合伙企业|私募投资基金|私募证券投资基金|私募基金|投资基金)$"
)
_NOISE = re.compile(r"[\s（）()“”\"'·]")
MIN_KEY = 2
MIN_TYPO_LENGTH = 8
_NUMERALS = set("零一二两三四五六七八九十百千万0123456789甲乙丙丁ABCDⅠⅡⅢ")
"""Company names this long or longer are read through one wrong character; persons never."""


class Resolution(BaseModel):
    """The entity a mention is (``id``), or None with the candidates and the reason."""

    mention: str
    id: str | None = None
    candidates: list[str] = Field(default_factory=list)
    reason: str


def company_key(name: str) -> str:
    """A company's name without spaces, place prefix and legal form (「滨江鼎盛置业有限公司」
    → 「鼎盛置业」), what abbreviations are made from."""
    key = _NOISE.sub("", name)
    key = _PLACE_PREFIX.sub("", key)
    for _ in range(2):  # 「…控股集团有限公司」: both 集团有限公司 and 集团 forms go
        key = _LEGAL_SUFFIX.sub("", key)
    return key


def _is_abbreviation(short: str, key: str) -> bool:
    """Whether ``short`` is made of ``key``'s characters in order, starting with its first
    (「城投」 of 「城市建设投资」), and with its whole trade name when ``short`` is longer than
    two characters (「宏达建设」 of 「宏达建设工程」, not of 「宏伟达建设」)."""
    if len(short) < MIN_KEY or len(short) > len(key) or short[0] != key[0]:
        return False
    if len(short) > MIN_KEY and short[:2] != key[:2]:
        return False
    rest = iter(key[1:])
    return all(ch in rest for ch in short[1:])


class EntityResolver:
    """Resolves mentions against the graph's companies, funds and persons."""

    def __init__(self, records: Iterable[EntityRecord]) -> None:
        """Index ``records`` by name, alias and key."""
        self.records = {r.id: r for r in records}
        self._names: dict[str, set[str]] = defaultdict(set)
        self._keys: dict[str, set[str]] = defaultdict(set)
        for record in self.records.values():
            for form in (record.name, *record.aliases):
                self._names[_NOISE.sub("", form)].add(record.id)
            if record.label != "Person":
                self._keys[company_key(record.name)].add(record.id)
                # an alias's key too (「国资运营公司」 → 国资运营), unless it is a bare trade
                # name (「恒信集团」 → 恒信), which several companies share
                for alias in record.aliases:
                    if len(key := company_key(alias)) > MIN_KEY:
                        self._keys[key].add(record.id)

    def resolve(self, mention: str, kind: MentionKind, context: str = "") -> Resolution:
        """The entity of ``kind`` that ``mention`` (in sentence ``context``) names."""
        labels = _LABELS[kind]
        text = _NOISE.sub("", mention)
        named = self._of(self._names.get(text, set()), labels)
        if kind == "person":
            return self._person(mention, named, context)
        if len(named) == 1:
            return Resolution(mention=mention, id=named[0], candidates=named, reason="名称或简称")
        key = company_key(text)
        keyed = self._of(self._keys.get(key, set()), labels) if len(key) >= MIN_KEY else []
        if len(keyed) == 1:
            return Resolution(mention=mention, id=keyed[0], candidates=keyed,
                              reason="去掉地名和组织形式后相同")
        if named or keyed:
            return Resolution(mention=mention, candidates=sorted(set(named) | set(keyed)),
                              reason="多个主体同名")
        shortened = sorted({i for k, ids in self._keys.items() if _is_abbreviation(key, k)
                            for i in self._of(ids, labels)})  # one company may have two keys
        if len(shortened) == 1:
            return Resolution(mention=mention, id=shortened[0], candidates=shortened,
                              reason="简称")
        if shortened:
            return Resolution(mention=mention, candidates=sorted(shortened),
                              reason="简称对应多个主体")
        misspelt = self._one_char_off(text, labels)
        if len(misspelt) == 1:
            return Resolution(mention=mention, id=misspelt[0], candidates=misspelt,
                              reason="与全称只差一个字（疑似错别字）")
        return Resolution(mention=mention, candidates=misspelt, reason="图谱中没有该主体")

    def _one_char_off(self, text: str, labels: tuple[str, ...]) -> list[str]:
        """Companies and funds whose name or alias differs from ``text`` in one character
        only, for names long enough that one wrong character is a typo, not another name."""
        if len(text) < MIN_TYPO_LENGTH:
            return []
        found = set()
        for form, ids in self._names.items():
            if len(form) != len(text):
                continue
            differ = [(a, b) for a, b in zip(form, text, strict=True) if a != b]
            # 「一号」 and 「二号」 are two products, not a typo.
            if len(differ) == 1 and not set(differ[0]) & _NUMERALS:
                found.update(self._of(ids, labels))
        return sorted(found)

    def _of(self, ids: Iterable[str], labels: tuple[str, ...]) -> list[str]:
        return sorted(i for i in ids if self.records[i].label in labels)

    def _person(self, mention: str, named: list[str], context: str) -> Resolution:
        if len(named) == 1:
            return Resolution(mention=mention, id=named[0], candidates=named, reason="姓名唯一")
        if not named:
            return Resolution(mention=mention, reason="图谱中没有该人员")
        scores = {i: self._evidence(self.records[i], context) for i in named}
        best = max(scores.values())
        top = [i for i, score in scores.items() if score == best]
        if best > 0 and len(top) == 1:
            return Resolution(mention=mention, id=top[0], candidates=named,
                              reason="同名人员，依据上下文中的关联企业、出生年份、地址或证件号区分")
        return Resolution(mention=mention, candidates=named,
                          reason=f"同名人员 {len(named)} 人，上下文不足以区分")

    @staticmethod
    def _evidence(record: EntityRecord, context: str) -> int:
        """How strongly ``context`` points to this person: each kind of evidence once."""
        score = 0
        if any(len(n) >= 2 and n in context for n in record.linked):
            score += 2
        if record.birth_year and str(record.birth_year) in context:
            score += 2
        if record.id_number and len(record.id_number) >= 4 and record.id_number[-4:] in context:
            score += 3
        if record.address and any(part in context for part in _address_parts(record.address)):
            score += 1
        return score


def _address_parts(address: str) -> list[str]:
    """The district and road of an address (「滨江市江北区红星路300号」→ 江北区, 红星路)."""
    return re.findall(r"[\u4e00-\u9fff]{2,4}(?:区|县|路|街|道)", address)
