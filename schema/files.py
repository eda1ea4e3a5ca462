"""Files of an artifact (``HAS_FILE`` edges joined with their Blob) and ``FileInput``."""

from __future__ import annotations

from typing import Sequence

import strawberry

from provgraph.model import BlobStatus, FileEntry, Page
from provgraph.registry import FileInput as FileTuple
from provgraph.schema.blob import Blob
from provgraph.schema.connection import DEFAULT_FILES_PAGE, Connection, connection, page_size
from provgraph.schema.context import Info
from provgraph.schema.fields import field
from provgraph.schema.scalars import Long


@strawberry.type(description="A file of an artifact: its path, role and bytes.")
class File:
    path: str
    role: str | None
    digest: str = strawberry.field(description="SHA-256 of the bytes, 64 lowercase hex.")
    size: Long
    status: BlobStatus = strawberry.field(description="Integrity status of the bytes.")

    @field("The Blob node of the bytes (check history, verifiedAt).")
    async def blob(self, info: Info) -> Blob | None:
        node = await info.context.loaders.nodes.load(f"sha256:{self.digest}")
        return None if node is None else Blob.from_node(node)

    @classmethod
    def from_entry(cls, entry: FileEntry) -> File:
        return cls(
            path=entry.path,
            role=entry.role,
            digest=entry.digest.hex,
            size=Long(entry.size),
            status=entry.status,
        )


@strawberry.input(description="A file to record: `digest` is 64 lowercase hex (SHA-256).")
class FileInput:
    path: str
    digest: str
    size: Long
    role: str | None = None


def file_tuples(files: Sequence[FileInput] | None) -> list[FileTuple]:
    """``FileInput`` values in the shape ``Registry`` takes (it validates them)."""
    return [(f.path, f.digest, int(f.size), f.role) for f in files or ()]


async def file_list(info: Info, node_id: str, first: int | None) -> list[File]:
    """The first ``first`` files (by path) of a node, batched across nodes by a loader."""
    entries = await info.context.loaders.files.load((node_id, page_size(first, DEFAULT_FILES_PAGE)))
    return [File.from_entry(e) for e in entries]


async def file_connection(info: Info, node_id: str, first: int | None, after: str | None) -> Connection[File]:
    """One page of a node's files, by path (for datasets of any size). First pages of
    many nodes are batched through the loader; a file's cursor is its path."""
    size = page_size(first, DEFAULT_FILES_PAGE)
    if after is None:
        entries = await info.context.loaders.files.load((node_id, size + 1))
        shown = entries[:size]
        page = Page(shown, len(entries) > size, shown[-1].path if shown else None)
    else:
        page = await info.context.graph.list_files(node_id, size, after)
    return connection(page, File.from_entry, lambda entry: entry.path)
