"""The mechanical checks on LLM text: numbers, citations, language, length."""

from __future__ import annotations

from bots.guardrails import citations, numbers_in, rewrite_problems, unsupported_numbers

DRAFT = "您好，您反映的路灯不亮问题[1]，由滨江区城管局负责，电话0571-8888123，3个工作日内处理[2]。"


def test_numbers_and_citations_are_read_as_written() -> None:
    assert numbers_in("年利率3.85%，电话0571-8888123") == {"3.85", "0571-8888123"}
    assert citations("先看[2]，再看[1]和[2]") == [2, 1]


def test_a_number_absent_from_the_sources_is_unsupported() -> None:
    assert unsupported_numbers("手续费5元，3个工作日", [DRAFT]) == ["5"]
    assert unsupported_numbers("手续费五元", [DRAFT]) == ["五元"]
    assert unsupported_numbers("3个工作日内处理", [DRAFT]) == []


def test_a_faithful_rewrite_passes() -> None:
    rewrite = ("您好！路灯不亮的情况[1]由滨江区城管局负责（电话0571-8888123），"
               "会在3个工作日内处理[2]。")
    assert rewrite_problems(rewrite, DRAFT) == []


def test_each_broken_rule_is_named() -> None:
    assert rewrite_problems("", DRAFT) == ["改写为空"]
    assert any("数字" in p for p in rewrite_problems("5个工作日内处理[1][2]。", DRAFT))
    assert "丢失了引用编号" in rewrite_problems("由城管局负责[1]。", DRAFT)
    assert "引用了原稿没有的编号" in rewrite_problems("由城管局负责[1][2][3]。", DRAFT)
    assert "改写不是中文" in rewrite_problems("The street light [1] [2] will be fixed.", DRAFT)
    assert "改写过长" in rewrite_problems("您好[1][2]" + "。" * 200 + "路灯", DRAFT)
    assert "改写照抄了提示语" in rewrite_problems("回复草稿：路灯由城管局负责[1][2]。", DRAFT)
    assert "改写没有说完" in rewrite_problems("路灯由城管局负责[1][2]，会在", DRAFT)
