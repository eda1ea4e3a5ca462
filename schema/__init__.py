"""The GraphQL schema of provgraph (Strawberry): one module per node type.

``schema`` is what the service mounts; ``schema.graphql`` beside this file is its SDL,
kept equal to the code by a test (regenerate with ``python -m provgraph.schema.export``).
"""

from __future__ import annotations

from strawberry.schema.config import StrawberryConfig

from provgraph.schema.blob import Blob
from provgraph.schema.context import Context
from provgraph.schema.dataset import Dataset
from provgraph.schema.errors import ErrorCodes, Schema
from provgraph.schema.evaluation import Evaluation
from provgraph.schema.limits import QueryLimits
from provgraph.schema.fastpath import FastListExecutor
from provgraph.schema.model import Model
from provgraph.schema.mutation import Mutation
from provgraph.schema.operations import OperationMetrics
from provgraph.schema.query import Query
from provgraph.schema.run import Run
from provgraph.schema.scalars import SCALAR_MAP

__all__ = ["Context", "schema"]

schema = Schema(
    query=Query,
    mutation=Mutation,
    types=[Dataset, Run, Model, Evaluation, Blob],
    extensions=[OperationMetrics, QueryLimits, ErrorCodes],
    config=StrawberryConfig(scalar_map=SCALAR_MAP),
    execution_context_class=FastListExecutor,
)
