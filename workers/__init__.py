"""Background integrity workers: plain functions over digests and ids, idempotent and
safe to run twice or to kill at any point.

- ``passes.run_pass``: verify one shard's blobs (full re-hash, or ``quick``: HEAD only);
- ``gc.collect_garbage``: orphaned bytes and references whose bytes are gone;
- ``lineage.check_lineage``: cycles, dangling edges, stuck runs, artifacts without files;
- ``scheduler.run_worker``: all of the above every interval (``provgraph worker``).
"""
