"""The encoder NER component: windows over long texts, spans in text offsets, batching."""

from __future__ import annotations

import pytest

from nlu.encoder_ner import WINDOW_CHARS, EncoderNer, windows
from nlu.pipeline import load_pipeline


def test_windows_cover_the_text_and_cut_at_sentence_ends() -> None:
    text = "第一句话。" * 40 + "没有句号的长句" * 30
    pieces = windows(text)
    assert "".join(piece for _, piece in pieces) == text
    assert all(len(piece) <= WINDOW_CHARS for _, piece in pieces)
    assert all(text[offset : offset + len(piece)] == piece for offset, piece in pieces)
    assert pieces[0][1].endswith("。")
    assert windows("") == []


@pytest.fixture(scope="module")
def model() -> EncoderNer:
    component = load_pipeline().get_pipe("cityagent_encoder_ner")
    assert component.model is not None  # type: ignore[attr-defined]
    return component.model  # type: ignore[attr-defined,no-any-return]


def test_committed_model_finds_a_company_and_a_person(model: EncoderNer) -> None:
    text = "浙商银行企业信贷部叶老桂博士则从另一个角度对五道门槛进行了解读。"
    found = {(text[s:e], label) for s, e, label in model.spans([text])[0]}
    assert {("浙商银行", "company"), ("叶老桂", "name")} <= found


def test_long_texts_and_batches_give_the_spans_of_each_text_alone(model: EncoderNer) -> None:
    sentence = "市民张伟住在滨江区长河街道，他说杭州市城管局没有回复。"
    long_text = sentence * 12  # several windows
    texts = [long_text, "", "   ", sentence]
    batched = model.spans(texts)
    assert batched == [model.spans([t])[0] for t in texts]
    assert batched[1] == [] and batched[2] == []
    assert batched[3] and batched[0][-1][0] > WINDOW_CHARS  # found in a later window too
    for s, e, label in batched[0]:  # offsets are the long text's, not a window's
        start = s % len(sentence)
        assert long_text[s:e] == sentence[start : start + e - s], label
