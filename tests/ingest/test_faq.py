"""FAQ import: both formats, every refused row with its number, the real UnionPay FAQ, the graph."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from ingest.faq import (
    MAX_ANSWER,
    MAX_QUESTION,
    entry_id,
    faq_bundle,
    ingest_faq,
    match_key,
    read_faq,
)
from kg.errors import DataValidationError, MissingNodeError
from kg.records import GraphBundle
from kg.settings import get_settings
from kg.store import GraphStore
from retrieval.entries import KnowledgeItem
from tests.ingest.support import assert_valid, edges

BANK = "CO-BANK-FAQ"


def _jsonl(path: Path, rows: list[Any]) -> Path:
    lines = [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _row(question: Any, answer: str = "请拨打95516。", **extra: Any) -> dict[str, Any]:
    return {"standard_question": question, "answer": answer, "subject": "银行卡",
            "paraphrases": [], **extra}


def _reasons(result: Any) -> dict[int, str]:
    return {e.row: e.reason for e in result.errors}


# -- reading -------------------------------------------------------------------------------
def test_json_lines_become_knowledge_items(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "faq.jsonl", [
        {"label_id": 7, "standard_question": "什么是IC卡闪付？", "answer": " 挥卡即可完成交易。 ",
         "subject": "IC卡业务", "paraphrases": ["闪付是什么", " ", "闪付是什么", "什么是ic卡挥卡"]},
        "",
        {"question": "信用卡怎么挂失", "answer": "请致电发卡行挂失。\u2028谢谢。",  # raw U+2028
         "category": "挂失", "keywords": ["挂失", "信用卡"]},
    ])
    result = read_faq(source, kb="up")
    assert result.errors == [] and result.rows == 2
    first, second = result.items
    assert first == KnowledgeItem(
        id="up:7", question="什么是IC卡闪付？", answer="挥卡即可完成交易。",
        paraphrases=("闪付是什么", "什么是ic卡挥卡"), category="IC卡业务", domain="银行",
        source="faq.jsonl:1")
    assert second.id == entry_id("up", "信用卡怎么挂失") and second.id.startswith("up:")
    assert second.keywords == ("挂失", "信用卡") and second.source == "faq.jsonl:3"
    assert second.answer == "请致电发卡行挂失。\u2028谢谢。"


def test_csv_rows_become_knowledge_items(tmp_path: Path) -> None:
    source = _csv(tmp_path / "bank.csv", ["question", "answer", "paraphrases", "category", "id"], [
        ["境外取现有手续费吗", "每笔收取12元，另加取现金额的1%。",
         "国外ATM取钱收费吗|境外取款费用", "收费", "F-001"],
        ["", "", "", "", ""],
        ["密码忘了怎么办", "请携带身份证到网点重置，答案里有逗号，也没关系。", "", "", ""],
    ])
    result = read_faq(source, kb="bank", domain="信用卡")
    assert result.errors == [] and result.rows == 2
    fee, password = result.items
    assert fee.id == "bank:F-001" and fee.paraphrases == ("国外ATM取钱收费吗", "境外取款费用")
    assert fee.category == "收费" and fee.domain == "信用卡" and fee.source == "bank.csv:2"
    assert password.category is None and password.paraphrases == ()
    assert password.id == entry_id("bank", "密码忘了怎么办") and password.source == "bank.csv:4"


def test_a_json_array_file_is_read_too(tmp_path: Path) -> None:
    source = tmp_path / "faq.json"
    source.write_text(json.dumps([_row("怎么开通云闪付"), ["not", "an", "object"]]), "utf-8")
    result = read_faq(source, kb="up")
    assert [i.question for i in result.items] == ["怎么开通云闪付"]
    assert _reasons(result) == {2: "expected a JSON object"}


def test_ids_are_stable_and_ignore_blanks_case_and_punctuation() -> None:
    assert entry_id("up", "什么是IC卡闪付？") == entry_id("up", " 什么是ic卡闪付? ")
    assert entry_id("up", "什么是IC卡闪付？") != entry_id("other", "什么是IC卡闪付？")
    assert entry_id("up", "x", "42") == "up:42"
    assert match_key("？！…") == ""


@pytest.mark.parametrize(("row", "reason"), [
    (_row("   "), "question: empty"),
    (_row("怎么还款", "  "), "answer: empty"),
    ({"answer": "请拨打95516。"}, "question: missing"),
    ({"standard_question": "怎么还款"}, "answer: missing"),
    (_row("？？！！"), "question: no words"),
    (_row("怎么还款", "……"), "answer: no words"),
    (_row("问" * (MAX_QUESTION + 1)), f"question: {MAX_QUESTION + 1:,} characters"),
    (_row("怎么还款", "答" * (MAX_ANSWER + 1)), f"answer: {MAX_ANSWER + 1:,} characters"),
    (_row("怎么还款", paraphrases=["还款方式", "句" * 10_000]), "paraphrases: item 2:"),
    (_row("怎么还款", paraphrases=["还款方式", 3]), "paraphrases: item 2: must be text"),
    (_row("怎么还款", paraphrases={"a": 1}), "paraphrases: must be a list"),
    (_row(12345), "question: must be text, not int"),
    (_row("怎么还款", subject="类" * 101), "category: 101 characters"),
    ({**_row("怎么还款"), "question": "如何还款"}, "standard_question and question differ"),
])
def test_bad_rows_are_refused_with_their_number(
    tmp_path: Path, row: dict[str, Any], reason: str
) -> None:
    source = _jsonl(tmp_path / "faq.jsonl", [_row("怎么开卡"), row, _row("怎么销卡")])
    result = read_faq(source, kb="up")
    assert [i.question for i in result.items] == ["怎么开卡", "怎么销卡"]
    assert list(_reasons(result)) == [2]
    assert reason in result.errors[0].reason and str(result.errors[0]).startswith("row 2: ")


def test_malformed_json_lines_are_refused_with_their_line(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "faq.jsonl", [
        _row("怎么开卡"), '{"standard_question": "坏行", "answer": ', "", '["a list"]',
        _row("怎么销卡"),
    ])
    result = read_faq(source, kb="up")
    assert len(result.items) == 2 and result.rows == 4
    reasons = _reasons(result)
    assert list(reasons) == [2, 4]
    assert reasons[2].startswith("not valid JSON") and reasons[4] == "expected a JSON object"


def test_duplicates_are_refused_naming_the_first_row(tmp_path: Path) -> None:
    same = "请携带身份证到网点办理。"
    source = _jsonl(tmp_path / "faq.jsonl", [
        _row("怎么开卡", same, id="A1"),
        _row("怎么销卡", same, id="A2"),          # the same answer to another question: fine
        _row("怎么开卡？", same),                  # the same question and answer: duplicate row
        _row("怎么 开卡", "网上也能办。"),          # the same question, another answer
        _row("怎么换卡", "换卡请到网点。", id="A1"),  # an id used before
    ])
    result = read_faq(source, kb="up")
    assert [i.id for i in result.items] == ["up:A1", "up:A2"]
    assert _reasons(result) == {
        3: "duplicate row: the same question and answer as row 1",
        4: "duplicate standard question: row 1 asks the same",
        5: "duplicate id 'A1': row 1 has it",
    }


def test_a_paraphrase_shared_by_entries_with_different_answers_is_a_warning(
    tmp_path: Path,
) -> None:
    source = _jsonl(tmp_path / "faq.jsonl", [
        _row("银联钱包是什么", "一款手机应用。", paraphrases=["钱包"]),
        _row("钱包", "钱包已下线。"),
        _row("钱包怎么用", "一款手机应用。", paraphrases=["银联钱包是什么"]),  # same answer: fine
    ])
    result = read_faq(source, kb="up")
    assert len(result.items) == 3 and result.errors == []
    assert [w.row for w in result.warnings] == [1]
    assert result.warnings[0].reason.startswith("paraphrase '钱包' is also the question of row 2")


def test_csv_without_question_or_answer_columns_is_refused_whole(tmp_path: Path) -> None:
    source = _csv(tmp_path / "faq.csv", ["question", "reply"], [["怎么开卡", "去网点"]])
    with pytest.raises(DataValidationError, match=r"lacks the column\(s\) answer"):
        read_faq(source, kb="up")


def test_csv_rows_with_the_wrong_number_of_fields_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "faq.csv"
    source.write_text(
        "question,answer,paraphrases,category\n"
        "怎么开卡,去网点办理,,卡\n"
        "怎么销卡,去网点,带身份证,,卡,多余\n"
        "怎么换卡\n"
        '"多行的\n问题",答案,,卡\n'
        "怎么挂失,打电话,,卡,\n",
        encoding="utf-8")
    result = read_faq(source, kb="up")
    assert [i.question for i in result.items] == ["怎么开卡", "多行的\n问题", "怎么挂失"]
    assert [i.source for i in result.items] == ["faq.csv:2", "faq.csv:5", "faq.csv:7"]
    reasons = _reasons(result)
    assert list(reasons) == [3, 4] and "6 fields, the header has 4" in reasons[3]


def test_a_file_that_is_not_utf8_is_refused_naming_line_and_byte(tmp_path: Path) -> None:
    source = _csv(tmp_path / "faq.csv", ["question", "answer"],
                  [["怎么开卡", "去网点办理"], ["怎么销卡", "去网点"]], encoding="gbk")
    with pytest.raises(DataValidationError, match=r"not UTF-8 text: byte 17 \(line 2\).*GBK"):
        read_faq(source, kb="up")


def test_one_stray_byte_refuses_the_whole_file(tmp_path: Path) -> None:
    source = _jsonl(tmp_path / "faq.jsonl", [_row("怎么开卡"), _row("怎么销卡")])
    good = source.read_bytes()
    latin1 = '{"standard_question": "café", "answer": "yes"}\n'.encode("latin-1")
    source.write_bytes(good + latin1)
    offset = len(good) + latin1.index(b"\xe9")
    with pytest.raises(DataValidationError, match=rf"byte {offset} \(line 3\) is 0xe9"):
        read_faq(source, kb="up")


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    source = _csv(tmp_path / "faq.csv", ["question", "answer"], [["怎么开卡", "去网点办理"]],
                  encoding="utf-8-sig")
    assert [i.question for i in read_faq(source, kb="up").items] == ["怎么开卡"]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("faq.txt", "question,answer\n", "unknown FAQ format '.txt'"),
    ("faq.csv", "question,answer\n", "no FAQ rows"),
    ("faq.jsonl", "\n\n", "no FAQ rows"),
    ("faq.csv", "question,answer,answer\n", "names answer twice"),
    ("faq.json", '[{"question": "x",', "not valid JSON"),
])
def test_files_that_cannot_be_imported_at_all(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    source = tmp_path / name
    source.write_text(content, encoding="utf-8")
    with pytest.raises(DataValidationError, match=message):
        read_faq(source, kb="up")


@pytest.mark.parametrize("kb", ["", "with space", "a:b", "_x", "x" * 41])
def test_knowledge_base_names_must_be_plain_words(tmp_path: Path, kb: str) -> None:
    source = _jsonl(tmp_path / "faq.jsonl", [_row("怎么开卡")])
    with pytest.raises(DataValidationError, match="knowledge base name"):
        read_faq(source, kb=kb)


def test_the_unionpay_faq_reads_whole() -> None:
    source = get_settings().shared_data_dir / "unionpay_faq" / "faq.jsonl"
    if not source.is_file():
        pytest.skip(f"{source} is absent")
    result = read_faq(source, kb="unionpay")
    assert result.errors == [] and result.rows == 745 and len(result.items) == 745
    assert sum(len(i.paraphrases) for i in result.items) == 1848
    assert len({i.id for i in result.items}) == 745
    assert len({i.answer for i in result.items}) < 745  # answers shared by questions are kept
    assert all(i.category and i.source for i in result.items)
    assert_valid(faq_bundle(result.items, kb="unionpay", provider=None))


# -- the graph -----------------------------------------------------------------------------
def _bank(graph: GraphStore) -> None:
    bundle = GraphBundle()
    bundle.node("Bank", id=BANK, name="测试银行")
    graph.write_bundle(bundle)


def _faq_file(tmp_path: Path) -> Path:
    return _csv(tmp_path / "bank.csv", ["question", "answer", "paraphrases", "category"], [
        ["怎么开卡", "请携带身份证到网点办理。", "如何办卡|开卡流程", "银行卡"],
        ["怎么销卡", "请携带身份证到网点办理。", "", "银行卡"],
        ["", "空问题", "", "银行卡"],
        ["境外取现收费吗", "每笔12元。", "", "收费"],
    ])


def test_a_faq_goes_into_the_graph_and_the_index_once(graph: GraphStore, tmp_path: Path) -> None:
    _bank(graph)
    source = _faq_file(tmp_path)
    indexed: list[list[KnowledgeItem]] = []
    report = ingest_faq(source, graph, kb="testbank", provider_id=BANK, index=indexed.append)
    assert (report.read, report.imported, report.new, report.skipped) == (4, 3, 3, 1)
    assert [(e.row, e.reason) for e in report.errors] == [(4, "question: empty")]
    assert [i.question for i in indexed[0]] == ["怎么开卡", "怎么销卡", "境外取现收费吗"]

    entries = graph.read(
        "MATCH (e:KnowledgeEntry)-[:ABOUT]->(c:Category), (e)-[:PROVIDED_BY]->(b:Bank) "
        "RETURN e.id AS id, e.question AS q, e.paraphrases AS p, e.source AS source, "
        "e.domain AS domain, c.name AS category, c.scheme AS scheme, b.id AS bank ORDER BY source")
    assert [(r["q"], r["category"], r["source"]) for r in entries] == [
        ("怎么开卡", "银行卡", "bank.csv:2"), ("怎么销卡", "银行卡", "bank.csv:3"),
        ("境外取现收费吗", "收费", "bank.csv:5")]
    assert entries[0]["p"] == ["如何办卡", "开卡流程"]
    assert {(r["scheme"], r["bank"], r["domain"]) for r in entries} == {("testbank", BANK, "银行")}
    assert [r["id"] for r in entries] == [i.id for i in indexed[0]]

    before = graph.counts()
    again = ingest_faq(source, graph, kb="testbank", provider_id=BANK, index=indexed.append)
    assert (again.imported, again.new) == (3, 0)
    assert graph.counts() == before
    assert before.nodes == {"Bank": 1, "Category": 2, "Company": 1, "KnowledgeEntry": 3}
    assert before.relationships == {"ABOUT": 3, "PROVIDED_BY": 3}
    assert indexed[1] == indexed[0]


def test_a_refused_import_writes_nothing(graph: GraphStore, tmp_path: Path) -> None:
    source = _faq_file(tmp_path)
    called: list[list[KnowledgeItem]] = []
    with pytest.raises(MissingNodeError, match=f"provider '{BANK}'"):
        ingest_faq(source, graph, kb="testbank", provider_id=BANK, index=called.append)
    _bank(graph)
    with pytest.raises(DataValidationError, match=r"1 bad row.*row 4: question: empty"):
        ingest_faq(source, graph, kb="testbank", provider_id=BANK, index=called.append,
                   all_or_nothing=True)
    assert graph.counts().total_nodes == 1 and called == []


def test_entries_without_provider_or_category_have_no_such_edges() -> None:
    item = KnowledgeItem(id="kb:1", question="怎么开卡", answer="去网点。")
    bundle = faq_bundle([item], kb="kb", provider=None)
    assert_valid(bundle)
    assert [n.label for n in bundle.nodes] == ["KnowledgeEntry"]
    assert edges(bundle, "ABOUT") == [] and edges(bundle, "PROVIDED_BY") == []
