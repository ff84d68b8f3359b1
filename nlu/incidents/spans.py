"""The span every extracted field keeps, and the text folding the extractors share."""

from __future__ import annotations

from pydantic import BaseModel

# Full-width ASCII (「２０时许」, 「Ｇ１５」) to half-width: one character for one, so offsets hold.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


class Span(BaseModel):
    """Words of the text, as written, and where they are."""

    text: str
    start: int
    end: int


def fold(text: str) -> str:
    """``text`` with full-width digits, letters and signs made half-width, the same length,
    so that patterns need only one form and spans still point into the original."""
    return text.translate(_FULL_WIDTH)
