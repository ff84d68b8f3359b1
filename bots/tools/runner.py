"""Calling a tool with provenance: every call, allowed or not, becomes a ToolRun in the graph.

Consoles and the duty officers' API call engines through :class:`ToolRunner`: the registry
checks the persona, the tool runs on the call's services, and the run is stored with its
input, output, time and outcome, linked to the Tool node and to the entities it used and
produced (:mod:`kg.tool_runs`). A refused or failed call is stored too, then reported.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from bots.tools.context import ToolContext
from bots.tools.registry import (
    ToolNotAllowedError,
    ToolRegistry,
    default_registry,
    node_id_of,
    register_tools,
)
from bots.tools.spec import Persona
from kg.errors import CityAgentError, DataValidationError, validation_problems
from kg.ontology import city_now
from kg.records import NodeRef
from kg.store import GraphStore
from kg.tool_runs import Outcome, ToolRunRecord, record_tool_run

log = logging.getLogger(__name__)


class ToolRunResult(BaseModel):
    """A finished call: its stored run's id, the time it took and the tool's output."""

    run_id: str
    tool: str
    tool_node: str
    elapsed_ms: float
    output: Any


class ToolRunner:
    """Runs registry tools for a persona and keeps every run in the graph."""

    def __init__(self, store: GraphStore, registry: ToolRegistry | None = None) -> None:
        """Record runs in ``store``; tools come from ``registry`` (the default one)."""
        self.store = store
        self.registry = registry or default_registry()
        self._registered = False

    def run(self, persona: Persona, name: str, args: Mapping[str, Any], context: ToolContext,
            *, used: Sequence[NodeRef] = (), produced: Sequence[NodeRef] = ()
            ) -> ToolRunResult:
        """Call tool ``name`` as ``persona`` and store the run.

        Raises DataValidationError, running nothing, when an entity of ``used`` or
        ``produced`` is not in the graph; ToolNotAllowedError outside the persona's set and
        DataValidationError for arguments the tool refuses, both stored as refused runs.
        """
        for ref in (*used, *produced):
            self.store.ontology.check_label(ref.label)
        absent = self.store.missing_nodes([*used, *produced])
        if absent:
            raise DataValidationError("图谱中没有这些实体：" + "、".join(
                f"{r.label} {r.key}" for r in absent[:10]))
        spec = next((s for s in self.registry.specs() if s.name == name), None)
        run_id = f"RUN-{uuid.uuid4().hex[:12]}"
        began = time.perf_counter()
        outcome: Outcome = "ok"
        output: Any = None
        error: str | None = None
        try:
            result = self.registry.invoke(persona, name, args, context)
            output = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
        except ToolNotAllowedError as exc:
            outcome, error = "refused", exc.message
            raise
        except ValidationError as exc:
            outcome, error = "refused", validation_problems(exc)
            raise DataValidationError(f"工具「{name}」的参数不合法：{error}") from exc
        except CityAgentError as exc:
            outcome, error = "failed", exc.message
            raise
        finally:
            elapsed = round((time.perf_counter() - began) * 1000, 2)
            if spec is not None:
                self._register()
                record_tool_run(self.store, ToolRunRecord(
                    id=run_id, tool_id=node_id_of(spec), persona=persona, outcome=outcome,
                    created_at=city_now(), elapsed_ms=elapsed,
                    input=dict(args), output=output, error=error, used=list(used),
                    produced=list(produced)))
            log.info("tool %s run %s by %s: %s in %.0f ms", name, run_id, persona, outcome,
                     elapsed)
        assert spec is not None, "the registry refuses unknown tools before this"
        return ToolRunResult(run_id=run_id, tool=name, tool_node=node_id_of(spec),
                             elapsed_ms=elapsed, output=output)

    def _register(self) -> None:
        """Make sure every tool has its Tool node before a run points at it (once)."""
        if not self._registered:
            register_tools(self.store, self.registry)
            self._registered = True
