"""The `translate-pipeline` command: thin click wrappers around the library.

Exit codes (also in the README):
  0  everything was built / checked clean
  1  failed, nothing published (or `check` found problems)
  2  the de→en model is not installed and could not be installed
  3  partial: some input was skipped (each named on stderr); the rest was published
  130  interrupted (Ctrl+C): nothing published; the next build reuses finished work
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import click

from translate_pipeline import articles, dates, glossary, inspect, models, site


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


def _fail(message: str, code: int) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


@click.group()
@click.version_option(package_name="translate-pipeline")
def main() -> None:
    """German articles in; German, English and bilingual pages out, offline."""


@main.command()
@click.argument("content", type=click.Path(path_type=Path), default="content")
@click.option("--out", type=click.Path(path_type=Path), default="site", show_default=True)
@click.option(
    "--translations",
    type=click.Path(path_type=Path),
    default="translations/de-en",
    show_default=True,
    help="Translation memory (PO files).",
)
@click.option(
    "--glossaries", type=click.Path(path_type=Path), default="glossaries", show_default=True
)
@click.option(
    "--base-url",
    default=None,
    help="Absolute URL the site is served from (default: relative links).",
)
@click.option(
    "--frozen", is_flag=True, help="Publish from the translation memory only; never load a model."
)
@click.option(
    "--threads", type=int, default=None, help="CPU threads for translation (default: all cores)."
)
@click.option(
    "--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True
)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary; errors only.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def build(
    content: Path,
    out: Path,
    translations: Path,
    glossaries: Path,
    base_url: str | None,
    frozen: bool,
    threads: int | None,
    device: str,
    quiet: bool,
    as_json: bool,
) -> None:
    """Translate CONTENT (default: content/) and publish it to --out."""
    options = site.Options(
        content, out, translations, glossaries, base_url, frozen, device, threads
    )
    if not content.exists():
        _fail(f"{content}: no such folder", site.EXIT_FAILED)
    if base_url and not base_url.startswith(("http://", "https://")):
        _fail(f"--base-url must be an absolute http(s) URL, got {base_url!r}", site.EXIT_FAILED)
    progress = _Progress(enabled=not quiet and not as_json and sys.stderr.isatty())
    started = time.monotonic()
    try:
        report = site.build(
            options, site.engine_factory(options, _download_progress(quiet)), progress
        )
    except site.BuildError as exc:
        progress.close()
        if as_json:  # CI jobs parse stdout: they get an answer when nothing was built too
            click.echo(json.dumps({"exit_code": exc.code, "error": str(exc)}, ensure_ascii=False))
        _fail(str(exc), exc.code)
    except KeyboardInterrupt:
        progress.close()
        _fail(
            "interrupted; site/ is unchanged and finished translations are kept for the next build",
            130,
        )
    progress.close()
    for line in [*report.errors, *report.skipped]:
        click.echo(f"error: {line}", err=True)
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    if as_json:
        click.echo(
            json.dumps(
                {**asdict(report), "exit_code": report.exit_code}, indent=2, ensure_ascii=False
            )
        )
    elif not quiet:
        click.echo(site.summary(report, time.monotonic() - started), err=True)
    sys.exit(report.exit_code)


@main.command()
@click.argument("content", type=click.Path(path_type=Path), default="content")
@click.option(
    "--translations",
    type=click.Path(path_type=Path),
    default="translations/de-en",
    show_default=True,
)
@click.option(
    "--glossaries", type=click.Path(path_type=Path), default="glossaries", show_default=True
)
@click.option("--json", "as_json", is_flag=True)
def check(content: Path, translations: Path, glossaries: Path, as_json: bool) -> None:
    """Exit 0 when every block has a current translation, nothing is fuzzy and no
    glossary target is missing; 1 with one line per problem otherwise."""
    options = site.Options(content=content, translations=translations, glossaries=glossaries)
    if not content.exists():
        _fail(f"{content}: no such folder", site.EXIT_FAILED)
    try:
        report = site.check(options)
    except site.BuildError as exc:
        _fail(str(exc), site.EXIT_FAILED)
    problems = [*report.errors, *report.review]
    if as_json:
        click.echo(
            json.dumps({"ok": not problems, "problems": problems}, indent=2, ensure_ascii=False)
        )
    else:
        for line in problems:
            click.echo(line)
        click.echo(f"{report.articles} article(s) checked, {len(problems)} problem(s)", err=True)
    sys.exit(1 if problems else 0)


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
        _fail(str(exc), site.EXIT_FAILED)
    target = content / f"{articles.slugify(source.stem)}.md"
    if target.exists() and not force:
        _fail(f"{target} exists; use --force to overwrite it", site.EXIT_FAILED)
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
    "--glossaries", type=click.Path(path_type=Path), default="glossaries", show_default=True
)
@click.option("--json", "as_json", is_flag=True)
def inspect_(file: Path, glossaries: Path, as_json: bool) -> None:
    """Show what the pipeline sees in FILE: language, blocks, sentences, glossary hits."""
    try:
        data = inspect.inspect_file(file, glossary.load_glossary(glossaries))
    except (articles.ArticleError, glossary.GlossaryError) as exc:
        _fail(str(exc), site.EXIT_FAILED)
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(inspect.as_text(data))


@main.group("models")
def models_() -> None:
    """List and install Argos Translate packages."""


@models_.command("list")
def models_list() -> None:
    """Installed packages (in ARGOS_PACKAGES_DIR or Argos Translate's default folder)."""
    packages = models.installed_packages()
    click.echo(f"packages folder: {models.packages_dir()}")
    if not packages:
        click.echo("no packages installed; try: translate-pipeline models install de en")
    for package in packages:
        pair = f"{package.from_code} → {package.to_code}"
        click.echo(f"{pair}  {package.name} {package.version}  {package.path}")


@models_.command("install")
@click.argument("args", nargs=-1, required=True)
def models_install(args: tuple[str, ...]) -> None:
    """`install de en` downloads from the Argos index; `install FILE.argosmodel` is offline."""
    try:
        if len(args) == 1 and not Path(args[0]).is_file():
            raise click.UsageError(
                f"{args[0]}: no such file; give FROM TO language codes (de en) or an "
                ".argosmodel file"
            )
        if len(args) == 1:
            package = models.install_from_file(Path(args[0]))
        elif len(args) == 2:
            package = models.install_from_index(args[0], args[1], _download_progress(False))
        else:
            raise click.UsageError("give FROM TO language codes, or one .argosmodel file")
    except models.ModelError as exc:
        _fail(str(exc), site.EXIT_FAILED)
    pair = f"{package.from_code} → {package.to_code}"
    click.echo(f"installed {package.name} {package.version} ({pair}) in {package.path}")


def _download_progress(quiet: bool):
    if quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        mb = done / 2**20
        total_text = f"/{total / 2**20:.1f}" if total else ""
        click.echo(f"\rdownloading {mb:.1f}{total_text} MB ", nl=False, err=True)
        if total and done >= total:
            click.echo(err=True)

    return show


@main.group("glossary")
def glossary_() -> None:
    """Lint glossary files and try entries."""


@glossary_.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def glossary_lint(paths: tuple[Path, ...]) -> None:
    """`file:line: message` for every problem; exit 1 if there is one."""
    problems = glossary.lint(list(paths) or [Path("glossaries")])
    for problem in problems:
        click.echo(str(problem))
    sys.exit(1 if problems else 0)


@glossary_.command("test")
@click.argument("text")
@click.option(
    "--glossaries", type=click.Path(path_type=Path), default="glossaries", show_default=True
)
def glossary_test(text: str, glossaries: Path) -> None:
    """Show the glossary matches in TEXT and the English the pipeline produces."""
    try:
        loaded = glossary.load_glossary(glossaries)
    except glossary.GlossaryError as exc:
        _fail(str(exc), site.EXIT_FAILED)
    try:
        click.echo(site.glossary_trial(text, loaded, site.Options(glossaries=glossaries)))
    except site.BuildError as exc:
        _fail(str(exc), exc.code)


@main.command()
@click.argument("content", type=click.Path(path_type=Path), default="content")
@click.option("--out", type=click.Path(path_type=Path), default="site", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--watch/--no-watch", default=True, help="Rebuild when content or glossaries change.")
def serve(content: Path, out: Path, port: int, watch: bool) -> None:
    """Serve the built site on localhost for editors, rebuilding on change."""
    from translate_pipeline import serve as serving

    options = site.Options(content=content, out=out)

    def rebuild() -> None:
        try:
            report = site.build(options, site.engine_factory(options, None))
            click.echo(site.summary(report, 0.0), err=True)
        except site.BuildError as exc:
            click.echo(f"error: {exc}", err=True)

    if watch:
        rebuild()
    click.echo(f"serving {out} on http://127.0.0.1:{port}/ (Ctrl+C to stop)", err=True)
    serving.serve(
        out,
        port=port,
        on_change=rebuild if watch else None,
        watch=[content, options.glossaries, options.translations],
    )
