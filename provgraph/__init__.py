"""provgraph: where every ML artifact came from, and proof that its bytes are intact."""

from __future__ import annotations

__version__ = "0.1.0"
