"""Per-session dialogue state in memory, bounded by idle time and by number of sessions.

A bot serving WeChat followers and web visitors keeps one small state per session id. The
store forgets a session idle for ``ttl_s`` and, past ``max_sessions``, the least recently
used one, so memory stays bounded whatever the traffic. Each session has its own lock: two
messages of one session (a channel's retry arriving while the first is still answered) are
handled one after the other, never interleaved; different sessions run in parallel.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from kg.errors import DataValidationError

log = logging.getLogger(__name__)

MAX_SESSION_ID_CHARS = 128
S = TypeVar("S")


@dataclass
class Slot(Generic[S]):
    """One session's state, replaced as a whole by whoever holds the session."""

    state: S
    last_used: float
    lock: threading.Lock = field(default_factory=threading.Lock)


class SessionStore(Generic[S]):
    """Session id → state, with a time-to-live and a maximum number of sessions."""

    def __init__(self, factory: Callable[[str], S], ttl_s: float, max_sessions: int,
                 now: Callable[[], float] = time.monotonic) -> None:
        """New sessions start as ``factory(session_id)``; ``now`` is the clock in seconds."""
        if ttl_s <= 0 or max_sessions < 1:
            raise ValueError("ttl_s must be positive and max_sessions at least 1")
        self._factory = factory
        self._ttl_s = ttl_s
        self._max = max_sessions
        self._now = now
        self._slots: OrderedDict[str, Slot[S]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._slots)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self._slots

    @contextmanager
    def session(self, session_id: str) -> Iterator[Slot[S]]:
        """Hold ``session_id``'s slot (created if new or expired) until the block ends.

        Assign ``slot.state`` to keep a new state (callers assign only once a turn has
        succeeded, so a failed turn leaves the dialogue as it was).
        Raises DataValidationError for an empty or overlong session id.
        """
        if not session_id or len(session_id) > MAX_SESSION_ID_CHARS:
            raise DataValidationError(
                f"session_id: 会话编号须为 1 至 {MAX_SESSION_ID_CHARS} 个字符")
        slot = self._checkout(session_id)
        with slot.lock:
            yield slot
            slot.last_used = self._now()

    def _checkout(self, session_id: str) -> Slot[S]:
        now = self._now()
        with self._lock:
            self._expire(now)
            slot = self._slots.get(session_id)
            if slot is None:
                slot = Slot(self._factory(session_id), now)
                self._slots[session_id] = slot
                while len(self._slots) > self._max:
                    dropped, _ = self._slots.popitem(last=False)
                    log.info("session store full: forgot the least recently used session")
                    log.debug("forgot session %s", dropped)
            else:
                slot.last_used = now
            self._slots.move_to_end(session_id)
            return slot

    def _expire(self, now: float) -> None:
        while self._slots:
            session_id, slot = next(iter(self._slots.items()))
            if now - slot.last_used < self._ttl_s:
                break
            del self._slots[session_id]
