"""``@provgraph.track(...)``: record each call of a function as a run."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar, cast

from provgraph.sdk.client import Client

F = TypeVar("F", bound=Callable[..., Any])
_default: Client | None = None


def default_client() -> Client:
    """The client ``track`` uses when none is given (settings from the environment)."""
    global _default
    if _default is None:
        _default = Client()
    return _default


def track(name: str | None = None, *, client: Client | None = None, **start_options: Any) -> Callable[[F], F]:
    """Decorate a function so every call is a run named ``name`` (default: the
    function's name); ``start_options`` go to ``Client.start_run``. Inside, the run is
    ``provgraph.sdk.current_run()``."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def tracked(*args: Any, **kwargs: Any) -> Any:
            with (client or default_client()).start_run(name or fn.__name__, **start_options):
                return fn(*args, **kwargs)

        return cast(F, tracked)

    return decorate
