"""``provgraph serve``: run the service with uvicorn."""

from __future__ import annotations

import copy
from typing import Any

from provgraph.config import Settings


def serve(settings: Settings | None = None) -> None:
    """Serve on ``settings.host:settings.port`` (127.0.0.1:8000) until interrupted."""
    import uvicorn

    from provgraph.service.app import create_app

    settings = settings or Settings.from_env()  # the stores create their own folders at open
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=log_config())


def log_config() -> dict[str, Any]:
    """uvicorn's logging setup, with provgraph's loggers printed the same way."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["provgraph"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
