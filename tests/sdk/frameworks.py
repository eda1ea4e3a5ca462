"""The training frameworks of the integration tests (``pip install 'provgraph[integrations]'``,
done by ``make test``). A missing framework fails the test with a clear message, as a
missing real server does (tests/backends.py); a local run may leave them out only by
setting ``PROVGRAPH_TEST_FRAMEWORKS=none``, and each left-out test then shows as skipped,
with that reason, in the summary."""

from __future__ import annotations

import os
from types import ModuleType

import pytest

from provgraph.errors import NotFound
from provgraph.sdk import Artifact, Client

from .service import Service

RUN = """query($id: ID!) { node(id: $id) { ... on Run { name status error params metrics } } }"""


OPT_OUT = "PROVGRAPH_TEST_FRAMEWORKS"


def require(name: str) -> ModuleType:
    try:
        return __import__(name)
    except ImportError:
        if os.environ.get(OPT_OUT) == "none":
            pytest.skip(f"{OPT_OUT}=none: the {name} integration tests left out of this run", allow_module_level=True)
        pytest.fail(f"{name} is not installed: run `make test` (or `make frameworks`), which installs it; "
                    f"{OPT_OUT}=none leaves the framework tests out", pytrace=False)


def run_of(service: Service, run_id: str) -> dict[str, object]:
    node = service.gql(RUN, {"id": run_id})["node"]
    assert isinstance(node, dict)
    return node


def checkpoint_chain(client: Client, name: str, count: int, run_id: str, first_parents: tuple[str, ...] = ()
                     ) -> list[Artifact]:
    """Versions 1..count of model ``name``, each GENERATED_BY the run and DERIVED_FROM the
    one before (the first from ``first_parents``); and no version after them."""
    models = [client.get(f"{name}:v{i}") for i in range(1, count + 1)]
    for i, model in enumerate(models):
        graph = client.lineage(model, "up", max_depth=1)
        edges = {(e.type, e.target) for e in graph.edges if e.source == model.id and e.type != "HAS_FILE"}
        parents = [models[i - 1].id] if i else first_parents
        assert edges == {("GENERATED_BY", run_id)} | {("DERIVED_FROM", parent) for parent in parents}
    with pytest.raises(NotFound):
        client.get(f"{name}:v{count + 1}")
    return models
