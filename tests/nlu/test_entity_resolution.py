"""Entity resolution: abbreviations resolved, same-trade-name companies and homonyms kept
apart unless the context tells them apart."""

from __future__ import annotations

import pytest

from kg.entity_records import EntityRecord
from nlu.entity_resolution import EntityResolver, company_key

RECORDS = [
    EntityRecord(id="CO-1", label="Company", name="滨江城市建设投资有限公司", aliases=["滨江城投"]),
    EntityRecord(id="CO-2", label="Company", name="滨江恒信贸易有限公司"),
    EntityRecord(id="CO-3", label="Company", name="滨江恒信纺织有限公司"),
    EntityRecord(id="CO-4", label="Company", name="滨江宏达建设工程有限公司"),
    EntityRecord(id="FD-1", label="Fund", name="聚鑫稳健收益一号私募投资基金"),
    EntityRecord(id="P1", label="Person", name="张伟", birth_year=1967,
                 linked=["滨江恒信贸易有限公司"], address="滨江市老城区鼓楼街道府前社区",
                 id_number="330100196701011234"),
    EntityRecord(id="P2", label="Person", name="张伟", birth_year=1976, linked=["宏达建设"],
                 address="滨江市高新区临港街道"),
    EntityRecord(id="P3", label="Person", name="周德明"),
]
RESOLVER = EntityResolver(RECORDS)


@pytest.mark.parametrize(("mention", "kind", "context", "expected"), [
    ("滨江城市建设投资有限公司", "company", "", "CO-1"),
    ("滨江城投", "company", "", "CO-1"),
    ("城投", "company", "", "CO-1"),
    ("滨江城市建设投资股份有限公司", "company", "", "CO-1"),
    ("宏达建设", "company", "", "CO-4"),
    ("恒信贸易", "company", "", "CO-2"),
    ("恒信纺织", "company", "", "CO-3"),
    ("恒信", "company", "", None),                      # two companies share the trade name
    ("恒达建设", "company", "", None),                  # a different company
    ("杭州恒丰实业有限公司", "company", "", None),
    ("聚鑫稳健收益一号", "fund", "", "FD-1"),
    ("周德明", "person", "", "P3"),
    ("张伟", "person", "张伟表示将配合调查", None),      # a homonym without evidence
    ("张伟", "person", "滨江恒信贸易有限公司法定代表人张伟", "P1"),
    ("张伟", "person", "宏达建设股东张伟（1976年出生）", "P2"),
    ("张伟", "person", "张伟，身份证号末四位1234", "P1"),
    ("李四", "person", "", None),
    ("滨江城投", "person", "", None),                   # a company is not a person
])
def test_mentions_resolve_or_abstain(mention: str, kind: str, context: str,
                                     expected: str | None) -> None:
    resolution = RESOLVER.resolve(mention, kind, context)  # type: ignore[arg-type]
    assert resolution.id == expected, resolution
    if expected is None and mention == "张伟":
        assert resolution.candidates == ["P1", "P2"] and "同名" in resolution.reason


def test_company_key_drops_place_and_legal_form() -> None:
    assert company_key("滨江鼎盛控股集团有限公司") == "鼎盛控股"
    assert company_key("杭州 恒丰实业（集团）有限公司") == "恒丰实业"


def test_one_wrong_character_in_a_long_name_is_read_as_a_typo_but_not_a_number() -> None:
    resolver = EntityResolver([
        *RECORDS, EntityRecord(id="PR-1", label="Product", name="鑫盛财富优选一号")])
    assert resolver.resolve("滨江城市建设投资有线公司", "company").id == "CO-1"
    assert resolver.resolve("鑫盛财富优选二号", "fund").id is None
    assert resolver.resolve("张卫", "person").id is None


def test_an_aliases_key_resolves_but_a_bare_trade_name_alias_does_not_merge() -> None:
    resolver = EntityResolver([
        EntityRecord(id="CO-9", label="Company", name="滨江国有资本运营有限公司",
                     aliases=["国资运营公司"]),
        EntityRecord(id="CO-10", label="Company", name="滨江华晟电子科技股份有限公司",
                     aliases=["华晟电子公司"]),
        EntityRecord(id="CO-2", label="Company", name="滨江恒信贸易有限公司", aliases=["恒信公司"]),
        EntityRecord(id="CO-3", label="Company", name="滨江恒信纺织有限公司"),
    ])
    assert resolver.resolve("国资运营", "company").id == "CO-9"
    # two keys of one company count once when shortened further
    assert resolver.resolve("华晟", "company").id == "CO-10"
    assert resolver.resolve("恒信", "company").id is None
