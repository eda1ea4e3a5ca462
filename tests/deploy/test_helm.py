"""The Helm chart, checked with a real Helm v3 (`helm lint`, `helm template`), and its
rendered manifests decoded strictly into the Kubernetes API types (scripts/kubecheck/).

Both come from scripts/helm.sh and scripts/gotool.sh, which build them from the Go module proxy once into
$PROVGRAPH_CACHE/bin (`make test` does that first, in its `tools` step). If they cannot be
built these tests fail; they are never skipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest
import yaml

from provgraph import cli
from provgraph.blobs.s3 import S3BlobStore
from provgraph.config import Settings
from provgraph.graph.neo4j import Neo4jGraphStore

from .support import REQUIRED, ROOT, S3_CREDENTIALS, names_read_by_code, prefixed, unpinned_reason

CHART = ROOT / "helm" / "provgraph"
HELM_SH = ROOT / "scripts" / "helm.sh"
GOTOOL_SH = ROOT / "scripts" / "gotool.sh"
RELEASE = "pg"

# A cold build of Helm takes minutes; each helm call itself is bounded below.
pytestmark = pytest.mark.timeout(1800)

# worker.shards=4, an Ingress, and every credential from existing Secrets.
PRODUCTION = [
    "--set", "worker.shards=4",
    "--set", "ingress.enabled=true",
    "--set", "ingress.className=nginx",
    "--set", "ingress.hosts[0].host=provgraph.example.com",
    "--set", "ingress.hosts[0].paths[0].path=/",
    "--set", "ingress.tls[0].secretName=provgraph-tls",
    "--set", "ingress.tls[0].hosts[0]=provgraph.example.com",
    "--set", "neo4j.url=neo4j://neo4j.db.svc:7687?database=prov",
    "--set", "neo4j.existingSecret=neo4j-creds",
    "--set", "s3.existingSecret=s3-creds",
    "--set", "s3.endpoint=http://minio.minio.svc:9000",
    "--set", "s3.createBucket=true",
    "--set", "auth.existingSecret=provgraph-tokens",
]

# Passwords and keys given as values: the chart makes the Secret itself.
INLINE_SECRETS = [
    "--set", "neo4j.password=n4j-pass",
    "--set", "s3.accessKeyId=AKIDEXAMPLE",
    "--set", "s3.secretAccessKey=s3-secret",
    "--set", "s3.endpoint=http://minio:9000",
    "--set", "auth.tokens=tok1",
]


@pytest.fixture(scope="session")
def helm() -> Path:
    """The Helm binary, built on first use (a build failure fails the tests)."""
    done = subprocess.run(["bash", str(HELM_SH), "--build-only"], capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, f"building Helm failed:\n{done.stderr[-4000:]}"
    binary = Path(done.stdout.strip().splitlines()[-1])
    assert binary.is_file()
    version = subprocess.run([str(binary), "version", "--short"], capture_output=True, text=True, timeout=60)
    assert version.stdout.startswith("v3."), version
    return binary


@pytest.fixture(scope="session")
def kubecheck(helm: Path) -> Path:
    """The strict manifest decoder (built after Helm, whose modules it reuses)."""
    done = subprocess.run(["bash", str(GOTOOL_SH), "kubecheck", "--build-only"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"building kubecheck failed:\n{done.stderr[-4000:]}"
    return Path(done.stdout.strip().splitlines()[-1])


def run_helm(helm: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=120, cwd=ROOT)


def render(helm: Path, *overrides: str) -> list[dict[str, Any]]:
    done = run_helm(helm, "template", RELEASE, str(CHART), *overrides)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def only(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"{len(found)} {kind} named {name}: {[d['metadata']['name'] for d in docs]}"
    return found[0]


def kinds(docs: list[dict[str, Any]]) -> list[str]:
    return sorted(d["kind"] for d in docs)


def pod_spec(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc["spec"]
    if doc["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    result: dict[str, Any] = spec["template"]["spec"]
    return result


def container(doc: dict[str, Any]) -> dict[str, Any]:
    (only_container,) = pod_spec(doc)["containers"]
    result: dict[str, Any] = only_container
    return result


def env_of(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    entries = container(doc)["env"]
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names)), f"duplicate env names: {names}"
    return {e["name"]: e for e in entries}


def expanded(env: dict[str, dict[str, Any]], secrets: dict[str, str]) -> dict[str, str]:
    """The environment as the kubelet builds it: secretKeyRef resolved from ``secrets``
    (keyed ``name/key``), $(VAR) expanded from variables defined earlier."""
    values: dict[str, str] = {}
    for name, entry in env.items():
        if "value" in entry:
            values[name] = re.sub(r"\$\((\w+)\)", lambda m: values[m.group(1)], entry["value"])
        elif "secretKeyRef" in entry.get("valueFrom", {}):
            ref = entry["valueFrom"]["secretKeyRef"]
            values[name] = secrets[f"{ref['name']}/{ref['key']}"]
    return values


def workloads(docs: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (d for d in docs if d["kind"] in ("Deployment", "CronJob"))


# -- lint -----------------------------------------------------------------------------


def test_helm_is_v3_built_from_the_module_proxy(helm: Path) -> None:
    done = run_helm(helm, "version", "--template", "{{.Version}}")
    assert done.stdout == "v3.22.0"


def test_lint_passes_on_defaults_and_overrides(helm: Path) -> None:
    for overrides in ([], PRODUCTION, INLINE_SECRETS, ["--set", "worker.deployment.enabled=true"]):
        done = run_helm(helm, "lint", "--strict", str(CHART), *overrides)
        assert done.returncode == 0, f"{overrides}:\n{done.stdout}\n{done.stderr}"
        assert "0 chart(s) failed" in done.stdout


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("worker.shards=0", "/worker/shards"),
        ("worker.shards=four", "/worker/shards"),
        ("neo4j.url=http://neo4j:7474", "/neo4j/url"),
        ("neo4j.url=bolt://neo4j:secret@neo4j:7687", "/neo4j/url"),
        ("s3.accessKeyId=AKID", "/s3/secretAccessKey"),
        ("s3.bucket=Not_A_Bucket", "/s3/bucket"),
        ("service.port=http", "/service/port"),
        ("worker.args.bandwidth=fast", "/worker/args/bandwidth"),
    ],
)
def test_lint_fails_on_broken_values(helm: Path, override: str, message: str) -> None:
    """values.schema.json makes `helm lint` (and install) refuse wrong values."""
    done = run_helm(helm, "lint", str(CHART), "--set", override)
    assert done.returncode != 0, done.stdout
    assert "1 chart(s) failed" in done.stdout + done.stderr
    assert message in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        # Past the schema (which types values one by one), the templates refuse with `fail`;
        # `helm lint` reports a template `fail` only as [INFO], `helm template` errors.
        (["--set", "worker.shards=0", "--skip-schema-validation"], "worker.shards=0: at least 1"),
        (["--set", "neo4j.url=bolt://u:p@neo4j:7687", "--skip-schema-validation"], "must not carry credentials"),
        (["--set", "s3.accessKeyId=AKID", "--skip-schema-validation"], "go together"),
    ],
)
def test_template_fails_on_inconsistent_values(helm: Path, overrides: list[str], message: str) -> None:
    done = run_helm(helm, "template", RELEASE, str(CHART), *overrides)
    assert done.returncode != 0, done.stdout
    assert message in done.stderr


def test_lint_fails_on_a_broken_template(helm: Path, tmp_path: Path) -> None:
    """The check itself can fail: a copy of the chart with one template broken."""
    broken = tmp_path / "provgraph"
    shutil.copytree(CHART, broken)
    service = broken / "templates" / "service.yaml"
    service.write_text(service.read_text().replace("{{ .Values.service.type }}", "{{ .Values.service.type"))
    done = run_helm(helm, "lint", str(broken))
    assert done.returncode != 0
    assert "service.yaml" in done.stdout + done.stderr


VALUE_SETS = {
    "defaults": [],
    "production": PRODUCTION,
    "inline-secrets": INLINE_SECRETS,
    "worker-deployment": ["--set", "worker.deployment.enabled=true", "--set", "worker.enabled=false",
                          "--set", "worker.args.quick=true", "--set", "worker.args.bandwidth=1000000"],
    "everything": [*PRODUCTION, "--set", "worker.deployment.enabled=true", "--set", "worker.timeZone=Etc/UTC",
                   "--set", "worker.backoffLimitPerIndex=2", "--set", "worker.activeDeadlineSeconds=3600",
                   "--set", "worker.webhook.url=https://hooks.example/x", "--set", "s3.partSizeMb=64",
                   "--set", "webhooks.existingSecret=hooks",
                   "--set", "extraEnv[0].name=PROVGRAPH_MAX_FILES", "--set-string", "extraEnv[0].value=2000000",
                   "--set", "imagePullSecrets[0].name=registry", "--set", "nodeSelector.pool=cpu",
                   "--set", "tolerations[0].key=dedicated", "--set", "tolerations[0].operator=Exists"],
}


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_manifests_decode_strictly_into_the_kubernetes_types(helm: Path, kubecheck: Path, values: list[str]) -> None:
    """No unknown, misspelt or mistyped field in any rendered object (k8s.io/api v0.37)."""
    rendered = run_helm(helm, "template", RELEASE, str(CHART), *values)
    assert rendered.returncode == 0, rendered.stderr
    done = subprocess.run([str(kubecheck)], input=rendered.stdout, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == len([d for d in yaml.safe_load_all(rendered.stdout) if d])


def test_kubecheck_refuses_a_misspelt_field(helm: Path, kubecheck: Path) -> None:
    rendered = run_helm(helm, "template", RELEASE, str(CHART)).stdout
    assert "completionMode: Indexed" in rendered
    broken = rendered.replace("completionMode: Indexed", "completionmode: Indexed")
    done = subprocess.run([str(kubecheck)], input=broken, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert 'unknown field "spec.jobTemplate.spec.completionmode"' in done.stderr


# -- default values ---------------------------------------------------------------------


def test_defaults_render_service_worker_and_no_secret_or_ingress(helm: Path) -> None:
    docs = render(helm)
    assert kinds(docs) == ["CronJob", "Deployment", "Service", "ServiceAccount"]


def test_deployment_probes_ports_and_security(helm: Path) -> None:
    deployment = only(render(helm), "Deployment")
    main = container(deployment)
    assert main["command"] == ["provgraph", "serve", "--host", "0.0.0.0", "--port", "8000"]
    assert main["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    # Liveness asks no backend (a Neo4j/S3 outage must not restart pods); readiness does.
    assert main["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "http"}
    assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert main["livenessProbe"]["failureThreshold"] >= 3
    pod = pod_spec(deployment)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert main["securityContext"]["allowPrivilegeEscalation"] is False
    assert main["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"name": "tmp", "mountPath": "/tmp"} in main["volumeMounts"]
    assert set(main["resources"]) == {"requests", "limits"}


def test_service_targets_the_deployment(helm: Path) -> None:
    docs = render(helm)
    service, deployment = only(docs, "Service"), only(docs, "Deployment")
    assert service["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]
    assert service["spec"]["selector"] == deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]


def test_default_env_is_what_the_service_reads(helm: Path) -> None:
    docs = render(helm)
    read = names_read_by_code()
    for doc in workloads(docs):
        env = env_of(doc)
        assert REQUIRED <= env.keys()
        assert prefixed(env.keys()) <= read, prefixed(env.keys()) - read
        settings = Settings.from_env(expanded(env, {}))
        assert settings.graph_url == "bolt://neo4j:7687"
        assert settings.blob_url == "s3://provgraph/blobs"


def test_default_cronjob_is_an_indexed_job_of_one_shard(helm: Path) -> None:
    cronjob = only(render(helm), "CronJob")
    job = cronjob["spec"]["jobTemplate"]["spec"]
    assert (job["completionMode"], job["completions"], job["parallelism"]) == ("Indexed", 1, 1)
    assert cronjob["spec"]["schedule"] == "0 * * * *"
    assert container(cronjob)["args"] == ["--once", "--shard", "$(JOB_COMPLETION_INDEX)/1"]


# -- production values: shards, ingress, existing secrets ---------------------------------


def test_production_renders_ingress_and_no_secret(helm: Path) -> None:
    docs = render(helm, *PRODUCTION)
    assert kinds(docs) == ["CronJob", "Deployment", "Ingress", "Service", "ServiceAccount"]
    ingress = only(docs, "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["provgraph.example.com"], "secretName": "provgraph-tls"}]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "provgraph.example.com"
    (path,) = rule["http"]["paths"]
    assert path["backend"] == {"service": {"name": only(docs, "Service")["metadata"]["name"], "port": {"name": "http"}}}


def test_cronjob_runs_four_shards_each_with_its_index(helm: Path) -> None:
    cronjob = only(render(helm, *PRODUCTION), "CronJob")
    job = cronjob["spec"]["jobTemplate"]["spec"]
    assert job["completionMode"] == "Indexed"
    assert job["completions"] == 4 and job["parallelism"] == 4
    assert pod_spec(cronjob)["restartPolicy"] == "Never"
    worker = container(cronjob)
    assert worker["command"] == ["provgraph", "worker"]
    assert worker["args"][:3] == ["--once", "--shard", "$(JOB_COMPLETION_INDEX)/4"]
    index = env_of(cronjob)["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert index == "metadata.annotations['batch.kubernetes.io/job-completion-index']"
    # What pod 2 of 4 runs once Kubernetes has expanded $(JOB_COMPLETION_INDEX):
    shard = worker["args"][2].replace("$(JOB_COMPLETION_INDEX)", "2")
    assert shard == "2/4"


def test_every_shard_runs_a_command_the_cli_accepts(helm: Path) -> None:
    """The four pods' commands, as the kubelet expands them, parsed by `provgraph`'s own CLI."""
    worker = container(only(render(helm, *PRODUCTION, "--set", "worker.args.quick=true"), "CronJob"))
    shards = set()
    for index in range(4):
        argv = [*worker["command"], *(a.replace("$(JOB_COMPLETION_INDEX)", str(index)) for a in worker["args"])]
        assert argv[0] == "provgraph"
        args = cli.parser().parse_args(argv[1:])
        assert (args.command, args.once, args.quick) == ("worker", True, True)
        shards.add((args.shard.index, args.shard.count))
    assert shards == {(0, 4), (1, 4), (2, 4), (3, 4)}


def test_service_command_is_what_the_cli_serves(helm: Path) -> None:
    main = container(only(render(helm), "Deployment"))
    args = cli.parser().parse_args(main["command"][1:])
    settings = cli.settings_from(args)
    assert (args.command, settings.host, settings.port) == ("serve", "0.0.0.0", main["ports"][0]["containerPort"])


def test_production_env_comes_from_the_existing_secrets(helm: Path) -> None:
    docs = render(helm, *PRODUCTION)
    secrets = {
        "neo4j-creds/neo4j-password": "pa55word",
        "s3-creds/aws-access-key-id": "AKIDEXAMPLE",
        "s3-creds/aws-secret-access-key": "s3-secret",
        "provgraph-tokens/auth-tokens": "tok1,tok2=projA",
    }
    read = names_read_by_code()
    for doc in workloads(docs):
        env = env_of(doc)
        assert REQUIRED | S3_CREDENTIALS | {"AWS_ENDPOINT_URL", "PROVGRAPH_AUTH_TOKENS"} <= env.keys()
        assert prefixed(env.keys()) <= read, prefixed(env.keys()) - read
        for name in (*S3_CREDENTIALS, "PROVGRAPH_AUTH_TOKENS", "NEO4J_PASSWORD"):
            assert "value" not in env[name], f"{name} must come from a Secret"
        values = expanded(env, secrets)
        settings = Settings.from_env(values)
        assert "tok1" in settings.auth_tokens
        graph = Neo4jGraphStore.from_url(settings.graph_url)
        assert (graph.uri, graph.auth, graph.database) == ("neo4j://neo4j.db.svc:7687", ("neo4j", "pa55word"), "prov")
        blobs = S3BlobStore.from_url(settings.blob_url)
        assert (blobs.bucket, blobs.create_bucket) == ("provgraph", True)
        assert values["AWS_ENDPOINT_URL"] == "http://minio.minio.svc:9000"
        assert values["AWS_ACCESS_KEY_ID"] == "AKIDEXAMPLE"


def test_inline_credentials_go_into_the_charts_secret(helm: Path) -> None:
    docs = render(helm, *INLINE_SECRETS)
    secret = only(docs, "Secret")
    assert secret["type"] == "Opaque"
    assert set(secret["data"]) == {"neo4j-password", "aws-access-key-id", "aws-secret-access-key", "auth-tokens"}
    import base64

    data = {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}
    secrets = {f"{secret['metadata']['name']}/{key}": value for key, value in data.items()}
    for doc in workloads(docs):
        env = env_of(doc)
        values = expanded(env, secrets)
        graph = Neo4jGraphStore.from_url(values["PROVGRAPH_GRAPH_URL"])
        assert graph.auth == ("neo4j", "n4j-pass")
        assert values["AWS_SECRET_ACCESS_KEY"] == "s3-secret"
        # The password never appears in the rendered workload itself.
        assert "n4j-pass" not in yaml.safe_dump(doc)
    # The pods restart when the Secret changes.
    annotation = only(docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/secret"]
    assert len(annotation) == 64


def test_only_missing_parts_go_into_the_charts_secret(helm: Path) -> None:
    docs = render(helm, "--set", "neo4j.existingSecret=neo4j-creds", "--set", "s3.accessKeyId=AKID",
                  "--set", "s3.secretAccessKey=sk")
    assert set(only(docs, "Secret")["data"]) == {"aws-access-key-id", "aws-secret-access-key"}
    env = env_of(only(docs, "Deployment"))
    assert env["NEO4J_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "neo4j-creds", "key": "neo4j-password"}


def render_notes(helm: Path, tmp_path: Path, *overrides: str) -> str:
    """NOTES.txt as `helm install` prints it. `helm template` skips NOTES.txt and a
    client-only install still wants a cluster, so a copy of the chart renders it into a
    ConfigMap instead."""
    chart = tmp_path / "provgraph"
    shutil.copytree(CHART, chart)
    notes = (chart / "templates" / "NOTES.txt").read_text()
    (chart / "templates" / "NOTES.txt").unlink()
    (chart / "templates" / "_notes.tpl").write_text('{{- define "notes-check" -}}\n' + notes + "{{- end }}\n")
    (chart / "templates" / "notes-check.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: |\n"
        '{{ include "notes-check" . | indent 4 }}\n'
    )
    done = run_helm(helm, "template", RELEASE, str(chart), "--show-only", "templates/notes-check.yaml", *overrides)
    assert done.returncode == 0, done.stderr
    text: str = yaml.safe_load(done.stdout)["data"]["notes"]
    return text


def test_notes_tell_how_to_reach_the_service_and_what_is_missing(helm: Path, tmp_path: Path) -> None:
    notes = render_notes(helm, tmp_path)
    assert f"port-forward svc/{RELEASE}-provgraph 8000:8000" in notes
    assert "WARNING: no Neo4j password" in notes and "WARNING: no auth tokens" in notes
    assert f"CronJob {RELEASE}-provgraph-worker" in notes and "1 shard(s)" in notes
    notes = render_notes(helm, tmp_path / "production", *PRODUCTION)
    assert "https://provgraph.example.com/graphql" in notes
    assert "WARNING" not in notes and "4 shard(s)" in notes
    assert f"create job --from=cronjob/{RELEASE}-provgraph-worker" in notes


def test_ingress_only_when_enabled(helm: Path) -> None:
    assert "Ingress" not in kinds(render(helm, "--set", "ingress.enabled=false"))
    assert "Ingress" in kinds(render(helm, "--set", "ingress.enabled=true"))


# -- worker options -------------------------------------------------------------------


def test_worker_args_and_long_running_deployment(helm: Path) -> None:
    docs = render(helm, "--set", "worker.args.quick=true", "--set", "worker.args.bandwidth=50000000",
                  "--set", "worker.deployment.enabled=true", "--set", "worker.deployment.interval=600",
                  "--set", "worker.enabled=false")
    assert "CronJob" not in kinds(docs)
    worker = only(docs, "Deployment", f"{RELEASE}-provgraph-worker")
    assert worker["spec"]["replicas"] == 1
    assert worker["spec"]["strategy"] == {"type": "Recreate"}
    main = container(worker)
    assert main["command"] == ["provgraph", "worker"]
    assert main["args"] == ["--interval", "600", "--quick"]
    args = cli.parser().parse_args([*main["command"][1:], *main["args"]])
    assert (args.command, args.once, args.interval, args.quick) == ("worker", False, 600.0, True)
    assert "livenessProbe" not in main
    assert REQUIRED <= env_of(worker).keys()
    service = only(docs, "Deployment", f"{RELEASE}-provgraph")
    assert worker["spec"]["selector"] != service["spec"]["selector"]


def test_worker_settings_reach_the_worker_only(helm: Path, tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    # From a values file numbers arrive as floats: the chart must still print 50000000.
    values.write_text(
        "worker:\n  shards: 2\n  args: {bandwidth: 50000000, batchSize: 500}\n"
        "  webhook: {url: 'https://hooks.example/provgraph?token=abc'}\n"
    )
    docs = render(helm, "-f", str(values))
    env = env_of(only(docs, "CronJob"))
    secret = only(docs, "Secret")
    assert set(secret["data"]) == {"webhook-url"}
    values_seen = expanded(env, {f"{secret['metadata']['name']}/webhook-url": "https://hooks.example/provgraph?token=abc"})
    settings = Settings.from_env(values_seen)
    assert (settings.worker_bandwidth, settings.worker_batch) == (50_000_000, 500)
    assert settings.webhook_url == "https://hooks.example/provgraph?token=abc"
    assert prefixed(env.keys()) <= names_read_by_code()
    service_env = env_of(only(docs, "Deployment"))
    assert not {"PROVGRAPH_WORKER_BANDWIDTH", "PROVGRAPH_WORKER_BATCH", "PROVGRAPH_WEBHOOK_URL"} & service_env.keys()


def test_webhooks_reach_the_service_and_the_workers_from_a_secret(helm: Path) -> None:
    urls = "https://hooks.example/a?token=abc,https://hooks.example/b"
    docs = render(helm, "--set-string", f"webhooks.urls={urls.replace(',', chr(92) + ',')}",
                  "--set-string", "webhooks.signingSecret=s1gn")
    secret = only(docs, "Secret")
    assert set(secret["data"]) == {"webhooks", "webhook-secret"}
    name = secret["metadata"]["name"]
    for workload in (only(docs, "Deployment"), only(docs, "CronJob")):
        env = env_of(workload)
        assert "value" not in env["PROVGRAPH_WEBHOOKS"]  # never inline: the URLs carry tokens
        settings = Settings.from_env(expanded(env, {f"{name}/webhooks": urls, f"{name}/webhook-secret": "s1gn"}))
        assert settings.webhooks == ("https://hooks.example/a?token=abc", "https://hooks.example/b")
        assert settings.webhook_secret == "s1gn"
    existing = render(helm, "--set", "webhooks.existingSecret=hooks")
    env = env_of(only(existing, "Deployment"))
    assert env["PROVGRAPH_WEBHOOKS"]["valueFrom"]["secretKeyRef"] == {"name": "hooks", "key": "webhooks"}
    assert env["PROVGRAPH_WEBHOOK_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": "hooks", "key": "webhook-secret", "optional": True}
    assert "Secret" not in kinds(existing)


def test_worker_disabled_renders_no_worker(helm: Path) -> None:
    docs = render(helm, "--set", "worker.enabled=false")
    assert kinds(docs) == ["Deployment", "Service", "ServiceAccount"]


def test_blob_url_options(helm: Path) -> None:
    docs = render(helm, "--set", "s3.prefix=/team/blobs/", "--set", "s3.createBucket=true",
                  "--set", "s3.partSizeMb=64", "--set", "s3.concurrency=8")
    url = env_of(only(docs, "Deployment"))["PROVGRAPH_BLOB_URL"]["value"]
    assert url == "s3://provgraph/team/blobs?create_bucket=true&part_size_mb=64&concurrency=8"
    store = S3BlobStore.from_url(url)
    assert (store.part_size, store.concurrency, store.create_bucket) == (64 << 20, 8, True)
    assert urlsplit(url).netloc == "provgraph"


# -- images ---------------------------------------------------------------------------


def images_of(docs: list[dict[str, Any]]) -> list[str]:
    return [c["image"] for d in workloads(docs) for c in [*pod_spec(d)["containers"], *pod_spec(d).get("initContainers", [])]]


@pytest.mark.parametrize("overrides", [[], PRODUCTION, ["--set", "worker.deployment.enabled=true"]],
                         ids=["defaults", "production", "worker-deployment"])
def test_every_rendered_image_is_pinned(helm: Path, overrides: list[str]) -> None:
    images = images_of(render(helm, *overrides))
    assert images and all(image == f"provgraph:{chart_app_version()}" for image in images), images
    assert [unpinned_reason(image) for image in images] == [None] * len(images)


def test_image_digest_pins_by_content(helm: Path) -> None:
    digest = "sha256:" + "ab" * 32
    docs = render(helm, "--set", "image.repository=registry.example.com/provgraph", "--set", "image.tag=0.1.0",
                  "--set", f"image.digest={digest}")
    assert set(images_of(docs)) == {f"registry.example.com/provgraph:0.1.0@{digest}"}
    assert unpinned_reason(images_of(docs)[0]) is None


@pytest.mark.parametrize(("override", "message"), [("image.tag=latest", "/image/tag"),
                                                   ("image.digest=sha256:abc", "/image/digest")])
def test_lint_refuses_an_unpinned_image(helm: Path, override: str, message: str) -> None:
    done = run_helm(helm, "lint", str(CHART), "--set", override)
    assert done.returncode != 0, done.stdout
    assert message in done.stdout + done.stderr


def chart_app_version() -> str:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    version: str = chart["appVersion"]
    return version


def test_service_monitor_only_when_enabled_and_it_scrapes_the_services_metrics(helm: Path) -> None:
    assert "ServiceMonitor" not in kinds(render(helm))
    docs = render(helm, "--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.interval=15s",
                  "--set", "serviceMonitor.labels.release=prom")
    monitor, service = only(docs, "ServiceMonitor"), only(docs, "Service")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1" and monitor["metadata"]["labels"]["release"] == "prom"
    assert monitor["spec"]["endpoints"] == [{"port": "http", "path": "/metrics", "interval": "15s", "scrapeTimeout": "10s"}]
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    assert [p["name"] for p in service["spec"]["ports"]] == ["http"]
    broken = run_helm(helm, "lint", str(CHART), "--set", "serviceMonitor.interval=soon")
    assert broken.returncode != 0 and "/serviceMonitor/interval" in broken.stdout + broken.stderr
