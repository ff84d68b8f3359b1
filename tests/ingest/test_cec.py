"""The CEC reader: real corpus files when ../shared/data is there, and malformed files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.cec import read_cec_corpus, read_cec_document
from kg.errors import DataValidationError
from kg.settings import get_settings
from nlu.incidents.labelled import split_corpus

_DOCUMENT = """<?xml version="1.0" encoding="UTF-8"?>
<Body>
  <Title>某县一仓库起火</Title>
  <ReportTime type="absTime">2020年03月04日10:00</ReportTime>
  <Content>
    <Paragraph>
      <Sentence>
        <Event eid="e1">
          <Time tid="t1" type="relTime">3日晚8时</Time>，
          <Location lid="l1">某县城东工业区</Location>一仓库
          <Denoter did="d1" type="emergency">起火</Denoter>
        </Event>。
      </Sentence>
    </Paragraph>
    <Paragraph>
      <Sentence><Event eid="e2"><Participant sid="s1">消防</Participant>
        <Denoter did="d2" type="action">赶到</Denoter><Location lid="l2">现场</Location>
      </Event>。</Sentence>
    </Paragraph>
  </Content>
  <eRelation relType="Causal" cause_eid="e1" effect_eid="e2"/>
</Body>
"""


def _corpus_root() -> Path:
    root = get_settings().shared_data_dir / "cec_corpus"
    if not root.is_dir():
        pytest.skip(f"{root} is absent")
    return root


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_text_is_rebuilt_and_every_span_points_into_it(tmp_path: Path) -> None:
    doc = read_cec_document(_write(tmp_path / "火灾", "a.xml", _DOCUMENT))
    assert doc.category == "火灾" and doc.id == "火灾/a" and doc.title == "某县一仓库起火"
    assert doc.report_time == "2020年03月04日10:00"
    assert doc.text == "3日晚8时，某县城东工业区一仓库起火。\n消防赶到现场。"
    assert [s.text for s in doc.spans("time")] == ["3日晚8时"]
    assert [s.text for s in doc.spans("location")] == ["某县城东工业区", "现场"]
    for event in doc.events:
        for span in event.spans:
            assert doc.text[span.start : span.end] == span.text
    assert doc.events[0].of("denoter")[0].type == "emergency"


@pytest.mark.parametrize(("text", "problem"), [
    ("<Body><Content>", "not well-formed XML"),
    ("<Report><Content/></Report>", "not <Body>"),
    ("<Body><Title>x</Title></Body>", "no <Content>"),
])
def test_a_malformed_file_is_named_with_its_problem(tmp_path: Path, text: str,
                                                    problem: str) -> None:
    path = _write(tmp_path / "地震", "bad.xml", text)
    with pytest.raises(DataValidationError, match=problem) as error:
        read_cec_document(path)
    assert "bad.xml" in str(error.value)


def test_a_file_outside_a_category_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="not a CEC category"):
        read_cec_document(_write(tmp_path / "其他", "a.xml", _DOCUMENT))


def test_a_folder_without_corpus_files_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="no CEC files"):
        read_cec_corpus(tmp_path)


def test_real_corpus_files_read_with_their_annotations() -> None:
    root = _corpus_root()
    files = sorted(root.rglob("*.xml"))
    for path in (files[0], files[-1]):
        doc = read_cec_document(path)
        assert doc.text and doc.title and doc.events
        for kind in ("time", "location", "participant", "object", "denoter"):
            for span in doc.spans(kind):  # type: ignore[arg-type]
                assert doc.text[span.start : span.end] == span.text


def test_the_whole_corpus_splits_the_same_way_every_time() -> None:
    documents = read_cec_corpus(_corpus_root())
    assert len(documents) == 332
    assert {d.category for d in documents} == {"地震", "火灾", "交通事故", "食物中毒", "恐怖袭击"}
    first, again = split_corpus(documents), split_corpus(list(reversed(documents)))
    assert [d.id for d in first["dev"]] == [d.id for d in again["dev"]]
    assert len(first["dev"]) == 100 and len(first["test"]) == 232
    assert not {d.id for d in first["dev"]} & {d.id for d in first["test"]}
