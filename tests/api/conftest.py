"""Fixtures of the API suite: the real app (lifespan and all) on temporary stores."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from provgraph.service.app import create_app

from .support import TestClient, data, error, gql, settings_for

__all__ = ["data", "error", "gql"]

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[ClientFactory]:
    """Start a service with settings overrides (``auth_tokens=…``, ``max_json_bytes=…``)."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> TestClient:
            app = create_app(settings_for(tmp_path, **overrides))
            return stack.enter_context(TestClient(app))

        yield make


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    """A running service with the default settings (no tokens)."""
    return make_client()
