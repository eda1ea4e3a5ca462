"""What the built wheel and sdist must hold (run by scripts/dist.sh): the PEP 639 license
metadata and file, the package data, every package, and nothing from tests/ or the venv."""

from __future__ import annotations

import sys
import tarfile
import zipfile
from email.parser import HeaderParser

PACKAGES = ("provgraph", "provgraph/graph", "provgraph/blobs", "provgraph/service", "provgraph/schema",
            "provgraph/workers", "provgraph/sdk")
GRAPHIQL = ("index.html", "graphiql.min.js", "graphiql.min.css", "react.production.min.js",
            "react-dom.production.min.js", "js.cookie.min.js", "plugin-explorer.umd.js", "plugin-explorer.css")
UI = ("index.html", "app.js", "api.js", "browse.js", "dom.js", "export.js", "lineage.js", "metrics.js", "node.js",
      "style.css", "vendor/cytoscape.esm.min.mjs", "vendor/cytoscape-dagre.min.mjs", "vendor/uPlot.esm.js",
      "vendor/uPlot.min.css", "vendor/SHA256SUMS", "vendor/licenses/cytoscape.LICENSE")
DATA = ("provgraph/py.typed", "provgraph/schema/schema.graphql",
        *(f"provgraph/service/static/graphiql/{name}" for name in GRAPHIQL),
        *(f"provgraph/service/static/ui/{name}" for name in UI))
SDIST = ("LICENSE", "README.md", "pyproject.toml", "schema/schema.graphql", "provgraph/py.typed",
         "service/static/graphiql/index.html", "service/static/graphiql/graphiql.min.js",
         *(f"service/static/ui/{name}" for name in UI))


def check_wheel(path: str) -> list[str]:
    with zipfile.ZipFile(path) as wheel:
        names = set(wheel.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = HeaderParser().parsestr(wheel.read(info).decode())
    problems = [f"wheel lacks {p}/__init__.py" for p in PACKAGES if f"{p}/__init__.py" not in names]
    problems += [f"wheel lacks {d}" for d in DATA if d not in names]
    problems += [f"wheel lacks the license file" for _ in [0] if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names)]
    if meta["License-Expression"] != "Apache-2.0":
        problems.append(f"License-Expression is {meta['License-Expression']!r}")
    if meta.get_all("License-File") != ["LICENSE"]:
        problems.append(f"License-File is {meta.get_all('License-File')!r}")
    if meta["License"] is not None:
        problems.append("deprecated License field present")
    if not meta.get_all("Classifier"):
        problems.append("no classifiers")
    problems += [f"wheel ships {n}" for n in names if n.startswith(("tests/", ".venv/", "benchmarks/"))]
    return problems


def check_sdist(path: str) -> list[str]:
    with tarfile.open(path) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    return [f"sdist lacks {n}" for n in SDIST if n not in names]


def main(wheel: str, sdist: str) -> int:
    problems = check_wheel(wheel) + check_sdist(sdist)
    for problem in problems:
        print(f"dist contents: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
