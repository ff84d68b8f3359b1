"""The regulator's agent: a Chinese question answered from the graph, read-only, with what ran.

A LangGraph ``StateGraph``: ``intake`` checks the question; ``ask`` calls the regulator
persona's ``ask_graph`` tool (templates over the named risk queries and lookups, else the
LLM's Cypher through the guard); ``summarise`` words a short Chinese summary from the rows
only (counts and the first rows' values, never a fact the rows lack). The answer carries the
template (or "llm"), the Cypher or named query and the parameters actually run, the columns
and rows, and the subgraph when the query draws one.
"""

from __future__ import annotations

import logging
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from pydantic import BaseModel, Field

from bots.agents.bank_qa import check_question
from bots.guarded_rewrite import Completer
from bots.text2cypher.engine import GraphResult
from bots.tools.context import ToolContext
from bots.tools.registry import ToolRegistry, default_registry
from bots.tools.risk_tools import regulator_context
from bots.tools.spec import Persona
from kg.store import GraphStore

log = logging.getLogger(__name__)

PERSONA: Persona = "regulator"
SUMMARY_ROWS = 5


class RegulatorAnswer(GraphResult):
    """What the regulator sees: the result of what ran and a summary built from its rows."""

    summary: str = Field(description="a short Chinese summary of the rows, or why none")


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return "→".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return "—" if value is None else str(value)


def summarise(result: GraphResult) -> str:
    """A short Chinese summary of ``result`` that states only what its rows hold."""
    if result.status != "answered":
        return result.message
    title = result.title_zh or "查询"
    if not result.rows:
        return f"{title}：图谱中没有符合条件的记录。"
    if len(result.rows) == 1 and len(result.columns) == 1:
        return f"{title}：{result.columns[0]}为 {_cell(result.rows[0][0])}。"
    shown = "；".join(
        "，".join(f"{c}：{_cell(v)}" for c, v in zip(result.columns, row, strict=False))
        for row in result.rows[:SUMMARY_ROWS])
    more = f"（仅列前 {SUMMARY_ROWS} 条）" if len(result.rows) > SUMMARY_ROWS else ""
    cut = "，结果已截断" if result.truncated else ""
    return f"{title}：共 {len(result.rows)} 条{cut}{more}。{shown}。"


class RegulatorState(BaseModel):
    """One question through the graph."""

    question: str
    result: GraphResult | None = None
    answer: RegulatorAnswer | None = None


class RegulatorBot:
    """The regulator persona's agent; stateless between calls."""

    def __init__(self, tools: ToolContext, registry: ToolRegistry | None = None) -> None:
        """Answer from ``tools``' graph (and LLM, when it has one)."""
        self.context = tools
        self.registry = registry or default_registry()
        self._graph = self._build_graph()

    @classmethod
    def on_graph(cls, store: GraphStore, llm: Completer | None = None) -> RegulatorBot:
        """A bot over ``store``, its name index read now; ``llm`` writes Cypher beyond the
        templates."""
        return cls(regulator_context(store, llm))

    def ask(self, question: str) -> RegulatorAnswer:
        """Answer ``question``; DataValidationError when it cannot be a question."""
        state = RegulatorState(question=check_question(question))
        final = RegulatorState.model_validate(self._graph.invoke(state))
        assert final.answer is not None, "every path ends with an answer"
        return final.answer

    def _build_graph(self) -> CompiledStateGraph[RegulatorState, None, RegulatorState,
                                                 RegulatorState]:
        graph = StateGraph(RegulatorState)
        graph.add_node("ask", self._ask)
        graph.add_node("summarise", self._summarise)
        graph.add_edge(START, "ask")
        graph.add_edge("ask", "summarise")
        graph.add_edge("summarise", END)
        return graph.compile()

    def _ask(self, state: RegulatorState) -> dict[str, Any]:
        result = self.registry.invoke(PERSONA, "ask_graph", {"question": state.question},
                                      self.context)
        if not isinstance(result, GraphResult):
            raise TypeError(f"ask_graph returned {type(result).__name__}")
        log.info("regulator question answered by %s (%s)", result.source or "nothing",
                 result.status)
        return {"result": result}

    def _summarise(self, state: RegulatorState) -> dict[str, Any]:
        result = state.result
        assert result is not None, "summarise follows ask"
        return {"answer": RegulatorAnswer(**result.model_dump(), summary=summarise(result))}
