"""docker-compose.yml and the Dockerfile, checked without a Docker engine: the file as
written (PyYAML), and as Compose resolves it (scripts/composecheck/, the compose-go loader
behind `docker compose config`: schema, ${VAR:-default} interpolation, references).
Checked: images, ports, health checks, start order, and that the environment the service
and the worker get is exactly what the code reads, pointing at the compose services."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from provgraph import cli
from provgraph.blobs.s3 import S3BlobStore
from provgraph.config import Settings
from provgraph.graph.neo4j import Neo4jGraphStore

from .support import REQUIRED, ROOT, S3_CREDENTIALS, names_read_by_code, prefixed, unpinned_reason

COMPOSE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
GOTOOL_SH = ROOT / "scripts" / "gotool.sh"
APP_SERVICES = ("provgraph", "worker")
OVERRIDES = {"NEO4J_PASSWORD": "other-pw-123", "MINIO_ROOT_USER": "admin", "MINIO_ROOT_PASSWORD": "other-secret"}

# A cold build of composecheck downloads and compiles its modules.
pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The file as written."""
    data = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def composecheck() -> Path:
    done = subprocess.run(["bash", str(GOTOOL_SH), "composecheck", "--build-only"],
                          capture_output=True, text=True, timeout=800)
    assert done.returncode == 0, f"building composecheck failed:\n{done.stderr[-4000:]}"
    return Path(done.stdout.strip().splitlines()[-1])


def resolve(composecheck: Path, file: Path, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = [str(composecheck)]
    for name, value in environ.items():
        args += ["-env", f"{name}={value}"]
    return subprocess.run([*args, str(file)], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module", params=[{}, OVERRIDES], ids=["defaults", "overrides"])
def resolved(request: pytest.FixtureRequest, composecheck: Path) -> dict[str, Any]:
    """The project as `docker compose config` resolves it, without and with a .env."""
    environ: dict[str, str] = request.param
    done = resolve(composecheck, COMPOSE, environ)
    assert done.returncode == 0, done.stderr
    project: dict[str, Any] = json.loads(done.stdout)
    project["_environ"] = environ
    return project


def healthcheck_command(service: dict[str, Any]) -> str:
    test = service["healthcheck"]["test"]
    assert test[0] in ("CMD", "CMD-SHELL")
    return " ".join(test[1:])


def test_compose_loads_as_a_valid_project(resolved: dict[str, Any]) -> None:
    assert resolved["name"] == "provgraph"
    assert set(resolved["services"]) == {"neo4j", "minio", "provgraph", "worker"}
    assert set(resolved["volumes"]) == {"neo4j-data", "neo4j-logs", "minio-data"}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("      provgraph:\n        condition: service_healthy", "      provgrph:\n        condition: service_healthy",
         "provgrph"),
        ("      retries: 12\n      start_period: 5s", "      retries: twelve\n      start_period: 5s", "retries"),
        ("      - minio-data:/data", "      - minio-dta:/data", "minio-dta"),
        ("    healthcheck:\n      test: [\"CMD\", \"mc\"", "    helthcheck:\n      test: [\"CMD\", \"mc\"",
         "helthcheck"),
    ],
    ids=["unknown-dependency", "mistyped-retries", "undeclared-volume", "misspelt-key"],
)
def test_composecheck_refuses_a_broken_file(composecheck: Path, tmp_path: Path, old: str, new: str,
                                            message: str) -> None:
    """The check can fail: the same file with one mistake is refused, naming it."""
    text = COMPOSE.read_text()
    assert text.count(old) == 1, old
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(text.replace(old, new))
    done = resolve(composecheck, broken, {})
    assert done.returncode != 0, done.stdout
    assert message in done.stderr


# -- the stores -------------------------------------------------------------------------


