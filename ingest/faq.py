"""Import a bank's own FAQ into the knowledge base: validated rows → graph entries → the index.

A bank brings its FAQ as JSON lines (``standard_question`` or ``question``, ``answer``,
``subject`` or ``category``, ``paraphrases``, optional ``id`` / ``label_id`` and ``keywords``;
the shape of ``../shared/data/unionpay_faq/faq.jsonl``), as a JSON array of such objects, or as
CSV with a header ``question,answer,paraphrases,category[,id][,keywords]`` whose lists are
separated by ``|``. The suffix (``.jsonl``, ``.json``, ``.csv``) says which.

Rules, so that a bank can trust what the bot answers from:

* The file is UTF-8 (a byte-order mark is fine). Anything else is one error naming the byte
  and line, and nothing is imported; so is a CSV header without ``question`` or ``answer``.
* Every row is checked on its own: question and answer present, not blank, not only
  punctuation, within their length limits; paraphrases and keywords are text; a CSV row has as
  many fields as the header. A bad row is reported with its number and the reason.
* Across rows: a standard question may appear once (compared without case, blanks and
  punctuation); the later row is refused, naming the first. If its answer is the same too, it
  is reported as a duplicate row. Ids are unique. The same answer under different questions is
  fine — real FAQs do that (the UnionPay FAQ has 745 questions and fewer distinct answers).
* A paraphrase that is also another entry's question or paraphrase with a different answer is
  kept but reported as a warning: retrieval cannot tell those entries apart by that wording.
* Bad rows are skipped and the rest imported, unless the caller asks for all-or-nothing. The
  whole file is read and checked before anything is written, so a file with an encoding error
  or a refused all-or-nothing import writes nothing.

Entry ids are ``<kb>:<id>`` with the row's own id, else ``<kb>:<hash>`` of the knowledge base
name and the standard question, so a rerun merges onto the same nodes and adds nothing, and two
knowledge bases never overwrite each other's entries. An import never deletes entries: a
question dropped from the file stays in the graph until removed there.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from kg.errors import DataValidationError, MissingNodeError
from kg.records import GraphBundle, NodeRef
from kg.store import GraphStore
from retrieval.entries import KnowledgeItem

log = logging.getLogger(__name__)

MAX_QUESTION = 500
MAX_ANSWER = 8_000
MAX_PARAPHRASES = 200
MAX_CATEGORY = 100
MAX_ID = 100
MAX_KEYWORD = 50
MAX_KEYWORDS = 50
MAX_ERRORS_SHOWN = 10
LIST_SEPARATOR = "|"
SUFFIXES = (".jsonl", ".json", ".csv")
_KB_NAME = re.compile(r"^[^\W_][\w-]{0,39}$")
_SYNONYMS = {"standard_question": "question", "subject": "category", "label_id": "id"}

RawRow = dict[str, Any]


class RowIssue(BaseModel):
    """A problem with one row: its number (the line it starts on, or its position in a JSON
    array) and the reason."""

    row: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


class FaqReadResult(BaseModel):
    """A FAQ file read and checked: the entries to import and the rows refused or doubtful."""

    file: str
    kb: str
    rows: int = 0
    items: list[KnowledgeItem] = Field(default_factory=list)
    errors: list[RowIssue] = Field(default_factory=list)
    warnings: list[RowIssue] = Field(default_factory=list)


class FaqIngestReport(BaseModel):
    """What an import did: rows read, entries imported (and how many were new), rows skipped."""

    file: str
    kb: str
    read: int
    imported: int
    new: int
    skipped: int
    errors: list[RowIssue] = Field(default_factory=list)
    warnings: list[RowIssue] = Field(default_factory=list)


def match_key(text: str) -> str:
    """The form two questions are compared in: NFKC, case-folded, letters and digits only.

    「什么是IC卡闪付？」 and 「什么是ic卡闪付?」 are the same question to a customer; an empty
    key means the text has no words at all (only punctuation, symbols or blanks).
    """
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ValueError("empty")
    if len(text) > limit:
        raise ValueError(f"{len(text):,} characters, at most {limit:,} allowed")
    return text


def _worded(value: Any, limit: int) -> str:
    text = _text(value, limit)
    if not match_key(text):
        raise ValueError(f"no words, only punctuation or symbols: {text[:20]!r}")
    return text


def _text_list(value: Any, limit: int, count: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = value.split(LIST_SEPARATOR)
    if not isinstance(value, list | tuple):
        raise ValueError(f"must be a list of texts or one text separated by {LIST_SEPARATOR!r}")
    texts: list[str] = []
    for position, item in enumerate(value, start=1):
        if isinstance(item, str) and not item.strip():
            continue
        try:
            texts.append(_worded(item, limit))
        except ValueError as exc:
            raise ValueError(f"item {position}: {exc}") from None
    if len(texts) > count:
        raise ValueError(f"{len(texts)} items, at most {count} allowed")
    return tuple(dict.fromkeys(texts))


class FaqRow(BaseModel):
    """One FAQ row as the file gives it, checked field by field (synonyms already mapped)."""

    question: str
    answer: str
    paraphrases: tuple[str, ...] = ()
    category: str | None = None
    id: str | None = None
    keywords: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _synonyms(cls, row: Any) -> Any:
        if not isinstance(row, dict):
            return row
        named = [row[k] for k in ("standard_question", "question") if k in row]
        if len(named) == 2 and named[0] != named[1]:
            raise ValueError("standard_question and question differ; give one of them")
        out = {_SYNONYMS.get(k, k): v for k, v in row.items() if k not in ("id", "category")}
        for name in ("id", "category"):
            if row.get(name) not in (None, ""):
                out[name] = row[name]
        return out

    @field_validator("question", mode="before")
    @classmethod
    def _question(cls, value: Any) -> str:
        return _worded(value, MAX_QUESTION)

    @field_validator("answer", mode="before")
    @classmethod
    def _answer(cls, value: Any) -> str:
        return _worded(value, MAX_ANSWER)

    @field_validator("paraphrases", mode="before")
    @classmethod
    def _paraphrases(cls, value: Any) -> tuple[str, ...]:
        return _text_list(value, MAX_QUESTION, MAX_PARAPHRASES)

    @field_validator("keywords", mode="before")
    @classmethod
    def _keywords(cls, value: Any) -> tuple[str, ...]:
        return _text_list(value, MAX_KEYWORD, MAX_KEYWORDS)

    @field_validator("category", mode="before")
    @classmethod
    def _category(cls, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _worded(value, MAX_CATEGORY)

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return _text(value, MAX_ID)


def _reason(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        message = "missing" if error["type"] == "missing" else error["msg"]
        message = message.removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


# -- reading the file ----------------------------------------------------------------------
def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataValidationError(f"{path}: cannot read the file ({exc})") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            guess = " (it is UTF-16: it starts with a UTF-16 byte-order mark)"
        elif _decodes(raw, "gb18030"):
            guess = " (it looks like GBK/GB18030)"
        else:
            guess = ""
        raise DataValidationError(
            f"{path}: not UTF-8 text: byte {exc.start} (line {line}) is "
            f"0x{raw[exc.start]:02x}{guess}; save the file as UTF-8 — nothing was imported"
        ) from exc


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _jsonl_rows(text: str) -> Iterator[tuple[int, RawRow | str]]:
    for lineno, line in enumerate(text.split("\n"), start=1):  # not splitlines: U+2028 is text
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield lineno, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        yield lineno, row if isinstance(row, dict) else "expected a JSON object"


def _json_rows(text: str, path: Path) -> Iterator[tuple[int, RawRow | str]]:
    if not text.lstrip().startswith("["):
        yield from _jsonl_rows(text)
        return
    try:
        rows = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataValidationError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}) — "
            "nothing was imported"
        ) from exc
    for number, row in enumerate(rows, start=1):
        yield number, row if isinstance(row, dict) else "expected a JSON object"


def _csv_header(record: list[str], path: Path) -> list[str]:
    header = [name.strip().lower() for name in record]
    named = {_SYNONYMS.get(name, name) for name in header}
    missing = [name for name in ("question", "answer") if name not in named]
    if missing:
        raise DataValidationError(
            f"{path}: the CSV header lacks the column(s) {', '.join(missing)} (it has "
            f"{','.join(header)}; expected question,answer,paraphrases,category[,id]) — "
            "nothing was imported"
        )
    doubled = sorted({name for name in header if name and header.count(name) > 1})
    if doubled:
        raise DataValidationError(
            f"{path}: the CSV header names {', '.join(doubled)} twice — nothing was imported"
        )
    return header


def _csv_row(header: list[str], record: list[str]) -> RawRow | str:
    extra = record[len(header):]
    if len(record) < len(header) or any(field.strip() for field in extra):
        return (f"{len(record)} fields, the header has {len(header)} "
                "(a comma inside an unquoted field?)")
    return {name: value for name, value in zip(header, record, strict=False) if name}


def _csv_rows(text: str, path: Path) -> Iterator[tuple[int, RawRow | str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    start = 1
    try:
        for record in reader:
            row, start = start, reader.line_num + 1
            if not any(field.strip() for field in record):
                continue
            if header is None:
                header = _csv_header(record, path)
                continue
            yield row, _csv_row(header, record)
    except csv.Error as exc:
        raise DataValidationError(
            f"{path}: CSV broken at line {reader.line_num} ({exc}) — nothing was imported"
        ) from exc


def _raw_rows(path: Path) -> Iterator[tuple[int, RawRow | str]]:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise DataValidationError(
            f"{path}: unknown FAQ format {suffix or '(no suffix)'!r}; "
            f"use {', '.join(SUFFIXES)}"
        )
    text = _decode(path)
    if suffix == ".csv":
        return _csv_rows(text, path)
    if suffix == ".json":
        return _json_rows(text, path)
    return _jsonl_rows(text)


# -- checking rows against each other ------------------------------------------------------
def entry_id(kb: str, question: str, given: str | None = None) -> str:
    """The graph and index id of an entry: ``<kb>:<given id>``, else ``<kb>:<hash>``.

    The hash is of the knowledge base name and the question's :func:`match_key`, so it stays
    the same across reruns and small edits of blanks or punctuation.
    """
    if given is not None:
        return f"{kb}:{given}"
    digest = hashlib.sha1(f"{kb}\n{match_key(question)}".encode()).hexdigest()
    return f"{kb}:{digest[:16]}"


class _Rows:
    """Accepted rows so far, to refuse repeats of a question or an id and flag shared wordings."""

    def __init__(self, kb: str) -> None:
        self.kb = kb
        self.accepted: list[tuple[int, FaqRow, str]] = []
        self.questions: dict[str, tuple[int, str]] = {}
        self.ids: dict[str, int] = {}

    def add(self, row: int, faq: FaqRow) -> str | None:
        """Accept the row, or return why it is a duplicate of an earlier one."""
        key, answer = match_key(faq.question), _squeeze(faq.answer)
        if key in self.questions:
            first, first_answer = self.questions[key]
            if first_answer == answer:
                return f"duplicate row: the same question and answer as row {first}"
            return f"duplicate standard question: row {first} asks the same"
        item_id = entry_id(self.kb, faq.question, faq.id)
        if item_id in self.ids:
            return f"duplicate id {faq.id!r}: row {self.ids[item_id]} has it"
        self.questions[key] = (row, answer)
        self.ids[item_id] = row
        self.accepted.append((row, faq, item_id))
        return None

    def shared_wordings(self) -> list[RowIssue]:
        """Paraphrases that are another entry's question or paraphrase, with another answer."""
        owners = {key: (row, answer, "question") for key, (row, answer) in self.questions.items()}
        warnings = []
        for row, faq, _ in self.accepted:
            answer = _squeeze(faq.answer)
            for text in faq.paraphrases:
                owner, owner_answer, kind = owners.setdefault(
                    match_key(text), (row, answer, "paraphrase"))
                if owner != row and owner_answer != answer:
                    warnings.append(RowIssue(row=row, reason=(
                        f"paraphrase {text!r} is also the {kind} of row {owner}, which has "
                        "another answer; retrieval cannot tell them apart by it")))
        return warnings


