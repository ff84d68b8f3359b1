"""Past cases as knowledge: citizen messages answered by the government, found by similarity.

A past case is a citizen's message (title, detail, time) with the official reply it got. The
hotline agent sees the replies of the cases most like the current call beside the knowledge
entries. Cases are indexed by their *message text* — the title and the start of the detail,
where the problem is stated — in a :class:`~retrieval.knowledge_base.KnowledgeBase` of their
own (dense and BM25, fused), so the search, the incremental update and the atomic save are
the knowledge base's. The source file is read at run time (it is public data kept outside
the repository); the index is saved beside the service's state so a restart re-encodes
nothing, and a case added to the file costs one encoding.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from kg.errors import DataValidationError
from retrieval.encoder import TextEncoder
from retrieval.entries import KnowledgeItem
from retrieval.knowledge_base import KnowledgeBase, UpsertReport

logger = logging.getLogger(__name__)

CASES_FILE = Path("teddycup2020c") / "messages_with_replies.jsonl"
"""Where the past cases lie under ``settings.shared_data_dir``."""
CASE_DOMAIN = "往期案例"
ID_PREFIX = "case-"
DETAIL_CHARS = 120
"""How much of the detail goes into a case's index text: the problem is stated early, and
the rest (history, feelings, demands) blurs the match."""
DEFAULT_SEED = 20200
DEFAULT_HELD_OUT = 0.2


class PastCase(BaseModel):
    """One citizen message with the official reply it received."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=64)
    title: str
    detail: str = ""
    time: str = ""
    reply: str = Field(min_length=1)
    reply_time: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value

    @field_validator("title", "reply")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        folded = " ".join(value.split())
        if not folded:
            raise ValueError("must not be blank")
        return folded

    @property
    def text(self) -> str:
        """The message as indexed and matched: the title and the start of the detail."""
        return message_text(self.title, self.detail)


class PastCaseHit(BaseModel):
    """A past case found for a query, with how close its message is to it."""

    case: PastCase
    similarity: float = Field(description="cosine between the query and the case's message")
    score: float = Field(description="fused (dense + BM25) ranking score")


def message_text(title: str, detail: str, detail_chars: int = DETAIL_CHARS) -> str:
    """A message as the index sees it: title, then the first ``detail_chars`` of the detail."""
    head = " ".join(detail.split())[:detail_chars]
    title = " ".join(title.split())
    if not head or head.startswith(title):
        return head or title
    return f"{title}。{head}" if title else head


def default_cases_path(shared_data_dir: Path) -> Path:
    """The past-case file under the shared data folder."""
    return Path(shared_data_dir) / CASES_FILE


def read_past_cases(path: Path) -> list[PastCase]:
    """Every case of a JSON-lines file (``id, title, detail, time, reply, reply_time``).

    Raises DataValidationError naming the line for a line that is not JSON or lacks a title
    or a reply, and for an id seen twice: an index of half the cases would mislead silently.
    """
    cases: list[PastCase] = []
    seen: set[str] = set()
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataValidationError(f"{path}: cannot read the past cases: {exc}") from exc
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            case = PastCase.model_validate(json.loads(line))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise DataValidationError(f"{path}:{number}: not a past case: {exc}") from exc
        if case.id in seen:
            raise DataValidationError(f"{path}:{number}: duplicate case id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    return cases


def split_cases(
    cases: Sequence[PastCase], held_out: float = DEFAULT_HELD_OUT, seed: int = DEFAULT_SEED
) -> tuple[list[PastCase], list[PastCase]]:
    """(indexed, held out): a fixed-seed shuffle by id, its last ``held_out`` share kept apart.

    The same cases and seed always give the same split, whatever the file's order.
    """
    if not 0.0 < held_out < 1.0:
        raise ValueError(f"held_out must lie between 0 and 1, not {held_out}")
    ordered = sorted(cases, key=lambda c: c.id)
    random.Random(seed).shuffle(ordered)
    cut = len(ordered) - round(len(ordered) * held_out)
    return ordered[:cut], ordered[cut:]


def _item(case: PastCase) -> KnowledgeItem:
    when = f"{case.time} 留言" + (f"，{case.reply_time} 答复" if case.reply_time else "")
    return KnowledgeItem(id=f"{ID_PREFIX}{case.id}", question=case.text, answer=case.reply,
                         domain=CASE_DOMAIN, source=f"问政平台留言 {case.id}（{when}）")


class PastCaseIndex:
    """Past cases searchable by their message; answers with the cases and their replies."""

    def __init__(self, encoder: TextEncoder, base: KnowledgeBase | None = None) -> None:
        self.encoder = encoder
        self._base = base or KnowledgeBase(encoder)
        self._cases: dict[str, PastCase] = {}

    def __len__(self) -> int:
        return len(self._cases)

    def cases(self) -> list[PastCase]:
        """Every indexed case."""
        return list(self._cases.values())

    def sync(self, cases: Iterable[PastCase]) -> tuple[UpsertReport, int]:
        """Make the index hold exactly ``cases``: new and changed ones encoded, gone ones removed.

        Returns the upsert report and how many cases were removed.
        """
        wanted = {case.id: case for case in cases}
        report = self._base.upsert(_item(case) for case in wanted.values())
        keep = {f"{ID_PREFIX}{case_id}" for case_id in wanted}
        removed = self._base.remove(i.id for i in self._base.items() if i.id not in keep)
        self._cases = wanted
        return report, removed

    def search(self, text: str, k: int = 3) -> list[PastCaseHit]:
        """The ``k`` cases whose message is most like ``text``, best first.

        Raises DataValidationError for an empty text.
        """
        return self.search_vector(text, self.encoder.encode_queries([text])[0], k)

    def search_vector(self, text: str, vector: Sequence[float], k: int = 3) -> list[PastCaseHit]:
        """Like :meth:`search` with the query's embedding already computed."""
        hits = self._base.search_vector(text, vector, k)
        return [
            PastCaseHit(case=self._cases[h.item.id.removeprefix(ID_PREFIX)],
                        similarity=h.dense_score, score=h.score)
            for h in hits
            if h.item.id.removeprefix(ID_PREFIX) in self._cases
        ]

    def save(self, directory: Path) -> None:
        """Save the index (atomically: a half-written folder is never loaded)."""
        self._base.save(directory)

    @classmethod
    def open(cls, source: Path, directory: Path | None, encoder: TextEncoder) -> PastCaseIndex:
        """The index of the cases in ``source``, reusing what is saved in ``directory``.

        A missing ``source`` gives an empty index (the service works without past cases).
        """
        if not Path(source).is_file():
            logger.info("no past cases at %s: suggestions come without them", source)
            return cls(encoder)
        return cls.build(read_past_cases(source), directory, encoder)

    @classmethod
    def build(
        cls, cases: Iterable[PastCase], directory: Path | None, encoder: TextEncoder
    ) -> PastCaseIndex:
        """The index of ``cases``, starting from the one saved in ``directory`` if any.

        Only new and changed cases are encoded; a saved index of another encoder, or an
        unreadable one, is rebuilt. The index is saved again only when the cases changed.
        """
        base = None
        if directory is not None and (directory / "manifest.json").is_file():
            try:
                base = KnowledgeBase.load(directory, encoder)
            except DataValidationError as exc:
                logger.warning("rebuilding the past-case index: %s", exc)
        index = cls(encoder, base)
        report, removed = index.sync(cases)
        if directory is not None and (report.added or report.updated or removed):
            index.save(directory)
        logger.info("past cases indexed: %s, %d removed", report, removed)
        return index
