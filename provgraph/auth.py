"""Bearer-token authentication and per-project write scopes.

With no ``PROVGRAPH_AUTH_TOKENS`` configured the service is open (the embedded default,
like a local MLflow). With tokens, every request needs ``Authorization: Bearer <token>``;
a token scoped to projects may read everything but write only those projects.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Mapping

from provgraph.errors import Forbidden, Unauthenticated


@dataclass(frozen=True)
class Principal:
    """Who is asking: ``projects`` None means every project."""

    token_hint: str
    projects: frozenset[str] | None

    def check_write(self, project: str) -> None:
        if self.projects is not None and project not in self.projects:
            raise Forbidden(
                f"this token may not write project {project!r}; it may write: "
                + ", ".join(sorted(self.projects))
            )


ANONYMOUS = Principal("anonymous", None)


class Auth:
    def __init__(self, tokens: Mapping[str, frozenset[str] | None]) -> None:
        self.tokens = dict(tokens)

    @property
    def enabled(self) -> bool:
        return bool(self.tokens)

    def authenticate(self, authorization: str | None) -> Principal:
        """The principal for an ``Authorization`` header value; raises ``Unauthenticated``."""
        if not self.enabled:
            return ANONYMOUS
        if not authorization:
            raise Unauthenticated("missing token: send 'Authorization: Bearer <token>' (PROVGRAPH_TOKEN)")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("malformed Authorization header: expected 'Bearer <token>'")
        for known, projects in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.strip().encode()):
                return Principal(known[:4] + "…", projects)
        raise Unauthenticated("unknown token: check PROVGRAPH_TOKEN")
