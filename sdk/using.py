"""``use``: a verified local copy of an artifact, recorded as an input of the current run.

The files go through the download path (``provgraph.sdk.download``): a file already in
the folder with the registered digest is kept, a changed or damaged one is fetched again,
and bytes that do not hash to the registered digest are never left under a file's name.
Only when every file is verified is ``Run USED artifact {role}`` recorded, so a refused
copy records nothing. The default folder is ``<cache dir>/artifacts/<artifact id>``:
registered files never change, so a second ``use`` of the same version re-reads nothing
that the digest cache already vouches for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from provgraph import validate
from provgraph.sdk import artifacts
from provgraph.sdk.download import CorruptDownload, DownloadReport
from provgraph.sdk.files import PathLike
from provgraph.sdk.refs import RefLike
from provgraph.sdk.types import Artifact, Blob, FileInfo

if TYPE_CHECKING:
    from provgraph.sdk.client import Client
    from provgraph.sdk.run import Run


@dataclass(frozen=True)
class LocalArtifact:
    """An artifact's files on this machine, each checked against its digest.

    ``path`` is the folder; ``files`` maps each path inside the artifact to its local file;
    ``local / "weights.bin"`` is a path in the folder, and ``open(local)`` /
    ``Path(local)`` see the folder itself."""

    artifact: Artifact
    path: Path
    files: Mapping[str, Path] = field(default_factory=dict)

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __truediv__(self, rel: str) -> Path:
        return self.path / rel


def use(client: Client, ref: RefLike, role: str | None, dest: PathLike | None, run: Run | None) -> LocalArtifact:
    """Fetch and verify ``ref``'s files into ``dest``, then record that ``run`` used it."""
    if role is not None:
        validate.name(role, "input role")  # before any byte moves
    found = client.get(ref)
    files = _files_of(client, found)
    folder = Path(dest) if dest is not None else client.settings.cache_dir / "artifacts" / found.id
    report = client.downloader.download(files, folder)
    if not report.ok:
        raise CorruptDownload(_refusal(found, report))
    if run is not None:
        run.record_use(found, role)
    return LocalArtifact(found, report.dest, {f.path: o.path for f, o in zip(files, report.files)})


def _files_of(client: Client, found: Artifact) -> list[FileInfo]:
    if isinstance(found, Blob):  # a bare blob: one file named by its digest
        return [FileInfo(found.digest, None, found.digest, found.size, found.status)]
    return artifacts.files(client, found.id)


def _refusal(found: Artifact, report: DownloadReport) -> str:
    failed = [f for f in report.files if f.state == "failed"]
    reasons = "; ".join(f"{f.path.relative_to(report.dest).as_posix()}: {f.error}" for f in failed)
    return (f"cannot use {found.label!r}: {len(failed)} of {len(report.files)} files could not be verified, "
            f"so it was not recorded as an input ({reasons})")
