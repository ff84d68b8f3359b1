"""A text as jieba's words with their parts of speech and offsets, shared by the place rules."""

from __future__ import annotations

import logging
from typing import NamedTuple

import jieba
import jieba.posseg as posseg

jieba.setLogLevel(logging.WARNING)


class Word(NamedTuple):
    """One word of the text, its part of speech (jieba's tag) and where it starts."""

    text: str
    flag: str
    start: int

    @property
    def end(self) -> int:
        """The offset after the word's last character."""
        return self.start + len(self.text)


def cut(text: str) -> list[Word]:
    """``text`` as jieba's words, left to right, each with its offset."""
    words: list[Word] = []
    offset = 0
    for word, flag in posseg.cut(text):
        words.append(Word(word, flag, offset))
        offset += len(word)
    return words
