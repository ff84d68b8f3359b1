"""Facts read from announcements, news and court notices: each relation, its value, its span,
and what is not a fact (planned, denied)."""

from __future__ import annotations

import pytest

from kg.entity_records import EntityRecord
from nlu.finance_extraction import FinanceExtractor, parse_amount, parse_ratio

EXTRACTOR = FinanceExtractor({"鼎盛集团": "company", "宏达建设": "company",
                              "聚鑫稳健收益一号": "fund"})


def _facts(text: str) -> list[tuple[str, str, str, float | str | None]]:
    return [(f.relation, f.subject.text, f.object.text if f.object else "",
             f.ratio or f.amount or f.event) for f in EXTRACTOR.extract(text, "D1")]


@pytest.mark.parametrize(("text", "expected"), [
    ("滨江鼎盛控股集团有限公司持有滨江鼎盛置业有限公司100%股权。",
     ("HOLDS_SHARES", "滨江鼎盛控股集团有限公司", "滨江鼎盛置业有限公司", 1.0)),
    ("滨江明远投资管理有限公司将所持滨江同德实业有限公司百分之三十五股权转让给杭州恒丰实业有限公司。",
     ("HOLDS_SHARES", "杭州恒丰实业有限公司", "滨江同德实业有限公司", 0.35)),
    ("公告称，滨江宏达建设工程有限公司为滨江凯旋建材有限公司提供3,000万元连带责任担保。",
     ("GUARANTEES", "滨江宏达建设工程有限公司", "滨江凯旋建材有限公司", 3000.0)),
    ("滨江茂源商贸有限公司的银行贷款由滨江隆昌钢结构有限公司提供人民币叁仟万元担保。",
     ("GUARANTEES", "滨江隆昌钢结构有限公司", "滨江茂源商贸有限公司", 3000.0)),
    ("滨江瑞丰纺织有限公司的法定代表人为李建华。",
     ("IS_LEGAL_REP", "李建华", "滨江瑞丰纺织有限公司", None)),
    ("鼎盛集团实际控制人周德明自4月初起失联。", ("CONTROLS", "周德明", "鼎盛集团", None)),
    ("鼎盛集团实际控制人周德明自4月初起失联。", ("RISK_EVENT", "周德明", "", "失联")),
    ("聚鑫稳健收益一号第3期出现延期兑付。", ("RISK_EVENT", "聚鑫稳健收益一号", "", "延期兑付")),
    ("经查，滨江鑫盛财富投资管理有限公司未在基金业协会登记，违规募集资金。",
     ("RISK_EVENT", "滨江鑫盛财富投资管理有限公司", "", "违规募集")),
    ("滨江恒信贸易有限公司被列为失信被执行人。",
     ("RISK_EVENT", "滨江恒信贸易有限公司", "", "失信被执行")),
])
def test_each_relation_is_read_with_its_value(
        text: str, expected: tuple[str, str, str, float | str | None]) -> None:
    assert expected in _facts(text)


@pytest.mark.parametrize("text", [
    "宏达建设拟为滨江茂源商贸有限公司提供2000万元担保。",
    "鼎盛集团公告称，公司与滨江凯旋建材有限公司之间不存在任何担保关系。",
    "滨江鼎盛置业有限公司否认实际控制人失联的传闻。",
    "滨江宏达建设工程有限公司今日召开年度股东大会。",
])
def test_planned_denied_and_plain_mentions_are_no_facts(text: str) -> None:
    assert _facts(text) == []


def test_a_fact_keeps_its_document_sentence_and_span() -> None:
    text = "据悉，市场平稳。滨江宏达建设工程有限公司为滨江凯旋建材有限公司提供500万元担保。"
    fact = EXTRACTOR.extract(text, "NEWS-7")[0]
    start, end = fact.span
    assert fact.document == "NEWS-7" and text[start:end] == fact.sentence
    assert fact.sentence.startswith("滨江宏达") and text[fact.subject.start:fact.subject.end] \
        == fact.subject.text


def test_values_in_their_many_spellings() -> None:
    assert parse_ratio("持股百分之四十") == 0.4 and parse_ratio("持股四成") == 0.4
    assert parse_ratio("持股40.5%") == 0.405 and parse_ratio("持股150%") is None
    assert parse_amount("0.3亿元") == 3000 and parse_amount("人民币叁仟万元") == 3000
    assert parse_amount("3,000万元") == 3000 and parse_amount("5000000元") == 500


def test_the_graphs_names_are_known_mentions() -> None:
    extractor = FinanceExtractor.from_records([
        EntityRecord(id="CO-1", label="Company", name="滨江城市建设投资有限公司",
                     aliases=["滨江城投"]),
        EntityRecord(id="P1", label="Person", name="周德明"),
    ])
    mentions = extractor.mentions("滨江城投董事长周德明表示")
    assert [(m.text, m.kind) for m in mentions] == [("滨江城投", "company"), ("周德明", "person")]
