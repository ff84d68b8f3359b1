"""Process bookkeeping shared by the local servers CityAgent starts (Neo4j, the local LLM).

Each local server is a child process recorded in a state file so that another process (the
CLI, a second ``serve``) can find, reuse or stop it. These helpers hold what that needs
and is the same for every server: a start/stop lock, a free-port probe, whether a recorded
pid still runs (and which command line it runs), and a polite-then-firm stop.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from kg.errors import CityAgentError

HAS_PROCFS = Path("/proc/self/cmdline").exists()

_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
_CHILDREN_LOCK = threading.Lock()


def register_child(proc: subprocess.Popen[bytes]) -> None:
    """Remember a server this process started, so that its exit is noticed and reaped."""
    with _CHILDREN_LOCK:
        _CHILDREN[proc.pid] = proc


@contextlib.contextmanager
def file_lock(
    path: Path, timeout: float, holder: str, error: type[CityAgentError]
) -> Iterator[None]:
    """An exclusive advisory lock on ``path`` (flock), waited for up to ``timeout`` seconds.

    Raises ``error`` naming ``holder`` (what is presumably holding it) when the wait is over.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise error(
                        f"gave up after {timeout:.0f} s waiting for {holder} (lock {path})"
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)


def port_is_free(host: str, port: int) -> bool:
    """Whether a server could bind ``host:port`` now (with SO_REUSEADDR, as servers do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str) -> int:
    """A port on ``host`` that nothing listens on now (for servers that cannot pick their own)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def wait_quietly(proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    """The child's exit code, or None if it still runs after ``timeout`` seconds."""
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


def pid_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie does not count); reaps it when it is our child."""
    with _CHILDREN_LOCK:
        child = _CHILDREN.get(pid)
    if child is not None:
        if child.poll() is None:
            return True
        with _CHILDREN_LOCK:
            _CHILDREN.pop(pid, None)
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if not HAS_PROCFS:
        return True  # trust kill(0)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text("utf-8", "replace")
    except OSError:
        return False
    state = stat.rsplit(")", 1)[-1].split()[:1]
    return state not in (["Z"], ["X"])


def command_line(pid: int) -> list[str] | None:
    """The arguments ``pid`` runs with, or None where /proc cannot tell (guards reused pids)."""
    if not HAS_PROCFS:
        return None
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return []
    return [a.decode("utf-8", "replace") for a in args]


def wait_for_exit(pid: int, timeout: float) -> bool:
    """Whether ``pid`` ended within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def terminate(pid: int, timeout: float, error: type[CityAgentError], name: str) -> bool:
    """SIGTERM, up to ``timeout`` s to exit, then SIGKILL; whether it ended politely.

    Raises ``error`` when even SIGKILL leaves ``name`` running after 30 s.
    """
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if wait_for_exit(pid, timeout):
        return True
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    if not wait_for_exit(pid, 30.0):
        raise error(f"{name} (pid {pid}) does not die")
    return False
