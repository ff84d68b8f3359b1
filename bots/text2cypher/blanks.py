"""Words a question has been read for, blanked so that later readings skip them.

Each reading of a question (a role set aside, a value that names no class, a mention of a
place) replaces what it took with as many 「□」 as it had characters: the words are gone for
the readings after it, and every other position in the text stays where it was.
"""

from __future__ import annotations

import re

BLANK = "□"


def blank_span(text: str, start: int, end: int) -> str:
    """The text with the characters from ``start`` to ``end`` blanked."""
    return text[:start] + BLANK * (end - start) + text[end:]


def blank_matches(pattern: re.Pattern[str] | str, text: str, count: int = 0) -> str:
    """The text with what ``pattern`` matches blanked: the first ``count`` matches, or all
    when it is 0."""
    return re.sub(pattern, lambda m: BLANK * len(m.group(0)), text, count=count)
