"""The `translate-pipeline` command: thin click wrappers around the library.

Exit codes (also in the README):
  0  everything was built / checked clean
  1  failed, nothing published (or `check` found problems); also an --out that is not
     the build's to replace (someone else's files, the content or the project folder)
  2  the translation model is not installed and could not be installed (or, with
     `--executor ray`, Ray is not: `uv sync --extra ray`)
  3  partial: some input was skipped (each named on stderr); the rest was published
  4  environment: a file or folder could not be read or written (disk full, permission
     denied, read-only or immutable, a lock that cannot be created); nothing published,
     the site and the translation memory as they were
  130  interrupted (Ctrl+C): nothing published; the next build reuses finished work

With `--json`, stdout holds exactly one JSON object whatever happens.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from translate_pipeline import analysis, articles, dates, fileio, glossary, memory, models, sources
from translate_pipeline.backend import Progress
from translate_pipeline.build import build as run_build
from translate_pipeline.build import check as run_check
from translate_pipeline.config import ConfigError, Options, Pair, language_name, project_targets
from translate_pipeline.machine import engine_factory, executor_factory
from translate_pipeline.report import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_PARTIAL,
    BuildError,
    Report,
    summary,
)

_UNCHANGED = "nothing was published; the output and the translation memory are as they were"

F = TypeVar("F", bound=Callable[..., Any])


class _Progress:
    """`sentences done/total, rate, ETA` on one terminal line; silent elsewhere."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or not total:
            return
        elapsed = max(time.monotonic() - self.start, 1e-6)
        rate = done / elapsed
        eta = (total - done) / rate if rate else 0
        width = 30
        filled = int(width * done / total)
        bar = "█" * filled + "·" * (width - filled)
        click.echo(
            f"\rtranslating {bar} {done}/{total} sentences  {rate:.1f}/s  ETA {eta:.0f}s ",
            nl=False,
            err=True,
        )
        self.shown = True

    def close(self) -> None:
        if self.shown:
            click.echo(err=True)


def _fail(message: str, code: int, as_json: bool = False) -> NoReturn:
    """One line on stderr; under --json also the one promised JSON object on stdout."""
    if as_json:
        click.echo(json.dumps({"exit_code": code, "error": message}, ensure_ascii=False))
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _download_progress(quiet: bool) -> Progress | None:
    if quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        mb = done / 2**20
        total_text = f"/{total / 2**20:.1f}" if total else ""
        click.echo(f"\rdownloading {mb:.1f}{total_text} MB ", nl=False, err=True)
        if total and done >= total:
            click.echo(err=True)

    return show


def _print_problems(report: Report) -> None:
    for line in [*report.errors, *report.skipped]:
        click.echo(f"error: {line}", err=True)
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)


# --- options shared by several commands, declared once ------------------------------------


