"""Tools as the graph knows them: which tools act on an entity, and every run they made.

A console or a bot finds the tools for a camera, a water gauge or an incident by asking the
graph (a Tool ``APPLIES_TO`` the entity, or lists its label in ``applies_to_labels``), and
every call of a tool is kept as a ToolRun: who called it (persona), when, how long it took,
what went in and came out, linked by RUN_OF to its Tool, USED to the entities it read and
PRODUCED to the entities it created (an Incident, a Ticket). So any result can be traced back
to the run, the tool and the inputs that made it.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from kg.records import GraphBundle, NodeRef
from kg.store import GraphStore

Outcome = Literal["ok", "refused", "failed"]
MAX_JSON_CHARS = 20_000
"""Inputs and outputs longer than this are kept cut (an image's base64 is not worth keeping)."""

_FOR_ENTITY = (
    "MATCH (n:`{label}` {{id: $entity_id}}) "
    "MATCH (t:Tool) WHERE (t)-[:APPLIES_TO]->(n) "
    "OR any(l IN labels(n) WHERE l IN coalesce(t.applies_to_labels, [])) "
    "OPTIONAL MATCH (d:Department)-[:OPERATES]->(t) "
    "RETURN t.id AS id, coalesce(t.name, t.id) AS name, t.kind AS kind, "
    "t.description AS description, coalesce(t.personas, []) AS personas, "
    "EXISTS {{ (t)-[:APPLIES_TO]->(n) }} AS linked, collect(DISTINCT d.name) AS operators "
    "ORDER BY linked DESC, t.id"
)
_RUNS = (
    "MATCH (r:ToolRun)-[:RUN_OF]->(t:Tool) "
    "WHERE ($tool_id IS NULL OR t.id = $tool_id) "
    "AND ($entity_id IS NULL OR EXISTS { (r)-[:USED|PRODUCED]->({id: $entity_id}) }) "
    "OPTIONAL MATCH (r)-[:USED]->(u) OPTIONAL MATCH (r)-[:PRODUCED]->(p) "
    "RETURN r.id AS id, t.id AS tool_id, r.persona AS persona, r.outcome AS outcome, "
    "r.created_at AS created_at, r.elapsed_ms AS elapsed_ms, r.error AS error, "
    "collect(DISTINCT u.id) AS used, collect(DISTINCT p.id) AS produced "
    "ORDER BY r.created_at DESC LIMIT $limit"
)


class ToolInfo(BaseModel):
    """A tool that acts on an entity, as the graph describes it."""

    id: str
    name: str
    kind: str | None = None
    description: str | None = None
    personas: list[str] = Field(default_factory=list)
    linked: bool = Field(description="an APPLIES_TO edge names this very entity")
    operators: list[str] = Field(default_factory=list, description="departments operating it")


class ToolRunRecord(BaseModel):
    """One call of a tool, as it is stored."""

    id: str
    tool_id: str
    persona: str
    outcome: Outcome
    created_at: datetime
    elapsed_ms: float
    input: dict[str, Any] = Field(default_factory=dict)
    output: Any = None
    error: str | None = None
    used: list[NodeRef] = Field(default_factory=list)
    produced: list[NodeRef] = Field(default_factory=list)


class ToolRunSummary(BaseModel):
    """A stored run, as a list of runs shows it."""

    id: str
    tool_id: str
    persona: str | None = None
    outcome: str | None = None
    created_at: datetime | None = None
    elapsed_ms: float | None = None
    error: str | None = None
    used: list[str] = Field(default_factory=list)
    produced: list[str] = Field(default_factory=list)


def _kept(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_JSON_CHARS else text[:MAX_JSON_CHARS] + "…"


def record_tool_run(store: GraphStore, run: ToolRunRecord) -> None:
    """Store ``run`` with its edges to the tool and to the entities it used and produced."""
    bundle = GraphBundle()
    ref = bundle.node("ToolRun", id=run.id, name=f"{run.tool_id} {run.created_at:%Y-%m-%d %H:%M}",
                      persona=run.persona, outcome=run.outcome, created_at=run.created_at,
                      elapsed_ms=run.elapsed_ms, input_json=_kept(run.input),
                      output_json=_kept(run.output), error=run.error)
    bundle.rel("RUN_OF", ref, NodeRef(label="Tool", key=run.tool_id))
    for used in run.used:
        bundle.rel("USED", ref, used)
    for produced in run.produced:
        bundle.rel("PRODUCED", ref, produced)
    store.write_bundle(bundle)


def tools_for_entity(store: GraphStore, label: str, entity_id: str) -> list[ToolInfo]:
    """The tools that act on the ``label`` entity ``entity_id``, those linked to it first.

    Raises OntologyError for a label the ontology does not have (it is part of the query).
    """
    store.ontology.check_label(label)
    cypher = _FOR_ENTITY.format(label=store.ontology.merge_label(label))
    return store.read_models(cypher, ToolInfo, entity_id=entity_id)


def tool_runs(store: GraphStore, *, tool_id: str | None = None, entity_id: str | None = None,
              limit: int = 50) -> list[ToolRunSummary]:
    """The latest runs, of one tool or touching one entity when given."""
    return store.read_models(_RUNS, ToolRunSummary, tool_id=tool_id, entity_id=entity_id,
                             limit=limit)


def link_produced(store: GraphStore, run_id: str, produced: list[NodeRef]) -> None:
    """Record that run ``run_id`` led to ``produced`` (an incident, a ticket) after it ran."""
    bundle = GraphBundle()
    for ref in produced:
        bundle.rel("PRODUCED", NodeRef(label="ToolRun", key=run_id), ref)
    store.write_bundle(bundle)
