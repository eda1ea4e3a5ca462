"""The registry lifecycle on every graph backend: allowed transitions, deploy and rollback
with history, integrity refusal, and atomicity under 32 concurrent deploys."""

from __future__ import annotations

import asyncio
import pytest

from provgraph.digest import digest_of_bytes
from provgraph.errors import BadInput, Conflict
from provgraph.graph import GraphStore
from provgraph.ids import utcnow
from provgraph.lifecycle import Action
from provgraph.model import BlobStatus, ModelStatus
from provgraph.registry import Registry

pytestmark = pytest.mark.anyio
HOOK = "http://127.0.0.1:9/hook"


async def versions(registry: Registry, count: int, name: str = "m") -> list[str]:
    return [(await registry.register_model(name)).id for _ in range(count)]


async def status(registry: Registry, node_id: str) -> tuple[str, dict[str, str]]:
    node = (await registry.graph.get_nodes([node_id]))[node_id]
    return node.props["status"], dict(node.props.get("deployed_in") or {})


async def deployed(registry: Registry, env: str = "production", name: str = "m") -> str | None:
    row = (await registry.graph.lifecycle_state("default", name)).deployments.get(env)
    return row.model_id if row else None


async def test_deploy_replaces_and_deprecates_with_history(graph_store: GraphStore) -> None:
    registry = Registry(graph_store)
    v1, v2 = await versions(registry, 2)
    await registry.deploy(v1, note="first", actor="ci")
    node = await registry.deploy("m:v2", actor="ci")
    assert node.id == v2 and node.props["status"] == "DEPLOYED"
    assert await status(registry, v1) == ("DEPRECATED", {})
    assert (await status(registry, v2))[1].keys() == {"production"}
    assert await deployed(registry) == v2
    history = await registry.history(node.project, node.name, node.id)
    assert [(e.action, e.from_status, e.to_status, e.environment, e.replaces, e.actor) for e in history.items] == [
        (Action.DEPLOY, ModelStatus.COMPLETED, ModelStatus.DEPLOYED, "production", v1, "ci")]
    old = await registry.history("default", "m", v1)
    assert [(e.action, e.to_status, e.note) for e in old.items] == [
        (Action.REPLACED, ModelStatus.DEPRECATED, "replaced by v2 in production"),
        (Action.DEPLOY, ModelStatus.DEPLOYED, "first")]
    # A retried deploy changes nothing and records nothing.
    await registry.deploy(v2)
    page = await registry.deployments("m")
    assert [e.model_id for e in page.items] == [v2, v1] and not page.has_next


async def test_rollback_walks_back_through_earlier_deployments(graph_store: GraphStore) -> None:
    registry = Registry(graph_store)
    v1, v2, v3 = await versions(registry, 3)
    for v in (v1, v2, v3):
        await registry.deploy(v)
    assert (await registry.rollback("m", note="bad v3")).id == v2
    assert await status(registry, v3) == ("DEPRECATED", {})
    assert (await registry.rollback("default/m")).id == v1
    with pytest.raises(Conflict) as caught:
        await registry.rollback("m")
    assert caught.value.message == "model default/m has no earlier deployment in production to roll back to"
    assert await deployed(registry) == v1
    assert (await registry.rollback("m", to="m:v3")).id == v3
    actions = [(e.action, e.version) for e in (await registry.deployments("m", environment="production")).items]
    assert actions == [(Action.ROLLBACK, "v3"), (Action.ROLLBACK, "v1"), (Action.ROLLBACK, "v2"),
                       (Action.DEPLOY, "v3"), (Action.DEPLOY, "v2"), (Action.DEPLOY, "v1")]


async def test_environments_are_independent_and_auto_deprecate_is_per_model(graph_store: GraphStore) -> None:
    registry = Registry(graph_store)
    v1, v2 = await versions(registry, 2)
    await registry.deploy(v1, "staging")
    await registry.deploy(v1, "production")
    await registry.deploy(v2, "staging")
    state, where = await status(registry, v1)
    assert state == "DEPLOYED" and where.keys() == {"production"}
    assert (await registry.configure_model("m", auto_deprecate=False)).auto_deprecate is False
    await registry.deploy(v2, "production")
    assert await status(registry, v1) == ("COMPLETED", {})


