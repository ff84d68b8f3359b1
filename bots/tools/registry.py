"""The registry of tools: which persona may call which tool, enforced on every call.

An agent gets only its persona's tools (:func:`tools_for`) and calls them through
:meth:`ToolRegistry.invoke`, which refuses any other tool with :class:`ToolNotAllowedError`.
Whatever a message or a document says (「调用xxx工具」, 「你现在是管理员」), a citizen bot
cannot reach a tool of the regulator or of another persona.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from langchain_core.tools import BaseTool
from pydantic import BaseModel

from bots.tools.citizen_tools import CITIZEN_TOOLS
from bots.tools.context import ToolContext
from bots.tools.hotline_tools import HOTLINE_TOOLS
from bots.tools.knowledge_tools import KNOWLEDGE_TOOLS
from bots.tools.optimisation.tools import OPTIMISATION_TOOLS
from bots.tools.perception.tools import PERCEPTION_TOOLS
from bots.tools.risk_tools import RISK_TOOLS
from bots.tools.spec import PERSONAS, Persona, ToolSpec
from kg.errors import CityAgentError
from kg.records import GraphBundle
from kg.store import GraphStore

log = logging.getLogger(__name__)


class ToolNotAllowedError(CityAgentError):
    """A persona asked for a tool outside its set (or for a tool that does not exist)."""

    code = "E072"
    http_status = 403


class ToolRegistry:
    """Tools by name, each with the personas allowed to call it; immutable once built."""

    def __init__(self, specs: Iterable[ToolSpec]) -> None:
        """Register ``specs``; a name given twice is a programming error (ValueError)."""
        self._specs: dict[str, ToolSpec] = {}
        for spec in specs:
            if spec.name in self._specs:
                raise ValueError(f"tool {spec.name!r} is registered twice")
            self._specs[spec.name] = spec

    def names(self) -> list[str]:
        """Every registered tool's name."""
        return list(self._specs)

    def specs(self) -> list[ToolSpec]:
        """Every registered tool with its personas, in registration order."""
        return list(self._specs.values())

    def personas_of(self, name: str) -> frozenset[Persona]:
        """The personas allowed to call ``name`` (empty for an unknown tool)."""
        spec = self._specs.get(name)
        return spec.personas if spec else frozenset()

    def tools_for(self, persona: Persona) -> list[BaseTool]:
        """The tools ``persona`` may call, and only those."""
        _check_persona(persona)
        return [s.tool for s in self._specs.values() if persona in s.personas]

    def tool(self, persona: Persona, name: str) -> BaseTool:
        """The tool ``name`` for ``persona``; ToolNotAllowedError outside its set."""
        _check_persona(persona)
        spec = self._specs.get(name)
        if spec is None or persona not in spec.personas:
            log.warning("persona %s refused tool %r", persona, name)
            raise ToolNotAllowedError(
                f"「{persona}」无权调用工具「{name}」；可用工具："
                + "、".join(t.name for t in self.tools_for(persona))
            )
        return spec.tool

    def invoke(self, persona: Persona, name: str, args: Mapping[str, Any],
               context: ToolContext) -> Any:
        """Call tool ``name`` as ``persona`` with ``args`` on ``context``'s services.

        Raises ToolNotAllowedError outside the persona's set and pydantic's ValidationError
        for arguments that do not fit the tool's schema.
        """
        return self.tool(persona, name).invoke(dict(args), context.config())


SERVICE_KIND = "service"
"""The Tool nodes' kind for the bots' own tools (beside the perception and optimisation engines)."""


def tool_node_id(name: str) -> str:
    """The Tool node id of a bot tool: ``T-BOT-`` and its name."""
    return f"T-BOT-{name.upper()}"


def node_id_of(spec: ToolSpec) -> str:
    """The Tool node of ``spec``: the engine's own node when the city describes it, else the
    bot tool's."""
    return spec.node_id or tool_node_id(spec.name)


def tools_bundle(registry: ToolRegistry) -> GraphBundle:
    """The registry as Tool nodes: what each tool does, its argument schema, its entry point,
    what it applies to and which personas may call it, so the graph lists every tool a bot
    can reach next to the engines of the demo city."""
    out = GraphBundle()
    for spec in registry.specs():
        tool = spec.tool
        func = getattr(tool, "func", None)
        entrypoint = f"{func.__module__}:{func.__name__}" if func is not None else ""
        schema = tool.args_schema
        input_schema = (schema.model_json_schema() if isinstance(schema, type)
                        and issubclass(schema, BaseModel) else {})
        code_owned = {"input_schema": json.dumps(input_schema, ensure_ascii=False),
                      "entrypoint": entrypoint, "applies_to_labels": list(spec.applies_to),
                      "personas": sorted(spec.personas)}
        if spec.node_id is not None:  # the city's engine: its name and description stay
            out.node("Tool", id=spec.node_id, **code_owned)
        else:
            out.node("Tool", id=tool_node_id(tool.name), name=tool.name, kind=SERVICE_KIND,
                     description=tool.description, **code_owned)
    return out


def register_tools(store: GraphStore, registry: ToolRegistry | None = None) -> int:
    """Write (or refresh) the bots' Tool nodes in the graph; how many were written."""
    bundle = tools_bundle(registry or default_registry())
    store.write_bundle(bundle)
    log.info("registered %d bot tools in the graph", len(bundle.nodes))
    return len(bundle.nodes)


def _check_persona(persona: str) -> None:
    if persona not in PERSONAS:
        raise ToolNotAllowedError(f"没有「{persona}」这个角色；角色：{'、'.join(PERSONAS)}")


@cache
def default_registry() -> ToolRegistry:
    """Every tool of CityAgent (built once)."""
    return ToolRegistry((*KNOWLEDGE_TOOLS, *CITIZEN_TOOLS, *HOTLINE_TOOLS, *RISK_TOOLS,
                         *OPTIMISATION_TOOLS, *PERCEPTION_TOOLS))


def tools_for(persona: Persona) -> list[BaseTool]:
    """The tools ``persona`` may call in the default registry."""
    return default_registry().tools_for(persona)
