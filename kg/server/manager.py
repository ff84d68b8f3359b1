"""Build, start, stop and find CityAgent's own Neo4j server.

The server is the small Maven project next to this file (``pom.xml`` and
``src/main/java/dev/cityagent/neo4j/Launcher.java``): Neo4j Community embedded, Bolt on
127.0.0.1, APOC core. This module builds it with Maven when needed, runs it with the JVM flags
below (the one list of them in the project), waits for it to answer over Bolt and records
where it runs in ``<var_dir>/neo4j.json`` so that later processes (the CLI, the service) find
it. :func:`connection_settings` is how the rest of the project learns where the graph is.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import secrets
import shutil
import subprocess
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, DriverError, Neo4jError
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from kg.errors import ConfigurationError, Neo4jServerError
from kg.server.processes import (
    command_line,
    file_lock,
    pid_alive,
    port_is_free,
    register_child,
    terminate,
    wait_quietly,
)
from kg.settings import Settings

log = logging.getLogger(__name__)

#: The Maven project of the server (this package's folder).
SERVER_PROJECT_DIR = Path(__file__).resolve().parent
LAUNCHER_CLASS = "dev.cityagent.neo4j.Launcher"
READY_PREFIX = "CITYAGENT-NEO4J-READY "
LOCAL_USER = "neo4j"
BOLT_HOST = "127.0.0.1"

STATE_FILE = "neo4j.json"
PASSWORD_FILE = "neo4j-password"
LOCK_FILE = "neo4j.lock"
BUILD_STAMP = ".cityagent-build-stamp"
LAUNCHER_LOG = "launcher.log"

#: JVM flags of the server, besides -Xmx (from settings.neo4j_heap). All but the last three are
#: the ``server.jvm.additional`` lines that Neo4j 5.26's own neo4j.conf enables. Left out:
#: -XX:+TrustFinalNonStaticFields (that file says to disable it in embedded mode, which this
#: is) and --add-modules=jdk.incubator.vector (commented out there; Lucene 9 uses the vector
#: API only on Java versions newer than 17). The module opens give Neo4j, Lucene and Netty
#: the NIO internals that the page cache, the vector and full-text indexes and Bolt rely on.
JVM_FLAGS: tuple[str, ...] = (
    "-XX:+UseG1GC",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+AlwaysPreTouch",
    "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Djdk.tls.ephemeralDHKeySize=2048",
    "-Djdk.tls.rejectClientInitiatedRenegotiation=true",
    "-XX:FlightRecorderOptions=stackdepth=256",
    "-XX:+UnlockDiagnosticVMOptions",
    "-XX:+DebugNonSafepoints",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
    "-Dlog4j.layout.jsonTemplate.maxStringLength=32768",
    # Ours: a heap exhausted leaves a process that answers nothing, better it ends (status
    # then says so); the JVM's own messages go to the log, keeping stdout for the READY line;
    # text files (the password file) are read as UTF-8 whatever the locale.
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:+DisplayVMOutputToStderr",
    "-Dfile.encoding=UTF-8",
)

#: Tools and the Debian packages that bring them.
_TOOL_PACKAGES = {
    "java": "openjdk-17-jre-headless",
    "javac": "openjdk-17-jdk-headless",
    "mvn": "maven",
}

_BUILD_TIMEOUT_S = 1800.0
_LOG_TAIL_LINES = 40


class LocalServerInfo(BaseModel):
    """Where a local server runs: what ``Neo4jServer.start`` returns and the state file keeps."""

    model_config = ConfigDict(frozen=True)

    uri: str
    pid: int
    port: int
    data_dir: Path
    auth: bool
    started_at: datetime


class ServerStatus(BaseModel):
    """Whether the local server runs and whether Bolt answers."""

    running: bool
    info: LocalServerInfo | None = None
    bolt_reachable: bool = False


class Neo4jConnection(BaseModel):
    """How to reach the graph: an external server, or the project's local one."""

    uri: str
    user: str = LOCAL_USER
    password: SecretStr | None = None
    database: str = "neo4j"


class _ServerState(LocalServerInfo):
    """The state file: the info plus how the server was started."""

    detached: bool




