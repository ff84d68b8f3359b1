"""The regulator's tools: the named risk queries, and questions answered from the graph.

``risk_query`` runs one named query of :mod:`kg.risk` with validated parameters;
``ask_graph`` answers a Chinese question through the templates, else the LLM's Cypher, both
read-only through :mod:`kg.cypher_guard`. Only the regulator persona may call them.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from pydantic import BaseModel, Field

from bots.guarded_rewrite import Completer
from bots.text2cypher.engine import GraphResult, answer_question
from bots.tools.context import ToolContext, context_of
from bots.tools.spec import ToolSpec
from kg.mentions import MentionIndex
from kg.risk import get_query, run_query
from kg.store import GraphStore


def regulator_context(store: GraphStore, llm: Completer | None = None) -> ToolContext:
    """The regulator's services on ``store``: the graph and its name index (read now), and
    the LLM that writes Cypher beyond the templates when there is one."""
    return ToolContext(graph=store, mentions=MentionIndex.from_graph(store), llm=llm)


class RiskQueryArgs(BaseModel):
    """Arguments of ``risk_query``."""

    name: str = Field(min_length=1, max_length=64, description="风险查询名，如 guarantee_circles")
    params: dict[str, Any] = Field(default_factory=dict, description="该查询的参数（按其模型校验）")


class RiskQueryOutput(BaseModel):
    """A named query's title and its full result (rows and subgraph)."""

    name: str
    title_zh: str
    result: dict[str, Any]


@tool("risk_query", args_schema=RiskQueryArgs, description=(
    "运行一个命名的风险关联查询（股权穿透、关联方、担保链、互保圈、循环持股、风险传导、基金穿透），"
    "参数按查询的模型校验，只读；返回结果行和子图。"))
def risk_query(name: str, params: dict[str, Any], config: RunnableConfig) -> RiskQueryOutput:
    """Run the named risk query ``name`` with ``params`` (validated), read-only."""
    store = context_of(config).graph_store
    query = get_query(name)
    result = run_query(store, name, params)
    return RiskQueryOutput(name=name, title_zh=query.title_zh,
                           result=result.model_dump(mode="json"))


class AskGraphArgs(BaseModel):
    """Arguments of ``ask_graph``."""

    question: str = Field(min_length=1, max_length=500, description="监管人员的中文问题")


@tool("ask_graph", args_schema=AskGraphArgs, description=(
    "用知识图谱回答监管问题：先匹配常用问题模板（实际控制人、关联方、担保、股东、基金等），"
    "否则由大模型生成参数化 Cypher，均经只读安全检查后执行；返回所用模板、查询、参数和结果行。"))
def ask_graph(question: str, config: RunnableConfig) -> GraphResult:
    """Answer ``question`` from the graph (templates, else guarded LLM Cypher)."""
    context = context_of(config)
    return answer_question(context.graph_store, context.mention_index, question,
                           llm=context.llm)


RISK_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(risk_query, frozenset({"regulator"}), ("Company", "Person", "Fund", "RiskEvent")),
    ToolSpec(ask_graph, frozenset({"regulator"}),
             ("Company", "Person", "Fund", "Product", "RiskEvent", "District")),
)
"""The regulator's tools."""