def _shared(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


_content = click.argument("content", type=click.Path(path_type=Path), default="content")
_out = click.option("--out", type=click.Path(path_type=Path), default="site", show_default=True)
_translations = click.option(
    "--translations",
    type=click.Path(path_type=Path),
    default=None,
    help="Translation memory: the folder of PO files (default: translations/de-en).",
)
_glossaries = click.option(
    "--glossaries", type=click.Path(path_type=Path), default="glossaries", show_default=True
)
_base_url = click.option(
    "--base-url",
    default=None,
    help="Absolute URL the site is served from (default: relative links).",
)
_engine = _shared(
    click.option(
        "--threads",
        type=int,
        default=None,
        help="CPU threads for translation (default: all cores; with --executor ray: "
        "CPUs per actor, default up to 4).",
    ),
    click.option(
        "--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True
    ),
)
_executor = _shared(
    click.option(
        "--executor",
        type=click.Choice(["local", "ray"]),
        default="local",
        show_default=True,
        help="Where translation runs: in this process, or on a pool of Ray actors "
        "(the optional extra translate-pipeline[ray]).",
    ),
    click.option(
        "--ray-address",
        metavar="auto|HOST:PORT",
        default=None,
        help="With --executor ray: join this running cluster (default: start a Ray "
        "instance of the build's own).",
    ),
    click.option(
        "--actors",
        type=click.IntRange(min=1),
        default=None,
        help="With --executor ray: actors in the pool, each loading the model once "
        "(default: as many as the cluster's CPUs, or GPUs, hold).",
    ),
    click.option(
        "--gpus-per-actor",
        type=click.FloatRange(min=0, min_open=True),
        default=None,
        help="With --executor ray: GPUs per actor (actors then translate on CUDA).",
    ),
)
_json = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
_to = click.option(
    "--to",
    "to",
    multiple=True,
    metavar="LANGS",
    help="Target languages, e.g. --to en,fr,uk (default: `targets` in translate-pipeline.toml "
    "or [tool.translate-pipeline] of pyproject.toml, else en).",
)


def _options(as_json: bool, need_content: bool = False, **values: Any) -> Options:
    """Options from the command line and the project's configuration; a bad value is a
    one-line error (exit 1)."""
    if need_content and not values["content"].exists():
        _fail(f"{values['content']}: no such folder", EXIT_FAILED, as_json)
    to = [code for given in values.pop("to", ()) for code in given.split(",") if code.strip()]
    try:
        targets = tuple(to) or project_targets(Path.cwd()) or ()
        return Options(**values, targets=targets)
    except ConfigError as exc:
        _fail(str(exc), EXIT_FAILED, as_json)


@click.group()
@click.version_option(package_name="translate-pipeline")
def main() -> None:
    """German articles in; German, English and bilingual pages out, offline."""


@main.command()
@_shared(_content, _out, _translations, _glossaries, _base_url, _to, _engine, _executor, _json)
@click.option(
    "--frozen", is_flag=True, help="Publish from the translation memory only; never load a model."
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary; errors only.")
@click.option(
    "--review",
    is_flag=True,
    help="Also write the review page for editors (OUT/_review/index.html, linked from nowhere).",
)
def build(as_json: bool, quiet: bool, **values: Any) -> None:
    """Translate CONTENT (default: content/) and publish it to --out."""
    options = _options(as_json, need_content=True, **values)
    progress = _Progress(enabled=not quiet and not as_json and sys.stderr.isatty())
    started = time.monotonic()
    try:
        backends = executor_factory(options, _download_progress(quiet))
        report = run_build(options, backends, progress)
    except BuildError as exc:
        progress.close()
        _fail(str(exc), exc.code, as_json)
    except OSError as exc:  # the build names what it can; this is the last line of defence
        progress.close()
        failure = fileio.failure(exc, _UNCHANGED)
        _fail(str(failure), failure.code, as_json)
    except KeyboardInterrupt:
        progress.close()
        _fail(
            f"interrupted; {options.out}/ is unchanged and finished translations are kept "
            "for the next build",
            EXIT_INTERRUPTED,
            as_json,
        )
    progress.close()
    _print_problems(report)
    if as_json:
        answer = {**asdict(report), "queue": [item.as_json() for item in report.queue]}
        click.echo(
            json.dumps({**answer, "exit_code": report.exit_code}, indent=2, ensure_ascii=False)
        )
    elif not quiet:
        click.echo(summary(report, time.monotonic() - started), err=True)
    sys.exit(report.exit_code)


@main.command()
@_shared(_content, _translations, _glossaries, _to, _json)
@click.option(
    "--review",
    is_flag=True,
    help="List the review queue instead: flagged machine translations, most likely wrong first.",
)
def check(as_json: bool, **values: Any) -> None:
    """Exit 0 when every block has a current translation, nothing is fuzzy and no
    glossary target is missing; 1 with one line per problem otherwise.

    With --review: one line per machine translation in the review queue
    (`po:line: block (article:line): signal: reason; ...`), exit 0 unless an article
    could not be read (3)."""
    options = _options(as_json, need_content=True, **values)
    try:
        report = run_check(options)
    except BuildError as exc:
        _fail(str(exc), exc.code, as_json)
    except OSError as exc:
        failure = fileio.failure(exc)
        _fail(str(failure), failure.code, as_json)
    if options.review:
        _print_queue(report, as_json)
    problems = [*report.errors, *report.skipped, *report.review]
    code = EXIT_FAILED if problems else 0
    if as_json:
        answer = {"ok": not problems, "problems": problems, "warnings": report.warnings}
        click.echo(json.dumps({**answer, "exit_code": code}, indent=2, ensure_ascii=False))
    else:
        for line in problems:
            click.echo(line)
        for line in report.warnings:
            click.echo(f"warning: {line}", err=True)
        click.echo(f"{report.articles} article(s) checked, {len(problems)} problem(s)", err=True)
        if report.flagged:
            click.echo(
                f"{report.flagged} machine translation(s) in the review queue "
                "(`translate-pipeline check --review` lists them)",
                err=True,
            )
    sys.exit(code)


def _print_queue(report: Report, as_json: bool) -> NoReturn:
    """`check --review`: the queue, ranked; exit 3 when articles could not be read."""
    unread = [*report.errors, *report.skipped]
    code = EXIT_PARTIAL if unread else 0
    if as_json:
        answer = {
            "queue": [item.as_json() for item in report.queue],
            "problems": unread,
            "warnings": report.warnings,
            "exit_code": code,
        }
        click.echo(json.dumps(answer, indent=2, ensure_ascii=False))
    else:
        for item in report.queue:
            click.echo(item.text())
        for line in unread:
            click.echo(line, err=True)
        for line in report.warnings:
            click.echo(f"warning: {line}", err=True)
        click.echo(
            f"{report.articles} article(s) checked, {len(report.queue)} machine translation(s) "
            "in the review queue",
            err=True,
        )
    sys.exit(code)


@main.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--to", "content", type=click.Path(path_type=Path), default="content", show_default=True
)
@click.option("--force", is_flag=True, help="Overwrite an existing article with the same slug.")
def import_(source: Path, content: Path, force: bool) -> None:
    """Turn a scraped plain-text article into content/<slug>.md."""
    try:
        markdown = articles.import_plain_text(articles.read_text(source), source)
        article = articles.parse_article(source.with_suffix(".md"), markdown, source)
    except articles.ArticleError as exc:
        _fail(str(exc), EXIT_FAILED)
    target = content / f"{articles.slugify(source.stem)}.md"
    if target.exists() and not force:
        _fail(f"{target} exists; use --force to overwrite it", EXIT_FAILED)
    content.mkdir(parents=True, exist_ok=True)
    target.write_text(markdown, encoding="utf-8")
    click.echo(str(target))
    parsed = dates.parse_date(article.date) if article.date else None
    if parsed is not None and parsed.year is None:
        click.echo(
            f"warning: {target}: date '{article.date}' has no year; add it, feeds and "
            "sorting need one",
            err=True,
        )


@main.command("inspect")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--content",
    type=click.Path(path_type=Path),
    default="content",
    show_default=True,
    help="The content folder FILE belongs to (locates its translation memory).",
)
@_shared(_translations, _glossaries, _json)
def inspect_(file: Path, as_json: bool, **values: Any) -> None:
    """Show what the build sees in FILE: language, units, sentences, glossary hits, and
    what the build will do with each unit."""
    options = _options(as_json, **values)
    report = Report()
    try:
        loaded_glossary, _ = analysis.load_glossaries(
            options.glossaries, report, options.pair, options.others(options.pair)
        )
        article, mem = sources.load_one(options, file)
        data = analysis.inspect_article(article, mem, loaded_glossary, options.pair)
    except BuildError as exc:
        _fail(str(exc), exc.code, as_json)
    except (articles.ArticleError, memory.TranslationMemoryError) as exc:
        _fail(str(exc), EXIT_FAILED, as_json)
    except OSError as exc:
        failure = fileio.failure(exc)
        _fail(str(failure), failure.code, as_json)
    _print_problems(report)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(analysis.inspect_text(data))


