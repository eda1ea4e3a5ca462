"""Write (or check) the checked-in SDL: ``python -m provgraph.schema.export [--check] [PATH]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SDL_PATH = Path(__file__).resolve().with_name("schema.graphql")


def sdl() -> str:
    """The SDL of the schema as the code defines it, newline-terminated."""
    from provgraph.schema import schema

    return str(schema) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m provgraph.schema.export", description=__doc__)
    parser.add_argument("path", nargs="?", type=Path, default=SDL_PATH)
    parser.add_argument("--check", action="store_true", help="fail if the file differs from the code")
    args = parser.parse_args(argv)
    text = sdl()
    if args.check:
        current = args.path.read_text() if args.path.exists() else ""
        if current != text:
            print(f"{args.path} is out of date: run python -m provgraph.schema.export", file=sys.stderr)
            return 1
        return 0
    args.path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
