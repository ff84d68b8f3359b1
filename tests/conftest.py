"""Fixtures shared by the whole test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kg.server import Neo4jConnection, Neo4jServer, local_connection
from kg.settings import Settings
from kg.store import GraphStore


@pytest.fixture(scope="session")
def neo4j_server_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the session's own Neo4j server: a private var and data folder.

    Explicit folders keep a developer's local server, data and password out of the tests.
    """
    var_dir = tmp_path_factory.mktemp("neo4j-var")
    return Settings(var_dir=var_dir, neo4j_data_dir=var_dir / "neo4j")


@pytest.fixture(scope="session")
def neo4j_connection(neo4j_server_settings: Settings) -> Iterator[Neo4jConnection]:
    """The project's own Neo4j server, started once per session (free port, auth on).

    It runs as a child of the test process (detach=False), so it also ends when pytest is
    killed; the first use builds it with Maven, which takes minutes on a cold ~/.m2.
    """
    server = Neo4jServer(neo4j_server_settings)
    info = server.start(port=0, auth=True, detach=False)
    try:
        yield local_connection(neo4j_server_settings, info)
    finally:
        server.stop()


@pytest.fixture()
def graph(neo4j_connection: Neo4jConnection) -> Iterator[GraphStore]:
    """A GraphStore on the session's scratch server, emptied before each test."""
    with GraphStore(neo4j_connection, max_retry_time_s=5.0) as store:
        store.clear()
        yield store


@pytest.fixture(scope="session")
def demo_graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """A second server holding the demo city, loaded once, for tests that only read it."""
    var_dir = tmp_path_factory.mktemp("neo4j-demo-var")
    settings = Settings(var_dir=var_dir, neo4j_data_dir=var_dir / "neo4j")
    server = Neo4jServer(settings)
    info = server.start(port=0, auth=True, detach=False)
    try:
        with GraphStore(local_connection(settings, info)) as store:
            from ingest.demo.loader import load_demo_city

            load_demo_city(store)
            yield store
    finally:
        server.stop()