def local_password(settings: Settings) -> str:
    """The password of user ``neo4j`` on the local server, generated on first use.

    It lives in ``<var_dir>/neo4j-password`` with mode 0600 from the moment it exists: it is
    written to a private temporary file first and then hard-linked into place, so no reader
    ever sees a partial or world-readable file and two first uses agree on one password.
    """
    var_dir = Path(settings.var_dir).absolute()
    path = var_dir / PASSWORD_FILE
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        tmp = var_dir / f".{PASSWORD_FILE}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            try:
                os.fchmod(fd, 0o600)  # whatever the umask
                os.write(fd, (secrets.token_urlsafe(24) + "\n").encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, path)
                log.info("generated the local Neo4j password in %s", path)
            except FileExistsError:
                pass  # another process was first; its password wins
        finally:
            tmp.unlink(missing_ok=True)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("%s was readable by others (mode %o); setting it to 0600", path, mode)
        path.chmod(0o600)
    password = path.read_text(encoding="utf-8").strip()
    if not password:
        raise ConfigurationError(f"the password file {path} is empty; delete it to get a new one")
    return password


def local_connection(settings: Settings, info: LocalServerInfo) -> Neo4jConnection:
    """The connection to a local server described by ``info`` (its password when auth is on)."""
    password = SecretStr(local_password(settings)) if info.auth else None
    return Neo4jConnection(
        uri=info.uri, user=LOCAL_USER, password=password, database=settings.neo4j_database
    )


def connection_settings(settings: Settings) -> Neo4jConnection:
    """The graph connection the whole project uses.

    With ``NEO4J_URI`` set that server, with the configured user and password, and nothing is
    started; otherwise the local server that runs now (see ``cityagent neo4j start``).
    """
    if settings.neo4j_uri:  # settings.uses_external_neo4j
        return Neo4jConnection(
            uri=settings.neo4j_uri,
            user=settings.neo4j_user,
            password=settings.neo4j_password,
            database=settings.neo4j_database,
        )
    status = Neo4jServer(settings).status(check_bolt=False)
    if not status.running or status.info is None:
        raise Neo4jServerError(
            "no local Neo4j server is running for "
            f"{Path(settings.var_dir).absolute()}: run `cityagent neo4j start` "
            "(or set NEO4J_URI to use another server)"
        )
    return local_connection(settings, status.info)


