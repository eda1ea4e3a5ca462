"""The work behind the Client's artifact calls: files to manifests, uploads before
registration (so nothing is half-registered), offline stand-ins, paginated reads."""

from __future__ import annotations

import hashlib
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from provgraph.digest import manifest_digest
from provgraph.search import parse_filter, parse_order
from provgraph.sdk import queries
from provgraph.sdk.errors import Unreachable
from provgraph.sdk.files import LocalFile, PathLike, collect
from provgraph.sdk.types import Artifact, Edge, FileInfo, Lineage, MetricPoint, RunRecord, artifact

if TYPE_CHECKING:
    from provgraph.sdk.client import Client

KIND_OF = {queries.REGISTER_DATASET: "DATASET", queries.REGISTER_MODEL: "MODEL",
           queries.RECORD_EVALUATION: "EVALUATION"}
STATUS_BATCH = 200


def model_files(files: Mapping[str, PathLike]) -> list[LocalFile]:
    """{role: file or folder} → files: a file keeps its name, a folder's files go under
    ``<role>/``; the same name under two roles is prefixed by its role."""
    local: list[LocalFile] = []
    for role, item in files.items():
        path = Path(item)
        local += collect([path], f"{role}/", role) if path.is_dir() else collect([path], "", role)
    names = [f.rel for f in local]
    return [LocalFile(f.path, f"{f.role}/{f.rel}", f.role) if names.count(f.rel) > 1 and f.role else f
            for f in local]


def upload_bytes(client: Client, data: bytes, label: str) -> str:
    digest = hashlib.sha256(data).hexdigest()
    if client.offline:
        client.journal.keep_bytes(data, digest)
        return digest
    with tempfile.TemporaryDirectory(prefix="provgraph-") as folder:
        path = Path(folder) / label.replace("/", "_").replace(" ", "_")
        path.write_bytes(data)
        return client.upload(path)


def register(client: Client, query: str, variables: dict[str, Any], local: list[LocalFile], what: str) -> Artifact:
    """Upload every file the service lacks, then register; an upload that fails leaves
    nothing registered."""
    entries = store_files(client, local)
    found = client.write(query, {**variables, "files": entries}, what)
    if found is not None:
        return artifact(found["node"])
    return _offline_stand_in(KIND_OF[query], variables, entries)


def store_files(client: Client, local: list[LocalFile]) -> list[dict[str, Any]]:
    streamed = _stream_large(client, local)  # large unhashed files: sent as they are hashed
    digests = [client.uploader.digest(f.path)[:2] for f in local]  # hash the rest first: bad files fail early
    verified: set[str] = set(streamed)
    if not client.offline:
        try:
            verified |= _verified(client, [d for d, _ in digests if d not in verified])
        except Unreachable as exc:
            client._fall_back(exc)
    entries = []
    for file, (digest, ident) in zip(local, digests):
        if digest not in verified:
            client.upload_file(file.path)
        entries.append({"path": file.rel, "digest": digest, "size": ident[0], "role": file.role})
    return entries


def _stream_large(client: Client, local: list[LocalFile]) -> list[str]:
    """Digests of the files uploaded in one read (see ``Uploader.stream_if_unhashed``)."""
    if client.offline:
        return []
    done: list[str] = []
    try:
        for file in local:
            result = client.uploader.stream_if_unhashed(file.path)
            if result is not None:
                done.append(result.digest)
    except Unreachable as exc:
        client._fall_back(exc)
    return done


def _verified(client: Client, digests: list[str]) -> set[str]:
    """Digests whose bytes the service stored and checked (no HEAD needed for those)."""
    found: set[str] = set()
    unique = sorted(set(digests))
    for start in range(0, len(unique), STATUS_BATCH):
        batch = unique[start:start + STATUS_BATCH]
        fields = " ".join(f'b{i}: blob(digest: "{d}") {{ status }}' for i, d in enumerate(batch))
        answer = client.transport.graphql(f"query {{ {fields} }}", {}, "check which files the service has")
        found.update(d for i, d in enumerate(batch) if (answer[f"b{i}"] or {}).get("status") == "VERIFIED")
    return found