def test_images(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {"neo4j", "minio", "provgraph", "worker"}
    assert re.fullmatch(r"neo4j:5\.26\.\d+-community", services["neo4j"]["image"])
    # minio/minio on Docker Hub is no longer served; quay.io keeps the last releases.
    assert re.fullmatch(r"quay\.io/minio/minio:RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ", services["minio"]["image"])
    for name in APP_SERVICES:
        assert services[name]["build"] == "."
        assert services[name]["image"] == services["provgraph"]["image"]


def test_every_image_is_pinned(compose: dict[str, Any], resolved: dict[str, Any]) -> None:
    """By a tag that is not ``latest`` or by digest, as written and as Compose resolves it;
    the base images of the Dockerfile too."""
    images = [service["image"] for service in compose["services"].values()]
    images += [service["image"] for service in resolved["services"].values()]
    images += [arg.split()[0] for op, arg in dockerfile_instructions() if op == "FROM"]
    assert len(images) == 2 * 4 + 2
    assert [unpinned_reason(image) for image in images] == [None] * len(images), images


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        ("minio/minio", "minio/minio: no tag"),
        ("neo4j:latest", "neo4j:latest: tag 'latest'"),
        ("registry.example.com:5000/provgraph", "registry.example.com:5000/provgraph: no tag"),
        ("neo4j@sha256:abc", "neo4j@sha256:abc: malformed digest"),
        ("neo4j:5.26.31-community", None),
        ("registry.example.com:5000/provgraph:0.1.0", None),
        ("quay.io/minio/minio@sha256:" + "0" * 64, None),
        ("neo4j:latest@sha256:" + "0" * 64, None),
    ],
)
def test_unpinned_reason(image: str, reason: str | None) -> None:
    assert unpinned_reason(image) == reason


def test_neo4j(compose: dict[str, Any]) -> None:
    neo4j = compose["services"]["neo4j"]
    env = neo4j["environment"]
    assert env["NEO4J_AUTH"] == "neo4j/${NEO4J_PASSWORD:-provgraph-dev-password}"
    assert env["NEO4J_dbms_usage__report_enabled"] == "false"
    assert {p.rsplit(":", 1)[-1] for p in neo4j["ports"]} == {"7474", "7687"}
    assert "neo4j-data:/data" in neo4j["volumes"]
    check = healthcheck_command(neo4j)
    assert "7474" in check or "cypher-shell" in check


def test_minio(compose: dict[str, Any]) -> None:
    minio = compose["services"]["minio"]
    assert shlex.split(minio["command"]) == ["server", "/data", "--console-address", ":9001"]
    env = minio["environment"]
    assert env == {"MINIO_ROOT_USER": "${MINIO_ROOT_USER:-provgraph}",
                   "MINIO_ROOT_PASSWORD": "${MINIO_ROOT_PASSWORD:-provgraph-dev-secret}"}
    assert {p.rsplit(":", 1)[-1] for p in minio["ports"]} == {"9000", "9001"}
    assert "minio-data:/data" in minio["volumes"]
    assert healthcheck_command(minio) in ("mc ready local", "curl -f http://localhost:9000/minio/health/live")


