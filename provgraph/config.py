"""Settings: read once from the environment at the edge, then passed down.

Every variable has the ``PROVGRAPH_`` prefix (blob stores on S3 also read the standard
``AWS_*`` variables through boto3). Errors name the variable and the bad value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit, urlunsplit

from provgraph.auth import Grant
from provgraph.errors import ConfigError

DEFAULT_DATA_DIR = ".provgraph"


class Secret(str):
    """A string that prints as ``**********``."""

    def __repr__(self) -> str:
        return "Secret('**********')"


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``**********``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:**********@{parts.hostname}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@dataclass(frozen=True)
class Settings:
    """The service's configuration; see ``docs/configuration.md``."""

    graph_url: str
    blob_url: str
    host: str = "127.0.0.1"
    port: int = 8000
    auth_tokens: Mapping[str, Grant | frozenset[str] | None] = field(default_factory=dict)
    max_json_bytes: int = 1024 * 1024
    max_files: int = 1_000_000
    webhook_url: Secret | None = None
    webhooks: tuple[Secret, ...] = ()
    webhook_secret: Secret | None = None
    stuck_run_hours: float = 24.0
    orphan_grace_hours: float = 24.0
    worker_interval_s: float = 3600.0
    worker_batch: int = 100
    worker_bandwidth: int = 0
    worker_metrics_port: int = 0
    log_format: str = "text"
    max_body_bytes: int = 64 * 1024 * 1024
    max_query_depth: int = 20
    max_aliases: int = 30
    max_fields: int = 2000
    max_traversal_nodes: int = 200_000
    rate_limit: int = 6000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        data_dir = Path(env.get("PROVGRAPH_DATA_DIR", DEFAULT_DATA_DIR)).absolute()
        return cls(
            graph_url=env.get("PROVGRAPH_GRAPH_URL") or f"sqlite:///{data_dir / 'graph.db'}",
            blob_url=env.get("PROVGRAPH_BLOB_URL") or f"file://{data_dir / 'blobs'}",
            host=env.get("PROVGRAPH_HOST", "127.0.0.1"),
            port=_int(env, "PROVGRAPH_PORT", 8000, 1, 65535),
            auth_tokens=parse_tokens(env.get("PROVGRAPH_AUTH_TOKENS", "")),
            max_json_bytes=_int(env, "PROVGRAPH_MAX_JSON_BYTES", 1024 * 1024, 1, 1 << 30),
            max_files=_int(env, "PROVGRAPH_MAX_FILES", 1_000_000, 1, 100_000_000),
            webhook_url=Secret(env["PROVGRAPH_WEBHOOK_URL"]) if env.get("PROVGRAPH_WEBHOOK_URL") else None,
            webhooks=parse_webhooks(env.get("PROVGRAPH_WEBHOOKS", "")),
            webhook_secret=Secret(env["PROVGRAPH_WEBHOOK_SECRET"]) if env.get("PROVGRAPH_WEBHOOK_SECRET") else None,
            stuck_run_hours=_float(env, "PROVGRAPH_STUCK_RUN_HOURS", 24.0),
            orphan_grace_hours=_float(env, "PROVGRAPH_ORPHAN_GRACE_HOURS", 24.0),
            worker_interval_s=_float(env, "PROVGRAPH_WORKER_INTERVAL", 3600.0),
            worker_batch=_int(env, "PROVGRAPH_WORKER_BATCH", 100, 1, 100_000),
            worker_bandwidth=_int(env, "PROVGRAPH_WORKER_BANDWIDTH", 0, 0, 1 << 50),
            worker_metrics_port=_int(env, "PROVGRAPH_WORKER_METRICS_PORT", 0, 0, 65535),
            log_format=_choice(env, "PROVGRAPH_LOG_FORMAT", "text", ("text", "json")),
            max_body_bytes=_int(env, "PROVGRAPH_MAX_BODY_BYTES", 64 * 1024 * 1024, 1024, 1 << 40),
            max_query_depth=_int(env, "PROVGRAPH_MAX_QUERY_DEPTH", 20, 1, 1000),
            max_aliases=_int(env, "PROVGRAPH_MAX_ALIASES", 30, 0, 100_000),
            max_fields=_int(env, "PROVGRAPH_MAX_FIELDS", 2000, 1, 1_000_000),
            max_traversal_nodes=_int(env, "PROVGRAPH_MAX_TRAVERSAL_NODES", 200_000, 1, 1 << 40),
            rate_limit=_int(env, "PROVGRAPH_RATE_LIMIT", 6000, 0, 1 << 30),
        )

    def __repr__(self) -> str:
        return (
            f"Settings(graph_url={redact_url(self.graph_url)!r}, "
            f"blob_url={redact_url(self.blob_url)!r}, host={self.host!r}, port={self.port}, "
            f"auth_tokens=<{len(self.auth_tokens)} tokens>)"
        )


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} is out of range [{low}, {high}]")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name) or default
    if raw.lower() not in choices:
        raise ConfigError(f"{name}={raw!r} is not one of: {', '.join(choices)}")
    return raw.lower()


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not 0 <= value < float("inf"):
        raise ConfigError(f"{name}={raw!r} must be a number >= 0")
    return value


def parse_webhooks(raw: str) -> tuple[Secret, ...]:
    """Parse ``PROVGRAPH_WEBHOOKS``: http(s) URLs separated by commas or spaces. A bad
    entry is named by position only: webhook URLs often carry tokens."""
    urls = [part for part in raw.replace(",", " ").split() if part]
    for position, url in enumerate(urls, 1):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"PROVGRAPH_WEBHOOKS entry {position} is not an http(s) URL with a host")
    return tuple(Secret(url) for url in dict.fromkeys(urls))


def parse_tokens(raw: str) -> dict[str, Grant]:
    """Parse ``PROVGRAPH_AUTH_TOKENS``: comma-separated ``TOKEN`` (reads and writes every
    project) or ``TOKEN=SCOPES``, SCOPES joined by ``|``: ``proj`` (read and write it),
    ``read:proj`` (read only), ``*`` / ``read:*`` (every project). See ``Grant.parse``."""
    tokens: dict[str, Grant] = {}
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        token, _, scopes = entry.partition("=")
        if not token:
            raise ConfigError("PROVGRAPH_AUTH_TOKENS has an entry with an empty token")
        tokens[Secret(token)] = Grant.parse(scopes)
    return tokens
