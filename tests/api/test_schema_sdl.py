"""The checked-in SDL (``schema/schema.graphql``) is what the code defines, and keeps the
names of the public contract (docs: API.md)."""

from __future__ import annotations

from provgraph.schema import schema
from provgraph.schema.export import SDL_PATH, main, sdl

REGENERATE = "python -m provgraph.schema.export"


def test_checked_in_sdl_matches_the_code() -> None:
    assert SDL_PATH.read_text() == str(schema) + "\n", (
        f"{SDL_PATH} differs from the schema the code defines; regenerate it with `{REGENERATE}` "
        "and commit the result"
    )


def test_check_mode_reports_drift(tmp_path: object) -> None:
    from pathlib import Path

    stale = Path(str(tmp_path)) / "schema.graphql"
    stale.write_text("type Query { old: Int }\n")
    assert main(["--check", str(stale)]) == 1
    assert main([str(stale)]) == 0
    assert stale.read_text() == sdl()
    assert main(["--check", str(stale)]) == 0


def test_contract_names_exist() -> None:
    text = sdl()
    for line in (
        "scalar JSON", "scalar Long", "scalar DateTime",
        "interface Node {", "type LineageHop {", "type Edge {", "type LineageGraph {",
        "input FileInput {", "input RunInputRef {", "type IntegrityReport {",
        "  node(id: ID!): Node\n", "  artifact(ref: String!): Node\n",
        "  ancestors(id: ID!, maxDepth: Int = null, kinds: [NodeKind!] = null): [LineageHop!]!\n",
        "  descendants(id: ID!, maxDepth: Int = null, kinds: [NodeKind!] = null): [LineageHop!]!\n",
        "  lineage(id: ID!, direction: Direction = UPSTREAM, maxDepth: Int = null): LineageGraph!\n",
        "  path(source: ID!, target: ID!, direction: PathDirection = ANY): LineageGraph\n",
        "  blob(digest: String!): Blob\n",
        "  integrityReport(project: String = null): IntegrityReport!\n",
        "enum NodeKind {\n  DATASET\n  RUN\n  MODEL\n  EVALUATION\n  BLOB\n}",
        "enum EdgeType {\n  USED\n  GENERATED_BY\n  DERIVED_FROM\n  EVALUATES\n  ON\n  HAS_FILE\n}",
        "enum Direction {\n  UPSTREAM\n  DOWNSTREAM\n  BOTH\n}",
        "enum RunStatus {\n  RUNNING\n  COMPLETED\n  FAILED\n}",
        "enum BlobStatus {\n  PENDING\n  VERIFIED\n  CORRUPT\n  MISSING\n}",
    ):
        assert line in text, line
    for mutation in ("registerDataset(", "startRun(", "finishRun(", "registerModel(", "recordEvaluation("):
        assert f"  {mutation}" in text, mutation
