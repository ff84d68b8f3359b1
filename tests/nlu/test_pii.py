"""Phone and ID numbers found in speech and masked for logs."""

from __future__ import annotations

import pytest

from nlu.pii import find_phones, mask_phone, mask_pii


def test_phones_spoken_in_groups_or_words() -> None:
    text = "我电话是138 0571 2345，不对，是一三八零五七一二三四六"
    assert [p[0] for p in find_phones(text)] == ["13805712345", "13805712346"]
    _digits, start, end = find_phones(text)[0]
    assert text[start:end] == "138 0571 2345"
    assert find_phones("座机0579-87051200")[0][0] == "057987051200"


def test_house_numbers_are_not_phones() -> None:
    assert find_phones("我家在3号楼2单元501室，门牌88号") == []
    assert find_phones("来了三个人，有两个小孩") == []


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("一五九，三个零，幺二，三四五。", "15900012345"),  # 「三个零」 is 000
        ("手机一三九，五七九〇，两个四两个一。", "13957904411"),
        ("手机：１３９５７９１８２０２", "13957918202"),  # full-width, as typed in web forms
    ],
)
def test_repeated_and_full_width_digits(text: str, digits: str) -> None:
    assert [p[0] for p in find_phones(text)] == [digits]


def test_masking_hides_the_middle() -> None:
    assert mask_phone("13805712345") == "138****2345"
    assert mask_pii("电话13805712345，身份证330102199001011234") == (
        "电话138****2345，身份证330102********1234"
    )


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("137 5711 4290，哦不是，最后是4209。", "13757114209"),
        ("电话幺三三，六五七零，八四九二，哦不对，最后是八四二九。", "13365708429"),
        ("13757028816，说错了，最后两位是61", "13757028861"),
        ("13900001234……嗯最后两位说反了，是四三", "13900001243"),
        # 「不是」 about something else leaves the number alone.
        ("电话13812345678，不是我的，是我儿子的", "13812345678"),
    ],
)
def test_a_corrected_tail_replaces_the_last_digits(text: str, digits: str) -> None:
    assert find_phones(text)[-1][0] == digits


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("家里电话八七六五四三二一，区号零五七九。", "057987654321"),
        ("座机，八七六五四三二一，前边加零五七九。", "057987654321"),
        # In two groups, and an area code said last with no word before it.
        ("家里座机，八七七五，三三一二，区号零五七九。", "057987753312"),
        ("家里电话八五三二六六七一，零五七九的。", "057985326671"),
    ],
)
def test_an_area_code_said_after_the_number(text: str, phone: str) -> None:
    found = find_phones(text)
    assert [digits for digits, _, _ in found] == [phone]
