"""Reply evaluation: the LCS and ROUGE-L, the scores, and a tiny held-out run."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime

import pytest

from bots.reply_evaluation import (
    evaluate_held_out,
    lcs_length,
    rouge_l,
    score_replies,
    scoring_text,
)
from kg.ontology import CITY_TIMEZONE
from kg.ticket import Ticket
from retrieval.encoder import load_encoder
from retrieval.past_cases import PastCase


def _table_lcs(a: str, b: str) -> int:
    row = [0] * (len(b) + 1)
    for char in a:
        previous = 0
        for j, other in enumerate(b):
            previous, row[j + 1] = row[j + 1], (
                previous + 1 if char == other else max(row[j + 1], row[j]))
    return row[-1]


def test_lcs_matches_the_textbook_table() -> None:
    rng = random.Random(3)
    for _ in range(500):
        a = "".join(rng.choice("路灯坏了ab") for _ in range(rng.randint(0, 40)))
        b = "".join(rng.choice("路灯坏了ab") for _ in range(rng.randint(0, 40)))
        assert lcs_length(a, b) == _table_lcs(a, b), (a, b)
    assert lcs_length("路灯已修复", "路灯修好了") == 3
    assert lcs_length("", "路灯") == 0


def test_rouge_l_over_characters() -> None:
    same = rouge_l("路灯已经修好", "路灯已经修好")
    assert (same.precision, same.recall, same.f1) == (1.0, 1.0, 1.0)
    half = rouge_l("路灯[1]", "路灯已修复")  # the citation mark is not scored
    assert half.precision == 1.0 and half.recall == pytest.approx(2 / 5)
    assert half.f1 == pytest.approx(2 * 0.4 / 1.4)
    assert rouge_l("", "路灯").f1 == 0.0 and rouge_l("abc", "路灯").f1 == 0.0
    assert scoring_text("您好， 路灯[12]\n已修") == "您好，路灯已修"


def test_score_replies() -> None:
    encoder = load_encoder()
    scores = score_replies(["路灯已经修好了。", "幼儿园收费已备案。"],
                           ["路灯已经修好了。", "路灯已经修好了。"], encoder)
    assert scores.cases == 2 and 0.5 < scores.semantic < 1.0
    assert scores.rouge_l_f1 == pytest.approx((1.0 + 0.0) / 2, abs=0.2)
    with pytest.raises(ValueError):
        score_replies([], [], encoder)


def test_a_small_held_out_run() -> None:
    topics = [("路灯坏了", "路灯已修复。"), ("施工噪音扰民", "已责令停止夜间施工。"),
              ("幼儿园收费高", "收费已备案。"), ("公交站点太远", "已增设站点。")]
    cases = [PastCase(id=f"{t}{i}", title=f"{title}{i}", detail=f"{title}，请尽快处理。",
                      reply=f"网友：您好！现回复如下：{reply}感谢您的支持。")
             for i in range(5) for t, (title, reply) in enumerate(topics)]
    when = datetime(2019, 6, 1, tzinfo=CITY_TIMEZONE)

    def draft(texts: Sequence[str]) -> list[Ticket]:
        return [Ticket(id=f"T{i}", call_time=when, summary=text[:20])
                for i, text in enumerate(texts)]

    report = evaluate_held_out(cases, load_encoder(), draft, held_out=0.2, seed=1)
    assert report.indexed_cases == 16 and report.held_out_cases == 4
    assert report.judge == report.encoder  # no judge given: the retrieval encoder scores
    assert set(report.suggestions) >= {"template", "template_no_case_quote"}
    for scores in (*report.suggestions.values(), report.nearest_case_reply):
        assert scores.cases == 4 and 0 <= scores.rouge_l_f1 <= 1
    assert report.case_quoted["template_always_case_quote"] == 1.0
    assert report.case_quoted["template_no_case_quote"] == 0.0
    assert report.nearest_case_reply.rouge_l_f1 > report.unrelated_reply.rouge_l_f1
