"""Knowledge entries as retrieval sees them: what is indexed, what is returned.

A :class:`KnowledgeItem` is one answerable piece of knowledge (a FAQ entry, a policy
answer, a past case's official reply). It is found through its *keys* — the standard
question and each paraphrase — and answered with its ``answer`` and ``source``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class KnowledgeItem(BaseModel):
    """One knowledge entry: its question(s), answer and provenance."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=200)
    question: str = Field(min_length=1)
    answer: str = Field(min_length=1)
    paraphrases: tuple[str, ...] = ()
    category: str | None = None
    domain: str = Field(default="通用", min_length=1)
    source: str | None = None
    keywords: tuple[str, ...] = ()

    @field_validator("question", "answer")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("paraphrases", "keywords")
    @classmethod
    def _clean_list(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))

    def match_texts(self) -> list[str]:
        """The texts a question is matched against: the standard question, then paraphrases."""
        return list(dict.fromkeys([self.question, *self.paraphrases]))
