"""``/blobs/sha256/{digest}``: bytes in and out, streamed, with ``Range`` support.

PUT hashes while storing and refuses bytes that do not match the digest; GET streams
(or redirects to a presigned URL when the backend offers one); HEAD answers the size.
``POST /blobs/sha256`` takes bytes whose digest the client does not know yet and answers
the digest they have (the SDK hashes as it sends and compares: one read of the file);
501 on a store that needs the key before the first byte (S3: use direct uploads there).
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from typing import AsyncIterator, Awaitable, Callable, Iterator

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from provgraph.digest import Digest
from provgraph.errors import BadInput, NotFound
from provgraph.ids import utcnow
from provgraph.model import BlobStatus
from provgraph.services import Services
from provgraph.telemetry import BLOB_BYTES, BLOB_UPLOAD_LATENCY
from provgraph.service.errors import error_response
from provgraph.service.uploads import Unsupported

PRESIGN_EXPIRES_S = 300
_RANGE = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII)
Handler = Callable[[Request, Services, Digest], Awaitable[Response]]


class Unsatisfiable(Exception):
    """A ``Range`` that selects no byte of the blob."""


async def blob_endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        principal = services.auth.authenticate(request.headers.get("authorization"))
        digest = Digest.parse(request.path_params["digest"])
        if request.method == "PUT":
            principal.check_upload()
        elif not principal.reads.everything and \
                not principal.reads.sees_blob(await services.graph.blob_projects(digest.node_id)):
            raise NotFound(f"no blob {digest.node_id}")  # as for bytes that are not here
        return await HANDLERS[request.method](request, services, digest)
    except ClientDisconnect:
        return error_response(BadInput("the client disconnected before the upload finished"))
    except Exception as exc:
        response = error_response(exc)
        if request.method == "HEAD":  # same status and headers, no body
            return Response(status_code=response.status_code, headers=dict(response.headers))
        return response


async def put_blob(request: Request, services: Services, digest: Digest) -> Response:
    with timed_upload():
        result = await services.content.put_stream(digest, request.stream(), _length(request))
    BLOB_BYTES.labels("in").inc(result.size)
    if result.created or not await services.graph.get_nodes([digest.node_id]):
        # A repeated PUT checks the client's bytes, not the stored ones: it only records
        # a Blob node that is missing, never overwrites a worker's verdict.
        await services.graph.record_blob(
            digest, result.size, BlobStatus.VERIFIED, utcnow(), "verified on upload"
        )
    body = {"digest": digest.hex, "size": result.size, "created": result.created}
    return JSONResponse(body, status_code=201 if result.created else 200)


async def post_blob(request: Request) -> Response:
    """``POST``: store unnamed bytes; ``HEAD``: 204 when this store takes them, else 501."""
    services: Services = request.app.state.services
    try:
        services.auth.authenticate(request.headers.get("authorization")).check_upload()
        if not services.content.takes_unnamed:
            raise Unsupported("this blob store needs the digest first: PUT /blobs/sha256/{digest}")
        if request.method == "HEAD":
            return Response(status_code=204)
        with timed_upload():
            result = await services.content.put_unnamed(request.stream(), _length(request))
        BLOB_BYTES.labels("in").inc(result.size)
        if result.created or not await services.graph.get_nodes([result.digest.node_id]):
            await services.graph.record_blob(
                result.digest, result.size, BlobStatus.VERIFIED, utcnow(), "hashed on upload")
    except ClientDisconnect:
        return error_response(BadInput("the client disconnected before the upload finished"))
    except Exception as exc:
        return error_response(exc)
    body = {"digest": result.digest.hex, "size": result.size, "created": result.created}
    return JSONResponse(body, status_code=201 if result.created else 200)


def _length(request: Request) -> int | None:
    length = request.headers.get("content-length")
    return int(length) if length is not None and length.isdigit() else None


async def head_blob(request: Request, services: Services, digest: Digest) -> Response:
    size = await _size(services, digest)
    return Response(headers=_headers(digest, size))


async def get_blob(request: Request, services: Services, digest: Digest) -> Response:
    size = await _size(services, digest)
    header = request.headers.get("range")
    if header is None and request.query_params.get("redirect") != "0":
        url = services.content.presign_get(digest, PRESIGN_EXPIRES_S)
        if url is not None:
            return RedirectResponse(url, status_code=307)
    try:
        span = parse_range(header, size)
    except Unsatisfiable:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    start, end = span or (0, size)
    headers = _headers(digest, end - start)
    if span is not None:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    body = counted(services.content.read(digest, start, end))
    return StreamingResponse(body, 206 if span else 200, headers, "application/octet-stream")


@contextmanager
def timed_upload() -> Iterator[None]:
    """Times one upload into ``provgraph_blob_upload_duration_seconds`` by outcome."""
    started, outcome = time.perf_counter(), "failed"
    try:
        yield
        outcome = "stored"
    finally:
        BLOB_UPLOAD_LATENCY.labels(outcome).observe(time.perf_counter() - started)


async def counted(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``chunks``, adding each one's size to the bytes-out counter as it is sent."""
    out = BLOB_BYTES.labels("out")
    async for chunk in chunks:
        out.inc(len(chunk))
        yield chunk


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one ``[start, end)`` span a ``Range`` header asks for, or None for the whole
    body (no header, another unit, several ranges, or a malformed one, which RFC 9110
    lets a server ignore). ``Unsatisfiable`` when it selects no byte."""
    match = _RANGE.fullmatch(header.strip()) if header else None
    if match is None or not (match[1] or match[2]):
        return None
    if not match[1]:
        return _suffix(int(match[2]), size)
    start = int(match[1])
    if match[2] and int(match[2]) < start:
        return None
    if start >= size:
        raise Unsatisfiable()
    return start, min(int(match[2]) + 1, size) if match[2] else size


def _suffix(length: int, size: int) -> tuple[int, int]:
    if length == 0 or size == 0:
        raise Unsatisfiable()
    return max(0, size - length), size


async def _size(services: Services, digest: Digest) -> int:
    size = await services.content.stat(digest)
    if size is None:
        raise NotFound(f"no blob {digest.node_id}")
    return size


def _headers(digest: Digest, length: int) -> dict[str, str]:
    return {
        "Content-Length": str(length),
        "ETag": f'"{digest.hex}"',
        "Accept-Ranges": "bytes",
        "Content-Type": "application/octet-stream",
    }


HANDLERS: dict[str, Handler] = {"PUT": put_blob, "GET": get_blob, "HEAD": head_blob}

routes: list[Route] = [
    Route("/blobs/sha256", post_blob, methods=["POST", "HEAD"]),
    Route("/blobs/sha256/{digest}", blob_endpoint, methods=["PUT", "GET", "HEAD"]),
]
