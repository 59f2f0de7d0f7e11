"""Speed benchmark (issue 7): measures each figure and prints it next to its target.

    uv run python benchmarks/run.py

Runs offline on the project's own hand-wired test models (tests/testmodel.py),
built once and cached in benchmarks/out/:

* the *base* model (6+6 layers, d_model 512, 32k vocabulary) decodes at the cost of a
  real Argos de→en model, so every translation-speed figure uses it;
* the *tiny* default test model is used for the 100- vs 1,000-article builds, where the
  base model would take far longer than the 10-minute budget; those figures are about
  what grows with the number of articles (rebuild time, memory), not about decoding.

1. Throughput, in sentences per second, over the same German sentences:
   (a) the pipeline's translation stage: `Engine.translate` called wave by wave, as
       `build.build` calls it (global length-sorted token batches, threads from
       `choose_threads`), SentencePiece included;
   (b) bare `ctranslate2.Translator.translate_batch` on pre-tokenized input, all
       sentences in one call, best of a small sweep of thread and batch settings:
       the most this model gets out of CTranslate2 on this machine;
   (c) one `translate_batch` call per paragraph with Argos Translate's defaults
       (max_batch_size 32 tokens, inter_threads 1, intra_threads 0): the naive way.
   All use beam 4 and length penalty 0.2 (Argos Translate's decoding settings).
2. Builds: `build.build` on generated articles, each in a fresh process
   (benchmarks/build_once.py), so its wall time and peak RSS are its own; among them the
   same articles into English alone and into English and French through English (a
   base-sized en→fr model), for the cost of one pivoted target; also the time the review
   signals take in them (`review.limits` and every `review.assess`).
3. The review signals per unit on real English against German copied as English (the
   test models leave most words German), to scale the build's review figure.

Timings on a shared machine are disturbed by whatever else runs: every timed run also
records how much of the CPUs other processes used meanwhile, throughput runs are
repeated and the fastest counts, and a warning is printed when others interfered.
"""

from __future__ import annotations

import compileall
import functools
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import ctranslate2

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import testmodel  # noqa: E402 - the test model builder lives with the tests

from translate_pipeline import config, detect, models, quality, review  # noqa: E402
from translate_pipeline.engine import Engine, choose_threads  # noqa: E402
from translate_pipeline.machine import WAVE_SENTENCES  # noqa: E402

HERE = Path(__file__).resolve().parent
CACHE = HERE / "out"  # gitignored
CORPUS = HERE / "corpus_de.txt"
GLOSSARIES = HERE.parent / "glossaries"  # the project's glossary, as a real build uses
REVIEW_PAIRS = HERE.parent / "tests" / "data" / "review" / "pairs.tsv"  # German, English

THROUGHPUT_SENTENCES = 600  # about 8 s per run of (a) or (b) on an idle 2-core machine
ARGOS_STYLE_SENTENCES = 200  # (c) is ten times slower: a subset keeps it in budget
ROUNDS = 2  # each throughput run is repeated; the fastest round counts
DECODING = {"beam_size": 4, "length_penalty": 0.2, "replace_unknowns": True}
SWEEP_THREADS = [(1, 2), (2, 1), (1, 1)]  # (inter_threads, intra_threads)
SWEEP_BATCH_TOKENS = [512, 1024]  # 2048 was slower still on 2 cores
BUILD_SIZES = (100, 1000)
NOOP_REPEATS = 3  # a no-op rebuild takes well under a second: take the fastest of a few
NOISY = 0.10  # other processes' CPU share above which a timing is flagged

T = TypeVar("T")


# --- input ----------------------------------------------------------------------------


def load_corpus() -> list[str]:
    """German sentences, taken from the test model's corpus and the segmentation tests."""
    return [line for line in CORPUS.read_text("utf-8").splitlines() if line.strip()]


def sample_sentences(corpus: Sequence[str], count: int, seed: str) -> list[str]:
    """`count` sentences: the corpus in shuffled rounds, so every sentence is used about
    equally and the mix of lengths is the corpus's own."""
    rng = random.Random(seed)
    out: list[str] = []
    while len(out) < count:
        shuffled = list(corpus)
        rng.shuffle(shuffled)
        out.extend(shuffled)
    return out[:count]