class Neo4jServer:
    """The project's local Neo4j server for one settings object (its var and data folders)."""

    def __init__(self, settings: Settings, *, project_dir: Path | None = None) -> None:
        """``project_dir`` is the Maven project to build and run (default: this package)."""
        self.settings = settings
        self.project_dir = (project_dir or SERVER_PROJECT_DIR).absolute()
        self.var_dir = Path(settings.var_dir).absolute()
        self.data_dir = Path(settings.neo4j_local_data_dir).absolute()
        self._child: subprocess.Popen[bytes] | None = None

    # -- paths -------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        """``<var_dir>/neo4j.json``: where the running server is recorded."""
        return self.var_dir / STATE_FILE

    @property
    def log_file(self) -> Path:
        """The launcher's own log (its stderr); Neo4j's logs lie next to it."""
        return self.data_dir / "logs" / LAUNCHER_LOG

    @property
    def _target(self) -> Path:
        return self.project_dir / "target"

    # -- build -------------------------------------------------------------------------
    def build(self) -> None:
        """Build the server with Maven unless the build output is newer than the sources.

        The first build downloads Neo4j and APOC into ``~/.m2`` (minutes); later ones only
        recompile. Raises ConfigurationError when Java or Maven is missing and
        Neo4jServerError, with the tail of Maven's output, when the build fails.
        """
        if not self._build_is_stale():
            return
        tools = _require_tools("java", "javac", "mvn")
        self._target.mkdir(parents=True, exist_ok=True)
        with _lock(self._target / ".build.lock", _BUILD_TIMEOUT_S, "another build"):
            if not self._build_is_stale():
                return
            # Jars of an older pom must not linger next to the new ones on the class path.
            for folder in ("lib", "plugins"):
                shutil.rmtree(self._target / folder, ignore_errors=True)
            (self._target / BUILD_STAMP).unlink(missing_ok=True)
            pom = self.project_dir / "pom.xml"
            command = [tools["mvn"], "-q", "-B", "-f", str(pom), "package", "-DskipTests"]
            log.info("building the local Neo4j server: %s", " ".join(command))
            began = time.monotonic()
            try:
                result = subprocess.run(
                    command,
                    cwd=self.project_dir,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    timeout=_BUILD_TIMEOUT_S,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                output = (exc.stdout or b"").decode("utf-8", "replace")
                raise Neo4jServerError(
                    f"mvn did not finish within {_BUILD_TIMEOUT_S:.0f} s:\n{_tail(output)}"
                ) from exc
            output = result.stdout.decode("utf-8", "replace")
            if result.returncode != 0:
                raise Neo4jServerError(
                    f"building the Neo4j server failed (mvn exit code {result.returncode}):\n"
                    f"{_tail(output)}"
                )
            if self._missing_build_outputs():
                raise Neo4jServerError(
                    "mvn succeeded but left no launcher or jars in "
                    f"{self._target}:\n{_tail(output)}"
                )
            (self._target / BUILD_STAMP).write_text(
                f"{datetime.now(UTC).isoformat()} {' '.join(command)}\n", encoding="utf-8"
            )
            log.info("built the local Neo4j server in %.1f s", time.monotonic() - began)

    def _missing_build_outputs(self) -> bool:
        launcher = self._target / "classes" / (LAUNCHER_CLASS.replace(".", "/") + ".class")
        lib, plugins = self._target / "lib", self._target / "plugins"
        return not (
            launcher.is_file()
            and lib.is_dir()
            and any(lib.glob("*.jar"))
            and plugins.is_dir()
            and any(plugins.glob("*.jar"))
        )

    def _build_is_stale(self) -> bool:
        stamp = self._target / BUILD_STAMP
        if not stamp.is_file() or self._missing_build_outputs():
            return True
        built = stamp.stat().st_mtime
        sources = [self.project_dir / "pom.xml"]
        sources += [p for p in (self.project_dir / "src").rglob("*") if p.is_file()]
        return any(p.stat().st_mtime > built for p in sources if p.exists())

    # -- start -------------------------------------------------------------------------
    def start(
        self, *, port: int | None = None, auth: bool = True, detach: bool = True
    ) -> LocalServerInfo:
        """Start the local server (building it first if needed) and wait until Bolt answers.

        ``port`` defaults to settings.neo4j_bolt_port; 0 lets the server pick a free port.
        ``detach=True`` starts it in its own session so it outlives this process (the CLI);
        ``detach=False`` ties it to this process through its stdin, so it stops when we end.
        When a server already runs for this data folder, its info is returned instead; a file
        lock keeps two simultaneous starts from launching two servers.
        """
        bolt_port = self.settings.neo4j_bolt_port if port is None else port
        if not 0 <= bolt_port <= 65535:
            raise ConfigurationError(f"the Bolt port must be within 0..65535, not {bolt_port}")
        self.var_dir.mkdir(parents=True, exist_ok=True)
        # The wait covers a first build (minutes) plus a start made by the lock's holder.
        lock_wait = _BUILD_TIMEOUT_S + self.settings.neo4j_start_timeout_s
        with _lock(self.var_dir / LOCK_FILE, lock_wait, "another start or stop"):
            running = self._running_state()
            if running is not None:
                if running.data_dir != self.data_dir:
                    raise Neo4jServerError(
                        f"a local Neo4j server for {running.data_dir} already runs from "
                        f"{self.var_dir} (pid {running.pid}); stop it first"
                    )
                if running.auth != auth or (port not in (None, 0) and running.port != port):
                    log.warning(
                        "a local Neo4j server already runs at %s (auth=%s); returning it",
                        running.uri,
                        running.auth,
                    )
                return _public(running)
            self.state_file.unlink(missing_ok=True)
            # Built only now: a rebuild replaces the jars that a running server reads.
            self.build()
            java = _require_tools("java")["java"]
            if bolt_port and not port_is_free(BOLT_HOST, bolt_port):
                raise Neo4jServerError(
                    f"Bolt port {bolt_port} on {BOLT_HOST} is in use by another program; "
                    "choose another with --port or CITYAGENT_NEO4J_BOLT_PORT"
                )
            return self._launch(java, bolt_port, auth=auth, detach=detach)

    def _command(self, java: str, port: int, *, auth: bool, detach: bool) -> list[str]:
        classpath = os.pathsep.join(
            [str(self._target / "classes"), str(self._target / "lib" / "*")]
        )
        command = [
            java,
            f"-Xmx{self.settings.neo4j_heap}",
            *JVM_FLAGS,
            "-cp",
            classpath,
            LAUNCHER_CLASS,
            "--home",
            str(self.data_dir),
            "--listen",
            f"{BOLT_HOST}:{port}",
            "--pagecache",
            self.settings.neo4j_pagecache,
            "--auth",
            "true" if auth else "false",
            "--plugins",
            str(self._target / "plugins"),
        ]
        if auth:
            local_password(self.settings)
            command += ["--password-file", str(self.var_dir / PASSWORD_FILE)]
        if not detach:
            command.append("--watch-stdin")
        return command

    def _launch(self, java: str, port: int, *, auth: bool, detach: bool) -> LocalServerInfo:
        command = self._command(java, port, auth=auth, detach=detach)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        with self.log_file.open("ab") as log_out:
            log_out.write(f"\n=== {datetime.now(UTC).isoformat()} {' '.join(command)}\n".encode())
            log_out.flush()
            proc = subprocess.Popen(
                command,
                cwd=self.data_dir,
                stdin=subprocess.DEVNULL if detach else subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_out,
                start_new_session=detach,
            )
        register_child(proc)
        self._child = proc
        log.info("started the local Neo4j server, pid %d; log in %s", proc.pid, self.log_file)
        deadline = began + self.settings.neo4j_start_timeout_s
        try:
            uri = self._await_ready_line(proc, deadline)
            self._await_bolt(uri, auth=auth, deadline=deadline)
        except BaseException as exc:
            self._kill(proc)
            if isinstance(exc, Neo4jServerError):
                raise Neo4jServerError(f"{exc.message}\n{self._log_tail()}") from None
            raise
        state = _ServerState(
            uri=uri,
            pid=proc.pid,
            port=int(uri.rsplit(":", 1)[1]),
            data_dir=self.data_dir,
            auth=auth,
            started_at=datetime.now(UTC),
            detached=detach,
        )
        self._write_state(state)
        log.info("the local Neo4j server answers at %s after %.1f s", uri, time.monotonic() - began)
        return _public(state)

    def _await_ready_line(self, proc: subprocess.Popen[bytes], deadline: float) -> str:
        """Reads the launcher's stdout until its READY line, its exit or the deadline."""
        assert proc.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        reader = threading.Thread(
            target=_read_ready_line, args=(proc.stdout, lines), daemon=True, name="neo4j-ready"
        )
        reader.start()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Neo4jServerError(
                    f"the local Neo4j server was not ready within "
                    f"{self.settings.neo4j_start_timeout_s:.0f} s"
                )
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if proc.poll() is not None:
                    raise Neo4jServerError(
                        f"the local Neo4j server exited during start-up (code {proc.returncode})"
                    ) from None
                continue
            if line is None:
                code = wait_quietly(proc, 5.0)
                raise Neo4jServerError(
                    f"the local Neo4j server exited during start-up (code {code})"
                )
            return line[len(READY_PREFIX) :].strip()

    def _await_bolt(self, uri: str, *, auth: bool, deadline: float) -> None:
        """Waits until a real Bolt handshake (and login) succeeds with the driver."""
        credentials = (LOCAL_USER, local_password(self.settings)) if auth else None
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            try:
                _verify_bolt(uri, credentials, timeout=max(1.0, deadline - time.monotonic()))
                return
            except AuthError as exc:
                raise Neo4jServerError(f"the local Neo4j server refused our login: {exc}") from exc
            except (DriverError, Neo4jError, OSError) as exc:
                last_error = exc
                time.sleep(0.2)
        raise Neo4jServerError(f"Bolt at {uri} did not answer in time: {last_error}")

    # -- stop and status -----------------------------------------------------------------
    def stop(self, timeout: float = 60) -> bool:
        """Stop the local server: SIGTERM, wait up to ``timeout`` s, then SIGKILL.

        Works for a server started by another process (found through the state file) as well
        as for one started here. Returns whether a running server was stopped; the state file
        is removed either way.
        """
        with _lock(self.var_dir / LOCK_FILE, timeout + 60.0, "another start or stop"):
            state = self._running_state()
            pid: int | None = state.pid if state is not None else None
            if pid is None and self._child is not None and self._child.poll() is None:
                pid = self._child.pid
            self.state_file.unlink(missing_ok=True)
            if pid is None:
                return False
            log.info("stopping the local Neo4j server, pid %d", pid)
            began = time.monotonic()
            if not terminate(pid, timeout, Neo4jServerError, "the local Neo4j server"):
                log.warning("the Neo4j server ignored SIGTERM for %.0f s: killed it", timeout)
            log.info("stopped the local Neo4j server in %.1f s", time.monotonic() - began)
            return True

    def status(self, *, check_bolt: bool = True) -> ServerStatus:
        """Whether the local server of these settings runs and (optionally) answers over Bolt."""
        state = self._running_state()
        if state is None:
            return ServerStatus(running=False)
        info = _public(state)
        reachable = False
        if check_bolt:
            credentials = None
            if info.auth:
                with contextlib.suppress(OSError):
                    password = (self.var_dir / PASSWORD_FILE).read_text("utf-8").strip()
                    credentials = (LOCAL_USER, password)
            try:
                _verify_bolt(info.uri, credentials, timeout=5.0)
                reachable = True
            except (DriverError, Neo4jError, OSError) as exc:
                log.debug("Bolt at %s does not answer: %s", info.uri, exc)
        return ServerStatus(running=True, info=info, bolt_reachable=reachable)

    # -- state -----------------------------------------------------------------------------
    def _read_state(self) -> _ServerState | None:
        try:
            return _ServerState.model_validate_json(self.state_file.read_bytes())
        except FileNotFoundError:
            return None
        except (ValidationError, ValueError, OSError) as exc:
            log.warning("ignoring the unreadable state file %s: %s", self.state_file, exc)
            return None

    def _running_state(self) -> _ServerState | None:
        """The recorded server if its process still runs our launcher on its data folder."""
        state = self._read_state()
        if state is None:
            return None
        if pid_alive(state.pid) and _is_launcher(state.pid, state.data_dir):
            return state
        log.info("the recorded Neo4j server (pid %d) no longer runs", state.pid)
        return None

    def _write_state(self, state: _ServerState) -> None:
        tmp = self.state_file.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state.model_dump(mode="json"), indent=2) + "\n", "utf-8")
        os.replace(tmp, self.state_file)

    def _kill(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            log.warning("killing the local Neo4j server (pid %d)", proc.pid)
            proc.kill()
        wait_quietly(proc, 30.0)

    def _log_tail(self) -> str:
        try:
            lines = self.log_file.read_text("utf-8", "replace").splitlines()
        except OSError:
            return f"(no log at {self.log_file})"
        tail = "\n".join(lines[-_LOG_TAIL_LINES:])
        return f"--- last lines of {self.log_file}:\n{tail}"


# -- helpers ---------------------------------------------------------------------------------
def _public(state: LocalServerInfo) -> LocalServerInfo:
    return LocalServerInfo.model_validate(
        state.model_dump(include=set(LocalServerInfo.model_fields))
    )


def _require_tools(*names: str) -> dict[str, str]:
    """Paths of the named programs; ConfigurationError naming each missing one and its package."""
    found = {name: shutil.which(name) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        what = ", ".join(f"`{n}` (Debian package {_TOOL_PACKAGES[n]})" for n in missing)
        packages = " ".join(dict.fromkeys(_TOOL_PACKAGES[n] for n in missing))
        raise ConfigurationError(
            f"the local Neo4j server needs {what}, not found on PATH; "
            f"install with: apt-get install {packages}"
        )
    return {name: path for name, path in found.items() if path is not None}


def _read_ready_line(stream: IO[bytes], lines: queue.Queue[str | None]) -> None:
    """Puts the READY line (or None at end of file) on ``lines``, then closes ``stream``."""
    try:
        for raw in stream:
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith(READY_PREFIX):
                lines.put(line)
                return
            if line:
                log.debug("neo4j stdout: %s", line)
        lines.put(None)
    except (OSError, ValueError):
        lines.put(None)
    finally:
        # Nothing else comes on stdout; closing our end keeps no pipe tied to this process.
        with contextlib.suppress(OSError):
            stream.close()


def _verify_bolt(uri: str, auth: tuple[str, str] | None, *, timeout: float) -> None:
    """A Bolt handshake and login with the official driver; raises the driver's errors."""
    with GraphDatabase.driver(
        uri, auth=auth, connection_timeout=timeout, connection_acquisition_timeout=timeout
    ) as driver:
        driver.verify_connectivity()


def _is_launcher(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` runs our launcher on ``data_dir`` (guards against reused pids)."""
    decoded = command_line(pid)
    if decoded is None:
        return True  # trust the state file
    if LAUNCHER_CLASS not in decoded:
        return False
    try:
        return Path(decoded[decoded.index("--home") + 1]) == data_dir
    except (ValueError, IndexError):
        return False


def _tail(text: str, lines: int = _LOG_TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _lock(path: Path, timeout: float, holder: str) -> contextlib.AbstractContextManager[None]:
    return file_lock(path, timeout, holder, Neo4jServerError)
