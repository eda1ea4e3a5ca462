"""Progress bars: tqdm on a terminal, nothing otherwise (logs and CI stay clean)."""

from __future__ import annotations

import sys
from typing import Any, Callable, Protocol


class Bar(Protocol):
    def update(self, n: int) -> Any: ...

    def close(self) -> None: ...


class _Silent:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


BarFactory = Callable[[int, str], Bar]


def terminal_bar(total: int, label: str) -> Bar:
    """A byte progress bar on stderr when it is a terminal, else a silent one."""
    if not sys.stderr.isatty():
        return _Silent()
    from tqdm import tqdm

    bar: Bar = tqdm(total=total, desc=label, unit="B", unit_scale=True, unit_divisor=1024,
                    leave=False, file=sys.stderr)
    return bar


def silent_bar(total: int, label: str) -> Bar:
    return _Silent()