@main.group("models")
def models_() -> None:
    """List and install Argos Translate packages."""


@models_.command("list")
@click.option(
    "--from", "source", default=Pair().source, show_default=True, help="Source of the routes."
)
@click.option(
    "--to",
    "targets",
    multiple=True,
    help="Show the route to this language (repeatable; default: English and every language "
    "an installed package reaches).",
)
def models_list(source: str, targets: tuple[str, ...]) -> None:
    """Installed packages (in ARGOS_PACKAGES_DIR or Argos Translate's default folder), and
    the route to each target: direct, via English, or what is missing."""
    packages = models.installed_packages()
    click.echo(f"packages folder: {models.packages_dir()}")
    if not packages:
        click.echo("no packages installed; try: translate-pipeline models install de en")
    for package in packages:
        pair = f"{package.from_code} → {package.to_code}"
        click.echo(f"{pair}  {package.name} {package.version}  {package.path}")
    click.echo(f"routes from {language_name(source)}:")
    configured = project_targets(Path.cwd()) if source == Pair().source else None
    for target in targets or configured or models.route_targets(source, packages):
        found = models.find_route(source, target)
        hint = "" if found.found else f"; try: translate-pipeline models install {source} {target}"
        click.echo(f"  {source}→{target}: {found.describe()}{hint}")


