"""The knowledge base with the real offline encoder: search, incremental change, persistence."""

from __future__ import annotations

from pathlib import Path

import pytest

from kg.errors import DataValidationError
from retrieval.encoder import load_encoder
from retrieval.entries import KnowledgeItem
from retrieval.knowledge_base import KnowledgeBase, clean_query, item_of_key, key_id

ITEMS = [
    KnowledgeItem(id="K1", question="借记卡丢了怎么挂失？", answer="拨打客服电话或到网点办理挂失。",
                  paraphrases=("银行卡丢了怎么办", "卡片遗失如何冻结"), domain="银行",
                  source="借记卡章程"),
    KnowledgeItem(id="K2", question="跨行转账多久到账？", answer="实时到账，最迟次日。",
                  paraphrases=("转账到别的银行要多长时间",), domain="银行"),
    KnowledgeItem(id="K3", question="手机银行登录密码忘了怎么办？",
                  answer="在登录页点“忘记密码”重置。", domain="银行"),
    KnowledgeItem(id="G1", question="路灯不亮找哪个部门？", answer="由区城市管理局负责。",
                  domain="政务"),
]


@pytest.fixture(scope="module")
def base() -> KnowledgeBase:
    kb = KnowledgeBase(load_encoder())
    kb.upsert(ITEMS)
    return kb


def test_finds_an_entry_by_a_wording_it_has_not_seen(base: KnowledgeBase) -> None:
    hits = base.search("我的卡不见了，怎么办理挂失", k=3)
    assert hits[0].item.id == "K1"
    assert hits[0].dense_score > 0 and hits[0].matched_key in ITEMS[0].match_texts()
    assert [h.item.id for h in base.search("忘记手机银行密码", k=1)] == ["K3"]


def test_domain_filter_keeps_other_domains_out(base: KnowledgeBase) -> None:
    hits = base.search("路灯坏了", k=5, domain="银行")
    assert hits and all(h.item.domain == "银行" for h in hits)
    by_meaning = {h.item.id: h for h in base.search("路灯坏了", k=4)}
    assert by_meaning["G1"].dense_rank == 0 and by_meaning["G1"].lexical_rank is None


def test_upsert_is_incremental_and_remove_forgets(base: KnowledgeBase) -> None:
    kb = KnowledgeBase(base.encoder)
    assert kb.upsert(ITEMS).added == 4
    report = kb.upsert([ITEMS[0], ITEMS[1].model_copy(update={"answer": "两小时内到账。"})])
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    assert kb.search("跨行转账多久到账", k=1)[0].item.answer == "两小时内到账。"
    shorter = ITEMS[0].model_copy(update={"paraphrases": ()})
    kb.upsert([shorter])
    assert kb.get("K1") == shorter
    assert kb.remove(["K1", "nope"]) == 1
    assert "K1" not in kb and all(h.item.id != "K1" for h in kb.search("银行卡丢了怎么办", k=5))


def test_save_and_load_round_trip(base: KnowledgeBase, tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    base.save(folder)
    base.save(folder)  # a second save replaces the first whole
    loaded = KnowledgeBase.load(folder, base.encoder)
    assert loaded.items() == base.items()
    query = "转账到外地银行要等多久"
    assert [h.item.id for h in loaded.search(query)] == [h.item.id for h in base.search(query)]
    (folder / "items.jsonl").write_text('{"id": "broken"}\n', encoding="utf-8")
    with pytest.raises(DataValidationError, match="cannot be read"):
        KnowledgeBase.load(folder, base.encoder)


def test_empty_base_and_bad_queries(base: KnowledgeBase) -> None:
    assert KnowledgeBase(base.encoder).search("任何问题") == []
    with pytest.raises(DataValidationError, match="empty"):
        base.search(" \n ")
    assert len(clean_query("问" * 10_000)) == 512
    assert base.search("ATM机吞卡了 what should I do", k=1)


def test_key_ids_round_trip() -> None:
    assert item_of_key(key_id("FAQ#12", 3)) == "FAQ#12"
