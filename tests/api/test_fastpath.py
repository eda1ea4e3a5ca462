"""The fast list executor answers exactly what graphql-core's general path answers."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Iterator

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from provgraph.schema import schema
from provgraph.schema.fastpath import FastListExecutor

from .scenario import A, build
from .support import TestClient, gql

QUERIES = [
    # interface fields, fragments on several types, aliases, __typename, Long and DateTime
    """query($id: ID!) { ancestors(id: $id) { depth d2: depth node { __typename id kind project name createdAt tags
        metadata ... on Model { version modelStatus: status aliases } ... on Blob { digest size status verifiedAt }
        ... on Dataset { version fileCount totalBytes manifestDigest } ... on Run { runStatus: status params } } } }""",
    # nested resolvers (files) and lineage edges with null roles
    """query($id: ID!) { lineage(id: $id, direction: BOTH) { nodes { id ... on Model { files { path digest } } }
        edges { source target type role } } }""",
    # @include / @skip directives make the list take the general path
    """query($id: ID!, $yes: Boolean!) { descendants(id: "sha256:$A") { depth @include(if: $yes)
        node { id name @skip(if: $yes) } } ancestors(id: $id, kinds: [DATASET]) { node { id } } }""",
    # a field error inside a list item
    """query($id: ID!) { ancestors(id: $id) { node { id ... on Run { status } } } node(id: "nope") { id } }""",
]


@pytest.fixture
def general_path() -> Iterator[None]:
    schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
    try:
        yield
    finally:
        schema.execution_context_class = FastListExecutor


def answers(client: TestClient, variables: dict[str, Any]) -> list[Any]:
    return [gql(client, q.replace("$A", variables["A"]), variables) for q in QUERIES]


def test_fast_and_general_paths_agree(client: TestClient, general_path: None) -> None:
    s = build(client)
    variables = {"id": s.evaluation, "yes": True, "A": A}
    general = answers(client, variables)
    schema.execution_context_class = FastListExecutor
    fast = answers(client, variables)
    assert fast == general
    assert len(fast[0]["data"]["ancestors"]) == 10
    assert all("errors" not in a for a in fast[:3])


@strawberry.interface
class Animal:
    name: str


@strawberry.type
class Cat(Animal):
    lives: int


@strawberry.type
class Dog(Animal):
    good: bool


@strawberry.type
class Zoo:
    @strawberry.field
    def animals(self) -> list[Animal]:
        # Two of a class (the runtime type is then resolved once for the class), a plain
        # object cast to a type, and a Cat instance cast to Dog: each answered as cast.
        disguised = strawberry.cast(Dog, Cat(name="d", lives=3))
        disguised.good = False  # type: ignore[attr-defined]
        return [Cat(name="a", lives=9), Cat(name="b", lives=8), disguised,
                strawberry.cast(Dog, SimpleNamespace(name="c", good=True)), Dog(name="e", good=True)]

    @strawberry.field
    def counts(self) -> list[int]:
        return [1, 2**31 - 1, 2**31]  # the last is no GraphQL Int: an error, on both paths

    @strawberry.field
    def cats(self) -> list[Cat]:
        return [Cat(name="a", lives=9), Cat(name="b", lives=2**40)]


ZOO_QUERY = "{ animals { __typename name ... on Cat { lives } ... on Dog { good } } }"


@pytest.mark.parametrize("query", [ZOO_QUERY, "{ counts }", "{ cats { name lives } }"])
def test_fast_path_resolves_types_and_ints_as_the_general_path(query: str) -> None:
    answers = []
    for executor in (StrawberryGraphQLCoreExecutionContext, FastListExecutor):
        zoo = strawberry.Schema(query=Zoo, types=[Cat, Dog], execution_context_class=executor)
        result = zoo.execute_sync(query)
        answers.append((result.data, [e.message for e in result.errors or []]))
    assert answers[1] == answers[0]
    if query == ZOO_QUERY:
        assert [a["__typename"] for a in answers[1][0]["animals"]] == ["Cat", "Cat", "Dog", "Dog", "Dog"]
    else:
        assert answers[1][1], "a value beyond 32 bits is an error"
