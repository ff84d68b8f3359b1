"""Chinese number words as digits: 「一三八」→ "138", 「十二」→ 12, 「两千」→ 2000.

Callers speak phone numbers digit by digit and amounts and times in words; extraction works
on digits, so both forms are read here once.
"""

from __future__ import annotations

DIGITS = {
    "零": 0, "〇": 0, "○": 0, "洞": 0, "一": 1, "幺": 1, "壹": 1, "二": 2, "两": 2, "贰": 2,
    "三": 3, "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7,
    "拐": 7, "八": 8, "捌": 8, "九": 9, "玖": 9, "勾": 9,
    # Full-width digits, as typed in Chinese web forms (「１３９５７９１８２０２」).
    **{chr(0xFF10 + n): n for n in range(10)},
}
UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10_000}
#: Written and old-style words for whole tens: 「廿八」 is 28 (「上月廿八」).
TENS = {"廿": 20, "卅": 30}
NUMBER_CHARS = "".join(DIGITS) + "".join(UNITS) + "0123456789"


def spell_digits(text: str) -> str:
    """Each Chinese digit word replaced by its Arabic digit, other characters kept."""
    return "".join(str(DIGITS[ch]) if ch in DIGITS else ch for ch in text)


def parse_number(text: str) -> int | None:
    """The integer a short Chinese or Arabic numeral denotes (「二十三」→ 23), else None."""
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    total, section, current = 0, 0, 0
    seen = False
    for ch in text:
        if ch.isdigit():
            current = current * 10 + int(ch)
            seen = True
        elif ch in DIGITS:
            current = DIGITS[ch]
            seen = True
        elif ch in TENS:
            section += TENS[ch]
            seen = True
        elif ch in UNITS:
            unit = UNITS[ch]
            if unit == 10_000:
                total += (section + current) * unit
                section, current = 0, 0
            else:
                section += (current or 1) * unit
                current = 0
            seen = True
        else:
            return None
    return total + section + current if seen else None
