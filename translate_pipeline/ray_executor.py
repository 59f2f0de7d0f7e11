"""`build --executor ray`: a model's sentences translated on a pool of Ray actors.

Imported only when a build asks for it: Ray is the optional extra `translate-pipeline[ray]`.
The driver (the `build` process) plans, forms the waves, skips journalled work, runs
`translate.translate_units` and journals wave by wave exactly as a local build does
(`machine.translate_waves`); this module is a `backend.Pool`: it gets every wave of one
model at once and runs them as ONE Ray Data Dataset (Ray Data starts its actors, and they
load the model, once per Dataset), rows of (key, sentence) read from a spool file on the
driver's machine (`_Rows`, `_datasource`) into a fixed pool of actors (`Translator`), each
loading the Argos package once from a path every node can read, with the CPUs Ray
assigned it as threads, and the same `engine.Engine` as a local build. Rows stream back
in input order (`preserve_order`); each wave is handed to the driver as soon as its last
sentence is back. A dying actor is restarted and its batch
retried (a bounded number of times); a stall, a pool that cannot be placed or a cluster
that cannot be reached is a BuildError with a message, never a hang.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import logging
import math
import os
import shutil
import socket
import sys
import tempfile
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translate_pipeline import machine, models
from translate_pipeline.backend import Failed, Progress, Translation
from translate_pipeline.config import Options, Pair
from translate_pipeline.engine import Engine, EngineSettings, pin_cpu_isa
from translate_pipeline.report import EXIT_FAILED, EXIT_NO_MODEL, BuildError

INSTALL_HINT = (
    "--executor ray needs Ray, an optional extra: install it with `uv sync --extra ray` "
    "or `pip install 'translate-pipeline[ray]'`"
)
BATCH_SENTENCES = 64  # rows per actor call: small enough to spread a wave over the pool
READERS = 1  # read tasks at a time: one reads a batch in milliseconds, an actor takes ~1 s
CONNECT_TIMEOUT_S = 10.0  # reaching a cluster's address before ray.init (which would hang)
NO_PROGRESS_S = 600.0  # no batch finished for this long: the build stops with an error
WAIT_FOR_ACTORS_S = 300  # the pool must be placed within this time
RETRIES = 3  # an actor that dies is restarted, and its batch retried, this many times
FAILED_BATCH = "Ray failed on its batch of sentences every attempt (its error is in Ray's log)"
OBJECT_STORE_BYTES = 256 * 2**20  # a local instance's object store (Ray's minimum: 75 MiB)

# Read by Ray when it is imported: set before the first `import ray` (`_import_ray`).
_ENVIRONMENT = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_DATA_DISABLE_PROGRESS_BARS": "1",
    # Under `uv run`, Ray would ship the working directory and start every worker through
    # `uv run` in a fresh virtual environment; workers use this interpreter instead.
    "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",
}
_LOCAL_ENVIRONMENT = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # a local instance listens on 127.0.0.1 only
    "RAY_AUTH_MODE": "disabled",  # ... so it needs no token (and writes none to ~/.ray)
}


@dataclass(frozen=True)
class Settings:
    """The pool a build asks for: `address` None for a Ray instance of its own, "auto" or
    HOST:PORT for a running cluster; None elsewhere for the defaults (`pool_size`)."""

    address: str | None = None
    actors: int | None = None
    cpus_per_actor: int | None = None
    gpus_per_actor: float | None = None


def backends(options: Options, download_progress: Progress | None) -> machine.Backends:
    """The Ray pools of a build's pairs; BuildError (exit 2) at once when Ray is missing."""
    _import_ray(local=options.ray_address is None)
    settings = Settings(
        options.ray_address, options.actors, options.threads, options.gpus_per_actor
    )

    def open_pool(pair: Pair) -> RayPool:
        package = machine.find_model(pair, download_progress)
        try:
            models.validate_package(package.path)
        except models.ModelError as exc:
            raise BuildError(f"{exc} (nothing was written)", EXIT_NO_MODEL) from None
        return RayPool(package, settings)

    return open_pool


