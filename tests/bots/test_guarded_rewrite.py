"""One guarded rewrite for every bot: kept, rejected with its reasons, or the original when
the LLM is missing or fails."""

from __future__ import annotations

from collections.abc import Sequence

from bots.guarded_rewrite import guarded_rewrite
from bots.llm import ChatTurn, LLMAnswer
from kg.errors import LLMUnavailableError

ORIGINAL = "公租房申请须家庭人均月收入低于2000元[1]。"


class _Fixed:
    def __init__(self, answer: str | Exception) -> None:
        self.answer = answer
        self.turns: list[ChatTurn] = []

    def complete(self, turns: Sequence[ChatTurn]) -> LLMAnswer:
        self.turns = list(turns)
        if isinstance(self.answer, Exception):
            raise self.answer
        return LLMAnswer(text=self.answer, model="fixed", first_token_s=0.0, total_s=0.0,
                         pieces=1)


def test_each_outcome_of_a_rewrite() -> None:
    good = _Fixed("您好，家庭人均月收入低于2000元的可以申请公租房[1]。")
    kept = guarded_rewrite(good, "系统", "原文：" + ORIGINAL, ORIGINAL)
    assert kept.rewritten and kept.text.startswith("您好")
    assert [t.role for t in good.turns] == ["system", "user"]
    rejected = guarded_rewrite(_Fixed("人均月收入低于3000元即可[1]。"), "系统", "原文", ORIGINAL)
    assert rejected.status == "rejected" and rejected.text == ORIGINAL
    assert any("3000" in p for p in rejected.problems)
    extra = guarded_rewrite(good, "系统", "原文", ORIGINAL, extra_check=lambda text: ["太客气"])
    assert extra.status == "rejected" and extra.problems == ["太客气"]
    down = guarded_rewrite(_Fixed(LLMUnavailableError("连接失败")), "系统", "原文", ORIGINAL)
    assert down.status == "unavailable" and down.text == ORIGINAL and down.error == "连接失败"
    none = guarded_rewrite(None, "系统", "原文", ORIGINAL)
    assert none.status == "no_llm" and none.text == ORIGINAL