@models_.command("install")
@click.argument("args", nargs=-1)
def models_install(args: tuple[str, ...]) -> None:
    """`install de fr` downloads from the Argos index what de→fr needs: the de→fr package,
    or else de→en and en→fr (those not installed yet); `install FILE.argosmodel` is offline;
    `install` alone installs what the project's targets need (translate-pipeline.toml)."""
    if len(args) == 1 and not Path(args[0]).is_file():
        raise click.UsageError(
            f"{args[0]}: no such file; give FROM TO language codes (de en) or an .argosmodel file"
        )
    if len(args) > 2:
        raise click.UsageError("give FROM TO language codes, or one .argosmodel file")
    if len(args) == 1:
        try:
            _installed([models.install_from_file(Path(args[0]))])
        except models.ModelError as exc:
            _fail(str(exc), EXIT_FAILED)
        return
    try:
        routes = [tuple(args)] if args else _configured_routes()
        for source, target in routes:
            packages = models.install_route(source, target, _download_progress(False))
            _installed(packages)
            found = models.find_route(source, target)
            if found.via or not packages or not args:
                done = "" if packages else "nothing to install; "
                click.echo(f"{done}{source}→{target}: {found.describe()}")
    except (models.ModelError, ConfigError) as exc:
        _fail(str(exc), EXIT_FAILED)


def _configured_routes() -> list[tuple[str, str]]:
    source = Pair().source
    return [(source, target) for target in project_targets(Path.cwd()) or (Pair().target,)]


def _installed(packages: list[models.Package]) -> None:
    for package in packages:
        pair = f"{package.from_code} → {package.to_code}"
        click.echo(f"installed {package.name} {package.version} ({pair}) in {package.path}")


@main.group("glossary")
def glossary_() -> None:
    """Lint glossary files and try entries."""


@glossary_.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
def glossary_lint(paths: tuple[Path, ...], strict: bool) -> None:
    """`file:line: message` for every problem; exit 1 if one is an error (with --strict,
    also if one is a warning)."""
    try:
        options = _options(False)
        files = list(paths) or [Path("glossaries")]
        found = [glossary.lint(files, pair, options.others(pair)) for pair in options.pairs]
        unique = dict.fromkeys(problem for problems in found for problem in problems)
        problems = sorted(unique, key=lambda p: (p.file, p.line))
    except OSError as exc:
        failure = fileio.failure(exc)
        _fail(str(failure), failure.code)
    for problem in problems:
        click.echo(str(problem))
    failed = [p for p in problems if strict or p.severity == "error"]
    sys.exit(1 if failed else 0)


@glossary_.command("test")
@click.argument("text")
@_shared(_glossaries, _engine)
def glossary_test(text: str, **values: Any) -> None:
    """Show the glossary matches in TEXT and the English the pipeline produces."""
    options = _options(False, **values)
    report = Report()
    try:
        loaded, _ = analysis.load_glossaries(
            options.glossaries, report, options.pair, options.others(options.pair)
        )
    except BuildError as exc:
        _fail(str(exc), exc.code)
    _print_problems(report)
    try:
        backend = engine_factory(options, None)(options.pair)
    except BuildError as exc:
        click.echo(analysis.glossary_trial(text, loaded, exc))
        _fail(str(exc).splitlines()[0], exc.code)
    click.echo(analysis.glossary_trial(text, loaded, backend))


@main.command()
@_shared(_content, _out, _translations, _glossaries, _to, _engine)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--watch/--no-watch", default=True, help="Rebuild when content or glossaries change.")
def serve(port: int, watch: bool, **values: Any) -> None:
    """Serve the built site on localhost for editors, rebuilding on change."""
    from translate_pipeline import serve as serving

    options = _options(False, **values)

    def rebuild() -> None:
        try:
            report = run_build(options, engine_factory(options, None))
        except BuildError as exc:
            click.echo(f"error: {exc}", err=True)
            return
        _print_problems(report)
        click.echo(summary(report, 0.0), err=True)

    if watch:
        rebuild()
    click.echo(f"serving {options.out} on http://127.0.0.1:{port}/ (Ctrl+C to stop)", err=True)
    serving.serve(
        options.out,
        port=port,
        on_change=rebuild if watch else None,
        watch=[options.content, options.glossaries, options.memory_dir],
    )