def paragraphs_of(items: Sequence[T], seed: str, sizes: tuple[int, int] = (2, 4)) -> list[list[T]]:
    """Consecutive items grouped into paragraphs of `sizes[0]` to `sizes[1]` items."""
    rng = random.Random(seed)
    groups, start = [], 0
    while start < len(items):
        size = rng.randint(*sizes)
        groups.append(list(items[start : start + size]))
        start += size
    return groups


def write_articles(folder: Path, count: int, corpus: Sequence[str]) -> None:
    """`count` distinct German articles of a few paragraphs (title, description, 3-4
    paragraphs of 2-3 sentences, a subheading before the last one). Article i is the
    same whatever `count` is, so the 100 articles are the first of the 1,000."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        seed = f"article-{i}"
        sentences = sample_sentences(corpus, 14, seed)
        paragraphs = paragraphs_of(sentences[2:], seed, (2, 3))[: random.Random(seed).randint(3, 4)]
        blocks = [" ".join(p) for p in paragraphs]
        blocks.insert(len(blocks) - 1, "## " + paragraphs[-1][0].rstrip(".!?"))
        front = (
            f"title: {json.dumps(sentences[0], ensure_ascii=False)}\n"
            f"description: {json.dumps(sentences[1], ensure_ascii=False)}\n"
            f"author: Redaktion\ndate: {1 + i % 28}. März 2025\n"
        )
        text = f"---\n{front}---\n\n" + "\n\n".join(blocks) + "\n"
        (folder / f"article-{i:04d}.md").write_text(text, "utf-8")


def install(package_file: Path, folder: Path) -> models.Package:
    """Install a package into `folder`, used as ARGOS_PACKAGES_DIR."""
    os.environ["ARGOS_PACKAGES_DIR"] = str(folder)
    return models.install_from_file(package_file)


# --- timing on a shared machine ---------------------------------------------------------


@dataclass
class Timing:
    """A wall time, and whether the machine was busy with other work meanwhile."""

    seconds: float
    others: float  # share of all CPUs that other processes used meanwhile (0 to 1)


def _busy_cpu_seconds() -> float:
    """CPU time spent by everything on the machine since boot (from /proc/stat)."""
    # cpu  user nice system idle iowait irq softirq steal (guest time is inside user)
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle, iowait = fields[3], fields[4]
    return (sum(fields) - idle - iowait) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def timed(run: Callable[[], object]) -> Timing:
    """Wall time of `run()`, with how much CPU the rest of the machine took meanwhile."""
    busy, own, start = _busy_cpu_seconds(), _own_cpu_seconds(), time.perf_counter()
    run()
    seconds = time.perf_counter() - start
    others = (_busy_cpu_seconds() - busy) - (_own_cpu_seconds() - own)
    return Timing(seconds, max(0.0, others / (seconds * (os.cpu_count() or 1))))


# --- 1. throughput --------------------------------------------------------------------


def translator(
    package: models.Package, engine: Engine, inter: int, intra: int
) -> ctranslate2.Translator:
    """A bare CTranslate2 translator on the same model files, device and weights
    (int8 on a CPU) as the engine's."""
    return ctranslate2.Translator(
        str(package.model_dir),
        device=engine.device,
        compute_type=engine.compute_type,
        inter_threads=inter,
        intra_threads=intra,
    )


@dataclass
class Rate:
    """One way of translating and its fastest measured rate."""

    label: str
    per_second: float  # sentences per second
    timing: Timing


