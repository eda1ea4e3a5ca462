"""The ``provgraph`` command: ``provgraph SUBCOMMAND [options]``.

Each subcommand is one ``Command``: a function adding its options to a parser and one
running it. Add a subcommand by adding an entry to ``COMMANDS`` (a module of its own for
anything beyond a few lines). Failures print one line to stderr and exit non-zero.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from dataclasses import dataclass
from importlib import metadata
from typing import Callable, Sequence

from provgraph.config import Settings
from provgraph.errors import ProvgraphError
from provgraph.workers import cli as worker_cli
from provgraph.sdk import commands as sdk_commands

EXIT_ERROR = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class Command:
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (1-65535)")
    return int(text)


def _configure_serve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="interface to listen on (PROVGRAPH_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=_port, help="port to listen on (PROVGRAPH_PORT, default 8000)")
    parser.add_argument("--graph-url", help="sqlite:///path.db or neo4j://… (PROVGRAPH_GRAPH_URL)")
    parser.add_argument("--blob-url", help="file:///path or s3://bucket/prefix (PROVGRAPH_BLOB_URL)")


def settings_from(args: argparse.Namespace) -> Settings:
    """Settings from the environment, overridden by the flags given."""
    settings = Settings.from_env()
    overrides = {
        name: value
        for name in ("host", "port", "graph_url", "blob_url")
        if (value := getattr(args, name, None)) is not None
    }
    return dataclasses.replace(settings, **overrides)


def _run_serve(args: argparse.Namespace) -> int:
    try:
        # serve() imports uvicorn and the app lazily; import them here so that a client-only
        # install gets the one-line fix, not a traceback.
        import uvicorn  # noqa: F401

        from provgraph.service.app import create_app  # noqa: F401
        from provgraph.service.serve import serve
    except ImportError as exc:
        missing = (exc.name or "a module").split(".")[0]
        raise ProvgraphError(f"serve needs the server extra ({missing} is missing): pip install 'provgraph[server]'")
    serve(settings_from(args))
    return 0


COMMANDS: dict[str, Command] = {
    "serve": Command("run the GraphQL and blob service", _configure_serve, _run_serve),
    "worker": Command("verify stored blobs on a schedule, check lineage, find orphans",
                      worker_cli.configure_worker, worker_cli.run_worker),
    "gc": Command("report (or --delete) blobs nothing references", worker_cli.configure_gc, worker_cli.run_gc),
    **{name: Command(*spec) for name, spec in sdk_commands.COMMANDS.items()},
}


def installed_version() -> str:
    """The version of the installed ``provgraph`` distribution (its metadata, not the source)."""
    try:
        return metadata.version("provgraph")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="provgraph", description="Provenance graph for ML artifacts.")
    root.add_argument("--version", action="version", version=f"provgraph {installed_version()}")
    subparsers = root.add_subparsers(dest="command", required=True)
    for name, command in COMMANDS.items():
        command.configure(subparsers.add_parser(name, help=command.help, description=command.help))
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(sdk_commands.join_dash_values(sys.argv[1:] if argv is None else argv))
    try:
        return COMMANDS[args.command].run(args)
    except ProvgraphError as exc:
        print(f"provgraph {args.command}: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
