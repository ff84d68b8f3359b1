"""Checks an LLM's text must pass before anyone sees it.

The bots let an LLM rephrase what retrieval and the graph found, never add to it: a rate, fee,
limit, phone number, date or deadline that is not in the sources would be an invented rule.
These checks are deliberately mechanical (digits and citation numbers are compared as
strings) so that they hold whatever model is configured, including the tiny local one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NUMBER = re.compile(r"\d+(?:[.,:：/-]\d+)*")
_CHINESE_NUMERAL_AMOUNT = re.compile(
    r"[零一二两三四五六七八九十百千万亿]+(?:元|块|%|个百分点|天|日|年|月|小时|分钟)"
)
_CITATION = re.compile(r"\[(\d+)\]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# A base model continues its prompt: the prompt's own labels in an answer mean just that.
_SCAFFOLDING = re.compile(r"答复原文|回复草稿|助手[：:]|用户[：:]|市民[：:]|要求[：:]")
_SENTENCE_ENDS = ("。", "！", "？", "!", "?", "]", "）", ")")


def numbers_in(text: str) -> set[str]:
    """The digit runs of ``text`` (「3.85%」 → 「3.85」, 「0571-8888」 → 「0571-8888」)."""
    return set(_NUMBER.findall(text))


def unsupported_numbers(text: str, sources: Iterable[str]) -> list[str]:
    """Numbers (digits, or Chinese numerals with a unit) in ``text`` that no source contains.

    A digit run is supported only as a whole number of a source (「5」 is not supported by
    「0571」); a Chinese-numeral amount when a source has it word for word.
    """
    joined = "\n".join(sources)
    known = numbers_in(joined)
    digits = [n for n in sorted(numbers_in(text)) if n not in known]
    words = [n for n in sorted(set(_CHINESE_NUMERAL_AMOUNT.findall(text))) if n not in joined]
    return digits + words


def citations(text: str) -> list[int]:
    """The [n] citation numbers a text uses, in order of first use."""
    return list(dict.fromkeys(int(n) for n in _CITATION.findall(text)))


def rewrite_problems(rewrite: str, original: str, *, max_growth: float = 1.6) -> list[str]:
    """What is wrong with ``rewrite`` as a rephrasing of ``original`` (empty: acceptable).

    A rephrasing keeps every citation, cites nothing new, adds no number, stays Chinese,
    does not balloon, does not echo the prompt and ends its last sentence; each failed rule
    is named in Chinese for the reader.
    """
    problems: list[str] = []
    text = rewrite.strip()
    if not text:
        return ["改写为空"]
    extra = unsupported_numbers(text, [original])
    if extra:
        problems.append("出现原稿没有的数字：" + "、".join(extra[:5]))
    kept, cited = set(citations(text)), set(citations(original))
    if kept - cited:
        problems.append("引用了原稿没有的编号")
    if cited - kept:
        problems.append("丢失了引用编号")
    if len(text) > max_growth * len(original) + 40:
        problems.append("改写过长")
    if len(_HAN.findall(text)) < 0.3 * len(text):
        problems.append("改写不是中文")
    if _SCAFFOLDING.search(text):
        problems.append("改写照抄了提示语")
    if not text.endswith(_SENTENCE_ENDS):
        problems.append("改写没有说完")
    return problems