async def test_illegal_transitions_write_nothing(graph_store: GraphStore) -> None:
    registry = Registry(graph_store)
    (v1,) = await versions(registry, 1)
    draft = (await registry.register_model("m", status=ModelStatus.DRAFT)).id
    await registry.set_model_status(v1, ModelStatus.ARCHIVED)
    cases = [
        (registry.deploy(v1), Conflict, "model default/m:v1 cannot go from ARCHIVED to DEPLOYED; allowed from ARCHIVED: none (it is final)"),
        (registry.set_model_status(v1, ModelStatus.COMPLETED), Conflict,
         "model default/m:v1 cannot go from ARCHIVED to COMPLETED; allowed from ARCHIVED: none (it is final)"),
        (registry.deploy(draft), Conflict,
         "model default/m:v2 cannot go from DRAFT to DEPLOYED; allowed from DRAFT: ARCHIVED, COMPLETED, TRAINING"),
        (registry.set_model_status(draft, ModelStatus.DEPLOYED), BadInput,
         "DEPLOYED is entered by deploying a version (deployModel), not by setModelStatus"),
        (registry.rollback("m"), Conflict, "nothing of model default/m is deployed in production: nothing to roll back"),
        (registry.register_model("m", status=ModelStatus.DEPLOYED), BadInput,
         "a model version is registered as COMPLETED, DRAFT, TRAINING, not DEPLOYED; deploy it with deployModel, "
         "deprecate or archive it with setModelStatus"),
        (registry.deploy(draft, environment="bad env"), BadInput, None),
    ]
    before = await graph_store.model_events("default", "m")
    for call, error, message in cases:
        with pytest.raises(error) as caught:
            await call
        if message is not None:
            assert caught.value.message == message
    assert await graph_store.model_events("default", "m") == before
    assert len(before.items) == 1 and (await status(registry, draft)) == ("DRAFT", {})


async def test_deployed_version_cannot_be_deprecated_by_hand(graph_store: GraphStore) -> None:
    registry = Registry(graph_store)
    (v1,) = await versions(registry, 1)
    await registry.deploy(v1)
    with pytest.raises(Conflict) as caught:
        await registry.set_model_status(v1, ModelStatus.DEPRECATED)
    assert caught.value.message == ("model default/m:v1 is deployed in production: deploy another version "
                                    "there or roll back first")
    assert await status(registry, v1) == ("DEPLOYED", (await status(registry, v1))[1])


async def test_corrupt_upstream_blocks_deploy_unless_forced(graph_store: GraphStore) -> None:
    registry = Registry(graph_store)
    data = b"weights"
    digest = digest_of_bytes(data)
    parent = await registry.register_model("base", files=[("w.bin", digest.hex, len(data), None)])
    child = await registry.register_model("m", parents=[parent.id])
    await graph_store.record_blob(digest, len(data), BlobStatus.CORRUPT, utcnow(), "hash mismatch")
    with pytest.raises(Conflict) as caught:
        await registry.deploy(child.id)
    assert caught.value.message == (
        f"model default/m:v1 has 1 corrupt or missing blob(s) in its lineage (nearest: sha256:{digest.hex} CORRUPT, "
        "2 hop(s) up); re-upload or verify them, or deploy with force")
    assert await deployed(registry) is None and (await graph_store.model_events("default", "m")).items == []
    forced = await registry.deploy(child.id, force=True, note="hotfix")
    assert forced.props["status"] == "DEPLOYED"
    assert [(e.forced, e.note) for e in (await registry.history("default", "m", forced.id)).items] == [(True, "hotfix")]


async def test_32_concurrent_deploys_leave_one_deployed_and_a_consistent_history(graph_store: GraphStore) -> None:
    registry = Registry(graph_store, webhooks=[HOOK])
    ids = await versions(registry, 32)
    results = await asyncio.gather(*(registry.deploy(v) for v in ids))
    assert {r.id for r in results} == set(ids)
    current = await deployed(registry)
    nodes = await graph_store.get_nodes(ids)
    live = [n.id for n in nodes.values() if n.props["status"] == "DEPLOYED"]
    assert live == [current]
    assert all(n.props["status"] == "DEPRECATED" for n in nodes.values() if n.id != current)
    events = []
    page = await registry.deployments("m", first=10)
    events += page.items
    while page.has_next:
        page = await registry.deployments("m", first=10, after=page.end_cursor)
        events += page.items
    assert len(events) == 32 and sorted(e.model_id for e in events) == sorted(ids)
    assert events[0].model_id == current
    # Each deploy replaced exactly the one deployed before it: the chain covers every version once.
    chain = {e.model_id: e.replaces for e in events}
    seen, at = [], current
    while at is not None:
        seen.append(at)
        at = chain[at]
    assert sorted(seen) == sorted(ids)
    outbox = await graph_store.webhook_outbox()
    assert sorted(d.event for d, _, _ in outbox) == sorted(["model.deployed"] * 32 + ["model.status_changed"] * 31)
