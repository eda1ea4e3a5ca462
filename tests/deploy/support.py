"""What the deployment files are checked against: the variables the code reads."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parents[2]

# Folders whose code runs in the service and worker containers (pyproject's package-dir).
CODE_DIRS = ("provgraph", "service", "workers", "schema")

# Read by boto3 itself rather than by provgraph's code.
BOTO3_STANDARD = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"})

# What a Neo4j + S3 deployment must set for the service to reach its stores.
REQUIRED = frozenset({"PROVGRAPH_GRAPH_URL", "PROVGRAPH_BLOB_URL", "AWS_DEFAULT_REGION"})
S3_CREDENTIALS = frozenset({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"})

_NAME = re.compile(r"(?:PROVGRAPH|AWS)_[A-Z0-9_]+")


def names_read_by_code() -> frozenset[str]:
    """Every ``PROVGRAPH_*``/``AWS_*`` name that appears as a whole string literal in the
    package's code (``env.get("PROVGRAPH_PORT")``, ``_int(env, "PROVGRAPH_PORT", …)``),
    plus the AWS keys boto3 reads."""
    names: set[str] = set()
    for folder in CODE_DIRS:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if _NAME.fullmatch(node.value):
                        names.add(node.value)
    return frozenset(names) | BOTO3_STANDARD


def prefixed(names: Iterable[str]) -> set[str]:
    return {name for name in names if _NAME.fullmatch(name)}


_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}")


def unpinned_reason(image: str) -> str | None:
    """Why ``image`` is not pinned (None when it is): pinned means by a ``@sha256:`` digest,
    or by a tag that is not ``latest``. ``host:5000/name`` has a port, not a tag."""
    name, _, digest = image.partition("@")
    if digest:
        return None if _DIGEST.fullmatch("@" + digest) else f"{image}: malformed digest"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"{image}: no tag"
    tag = last.rsplit(":", 1)[1]
    if tag in ("", "latest"):
        return f"{image}: tag {tag!r}"
    return None
