"""Anything that names an artifact: the object itself, its id, or a ref string."""

from __future__ import annotations

from typing import Protocol, Union


class HasId(Protocol):
    @property
    def id(self) -> str: ...


RefLike = Union[str, HasId]


def ref_of(value: RefLike) -> str:
    """The id or ref string the service understands for ``value``."""
    if isinstance(value, str):
        return value
    return value.id
