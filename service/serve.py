"""``provgraph serve``: run the service with uvicorn."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from provgraph.config import Settings


def local_dirs(settings: Settings) -> list[Path]:
    """Folders the embedded default needs: the SQLite file's folder and the blob folder."""
    dirs = []
    if settings.graph_url.startswith("sqlite:///"):
        path = unquote(settings.graph_url[len("sqlite:///"):])
        if path != ":memory:":
            dirs.append(Path(path).absolute().parent)
    blob = urlsplit(settings.blob_url)
    if blob.scheme == "file":
        dirs.append(Path(unquote(blob.path)))
    return dirs


def serve(settings: Settings | None = None) -> None:
    """Serve on ``settings.host:settings.port`` (127.0.0.1:8000) until interrupted."""
    import uvicorn

    from provgraph.service.app import create_app

    settings = settings or Settings.from_env()
    for folder in local_dirs(settings):
        folder.mkdir(parents=True, exist_ok=True)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_config=log_config())


def log_config() -> dict[str, Any]:
    """uvicorn's logging setup, with provgraph's loggers printed the same way."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["provgraph"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
