"""DDL of the embedded SQLite graph, applied (and migrated) at every start."""

from __future__ import annotations

import sqlite3

SCHEMA_VERSION = 5
NODE_COLUMNS = "n.seq, n.id, n.kind, n.project, n.name, n.version, n.created_at, n.status, n.size, n.verified_at, n.doc"

# Nodes get an integer ``seq`` so traversals join on integers; ``status``, ``size`` and
# ``verified_at`` are columns because listings and integrity workers filter and order
# on them; everything else of a node lives in the ``doc`` JSON ({"t": tags,
# "m": metadata, "p": props}).
MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE nodes (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        project TEXT NOT NULL,
        name TEXT NOT NULL,
        version TEXT,
        created_at TEXT NOT NULL,
        status TEXT,
        size INTEGER,
        verified_at TEXT,
        doc TEXT NOT NULL
    );
    CREATE UNIQUE INDEX nodes_version ON nodes(kind, project, name, version)
        WHERE version IS NOT NULL;
    CREATE INDEX nodes_listing ON nodes(kind, id);
    CREATE INDEX nodes_by_name ON nodes(kind, project, name, created_at);
    CREATE INDEX blobs_due ON nodes(kind, status, verified_at);
    CREATE TABLE edges (
        src INTEGER NOT NULL,
        dst INTEGER NOT NULL,
        type TEXT NOT NULL,
        role TEXT,
        path TEXT
    );
    CREATE INDEX edges_out ON edges(src, dst, type);
    CREATE INDEX edges_in ON edges(dst, src, type);
    CREATE UNIQUE INDEX files_by_path ON edges(src, path) WHERE type = 'HAS_FILE';
    CREATE TABLE versions (
        kind TEXT NOT NULL,
        project TEXT NOT NULL,
        name TEXT NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (kind, project, name)
    ) WITHOUT ROWID;
    CREATE TABLE aliases (
        project TEXT NOT NULL,
        name TEXT NOT NULL,
        alias TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (project, name, alias)
    ) WITHOUT ROWID;
    """,
    # Metric history: one row per point, keyed in history order (run, key, step, batch,
    # index), so a page is one range scan; batch ids make a replayed batch a no-op.
    2: """
    CREATE TABLE metric_points (
        run INTEGER NOT NULL,
        key TEXT NOT NULL,
        step INTEGER NOT NULL,
        batch TEXT NOT NULL,
        idx INTEGER NOT NULL,
        value REAL NOT NULL,
        ts REAL,
        PRIMARY KEY (run, key, step, batch, idx)
    ) WITHOUT ROWID;
    CREATE TABLE metric_batches (
        batch TEXT PRIMARY KEY,
        run INTEGER NOT NULL
    ) WITHOUT ROWID;
    """,
    # Integrity workers: when each blob was last fully checked ('' = never), indexed so
    # a pass takes PENDING blobs, then the least recently checked, in index order.
    3: """
    ALTER TABLE nodes ADD COLUMN checked_at TEXT NOT NULL DEFAULT '';
    CREATE INDEX blobs_pending ON nodes(status, checked_at, id) WHERE kind = 'BLOB';
    CREATE INDEX blobs_checked ON nodes(checked_at, id) WHERE kind = 'BLOB';
    """,
    # The registry lifecycle (provgraph.lifecycle): per model line a revision that every
    # change bumps, what each environment runs, the events newest-first by seq, and the
    # webhook outbox the workers deliver from.
    4: """
    CREATE TABLE model_lines (
        project TEXT NOT NULL,
        name TEXT NOT NULL,
        revision INTEGER NOT NULL,
        auto_deprecate INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (project, name)
    ) WITHOUT ROWID;
    CREATE TABLE deployments (
        project TEXT NOT NULL,
        name TEXT NOT NULL,
        environment TEXT NOT NULL,
        model TEXT NOT NULL,
        since TEXT NOT NULL,
        event TEXT NOT NULL,
        previous TEXT,
        PRIMARY KEY (project, name, environment)
    ) WITHOUT ROWID;
    CREATE TABLE model_events (
        project TEXT NOT NULL,
        name TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL UNIQUE,
        model TEXT NOT NULL,
        environment TEXT,
        action TEXT NOT NULL,
        doc TEXT NOT NULL,
        PRIMARY KEY (project, name, seq)
    ) WITHOUT ROWID;
    CREATE INDEX model_events_by_model ON model_events(model, seq);
    CREATE TABLE webhook_outbox (
        id TEXT PRIMARY KEY,
        target TEXT NOT NULL,
        event TEXT NOT NULL,
        body TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at REAL NOT NULL,
        state TEXT NOT NULL DEFAULT 'PENDING',
        error TEXT
    ) WITHOUT ROWID;
    CREATE INDEX webhook_due ON webhook_outbox(state, next_at);
    """,
    # Run search (provgraph.search): one row per (run id, field, value) with the value
    # REAL or TEXT, so a typed comparison or a sorted section is one (key, value, id)
    # index range; ``pos`` is the history position of a metric taken from the last
    # logged point (NULL for fields of the run's record). Existing runs are indexed by
    # the step's backfill.
    5: """
    CREATE TABLE run_values (
        id TEXT NOT NULL,
        key TEXT NOT NULL,
        value NOT NULL,
        pos TEXT,
        PRIMARY KEY (id, key, value)
    ) WITHOUT ROWID;
    CREATE INDEX run_values_search ON run_values(key, value, id);
    """,
}


def _index_runs(conn: sqlite3.Connection) -> None:
    from provgraph.graph.sqlite_search import backfill  # it reads this module's columns

    backfill(conn)


# Steps that also move data, run after their DDL inside the same transaction.
BACKFILLS = {5: _index_runs}

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=15000",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-65536",
)


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the database to ``SCHEMA_VERSION``; each step in its own transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"graph database schema v{current} is newer than this provgraph (v{SCHEMA_VERSION})"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version].split(";"):
                if statement.strip():
                    conn.execute(statement)
            if version in BACKFILLS:
                BACKFILLS[version](conn)
            conn.execute(f"PRAGMA user_version={version}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
