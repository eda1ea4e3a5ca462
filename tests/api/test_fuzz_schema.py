"""Fuzzing the live schema (hypothesis-graphql): queries and mutations built from the
schema the running service answers by introspection, valid ones and broken ones, sent
through the real app. Whatever comes in, the answer is never a 500, every error has an
``extensions.code`` (never ``INTERNAL``, which would be a bug), and no message carries
Python exception text. A fixed, derandomized example budget keeps it under a minute.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from .support import TestClient, data

CODES = {"NOT_FOUND", "BAD_INPUT", "CONFLICT", "CYCLE", "UNAVAILABLE", "UNAUTHENTICATED", "FORBIDDEN",
         "QUERY_TOO_DEEP", "TOO_MANY_ALIASES", "TOO_MANY_FIELDS", "TOO_COMPLEX", "PAYLOAD_TOO_LARGE",
         "RATE_LIMITED"}
LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|line \d+, in|NoneType|object has no attribute|(Key|Type|Value|Attribute|Index|"
    r"Runtime|Assertion|Lookup|ZeroDivision|Overflow|Recursion)Error\b|sqlite3|neo4j\.|botocore|Exception\b",
)
BUDGET = settings(deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                         HealthCheck.data_too_large, HealthCheck.filter_too_much])
DIGEST = hashlib.sha256(b"fuzz").hexdigest()


def _json_value() -> st.SearchStrategy[graphql.ValueNode]:
    return st.one_of(st.text(max_size=20).map(nodes.String), st.integers(-10**6, 10**6).map(nodes.Int),
                     st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
                     st.booleans().map(nodes.Boolean), st.just(graphql.NullValueNode()))


def _object(fields: dict[str, graphql.ValueNode]) -> graphql.ValueNode:
    return nodes.Object([graphql.ObjectFieldNode(name=graphql.NameNode(value=k), value=v) for k, v in fields.items()])


_KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
SCALARS: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
    "Long": st.integers(-(2**63), 2**63 - 1).map(nodes.Int),
    "DateTime": st.one_of(st.datetimes().map(lambda d: nodes.String(d.isoformat())), st.text(max_size=30).map(nodes.String)),
    # JSON literals: objects mostly (params, metrics, metadata), sometimes a bare value or a list
    "JSON": st.one_of(st.dictionaries(_KEYS, _json_value(), max_size=4).map(_object),
                      _json_value().filter(lambda n: not isinstance(n, graphql.NullValueNode)),
                      st.lists(_json_value(), max_size=3).map(nodes.List)),
}


@pytest.fixture
def live(client: TestClient) -> tuple[TestClient, graphql.GraphQLSchema]:
    """The service with a little data in it, and the schema it answers by introspection."""
    assert client.put(f"/blobs/sha256/{DIGEST}", content=b"fuzz").status_code == 201
    data(client, 'mutation($d: String!) { registerDataset(name: "d", files: [{path: "f", digest: $d, size: 4}]) { id } }',
         {"d": DIGEST})
    data(client, 'mutation { registerModel(name: "m") { id } }')
    data(client, 'mutation { startRun(name: "r", inputs: [{id: "d:v1"}]) { id } }')
    introspection = data(client, graphql.get_introspection_query())
    return client, graphql.build_client_schema(introspection)  # type: ignore[arg-type]


def check(client: TestClient, document: Any) -> None:
    response = client.post("/graphql", json={"query": str(document)})
    assert response.status_code != 500, (document, response.text)
    body = response.json()
    assert response.status_code in (200, 400, 401, 413, 429, 503), (document, body)
    for err in body.get("errors") or ():
        code = (err.get("extensions") or {}).get("code")
        assert code in CODES, (document, err)
        assert not LEAKS.search(err["message"]), (document, err)


STRATEGIES = {
    "queries": lambda schema: queries(schema, custom_scalars=SCALARS),
    "mutations": lambda schema: mutations(schema, custom_scalars=SCALARS),
    "invalid": lambda schema: st.one_of(queries(schema, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
                                        mutations(schema, custom_scalars=SCALARS, mode=Mode.NEGATIVE)),
}
EXAMPLES = {"queries": 100, "mutations": 100, "invalid": 60}


@pytest.mark.parametrize("kind", STRATEGIES)
def test_fuzzed_documents(live: tuple[TestClient, graphql.GraphQLSchema], kind: str) -> None:
    client, schema = live

    @settings(BUDGET, max_examples=EXAMPLES[kind])
    @given(STRATEGIES[kind](schema))
    def run(document: Any) -> None:
        check(client, document)

    run()
