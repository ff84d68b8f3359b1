"""Phone and ID numbers found in speech and masked for logs."""

from __future__ import annotations

from nlu.pii import find_phones, mask_phone, mask_pii


def test_phones_spoken_in_groups_or_words() -> None:
    text = "我电话是138 0571 2345，不对，是一三八零五七一二三四六"
    assert [p[0] for p in find_phones(text)] == ["13805712345", "13805712346"]
    _digits, start, end = find_phones(text)[0]
    assert text[start:end] == "138 0571 2345"
    assert find_phones("座机0579-87051200")[0][0] == "057987051200"


def test_house_numbers_are_not_phones() -> None:
    assert find_phones("我家在3号楼2单元501室，门牌88号") == []


def test_masking_hides_the_middle() -> None:
    assert mask_phone("13805712345") == "138****2345"
    assert mask_pii("电话13805712345，身份证330102199001011234") == (
        "电话138****2345，身份证330102********1234"
    )
