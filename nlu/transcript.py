"""Splits a hotline transcript into turns: who said what, and where in the text it stands.

A transcript is plain text, one turn per line, with optional 「市民：」/「坐席：」 prefixes; a
message with no prefixes at all is the citizen speaking. Offsets stay those of the original
text so every extracted entity can point back at its span.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

Speaker = Literal["citizen", "agent"]

_PREFIX = re.compile(
    r"^\s*(?P<who>市民|来电人|群众|居民|用户|客户|坐席|话务员|接线员|客服)\s*[：:]\s*"
)
_AGENT = {"坐席", "话务员", "接线员", "客服"}


class Turn(BaseModel):
    """One line of the transcript: the speaker, the words, and their offset in the text."""

    speaker: Speaker
    text: str
    start: int

    @property
    def end(self) -> int:
        """Offset just past the turn's words in the original transcript."""
        return self.start + len(self.text)


def split_turns(transcript: str) -> list[Turn]:
    """The non-empty turns of a transcript; lines without a prefix are the citizen's."""
    turns = []
    offset = 0
    for line in transcript.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        match = _PREFIX.match(body)
        speaker: Speaker = "citizen"
        start = offset
        if match:
            speaker = "agent" if match.group("who") in _AGENT else "citizen"
            start = offset + match.end()
            body = body[match.end() :]
        stripped = body.strip()
        if stripped:
            turns.append(Turn(speaker=speaker, text=stripped, start=start + body.index(stripped)))
        offset += len(line)
    return turns


def citizen_text(turns: list[Turn]) -> str:
    """What the citizen said, turn after turn (one line each)."""
    return "\n".join(t.text for t in turns if t.speaker == "citizen")
