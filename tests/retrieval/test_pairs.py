"""Same-intent pair matching: features, the BQ-format reader, threshold logic, one real eval."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kg.errors import ConfigurationError, DataValidationError
from retrieval.encoder import load_encoder
from retrieval.evaluate_pairs import evaluate_pairs, pair_scores
from retrieval.pairs import (
    DEFAULT_PAIRS_FILE,
    LEXICAL_FEATURES,
    LabelledPair,
    PairMatcher,
    PairsModel,
    blend,
    clean_text,
    edit_distance,
    lexical_features,
    load_matcher,
    read_pairs,
    word_difference,
)
from retrieval.train_pairs import (
    CrossLogits,
    best_threshold,
    sentence_disjoint_folds,
    sentence_groups,
)


def features(a: str, b: str) -> dict[str, float]:
    return dict(zip(LEXICAL_FEATURES, lexical_features(a, b), strict=True))


def test_identical_questions_overlap_fully() -> None:
    f = features("信用卡怎么还款", "信用卡怎么还款")
    assert f["char_jaccard"] == f["bigram_jaccard"] == f["word_jaccard"] == 1.0
    assert f["edit_similarity"] == 1.0
    assert f["length_gap"] == f["digit_mismatch"] == f["negation_mismatch"] == 0.0


def test_amounts_and_negation_are_flagged() -> None:
    assert features("借款5000元要多久", "借款3000元要多久")["digit_mismatch"] == 1.0
    assert features("借款5000元要多久", "借款5000元要多久？")["digit_mismatch"] == 0.0
    assert features("现在能借款吗", "现在不能借款吗")["negation_mismatch"] == 1.0
    assert features("为什么不能借款", "为什么没法借款")["negation_mismatch"] == 0.0


def test_edit_distance_and_cleaning() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "还款") == 2
    assert clean_text("\ufeff 怎么\u200b还款 ") == "怎么还款"


def test_word_difference_marks_words_on_one_side_only() -> None:
    bag = word_difference(["怎么借款"], ["怎么还款"], ["借款", "还款", "怎么"])
    assert bag.tolist() == [[1.0, 1.0, 0.0]]


def test_best_threshold_separates_and_groups_follow_shared_sentences() -> None:
    cut = best_threshold(np.array([0.1, 0.2, 0.7, 0.9]), np.array([0, 0, 1, 1]))
    assert 0.2 <= cut <= 0.7
    groups = sentence_groups(["甲", "乙", "丙"], ["乙", "丁", "戊"])
    assert groups[0] == groups[1] != groups[2]


def test_pair_scores() -> None:
    scores = pair_scores(np.array([True, True, False, False]), np.array([1, 0, 1, 0]))
    assert (scores.accuracy, scores.precision, scores.recall, scores.f1) == (0.5, 0.5, 0.5, 0.5)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_reader_accepts_bom_and_blank_lines(tmp_path: Path) -> None:
    csv = write(tmp_path / "p.csv", "\ufeffsentence1,sentence2,label\n怎么还款,还款怎么操作,1\n\n")
    pairs = read_pairs(csv)
    assert [(p.sentence1, p.sentence2, p.label) for p in pairs] == [("怎么还款", "还款怎么操作", 1)]


def test_reader_rejects_a_bad_header(tmp_path: Path) -> None:
    csv = write(tmp_path / "p.csv", "question,other,label\n怎么还款,还款怎么操作,1\n")
    with pytest.raises(DataValidationError, match="header"):
        read_pairs(csv)


def test_reader_rejects_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    csv = write(tmp_path / "p.csv", "sentence1,sentence2,label\n怎么还款,还款怎么操作,1\n", "gbk")
    with pytest.raises(DataValidationError, match="UTF-8"):
        read_pairs(csv)


def test_reader_names_the_row_of_a_bad_label(tmp_path: Path) -> None:
    csv = write(
        tmp_path / "p.csv",
        "sentence1,sentence2,label\n怎么还款,还款怎么操作,1\n怎么借款,借款额度,yes\n",
    )
    with pytest.raises(DataValidationError, match=r"p\.csv:3: label must be 0 or 1"):
        read_pairs(csv)


def test_reader_names_the_row_of_an_empty_sentence(tmp_path: Path) -> None:
    csv = write(tmp_path / "p.csv", "sentence1,sentence2,label\n怎么还款,,1\n")
    with pytest.raises(DataValidationError, match=r":2: an empty sentence"):
        read_pairs(csv)


@pytest.mark.skipif(not DEFAULT_PAIRS_FILE.is_file(), reason="no trained pairs model")
def test_eval_end_to_end_with_the_real_encoder(tmp_path: Path) -> None:
    csv = write(
        tmp_path / "p.csv",
        "sentence1,sentence2,label\n"
        "我的借款什么时候到账,借款多久能到账,1\n"
        "怎么提前还款,提前还款在哪里操作,1\n"
        "怎么提前还款,怎么申请借款,0\n"
        "额度为什么降低了,手机号码怎么修改,0\n",
    )
    report = evaluate_pairs(csv)  # over the encoder the committed model names
    assert report.n == 4 and report.positives == 2
    assert 0.0 <= report.accuracy <= 1.0 and 0.0 < report.threshold < 1.0
    matcher = load_matcher()
    assert matcher.encoder.name == report.encoder
    assert report.cross_encoder == (matcher.cross.name if matcher.cross else None)
    same, probability = matcher.same_intent("额度为什么降低了", "手机号码怎么修改")
    assert not same and 0.0 <= probability < matcher.threshold


class _FoldCross:
    """Stands in for a cross-encoder: every logit is its own number."""

    def __init__(self, value: float) -> None:
        self.name = f"stub{value}"
        self.value = value

    def logits(self, left: list[str], right: list[str]) -> np.ndarray:
        return np.full(len(left), self.value)


def test_disjoint_folds_keep_linked_pairs_together_and_logits_come_out_of_fold() -> None:
    pairs = [LabelledPair(sentence1=a, sentence2=b, label=y) for a, b, y in [
        ("甲", "乙", 1), ("乙", "丙", 0), ("丁", "戊", 1), ("己", "庚", 0), ("辛", "壬", 1),
    ]]
    folds = sentence_disjoint_folds(pairs, 2)
    assert sorted(np.concatenate(folds).tolist()) == [0, 1, 2, 3, 4]
    assert any({0, 1} <= set(f.tolist()) for f in folds)
    cross = CrossLogits(_FoldCross(9.0), [_FoldCross(0.0), _FoldCross(1.0)])  # type: ignore[arg-type]
    logits = cross.out_of_fold(pairs)
    for fold, rows in enumerate(folds):
        assert (logits[rows] == fold).all()


def test_the_blend_weighs_the_cross_encoder_by_its_share() -> None:
    blended = blend(np.array([2.0, -2.0]), np.array([-1.0, 3.0]), 0.25)
    np.testing.assert_allclose(blended, [1.25, -0.75])


def test_a_matcher_without_the_cross_encoder_its_model_names_is_refused() -> None:
    model = PairsModel(encoder="e", dim=2, cross_encoder="cross_e5", mean=[], scale=[],
                       vocabulary=[], coef=[], intercept=0.0, threshold=0.5)
    with pytest.raises(ConfigurationError, match="cross-encoder cross_e5"):
        PairMatcher(model, load_encoder())
