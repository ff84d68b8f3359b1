"""BM25 over jieba tokens: tokenising, ranking, incremental change, persistence."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

import retrieval.bm25 as bm25
from kg.errors import DataValidationError
from retrieval.bm25 import BM25Index, tokenize
from retrieval.vector_index import IndexLoadError

FAQ = {
    "k1#0": "信用卡怎么办理？",
    "k1#1": "如何申请一张信用卡",
    "k2#0": "借记卡丢了怎么挂失",
    "k3#0": "信用卡年费是多少",
    "k4#0": "手机银行登录密码忘了",
    "k5#0": "ATM取款手续费怎么收",
}


def built(texts: dict[str, str]) -> BM25Index:
    index = BM25Index()
    index.add(list(texts), list(texts.values()))
    return index


def reference_scores(texts: dict[str, str], query: str, k1: float = 1.2, b: float = 0.75) -> dict:
    """BM25 written out from its definition (Lucene's idf), for comparison."""
    docs = {key: Counter(tokenize(text)) for key, text in texts.items()}
    average = sum(sum(d.values()) for d in docs.values()) / len(docs)
    scores = {}
    for key, counts in docs.items():
        length = sum(counts.values())
        score = 0.0
        for term in set(tokenize(query)):
            if counts[term]:
                df = sum(1 for d in docs.values() if d[term])
                idf = math.log(1 + (len(docs) - df + 0.5) / (df + 0.5))
                tf = counts[term]
                score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average))
        if score > 0:
            scores[key] = score
    return scores


def test_tokenize_folds_case_and_width_and_drops_punctuation() -> None:
    assert tokenize("ＡＴＭ取款，手续费！！") == ["atm", "取款", "手续", "续费", "手续费"]
    assert tokenize("Visa 卡   in 香港？") == ["visa", "卡", "in", "香港"]
    assert tokenize("") == [] and tokenize("？！…… ，。  \n") == []


def test_the_relevant_entries_rank_first() -> None:
    hits = built(FAQ).search("信用卡的年费", 3)
    assert hits[0][0] == "k3#0"
    assert {key for key, _ in hits} <= {"k1#0", "k1#1", "k3#0"}
    assert built(FAQ).search("atm 手续费", 1)[0][0] == "k5#0"


def test_scores_are_bm25_from_its_definition() -> None:
    hits = dict(built(FAQ).search("信用卡怎么办理", 10))
    assert hits == pytest.approx(reference_scores(FAQ, "信用卡怎么办理"), rel=1e-5)


@pytest.mark.parametrize("merge_min", [1, 10_000])
def test_incremental_changes_score_like_a_fresh_index(
    merge_min: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bm25, "MERGE_MIN", merge_min)  # 1: merge at every add
    index = built(dict(list(FAQ.items())[:3]))
    index.add(list(FAQ)[3:], list(FAQ.values())[3:])
    index.add(["k2#0"], ["信用卡挂失怎么办"])
    assert index.remove(["k4#0", "不存在"]) == 1
    live = {**FAQ, "k2#0": "信用卡挂失怎么办"}
    del live["k4#0"]
    for query in ("信用卡怎么挂失", "手机银行密码", "年费"):
        assert dict(index.search(query, 10)) == pytest.approx(reference_scores(live, query))
        assert index.search(query, 10) == built(live).search(query, 10)
    assert len(index) == 5 and "k4#0" not in index


def test_removing_every_key_leaves_an_empty_index() -> None:
    index = built(FAQ)
    assert index.remove(list(FAQ)) == len(FAQ)
    assert len(index) == 0 and index.search("信用卡", 5) == []


def test_empty_and_meaningless_queries_find_nothing() -> None:
    index = built(FAQ)
    assert index.search("", 5) == []
    assert index.search("？？！！", 5) == []
    assert index.search("量子力学", 5) == []
    assert index.search("信用卡", 0) == []
    assert BM25Index().search("信用卡", 5) == []


def test_keys_and_texts_must_pair_up() -> None:
    with pytest.raises(DataValidationError, match="2 keys for 1 texts"):
        BM25Index().add(["a", "b"], ["信用卡"])


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    index = built(FAQ)
    index.remove(["k2#0"])
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert len(loaded) == len(FAQ) - 1
    for query in ("信用卡怎么办理", "ATM手续费", "挂失"):
        assert loaded.search(query, 5) == index.search(query, 5)
    loaded.add(["k9#0"], ["信用卡额度怎么提高"])
    assert loaded.search("额度", 1)[0][0] == "k9#0"


def test_missing_or_corrupt_folders_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(IndexLoadError, match="no saved index"):
        BM25Index.load(tmp_path / "nowhere")
    built(FAQ).save(tmp_path / "bm25")
    docs = tmp_path / "bm25" / bm25.DOCS_FILE
    docs.write_text(docs.read_text(encoding="utf-8").replace("信用卡", "储蓄卡"), encoding="utf-8")
    with pytest.raises(IndexLoadError, match="checksum"):
        BM25Index.load(tmp_path / "bm25")
    built(FAQ).save(tmp_path / "bm25")
    (tmp_path / "bm25" / bm25.IDS_FILE).unlink()
    with pytest.raises(IndexLoadError, match=f"{bm25.IDS_FILE} is missing"):
        BM25Index.load(tmp_path / "bm25")
