"""A bandwidth limit (bytes per second) shared by the coroutines and threads of one
process, so background verification never starves the service of disk or network."""

from __future__ import annotations

import asyncio
import threading
import time

BURST_S = 0.25  # how far ahead of schedule a reader may run after an idle spell


class Throttle:
    """Paces readers to ``rate`` bytes/s on average. ``rate`` 0 or less means no limit.

    Each read of ``n`` bytes books ``n / rate`` seconds on one shared schedule and waits
    until its slot; idle time earns at most ``BURST_S`` seconds of credit.
    """

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._next = time.monotonic()
        self._lock = threading.Lock()

    @property
    def limited(self) -> bool:
        return self.rate > 0

    def _book(self, n: int) -> float:
        """Reserve a slot for ``n`` bytes; seconds to wait before using it."""
        if not self.limited:
            return 0.0
        with self._lock:
            now = time.monotonic()
            start = max(self._next, now - BURST_S)
            self._next = start + n / self.rate
            return self._next - now

    async def take(self, n: int) -> None:
        """Wait (without blocking the event loop) until ``n`` more bytes may be read."""
        delay = self._book(n)
        if delay > 0:
            await asyncio.sleep(delay)

    def take_sync(self, n: int) -> None:
        """``take`` for code running in a worker thread."""
        delay = self._book(n)
        if delay > 0:
            time.sleep(delay)
