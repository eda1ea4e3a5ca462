"""provgraph: where every ML artifact came from, and proof that its bytes are intact."""

from __future__ import annotations

__version__ = "0.1.0"

# The service, schema, workers and sdk subpackages live in top-level folders mapped onto
# this package at install time; when this folder is first on sys.path (a command run
# from the repository root), extend the package path so they are still found.
__path__ = __import__("pkgutil").extend_path(__path__, __name__)

_SDK = {"Client", "track", "current_run"}


def __getattr__(name: str) -> object:
    # The SDK is imported on first use, so `import provgraph` stays light for the service.
    if name in _SDK:
        from provgraph import sdk

        return getattr(sdk, name)
    raise AttributeError(f"module 'provgraph' has no attribute {name!r}")
