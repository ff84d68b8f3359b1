"""Reader of the CEC corpus (Chinese Emergency Corpus, Shanghai University): annotated reports.

The corpus (``../shared/data/cec_corpus``) keeps one XML file per news report under a folder
named after its category (地震, 火灾, 交通事故, 食物中毒, 恐怖袭击): ``<Body>`` holds ``<Title>``,
``<ReportTime>`` and ``<Content>`` → ``<Paragraph>`` → ``<Sentence>``, and the sentences carry
``<Event>`` elements inline, each with ``<Denoter>``, ``<Time>``, ``<Location>``,
``<Participant>``, ``<Object>`` and ``<Means>`` children between untagged text.

The plain text of a report is rebuilt from the XML text nodes: each node is stripped of the
layout whitespace around it and the pieces are joined, paragraphs separated by a newline.
Every annotation keeps its span in that text, so an extractor run on ``text`` can be scored
against it. Element names are read without regard to case (the corpus has a few
``<participant>``); an element of an unknown kind keeps its text and is logged. A file that is
not well-formed XML, has no ``<Body>``/``<Content>``, or lies outside a category folder is a
:class:`~kg.errors.DataValidationError` naming the file and the problem.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path

from kg.errors import DataValidationError
from nlu.incidents.labelled import (
    SPAN_KINDS,
    CecDocument,
    CecEvent,
    CecSpan,
)

log = logging.getLogger(__name__)

#: The categories of the corpus: its folder names.
CEC_CATEGORIES = ("地震", "火灾", "交通事故", "食物中毒", "恐怖袭击")

# Elements whose text belongs to the report; a stray <Title> inside <Content> is part of it.
_STRUCTURE = frozenset({"paragraph", "sentence", "event", "title"})
# Event relations (causal, follow-up …) carry no text; some files put them inside <Content>.
_RELATION = "erelation"

class _Builder:
    """Accumulates the rebuilt text and the spans while walking the XML."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.parts: list[str] = []
        self.length = 0
        self.events: list[CecEvent] = []

    def add(self, text: str | None) -> None:
        piece = (text or "").strip()
        if piece:
            self.parts.append(piece)
            self.length += len(piece)

    def walk(self, element: ET.Element, event: CecEvent | None) -> None:
        kind = element.tag.lower()
        if kind == "event":
            event = CecEvent(eid=element.get("eid"))
            self.events.append(event)
        if kind in SPAN_KINDS:
            self._span(element, kind, event)
        elif kind != _RELATION:
            if kind not in _STRUCTURE:
                log.warning("%s: unknown element <%s>, its text kept", self.path, element.tag)
            self.add(element.text)
            for child in element:
                self.walk(child, event)
        self.add(element.tail)

    def _span(self, element: ET.Element, kind: str, event: CecEvent | None) -> None:
        start = self.length
        self.add("".join(element.itertext()))
        if event is None:
            log.warning("%s: <%s> outside an <Event> ignored", self.path, element.tag)
        elif self.length > start:
            event.spans.append(CecSpan(kind=kind, text=self.parts[-1], start=start,
                                       end=self.length, type=element.get("type")))


def read_cec_document(path: Path, category: str | None = None) -> CecDocument:
    """One annotated CEC report; ``category`` defaults to the name of the file's folder.

    Raises :class:`DataValidationError` naming the file when it is not well-formed XML,
    lacks ``<Body>`` or ``<Content>``, or its category is not one of the corpus's.
    """
    category = category or path.parent.name
    if category not in CEC_CATEGORIES:
        raise DataValidationError(f"{path}: folder {category!r} is not a CEC category "
                                  f"({', '.join(CEC_CATEGORIES)})")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as error:
        raise DataValidationError(f"{path}: not well-formed XML ({error})") from error
    except OSError as error:
        raise DataValidationError(f"{path}: cannot be read ({error})") from error
    if root.tag.lower() != "body":
        raise DataValidationError(f"{path}: the root element is <{root.tag}>, not <Body>")
    content = next((e for e in root if e.tag.lower() == "content"), None)
    if content is None:
        raise DataValidationError(f"{path}: no <Content> element")
    builder = _Builder(path)
    for index, paragraph in enumerate(content):
        if index and builder.parts and not builder.parts[-1].endswith("\n"):
            builder.parts.append("\n")
            builder.length += 1
        builder.walk(paragraph, None)
    builder.add(content.text)
    title = next((e for e in root if e.tag.lower() == "title"), None)
    report_time = next((e for e in root if e.tag.lower() == "reporttime"), None)
    return CecDocument(
        id=f"{category}/{path.stem}",
        path=path,
        category=category,
        title=" ".join("".join(title.itertext()).split()) if title is not None else "",
        report_time=("".join(report_time.itertext()).strip() or None)
        if report_time is not None else None,
        text="".join(builder.parts).rstrip("\n"),
        events=builder.events,
    )


def cec_files(root: Path) -> list[Path]:
    """The annotated files under ``root`` (the corpus folder or any folder above ``CEC/``),
    sorted by path so that every run sees them in the same order."""
    if not root.is_dir():
        raise DataValidationError(f"{root}: not a folder")
    files = sorted(p for p in root.rglob("*.xml") if p.parent.name in CEC_CATEGORIES)
    if not files:
        raise DataValidationError(f"{root}: no CEC files (<category>/*.xml) found")
    return files


def read_cec_corpus(root: Path) -> list[CecDocument]:
    """Every annotated report under ``root``; a malformed file stops the read with its name."""
    documents = [read_cec_document(path) for path in cec_files(root)]
    log.info("read %d CEC documents from %s", len(documents), root)
    return documents
