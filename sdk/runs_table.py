"""``provgraph runs``: runs as a table sortable by any metric, param or column; CSV/JSON export."""

from __future__ import annotations

import csv
import io
import json
from typing import Any, Sequence

from provgraph.sdk.types import RunRecord

COLUMNS = ("id", "name", "status", "started", "duration_s")
MAX_METRIC_COLUMNS = 8
SERVER_SORTS = ("name", "status", "project", "kind", "created_at")


def row(run: RunRecord) -> dict[str, Any]:
    base: dict[str, Any] = {"id": run.id, "name": run.name, "status": run.status, "started": run.started_at,
                            "duration_s": run.duration_s}
    base.update({f"params.{k}": v for k, v in run.params.items()})
    base.update({f"metrics.{k}": v for k, v in run.metrics.items()})
    return base


def value_of(found: dict[str, Any], key: str) -> Any:
    """A column, metric or param by bare name (``loss``) or qualified (``params.lr``)."""
    for name in (key, f"metrics.{key}", f"params.{key}"):
        if found.get(name) is not None:
            return found[name]
    return None


def split_sort(key: str | None, descending: bool) -> tuple[str | None, str | None]:
    """(server ``orderBy``, key sorted here): a qualified key or a column the service
    sorts by goes to the service; a bare name (``loss``, ``duration_s``) is sorted here."""
    if key is None:
        return None, None
    bare = key.lstrip("-+")
    if bare.startswith(("params.", "metrics.")) or bare in SERVER_SORTS:
        flip = descending != key.startswith("-")
        return ("-" if flip else "") + bare, None
    return None, key


def sort_rows(rows: list[dict[str, Any]], key: str | None, descending: bool) -> list[dict[str, Any]]:
    """Rows by ``key`` (runs without it last, whatever the order); newest first without one."""
    if key is None:
        return rows
    present = [r for r in rows if value_of(r, key) is not None]
    missing = [r for r in rows if value_of(r, key) is None]
    numbers = all(isinstance(value_of(r, key), (int, float)) for r in present)
    present.sort(key=lambda r: value_of(r, key) if numbers else str(value_of(r, key)), reverse=descending)
    return present + missing


def table(rows: Sequence[dict[str, Any]]) -> str:
    metrics = sorted({k for r in rows for k in r if k.startswith("metrics.")})[:MAX_METRIC_COLUMNS]
    header = ["id", "name", "status", "duration", *[m.removeprefix("metrics.") for m in metrics]]
    lines = [header] + [[r["id"][-8:], r["name"], r["status"], _num(r["duration_s"]), *[_num(r.get(m)) for m in metrics]]
                        for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines)


def _num(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def export(rows: Sequence[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(list(rows), indent=2, default=str)
    keys = list(COLUMNS) + sorted({k for r in rows for k in r} - set(COLUMNS))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    for found in rows:
        writer.writerow({k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in found.items()})
    return out.getvalue().rstrip("\n")
