"""The character vocabulary and the padded rows the encoder reads."""

from __future__ import annotations

from nlu.char_encoder import CharVocab, padded_rows

PIECES = ["<s>", "<pad>", "</s>", "<unk>", ",", "▁", "杭", "▁州", "州", "▁市"]
SPECIALS = {"bos": 0, "pad": 1, "eos": 2, "unk": 3}


def test_vocab_prefers_bare_pieces_and_reads_full_width_forms() -> None:
    vocab = CharVocab.from_pieces(PIECES, SPECIALS)
    assert vocab.ids == {"杭": 6, "州": 8, "市": 9, ",": 4}
    # full-width comma -> ",", space -> "▁", unknown -> <unk>
    assert vocab.encode("杭州，市 区") == [6, 8, 4, 9, 5, 3]


def test_renumbered_vocab_follows_kept_rows() -> None:
    vocab = CharVocab.from_pieces(PIECES, SPECIALS)
    small = vocab.renumbered([0, 1, 2, 3, 5, 8])
    assert small.ids == {"州": 5}
    assert (small.bos, small.pad, small.eos, small.unk, small.space) == (0, 1, 2, 3, 4)


def test_padded_rows_wrap_each_row_in_specials() -> None:
    vocab = CharVocab.from_pieces(PIECES, SPECIALS)
    ids, mask, positions = padded_rows([[6, 8], [9]], [[1, 3], [0]], vocab)
    assert ids.tolist() == [[0, 6, 8, 2], [0, 9, 2, 1]]
    assert mask.tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert positions.tolist() == [[0, 1, 3, 0], [0, 0, 0, 0]]
