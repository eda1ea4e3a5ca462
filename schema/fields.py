"""Typed spellings of ``strawberry.field``/``strawberry.mutation`` with a description.

Strawberry types the decorator forms that take arguments as ``Any``, which mypy --strict
reports as untyped decorators; these keep the decorated resolver's own signature.
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar, cast

import strawberry

F = TypeVar("F", bound=Callable[..., Any])


def field(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.field(description=description))


def mutation(description: str) -> Callable[[F], F]:
    return cast(Callable[[F], F], strawberry.mutation(description=description))
