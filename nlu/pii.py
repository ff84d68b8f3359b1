"""Personal data in hotline text: phone numbers found; phone and ID numbers masked for logs.

Numbers are stored in full in the ticket (the department must call back) but never written
to logs in full; :func:`mask_pii` is what every log line about a transcript goes through.
"""

from __future__ import annotations

import re

from nlu.numbers import DIGITS, NUMBER_CHARS, spell_digits

# 「三个零」, 「两个四」: a digit said with how many times it repeats.
_REPEATED = re.compile(rf"([两二三四五2-5])个([{''.join(DIGITS)}0-9])")
_REPEAT_COUNT = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5} | {str(n): n for n in range(2, 6)}
_DIGIT_WORD = rf"(?:{_REPEATED.pattern}|[{NUMBER_CHARS}])"
_SPOKEN_NUMBER = re.compile(
    rf"{_DIGIT_WORD}(?:(?:{_DIGIT_WORD}|[\s\-—.、，,])*{_DIGIT_WORD})?"
)
# One spoken group of a number: the digits between separators.
_GROUP = re.compile(rf"{_DIGIT_WORD}+")
_MAX_PHONE_DIGITS = 12
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}\d{7,8}(?!\d)")
# 「137 5711 4290，哦不是，最后是4209」, 「……哦最后两位说反了，是零九」: the last digits said
# again after a correction.
_TAIL_CORRECTED = re.compile(
    rf"(?:[^{NUMBER_CHARS}]|[两四]位){{0,8}}?(?:不对|不是|错了|说错|说反|反了)"
    rf"(?:[^{NUMBER_CHARS}]|[两四]位){{0,10}}?"
    rf"(?P<tail>[{NUMBER_CHARS}]{{2,4}})(?![{NUMBER_CHARS}])"
)
# 「八六六〇九一二三，区号零五七九」, 「八六二三，四七一五，前面加零五七九」,
# 「八五三二六六七一，零五七九的」: the area code said last.
_AREA_CODE_AFTER = re.compile(
    rf"(?P<local>[{NUMBER_CHARS}]{{7,8}}|[{NUMBER_CHARS}]{{3,4}}[，,、\s]+[{NUMBER_CHARS}]{{4}})"
    rf"[，,、\s]*(?:(?:区号|前[边面头]加个?)(?:是|[：:])?\s*"
    rf"(?P<area>[{NUMBER_CHARS}]{{3,4}})(?![{NUMBER_CHARS}])|(?P<area_of>[零0][{NUMBER_CHARS}]{{2,3}})的)"
)
_MASK_TARGETS = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)|(?<!\d)(\d{6})\d{8}(\d{3}[0-9Xx])")


def _digits(spoken: str) -> str:
    """The digits of a number as written or spoken (「幺三八 5711」 → 1385711, 「三个零」 → 000)."""
    said = _REPEATED.sub(lambda m: m.group(2) * _REPEAT_COUNT[m.group(1)], spoken)
    return re.sub(r"\D", "", spell_digits(said))


def _is_phone(digits: str) -> bool:
    return bool(_MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits))


def _phones_in_chunk(chunk: str, offset: int) -> list[tuple[str, int, int]]:
    """The numbers in a run of digit groups, each the longest run of groups that is a phone.

    Groups are how callers speak a number (「一三六，五七一二，八八零九」), but a digit word
    right after the number belongs to the next words (「13605719988，一定要……」).
    """
    groups = [(g.start(), g.end(), _digits(g.group(0)))
              for g in _GROUP.finditer(chunk)]
    found = []
    i = 0
    while i < len(groups):
        best = None
        digits = ""
        for j in range(i, len(groups)):
            digits += groups[j][2]
            if len(digits) > _MAX_PHONE_DIGITS:
                break
            if _is_phone(digits):
                best = (digits, j)
        if best is None:
            i += 1
            continue
        digits, j = best
        found.append((digits, offset + groups[i][0], offset + groups[j][1]))
        i = j + 1
    return found


def find_phones(text: str) -> list[tuple[str, int, int]]:
    """Phone numbers in ``text`` as (digits, start, end), spoken digit words included.

    「138 0571 2345」 and 「一三八零五七一二三四五」 both give ``13805712345``; the span is that
    of the words in ``text``. A landline with its area code said after it is read whole.
    """
    found = [
        (digits, m.start(), m.end()) for m in _AREA_CODE_AFTER.finditer(text)
        if _LANDLINE.fullmatch(
            digits := _digits(m.group("area") or m.group("area_of")) + _digits(m.group("local"))
        )
    ]
    for match in _SPOKEN_NUMBER.finditer(text):
        if any(start < match.end() and match.start() < end for _, start, end in found):
            continue
        chunk = match.group(0)
        digits = _digits(chunk)
        if _is_phone(digits):
            found.append((digits, match.start(), match.end()))
        else:
            found.extend(_phones_in_chunk(chunk, match.start()))
    return [_with_corrected_tail(text, *phone) for phone in found]


def _with_corrected_tail(text: str, digits: str, start: int, end: int) -> tuple[str, int, int]:
    """The phone with its last digits replaced when the caller corrects only those."""
    fix = _TAIL_CORRECTED.match(text, end)
    if fix is None:
        return digits, start, end
    tail = _digits(fix.group("tail"))
    corrected = digits[: len(digits) - len(tail)] + tail
    return (corrected, start, fix.end()) if _is_phone(corrected) else (digits, start, end)


def mask_phone(phone: str) -> str:
    """A phone number with its middle digits hidden: 13805712345 → 138****2345."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_pii(text: str) -> str:
    """``text`` with mobile and ID-card numbers masked, for logging."""

    def hide(match: re.Match[str]) -> str:
        if match.group(1):
            return f"{match.group(1)}****{match.group(2)}"
        return f"{match.group(3)}********{match.group(4)}"

    return _MASK_TARGETS.sub(hide, text)