def _import_ray(local: bool) -> Any:
    for name, value in {**_ENVIRONMENT, **(_LOCAL_ENVIRONMENT if local else {})}.items():
        os.environ.setdefault(name, value)
    try:
        import ray
        import ray.data
    except ImportError:
        raise BuildError(INSTALL_HINT, EXIT_NO_MODEL) from None
    return ray


class Translator:
    """A pool actor: one engine, loaded once from the package path, with the CPUs Ray
    assigned it as threads (`os.cpu_count()` would see the whole node)."""

    def __init__(self, package: str, device: str) -> None:
        import ray

        context = ray.get_runtime_context()
        threads = max(1, int(context.get_assigned_resources().get("CPU", 1)))
        try:
            loaded = models.read_package(Path(package))
            self.engine = Engine(loaded, EngineSettings(device=device, threads=threads))
        except models.ModelError as exc:
            raise RuntimeError(
                f"the model cannot be loaded on Ray node {context.get_node_id()}: {exc}; "
                "every node needs the package at the same path"
            ) from None

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        translations = self.engine.translate([str(s) for s in batch["sentence"]])
        return {
            "key": batch["key"],
            "text": np.array([t.text for t in translations], dtype=object),
            # None (an empty sentence) as NaN: a float column keeps every score's bits.
            "score": np.array(
                [math.nan if t.score is None else t.score for t in translations], dtype="float64"
            ),
        }


class RayPool:
    """A model's sentences on a Ray actor pool (a `backend.Pool`)."""

    translator: type = Translator  # tests swap in one that dies on purpose

    def __init__(self, package: models.Package, settings: Settings) -> None:
        self.package = package
        self.settings = settings

    @property
    def name(self) -> str:
        return self.package.name

    @property
    def version(self) -> str:
        return self.package.version

    def translate(
        self, sentences: Sequence[str], progress: Progress | None = None
    ) -> list[Translation]:
        translations = next(self.translate_batches([sentences], progress))
        if isinstance(translations, Failed):
            raise BuildError(translations.reason, EXIT_FAILED)
        return translations

    def close(self) -> None:
        _SESSION.stop()

    def translate_batches(
        self, batches: Iterable[Sequence[str]], progress: Progress | None = None
    ) -> Iterator[list[Translation] | Failed]:
        with _Rows(batches) as rows:
            yield from self._translate_rows(rows, progress)

    def _translate_rows(
        self, rows: _Rows, progress: Progress | None
    ) -> Iterator[list[Translation] | Failed]:
        ends = rows.ends
        total = ends[-1]
        if not total:
            yield from ([] for _ in ends[1:])
            return
        ray = _SESSION.start(self.settings)
        actors, cpus, gpus = pool_size(self.settings, ray.cluster_resources())
        actors = min(actors, math.ceil(total / BATCH_SENTENCES))  # more would idle
        dataset = self._dataset(ray, rows, actors, cpus, gpus)
        received: dict[int, Translation] = {}
        waiting = 0  # the first batch not handed back yet

        def span(index: int) -> range:
            return range(ends[index], ends[index + 1])

        def complete(index: int) -> bool:
            return all(key in received for key in span(index))

        # Ray prints what it hears of its workers (an actor died, a batch is retried) on
        # stdout, which `--json` keeps for one JSON object: on stderr while the pool runs.
        try:
            with contextlib.redirect_stdout(sys.stderr):
                for block in dataset.iter_batches(batch_size=None, batch_format="numpy"):
                    for key, text, score in zip(block["key"], block["text"], block["score"]):
                        if int(key) >= ends[waiting]:  # a retried batch's rows come back once
                            received[int(key)] = Translation(
                                str(text), None if math.isnan(score) else float(score)
                            )
                    if progress:
                        progress(ends[waiting] + len(received), total)
                    while waiting < len(ends) - 1 and complete(waiting):
                        yield [received.pop(key) for key in span(waiting)]
                        waiting += 1
        except Exception as exc:
            raise BuildError(_explain(exc, actors, cpus, gpus), EXIT_FAILED) from None
        finally:
            # Ray Data's executor sits in reference cycles with the pool's actor handles: a
            # restarted actor would keep its CPUs until they are collected, and the next
            # Dataset in this process could not place its pool.
            del dataset
            gc.collect()
        # Rows of a block that failed every attempt are missing (`max_errored_blocks`):
        # its batches are reported, the others handed back.
        for index in range(waiting, len(ends) - 1):
            found = [received.pop(key, None) for key in span(index)]
            done = [row for row in found if row is not None]
            yield done if len(done) == len(found) else Failed(FAILED_BATCH)

    def _dataset(self, ray: Any, rows: _Rows, actors: int, cpus: int, gpus: float) -> Any:
        from ray.util.annotations import RayDeprecationWarning

        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        context.enable_auto_log_stats = False
        context.execution_options.preserve_order = True
        context.execution_no_progress_timeout_s = NO_PROGRESS_S
        context.wait_for_min_actors_s = WAIT_FOR_ACTORS_S
        # A block that fails every attempt is dropped rather than ending the Dataset: every
        # row sent is accounted for in `translate_batches`, which reports its batches.
        context.max_errored_blocks = -1
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        state = logging.getLogger("ray.data._internal.execution.streaming_executor_state")
        if _one_line not in state.filters:
            state.addFilter(_one_line)
        # Every actor uses the instruction set the driver's CPU models use: same bytes.
        isa = pin_cpu_isa() if not gpus else None
        source = _datasource(rows)
        with warnings.catch_warnings():
            # Ray 2.60 takes max_restarts and max_task_retries only as deprecated
            # **ray_remote_args ("removed in 2.64"): check on every upgrade. Its default is
            # unbounded: a batch that kills its actor every time would loop until the
            # no-progress timeout.
            warnings.simplefilter("ignore", RayDeprecationWarning)
            # The reads take no CPU, so the pool may hold every CPU without starving them;
            # READERS at a time, or Ray would start a worker process for each of them.
            return ray.data.read_datasource(
                source, num_cpus=0, concurrency=READERS, override_num_blocks=len(rows.spans)
            ).map_batches(
                self.translator,
                fn_constructor_kwargs={
                    "package": str(self.package.path),
                    "device": "cuda" if gpus else "cpu",
                },
                compute=ray.data.ActorPoolStrategy(size=actors),
                num_cpus=cpus,
                num_gpus=gpus or None,
                batch_size=BATCH_SENTENCES,
                batch_format="numpy",
                runtime_env={"env_vars": {"CT2_FORCE_CPU_ISA": isa} if isa else {}},
                max_restarts=RETRIES,
                max_task_retries=RETRIES,
            )