def test_named_volumes_are_declared(compose: dict[str, Any]) -> None:
    used = {
        volume.split(":")[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
    }
    assert used == {"neo4j-data", "neo4j-logs", "minio-data"}
    assert used <= set(compose["volumes"])


# -- the service and the worker -----------------------------------------------------------


def test_service_port_command_and_healthcheck(compose: dict[str, Any]) -> None:
    service = compose["services"]["provgraph"]
    assert service["ports"] == ["${PROVGRAPH_PORT:-8000}:8000"]
    assert service["command"] == ["provgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
    check = healthcheck_command(service)
    assert "http://127.0.0.1:8000/readyz" in check and "urlopen" in check


def test_start_order_waits_for_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["provgraph"]["depends_on"] == {
        "neo4j": {"condition": "service_healthy"},
        "minio": {"condition": "service_healthy"},
    }
    assert services["worker"]["depends_on"] == {"provgraph": {"condition": "service_healthy"}}
    for name in ("neo4j", "minio", "provgraph"):
        assert "test" in services[name]["healthcheck"], name


def test_worker_command(compose: dict[str, Any]) -> None:
    worker = compose["services"]["worker"]
    assert worker["command"] == ["provgraph", "worker", "--interval", "${WORKER_INTERVAL:-3600}"]
    # The image's HEALTHCHECK polls the HTTP service, which the worker does not run.
    assert worker["healthcheck"] == {"disable": True}
    # One environment, written once (a YAML anchor) for the service and the worker.
    assert worker["environment"] is compose["services"]["provgraph"]["environment"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_env_is_what_the_service_reads(resolved: dict[str, Any], name: str) -> None:
    env: dict[str, str] = resolved["services"][name]["environment"]
    read = names_read_by_code()
    assert REQUIRED | S3_CREDENTIALS | {"AWS_ENDPOINT_URL"} <= env.keys()
    assert prefixed(env.keys()) == set(env), "only PROVGRAPH_* and AWS_* variables"
    assert set(env) <= read, set(env) - read


@pytest.mark.parametrize("name", APP_SERVICES)
def test_urls_point_at_the_compose_services(resolved: dict[str, Any], name: str) -> None:
    services = resolved["services"]
    env: dict[str, str] = services[name]["environment"]
    settings = Settings.from_env(env)

    graph = Neo4jGraphStore.from_url(settings.graph_url)
    user, _, password = services["neo4j"]["environment"]["NEO4J_AUTH"].partition("/")
    assert graph.uri == "bolt://neo4j:7687"
    assert graph.auth == (user, password)
    assert password == resolved["_environ"].get("NEO4J_PASSWORD", "provgraph-dev-password")
    assert urlsplit(graph.uri).hostname in services

    blobs = S3BlobStore.from_url(settings.blob_url)
    assert (blobs.bucket, blobs.prefix, blobs.create_bucket) == ("provgraph", "blobs/", True)
    endpoint = urlsplit(env["AWS_ENDPOINT_URL"])
    assert (endpoint.scheme, endpoint.hostname, endpoint.port) == ("http", "minio", 9000)
    assert endpoint.hostname in services
    minio = services["minio"]["environment"]
    assert env["AWS_ACCESS_KEY_ID"] == minio["MINIO_ROOT_USER"]
    assert env["AWS_SECRET_ACCESS_KEY"] == minio["MINIO_ROOT_PASSWORD"]
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"


def test_resolved_ports_health_and_order(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    published = {name: {(p["target"], p["published"]) for p in s.get("ports", [])} for name, s in services.items()}
    assert published == {
        "neo4j": {(7474, "7474"), (7687, "7687")},
        "minio": {(9000, "9000"), (9001, "9001")},
        "provgraph": {(8000, "8000")},
        "worker": set(),
    }
    for name in ("neo4j", "minio"):
        assert {p["host_ip"] for p in services[name]["ports"]} == {"127.0.0.1"}
    assert services["worker"]["healthcheck"] == {"disable": True}
    for name in ("neo4j", "minio", "provgraph"):
        assert services[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL")
    conditions = {name: {dep: d["condition"] for dep, d in s.get("depends_on", {}).items()}
                  for name, s in services.items()}
    assert conditions == {
        "neo4j": {}, "minio": {},
        "provgraph": {"neo4j": "service_healthy", "minio": "service_healthy"},
        "worker": {"provgraph": "service_healthy"},
    }
    for name in APP_SERVICES:
        assert services[name]["build"]["context"] in (".", str(ROOT))
        assert services[name]["build"]["dockerfile"] == "Dockerfile"
    assert services["worker"]["command"] == ["provgraph", "worker", "--interval", "3600"]
    # Both commands as `provgraph`'s own CLI reads them.
    worker = cli.parser().parse_args(services["worker"]["command"][1:])
    assert (worker.command, worker.once, worker.interval) == ("worker", False, 3600.0)
    serve = cli.settings_from(cli.parser().parse_args(services["provgraph"]["command"][1:]))
    assert (serve.host, serve.port) == ("0.0.0.0", 8000)


def test_worker_and_service_share_one_environment(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    assert services["worker"]["environment"] == services["provgraph"]["environment"]


# -- the image ------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines if line and not line.startswith("#")]


def test_dockerfile() -> None:
    steps = dockerfile_instructions()
    bases = [arg.split()[0] for op, arg in steps if op == "FROM"]
    assert bases and all(base == "python:3.11-slim" for base in bases)
    final = steps[max(i for i, (op, _) in enumerate(steps) if op == "FROM"):]
    ops = dict(final)
    assert "'.[server]'" in " ".join(arg for op, arg in steps if op == "RUN")
    user = ops["USER"].split(":")[0]
    assert user not in ("root", "0")
    assert ops["EXPOSE"] == "8000"
    assert "/livez" in ops["HEALTHCHECK"] and "urllib.request" in ops["HEALTHCHECK"]
    assert ops["CMD"] == '["provgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]'


def test_image_gets_every_package_folder() -> None:
    """What pip needs to install provgraph is copied and not excluded by .dockerignore."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    folders = set(project["tool"]["setuptools"]["package-dir"].values())
    needed = folders | {"pyproject.toml", project["project"]["readme"], *project["project"]["license-files"]}
    copied: set[str] = set()
    for op, arg in dockerfile_instructions():
        if op == "COPY" and not arg.startswith("--from"):
            *sources, _destination = arg.split()
            copied.update(source.rstrip("/") for source in sources)
    assert needed <= copied, needed - copied
    ignored = {line.strip().rstrip("/") for line in DOCKERIGNORE.read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert not needed & ignored
    for folder in folders:
        assert (ROOT / folder / "__init__.py").exists(), folder
