"""The SDK's subcommands of ``provgraph``: upload, lineage, path, describe, compare, runs, verify, sync.

Each is (help, add options, run); ``provgraph.cli`` lists them in ``COMMANDS``. A run
returns the exit status; failures raise provgraph errors, which the CLI prints as one line.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from provgraph.sdk import compare as comparing
from provgraph.sdk import registry_commands, render, runs_table
from provgraph.sdk.client import Client
from provgraph.sdk.describe import describe as describe_ref
from provgraph.sdk.files import collect
from provgraph.sdk.verify import verify as verify_target

Spec = tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]


def _client(args: argparse.Namespace) -> Client:
    return Client(args.url, project=args.project)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the service (PROVGRAPH_URL, default http://127.0.0.1:8000)")
    parser.add_argument("--project", help="default project of refs and writes (PROVGRAPH_PROJECT)")


def _with_common(add: Callable[[argparse.ArgumentParser], None]) -> Callable[[argparse.ArgumentParser], None]:
    def configure(parser: argparse.ArgumentParser) -> None:
        add(parser)
        _common(parser)

    return configure


def _upload_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")


def upload(args: argparse.Namespace) -> int:
    with _client(args) as client:
        for file in collect(args.paths):
            result = client.upload_file(file.path)
            state = "already stored" if result.existed else ("journaled offline" if client.offline else "stored")
            print(f"{result.digest}  {file.path}  ({state})")
    return 0


def _pull_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="REF", help="a dataset, model, evaluation or run")
    parser.add_argument("dest", metavar="DIR", help="folder to write the files into")
    parser.add_argument("--concurrency", type=int, default=4, help="files fetched at once (default 4)")


def pull(args: argparse.Namespace) -> int:
    with _client(args) as client:
        report = client.download(args.ref, args.dest, args.concurrency)
    for outcome in report.files:
        if outcome.state == "failed":
            print(f"failed      {outcome.path}: {outcome.error}")
    print(f"{report.count('downloaded')} downloaded, {report.count('skipped')} already present and correct, "
          f"{report.count('failed')} failed, into {report.dest}")
    return 0 if report.ok else 1


def _lineage_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="REF")
    parser.add_argument("--direction", choices=("up", "down", "both"), default="up")
    parser.add_argument("--format", choices=render.FORMATS, default="tree")
    parser.add_argument("--max-depth", type=int)


def lineage(args: argparse.Namespace) -> int:
    with _client(args) as client:
        root = client.get(args.ref)
        graph = client.lineage(root.id, args.direction, args.max_depth)
        print(render.render(graph, root.id, {"up": "UPSTREAM", "down": "DOWNSTREAM"}.get(args.direction, "BOTH"),
                            args.format))
    return 0


def _path_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", metavar="SOURCE")
    parser.add_argument("target", metavar="TARGET")
    parser.add_argument("--direction", choices=("up", "down", "any"), default="any",
                        help="up: TARGET is an ancestor; down: a descendant; any: either, upward first")
    parser.add_argument("--format", choices=render.FORMATS, default="tree")


def path(args: argparse.Namespace) -> int:
    with _client(args) as client:
        source = client.get(args.source)
        graph = client.path(source.id, args.target, args.direction)
        if graph is None:
            way = {"up": "upstream ", "down": "downstream "}.get(args.direction, "")
            print(f"no {way}path from {args.source} to {args.target}", file=sys.stderr)
            return 1
        print(render.render(graph, source.id, graph.direction or "UPSTREAM", args.format))
    return 0


def _describe_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="REF")


def describe(args: argparse.Namespace) -> int:
    with _client(args) as client:
        print(describe_ref(client, args.ref))
    return 0


def _compare_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("refs", nargs="+", metavar="REF", help="two or more runs or models")
    parser.add_argument("--format", choices=("table", "json"), default="table")


def compare(args: argparse.Namespace) -> int:
    with _client(args) as client:
        artifacts, result = comparing.compare(client, args.refs)
        render_ = comparing.render_json if args.format == "json" else comparing.render_table
        print(render_(artifacts, result))
    return 0


# Values that begin with "-" (``--sort -metrics.loss``) would read as options to argparse.
DASH_VALUES = ("--sort", "--sort-by")


def join_dash_values(argv: Sequence[str]) -> list[str]:
    """``--sort -x`` as ``--sort=-x``, so a descending sort key parses as a value."""
    joined: list[str] = []
    for arg in argv:
        if joined and joined[-1] in DASH_VALUES and arg.startswith("-") and not arg.startswith("--"):
            joined[-1] = f"{joined[-1]}={arg}"
        else:
            joined.append(arg)
    return joined


def _runs_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--filter", metavar="EXPR", help='server-side filter, e.g. "metrics.loss < 0.2 AND '
                        'params.lr = 0.001" (README "Search runs")')
    parser.add_argument("--sort", "--sort-by", dest="sort", metavar="KEY",
                        help="params.KEY, metrics.KEY, name, status, created_at (server-side; -KEY descending), "
                             "or a bare metric/param/column name (loss, duration_s) sorted here")
    parser.add_argument("--desc", action="store_true", help="largest first")
    parser.add_argument("--export", choices=("csv", "json"), help="print every field as CSV or JSON")
    parser.add_argument("--name", help="only runs of this name")
    parser.add_argument("--limit", type=int, default=1000)


def runs(args: argparse.Namespace) -> int:
    order, local = runs_table.split_sort(args.sort, args.desc)
    with _client(args) as client:
        found = client.runs(project=args.project or client.project, name=args.name, limit=args.limit,
                            filter=args.filter, order_by=order)
    rows = [runs_table.row(r) for r in found]
    if local is not None:
        rows = runs_table.sort_rows(rows, local, args.desc)
    print(runs_table.export(rows, args.export) if args.export else runs_table.table(rows))
    return 0


def _verify_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="REF|DIGEST|PATH")
    parser.add_argument("--against", metavar="REF", help="with a PATH: it must be a file of this artifact")


def verify(args: argparse.Namespace) -> int:
    with _client(args) as client:
        report = verify_target(client, args.target, args.against)
    if report.valid:
        print(f"{report.subject}: valid, hash matches registry ({report.checked} file"
              f"{'s' if report.checked != 1 else ''}, {report.bytes} bytes)")
        return 0
    for problem in report.problems:
        print(f"{report.subject}: {problem}")
    return 1


def sync(args: argparse.Namespace) -> int:
    with _client(args) as client:
        client.offline = False
        result = client.sync()
    if result.operations == 0:
        print("nothing to sync: the offline journal is empty")
    else:
        print(f"synced {result.operations} journaled operations ({result.blobs_sent} blobs uploaded)")
    return 0


COMMANDS: dict[str, Spec] = {
    "upload": ("upload files (hashed once, skipped when stored)", _with_common(_upload_options), upload),
    "pull": ("download an artifact's files into a folder, verified against their digests",
             _with_common(_pull_options), pull),
    "lineage": ("show where an artifact came from (or what derives from it)", _with_common(_lineage_options), lineage),
    "path": ("a shortest path between two artifacts, and which way it goes", _with_common(_path_options), path),
    "describe": ("describe an artifact in one sentence", _with_common(_describe_options), describe),
    "compare": ("params, metrics, data and code differences of two or more runs or models",
                _with_common(_compare_options), compare),
    "runs": ("list runs, sortable by any metric; export CSV or JSON", _with_common(_runs_options), runs),
    "verify": ("re-hash stored or local bytes against the registry", _with_common(_verify_options), verify),
    "sync": ("replay the offline journal to the service", _common, sync),
    "registry": (registry_commands.HELP, registry_commands.configure, registry_commands.run),
}
