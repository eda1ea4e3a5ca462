"""Direct uploads: large blobs go from the client straight to S3 in presigned parts.

``POST /blobs/sha256/{digest}/uploads`` with ``{"size": N}`` answers the part URLs (or
``{"exists": true}``); the client PUTs each part and posts the ETags to
``…/uploads/{id}/complete``; ``DELETE …/uploads/{id}`` abandons it. ``POST
…/uploads/{id}/resume`` with ``{"size": N}`` answers fresh part URLs and the parts storage
already holds (``uploaded``: number, ETag, size), so a client resumes after a broken
connection or a restart without sending those again; 404 once the upload is gone. The service never
sees these bytes, so the blob is recorded ``PENDING`` until a worker has hashed them.
A store without presigned multipart answers 501: use ``PUT /blobs/sha256/{digest}``.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from provgraph import validate
from provgraph.blobs.capabilities import IncompleteUploads, PresignedUploads
from provgraph.digest import Digest
from provgraph.errors import BadInput, ProvgraphError
from provgraph.ids import utcnow
from provgraph.model import BlobStatus
from provgraph.service.errors import error_response
from provgraph.services import Services

PART_URL_EXPIRES_S = 3600
MAX_PARTS = 10_000


class Unsupported(ProvgraphError):
    code = "BAD_INPUT"
    http_status = 501


def _store(services: Services) -> PresignedUploads:
    store = services.content.store
    if not isinstance(store, PresignedUploads):
        raise Unsupported("this blob store takes bytes through PUT /blobs/sha256/{digest} only")
    return store


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise BadInput("the request body must be a JSON object") from None
    if not isinstance(body, dict):
        raise BadInput("the request body must be a JSON object")
    return body


async def start(request: Request, services: Services, digest: Digest) -> Response:
    store = _store(services)
    size = await _size(request)
    if await services.content.stat(digest) is not None:
        return JSONResponse({"exists": True})
    parts = max(1, math.ceil(size / store.part_size))
    if parts > MAX_PARTS:
        raise BadInput(f"{size} bytes need {parts} parts; the limit is {MAX_PARTS}")
    upload_id = await store.start_upload(digest.key)
    urls = [{"partNumber": n, "url": store.presign_part(digest.key, upload_id, n, PART_URL_EXPIRES_S)}
            for n in range(1, parts + 1)]
    return JSONResponse({"uploadId": upload_id, "partSize": store.part_size, "parts": urls}, status_code=201)


async def resume(request: Request, services: Services, digest: Digest) -> Response:
    store = _store(services)
    if not isinstance(store, IncompleteUploads):
        raise Unsupported("this blob store cannot list the parts of an unfinished upload")
    size = await _size(request)
    upload_id = request.path_params["upload_id"]
    done = await store.uploaded_parts(digest.key, upload_id)
    parts = max(1, math.ceil(size / store.part_size))
    urls = [{"partNumber": n, "url": store.presign_part(digest.key, upload_id, n, PART_URL_EXPIRES_S)}
            for n in range(1, parts + 1) if n not in done]
    uploaded = [{"partNumber": n, "etag": etag, "size": length} for n, (etag, length) in sorted(done.items())]
    return JSONResponse({"uploadId": upload_id, "partSize": store.part_size, "parts": urls, "uploaded": uploaded})


async def _size(request: Request) -> int:
    size = (await _json(request)).get("size")
    if not isinstance(size, int) or isinstance(size, bool):
        raise BadInput("size must be an integer number of bytes")
    validate.size(size)
    return size


async def complete(request: Request, services: Services, digest: Digest) -> Response:
    store = _store(services)
    parts = (await _json(request)).get("parts")
    if not isinstance(parts, list) or not parts or not all(
            isinstance(p, dict) and isinstance(p.get("etag"), str) for p in parts):
        raise BadInput('parts must be a list of {"partNumber": n, "etag": "…"} in part order')
    await store.complete_upload(digest.key, request.path_params["upload_id"], [p["etag"] for p in parts])
    size = await services.content.stat(digest)
    if size is None:
        raise BadInput(f"the upload of {digest} left no object behind")
    await services.graph.record_blob(digest, size, BlobStatus.PENDING, utcnow(),
                                     "uploaded directly to storage; awaiting verification")
    return JSONResponse({"digest": digest.hex, "size": size, "status": BlobStatus.PENDING.value})


async def abort(request: Request, services: Services, digest: Digest) -> Response:
    await _store(services).abort_upload(digest.key, request.path_params["upload_id"])
    return Response(status_code=204)


async def endpoint(request: Request) -> Response:
    services: Services = request.app.state.services
    try:
        services.auth.authenticate(request.headers.get("authorization")).check_upload()
        digest = Digest.parse(request.path_params["digest"])
        if "upload_id" not in request.path_params:
            return await start(request, services, digest)
        if request.method == "DELETE":
            return await abort(request, services, digest)
        if request.url.path.endswith("/resume"):
            return await resume(request, services, digest)
        return await complete(request, services, digest)
    except Exception as exc:
        return error_response(exc)


routes = [
    Route("/blobs/sha256/{digest}/uploads", endpoint, methods=["POST"]),
    Route("/blobs/sha256/{digest}/uploads/{upload_id}/complete", endpoint, methods=["POST"]),
    Route("/blobs/sha256/{digest}/uploads/{upload_id}/resume", endpoint, methods=["POST"]),
    Route("/blobs/sha256/{digest}/uploads/{upload_id}", endpoint, methods=["DELETE"]),
]
