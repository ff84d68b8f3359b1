"""The project's own Neo4j server, for real: built with Maven, started, queried, stopped."""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from neo4j import Driver, GraphDatabase

from kg.errors import ConfigurationError, Neo4jServerError
from kg.server import (
    Neo4jConnection,
    Neo4jServer,
    connection_settings,
    local_password,
)
from kg.server.manager import BUILD_STAMP, LAUNCHER_CLASS, SERVER_PROJECT_DIR
from kg.settings import Settings

# The first build downloads Neo4j and APOC (minutes); every start takes a JVM and a database.
pytestmark = pytest.mark.timeout(1800)

REPO_ROOT = Path(__file__).resolve().parents[2]
DIMENSIONS = 384


@pytest.fixture(scope="module")
def driver(neo4j_connection: Neo4jConnection) -> Iterator[Driver]:
    password = neo4j_connection.password
    auth = (neo4j_connection.user, password.get_secret_value()) if password else None
    with GraphDatabase.driver(neo4j_connection.uri, auth=auth) as opened:
        yield opened


def _settings(var_dir: Path, monkeypatch: pytest.MonkeyPatch, **overrides: Any) -> Settings:
    """Settings on a private var folder, with no external server configured."""
    for name in ("NEO4J_URI", "CITYAGENT_NEO4J_URI"):
        monkeypatch.delenv(name, raising=False)
    return Settings(var_dir=var_dir, neo4j_data_dir=var_dir / "neo4j", **overrides)


def _launchers_on(data_dir: Path) -> list[int]:
    """Pids of launcher processes that run on ``data_dir`` (zombies excluded)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if LAUNCHER_CLASS.encode() in args and str(data_dir).encode() in args:
            pids.append(int(entry.name))
    return pids


def _starter(var_dir: Path, *, detach: bool) -> subprocess.Popen[str]:
    """Another Python process that starts the server, prints its info and exits."""
    code = (
        "from kg.server import Neo4jServer\n"
        "from kg.settings import Settings\n"
        f"info = Neo4jServer(Settings()).start(port=0, detach={detach})\n"
        "print(info.model_dump_json())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.endswith("NEO4J_URI")}
    env.update(
        CITYAGENT_VAR_DIR=str(var_dir),
        CITYAGENT_NEO4J_DATA_DIR=str(var_dir / "neo4j"),
        CITYAGENT_NEO4J_HEAP="512m",
    )
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str]) -> dict[str, object]:
    out, err = proc.communicate(timeout=900)
    assert proc.returncode == 0, err
    info: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return info


def _wait_gone(data_dir: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _launchers_on(data_dir):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _fresh_copy(tmp_path: Path) -> Path:
    """The server's Maven project without any build output."""
    copy = tmp_path / "server"
    copy.mkdir()
    shutil.copy2(SERVER_PROJECT_DIR / "pom.xml", copy / "pom.xml")
    shutil.copytree(SERVER_PROJECT_DIR / "src", copy / "src")
    return copy