def throughput(package: models.Package, corpus: Sequence[str]) -> tuple[Rate, Rate, Rate]:
    """Rates (a), best (b) and (c): each run is repeated ROUNDS times, interleaved with
    the others so a busy spell on the machine hits them alike, and its fastest counts."""
    sentences = sample_sentences(corpus, THROUGHPUT_SENTENCES, "throughput")
    engine = Engine(package)
    tokens = engine.tokenize(sentences)  # (b) and (c) get these; (a) tokenizes itself
    argos_paragraphs = paragraphs_of(tokens[:ARGOS_STYLE_SENTENCES], "throughput")
    print(
        f"  {len(sentences)} sentences, {sum(map(len, tokens)) / len(tokens):.1f} pieces on "
        f"average; the engine's (inter, intra) threads: {choose_threads()}"
    )

    def pipeline() -> None:
        for start in range(0, len(sentences), WAVE_SENTENCES):
            engine.translate(sentences[start : start + WAVE_SENTENCES])

    # (kind, label, sentences translated, the run)
    runs: list[tuple[str, str, int, Callable[[], object]]] = [
        ("a", f"Engine.translate, waves of {WAVE_SENTENCES}", len(sentences), pipeline)
    ]
    warm_up = [lambda: engine.translate(sentences[:32])]
    for inter, intra in SWEEP_THREADS:
        bare = translator(package, engine, inter, intra)
        warm_up.append(lambda bare=bare: bare.translate_batch(tokens[:32], **DECODING))
        for batch_tokens in SWEEP_BATCH_TOKENS:
            runs.append(
                (
                    "b",
                    f"inter {inter}, intra {intra}, max_batch_size {batch_tokens} tokens",
                    len(sentences),
                    lambda bare=bare, batch_tokens=batch_tokens: bare.translate_batch(
                        tokens, max_batch_size=batch_tokens, batch_type="tokens", **DECODING
                    ),
                )
            )
    argos = translator(package, engine, 1, 0)
    warm_up.append(lambda: argos.translate_batch(tokens[:32], **DECODING))
    runs.append(
        (
            "c",
            f"per paragraph, max_batch_size 32 tokens, inter 1, intra 0 "
            f"({ARGOS_STYLE_SENTENCES} sentences)",
            ARGOS_STYLE_SENTENCES,
            lambda: [
                argos.translate_batch(p, max_batch_size=32, batch_type="tokens", **DECODING)
                for p in argos_paragraphs
            ],
        )
    )
    for run in warm_up:  # first calls allocate buffers: start-up cost, not throughput
        run()

    best: dict[str, Rate] = {}
    for _ in range(ROUNDS):
        for kind, label, count, run in runs:
            timing = timed(run)
            rate = Rate(label, count / timing.seconds, timing)
            key = kind + label
            if key not in best or rate.per_second > best[key].per_second:
                best[key] = rate
    for key, rate in best.items():
        print(f"  ({key[0]}) {rate.label:<72} {rate.per_second:5.1f}{noise_note(rate.timing)}")

    def fastest(kind: str) -> Rate:
        return max((r for k, r in best.items() if k[0] == kind), key=lambda r: r.per_second)

    return fastest("a"), fastest("b"), fastest("c")


def noise_note(timing: Timing) -> str:
    return f"  (others used {timing.others:.0%} of the CPUs)" if timing.others > NOISY else ""


# --- 2. builds ------------------------------------------------------------------------


@dataclass
class Build:
    """What build_once.py measured in one build process."""

    seconds: float  # wall time of build.build() (interpreter start and imports excluded)
    translate_seconds: float  # of which inside Engine.translate
    sentences: int
    peak_rss_mb: float
    model_rss_mb: float  # what loading the model added to the RSS
    stage_seconds: dict[str, float]  # detection, segmentation, glossary matching, rendering
    timing: Timing  # of the whole process, for the noise note
    review_seconds: float = 0.0  # inside review.limits and review.assess (issue 15)
    review_units: int = 0  # review.assess calls: fresh machine translations
    flagged: int = 0  # of which in the review queue

    @property
    def rss_without_model_mb(self) -> float:
        return self.peak_rss_mb - self.model_rss_mb

    @property
    def outside_seconds(self) -> float:
        """Everything but Engine.translate: the named stages and all the rest."""
        return self.seconds - self.translate_seconds


