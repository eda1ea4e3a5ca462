"""Log output of the service and the workers: ``PROVGRAPH_LOG_FORMAT=json`` (one JSON
object per line, for log collectors) or ``text`` (the default, for people).

Every line written while a request is handled carries its request id (``request_id``).
Configured tokens and ``Bearer …`` credentials are masked in every line, whatever
logged them, so a token cannot reach a log collector.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import datetime, timezone
from typing import Any, Iterable

LOG_FORMATS = ("text", "json")
MASK = "**********"
_BEARER = re.compile(r"(?i)\b(bearer)\s+[^\s\"',;]+")
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName", "color_message"}

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("provgraph_request_id", default=None)


class _Masking(logging.Formatter):
    """A formatter that masks secrets in what it writes."""

    def __init__(self, secrets: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.secrets = sorted({str(s) for s in secrets if s}, key=len, reverse=True)

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return _BEARER.sub(lambda m: f"{m[1]} {MASK}", text)


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(_Masking):
    """One JSON object per record: ``ts``, ``level``, ``logger``, ``message``, the
    request id, the record's ``extra`` fields, and ``exc_info`` as ``exception``. A
    message that is itself a JSON object (the workers' findings) is merged in."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        message = record.getMessage()
        merged = _json_object(message)
        if merged is None:
            entry["message"] = message
        else:
            entry.update(merged)
        rid = getattr(record, "request_id", None) or request_id.get()
        if rid:
            entry["request_id"] = rid
        entry.update(_extras(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return self.mask(json.dumps(entry, default=str))


class TextFormatter(_Masking):
    """``time level logger: message key=value …`` with the request id among the keys."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(secrets, fmt="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = _extras(record)
        rid = fields.pop("request_id", None) or request_id.get()
        if rid:
            fields["request_id"] = rid
        if fields:
            text += " " + " ".join(f"{k}={v}" for k, v in fields.items())
        return self.mask(text)


def _json_object(message: str) -> dict[str, Any] | None:
    if not message.startswith("{"):
        return None
    try:
        value = json.loads(message)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def formatter(fmt: str, secrets: Iterable[str] = ()) -> logging.Formatter:
    return JsonFormatter(secrets) if fmt == "json" else TextFormatter(secrets)


def dict_config(fmt: str, secrets: Iterable[str] = ()) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn: its loggers and provgraph's, one
    formatter, on stderr. uvicorn's own access lines are replaced by provgraph's
    (``provgraph.access``), which carry the request id, operation and duration."""
    handler = {"class": "logging.StreamHandler", "formatter": "provgraph", "stream": "ext://sys.stderr"}
    factory = JsonFormatter if fmt == "json" else TextFormatter
    loggers = {name: {"handlers": ["default"], "level": "INFO", "propagate": False}
               for name in ("uvicorn", "uvicorn.error", "provgraph")}
    loggers["uvicorn.access"] = {"handlers": [], "level": "WARNING", "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"provgraph": {"()": factory, "secrets": list(secrets)}},
        "handlers": {"default": handler},
        "loggers": loggers,
    }
