"""``provgraph.Client``: record datasets, runs, models and evaluations; ask for lineage."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from provgraph.errors import BadInput
from provgraph.ids import is_ulid, new_id
from provgraph.sdk import artifacts, queries, registry, using
from provgraph.sdk import compare as comparing
from provgraph.sdk.download import DownloadReport, Downloader
from provgraph.sdk.errors import OfflineRead, Unreachable
from provgraph.sdk.files import LocalFile, PathLike, collect
from provgraph.sdk.hashing import DigestCache
from provgraph.sdk.offline import Journal, SyncResult
from provgraph.sdk.progress import BarFactory, terminal_bar
from provgraph.sdk.refs import RefLike, ref_of
from provgraph.sdk.run import Inputs, Run, current_run
from provgraph.sdk.settings import ClientSettings
from provgraph.sdk.system import check_interval
from provgraph.sdk.transport import Transport
from provgraph.sdk.types import (
    Artifact,
    Dataset,
    Evaluation,
    FileInfo,
    Hop,
    Lineage,
    MetricPoint,
    Model,
    RunRecord,
    artifact,
)
from provgraph.sdk.upload import UploadResult, Uploader
from provgraph.sdk.using import LocalArtifact

logger = logging.getLogger("provgraph.sdk")
DIRECTIONS = {"up": "UPSTREAM", "upstream": "UPSTREAM", "down": "DOWNSTREAM", "downstream": "DOWNSTREAM",
              "both": "BOTH"}
PATH_DIRECTIONS = {**DIRECTIONS, "any": "ANY"}
del PATH_DIRECTIONS["both"]


class Client:
    """A connection to a provgraph service.

    ``url`` and ``token`` default to ``PROVGRAPH_URL`` / ``PROVGRAPH_TOKEN``; ``project``
    to ``PROVGRAPH_PROJECT`` or ``default``. With ``offline=True`` (or
    ``PROVGRAPH_OFFLINE=1``) every write goes to a local journal that ``provgraph sync``
    replays; with ``offline_fallback=True`` that happens once the service cannot be
    reached. ``progress`` makes byte progress bars (default: tqdm on a terminal only).
    ``upload_concurrency`` (``PROVGRAPH_UPLOAD_CONCURRENCY``, 8) is the number of parts a
    direct-to-S3 upload sends at once.
    """

    def __init__(
        self, url: str | None = None, token: str | None = None, *, project: str | None = None,
        offline: bool | None = None, offline_fallback: bool = False, cache_dir: PathLike | None = None,
        progress: BarFactory | None = None, timeout_s: float | None = None, retries: int | None = None,
        upload_concurrency: int | None = None,
    ) -> None:
        given: dict[str, Any] = {"url": url.rstrip("/") if url else None, "token": token, "project": project,
                                 "offline": offline, "cache_dir": Path(cache_dir) if cache_dir else None,
                                 "timeout_s": timeout_s, "retries": retries, "upload_concurrency": upload_concurrency}
        self.settings = dataclasses.replace(ClientSettings.from_env(), **{k: v for k, v in given.items() if v is not None})
        self.transport = Transport(self.settings)
        self.cache = DigestCache(self.settings.cache_dir)
        self.uploader = Uploader(self.transport, self.cache, progress or terminal_bar, self.settings.upload_concurrency)
        self.downloader = Downloader(self.transport, self.cache, progress or terminal_bar)
        self.journal = Journal(self.settings.cache_dir)
        self.offline = self.settings.offline
        self.offline_fallback = offline_fallback

    @property
    def project(self) -> str:
        return self.settings.project

    def close(self) -> None:
        self.uploader.close()
        self.transport.close()
        self.cache.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- bytes ----------------------------------------------------------------------

    def upload(self, path: PathLike) -> str:
        """Store the bytes of a file (skipped when the service has them); its hex SHA-256."""
        return self.upload_file(path).digest

    def upload_file(self, path: PathLike) -> UploadResult:
        """``upload`` with what it did: bytes hashed and sent, whether they were stored."""
        if self.offline:
            return self._keep_offline(Path(path))
        try:
            return self.uploader.upload(Path(path))
        except Unreachable as exc:
            self._fall_back(exc)
            return self._keep_offline(Path(path))

    def upload_bytes(self, data: bytes, label: str) -> str:
        """Store bytes held in memory (a patch, a small config); their hex SHA-256."""
        return artifacts.upload_bytes(self, data, label)

    def _keep_offline(self, path: Path) -> UploadResult:
        digest, ident, hashed = self.uploader.digest(path)
        self.journal.keep_blob(path.absolute(), digest, ident[0])
        return UploadResult(path.absolute(), digest, ident[0], 0, hashed, False)

    # -- writes ---------------------------------------------------------------------

    def write(self, query: str, variables: Mapping[str, Any], what: str) -> dict[str, Any] | None:
        """Send one mutation, or journal it when offline (then None)."""
        if not self.offline:
            try:
                return self.transport.graphql(query, variables, what)
            except Unreachable as exc:
                self._fall_back(exc)
        self.journal.mutation(query, variables, what)
        return None

    def _fall_back(self, exc: Unreachable) -> None:
        """Go offline when the user opted in; otherwise raise ``exc``."""
        if not self.offline_fallback:
            raise exc
        logger.warning("provgraph: %s; recording offline from now on (run `provgraph sync` later)", exc.message)
        self.offline = True

    def register_dataset(
        self, name: str, files: Iterable[PathLike], *, stats: Mapping[str, Any] | None = None,
        project: str | None = None, version: str | None = None, metadata: Mapping[str, Any] | None = None,
        tags: Sequence[str] | None = None, derived_from: Sequence[RefLike] = (), source: str | None = None,
        run: RefLike | None = None,
    ) -> Dataset:
        """Hash every file (folders walked), upload what the service lacks, and register
        the manifest (relative paths, digests, sizes) as the next version of ``name``."""
        local = collect(files)
        variables = {"name": name, "project": project or self.project, "version": version, "stats": stats,
                     "metadata": metadata, "tags": tags, "derivedFrom": [ref_of(d) for d in derived_from] or None,
                     "run": ref_of(run) if run is not None else None, "source": source, "id": new_id()}
        found = artifacts.register(self, queries.REGISTER_DATASET, variables, local, f"register dataset {name!r}")
        assert isinstance(found, Dataset)
        return found

    def register_model(
        self, name: str, files: Mapping[str, PathLike] | None = None, *, parents: Sequence[RefLike] = (),
        run: RefLike | None = None, metrics: Mapping[str, Any] | None = None, project: str | None = None,
        version: str | None = None, tags: Sequence[str] | None = None, metadata: Mapping[str, Any] | None = None,
        description: str | None = None,
    ) -> Model:
        """Upload ``files`` ({role: path or folder}) and register the next version of model ``name``."""
        local = artifacts.model_files(files or {})
        variables = {"name": name, "project": project or self.project, "version": version,
                     "run": ref_of(run) if run is not None else None, "parents": [ref_of(p) for p in parents] or None,
                     "metrics": metrics, "tags": tags, "metadata": metadata, "description": description,
                     "id": new_id()}
        found = artifacts.register(self, queries.REGISTER_MODEL, variables, local, f"register model {name!r}")
        assert isinstance(found, Model)
        return found

    def record_evaluation(
        self, model: RefLike, *, metrics: Mapping[str, Any], dataset: RefLike | None = None,
        run: RefLike | None = None, params: Mapping[str, Any] | None = None, project: str | None = None,
        files: Iterable[PathLike] = (), name: str | None = None, tags: Sequence[str] | None = None,
    ) -> Evaluation:
        """Record metrics of ``model`` (on ``dataset``)."""
        variables = {"model": ref_of(model), "metrics": metrics, "dataset": ref_of(dataset) if dataset else None,
                     "run": ref_of(run) if run else None, "params": params, "project": project or self.project,
                     "name": name, "tags": tags, "id": new_id()}
        found = artifacts.register(self, queries.RECORD_EVALUATION, variables, collect(files),
                                   f"record evaluation of {ref_of(model)!r}")
        assert isinstance(found, Evaluation)
        return found

    def start_run(
        self, name: str | None = None, inputs: Inputs = (), params: Mapping[str, Any] | None = None, *,
        project: str | None = None, tags: Sequence[str] | None = None, kind: str | None = None,
        metadata: Mapping[str, Any] | None = None, capture: bool = True, flush_every: int = 10_000,
        flush_seconds: float = 10.0, resume: RefLike | None = None, system_metrics: float | None = None,
    ) -> Run:
        """Start a run (RUNNING) with its inputs, params and captured provenance (git,
        environment, GPUs unless ``capture=False``). Use it as a context manager, or
        call ``run.finish()``.

        ``resume=run_id`` continues a RUNNING run instead (after preemption): the same id,
        each metric key's steps going on from the last stored; ``inputs`` and ``params``
        are added to it. ``system_metrics=N`` samples CPU, memory and GPUs every N
        seconds into ``system/*`` metrics. On a non-zero distributed rank (``RANK``,
        ``SLURM_PROCID``, …) the run records nothing unless ``PROVGRAPH_ALL_RANKS=1``."""
        if system_metrics is not None:
            check_interval(system_metrics)  # before the run starts
        if resume is not None:
            run = Run.resume(self, ref_of(resume), name, inputs, params, flush_every, flush_seconds)
        elif name is None:
            raise BadInput("start_run needs a name (or resume= the id of a run to continue)")
        else:
            run = Run.start(self, name, inputs, params, project or self.project, tags, kind, metadata, capture,
                            flush_every, flush_seconds)
        if system_metrics is not None:
            run.sample_system(system_metrics)
        return run

    def use(self, ref: RefLike, role: str | None = None, *, dest: PathLike | None = None,
            run: Run | None = None) -> LocalArtifact:
        """A local copy of ``ref``'s files, each verified against its digest (a changed
        local file is fetched again), in ``dest`` (default: under the cache folder), and
        ``Run USED ref {role}`` recorded on ``run`` (default: the current run, if any).
        ``CorruptDownload`` when a file cannot be verified; then nothing is recorded."""
        return using.use(self, ref, role, dest, run if run is not None else current_run())

    def sync(self) -> SyncResult:
        """Replay the offline journal to the service (idempotent)."""
        return self.journal.replay(self.transport)

    # -- reads ----------------------------------------------------------------------

    def ref(self, value: RefLike) -> str:
        """An id, or a ref qualified with this client's project (``name:v2`` → ``proj/name:v2``)."""
        text = ref_of(value)
        if "/" in text or is_ulid(text) or text.startswith("sha256:"):
            return text
        return f"{self.project}/{text}"

    def read(self, query: str, variables: Mapping[str, Any], what: str) -> dict[str, Any]:
        if self.offline:
            raise OfflineRead(f"{what}: this client records offline; queries need the service (run `provgraph sync`)")
        return self.transport.graphql(query, variables, what)

    def get(self, ref: RefLike) -> Artifact:
        """The artifact an id or ref names (``NotFound`` otherwise)."""
        return artifact(self.read(queries.ARTIFACT, {"ref": self.ref(ref)}, f"look up {self.ref(ref)!r}")["node"])

    def blob(self, digest: str) -> Artifact | None:
        node = self.read(queries.BLOB, {"digest": digest}, f"look up blob {digest}")["node"]
        return None if node is None else artifact(node)

    def ancestors(self, ref: RefLike, max_depth: int | None = None, kinds: Sequence[str] | None = None) -> list[Hop]:
        """Everything ``ref`` came from, each at its shortest depth."""
        return self._hops("ancestors", ref, max_depth, kinds)

    def descendants(self, ref: RefLike, max_depth: int | None = None, kinds: Sequence[str] | None = None) -> list[Hop]:
        """Everything derived from ``ref`` (its impact), at shortest depths."""
        return self._hops("descendants", ref, max_depth, kinds)

    def walk(self, ref: RefLike, direction: str = "upstream", max_depth: int | None = None,
             kinds: Sequence[str] | None = None, page: int = 1000) -> Iterator[Hop]:
        """Ancestors (``up``) or descendants (``down``) of ``ref``, streamed ``page`` hops per
        request (by depth, then id): for answers too large to hold at once."""
        fields = {"UPSTREAM": "ancestorsConnection", "DOWNSTREAM": "descendantsConnection"}
        field = fields.get(DIRECTIONS.get(direction.lower(), direction.upper()), "")
        if not field:
            raise BadInput(f"walk goes 'up' or 'down', not {direction!r}")
        variables = {"id": self.ref(ref), "maxDepth": max_depth, "kinds": [k.upper() for k in kinds] if kinds else None,
                     "first": page, "after": None}
        while True:
            found = self.read(queries.HOP_PAGE % field, variables, f"{field} of {self.ref(ref)!r}")["page"]
            for edge in found["edges"]:
                yield Hop(artifact(edge["node"]), edge["depth"])
            if not found["pageInfo"]["hasNextPage"]:
                return
            variables["after"] = found["pageInfo"]["endCursor"]

    def _hops(self, field: str, ref: RefLike, max_depth: int | None, kinds: Sequence[str] | None) -> list[Hop]:
        variables = {"id": self.ref(ref), "maxDepth": max_depth, "kinds": [k.upper() for k in kinds] if kinds else None}
        found = self.read(queries.TRAVERSE % field, variables, f"{field} of {self.ref(ref)!r}")["hops"]
        return [Hop(artifact(h["node"]), h["depth"]) for h in found]

    def lineage(self, ref: RefLike, direction: str = "upstream", max_depth: int | None = None) -> Lineage:
        """The node, the nodes reached (``up``, ``down`` or ``both``) and the edges among them."""
        return artifacts.lineage(self, self.ref(ref), DIRECTIONS.get(direction.lower(), direction.upper()), max_depth)

    def path(self, source: RefLike, target: RefLike, direction: str = "any") -> Lineage | None:
        """A shortest path from ``source`` to ``target``: ``up`` (target is an ancestor),
        ``down`` (a descendant) or ``any`` (upward first); nodes in order from source to
        target, ``.direction`` the way it went; None when there is none."""
        way = PATH_DIRECTIONS.get(direction.lower(), direction.upper())
        return artifacts.path(self, self.ref(source), self.ref(target), way)

    def files(self, ref: RefLike) -> list[FileInfo]:
        """Files of a dataset, model, evaluation or run, by path."""
        return artifacts.files(self, self.get(ref).id)

    def download(self, ref: RefLike, dest: PathLike, concurrency: int | None = None) -> DownloadReport:
        """Fetch the files of a dataset, model, evaluation or run into folder ``dest``
        (by their paths in the artifact), each checked against its digest; files already
        there and correct are skipped. Per-file outcomes; ``report.ok`` when none failed."""
        files = self.files(ref)
        if concurrency is not None:
            self.downloader.concurrency = max(1, concurrency)
        return self.downloader.download(files, Path(dest))

    def runs(self, project: str | None = None, name: str | None = None, status: str | None = None,
             limit: int = 1000, *, filter: str | None = None, order_by: str | None = None) -> list[RunRecord]:
        """Runs, newest first; or those ``filter`` selects (``"metrics.loss < 0.2 AND
        params.lr = 0.001"``, README "Search runs"), filtered and sorted by the service in
        ``order_by`` order (``"-metrics.accuracy"``: descending; ties by id, runs without
        the key last). A malformed filter raises ``BadInput`` before any request."""
        return artifacts.runs(self, project, name, status, limit, filter, order_by)

    def search_runs(self, filter: str | None = None, order_by: str | None = None, limit: int = 1000,
                    project: str | None = None) -> list[RunRecord]:
        """``runs(filter=..., order_by=...)``, across every project unless ``project``."""
        return artifacts.runs(self, project, None, None, limit, filter, order_by)

    def compare(self, *refs: RefLike) -> dict[str, Any]:
        """What differs between two or more runs or models (``provgraph compare``):
        ``{"refs": [labels], "sections": {section: {key: {"values": [one per ref],
        "same": bool}}}}`` for params, metrics, data, code, environment and files."""
        artifacts, result = comparing.compare(self, [self.ref(r) for r in refs])
        return {"refs": [a.label for a in artifacts], "sections": result}

    def metric_history(self, run: RefLike, key: str) -> list[MetricPoint]:
        """Every logged value of ``key`` in ``run``, by step."""
        return artifacts.history(self, self.ref(run), key)

    # -- registry lifecycle ---------------------------------------------------------

    def line(self, name: str) -> str:
        """``name`` as ``project/name`` (the client's project unless given)."""
        return name if "/" in name else f"{self.project}/{name}"

    def deploy(self, ref: RefLike, environment: str = "production", *, note: str | None = None,
               force: bool = False) -> Model:
        """Deploy a model version into ``environment``; the version it replaces there is
        deprecated once it runs nowhere (the model's ``autoDeprecate``). Refused when a blob
        of it or upstream is corrupt or missing, unless ``force`` (recorded)."""
        return registry.deploy(self, self.ref(ref), environment, note, force)

    def rollback(self, name: str, environment: str = "production", *, to: RefLike | None = None,
                 note: str | None = None, force: bool = False) -> Model:
        """Deploy again the version that ran in ``environment`` before the current one (or
        ``to``); returns the version now deployed."""
        return registry.rollback(self, self.line(name), environment, self.ref(to) if to is not None else None,
                                 note, force)

    def set_status(self, ref: RefLike, status: str, *, note: str | None = None) -> Model:
        """Move a version along its lifecycle (DEPRECATED, ARCHIVED, …)."""
        return registry.set_status(self, self.ref(ref), status, note)

    def deployed(self, name: str) -> dict[str, registry.Deployment]:
        """Environment -> what runs there now (version, since when)."""
        return registry.deployed(self, self.line(name))

    def history(self, ref: RefLike, limit: int = 1000) -> list[registry.ModelEvent]:
        """Lifecycle events of one version, newest first."""
        return registry.history(self, self.ref(ref), limit)

    def deployments(self, name: str, environment: str | None = None, limit: int = 1000) -> list[registry.ModelEvent]:
        """Deploys and rollbacks of a model (in one environment), newest first."""
        return registry.deployments(self, self.line(name), environment, limit)

    def metric_summary(self, run: RefLike) -> list[dict[str, Any]]:
        """Per metric: count, last value, min/max and their (best) steps."""
        found = self.read(queries.SUMMARY, {"id": self.ref(run)}, f"metric summary of {self.ref(run)!r}")
        summary: list[dict[str, Any]] = (found["node"] or {}).get("metricSummary", [])
        return summary


__all__ = ["Client", "LocalFile"]
