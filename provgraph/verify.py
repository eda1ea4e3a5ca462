"""Check one blob's stored bytes against the registry: the one check the workers, the
``verifyArtifact`` mutation and the CLI all run.

A full check streams the bytes and re-hashes them; a quick check asks only whether the
object exists and has the registered size (one HEAD). The verdict:

- bytes hash to the digest and have the registered size: ``VERIFIED``;
- bytes present but different (hash or size): ``CORRUPT``;
- no bytes: ``MISSING`` — except for a blob never verified (``PENDING``), which stays
  ``PENDING``: a file may be registered before its bytes are uploaded;
- a quick check whose size matches cannot prove the bytes right: a ``VERIFIED`` or
  ``CORRUPT`` blob keeps its status, and bytes that reappeared become ``PENDING`` (a full
  pass hashes PENDING blobs first).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from provgraph.blobs.content import ContentStore
from provgraph.blobs.throttle import Throttle
from provgraph.checks import BAD, CheckResult
from provgraph.digest import Digest
from provgraph.errors import NotFound
from provgraph.ids import utcnow
from provgraph.model import BlobStatus, Node

VALID = "valid, hash matches registry"
logger = logging.getLogger("provgraph.integrity")


def log_event(level: int, event: str, **fields: Any) -> None:
    """One structured log line: a JSON object with ``event`` and ``level`` first."""
    logger.log(level, json.dumps({"event": event, "level": logging.getLevelName(level), **fields}, default=str))


def check_fields(result: CheckResult) -> dict[str, Any]:
    """A check result as JSON fields (log lines, webhook payloads)."""
    return {
        "digest": result.digest.hex, "status": result.status.value, "previous": result.previous.value,
        "detail": result.detail, "size": result.size, "expected_size": result.expected_size,
        "quick": result.quick, "at": result.at.isoformat(),
    }


def log_findings(results: list[CheckResult], source: str) -> None:
    """A WARNING line per corrupt or missing blob, an INFO line per blob back to good."""
    for result in results:
        if result.bad:
            log_event(logging.WARNING, "blob_" + result.status.value.lower(), source=source, **check_fields(result))
        elif result.changed and result.previous in BAD:
            log_event(logging.INFO, "blob_recovered", source=source, **check_fields(result))


def blob_state(blob: Node) -> tuple[Digest, int, BlobStatus]:
    """The digest, registered size and current status of a Blob node."""
    props = blob.props
    digest = Digest(str(props.get("digest") or blob.id.removeprefix("sha256:")))
    return digest, int(props.get("size") or 0), BlobStatus(props.get("status", BlobStatus.PENDING.value))


async def check_blob(
    content: ContentStore, blob: Node, quick: bool = False, throttle: Throttle | None = None
) -> CheckResult:
    """Check the bytes of Blob node ``blob``; store errors (``Unavailable``) propagate."""
    digest, expected, previous = blob_state(blob)
    at = utcnow()
    if quick:
        size = await content.stat(digest)
        return verdict(digest, expected, previous, size, None, at, quick=True)
    try:
        actual, found = await content.rehash(digest, throttle)
    except NotFound:
        return verdict(digest, expected, previous, None, None, at)
    return verdict(digest, expected, previous, found, actual, at)


def verdict(
    digest: Digest, expected: int, previous: BlobStatus, size: int | None, actual: Digest | None,
    at: datetime, quick: bool = False,
) -> CheckResult:
    """The status and a one-line explanation for what a check found."""
    status, detail = _judge(digest, expected, previous, size, actual, quick)
    return CheckResult(digest, status, previous, expected, size, actual, at, quick, detail)


def _judge(
    digest: Digest, expected: int, previous: BlobStatus, size: int | None, actual: Digest | None, quick: bool
) -> tuple[BlobStatus, str]:
    if size is None:
        absent = f"no bytes at {digest.key}"
        if previous is BlobStatus.PENDING:
            return BlobStatus.PENDING, f"{absent} yet"
        return BlobStatus.MISSING, absent
    if actual is not None and actual != digest:
        return BlobStatus.CORRUPT, f"bytes hash to {actual.hex}, registry says {digest.hex} ({size} bytes)"
    if size != expected:
        return BlobStatus.CORRUPT, f"bytes are {size} bytes long, registry says {expected}"
    if not quick:
        return BlobStatus.VERIFIED, VALID
    if previous is BlobStatus.MISSING:
        return BlobStatus.PENDING, "bytes are back with the registered size; not hashed yet"
    return previous, "size matches registry (quick check: not hashed)"
