"""Client-side failures, in the one provgraph error hierarchy, and the map from the
service's ``extensions.code`` back to it."""

from __future__ import annotations

from provgraph.errors import (
    BadInput,
    Conflict,
    Cycle,
    Forbidden,
    NotFound,
    ProvgraphError,
    Unauthenticated,
    Unavailable,
)

CODES: dict[str, type[ProvgraphError]] = {
    cls.code: cls for cls in (NotFound, BadInput, Conflict, Cycle, Unavailable, Unauthenticated, Forbidden)
}

HINTS = {
    "UNAUTHENTICATED": "set PROVGRAPH_TOKEN to a token the service accepts",
    "FORBIDDEN": "use a token allowed to write this project, or another project",
    "UNAVAILABLE": "the service's storage is down; retry later or ask its operator",
    "INTERNAL": "the service log has the details",
}


class Unreachable(Unavailable):
    """The service could not be reached at all (as opposed to answering 503)."""


class FileChanged(BadInput):
    """A file changed while it was being hashed or uploaded."""


class UnreadableFile(BadInput):
    """A file or folder that cannot be read (missing, permissions, symlink loop)."""


class OfflineRead(ProvgraphError):
    """A query asked of a client that records offline."""

    code = "OFFLINE"


def from_code(code: str, message: str, what: str) -> ProvgraphError:
    """The error for a service answer: ``what`` failed, the service's words, what to do."""
    hint = HINTS.get(code)
    text = f"{what}: {message}" + (f" ({hint})" if hint else "")
    return CODES.get(code, ProvgraphError)(text)
