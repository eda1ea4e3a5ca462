"""The fast list executor answers exactly what graphql-core's general path answers."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
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