def _squeeze(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def read_faq(path: Path, *, kb: str, domain: str = "银行") -> FaqReadResult:
    """Read and check a whole FAQ file; no graph needed (evaluations load FAQs this way).

    Raises DataValidationError for what spoils the whole file (unknown suffix, not UTF-8, a
    CSV header without question or answer, no rows at all); bad rows go to ``errors``.
    """
    kb = check_kb_name(kb)
    if not domain.strip():
        raise DataValidationError("the knowledge domain is blank")
    result = FaqReadResult(file=str(path), kb=kb)
    rows = _Rows(kb)
    for row, raw in _raw_rows(path):
        result.rows += 1
        checked = raw if isinstance(raw, str) else _check(raw)
        reason = rows.add(row, checked) if isinstance(checked, FaqRow) else checked
        if reason is not None:
            result.errors.append(RowIssue(row=row, reason=reason))
    if not result.rows:
        raise DataValidationError(f"{path}: no FAQ rows in the file — nothing was imported")
    result.items = [
        KnowledgeItem(id=item_id, question=faq.question, answer=faq.answer,
                      paraphrases=faq.paraphrases, category=faq.category, domain=domain.strip(),
                      source=f"{path.name}:{row}", keywords=faq.keywords)
        for row, faq, item_id in rows.accepted
    ]
    result.warnings = rows.shared_wordings()
    return result


def _check(raw: RawRow) -> FaqRow | str:
    try:
        return FaqRow.model_validate(raw)
    except ValidationError as exc:
        return _reason(exc)


def check_kb_name(kb: str) -> str:
    """The knowledge base name, which prefixes ids: a word of letters, digits, ``_`` or ``-``."""
    if not _KB_NAME.match(kb):
        raise DataValidationError(
            f"knowledge base name {kb!r}: use 1 to 40 letters, digits, '_' or '-', "
            "starting with a letter or digit"
        )
    return kb


# -- into the graph and the index ----------------------------------------------------------
def category_id(kb: str, name: str) -> str:
    """The id of the Category node of one subject of a knowledge base."""
    return f"{kb}:{name}"


def faq_bundle(items: list[KnowledgeItem], *, kb: str, provider: NodeRef | None) -> GraphBundle:
    """KnowledgeEntry nodes ABOUT one Category per subject (scheme = kb), PROVIDED_BY provider."""
    bundle = GraphBundle()
    categories: dict[str, NodeRef] = {}
    for item in items:
        ref = bundle.node(
            "KnowledgeEntry", id=item.id, question=item.question, answer=item.answer,
            paraphrases=list(item.paraphrases), domain=item.domain, source=item.source,
            keywords=list(item.keywords) or None)
        if item.category is not None:
            if item.category not in categories:
                categories[item.category] = bundle.node(
                    "Category", id=category_id(kb, item.category), name=item.category, scheme=kb)
            bundle.rel("ABOUT", ref, categories[item.category])
        if provider is not None:
            bundle.rel("PROVIDED_BY", ref, provider)
    return bundle


def find_provider(store: GraphStore, provider_id: str) -> NodeRef:
    """The Bank or Department node with this id, or MissingNodeError (nothing written)."""
    rows = store.read(
        "MATCH (n:Bank {id: $id}) RETURN 'Bank' AS label "
        "UNION MATCH (n:Department {id: $id}) RETURN 'Department' AS label",
        id=provider_id,
    )
    if not rows:
        raise MissingNodeError(
            f"provider {provider_id!r} is neither a Bank nor a Department in the graph — "
            "nothing was imported"
        )
    return NodeRef(label=rows[0]["label"], key=provider_id)


def ingest_faq(
    path: Path,
    store: GraphStore,
    *,
    kb: str,
    domain: str = "银行",
    provider_id: str | None = None,
    index: Callable[[list[KnowledgeItem]], None] | None = None,
    all_or_nothing: bool = False,
) -> FaqIngestReport:
    """Import a FAQ file: check it whole, write its entries to the graph, then hand them to
    ``index`` (the knowledge base's indexer) — a rerun of the same file adds nothing.

    Bad rows are skipped and reported; with ``all_or_nothing`` any bad row raises
    DataValidationError and nothing is written. A ``provider_id`` that is not a Bank or
    Department in the graph raises MissingNodeError before anything is written.
    """
    result = read_faq(path, kb=kb, domain=domain)
    if all_or_nothing and result.errors:
        shown = "; ".join(str(e) for e in result.errors[:MAX_ERRORS_SHOWN])
        more = len(result.errors) - MAX_ERRORS_SHOWN
        raise DataValidationError(
            f"{path}: {len(result.errors)} bad row(s) — nothing was imported: {shown}"
            + (f"; and {more} more" if more > 0 else "")
        )
    provider = find_provider(store, provider_id) if provider_id is not None else None
    ids = [item.id for item in result.items]
    existing = store.read(
        "MATCH (e:KnowledgeEntry) WHERE e.id IN $ids RETURN count(e) AS n", ids=ids)[0]["n"]
    store.write_bundle(faq_bundle(result.items, kb=result.kb, provider=provider))
    if index is not None:
        index(result.items)
    report = FaqIngestReport(
        file=str(path), kb=result.kb, read=result.rows, imported=len(result.items),
        new=len(ids) - existing, skipped=len(result.errors), errors=result.errors,
        warnings=result.warnings)
    log.info("imported %d FAQ entries (%d new) into %s from %s; %d rows skipped, %d warnings",
             report.imported, report.new, report.kb, path, report.skipped, len(report.warnings))
    return report
