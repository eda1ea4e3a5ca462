"""SHA-256 of a stream with reading and hashing overlapped, for stores that hash an
object next to its bytes (``NativeHash``).

Reads run in the calling thread and hashing in a second one; both release the GIL
(socket and file reads, ``hashlib`` updates over 2 KiB), so on two cores a blob takes
about max(read, hash) instead of their sum. At most ``DEPTH`` chunks wait in between,
so memory stays bounded whatever the blob's size.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from typing import Callable

DEPTH = 2
Pace = Callable[[int], None]


def pipelined_sha256(read: Callable[[], bytes], pace: Pace | None = None) -> tuple[str, int]:
    """``(hex digest, size)`` of the chunks ``read`` returns until it returns ``b""``.
    ``pace(n)`` is called before each chunk of ``n`` bytes is read on (a bandwidth limit)."""
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=DEPTH)
    hasher = hashlib.sha256()

    def consume() -> None:
        while (chunk := chunks.get()) is not None:
            hasher.update(chunk)

    worker = threading.Thread(target=consume, name="sha256", daemon=True)
    worker.start()
    size = 0
    try:
        while chunk := read():
            size += len(chunk)
            chunks.put(chunk)
            if pace is not None:
                pace(len(chunk))
    finally:
        chunks.put(None)
        worker.join()
    return hasher.hexdigest(), size
