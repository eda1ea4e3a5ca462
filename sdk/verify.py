"""``provgraph verify``: re-hash bytes and compare them with what the registry recorded.

- a local PATH: hash it and look its digest up (``--against REF``: it must be one of that
  artifact's files);
- a DIGEST: download the stored bytes and hash them again;
- a REF: every file of the artifact, downloaded and re-hashed; for a dataset also its
  manifest digest.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from provgraph.digest import is_digest, manifest_digest
from provgraph.errors import NotFound
from provgraph.sdk.hashing import hash_file
from provgraph.sdk.types import Blob, Dataset

if TYPE_CHECKING:
    from provgraph.sdk.client import Client


@dataclass
class Report:
    """Findings: ``problems`` empty means everything matched."""

    checked: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)
    subject: str = ""

    @property
    def valid(self) -> bool:
        return not self.problems


def verify(client: Client, target: str, against: str | None = None) -> Report:
    if Path(target).exists():
        return verify_path(client, Path(target), against)
    text = target.removeprefix("sha256:")
    if is_digest(text):
        report = Report(subject=f"sha256:{text}")
        blob = client.blob(text)
        if blob is None:
            report.problems.append(f"sha256:{text} is not in the registry")
            return report
        assert isinstance(blob, Blob)
        _check_stored(client, report, text, blob.size, "")
        return report
    return verify_artifact(client, target)


def verify_path(client: Client, path: Path, against: str | None) -> Report:
    digest, ident = hash_file(path)
    report = Report(checked=1, bytes=ident[0], subject=str(path))
    if against is not None:
        files = {f.digest: f for f in client.files(against)}
        if digest not in files:
            report.problems.append(f"{path} hashes to {digest}, which is no file of {against}")
        return report
    if client.blob(digest) is None:
        report.problems.append(f"{path} hashes to {digest}, which is not in the registry")
    return report


def verify_artifact(client: Client, ref: str) -> Report:
    node = client.get(ref)
    report = Report(subject=f"{node.kind.lower()} {node.label}")
    files = client.files(node.id)
    for file in files:
        _check_stored(client, report, file.digest, file.size, f"{file.role or 'file'} {file.path}")
    if isinstance(node, Dataset):
        actual = manifest_digest((f.path, f.digest) for f in files).hex
        if actual != node.manifest_digest:
            report.problems.append(f"manifest digest is {actual}, registry says {node.manifest_digest}")
    return report


def _check_stored(client: Client, report: Report, digest: str, size: int, what: str) -> None:
    hasher = hashlib.sha256()
    count = 0
    label = f"{what}: " if what else ""
    try:
        with client.transport.get_blob(digest, f"download of {what or 'sha256:' + digest}") as chunks:
            for chunk in chunks:
                hasher.update(chunk)
                count += len(chunk)
    except NotFound:
        report.problems.append(f"{label}bytes of sha256:{digest} are missing from the store")
        return
    report.checked += 1
    report.bytes += count
    if hasher.hexdigest() != digest:
        report.problems.append(f"{label}stored bytes hash to {hasher.hexdigest()}, registry says {digest}")
    elif count != size:
        report.problems.append(f"{label}stored bytes are {count} bytes long, registry says {size}")
