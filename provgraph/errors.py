"""The one error hierarchy of provgraph.

Every failure a user can cause or meet carries a stable ``code``. Backends translate
driver exceptions into these; the service turns them into GraphQL ``extensions.code``
and HTTP statuses; the CLI into a one-line message and an exit status.
"""

from __future__ import annotations


class ProvgraphError(Exception):
    """Base of all provgraph errors; ``code`` is stable and machine-readable."""

    code = "INTERNAL"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ProvgraphError):
    """An id, ref or digest names nothing that exists."""

    code = "NOT_FOUND"
    http_status = 404


class BadInput(ProvgraphError):
    """The request itself is wrong: malformed value, out of range, too large."""

    code = "BAD_INPUT"
    http_status = 400


class Conflict(ProvgraphError):
    """The request is well-formed but clashes with what is stored (duplicate version)."""

    code = "CONFLICT"
    http_status = 409


class Cycle(ProvgraphError):
    """A DERIVED_FROM edge would close a cycle."""

    code = "CYCLE"
    http_status = 409


class Unavailable(ProvgraphError):
    """A backend (graph or blob store) cannot be reached or refused to work."""

    code = "UNAVAILABLE"
    http_status = 503


class Unauthenticated(ProvgraphError):
    """No token, or a token the service does not know."""

    code = "UNAUTHENTICATED"
    http_status = 401


class Forbidden(ProvgraphError):
    """A known token that may not act on this project."""

    code = "FORBIDDEN"
    http_status = 403


class ConfigError(ProvgraphError):
    """A setting has a value provgraph cannot use; the message names the variable."""

    code = "BAD_CONFIG"
    http_status = 500


class LimitExceeded(ProvgraphError):
    """A request over one of the service's limits (``PROVGRAPH_MAX_*``, the rate limit)."""

    code = "LIMIT_EXCEEDED"
    http_status = 400


class PayloadTooLarge(LimitExceeded):
    """A request body over ``PROVGRAPH_MAX_BODY_BYTES``."""

    code = "PAYLOAD_TOO_LARGE"
    http_status = 413


class RateLimited(LimitExceeded):
    """More requests from one token than ``PROVGRAPH_RATE_LIMIT`` per minute."""

    code = "RATE_LIMITED"
    http_status = 429


class TooComplex(LimitExceeded):
    """Traversals whose answers add up to more than ``PROVGRAPH_MAX_TRAVERSAL_NODES``."""

    code = "TOO_COMPLEX"
    http_status = 400
