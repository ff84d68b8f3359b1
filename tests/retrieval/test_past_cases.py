"""Past cases: reading the file, the held-out split, and the index (real offline encoder)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kg.errors import DataValidationError
from retrieval.encoder import load_encoder
from retrieval.past_cases import (
    DETAIL_CHARS,
    PastCase,
    PastCaseIndex,
    message_text,
    read_past_cases,
    split_cases,
)

CASES = [
    {"id": 1, "title": "小区路灯坏了一个月没人修",
     "detail": "我们小区东门的路灯坏了一个月，晚上很黑。",
     "time": "2019/5/1 10:00:00", "reply": "网友：您好！经核实，路灯已于5月3日修复。",
     "reply_time": "2019/5/6 9:00:00"},
    {"id": "2", "title": "幼儿园收费太高", "detail": "民办幼儿园一学期收费一万多元，是否合规？",
     "time": "2019/5/2 11:00:00", "reply": "您好！民办幼儿园收费实行备案管理，经查该园已备案。"},
    {"id": "3", "title": "工地夜间施工噪音扰民",
     "detail": "每天晚上十二点以后还在施工，吵得睡不着。",
     "time": "2019/5/3 23:30:00", "reply": "您好！已责令施工单位停止夜间施工，并处以罚款。"},
]


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", "utf-8")
    return path


def test_read_past_cases_and_their_text(tmp_path: Path) -> None:
    cases = read_past_cases(_write(tmp_path / "cases.jsonl", CASES))
    assert [c.id for c in cases] == ["1", "2", "3"]
    assert cases[0].text == "小区路灯坏了一个月没人修。我们小区东门的路灯坏了一个月，晚上很黑。"
    assert cases[1].reply_time is None
    assert len(message_text("标题", "长" * 1000)) == len("标题。") + DETAIL_CHARS
    assert message_text("路灯坏了", "路灯坏了三天") == "路灯坏了三天"  # detail repeats the title
    assert message_text("  ", "只有内容") == "只有内容"


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("{not json", "cases.jsonl:2"),
        (json.dumps({"id": "9", "title": "标题", "reply": "  "}), "cases.jsonl:2"),
        (json.dumps({"id": "9", "reply": "答复"}), "cases.jsonl:2"),
        (json.dumps(CASES[0], ensure_ascii=False), "duplicate case id '1'"),
    ],
)
def test_bad_lines_are_refused_by_number(tmp_path: Path, line: str, says: str) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(CASES[0], ensure_ascii=False) + "\n" + line + "\n", "utf-8")
    with pytest.raises(DataValidationError, match=says):
        read_past_cases(path)


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cases.jsonl"
    path.write_bytes("标题".encode("gbk"))
    with pytest.raises(DataValidationError, match="cannot read"):
        read_past_cases(path)


def test_split_is_fixed_disjoint_and_order_free() -> None:
    cases = [PastCase(id=str(i), title=f"留言{i}", reply="答复") for i in range(100)]
    kept, held = split_cases(cases, held_out=0.2, seed=7)
    assert len(held) == 20 and len(kept) == 80
    assert not {c.id for c in kept} & {c.id for c in held}
    assert split_cases(list(reversed(cases)), held_out=0.2, seed=7) == (kept, held)
    assert split_cases(cases, held_out=0.2, seed=8)[1] != held
    with pytest.raises(ValueError):
        split_cases(cases, held_out=1.0)


@pytest.fixture(scope="module")
def index() -> PastCaseIndex:
    found = PastCaseIndex(load_encoder())
    found.sync(PastCase.model_validate(row) for row in CASES)
    return found


def test_search_finds_the_similar_case_with_its_reply(index: PastCaseIndex) -> None:
    hits = index.search("我家楼下的路灯不亮好久了", k=2)
    assert hits[0].case.id == "1" and "修复" in hits[0].case.reply
    assert 0 < hits[0].similarity <= 1.0001 and len(hits) == 2
    assert index.search("晚上工地还在施工太吵了", k=1)[0].case.id == "3"
    with pytest.raises(DataValidationError):
        index.search("   ")


def test_sync_is_incremental_and_removes_gone_cases(index: PastCaseIndex) -> None:
    fresh = PastCaseIndex(index.encoder)
    cases = [PastCase.model_validate(row) for row in CASES]
    assert fresh.sync(cases)[0].added == 3
    changed = cases[1].model_copy(update={"reply": "您好！该园收费已责令整改。"})
    report, removed = fresh.sync([cases[0], changed])
    assert (report.added, report.updated, report.unchanged, removed) == (0, 1, 1, 1)
    assert len(fresh) == 2 and {c.id for c in fresh.cases()} == {"1", "2"}
    assert all(h.case.id != "3" for h in fresh.search("工地夜间施工噪音", k=3))


def test_open_builds_saves_and_reopens_without_encoding(
    index: PastCaseIndex, tmp_path: Path
) -> None:
    source = _write(tmp_path / "cases.jsonl", CASES)
    saved = tmp_path / "index"
    built = PastCaseIndex.open(source, saved, index.encoder)
    assert len(built) == 3 and (saved / "manifest.json").is_file()
    stamp = (saved / "manifest.json").stat().st_mtime_ns
    again = PastCaseIndex.open(source, saved, index.encoder)
    assert len(again) == 3 and (saved / "manifest.json").stat().st_mtime_ns == stamp
    assert again.search("路灯坏了", k=1)[0].case.id == "1"
    (saved / "manifest.json").write_text("{broken", "utf-8")
    assert len(PastCaseIndex.open(source, saved, index.encoder)) == 3  # rebuilt


def test_missing_source_gives_an_empty_index(index: PastCaseIndex, tmp_path: Path) -> None:
    empty = PastCaseIndex.open(tmp_path / "absent.jsonl", tmp_path / "index", index.encoder)
    assert len(empty) == 0 and empty.search("路灯坏了") == []
