"""The caller's name as given in the call."""

from __future__ import annotations

import pytest

from nlu.caller import find_caller_name
from nlu.transcript import citizen_text, split_turns


@pytest.mark.parametrize(
    ("transcript", "name"),
    [
        ("市民：我叫王秀英，住在滨江", "王秀英"),
        ("坐席：请问您贵姓？\n市民：免贵姓李", "李"),
        ("坐席：怎么称呼您\n市民：陈先生", "陈先生"),
        ("市民：我姓张，张女士", "张女士"),
        ("市民：你好我是住在春晓小区的", None),
        ("市民：路灯坏了", None),
    ],
)
def test_names_as_callers_give_them(transcript: str, name: str | None) -> None:
    found = find_caller_name(split_turns(transcript))
    assert (found[0] if found else None) == name
    if found:
        assert transcript[found[1] : found[2]] == found[0][: found[2] - found[1]]


def test_turns_keep_their_offsets_and_speakers() -> None:
    text = "坐席：您好，12345\n市民：  楼下在施工\n没有前缀的一行"
    turns = split_turns(text)
    assert [t.speaker for t in turns] == ["agent", "citizen", "citizen"]
    assert all(text[t.start : t.end] == t.text for t in turns)
    assert citizen_text(turns) == "楼下在施工\n没有前缀的一行"
