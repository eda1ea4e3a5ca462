"""Artifact refs: ``name``, ``name:v2``, ``project/name:v2``, ``name:latest``,
``name@alias``, or a node id (ULID or ``sha256:<hex>``)."""

from __future__ import annotations

from dataclasses import dataclass

from provgraph import validate
from provgraph.digest import Digest
from provgraph.errors import BadInput
from provgraph.ids import is_ulid


@dataclass(frozen=True)
class Ref:
    project: str | None
    name: str
    selector: str  # a version, "latest" or "@alias"


def node_id_of(value: str) -> str | None:
    """The node id ``value`` spells directly, or None when it is a name ref."""
    if is_ulid(value):
        return value
    if value.startswith("sha256:"):
        return Digest.parse(value).node_id
    return None


def parse(value: str) -> Ref:
    if not value:
        raise BadInput("empty ref: give an id or name[:version|@alias]")
    project, slash, rest = value.rpartition("/")
    name, selector = rest, "latest"
    if "@" in rest:
        name, _, alias = rest.partition("@")
        selector = "@" + validate.name(alias, "alias")
    elif ":" in rest:
        name, _, selector = rest.partition(":")
        if selector != "latest":
            validate.version(selector)
    validate.name(name)
    if slash:
        validate.name(project, "project")
    return Ref(project if slash else None, name, selector)
