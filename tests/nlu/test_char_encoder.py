"""The character vocabulary and the int8 storage of the encoder's weights."""

from __future__ import annotations

import numpy as np

from nlu.char_encoder import CharVocab, dequantize_weights, padded_rows, quantize_weights

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


def test_int8_storage_keeps_weights_close() -> None:
    rng = np.random.default_rng(0)
    weights = {
        "l0.q.w": rng.normal(0, 0.05, (8, 32)).astype(np.float32),
        "l0.q.b": rng.normal(0, 0.05, 8).astype(np.float32),
        "emb.pos": rng.normal(0, 0.05, (4, 32)).astype(np.float32),
    }
    stored = quantize_weights(weights)
    assert stored["l0.q.w"].dtype == np.int8 and stored["emb.pos"].dtype == np.float32
    back = dequantize_weights(stored)
    assert set(back) == set(weights)
    assert np.abs(back["l0.q.w"] - weights["l0.q.w"]).max() < 0.05 * 4 / 127
    assert np.array_equal(back["l0.q.b"], weights["l0.q.b"])


def test_padded_rows_wrap_each_row_in_specials() -> None:
    vocab = CharVocab.from_pieces(PIECES, SPECIALS)
    ids, mask, positions = padded_rows([[6, 8], [9]], [[1, 3], [0]], vocab)
    assert ids.tolist() == [[0, 6, 8, 2], [0, 9, 2, 1]]
    assert mask.tolist() == [[1, 1, 1, 1], [1, 1, 1, 0]]
    assert positions.tolist() == [[0, 1, 3, 0], [0, 0, 0, 0]]
