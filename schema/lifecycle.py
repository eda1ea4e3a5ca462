"""The registry lifecycle in the API: ``ModelEvent`` (one transition), ``Deployment`` (what
an environment runs) and ``ModelSettings``; ``Model.history`` and ``deployments`` page
over events newest first."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from provgraph import lifecycle
from provgraph.lifecycle import Action, LineState
from provgraph.model import ModelStatus, Page
from provgraph.schema.connection import Connection, connection
from provgraph.schema.context import Info
from provgraph.schema.fields import field

if TYPE_CHECKING:
    from provgraph.schema.model import Model

ModelRef = Annotated["Model", strawberry.lazy("provgraph.schema.model")]


async def _model(info: Info, model_id: str | None) -> ModelRef | None:
    from provgraph.schema.model import Model

    if model_id is None:
        return None
    node = await info.context.loaders.nodes.load(model_id)
    return Model.from_node(node) if node is not None else None


@strawberry.type(description="One lifecycle transition of a model version: who, when, from, to, where.")
class ModelEvent:
    id: strawberry.ID
    action: Action
    version: str
    from_status: ModelStatus
    to_status: ModelStatus
    environment: str | None
    at: datetime
    actor: str = strawberry.field(description="The token (its first characters) or `anonymous`.")
    note: str | None
    forced: bool = strawberry.field(description="Deployed despite corrupt or missing blobs upstream.")
    model_id: strawberry.Private[str]
    replaces_id: strawberry.Private[str | None]

    @classmethod
    def from_event(cls, event: lifecycle.ModelEvent) -> ModelEvent:
        return cls(id=strawberry.ID(event.id), action=event.action, version=event.version,
                   from_status=event.from_status, to_status=event.to_status, environment=event.environment,
                   at=event.at, actor=event.actor, note=event.note, forced=event.forced,
                   model_id=event.model_id, replaces_id=event.replaces)

    @field("The model version this event is about.")
    async def model(self, info: Info) -> ModelRef | None:
        return await _model(info, self.model_id)

    @field("The version that left the environment when this one came in (DEPLOY, ROLLBACK).")
    async def replaces(self, info: Info) -> ModelRef | None:
        return await _model(info, self.replaces_id)


@strawberry.type(description="What one environment of a model runs, and since when.")
class Deployment:
    environment: str
    since: datetime
    model_id: strawberry.Private[str]

    @field("The version deployed there.")
    async def model(self, info: Info) -> ModelRef | None:
        return await _model(info, self.model_id)


@strawberry.type(description="Settings of a model (all its versions).")
class ModelSettings:
    project: str
    name: str
    auto_deprecate: bool = strawberry.field(
        description="Deploying a version deprecates the one it replaces once that runs nowhere (default true)."
    )
    deployments: list[Deployment]

    @classmethod
    def from_state(cls, state: LineState) -> ModelSettings:
        return cls(project=state.project, name=state.name, auto_deprecate=state.auto_deprecate,
                   deployments=deployments_of(state))


def deployments_of(state: LineState) -> list[Deployment]:
    return [Deployment(environment=d.environment, since=d.since, model_id=d.model_id)
            for d in sorted(state.deployments.values(), key=lambda d: d.environment)]


def event_connection(page: Page[lifecycle.ModelEvent]) -> Connection[ModelEvent]:
    return connection(page, ModelEvent.from_event, lambda e: str(e.seq))
