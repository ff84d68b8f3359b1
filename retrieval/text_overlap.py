"""The characters and character bigrams two questions are compared by."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise


def alnum_chars(text: str) -> list[str]:
    """The letters and digits of ``text`` (Chinese characters included), lowercased, in order."""
    return [c for c in text.lower() if c.isalnum()]


def char_bigrams(chars: Sequence[str]) -> set[str]:
    """Adjacent character pairs; the single characters when there are fewer than two."""
    return {a + b for a, b in pairwise(chars)} or set(chars)
