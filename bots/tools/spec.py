"""What a registered tool is: a LangChain tool and the personas allowed to call it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from langchain_core.tools import BaseTool

Persona = Literal["citizen", "hotline_assist", "bank_qa", "regulator", "emergency"]
PERSONAS: tuple[Persona, ...] = get_args(Persona)


@dataclass(frozen=True)
class ToolSpec:
    """One tool (its pydantic args schema and Chinese description included) and who may call it."""

    tool: BaseTool
    personas: frozenset[Persona]
    applies_to: tuple[str, ...] = ()
    """The graph labels the tool reads or writes (its Tool node's ``applies_to_labels``)."""
    node_id: str | None = None
    """The Tool node of the engine when the city's data describes it already (T-OPT-…)."""

    def __post_init__(self) -> None:
        """Refuse a spec naming a persona that does not exist (a typo would lock a tool out)."""
        unknown = set(self.personas) - set(PERSONAS)
        if unknown or not self.personas:
            raise ValueError(f"tool {self.tool.name!r}: bad personas {sorted(self.personas)}")

    @property
    def name(self) -> str:
        """The tool's name, as agents call it."""
        return self.tool.name