class _Rows:
    """Every batch's sentences, spooled to a file on the driver's machine as JSON lines
    and read from there by the Dataset's read tasks (on that machine: `_datasource`): the
    driver never holds them all, nor does Ray's object store. `ends[i]` is the key of the
    first sentence after batch i; `spans` are the read tasks' (first key, rows, start
    byte, end byte)."""

    def __init__(self, batches: Iterable[Sequence[str]]) -> None:
        self.ends = [0]
        self.spans: list[tuple[int, int, int, int]] = []
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (removed by __exit__)
            prefix="translate-pipeline-rows-", suffix=".jsonl", delete=False
        )
        self.path = handle.name
        rows = first = start = end = 0
        with handle:
            for batch in batches:
                for sentence in batch:
                    end += handle.write(json.dumps(sentence, ensure_ascii=False).encode() + b"\n")
                    rows += 1
                    if rows - first == BATCH_SENTENCES:
                        self.spans.append((first, BATCH_SENTENCES, start, end))
                        first, start = rows, end
                self.ends.append(rows)
        if rows > first:
            self.spans.append((first, rows - first, start, end))

    def __enter__(self) -> _Rows:
        return self

    def __exit__(self, *exc: object) -> None:
        Path(self.path).unlink(missing_ok=True)


def _read_rows(path: str, first: int, start: int, end: int) -> list[Any]:
    """A read task (in a Ray worker on the driver's machine): the rows of one span, each
    sentence with its key, as one block. One block per read task: Ray Data would merge
    the blocks of one task into one, and a batch that fails loses its block."""
    import pyarrow as pa

    with open(path, "rb") as handle:
        handle.seek(start)
        lines = handle.read(end - start).split(b"\n")[:-1]
    keys = range(first, first + len(lines))
    return [
        pa.table(
            {
                "key": pa.array(keys, pa.int64()),
                "sentence": pa.array([json.loads(line) for line in lines], pa.string()),
            }
        )
    ]


