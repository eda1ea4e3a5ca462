"""``provgraph registry deploy|rollback|history|status``: promote and roll back model
versions from a shell, and see what runs where."""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any, Callable, Sequence

from provgraph.sdk.client import Client
from provgraph.sdk.registry import ModelEvent, versions
from provgraph.sdk.types import Model

FORMATS = ("table", "json")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the service (PROVGRAPH_URL, default http://127.0.0.1:8000)")
    parser.add_argument("--project", help="default project of names and refs (PROVGRAPH_PROJECT)")


def _client(args: argparse.Namespace) -> Client:
    return Client(args.url, project=args.project)


def _decision(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", default="production", help="environment (default production)")
    parser.add_argument("--note", help="why: recorded in the history")
    parser.add_argument("--force", action="store_true",
                        help="deploy even with corrupt or missing blobs upstream (recorded)")


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    deploy = actions.add_parser("deploy", help="deploy a model version (REF: name:v3, name@alias, an id)")
    deploy.add_argument("ref", metavar="REF")
    _decision(deploy)
    rollback = actions.add_parser("rollback", help="deploy again the version that ran before the current one")
    rollback.add_argument("name", metavar="NAME")
    rollback.add_argument("--to", metavar="REF", help="a version deployed there before, instead")
    _decision(rollback)
    history = actions.add_parser("history", help="deploys and rollbacks of NAME, or every event of one version REF")
    history.add_argument("name", metavar="NAME|REF")
    history.add_argument("--env", help="one environment only (NAME)")
    history.add_argument("--limit", type=int, default=50)
    status = actions.add_parser("status", help="every version of NAME: status, where deployed, a key metric")
    status.add_argument("name", metavar="NAME")
    status.add_argument("--metric", help="metric to show (default: the first of the newest version)")
    for sub in (deploy, rollback, history, status):
        sub.add_argument("--format", choices=FORMATS, default="table")
        _common(sub)


def run(args: argparse.Namespace) -> int:
    with _client(args) as client:
        return ACTIONS[args.action](client, args)


def _deploy(client: Client, args: argparse.Namespace) -> int:
    model = client.deploy(args.ref, args.env, note=args.note, force=args.force)
    return _changed(args, model, f"{_label(model)} deployed in {args.env}")


def _rollback(client: Client, args: argparse.Namespace) -> int:
    model = client.rollback(args.name, args.env, to=args.to, note=args.note, force=args.force)
    return _changed(args, model, f"{args.env} now runs {_label(model)} (rolled back)")


def _changed(args: argparse.Namespace, model: Model, line: str) -> int:
    if args.format == "json":
        print(json.dumps(dataclasses.asdict(model), indent=2, default=str))
    else:
        print(line)
    return 0


def _history(client: Client, args: argparse.Namespace) -> int:
    if ":" in args.name or "@" in args.name:
        events = client.history(args.name, args.limit)
    else:
        events = client.deployments(args.name, args.env, args.limit)
    if args.format == "json":
        print(json.dumps(events_json(events), indent=2))
        return 0
    rows = [[e.at[:19].replace("T", " "), e.action, e.version, f"{e.from_status} → {e.to_status}",
             e.environment or "", e.replaces or "", e.actor, ("forced; " if e.forced else "") + (e.note or "")]
            for e in events]
    print(_table(["AT (UTC)", "ACTION", "VERSION", "STATUS", "ENV", "REPLACES", "BY", "NOTE"], rows))
    return 0


def _status(client: Client, args: argparse.Namespace) -> int:
    name = client.line(args.name)
    project, _, short = name.partition("/")
    found = versions(client, short, project)
    if not found:
        print(f"no model {name}")
        return 1
    metric = args.metric or next(iter(sorted(found[0].metrics)), None)
    if args.format == "json":
        print(json.dumps({"project": project, "name": short, "metric": metric, "versions": [
            {"version": m.version, "status": m.status, "deployed_in": list(m.deployed_in),
             "deployed_at": m.deployed_at, "metrics": dict(m.metrics), "id": m.id} for m in found]}, indent=2))
        return 0
    live = sum(1 for m in found if m.deployed_in)
    print(f"{name}\n  Versions: {len(found)} ({live} deployed)")
    for m in found:
        mark = "●" if m.deployed_in else "○"
        where = f" {', '.join(m.deployed_in)} since {m.deployed_at[:19].replace('T', ' ')}" if m.deployed_in and m.deployed_at else ""
        value = m.metrics.get(metric) if metric else None
        shown = f" {metric}={value:.3f}" if isinstance(value, (int, float)) else ""
        print(f"  {mark} {m.version:<8} ({m.status.lower():<10}){shown}{where}")
    return 0


def _label(model: Model) -> str:
    return f"{model.project}/{model.name}:{model.version}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows])


ACTIONS: dict[str, Callable[[Client, argparse.Namespace], int]] = {
    "deploy": _deploy, "rollback": _rollback, "history": _history, "status": _status,
}
HELP = "deploy, roll back and see the status and history of model versions"


def events_json(events: Sequence[ModelEvent]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(e) for e in events]