def _path_with(tmp_path: Path, *tools: str) -> str:
    """A PATH folder holding only ``tools`` (links to the real ones)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in tools:
        real = shutil.which(tool)
        assert real is not None, f"{tool} is needed to run this test"
        (bin_dir / tool).symlink_to(real)
    return str(bin_dir)


# -- the session's server ------------------------------------------------------------------
def test_apoc_core_answers(driver: Driver, neo4j_connection: Neo4jConnection) -> None:
    records = driver.execute_query(
        "RETURN apoc.version() AS version, apoc.coll.sum([1, 2, 3.5]) AS total",
        database_=neo4j_connection.database,
    ).records
    assert records[0]["version"].startswith("5.26.")
    assert records[0]["total"] == pytest.approx(6.5)
    kernel = driver.execute_query(
        "CALL dbms.components() YIELD name, versions, edition "
        "RETURN versions[0] AS version, edition",
        database_=neo4j_connection.database,
    ).records[0]
    assert kernel["version"].startswith("5.26.") and kernel["edition"] == "community"


def test_vector_index_returns_the_nearest_node_first(
    driver: Driver, neo4j_connection: Neo4jConnection
) -> None:
    db = neo4j_connection.database
    rng = random.Random(384)
    vectors = [[rng.gauss(0.0, 1.0) for _ in range(DIMENSIONS)] for _ in range(200)]
    driver.execute_query(
        "CREATE VECTOR INDEX server_test_vectors IF NOT EXISTS "
        "FOR (n:ServerTestChunk) ON n.embedding OPTIONS {indexConfig: {"
        "`vector.dimensions`: 384, `vector.similarity_function`: 'cosine'}}",
        database_=db,
    )
    try:
        driver.execute_query(
            "UNWIND range(0, size($vectors) - 1) AS i "
            "CREATE (:ServerTestChunk {id: i, embedding: $vectors[i]})",
            vectors=vectors,
            database_=db,
        )
        driver.execute_query("CALL db.awaitIndexes(120)", database_=db)
        for target in (42, 137):
            query = [x + rng.gauss(0.0, 0.05) for x in vectors[target]]
            rows = driver.execute_query(
                "CALL db.index.vector.queryNodes('server_test_vectors', 5, $query) "
                "YIELD node, score RETURN node.id AS id, score",
                query=query,
                database_=db,
            ).records
            assert len(rows) == 5
            assert rows[0]["id"] == target
            assert rows[0]["score"] > 0.99
            scores = [r["score"] for r in rows]
            assert scores == sorted(scores, reverse=True)
    finally:
        driver.execute_query("MATCH (n:ServerTestChunk) DELETE n", database_=db)
        driver.execute_query("DROP INDEX server_test_vectors IF EXISTS", database_=db)


def test_fulltext_index_with_the_cjk_analyzer(
    driver: Driver, neo4j_connection: Neo4jConnection
) -> None:
    db = neo4j_connection.database
    names = ["滨江区住房和城乡建设局", "西湖区教育局", "杭州市公安局", "上城区卫生健康局"]
    driver.execute_query(
        "CREATE FULLTEXT INDEX server_test_org_names IF NOT EXISTS "
        "FOR (n:ServerTestOrg) ON EACH [n.name] "
        "OPTIONS {indexConfig: {`fulltext.analyzer`: 'cjk'}}",
        database_=db,
    )
    try:
        driver.execute_query(
            "UNWIND $names AS name CREATE (:ServerTestOrg {name: name})", names=names, database_=db
        )
        driver.execute_query("CALL db.awaitIndexes(120)", database_=db)
        rows = driver.execute_query(
            "CALL db.index.fulltext.queryNodes('server_test_org_names', '住房') "
            "YIELD node, score RETURN node.name AS name, score",
            database_=db,
        ).records
        assert [r["name"] for r in rows] == ["滨江区住房和城乡建设局"]
    finally:
        driver.execute_query("MATCH (n:ServerTestOrg) DELETE n", database_=db)
        driver.execute_query("DROP INDEX server_test_org_names IF EXISTS", database_=db)


def test_password_file_is_private(
    neo4j_server_settings: Settings, neo4j_connection: Neo4jConnection
) -> None:
    path = Path(neo4j_server_settings.var_dir) / "neo4j-password"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert neo4j_connection.password is not None
    assert path.read_text(encoding="utf-8").strip() == neo4j_connection.password.get_secret_value()


def test_password_is_created_private_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(tmp_path / "var", monkeypatch)
    old_umask = os.umask(0)
    try:
        first = local_password(settings)
    finally:
        os.umask(old_umask)
    path = tmp_path / "var" / "neo4j-password"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 24
    assert local_password(settings) == first
    assert [p.name for p in path.parent.iterdir()] == ["neo4j-password"]


# -- detached and attached servers ---------------------------------------------------------
def test_detached_server_outlives_its_starter_and_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var_dir = tmp_path / "var"
    data_dir = var_dir / "neo4j"
    # Two starts at once, from two processes: the lock lets one launch, the other finds it.
    starters = [_starter(var_dir, detach=True), _starter(var_dir, detach=True)]
    infos = [_finish(p) for p in starters]
    assert infos[0]["pid"] == infos[1]["pid"]
    assert _launchers_on(data_dir) == [infos[0]["pid"]]

    settings = _settings(var_dir, monkeypatch, neo4j_heap="512m")
    server = Neo4jServer(settings)
    try:
        status = server.status()
        assert status.running and status.bolt_reachable
        assert status.info is not None and status.info.pid == infos[0]["pid"]
        assert status.info.auth and status.info.data_dir == data_dir
        pid = status.info.pid
        assert os.getsid(pid) == pid  # its own session: no terminal signal reaches it
        state = json.loads((var_dir / "neo4j.json").read_text(encoding="utf-8"))
        assert state["pid"] == pid and state["uri"] == status.info.uri

        connection = connection_settings(settings)
        assert connection.uri == status.info.uri and connection.password is not None
        auth = (connection.user, connection.password.get_secret_value())
        with GraphDatabase.driver(connection.uri, auth=auth) as opened:
            assert opened.execute_query("RETURN 1 AS one").records[0]["one"] == 1
        assert server.start(port=0).pid == pid  # already running: returned, not started
    finally:
        stopped = server.stop()

    assert stopped
    assert _launchers_on(data_dir) == []
    assert not (var_dir / "neo4j.json").exists()
    assert not server.status().running
    assert not server.stop()
    with pytest.raises(Neo4jServerError, match="cityagent neo4j start"):
        connection_settings(settings)


def test_attached_server_ends_with_the_process_that_started_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var_dir = tmp_path / "var"
    info = _finish(_starter(var_dir, detach=False))
    # The starter has exited: its pipe to the server's stdin is closed, so the server stops.
    assert _wait_gone(var_dir / "neo4j", timeout=120)
    assert not Neo4jServer(_settings(var_dir, monkeypatch)).status().running
    log_text = (var_dir / "neo4j" / "logs" / "launcher.log").read_text(encoding="utf-8")
    assert "standard input closed" in log_text and "shut down cleanly" in log_text
    assert info["auth"] is True


def test_a_taken_port_is_reported_before_launching(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var_dir = tmp_path / "var"
    server = Neo4jServer(_settings(var_dir, monkeypatch))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(Neo4jServerError, match=f"Bolt port {port} .* is in use"):
            server.start(port=port, detach=False)
    assert _launchers_on(var_dir / "neo4j") == []
    assert not (var_dir / "neo4j.json").exists()


def test_a_launcher_that_dies_is_reported_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var_dir = tmp_path / "var"
    # A 1 KiB heap passes the settings' pattern but the JVM refuses it at once.
    server = Neo4jServer(_settings(var_dir, monkeypatch, neo4j_heap="1k"))
    with pytest.raises(Neo4jServerError, match="exited during start-up") as caught:
        server.start(port=0, detach=False)
    message = str(caught.value)
    assert "last lines of" in message and "heap" in message.lower()
    assert _launchers_on(var_dir / "neo4j") == []
    assert not (var_dir / "neo4j.json").exists()
    assert not server.status().running


def test_start_timeout_kills_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    var_dir = tmp_path / "var"
    server = Neo4jServer(_settings(var_dir, monkeypatch, neo4j_start_timeout_s=1.0))
    with pytest.raises(Neo4jServerError, match="not ready within 1 s"):
        server.start(port=0, detach=True)
    assert _launchers_on(var_dir / "neo4j") == []
    assert not server.status().running


# -- building --------------------------------------------------------------------------------
def test_build_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = Neo4jServer(_settings(tmp_path / "var", monkeypatch))
    server.build()
    stamp = SERVER_PROJECT_DIR / "target" / BUILD_STAMP
    built_at = stamp.stat().st_mtime
    began = time.monotonic()
    server.build()
    assert time.monotonic() - began < 2.0
    assert stamp.stat().st_mtime == built_at


def test_missing_maven_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _fresh_copy(tmp_path)
    server = Neo4jServer(_settings(tmp_path / "var", monkeypatch), project_dir=project)
    monkeypatch.setenv("PATH", _path_with(tmp_path, "java", "javac"))
    with pytest.raises(ConfigurationError) as caught:
        server.build()
    message = str(caught.value)
    assert "`mvn`" in message and "maven" in message
    assert "`java`" not in message and "`javac`" not in message
    assert not (project / "target" / "lib").exists()


def test_missing_java_and_maven_are_all_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _fresh_copy(tmp_path)
    server = Neo4jServer(_settings(tmp_path / "var", monkeypatch), project_dir=project)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(ConfigurationError) as caught:
        server.build()
    message = str(caught.value)
    for tool, package in [
        ("java", "openjdk-17-jre-headless"),
        ("javac", "openjdk-17-jdk-headless"),
        ("mvn", "maven"),
    ]:
        assert f"`{tool}`" in message and package in message


def test_failed_maven_build_reports_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, neo4j_connection: Neo4jConnection
) -> None:
    # neo4j_connection: the real build has run, so Maven finds every jar in ~/.m2.
    project = _fresh_copy(tmp_path)
    source = project / "src" / "main" / "java" / "dev" / "cityagent" / "neo4j" / "Launcher.java"
    source.write_text(source.read_text(encoding="utf-8") + "\nthis is not Java\n", "utf-8")
    server = Neo4jServer(_settings(tmp_path / "var", monkeypatch), project_dir=project)
    with pytest.raises(Neo4jServerError, match="mvn exit code") as caught:
        server.build()
    assert "Launcher.java" in str(caught.value)
    assert not (project / "target" / BUILD_STAMP).exists()
