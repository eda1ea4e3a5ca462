"""``make bench``: every benchmark, figures printed and written to benchmarks/results/."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if "--quick" in sys.argv:  # before the benchmark modules read where results go
    os.environ.setdefault("PROVGRAPH_BENCH_RESULTS", str(Path(__file__).parent / "results" / "quick"))

from benchmarks import (bench_blob_stream, bench_graph, bench_http, bench_s3, bench_sdk, bench_search, bench_traversal,
                        bench_ui, bench_verify)

SERVICES_ENV = Path(__file__).resolve().parents[1] / ".provgraph" / "services.env"


def servers() -> dict[str, str]:
    """The Neo4j and S3 servers `make services` started, or {} when none run."""
    if not SERVICES_ENV.exists():
        return {}
    pairs = (line.split("=", 1) for line in SERVICES_ENV.read_text().splitlines()
             if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def production_backends(quick: bool) -> None:
    """Neo4j and S3: the same workloads, so the README can show both side by side."""
    env = servers()
    if not env:
        print("\nno .provgraph/services.env: Neo4j and S3 benchmarks left out (run `make services`)")
        return
    os.environ.update({k: v for k, v in env.items() if k.startswith(("AWS_", "PROVGRAPH_BLOB_URL"))})
    sizes = ["--sizes", "1000", "--fan-out", "10000", "--files", "10000"] if quick else []
    bench_graph.main(["--graph-url", env["PROVGRAPH_GRAPH_URL"], *sizes])
    bench_traversal.main(["--graph-url", env["PROVGRAPH_GRAPH_URL"], *(["--nodes", "2000"] if quick else [])])
    bench_search.main(["--graph-url", env["PROVGRAPH_GRAPH_URL"], *(["--runs", "10000"] if quick else [])])
    bench_s3.main(["--size-mb", "64" if quick else "1024"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        bench_graph.main(["--sizes", "1000", "--fan-out", "10000", "--files", "10000"])
        bench_http.main(["--size", "1000", "--models", "50", "--files", "10000"])
        bench_traversal.main(["--nodes", "2000", "--http"])
        bench_search.main(["--runs", "10000"])
        bench_sdk.main(["--size-mb", "64", "--points", "10000"])
        bench_verify.main(["--total-mb", "256", "--big-mb", "256", "--s3-total-mb", "128", "--repeat", "1"])
        bench_ui.main(["--layers", "20", "--fan-out", "2000", "--repeat", "1"])
        production_backends(quick=True)
        return bench_blob_stream.main(["--size-mb", "64"])
    bench_graph.main([])
    bench_http.main([])
    bench_traversal.main(["--http"])
    bench_search.main([])
    bench_sdk.main([])
    bench_verify.main([])
    bench_ui.main([])
    production_backends(quick=False)
    return bench_blob_stream.main([])


if __name__ == "__main__":
    sys.exit(main())