def _offline_stand_in(kind: str, variables: Mapping[str, Any], entries: list[dict[str, Any]]) -> Artifact:
    """What a registration made offline is known to be before the service numbers it."""
    fields = {"id": variables["id"], "kind": kind, "project": variables.get("project") or "default",
              "name": variables.get("name") or "evaluation", "createdAt": datetime.now(timezone.utc).isoformat(),
              "tags": variables.get("tags") or [], "metadata": variables.get("metadata") or {},
              "version": variables.get("version"), "metrics": variables.get("metrics") or {},
              "params": variables.get("params") or {}, "stats": variables.get("stats") or {},
              "manifestDigest": manifest_digest((e["path"], e["digest"]) for e in entries).hex,
              "fileCount": len(entries), "totalBytes": sum(e["size"] for e in entries),
              "modelStatus": "COMPLETED", "aliases": [], "deployedIn": [], "deployedAt": None}
    return artifact(fields)


def lineage(client: Client, ref: str, direction: str, max_depth: int | None) -> Lineage:
    variables = {"id": ref, "direction": direction, "maxDepth": max_depth}
    return _graph(client.read(queries.LINEAGE, variables, f"lineage of {ref!r}")["graph"])


def path(client: Client, source: str, target: str, direction: str) -> Lineage | None:
    variables = {"source": source, "target": target, "direction": direction}
    found = client.read(queries.PATH, variables, f"path from {source!r} to {target!r}")["graph"]
    return None if found is None else _graph(found)


def _graph(found: dict[str, Any]) -> Lineage:
    return Lineage(tuple(artifact(n) for n in found["nodes"]),
                   tuple(Edge(e["source"], e["target"], e["type"], e["role"]) for e in found["edges"]),
                   found["direction"])


def files(client: Client, node_id: str) -> list[FileInfo]:
    result: list[FileInfo] = []
    after = None
    while True:
        node = client.read(queries.FILES, {"id": node_id, "after": after}, f"files of {node_id}")["node"] or {}
        if "list" in node:
            return [_file(f) for f in node["list"]]
        if "manifest" not in node:
            return result
        result += [_file(e["node"]) for e in node["manifest"]["edges"]]
        info = node["manifest"]["pageInfo"]
        if not info["hasNextPage"]:
            return result
        after = info["endCursor"]


def _file(data: Mapping[str, Any]) -> FileInfo:
    return FileInfo(data["path"], data["role"], data["digest"], int(data["size"]), data["status"])


def pages(client: Client, query: str, variables: Mapping[str, Any], path: tuple[str, ...], what: str,
          limit: int, size: int = 1000) -> list[dict[str, Any]]:
    """The nodes of a Relay connection at ``path`` in the answer, page after page, up to
    ``limit`` (fewer when an object on the path is null)."""
    items: list[dict[str, Any]] = []
    after = None
    while len(items) < limit:
        found: Any = client.read(query, {**variables, "first": min(size, limit - len(items)), "after": after}, what)
        for key in path:
            found = found[key] if found is not None else None
        if found is None:
            return items
        items += [e["node"] for e in found["edges"]]
        if not found["pageInfo"]["hasNextPage"]:
            return items
        after = found["pageInfo"]["endCursor"]
    return items


def runs(client: Client, project: str | None, name: str | None, status: str | None, limit: int,
         filter: str | None = None, order_by: str | None = None) -> list[RunRecord]:
    if filter is not None:
        parse_filter(filter)  # a bad filter fails here, with the service's own message
    if order_by is not None:
        parse_order(order_by)
    variables = {"project": project, "name": name, "status": status, "filter": filter, "orderBy": order_by}
    nodes = pages(client, queries.RUNS, variables, ("runs",), "list runs", limit)
    return [r for r in (artifact(n) for n in nodes) if isinstance(r, RunRecord)]


def history(client: Client, run: str, key: str) -> list[MetricPoint]:
    points: list[MetricPoint] = []
    after = None
    while True:
        node = client.read(queries.HISTORY, {"id": run, "key": key, "after": after}, f"history of {key!r}")["node"]
        page = (node or {}).get("metricHistory")
        if page is None:
            return points
        points += [MetricPoint(p["key"], p["value"], int(p["step"]), p["timestamp"]) for p in page["points"]]
        if not page["pageInfo"]["hasNextPage"]:
            return points
        after = page["pageInfo"]["endCursor"]
