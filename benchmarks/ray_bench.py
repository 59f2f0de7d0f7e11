"""`build --executor ray` against a local build (issue 16): one run, each build in a fresh
process, every figure printed, targets beside the figures that have one.

    uv run python benchmarks/ray_bench.py [--quick] [--timed-only | --memory-only]

1. 100 articles (the articles and the base-sized test model of `run.py`): a local build,
   then Ray on a local instance with 2 actors × 1 thread and with 1 actor × 2 threads.
   Wall time, CPU-seconds of every process (the build, Ray's own processes, the actors,
   until Ray is stopped), Ray's start-up, time to the first wave, memory per actor.
   Target: Ray's CPU-seconds at most 1.2 × the local build's.
2. Driver memory: Ray builds (1 actor × 2 threads) of 1,000 and 10,000 articles with the
   tiny test model; the build process's peak RSS (the driver: actors are other
   processes). Target: ratio ≤ 1.5. From the same builds, the per-unit size of what the
   driver keeps for the whole build (pending units, journal entries) and the state file's
   size per article, for the projection to a million articles in benchmarks/README.md.

`--quick`: 20 and 200/2,000 articles instead, to try the script.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

CPU_TARGET = 1.2  # Ray's CPU-seconds / the local build's, at 100 articles
RSS_TARGET = 1.5  # driver peak RSS, 10,000 / 1,000 articles
CONFIGS = {  # name: (executor, actors, threads)
    "local": ("local", None, None),
    "ray 2 actors x 1 thread": ("ray", 2, 1),
    "ray 1 actor x 2 threads": ("ray", 1, 2),
}


def _status_mb(pid: int | str, field: str) -> float:
    """`VmRSS`/`VmHWM` of a process in MiB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _cpu_seconds(pid: int) -> float:
    """user + system time of a process (not of its children: the actors, which are gone
    by the time Ray stops, report their own)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:13]) / os.sysconf("SC_CLK_TCK")


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(stat[1])
            except OSError:
                continue
    found, frontier = [], [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid]
        found.extend(children)
        frontier.extend(children)
    return found


def _deep_size(value: object, seen: set[int]) -> int:
    """Bytes of `value` and of the strings, tuples, lists and dicts in it (once each)."""
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(_deep_size(k, seen) + _deep_size(v, seen) for k, v in value.items())
    elif isinstance(value, list | tuple | set):
        size += sum(_deep_size(item, seen) for item in value)
    return size


def once(root: Path, executor: str, actors: int | None, threads: int | None) -> None:
    """Build ROOT (content/, glossaries/ in it) and print one JSON object of figures."""
    from translate_pipeline import build, config, machine, ray_executor

    options = config.Options(
        content=root / "content",
        out=root / "site",
        translations=root / "translations" / "de-en",
        glossaries=root / "glossaries",
        executor=executor,
        actors=actors,
        threads=threads,
    )
    figures: dict[str, Any] = {"actors": {}}
    actor_dir = Path(tempfile.mkdtemp(prefix="ray-bench-actors-"))

    class Measured(ray_executor.Translator):
        """The real actor, writing its peak RSS and CPU time after every batch."""

        folder = str(actor_dir)

        def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
            out = super().__call__(batch)
            own = resource.getrusage(resource.RUSAGE_SELF)
            record = {
                "peak_rss_mb": _status_mb("self", "VmHWM"),
                "cpu_s": own.ru_utime + own.ru_stime,
            }
            Path(self.folder, str(os.getpid())).write_text(json.dumps(record))
            return out

    session = ray_executor._SESSION
    real_start, real_stop = session.start, session.stop
    real_batches = ray_executor.RayPool.translate_batches

    def start(settings: ray_executor.Settings) -> Any:
        clock = time.perf_counter()
        try:
            return real_start(settings)
        finally:
            figures.setdefault("ray_init_s", time.perf_counter() - clock)

    def translate_batches(self: ray_executor.RayPool, *args: Any) -> Iterator[Any]:
        clock = time.perf_counter()
        for result in real_batches(self, *args):
            figures.setdefault("first_wave_s", time.perf_counter() - clock)
            yield result

    def stop() -> None:
        if session.started and "ray_cpu_s" not in figures:
            # Ray's processes below this one before Ray stops them (gcs, raylet, agents,
            # Ray Data's helper actors) and the children this process has waited for; the
            # pool's actors are added from their own records below.
            waited = resource.getrusage(resource.RUSAGE_CHILDREN)
            # An actor still alive here is counted once, from its own record.
            below = sum(
                _cpu_seconds(p)
                for p in _descendants(os.getpid())
                if not (actor_dir / str(p)).exists()
            )
            figures["ray_cpu_s"] = waited.ru_utime + waited.ru_stime + below
            clock = time.perf_counter()
            real_stop()
            figures["shutdown_s"] = time.perf_counter() - clock
        real_stop()

    session.start = start  # type: ignore[method-assign]
    session.stop = stop  # type: ignore[method-assign]
    ray_executor.RayPool.translate_batches = translate_batches  # type: ignore[method-assign]
    ray_executor.RayPool.translator = Measured

    real_translate = build._translate

    def measured_translate(targets: list[build.Target], *args: Any) -> None:
        """What the driver keeps per unit for the whole build: the digests of the pending
        units (they are spooled to disk) and, once translated, the journal's index."""
        pending = sum(len(t.pending) for t in targets)
        figures["pending_bytes"] = sum(_deep_size(t.pending._seen, set()) for t in targets)
        real_translate(targets, *args)
        figures["journal_bytes"] = sum(_deep_size(t.journal._offsets, set()) for t in targets)
        figures["pending_units"] = pending

    build._translate = measured_translate  # type: ignore[assignment]

    peaks = {"RssAnon": 0.0, "RssShmem": 0.0}
    done = threading.Event()

    def sample() -> None:
        """The driver's private memory and the shared memory (Ray's object store) it has
        mapped, at their peaks: VmHWM counts both."""
        while not done.wait(0.2):
            for field in peaks:
                peaks[field] = max(peaks[field], _status_mb("self", field))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    report = build.build(options, machine.executor_factory(options, None))
    figures["seconds"] = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)  # the build; locally, the model too
    for path in actor_dir.iterdir():
        figures["actors"][path.name] = json.loads(path.read_text())
    actors_cpu = sum(actor["cpu_s"] for actor in figures["actors"].values())
    figures["cpu_s"] = own.ru_utime + own.ru_stime + figures.get("ray_cpu_s", 0.0) + actors_cpu
    figures["actors_cpu_s"] = actors_cpu
    shutil.rmtree(actor_dir, ignore_errors=True)
    state = options.out / ".translate-pipeline-state.json"
    done.set()
    sampler.join()
    figures.update(
        peak_rss_mb=_status_mb("self", "VmHWM"),
        peak_private_mb=peaks["RssAnon"],
        peak_shared_mb=peaks["RssShmem"],
        sentences=report.sentences,
        units=report.units_translated,
        articles=report.articles,
        problems=report.errors + report.skipped,
        state_bytes=state.stat().st_size,
    )
    print(json.dumps(figures))


