"""``provgraph serve``: run the service with uvicorn."""

from __future__ import annotations

from typing import Any

from provgraph.config import Settings
from provgraph.logs import dict_config


def serve(settings: Settings | None = None) -> None:
    """Serve on ``settings.host:settings.port`` (127.0.0.1:8000) until interrupted."""
    import uvicorn

    from provgraph.service.app import create_app

    settings = settings or Settings.from_env()  # the stores create their own folders at open
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                log_config=log_config(settings), access_log=False)


def log_config(settings: Settings) -> dict[str, Any]:
    """uvicorn's and provgraph's loggers in ``PROVGRAPH_LOG_FORMAT``, tokens masked; the
    access lines are provgraph's own (request id, operation, duration)."""
    return dict_config(settings.log_format, settings.auth_tokens)
