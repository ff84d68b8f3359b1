"""Where each character sits in its jieba word: the "soft word" feature of both NER models.

Entity boundaries may cut through a jieba word, so the models read characters; the word a
character belongs to, and its place in it (Begin, Middle, End, Single), still tell them
much about boundaries (see ``nlu/models/ner/MODEL_CARD.md``).
"""

from __future__ import annotations

import logging

import jieba

from nlu.char_encoder import POSITION_IDS

jieba.setLogLevel(logging.WARNING)


def jieba_positions(text: str) -> dict[int, tuple[str, str]]:
    """For each character offset: its B/M/E/S position in its jieba word, and that word."""
    position: dict[int, tuple[str, str]] = {}
    offset = 0
    for word in jieba.cut(text):
        n = len(word)
        for i in range(n):
            tag = "S" if n == 1 else ("B" if i == 0 else "E" if i == n - 1 else "M")
            position[offset + i] = (tag, word)
        offset += n
    return position


def position_ids(text: str) -> list[int]:
    """One B/M/E/S id (:data:`POSITION_IDS`) per character of ``text``."""
    positions = jieba_positions(text)
    return [POSITION_IDS[positions[i][0]] if i in positions else 0 for i in range(len(text))]