def build_in_subprocess(
    folder: Path, packages: Path, executor: str, actors: int | None, threads: int | None
) -> dict[str, Any]:
    shutil.rmtree(folder / "site", ignore_errors=True)
    shutil.rmtree(folder / "translations", ignore_errors=True)
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(packages)}
    command = [sys.executable, __file__, "--once", str(folder), executor]
    command += [str(actors or 0), str(threads or 0)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the build in {folder} failed:\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    if figures["problems"]:
        raise SystemExit(f"the build in {folder} reported problems: {figures['problems'][:5]}")
    return figures


def state_memory_per_article(site: Path) -> float:
    """Bytes of Python objects per article that the next build keeps of this state file
    (`state.Previous`: a byte offset and the slug per article)."""
    import tracemalloc

    from translate_pipeline import state

    tracemalloc.start()
    previous = state.Previous(site)
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return size / max(1, len(previous.slugs()))


def main(quick: bool, parts: set[str]) -> None:
    import run  # benchmarks/run.py: the same articles, models and corpus
    import testmodel

    run.compile_bytecode()
    small, large, timed_articles = (200, 2000, 20) if quick else (1000, 10000, 100)
    corpus = run.load_corpus()
    with tempfile.TemporaryDirectory(prefix="ray-bench-") as tmp:
        root = Path(tmp)
        base_file = testmodel.cached_package(run.CACHE, **testmodel.BASE_SIZE)
        tiny_file = testmodel.cached_package(run.CACHE)
        run.install(base_file, root / "packages-base")
        run.install(tiny_file, root / "packages-tiny")
        print(f"models: {base_file.name} (base), {tiny_file.name} (tiny); {os.cpu_count()} CPUs")

        results: dict[str, dict[str, Any]] = {}
        memory: dict[int, dict[str, Any]] = {}
        if "timed" in parts:
            print(f"\n1. {timed_articles} articles, base model, each build in a fresh process")
            folder = root / "timed"
            run.write_articles(folder / "content", timed_articles, corpus)
            shutil.copytree(run.GLOSSARIES, folder / "glossaries")
        for name, (executor, actors, threads) in CONFIGS.items() if "timed" in parts else ():
            load = os.getloadavg()[0]
            figures = build_in_subprocess(folder, root / "packages-base", executor, actors, threads)
            figures["load"] = load
            results[name] = figures
            actor_rss = [a["peak_rss_mb"] for a in figures["actors"].values()]
            print(
                f"  {name:<24} wall {figures['seconds']:6.1f} s  CPU {figures['cpu_s']:6.1f} s"
                + (
                    f"  ray.init {figures['ray_init_s']:4.1f} s, first wave after "
                    f"{figures['first_wave_s']:4.1f} s, shutdown {figures['shutdown_s']:3.1f} s, "
                    f"actor peak RSS {', '.join(f'{r:.0f}' for r in sorted(actor_rss))} MiB, "
                    f"actors' CPU {figures['actors_cpu_s']:.1f} s"
                    if executor == "ray"
                    else ""
                )
                + f"  ({figures['sentences']} sentences; load average {load:.1f})"
            )

        if "memory" in parts:
            print(f"\n2. Driver memory, tiny model, Ray 1 actor × 2 threads: {small} and {large}")
        for count in (small, large) if "memory" in parts else ():
            folder = root / f"memory-{count}"
            run.write_articles(folder / "content", count, corpus)
            shutil.copytree(run.GLOSSARIES, folder / "glossaries")
            figures = memory[count] = build_in_subprocess(
                folder, root / "packages-tiny", "ray", 1, 2
            )
            figures["state_memory_per_article"] = state_memory_per_article(folder / "site")
            units = max(1, figures["pending_units"])
            print(
                f"  {count:>6} articles: driver peak RSS {figures['peak_rss_mb']:.0f} MiB "
                f"(private {figures['peak_private_mb']:.0f}, Ray's shared memory mapped "
                f"{figures['peak_shared_mb']:.0f}), "
                f"{figures['seconds']:.0f} s, {figures['units']} units, "
                f"{figures['sentences']} sentences; pending {figures['pending_bytes'] / units:.0f}"
                f" B/unit, journal entries {figures['journal_bytes'] / units:.0f} B/unit; "
                f"state file {figures['state_bytes'] / count:.0f} B/article on disk, "
                f"{figures['state_memory_per_article']:.0f} B/article indexed by the next build"
            )

    print(f"\nResults{'measured':>52}  target")
    for name in list(CONFIGS)[1:] if results else ():
        local = results["local"]
        ratio = results[name]["cpu_s"] / local["cpu_s"]
        run.row(f"{name}: CPU-s / local", f"{ratio:.2f}", f"<= {CPU_TARGET}", ratio <= CPU_TARGET)
        run.row("  Ray's extra CPU-seconds", f"{results[name]['cpu_s'] - local['cpu_s']:.1f}")
        run.row("  wall time / local", f"{results[name]['seconds'] / local['seconds']:.2f}")
        rate = results[name]["sentences"] / results[name]["seconds"]
        run.row("  sentences/s, whole build", f"{rate:.1f}")
    if memory:
        rss_ratio = memory[large]["peak_rss_mb"] / memory[small]["peak_rss_mb"]
        run.row(
            f"driver peak RSS {large} / {small} articles",
            f"{rss_ratio:.2f}",
            f"<= {RSS_TARGET}",
            rss_ratio <= RSS_TARGET,
        )
        growth = (memory[large]["peak_rss_mb"] - memory[small]["peak_rss_mb"]) / (large - small)
        run.row("  driver RSS growth per article, KiB", f"{growth * 1024:.1f}")
        private = memory[large]["peak_private_mb"] / memory[small]["peak_private_mb"]
        run.row("  its private memory (RssAnon), ratio", f"{private:.2f}")
        growth = (memory[large]["peak_private_mb"] - memory[small]["peak_private_mb"]) / (
            large - small
        )
        run.row("  private memory growth per article, KiB", f"{growth * 1024:.1f}")
    print("\nJSON: " + json.dumps({"timed": results, "memory": memory}))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--once":
        path, executor, actors, threads = sys.argv[2:6]
        once(Path(path), executor, int(actors) or None, int(threads) or None)
    else:
        only = {"--timed-only": {"timed"}, "--memory-only": {"memory"}}
        chosen = [only[flag] for flag in sys.argv[1:] if flag in only]
        main("--quick" in sys.argv, chosen[0] if chosen else {"timed", "memory"})
