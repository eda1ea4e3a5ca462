"""The provgraph SDK: record runs with their provenance, upload and register artifacts.

A client-only module: it talks to the service over HTTP and imports none of the server's
dependencies (Starlette, Strawberry, neo4j, boto3).
"""

from __future__ import annotations

from provgraph.sdk.client import Client
from provgraph.sdk.run import Run, current_run
from provgraph.sdk.system import SystemSampler
from provgraph.sdk.track import track
from provgraph.sdk.types import (
    Artifact,
    Blob,
    Dataset,
    Edge,
    Evaluation,
    FileInfo,
    Hop,
    Lineage,
    MetricPoint,
    Model,
    RunRecord,
)
from provgraph.sdk.upload import UploadResult
from provgraph.sdk.using import LocalArtifact

__all__ = [
    "Artifact", "Blob", "Client", "Dataset", "Edge", "Evaluation", "FileInfo", "Hop", "Lineage",
    "LocalArtifact", "MetricPoint", "Model", "Run", "RunRecord", "SystemSampler", "UploadResult", "current_run",
    "track",
]