def _datasource(rows: _Rows) -> Any:
    """A Ray Data datasource over the spooled rows (its class needs Ray, imported late)."""
    from ray.data.block import BlockMetadata
    from ray.data.datasource import Datasource, ReadTask

    class Spooled(Datasource):
        supports_distributed_reads = False  # the file is on the driver's machine only

        def __init__(self, path: str, spans: list[tuple[int, int, int, int]]) -> None:
            self.path = path
            self.spans = spans

        def estimate_inmemory_data_size(self) -> int:
            return sum(end - start for _, _, start, end in self.spans)

        def get_read_tasks(self, parallelism: int, *args: Any, **kwargs: Any) -> list[Any]:
            return [
                ReadTask(
                    functools.partial(_read_rows, self.path, first, start, end),
                    BlockMetadata(
                        num_rows=count, size_bytes=end - start, input_files=None, exec_stats=None
                    ),
                )
                for first, count, start, end in self.spans
            ]

    return Spooled(rows.path, rows.spans)


def _one_line(record: logging.LogRecord) -> bool:
    """Ray Data's log of a batch that failed, in one line (the build reports its units):
    without the traceback, whose frames would keep the finished pool's actors, and their
    CPUs, alive for as long as anything keeps the record (a test's log capture)."""
    if record.exc_info and record.exc_info[1] is not None:
        error = record.exc_info[1]
        first = next((line for line in str(error).splitlines() if line.strip()), "")
        record.msg = f"{record.getMessage()} ({type(error).__name__}: {first})"
        record.args = None
        record.exc_info = None
        record.exc_text = None
    return True


