"""``verifyArtifact``: the workers' check, on demand, for one artifact's files or one blob.

The verdicts are recorded like a worker's (status, history, ``verifiedAt``) and logged
as findings. Checking an artifact's files needs write access to its project; checking a
blob by digest records only a fact about bytes, so any caller may ask.
"""

from __future__ import annotations

import asyncio
import time

import strawberry

from provgraph.checks import CheckResult
from provgraph.digest import Digest, is_digest
from provgraph.errors import NotFound
from provgraph.model import BlobStatus, Node, NodeKind
from provgraph.schema.context import Context
from provgraph.schema.nodes import NodeType, to_gql
from provgraph.schema.scalars import Long
from provgraph.telemetry import observe_check
from provgraph.verify import VALID, check_blob
from provgraph.workers.notify import Notifier

CONCURRENCY = 4
PAGE = 1000
QUICK_VALID = "sizes match registry (quick check: hashes not compared)"


@strawberry.type(description="One file's bytes checked against the registry.")
class FileCheck:
    path: str | None = strawberry.field(description="The file's path in the artifact; null for a digest.")
    digest: str
    ok: bool = strawberry.field(description="The bytes are what the registry names (quick: the size is).")
    status: BlobStatus = strawberry.field(description="The blob's status after this check.")
    previous: BlobStatus
    expected_size: Long
    size: Long | None = strawberry.field(description="Bytes found at the key; null when absent.")
    actual_digest: str | None = strawberry.field(description="What the bytes hash to (full checks).")
    detail: str = strawberry.field(description='"valid, hash matches registry", or exactly what differs.')

    @classmethod
    def from_result(cls, path: str | None, result: CheckResult) -> FileCheck:
        return cls(
            path=path, digest=result.digest.hex, ok=_ok(result), status=result.status, previous=result.previous,
            expected_size=Long(result.expected_size), size=None if result.size is None else Long(result.size),
            actual_digest=result.actual.hex if result.actual else None, detail=result.detail,
        )


@strawberry.type(description="What `verifyArtifact` found.")
class VerifyResult:
    node: NodeType = strawberry.field(description="The artifact or blob checked, as it is now.")
    ok: bool = strawberry.field(description="Every file checked out.")
    quick: bool
    message: str = strawberry.field(
        description='"valid, hash matches registry", or one "<path>: <what differs>" per bad file.'
    )
    checks: list[FileCheck] = strawberry.field(description="One per file, by path.")


def _ok(result: CheckResult) -> bool:
    return result.size == result.expected_size and not result.bad if result.quick else result.matched


async def verify_ref(context: Context, ref: str, quick: bool) -> VerifyResult:
    """Check the files of the artifact ``ref`` names (or the blob of a digest) now."""
    target = await _target(context, ref)
    if target.kind is NodeKind.BLOB:
        files: list[tuple[str | None, str]] = [(None, target.id)]
    else:
        context.check_write(target.project)
        files = await _files(context, target.id)
    blobs = await context.graph.get_nodes(list({blob_id: None for _, blob_id in files}))
    gate = asyncio.Semaphore(CONCURRENCY)

    async def check(blob: Node) -> CheckResult:
        async with gate:
            started = time.perf_counter()
            result = await check_blob(context.services.content, blob, quick)
            observe_check("quick" if quick else "full", time.perf_counter() - started)
            return result

    results = dict(zip(blobs, await asyncio.gather(*(check(b) for b in blobs.values()))))
    await context.graph.record_checks(list(results.values()))
    # Logged like a worker's findings; a verdict that changed goes to the webhooks' outbox.
    await Notifier(context.graph, webhooks=context.services.settings.webhooks).checks(
        list(results.values()), f"verifyArtifact {ref}")
    checks = [FileCheck.from_result(path, results[blob_id]) for path, blob_id in files if blob_id in results]
    now = (await context.graph.get_nodes([target.id]))[target.id]
    bad = [f"{c.path or 'sha256:' + c.digest}: {c.detail}" for c in checks if not c.ok]
    message = "; ".join(bad) if bad else (QUICK_VALID if quick else VALID)
    return VerifyResult(node=to_gql(now), ok=not bad, quick=quick, message=message, checks=checks)


async def _target(context: Context, ref: str) -> Node:
    if is_digest(ref) or ref.startswith("sha256:"):
        blob_id = Digest.parse(ref).node_id
        found = await context.graph.get_nodes([blob_id])
        if blob_id not in found or not await context.registry.visible(found[blob_id]):
            raise NotFound(f"no blob {blob_id}: no file with this digest is registered or uploaded")
        return found[blob_id]
    return await context.registry.resolve(ref)


async def _files(context: Context, node_id: str) -> list[tuple[str | None, str]]:
    """(path, blob id) of every file of a node, page by page."""
    files: list[tuple[str | None, str]] = []
    after: str | None = None
    while True:
        page = await context.graph.list_files(node_id, PAGE, after)
        files += [(entry.path, entry.digest.node_id) for entry in page.items]
        if not page.has_next:
            return files
        after = page.end_cursor
