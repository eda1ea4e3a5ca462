"""The GraphQL operations the SDK sends (every write takes a client-chosen id)."""

from __future__ import annotations

from provgraph.sdk.types import NODE_FIELDS

START_RUN = """mutation($name: String!, $project: String, $kind: String, $params: JSON, $inputs: [RunInputRef!],
  $provenance: JSON, $tags: [String!], $metadata: JSON, $id: ID) {
  startRun(name: $name, project: $project, kind: $kind, params: $params, inputs: $inputs,
           provenance: $provenance, tags: $tags, metadata: $metadata, id: $id) { id } }"""
FINISH_RUN = """mutation($id: ID!, $status: RunStatus!, $metrics: JSON, $error: String) {
  finishRun(id: $id, status: $status, metrics: $metrics, error: $error) { id } }"""
UPDATE_RUN = """mutation($id: ID!, $params: JSON, $seeds: JSON, $notes: String) {
  updateRun(id: $id, params: $params, seeds: $seeds, notes: $notes) { id } }"""
LOG_SERIES = """mutation($run: ID!, $series: JSON!, $batch: ID) {
  logMetricSeries(run: $run, series: $series, batch: $batch) }"""
REGISTER_DATASET = """mutation($name: String!, $files: [FileInput!]!, $project: String, $version: String,
  $stats: JSON, $metadata: JSON, $tags: [String!], $derivedFrom: [ID!], $run: ID, $source: String, $id: ID) {
  node: registerDataset(name: $name, files: $files, project: $project, version: $version, stats: $stats,
    metadata: $metadata, tags: $tags, derivedFrom: $derivedFrom, run: $run, source: $source, id: $id) { ...N } }
""" + NODE_FIELDS
REGISTER_MODEL = """mutation($name: String!, $project: String, $version: String, $run: ID, $parents: [ID!],
  $files: [FileInput!], $metrics: JSON, $tags: [String!], $metadata: JSON, $description: String, $id: ID) {
  node: registerModel(name: $name, project: $project, version: $version, run: $run, parents: $parents,
    files: $files, metrics: $metrics, tags: $tags, metadata: $metadata, description: $description, id: $id) { ...N } }
""" + NODE_FIELDS
RECORD_EVALUATION = """mutation($model: ID!, $metrics: JSON!, $dataset: ID, $run: ID, $project: String,
  $params: JSON, $files: [FileInput!], $name: String, $tags: [String!], $id: ID) {
  node: recordEvaluation(model: $model, metrics: $metrics, dataset: $dataset, run: $run, project: $project,
    params: $params, files: $files, name: $name, tags: $tags, id: $id) { ...N } }
""" + NODE_FIELDS

ARTIFACT = "query($ref: String!) { node: artifact(ref: $ref) { ...N } }" + NODE_FIELDS
BLOB = "query($digest: String!) { node: blob(digest: $digest) { ...N } }" + NODE_FIELDS
TRAVERSE = """query($id: ID!, $maxDepth: Int, $kinds: [NodeKind!]) {
  hops: %s(id: $id, maxDepth: $maxDepth, kinds: $kinds) { depth node { ...N } } }""" + NODE_FIELDS
HOP_PAGE = """query($id: ID!, $maxDepth: Int, $kinds: [NodeKind!], $first: Int, $after: String) {
  page: %s(id: $id, maxDepth: $maxDepth, kinds: $kinds, first: $first, after: $after) {
    edges { depth node { ...N } } pageInfo { hasNextPage endCursor } } }""" + NODE_FIELDS
LINEAGE = """query($id: ID!, $direction: Direction, $maxDepth: Int) {
  graph: lineage(id: $id, direction: $direction, maxDepth: $maxDepth) {
    direction nodes { ...N } edges { source target type role } } }""" + NODE_FIELDS
PATH = """query($source: ID!, $target: ID!, $direction: PathDirection) {
  graph: path(source: $source, target: $target, direction: $direction) {
    direction nodes { ...N } edges { source target type role } } }""" + NODE_FIELDS
RUNS = """query($first: Int, $after: String, $project: String, $name: String, $status: RunStatus,
  $filter: String, $orderBy: String) {
  runs(first: $first, after: $after, project: $project, name: $name, status: $status, filter: $filter,
       orderBy: $orderBy) {
    edges { node { ...N } } pageInfo { hasNextPage endCursor } } }""" + NODE_FIELDS
FILE_FIELDS = "path role digest size status"
FILES = """query($id: ID!, $after: String) { node(id: $id) {
  ... on Dataset { manifest: files(first: 1000, after: $after) {
      edges { node { %(f)s } } pageInfo { hasNextPage endCursor } } }
  ... on Model { list: files(first: 1000) { %(f)s } }
  ... on Evaluation { list: files(first: 1000) { %(f)s } }
  ... on Run { list: files(first: 1000) { %(f)s } } } }""" % {"f": FILE_FIELDS}
HISTORY = """query($id: ID!, $key: String!, $after: String) { node(id: $id) { ... on Run {
  metricHistory(key: $key, first: 10000, after: $after) {
    points { key value step timestamp } pageInfo { hasNextPage endCursor } } } } }"""
SUMMARY = """query($id: ID!) { node(id: $id) { ... on Run {
  metricSummary { key count last lastStep min minStep max maxStep } } } }"""
LINK = """mutation($source: ID!, $target: ID!, $type: EdgeType!, $role: String) {
  link(source: $source, target: $target, type: $type, role: $role) { source } }"""
