"""Tests of the Chinese spaCy pipeline: rule entities, the committed NER model, scoring."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spacy.language import Language

from kg.errors import DataValidationError
from nlu.evaluate_ner import CLUENER_LABELS, evaluate_ner, read_cluener
from nlu.pipeline import (
    LABEL_TO_ONTOLOGY,
    MODEL_DIR,
    add_pattern_entities,
    blank_zh,
    extract_entities,
    extract_entities_many,
    find_pattern_entities,
    load_pipeline,
    rules_only_pipeline,
)

HOTLINE = (
    "市民王先生来电，手机13812345678，座机0571-87654321，身份证号330106198001011234，"
    "他的车浙A12345在2025年3月5日下午3点半被刮，对方答应赔5000元，昨晚十点又说只给两千块。"
)


def _span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def _write_cluener(path: Path, rows: list[tuple[str, dict[str, list[str]]]]) -> Path:
    """Write CLUENER lines; each mention is located by its first occurrence."""
    with path.open("w", encoding="utf-8") as out:
        for text, labels in rows:
            label: dict[str, dict[str, list[list[int]]]] = {}
            for name, mentions in labels.items():
                for m in mentions:
                    s, e = _span(text, m)
                    label.setdefault(name, {})[m] = [[s, e - 1]]
            out.write(json.dumps({"text": text, "label": label}, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def committed() -> Language:
    if not (MODEL_DIR / "config.cfg").exists():
        pytest.skip(f"no committed NER model at {MODEL_DIR}; run `cityagent train ner`")
    return load_pipeline()


def test_ruler_finds_hotline_entities_with_character_spans() -> None:
    ents = extract_entities(HOTLINE, rules_only_pipeline())
    found = {(e.label, e.text, e.start, e.end) for e in ents}
    expected = {
        ("PHONE", "13812345678"),
        ("PHONE", "0571-87654321"),
        ("ID_CARD", "330106198001011234"),
        ("PLATE", "浙A12345"),
        ("DATE", "2025年3月5日"),
        ("TIME", "下午3点半"),
        ("MONEY", "5000元"),
        ("TIME", "昨晚十点"),
        ("MONEY", "两千块"),
    }
    assert found == {(lab, txt, *_span(HOTLINE, txt)) for lab, txt in expected}
    assert all(e.source == "ruler" and HOTLINE[e.start : e.end] == e.text for e in ents)


@pytest.mark.parametrize(
    ("text", "label", "part"),
    [
        ("转了3.5万元给他", "MONEY", "3.5万元"),
        ("请拨打（0571）87654321", "PHONE", "（0571）87654321"),
        ("明天上午十点半到", "TIME", "明天上午十点半"),
        ("二〇二五年三月五日", "DATE", "二〇二五年三月五日"),
    ],
)
def test_ruler_formats(text: str, label: str, part: str) -> None:
    ents = extract_entities(text, rules_only_pipeline())
    assert [(e.label, e.text) for e in ents] == [(label, part)]


def test_ruler_ignores_parts_of_longer_numbers_and_idioms() -> None:
    text = "订单号138123456789012，我好一点了，我们一块去。"
    assert extract_entities(text, rules_only_pipeline()) == []


@pytest.mark.parametrize(
    "text",
    ["单号138123456789", "单号913812345678", "编码A13812345678", "编码13812345678x",
     "13812345678９"],
)
def test_a_phone_inside_a_longer_digit_run_is_not_a_phone(text: str) -> None:
    assert find_pattern_entities(text) == []


@pytest.mark.parametrize(
    ("text", "label", "part"),
    [
        ("电话13812345678。", "PHONE", "13812345678"),
        ("电话 13812345678 找我", "PHONE", "13812345678"),
        ("电话138 0571 2345", "PHONE", "138 0571 2345"),  # one space between digits is read through
        ("下午 3点", "TIME", "下午 3点"),
        ("上周五下午", "DATE", "上周五"),
        ("罚了¥1,200", "MONEY", "¥1,200"),
        ("京A·12345挂了", "PLATE", "京A·12345"),
        ("粤B1234学", "PLATE", "粤B1234学"),
    ],
)
def test_pattern_entities_read_the_text(text: str, label: str, part: str) -> None:
    assert (*_span(text, part), label) in find_pattern_entities(text)


def test_pattern_entities_do_not_cross_a_line_break_or_two_spaces() -> None:
    assert find_pattern_entities("电话138\n05712345") == []
    assert find_pattern_entities("电话138  0571 2345") == []


def test_pattern_entities_keep_the_longest_match_and_join_times() -> None:
    text = "2025年3月5日下午3点半"
    assert find_pattern_entities(text) == [(0, 9, "DATE"), (9, 14, "TIME")]


def test_codes_overrule_the_ner_and_other_rules_leave_it() -> None:
    text = "电话13812345678，2025年3月5日"
    assert find_pattern_entities(text, [(2, 6)]) == [(14, 23, "DATE")]
    nlp = blank_zh()
    fake_ner = nlp.add_pipe("entity_ruler", name="fake_ner")
    fake_ner.add_patterns([  # type: ignore[attr-defined]
        {"label": "company", "pattern": "1381234"}, {"label": "name", "pattern": "2025年"}
    ])
    add_pattern_entities(nlp)
    assert [(e.text, e.label_) for e in nlp(text).ents] == [
        ("13812345678", "PHONE"), ("2025年", "name"), ("3月5日", "DATE")
    ]


def test_rules_only_pipeline_has_one_rule_component() -> None:
    nlp = rules_only_pipeline()
    assert nlp.pipe_names == ["cityagent_pattern_entities"]
    assert add_pattern_entities(nlp).pipe_names == ["cityagent_pattern_entities"]


def test_tokens_are_characters() -> None:
    doc = blank_zh()("我在杭州市上班")
    assert [t.text for t in doc] == list("我在杭州市上班")
    assert len(blank_zh()("")) == 0


def test_ontology_mapping_covers_every_label() -> None:
    assert set(CLUENER_LABELS) <= set(LABEL_TO_ONTOLOGY)
    assert LABEL_TO_ONTOLOGY["name"] == "Person"
    assert LABEL_TO_ONTOLOGY["government"] == "Department"
    assert LABEL_TO_ONTOLOGY["address"] == "Address"
    assert LABEL_TO_ONTOLOGY["PHONE"] is None


@pytest.mark.parametrize(
    ("text", "person", "district"),
    [
        ("王芳的家在上海市浦东新区世纪大道100号。", "王芳", "浦东新区"),
        ("市民张伟住在滨江区长河街道。", "张伟", "滨江区"),
    ],
)
def test_committed_model_finds_person_and_address(
    committed: Language, text: str, person: str, district: str
) -> None:
    ents = extract_entities(text, committed)
    names = [e for e in ents if e.label == "name" and e.text == person]
    addresses = [e for e in ents if e.label == "address" and district in e.text]
    assert names and addresses
    assert names[0].ontology_class == "Person" and names[0].source == "ner"
    assert addresses[0].ontology_class == "Address"
    assert text[addresses[0].start : addresses[0].end] == addresses[0].text


def test_committed_model_keeps_rule_entities(committed: Language) -> None:
    assert committed.pipe_names == ["cityagent_encoder_ner", "cityagent_pattern_entities"]
    labels = {e.label for e in extract_entities(HOTLINE, committed)}
    assert {"PHONE", "ID_CARD", "PLATE", "MONEY", "DATE", "TIME"} <= labels


def test_batched_extraction_equals_one_text_at_a_time(committed: Language) -> None:
    texts = [HOTLINE, "王芳的家在上海市浦东新区世纪大道100号。", "", "记者在鹿城区见到了张伟。"]
    alone = [extract_entities(text, committed) for text in texts]
    assert extract_entities_many(texts, committed, batch_chars=30) == alone


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "expected a JSON object"),
        ('{"text": "", "label": {}}', "'text'"),
        ('{"text": "张三来了", "label": {"name": {"张三": [[0, 9]]}}}', "out of range"),
        ('{"text": "张三来了", "label": {"name": {"张三": [[1, 2]]}}}', "reads"),
        ('{"text": "张三来了", "label": {"name": ["张三"]}}', "must map"),
    ],
)
def test_malformed_cluener_line_names_file_and_line(tmp_path: Path, line: str, why: str) -> None:
    path = tmp_path / "bad.json"
    good = '{"text": "李四在杭州", "label": {"name": {"李四": [[0, 1]]}}}'
    path.write_text(f"{good}\n\n{line}\n", encoding="utf-8")
    with pytest.raises(DataValidationError) as err:
        read_cluener(path)
    assert f"{path}:3:" in str(err.value)
    assert why in str(err.value)


def test_evaluate_ner_reports_per_label_figures(tmp_path: Path) -> None:
    nlp = blank_zh()
    ruler = nlp.add_pipe("entity_ruler", name="fake_ner")
    ruler.add_patterns(  # type: ignore[attr-defined]
        [
            {"label": "name", "pattern": "张伟"},
            {"label": "company", "pattern": "腾讯"},
            {"label": "name", "pattern": "北京"},
        ]
    )
    add_pattern_entities(nlp)
    data = _write_cluener(
        tmp_path / "dev.json",
        [
            ("张伟在腾讯公司上班，电话13812345678。", {"name": ["张伟"], "company": ["腾讯公司"]}),
            ("李娜去了北京。", {"name": ["李娜"], "address": ["北京"]}),
        ],
    )
    report = evaluate_ner(data, nlp)
    assert (report.sentences, report.gold_entities, report.predicted_entities) == (2, 4, 3)
    assert (report.tp, report.fp, report.fn) == (1, 2, 3)
    name = report.per_label["name"]
    assert (name.tp, name.fp, name.fn, name.support) == (1, 1, 1, 2)
    assert name.precision == 0.5 and name.recall == 0.5 and name.f1 == 0.5
    assert report.per_label["company"].f1 == 0.0
    assert report.per_label["address"].recall == 0.0
    assert report.ignored_labels == ["PHONE"]
    assert report.f1 == pytest.approx(2 * (1 / 3) * 0.25 / (1 / 3 + 0.25), abs=1e-4)
