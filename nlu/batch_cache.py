"""A bounded memory of results computed in batches, shared safely between request threads.

A live call is drafted again each time it grows; the models' results for the parts that did not
change (a transcript line's entities, the encoding of the caller's opening) are kept here, so a
batch computes only the keys it has not seen lately.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from threading import Lock
from typing import Generic, TypeVar

from cachetools import LRUCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BatchCache(Generic[K, V]):
    """The last ``size`` results by key, least recently used dropped first."""

    def __init__(self, size: int) -> None:
        self._kept: LRUCache[K, V] = LRUCache(maxsize=size)
        self._lock = Lock()

    def values(self, keys: Sequence[K], compute: Callable[[list[K]], Iterable[V]]) -> dict[K, V]:
        """The result of every key: those kept, and the others from one call of ``compute``
        on them (each once, in order), which are then kept."""
        with self._lock:
            known = {key: self._kept[key] for key in keys if key in self._kept}
        missing = list(dict.fromkeys(key for key in keys if key not in known))
        if missing:
            computed = dict(zip(missing, compute(missing), strict=True))
            with self._lock:
                self._kept.update(computed)
            known |= computed
        return known

    def clear(self) -> None:
        """Forget everything kept."""
        with self._lock:
            self._kept.clear()
