"""Collecting the files of datasets and models: folders walked, symlink loops refused."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Union

from provgraph.errors import BadInput
from provgraph.sdk.errors import UnreadableFile

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class LocalFile:
    """A file to record: where it is, and its path inside the artifact."""

    path: Path
    rel: str
    role: str | None = None


def collect(items: Iterable[PathLike], prefix: str = "", role: str | None = None) -> list[LocalFile]:
    """Files of ``items`` (files, or folders walked recursively, following symlinks), by
    path inside the artifact: relative to each folder given, or the file's name."""
    found: dict[str, LocalFile] = {}
    for item in items:
        root = Path(item).absolute()
        if not os.path.lexists(root):
            raise UnreadableFile(f"cannot read {item}: no such file or folder")
        if root.is_dir():
            entries = list(_walk(root, root, frozenset()))
        else:
            entries = [root]
        for path in entries:
            rel = prefix + (path.relative_to(root).as_posix() if root.is_dir() else root.name)
            if rel in found:
                raise BadInput(f"two files would both be recorded as {rel!r} ({found[rel].path} and {path})")
            found[rel] = LocalFile(path, rel, role)
    return [found[rel] for rel in sorted(found)]


def _walk(root: Path, folder: Path, ancestors: frozenset[tuple[int, int]]) -> Iterator[Path]:
    try:
        st = folder.stat()
        key = (st.st_dev, st.st_ino)
        if key in ancestors:
            raise UnreadableFile(
                f"symlink loop in {root}: {folder.relative_to(root)} leads back to "
                f"{folder.resolve()}, one of its own parents; remove the link or register a sub-folder"
            )
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise UnreadableFile(f"cannot read {folder}: {exc.strerror or exc}") from None
    for entry in entries:
        path = Path(entry.path)
        if entry.is_dir(follow_symlinks=True):
            yield from _walk(root, path, ancestors | {key})
        elif entry.is_file(follow_symlinks=True):
            yield path
        elif entry.is_symlink():
            raise UnreadableFile(f"cannot read {path}: a broken symbolic link (to {os.readlink(path)})")
        else:
            raise UnreadableFile(f"cannot read {path}: not a regular file or folder")
