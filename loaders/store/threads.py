"""The app's background threads (the inbox's importer, the overview's warm-up): stopped before Python exits, since
a thread left inside DuckDB while the interpreter shuts down aborts the whole process ("terminate called without
an active exception", exit 134)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, MutableMapping
from typing import Protocol, TypeVar


class Stoppable(Protocol):
    def stop(self) -> None: ...
    def is_alive(self) -> bool: ...
    def join(self, timeout: float | None = None) -> None: ...


T = TypeVar("T", bound=Stoppable)


def stop_all(
    registry: MutableMapping[str, T], lock: threading.Lock, timeout: float, nudge: Callable[[T], None] | None = None
) -> None:
    """Stop every thread of `registry` (emptied under `lock`) and wait up to `timeout` seconds in all for them to
    end; `nudge`, when given, is called on one still running every 50 ms (the warm-up cancels its query)."""
    with lock:
        running = list(registry.values())
        registry.clear()
    for t in running:
        t.stop()
    deadline = time.monotonic() + timeout
    for t in running:
        while t.is_alive() and (left := deadline - time.monotonic()) > 0:
            if nudge is not None:
                nudge(t)
            t.join(min(0.05, left) if nudge is not None else left)
