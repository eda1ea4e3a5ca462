"""``Blob``: bytes addressed by SHA-256, with their integrity status and check history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from provgraph import model
from provgraph.model import BlobStatus, NodeKind
from provgraph.schema.nodes import NodeType, base_fields, parse_time, register
from provgraph.schema.scalars import Long


@strawberry.type(description="One integrity check of a blob's bytes.")
class BlobCheck:
    status: BlobStatus
    at: datetime
    size: Long | None
    detail: str | None
    quick: bool = strawberry.field(description="A quick check (existence and size only), not a re-hash.")

    @classmethod
    def from_prop(cls, check: dict[str, Any]) -> BlobCheck:
        size = check.get("size")
        return cls(
            status=BlobStatus(check["status"]),
            at=datetime.fromisoformat(check["at"]),
            size=None if size is None else Long(size),
            detail=check.get("detail"),
            quick=bool(check.get("quick", False)),
        )


@strawberry.type(description="Bytes addressed by SHA-256; its id is `sha256:<digest>`.")
class Blob(NodeType):
    digest: str
    size: Long
    status: BlobStatus
    verified_at: datetime | None = strawberry.field(description="When the bytes last hashed right.")
    checked_at: datetime | None = strawberry.field(description="When the bytes were last checked (any verdict).")
    media_type: str | None
    history: list[BlobCheck] = strawberry.field(description="Checks, newest first (bounded).")

    @classmethod
    def from_node(cls, node: model.Node) -> Blob:
        props = node.props
        return cls(
            **base_fields(node),
            digest=str(props.get("digest") or node.id.removeprefix("sha256:")),
            size=Long(props.get("size") or 0),
            status=BlobStatus(props.get("status", BlobStatus.PENDING.value)),
            verified_at=parse_time(props.get("verified_at")),
            checked_at=parse_time(_last_check(props.get("history"))),
            media_type=props.get("media_type"),
            history=[BlobCheck.from_prop(c) for c in props.get("history", ())],
        )


def _last_check(history: Any) -> Any:
    return history[0].get("at") if history else None


register(NodeKind.BLOB, Blob.from_node)