@functools.cache
def model_rss_mb(packages: Path) -> float:
    """What loading the model in `packages` adds to a fresh process's RSS (measured
    apart: in a build the model loads on a second thread while pass 1 goes on)."""
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(packages)}
    command = [sys.executable, str(HERE / "build_once.py"), "--model"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["model_rss_mb"]


def build_in_subprocess(folder: Path, packages: Path, targets: str = "en") -> Build:
    """One `build.build` of `folder` in a fresh Python process (benchmarks/build_once.py)."""
    env = {**os.environ, "ARGOS_PACKAGES_DIR": str(packages)}
    command = [sys.executable, str(HERE / "build_once.py"), str(folder), targets]
    done: list[subprocess.CompletedProcess[str]] = []
    timing = timed(
        lambda: done.append(subprocess.run(command, env=env, capture_output=True, text=True))
    )
    if done[0].returncode != 0:
        raise SystemExit(f"the build in {folder} failed:\n{done[0].stderr}")
    result = json.loads(done[0].stdout)
    if result["problems"]:
        raise SystemExit(f"the build in {folder} reported problems: {result['problems']}")
    return Build(
        result["seconds"],
        result["translate_seconds"],
        result["sentences"],
        result["peak_rss_mb"],
        model_rss_mb(packages),
        result["stage_seconds"],
        timing,
        result["review_seconds"],
        max(0, result["review_calls"] - 1),  # one call is review.limits
        result["flagged"],
    )


def full_build(root: Path, count: int, model: str, corpus: Sequence[str]) -> tuple[Path, Build]:
    """Generate `count` articles in a new folder and build them from scratch."""
    folder = root / f"{model}-{count}"
    write_articles(folder / "content", count, corpus)
    shutil.copytree(GLOSSARIES, folder / "glossaries")
    build = build_in_subprocess(folder, root / f"packages-{model}")
    print(
        f"  full build, {count:>4} articles, {model} model: {build.seconds:5.1f} s, "
        f"{build.sentences} sentences, {build.translate_seconds:.1f} s in Engine.translate "
        f"({(build.seconds - build.translate_seconds) / count * 1000:.0f} ms per article outside), "
        f"peak RSS {build.peak_rss_mb:.0f} MB (model {build.model_rss_mb:.0f} MB), "
        f"review signals {build.review_seconds:.2f} s for {build.review_units} units "
        f"({build.flagged} queued)" + noise_note(build.timing)
    )
    return folder, build


def pivot_build(root: Path, count: int, corpus: Sequence[str]) -> Build:
    """The same articles as the base model's full build, built from scratch into English
    and French, French through English (the base-sized en→fr model)."""
    folder = root / f"pivot-{count}"
    write_articles(folder / "content", count, corpus)
    shutil.copytree(GLOSSARIES, folder / "glossaries")
    build = build_in_subprocess(folder, root / "packages-base", "en,fr")
    print(
        f"  full build, {count:>4} articles, base models, English and French (via English): "
        f"{build.seconds:5.1f} s, {build.sentences} sentences" + noise_note(build.timing)
    )
    return build


def review_cost_on_english() -> tuple[float, float]:
    """Milliseconds per unit of `review.limits` plus `review.assess` on paragraphs of the
    review evaluation pairs (tests/data/review: German with real English), with their
    English and with the German copied as the English. The hand-wired models leave most
    words German, so the build's own figure is not what a real model's English costs:
    the first number, times the build's units, is. Fastest of ROUNDS."""
    rows = [line.split("\t") for line in REVIEW_PAIRS.read_text("utf-8").splitlines()]
    pairs = [(row[0], row[1]) for row in rows if len(row) >= 2]
    rng = random.Random("review")
    records = {
        copied: [
            {
                "source": " ".join(de for de, _ in group),
                "target": " ".join(de if copied else en for de, en in group),
                "scores": [rng.gauss(-0.3, 0.1) for _ in group],
            }
            for group in paragraphs_of(pairs, "review", (2, 3))
        ]
        for copied in (False, True)
    }
    detect.block_language("Language detection loads its profiles once.", "en")

    def cost(units: list[dict]) -> float:
        quality.cache_clear()  # each round as cold as the build's one pass
        start = time.perf_counter()
        bounds = review.limits(units, config.Pair())
        for unit in units:
            review.assess(unit, bounds)
        return (time.perf_counter() - start) * 1000 / len(units)

    english = min(cost(records[False]) for _ in range(ROUNDS))
    copied = min(cost(records[True]) for _ in range(ROUNDS))
    return english, copied


def noop_rebuild(folder: Path, packages: Path, count: int) -> Build:
    """Rebuild an unchanged, already built folder: fastest of NOOP_REPEATS (they are quick)."""
    builds = [build_in_subprocess(folder, packages) for _ in range(NOOP_REPEATS)]
    if any(b.sentences for b in builds):
        raise SystemExit(f"the rebuild of {folder} translated again: not a no-op")
    build = min(builds, key=lambda b: b.seconds)
    print(f"  no-op rebuild, {count:>4} articles: {build.seconds:.2f} s{noise_note(build.timing)}")
    return build


# --- report ---------------------------------------------------------------------------


def row(figure: str, value: str, target: str = "", met: bool | None = None) -> None:
    verdict = "" if met is None else "met" if met else "MISSED"
    print(f"  {figure:<56} {value:>8}  {target:<7} {verdict}")


def compile_bytecode() -> None:
    """Compile the environment's Python files once, as pip does at install and Python on
    the first import: where PYTHONDONTWRITEBYTECODE is set and uv installed without
    `--compile-bytecode`, every fresh process would compile its imports again (a Ray
    build's each: 2.9 CPU-s for `import ray.data` instead of 1.1), and the figures would
    measure that instead of the program."""
    folders = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    started = time.perf_counter()
    for folder in sorted(folders):
        compileall.compile_dir(folder, quiet=2, workers=0)
    print(f"bytecode of the environment compiled ({time.perf_counter() - started:.1f} s)")


def main() -> None:
    started = time.perf_counter()
    compile_bytecode()
    corpus = load_corpus()
    with tempfile.TemporaryDirectory(prefix="translate-bench-") as tmp:
        root = Path(tmp)
        print("Models (built once, then cached in benchmarks/out/)")
        base_file = testmodel.cached_package(CACHE, **testmodel.BASE_SIZE)
        tiny_file = testmodel.cached_package(CACHE)
        french_file = testmodel.cached_package(
            CACHE, source="en", target="fr", **testmodel.BASE_SIZE
        )
        base = install(base_file, root / "packages-base")
        install(french_file, root / "packages-base")
        install(tiny_file, root / "packages-tiny")
        print(f"  base: {base_file.name}\n  base en→fr: {french_file.name}")
        print(f"  tiny: {tiny_file.name}")

        print(f"\n1. Translation throughput, base model, sentences/s (fastest of {ROUNDS} rounds)")
        a, b, c = throughput(base, corpus)

        print("\n2. Builds, each in a fresh process")
        _, base_build = full_build(root, BUILD_SIZES[0], "base", corpus)
        pivot = pivot_build(root, BUILD_SIZES[0], corpus)
        full: dict[int, Build] = {}
        noop: dict[int, Build] = {}
        for count in BUILD_SIZES:
            folder, full[count] = full_build(root, count, "tiny", corpus)
            noop[count] = noop_rebuild(folder, root / "packages-tiny", count)

        print("\n3. Review signals on real English (tests/data/review pairs, 2-3 per unit)")
        english_ms, copied_ms = review_cost_on_english()
        print(
            f"  {english_ms:.2f} ms per unit with their English, {copied_ms:.2f} ms with the "
            "German copied (as the test models write)"
        )

    small, large = BUILD_SIZES
    stages = sum(base_build.stage_seconds.values())
    stage_share = stages / base_build.translate_seconds
    outside_share = base_build.outside_seconds / base_build.seconds
    noop_ratio = noop[large].seconds / noop[small].seconds
    rss = {n: full[n].rss_without_model_mb for n in BUILD_SIZES}
    print(f"\nResults{'measured':>60}  target")
    row("(a) pipeline: Engine.translate, sentences/s", f"{a.per_second:.1f}")
    row("(b) bare CTranslate2, best setting, sentences/s", f"{b.per_second:.1f}")
    print(f"      best setting: {b.label}")
    row("(c) per paragraph, Argos Translate's way, sentences/s", f"{c.per_second:.1f}")
    row("a/b", f"{a.per_second / b.per_second:.2f}", ">= 0.9", a.per_second >= 0.9 * b.per_second)
    row("a/c", f"{a.per_second / c.per_second:.1f}", ">= 4", a.per_second >= 4 * c.per_second)
    row(f"full build, {small} articles, base model, s", f"{base_build.seconds:.1f}")
    row("  of which in Engine.translate, s", f"{base_build.translate_seconds:.1f}")
    row(
        "  detection+segmentation+glossary+rendering / translation",
        f"{stage_share:.1%}",
        "< 5%",
        stage_share < 0.05,
    )
    print(
        "      "
        + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in base_build.stage_seconds.items())
    )
    row("  everything outside Engine.translate / the build", f"{outside_share:.1%}")
    row(
        f"full build, {small} articles, + French via English, s",
        f"{pivot.seconds:.1f}",
    )
    row(
        "  cost of the pivoted target / English alone",
        f"{pivot.seconds / base_build.seconds - 1:+.0%}",
    )
    print(
        f"      {pivot.sentences - base_build.sentences} more sentences through the en→fr "
        "model, in one globally batched run; the articles are read and rendered once"
    )
    print(
        f"      the named stages and {base_build.outside_seconds - stages:.2f} s for the rest: "
        "reading articles and memories, protecting formatting, review signals, writing PO "
        "files and pages, loading the model"
    )
    review_share = base_build.review_seconds / base_build.seconds
    row(
        "  review signals (review.limits + assess) / the build",
        f"{review_share:.1%}",
        "< 3%",
        review_share < 0.03,
    )
    english_share = english_ms / 1000 * base_build.review_units / base_build.seconds
    row(
        "    the same units with a real model's English (est.)",
        f"{english_share:.1%}",
        "< 3%",
        english_share < 0.03,
    )
    print(
        f"      {base_build.review_seconds:.2f} s for {base_build.review_units} units "
        f"({base_build.flagged} queued: the test model's English is half German); "
        f"on real English {english_ms:.2f} ms per unit (section 3)"
    )
    for n in BUILD_SIZES:
        row(f"full build, {n} articles, tiny model, s", f"{full[n].seconds:.1f}")
        row(
            "  review signals / the build",
            f"{full[n].review_seconds / full[n].seconds:.1%}",
        )
    row(f"no-op rebuild, {small} articles, s", f"{noop[small].seconds:.2f}")
    row(
        f"no-op rebuild, {large} articles, s",
        f"{noop[large].seconds:.2f}",
        "< 5",
        noop[large].seconds < 5,
    )
    row(
        f"  ratio {large}/{small} (linear growth: 10)",
        f"{noop_ratio:.1f}",
        "<= 10",
        noop_ratio <= 10,
    )
    print(
        "  peak RSS minus model = the build process's peak RSS minus what loading the model added"
    )
    for n in BUILD_SIZES:
        row(f"peak RSS minus model, {n} articles (tiny model), MB", f"{rss[n]:.0f}")
    rss_ratio = rss[large] / rss[small]
    row(f"  ratio {large}/{small}", f"{rss_ratio:.2f}", "<= 1.5", rss_ratio <= 1.5)
    builds = [base_build, pivot, *full.values(), *noop.values()]
    worst = max(t.others for t in [a.timing, b.timing, c.timing, *(x.timing for x in builds)])
    if worst > NOISY:
        print(
            f"\nNote: other processes used up to {worst:.0%} of the CPUs during these runs; "
            "timings are slower and noisier than on an idle machine."
        )
    print(f"\nThe benchmark took {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
