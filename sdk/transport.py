"""HTTP to the service: GraphQL and the blob endpoints, with timeouts and retries.

Connection failures, timeouts and 5xx answers are retried with exponential backoff
(every write the SDK sends is idempotent: client-chosen ids, batch ids, digests), then
reported as ``Unavailable`` naming the URL and what to do. Service refusals come back as
the provgraph error of their ``extensions.code``.
"""

from __future__ import annotations

import random
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Mapping

import httpx

from provgraph.errors import ProvgraphError
from provgraph.sdk.errors import Unreachable, from_code
from provgraph.sdk.settings import ClientSettings

RETRY_STATUS = frozenset({500, 502, 503, 504})
# For answers without a body (HEAD): the code their status stands for.
STATUS_CODES = {400: "BAD_INPUT", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 503: "UNAVAILABLE"}
Body = Callable[[], Iterable[bytes]]


class Transport:
    """One keep-alive HTTP client to the service of ``settings``."""

    def __init__(self, settings: ClientSettings, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.sleep = sleep
        headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
        timeout = httpx.Timeout(settings.timeout_s, connect=5.0)
        self.http = httpx.Client(base_url=settings.url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    # -- GraphQL --------------------------------------------------------------------

    def graphql(self, query: str, variables: Mapping[str, Any], what: str) -> dict[str, Any]:
        """The ``data`` of one GraphQL operation; its first error raised as a provgraph error."""
        response = self.send("POST", "/graphql", what, json={"query": query, "variables": dict(variables)})
        try:
            body = response.json()
        except ValueError:
            raise ProvgraphError(f"{what}: the service answered HTTP {response.status_code} without JSON") from None
        errors = body.get("errors") if isinstance(body, dict) else None
        if errors:
            first = errors[0]
            raise from_code(first.get("extensions", {}).get("code", "INTERNAL"), first.get("message", "?"), what)
        data: dict[str, Any] = body["data"]
        return data

    # -- blobs ----------------------------------------------------------------------

    def head_blob(self, digest: str, what: str) -> int | None:
        """Size of the stored bytes of ``digest``, or None when the service lacks them."""
        response = self.send("HEAD", f"/blobs/sha256/{digest}", what, ok=(200, 404))
        return int(response.headers["content-length"]) if response.status_code == 200 else None

    def put_blob(self, digest: str, size: int, body: Body, what: str) -> bool:
        """Stream the bytes ``body()`` yields; True when the service stored them anew.
        ``body`` is called again for each retry, so a broken transfer restarts cleanly."""
        headers = {"Content-Length": str(size), "Content-Type": "application/octet-stream"}
        response = self.send("PUT", f"/blobs/sha256/{digest}", what, ok=(200, 201), headers=headers, body=body)
        return response.status_code == 201

    @contextmanager
    def get_blob(self, digest: str, what: str) -> Iterator[Iterator[bytes]]:
        """The stored bytes of ``digest`` as a stream (following a presigned redirect)."""
        with self._errors(what, 1):
            with self.http.stream("GET", f"/blobs/sha256/{digest}", follow_redirects=True) as response:
                if response.status_code != 200:
                    response.read()
                    raise self._refusal(response, what)
                yield response.iter_bytes(1024 * 1024)

    # -- plumbing -------------------------------------------------------------------

    def send(
        self, method: str, path: str, what: str, ok: tuple[int, ...] = (200,),
        headers: Mapping[str, str] | None = None, body: Body | None = None, json: Any = None,
    ) -> httpx.Response:
        attempts = self.settings.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            with self._errors(what, attempt + 1, retry=not last):
                content = body() if body is not None else None
                response = self.http.request(method, path, headers=headers, content=content, json=json)
                if response.status_code in ok or (path == "/graphql" and response.status_code < 500):
                    return response
                if response.status_code not in RETRY_STATUS or last:
                    raise self._refusal(response, what)
            self.sleep(min(8.0, 0.25 * 2**attempt) * (0.5 + random.random()))
        raise AssertionError("unreachable")

    @contextmanager
    def _errors(self, what: str, attempts: int, retry: bool = False) -> Iterator[None]:
        """Turn transport failures into ``Unavailable`` (or swallow them to retry)."""
        try:
            yield
        except httpx.TransportError as exc:
            if retry:
                return
            reason = str(exc) or type(exc).__name__
            raise Unreachable(
                f"{what}: cannot reach the provgraph service at {self.settings.url} ({reason}) after "
                f"{attempts} attempt{'s' if attempts > 1 else ''}; start it with `provgraph serve`, set "
                "PROVGRAPH_URL, or set PROVGRAPH_OFFLINE=1 to record offline and `provgraph sync` later"
            ) from None

    def _refusal(self, response: httpx.Response, what: str) -> ProvgraphError:
        try:
            body = response.json()
        except ValueError:
            body = None
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(body, dict) and body.get("errors"):
            error = {"code": body["errors"][0].get("extensions", {}).get("code"), "message": body["errors"][0]["message"]}
        if isinstance(error, dict) and error.get("code"):
            return from_code(str(error["code"]), str(error.get("message")), what)
        code = STATUS_CODES.get(response.status_code, "INTERNAL")
        return from_code(code, f"the service answered HTTP {response.status_code}", what)
