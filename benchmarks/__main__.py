"""``make bench``: every benchmark, figures printed and written to benchmarks/results/."""

from __future__ import annotations

import argparse
import sys

from benchmarks import bench_blob_stream, bench_graph, bench_http, bench_sdk, bench_verify


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    if args.quick:
        bench_graph.main(["--sizes", "1000", "--fan-out", "10000", "--files", "10000"])
        bench_http.main(["--size", "1000", "--models", "50", "--files", "10000"])
        bench_sdk.main(["--size-mb", "64", "--points", "10000"])
        bench_verify.main(["--total-mb", "256", "--big-mb", "256", "--s3-total-mb", "128", "--repeat", "1"])
        return bench_blob_stream.main(["--size-mb", "64"])
    bench_graph.main([])
    bench_http.main([])
    bench_sdk.main([])
    bench_verify.main([])
    return bench_blob_stream.main([])


if __name__ == "__main__":
    sys.exit(main())
