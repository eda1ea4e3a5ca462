"""Bearer-token authentication with per-project read and write scopes.

With no ``PROVGRAPH_AUTH_TOKENS`` configured the service is open (the embedded default,
like a local MLflow). With tokens, every request needs ``Authorization: Bearer <token>``.
Each token carries a ``Grant``: the projects it may write and the projects it may read
(writing a project implies reading it). Nodes of a project a token may not read are
invisible to it — ``NOT_FOUND``, left out of listings, and a wall that traversals stop
at (``provgraph.visibility``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Mapping

from provgraph.errors import ConfigError, Forbidden, Unauthenticated
from provgraph.visibility import EVERYTHING, ReadScope

EVERY_PROJECT = "*"
READ_PREFIX = "read:"
WRITE_PREFIX = "write:"


@dataclass(frozen=True)
class Grant:
    """What a token may do: ``None`` means every project."""

    write: frozenset[str] | None = None
    read: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.write is None and self.read is not None:
            raise ConfigError("a token that may write every project reads every project")
        if self.read is not None and self.write is not None and not self.write <= self.read:
            object.__setattr__(self, "read", self.read | self.write)  # write implies read

    @classmethod
    def parse(cls, raw: str) -> Grant:
        """``proj1|read:proj2|read:*``: a bare name (or ``write:name``) is written and read,
        ``read:name`` only read, ``*`` every project. Empty: everything."""
        if not raw:
            return cls()
        write: set[str] = set()
        read: set[str] = set()
        read_all = write_all = False
        for part in raw.split("|"):
            entry = part.strip()
            readonly = entry.startswith(READ_PREFIX)
            name = entry.removeprefix(READ_PREFIX) if readonly else entry.removeprefix(WRITE_PREFIX)
            if not name:
                raise ConfigError(f"PROVGRAPH_AUTH_TOKENS has an empty project in {raw!r}")
            if name == EVERY_PROJECT:
                read_all = True
                write_all = write_all or not readonly
            elif readonly:
                read.add(name)
            else:
                write.add(name)
        if write_all:
            return cls()
        return cls(frozenset(write), None if read_all else frozenset(read | write))

    @classmethod
    def of(cls, value: Grant | frozenset[str] | None) -> Grant:
        """A grant from the shorthand of settings: None (everything) or a set of projects
        (each written and read)."""
        if isinstance(value, Grant):
            return value
        return cls() if value is None else cls(frozenset(value), frozenset(value))


@dataclass(frozen=True)
class Principal:
    """Who is asking and what they may do: ``write`` None means every project."""

    token_hint: str
    write: frozenset[str] | None
    reads: ReadScope = EVERYTHING

    def check_write(self, project: str) -> None:
        if self.write is not None and project not in self.write:
            allowed = ", ".join(sorted(self.write)) or "no project"
            raise Forbidden(f"this token may not write project {project!r}; it may write: {allowed}")

    def check_upload(self) -> None:
        """``Forbidden`` for a read-only token: storing bytes takes a project to write."""
        if self.write is not None and not self.write:
            raise Forbidden("this token may only read; uploading blobs needs a token that may write a project")


ANONYMOUS = Principal("anonymous", None)


class Auth:
    def __init__(self, tokens: Mapping[str, Grant | frozenset[str] | None]) -> None:
        self.tokens = {token: Grant.of(grant) for token, grant in tokens.items()}

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
        for known, grant in self.tokens.items():
            if hmac.compare_digest(known.encode(), token.strip().encode()):
                return Principal(known[:4] + "…", grant.write, ReadScope(grant.read))
        raise Unauthenticated("unknown token: check PROVGRAPH_TOKEN")
