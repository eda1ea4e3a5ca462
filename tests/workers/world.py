"""The reference world of the worker suite, stored as the service stores it (bytes
hashed on the way in, Blob VERIFIED), and the faults injected behind its back.

replays:v1 (a.jsonl=A, b.jsonl=B) ← train USED ← mamba:v1 (ckpt.bin=C, 3 MiB)
mamba:v2 DERIVED_FROM mamba:v1 (ckpt.bin=E) ← evaluation EVALUATES, ON replays (results.jsonl=G)
other:v1 (weights.bin=F), unrelated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import AsyncIterator

from provgraph.blobs import BlobStore
from provgraph.blobs.content import ContentStore
from provgraph.digest import Digest
from provgraph.graph import GraphStore
from provgraph.ids import utcnow
from provgraph.model import BlobStatus, Node
from provgraph.registry import Registry

MiB = 1024 * 1024


def payload(label: str, size: int) -> bytes:
    seed = hashlib.sha256(label.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


BYTES = {
    "A": payload("a.jsonl", 10_000), "B": payload("b.jsonl", 20_000), "C": payload("ckpt-v1", 3 * MiB + 17),
    "E": payload("ckpt-v2", 300_000), "F": payload("weights", 40_000), "G": payload("results", 5_000),
}
DIGESTS = {name: Digest(hashlib.sha256(data).hexdigest()) for name, data in BYTES.items()}


@dataclass(frozen=True)
class World:
    replays: str
    train: str
    v1: str
    v2: str
    evaluation: str
    other: str

    def label(self, node_id: str) -> str:
        """A readable name for a node id (exact comparisons in tests)."""
        names = {getattr(self, f): f for f in self.__dataclass_fields__}
        names.update({d.node_id: n for n, d in DIGESTS.items()})
        return names.get(node_id, node_id)


async def chunks(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for offset in range(0, len(data), size):
        yield data[offset:offset + size]


async def upload(graph: GraphStore, content: ContentStore, data: bytes) -> Digest:
    """What ``PUT /blobs/sha256/{digest}`` does."""
    digest = Digest(hashlib.sha256(data).hexdigest())
    result = await content.put_stream(digest, chunks(data), len(data))
    await graph.record_blob(digest, result.size, BlobStatus.VERIFIED, utcnow(), "verified on upload")
    return digest


def files(*entries: tuple[str, str]) -> list[tuple[str, str, int, str | None]]:
    return [(path, DIGESTS[name].hex, len(BYTES[name]), None) for path, name in entries]


async def build(graph: GraphStore, content: ContentStore) -> World:
    for data in BYTES.values():
        await upload(graph, content, data)
    registry = Registry(graph)
    replays = await registry.register_dataset("replays", files(("a.jsonl", "A"), ("b.jsonl", "B")))
    train = await registry.start_run("train", inputs=[(replays.id, "train")])
    v1 = await registry.register_model("mamba", run=train.id, files=files(("ckpt.bin", "C")))
    v2 = await registry.register_model("mamba", parents=[v1.id], files=files(("ckpt.bin", "E")))
    evaluation = await registry.record_evaluation(v2.id, {"accuracy": 0.85}, dataset=replays.id,
                                                  files=files(("results.jsonl", "G")))
    other = await registry.register_model("other", files=files(("weights.bin", "F")))
    return World(replays.id, train.id, v1.id, v2.id, evaluation.id, other.id)


# -- faults, injected straight into the blob store ------------------------------------------


async def read_key(store: BlobStore, key: str) -> bytes:
    return b"".join([chunk async for chunk in store.read(key)])


async def overwrite(store: BlobStore, key: str, data: bytes) -> None:
    """Replace the bytes at ``key`` (no digest check: this is the fault)."""
    await store.delete(key)
    writer = await store.writer(key)
    await writer.write(data)
    await writer.commit()


async def flip_bit(store: BlobStore, digest: Digest, offset: int = 1234) -> None:
    data = bytearray(await read_key(store, digest.key))
    data[offset] ^= 0x01
    await overwrite(store, digest.key, bytes(data))


async def truncate(store: BlobStore, digest: Digest, keep: int) -> None:
    await overwrite(store, digest.key, (await read_key(store, digest.key))[:keep])


async def statuses(graph: GraphStore) -> dict[str, str]:
    """Status of each of the world's blobs, by name."""
    found: dict[str, Node] = await graph.get_nodes([d.node_id for d in DIGESTS.values()])
    return {name: found[d.node_id].props["status"] for name, d in DIGESTS.items()}