def pool_size(settings: Settings, resources: dict[str, float]) -> tuple[int, int, float]:
    """(actors, CPUs per actor, GPUs per actor). By default a CPU actor gets up to 4 CPUs
    as threads (one batch per thread), a GPU actor 1 CPU, and the pool as many actors as
    the cluster's CPUs (or GPUs) hold. The pool is the Dataset's only stage that needs
    CPUs (the read tasks take none), so it may take them all without starving one."""
    cpus_total = max(1, int(resources.get("CPU", 1)))
    gpus_total = resources.get("GPU", 0.0)
    gpus = settings.gpus_per_actor or 0.0
    cpus = settings.cpus_per_actor or (
        1
        if gpus
        else max(1, cpus_total // settings.actors)
        if settings.actors
        else min(4, cpus_total)
    )
    if settings.actors:
        actors = settings.actors
    elif gpus:
        actors = int(gpus_total // gpus)
    else:
        actors = max(1, cpus_total // cpus)
    if settings.address is None and (
        actors < 1 or actors * cpus > cpus_total or actors * gpus > gpus_total
    ):
        raise BuildError(
            f"a pool of {max(actors, 1)} actor(s) × {cpus} CPU(s)"
            + (f" × {gpus:g} GPU(s)" if gpus else "")
            + f" does not fit this machine ({cpus_total} CPUs, {gpus_total:g} GPUs); "
            "lower --actors or --threads",
            EXIT_FAILED,
        )
    return max(actors, 1), cpus, gpus


class _Session:
    """The Ray this process uses: started (a local instance) or joined (a cluster) by the
    first pool that needs it, stopped when the build ends; one that was already running
    when the build began (a test's, a Ray job's driver) is used and left running."""

    def __init__(self) -> None:
        self.started = False
        self.temp_dir: str | None = None

    def start(self, settings: Settings) -> Any:
        local = settings.address is None
        address = None if local else reachable(settings.address or "auto")
        ray = _import_ray(local)
        if ray.is_initialized():
            return ray
        # Workers' output would be printed on the build's stdout, which `--json` keeps for
        # one JSON object: it stays in Ray's logs (`ray logs`, the dashboard on a cluster).
        arguments: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
        if local:
            # Short: Ray's socket paths below it must stay within 107 bytes.
            self.temp_dir = tempfile.mkdtemp(prefix="tp-ray-", dir="/tmp")
            arguments.update(
                address="local",
                num_cpus=os.cpu_count() or 1,
                num_gpus=None if settings.gpus_per_actor else 0,  # None: Ray counts them
                object_store_memory=OBJECT_STORE_BYTES,
                include_dashboard=False,
                _temp_dir=self.temp_dir,
                # No idle workers started ahead (one per CPU, ~1 CPU-s each): the pool's
                # actors need their own runtime_env, and the read tasks start their own.
                _system_config={
                    "prestart_worker_first_driver": False,
                    "enable_worker_prestart": False,
                },
            )
        else:
            arguments["address"] = address
        try:
            ray.init(**arguments)
        except Exception as exc:
            self.stop()
            raise BuildError(f"Ray could not start: {exc}", EXIT_FAILED) from None
        self.started = True
        return ray

    def stop(self) -> None:
        if self.started:
            import ray

            ray.shutdown()
            self.started = False
        if self.temp_dir:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
            self.temp_dir = None


_SESSION = _Session()


def _explain(exc: Exception, actors: int, cpus: int, gpus: float) -> str:
    """A Ray failure in one line (the waves finished so far are journalled)."""
    name = type(exc).__name__
    kept = "; finished waves are kept for the next build"
    if name == "ExecutionTimeoutError":
        return (
            f"Ray made no progress for {NO_PROGRESS_S:.0f} s (stalled: a stage that cannot "
            f"be scheduled, or a batch that never ends){kept}"
        )
    if name == "GetTimeoutError":
        return (
            f"Ray could not start {actors} actor(s) with {cpus} CPU(s)"
            + (f" and {gpus:g} GPU(s)" if gpus else "")
            + f" each within {WAIT_FOR_ACTORS_S} s: the cluster lacks the resources; "
            "lower --actors/--threads or add nodes"
        )
    first = next((line for line in str(exc).splitlines() if line.strip()), "")
    return f"Ray failed: {name}: {first}{kept}"


def reachable(address: str) -> str:
    """`address` ("auto" resolved as Ray resolves it), once something answers on its port
    within CONNECT_TIMEOUT_S; otherwise BuildError: `ray.init` itself would retry for
    minutes against a dead address."""
    if address == "auto":
        found = os.environ.get("RAY_ADDRESS") or _current_cluster()
        if not found:
            raise BuildError(
                "--ray-address auto: no Ray cluster to join (RAY_ADDRESS is not set and "
                "`ray start --head` has not run on this machine); start one, or pass "
                "HOST:PORT",
                EXIT_FAILED,
            )
        address = found
    if address.startswith("ray://"):
        raise BuildError(
            f"--ray-address {address}: Ray Client addresses are not supported (the build "
            "reads and writes files on its own machine); run the build on a cluster node, "
            "e.g. with `ray job submit`, and give --ray-address auto",
            EXIT_FAILED,
        )
    host, _, port = address.split("://", 1)[-1].rstrip("/").rpartition(":")
    if not host or not port.isdigit():
        raise BuildError(f"--ray-address must be auto or HOST:PORT, got {address!r}", EXIT_FAILED)
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise BuildError(
            f"cannot reach a Ray cluster at {host}:{port} within {CONNECT_TIMEOUT_S:.0f} s "
            f"({exc.strerror or exc}); is `ray start --head` running there?",
            EXIT_FAILED,
        ) from None
    return address


def _current_cluster() -> str:
    """The address `ray start --head` left on this machine (as `ray.init()` reads it)."""
    try:
        return Path("/tmp/ray/ray_current_cluster").read_text().strip()
    except OSError:
        return ""
