"""The input of the character encoder: one id per character, in rows wrapped like e5's.

The character NER (``nlu/encoder_ner.py``) fine-tunes multilingual-e5-small
(``nlu/e5_checkpoint.py``) over characters (:class:`CharVocab`), so that every entity boundary
is a token boundary. Fine-tuning (torch, ``train_encoder_ner.py``) and serving (ONNX Runtime,
``onnx_encoder.py``) read the same padded rows (:func:`padded_rows`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import Protocol

import numpy as np
from pydantic import BaseModel

#: Id of each B/M/E/S position of a character in its word (``nlu/word_positions.py``): the
#: rows of the encoder's position-in-word table ``emb.seg``.
POSITION_IDS: dict[str, int] = {"S": 0, "B": 1, "M": 2, "E": 3}
#: The SentencePiece word-start marker; a space in the text becomes this piece.
WORD_START = "\u2581"


class CharVocab(BaseModel):
    """Ids of the characters the encoder knows, with the special ids it needs."""

    ids: dict[str, int]
    bos: int
    eos: int
    pad: int
    unk: int
    space: int

    def encode(self, text: str) -> list[int]:
        """One id per character of ``text``, no specials.

        A character the vocabulary lacks is looked up in its NFKC form (full-width
        ``，`` is ``,``, as XLM-R's own normaliser reads it), else it is ``unk``.
        """
        out: list[int] = []
        for ch in text:
            found = self.ids.get(ch)
            if found is None:
                if ch.isspace():
                    found = self.space
                else:
                    found = self.ids.get(unicodedata.normalize("NFKC", ch)[:1], self.unk)
            out.append(found)
        return out

    @classmethod
    def from_pieces(cls, pieces: list[str], special_ids: dict[str, int]) -> CharVocab:
        """Map every character that is a vocabulary piece, bare or word-initial, to its id.

        A bare piece (``杭``) is preferred over its word-initial form (``▁杭``): inside a
        Chinese sentence a character is rarely a word start in SentencePiece's sense.
        """
        ids: dict[str, int] = {}
        for i, piece in enumerate(pieces):
            if len(piece) == 2 and piece[0] == WORD_START and not piece[1].isspace():
                ids.setdefault(piece[1], i)
        for i, piece in enumerate(pieces):
            if len(piece) == 1 and piece != WORD_START and not piece.isspace():
                ids[piece] = i
        return cls(ids=ids, space=pieces.index(WORD_START), **special_ids)

    def renumbered(self, keep: list[int]) -> CharVocab:
        """The same vocabulary over a trimmed embedding table holding rows ``keep``."""
        row = {old: new for new, old in enumerate(keep)}
        return CharVocab(
            ids={ch: row[i] for ch, i in self.ids.items() if i in row},
            bos=row[self.bos],
            eos=row[self.eos],
            pad=row[self.pad],
            unk=row[self.unk],
            space=row[self.space],
        )


class RowSpecials(Protocol):
    """The ids a padded row needs: the character vocabulary and the e5 pieces both have them."""

    bos: int
    eos: int
    pad: int


def padded_rows(
    ids: Sequence[Sequence[int] | np.ndarray],
    positions: Sequence[Sequence[int] | np.ndarray] | None,
    vocab: RowSpecials,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ids, mask, positions)`` arrays of rows wrapped in ``bos``/``eos`` and padded to the
    longest, as the served encoder and the fine-tune read them (positions 0 when ``None``)."""
    length = max((len(row) for row in ids), default=0) + 2
    id_rows = np.full((len(ids), length), vocab.pad, dtype=np.int64)
    mask = np.zeros((len(ids), length), dtype=np.int64)
    position_rows = np.zeros((len(ids), length), dtype=np.int64)
    for row, chars in enumerate(ids):
        n = len(chars)
        id_rows[row, : n + 2] = [vocab.bos, *chars, vocab.eos]
        mask[row, : n + 2] = 1
        if positions is not None:
            position_rows[row, 1 : n + 1] = positions[row]
    return id_rows, mask, position_rows
