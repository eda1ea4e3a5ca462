"""Blob stores: the ``BlobStore`` protocol and its backends, chosen by URL scheme."""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from provgraph.blobs.protocol import BlobStore, BlobWriter, ObjectInfo
from provgraph.errors import ConfigError

__all__ = ["BlobStore", "BlobWriter", "ObjectInfo", "open_blob_store"]

SCHEMES = ("file", "s3")


def open_blob_store(url: str) -> BlobStore:
    """A (not yet opened) blob store for ``url``: ``file:///abs/path`` or ``s3://bucket/prefix``."""
    scheme = urlsplit(url).scheme
    if scheme == "file":
        from provgraph.blobs.local import LocalBlobStore

        return LocalBlobStore.from_url(url)
    if scheme == "s3":
        return _s3_store(url)
    raise ConfigError(
        f"PROVGRAPH_BLOB_URL has unknown scheme {scheme!r} in {url!r}; known: {', '.join(SCHEMES)}"
    )


def _s3_store(url: str) -> BlobStore:
    # Imported by name at call time: boto3 is a server extra and slow to import.
    try:
        module = importlib.import_module("provgraph.blobs.s3")
    except ImportError as exc:
        raise ConfigError(
            f"PROVGRAPH_BLOB_URL={url!r} needs the S3 client: pip install 'provgraph[server]'"
        ) from exc
    store: BlobStore = module.S3BlobStore.from_url(url)
    return store
