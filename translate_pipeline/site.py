"""A build: `content/` in, `site/` and `translations/de-en/` out.

Two streaming passes over the articles, so memory stays flat however large the
folder is. Pass 1 reads each article and its translation memory and collects the
units that need the machine (the model starts loading on a second thread at the
first one). Those are translated in one globally batched run, journalled wave by
wave so a killed build keeps what it finished. Pass 2 reads each article again, settles its memory,
writes its PO file and renders its pages. An article whose source, memory,
glossary and templates are unchanged since the last build is not even parsed.

`site/` is replaced atomically: changed files go to a staging folder beside it,
unchanged ones are hard-linked into it, and the two folders are swapped.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from translate_pipeline import __version__, dates, detect, markup, memory, models, render, translate
from translate_pipeline.articles import (
    Article,
    ArticleError,
    Block,
    Unit,
    article_units,
    find_articles,
    join_blocks,
    parse_article,
    read_text,
)
from translate_pipeline.engine import Engine, EngineSettings
from translate_pipeline.glossary import Glossary, GlossaryError, load_glossary, missing_targets
from translate_pipeline.memory import Entry, Memory, TranslationMemoryError

EXIT_OK, EXIT_FAILED, EXIT_NO_MODEL, EXIT_PARTIAL = 0, 1, 2, 3
STATE_FILE = ".translate-pipeline-state.json"
_FOOTNOTE_LIST = re.compile(r'<div class="footnote">.*</div>\s*\Z', re.S)
WAVE_SENTENCES = 512


class BuildError(Exception):
    """The build stopped before writing anything; `code` is the exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Options:
    content: Path = Path("content")
    out: Path = Path("site")
    translations: Path = Path("translations/de-en")
    glossaries: Path = Path("glossaries")
    base_url: str | None = None
    frozen: bool = False
    device: str = "auto"
    threads: int | None = None


@dataclass
class Report:
    """What a build or check saw: the summary and the exit code come from it."""

    articles: int = 0
    reused_articles: int = 0
    units_reused: int = 0
    glossary_hits: int = 0
    sentences: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)
    files_written: int = 0
    model: str = ""
    translated_units: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_PARTIAL if self.errors or self.skipped else EXIT_OK


# --- one article's units -------------------------------------------------------


def _fingerprint(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _code_fingerprint() -> bytes:
    """Changes to templates or the pipeline's version invalidate every page."""
    root = Path(render.__file__).parent
    files = sorted([*root.glob("templates/*"), *root.glob("static/*"), *root.glob("*.py")])
    return (__version__ + "".join(_fingerprint(f.read_bytes()) for f in files)).encode()


# --- locking, journal, output ---------------------------------------------------


@contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """One build per output folder: a second one refuses at once instead of racing."""
    out.parent.mkdir(parents=True, exist_ok=True)
    lock_path = out.parent / f".{out.name}.lock"
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(
                f"{out}: another build is running on this folder (lock {lock_path}); "
                "try again when it has finished"
            ) from None
        yield


def journal_key(source: str, signature: Sequence[str]) -> str:
    """The same German under another article's glossary is another translation."""
    return source + "\x1f" + "; ".join(signature)


class Journal:
    """Machine translations finished in this run, appended as they complete, so a
    killed build's work is reused by the next one. Merged into PO files, then removed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict] = {}
        if path.exists():
            # split("\n"), not splitlines(): records hold U+2028 and U+0085 unescaped.
            for line in path.read_text("utf-8", errors="replace").split("\n"):
                try:
                    record = json.loads(line)
                    self.entries[journal_key(record["source"], record.get("glossary", ()))] = record
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue  # a line cut short by a kill

    def add(self, records: Sequence[dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            for record in records:
                handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
                self.entries[journal_key(record["source"], record["glossary"])] = record
            handle.flush()
            os.fsync(handle.fileno())

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


def _exchange(a: Path, b: Path) -> None:
    """Swap two directories atomically (Linux renameat2), else by two renames."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        at_fdcwd, rename_exchange = -100, 2
        if libc.renameat2(at_fdcwd, bytes(a), at_fdcwd, bytes(b), rename_exchange) == 0:
            return
        if ctypes.get_errno() not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(ctypes.get_errno(), "renameat2 failed", str(a))
    except AttributeError:
        pass
    backup = b.with_name(b.name + ".old")
    os.rename(b, backup)
    os.rename(a, b)
    os.rename(backup, a)


class Output:
    """Collects the site's files; only files whose bytes changed are written."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.staging = out.with_name(f".{out.name}.staging")
        self.files: set[str] = set()
        self.changed: set[str] = set()
        self._folders: set[Path] = set()  # made in staging already: one mkdir each
        shutil.rmtree(self.staging, ignore_errors=True)

    def put(self, rel: str, data: bytes) -> None:
        self.files.add(rel)
        try:
            if (self.out / rel).read_bytes() == data:
                return
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pass
        self._write(rel, data)
        self.changed.add(rel)

    def _write(self, rel: str, data: bytes | None = None) -> None:
        """`data` into staging, or without it a hard link to the published file."""
        target = self.staging / rel
        if target.parent not in self._folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(target.parent)
        if data is None:
            os.link(self.out / rel, target)
        else:
            target.write_bytes(data)

    def keep(self, rels: Sequence[str]) -> None:
        self.files.update(rels)

    def existing(self) -> set[str]:
        if not self.out.is_dir():
            return set()
        return {str(p.relative_to(self.out)) for p in self.out.rglob("*") if p.is_file()}

    def commit(self) -> int:
        """Publish: nothing happens when no file changed, appeared or disappeared."""
        old = self.existing()
        if not self.changed and old == self.files:
            shutil.rmtree(self.staging, ignore_errors=True)
            return 0
        for rel in sorted(self.files - self.changed):
            self._write(rel)
        self.staging.mkdir(parents=True, exist_ok=True)
        if self.out.exists():
            _exchange(self.staging, self.out)
            shutil.rmtree(self.staging, ignore_errors=True)
        else:
            os.rename(self.staging, self.out)
        return len(self.changed)


# --- deciding what each unit needs ------------------------------------------------


@dataclass
class Planned:
    """A unit with its current memory entry, if any, and whether the machine must run."""

    unit: Unit
    entry: Entry | None
    needs_machine: bool
    lang: str
    signature: tuple[str, ...]


def article_language(article: Article, mem: Memory) -> str:
    """Front matter wins; an article fully in the memory is known to be German;
    otherwise langdetect decides on the body."""
    if article.lang:
        return article.lang.lower()[:2]
    units = article_units(article)
    if units and all(mem.get(u.text) for u in units):
        return "de"
    return detect.article_language([translate.prose(u.text) for u in units])


def plan_article(
    article: Article, mem: Memory, glossary: Glossary, lang_cache: dict[str, str]
) -> list[Planned]:
    plans = []
    units = article_units(article)
    # German in use: the article's units, then each orphan as it is claimed. Built
    # once, not per unit: per unit it made planning quadratic in the article's size.
    used = {u.text for u in units}
    for unit in units:
        signature = translate.glossary_signature(translate.glossary_matches(unit.text, glossary))
        entry = mem.get(unit.text)
        if entry is None:
            orphan = mem.closest_human(unit.text, used)
            if orphan is not None:
                entry = Entry(
                    unit.text,
                    orphan.target,
                    memory.HUMAN,
                    glossary=orphan.glossary,
                    fuzzy=True,
                    previous_source=orphan.source,
                )
                used.add(orphan.source)
        if entry is not None:
            machine = entry.origin == memory.MACHINE
            needs = (machine and not entry.fuzzy and entry.glossary != signature) or (
                not machine and entry.fuzzy and not entry.machine_target
            )
            plans.append(Planned(unit, entry, needs, entry.lang, signature))
            continue
        if unit.text not in lang_cache:
            if not translate.needs_model(unit.text):
                lang_cache[unit.text] = "zxx"  # no linguistic content: copied as is
            else:
                lang_cache[unit.text] = detect.block_language(translate.prose(unit.text), "de")
        lang = lang_cache[unit.text]
        plans.append(Planned(unit, None, lang == "de", lang, signature))
    return plans


def settle(plan: Planned, journal: Journal, model: str) -> Entry:
    """The memory entry a unit ends the build with."""
    if plan.entry is not None and not plan.needs_machine:
        return plan.entry
    if plan.entry is None and not plan.needs_machine:
        return Entry(plan.unit.text, plan.unit.text, memory.COPY, lang=plan.lang)
    record = journal.entries[journal_key(plan.unit.text, plan.signature)]
    if plan.entry is not None and plan.entry.origin == memory.HUMAN:
        return Entry(**{**plan.entry.__dict__, "machine_target": record["target"]})
    notes = [p for p in record.get("problems", []) if not p.startswith("glossary target")]
    return memory.machine_entry(
        plan.unit.text, record["target"], record["model"], plan.signature, notes
    )


# --- the build ---------------------------------------------------------------------


@dataclass
class _Source:
    path: Path
    display: Path
    data: bytes
    fingerprint: str
    memory_path: Path


def _sources(options: Options, glossary_bytes: bytes, code: bytes, report: Report) -> list[_Source]:
    sources = []
    for path in find_articles(options.content):
        display = path if not path.is_absolute() else path
        try:
            data = path.read_bytes()
        except OSError as exc:
            report.errors.append(f"{display}: cannot be read ({exc.strerror})")
            continue
        rel = path.relative_to(options.content) if options.content.is_dir() else Path(path.name)
        mem_path = options.translations / rel.with_suffix(".po")
        po = mem_path.read_bytes() if mem_path.exists() else b""
        fingerprint = _fingerprint(data, po, glossary_bytes, code)
        sources.append(_Source(path, display, data, fingerprint, mem_path))
    return sources


def _load(source: _Source, report: Report) -> tuple[Article, Memory] | None:
    try:
        text = read_text(source.path, source.data)
        article = parse_article(source.path, text, source.display)
        _check_date(article, text)
        mem = memory.load(source.memory_path)
    except (ArticleError, TranslationMemoryError) as exc:
        report.errors.append(str(exc))
        return None
    report.warnings.extend(article.warnings)
    return article, mem


def _check_date(article: Article, text: str) -> None:
    """A date that cannot be read would be published as written: report it instead.
    YAML dates and timestamps are read by YAML itself; an empty date is fine."""
    if not article.date or hasattr(article.meta.get("date"), "isoformat"):
        return
    if dates.parse_date(article.date) is None:
        lines = text.split("\n")
        line = next((n for n, t in enumerate(lines, 1) if re.match(r"date\s*:", t)), None)
        raise ArticleError(
            article.path,
            f"date '{article.date}' cannot be read; write it like 15. März 2025 or "
            "2025-03-15 (not built)",
            line,
        )


def _load_german(
    source: _Source, report: Report, slugs: dict[str, Path], languages: dict[Path, str]
) -> tuple[Article, Memory] | None:
    """An article that reads, owns its slug and is German; otherwise reported, None.
    The detected language is kept in `languages` so pass 2 does not detect again."""
    loaded = _load(source, report)
    if loaded is None:
        return None
    article, mem = loaded
    if not _claim_slug(slugs, article.slug, source.display, report):
        return None
    lang = languages[source.display] = article_language(article, mem)
    if lang != "de":
        report.skipped.append(
            f"{source.display}: article is not German (detected '{lang}'), not translated; "
            "set 'lang: de' in its front matter if it is"
        )
        return None
    return article, mem


def _load_glossary(options: Options, report: Report) -> tuple[Glossary, bytes]:
    if not options.glossaries.exists():
        report.warnings.append(
            f"{options.glossaries}: no glossary folder here; building without a glossary "
            "(run from the project folder or pass --glossaries)"
        )
        return Glossary(()), b""
    try:
        glossary = load_glossary(options.glossaries)
    except GlossaryError as exc:
        raise BuildError(f"{exc} (fix the glossary; nothing was built)") from None
    files = (
        sorted(p for p in options.glossaries.glob("*") if p.is_file())
        if options.glossaries.is_dir()
        else [options.glossaries]  # one file: its edits must rebuild too
    )
    return glossary, b"".join(p.read_bytes() for p in files)


def _article_glossary(glossary: Glossary, article: Article) -> Glossary:
    overrides = article.meta.get("glossary")
    return glossary.with_overrides(overrides) if overrides else glossary


def build(
    options: Options,
    engine_factory: Callable[[], Engine] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Build the site; raises BuildError when nothing could be published."""
    report = Report()
    with build_lock(options.out), _ModelLoader(engine_factory) as model:
        glossary, glossary_bytes = _load_glossary(options, report)
        state = _load_state(options.out)
        journal = Journal(options.translations / ".journal.jsonl")
        code = _code_fingerprint() + (options.base_url or "").encode()
        sources = _sources(options, glossary_bytes, code, report)
        code_ok = state.get("code") == _fingerprint(code)

        # Pass 1: what must the machine translate?
        pending: dict[str, tuple[str, Glossary]] = {}
        lang_cache: dict[str, str] = {}
        languages: dict[Path, str] = {}
        # A slug keeps the article it was published with: a new file cannot take
        # over a live URL.
        present = {str(source.display) for source in sources}
        slugs: dict[str, Path] = {
            cached["summary"]["slug"]: Path(path)
            for path, cached in sorted(state.get("articles", {}).items())
            if path in present
        }
        for source in sources:
            cached = state.get("articles", {}).get(str(source.display))
            if code_ok and cached and cached["fingerprint"] == source.fingerprint:
                # Unchanged: nothing to translate; a slug conflict is reported once, here.
                _claim_slug(slugs, cached["summary"]["slug"], source.display, report)
                continue
            loaded = _load_german(source, report, slugs, languages)
            if loaded is None:
                continue
            article, mem = loaded
            article_glossary = _article_glossary(glossary, article)
            for plan in plan_article(article, mem, article_glossary, lang_cache):
                key = journal_key(plan.unit.text, plan.signature)
                if plan.needs_machine and key not in journal.entries:
                    pending[key] = (plan.unit.text, article_glossary)
                    if not options.frozen:
                        model.start()

        model_name = ""
        if pending:
            if options.frozen:
                raise BuildError(
                    f"--frozen: {len(pending)} unit(s) have no current translation; "
                    "run `translate-pipeline check` to list them (nothing was written)"
                )
            engine = model.result()
            if engine is None:
                raise BuildError("no translation engine", EXIT_NO_MODEL)
            model_name = f"{engine.package.name} {engine.package.version}"
            report.model = model_name
            _translate_pending(list(pending.values()), engine, journal, report, progress)
        # Pass 2: settle memories, write PO files, render pages.
        output = Output(options.out)
        summaries = []
        new_state: dict = {"code": _fingerprint(code), "articles": {}}
        for source in sources:
            cached = state.get("articles", {}).get(str(source.display))
            if (
                code_ok
                and cached
                and cached["fingerprint"] == source.fingerprint
                and (all((options.out / f).exists() for f in cached["files"]))
            ):
                if slugs.get(cached["summary"]["slug"]) != source.display:
                    continue
                output.keep(cached["files"])
                summaries.append(render.Summary(**cached["summary"]))
                new_state["articles"][str(source.display)] = cached
                report.articles += 1
                report.reused_articles += 1
                continue
            loaded = _load(source, Report())
            if loaded is None:
                continue
            article, mem = loaded
            lang = languages.get(source.display) or article_language(article, mem)
            if slugs.get(article.slug) != source.display or lang != "de":
                continue
            article_glossary = _article_glossary(glossary, article)
            plans = plan_article(article, mem, article_glossary, lang_cache)
            entries = [settle(plan, journal, model_name) for plan in plans]
            new_mem = _merge(mem, plans, entries, source.display)
            memory.write_atomic(source.memory_path, memory.render(new_mem, str(source.display)))
            _count(plans, report)
            _review(source.display, plans, entries, article_glossary, report)
            page = _page(article, plans, entries)
            files = render.render_article(page, base_url=options.base_url)
            files.update(_images(article, source, options.content, report))
            for rel, data in files.items():
                output.put(rel, data)
            summary = render.summarize(page)
            summaries.append(summary)
            po_bytes = source.memory_path.read_bytes()
            new_state["articles"][str(source.display)] = {
                "fingerprint": _fingerprint(source.data, po_bytes, glossary_bytes, code),
                "files": sorted(files),
                "summary": summary.__dict__,
            }
            report.articles += 1
        for rel, data in render.render_indexes(summaries, base_url=options.base_url).items():
            output.put(rel, data)
        output.put(STATE_FILE, json.dumps(new_state, indent=1, sort_keys=True).encode())
        report.files_written = output.commit()
        journal.remove()
        used = {source.memory_path for source in sources}
        for orphan in sorted(options.translations.rglob("*.po")):
            if orphan not in used:
                report.warnings.append(
                    f"{orphan}: no article uses this translation memory any more; if the "
                    "article was renamed, rename this file the same way to keep its work"
                )
    return report


_IMAGE_SRC = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")


def _images(article: Article, source: _Source, content: Path, report: Report) -> dict[str, bytes]:
    """Local images an article shows, copied beside each of its pages so the same
    relative `src` works in all three; a missing one is reported."""
    root = content.resolve() if content.is_dir() else content.resolve().parent
    found: dict[str, bytes] = {}
    for block in article.blocks:
        for src in _IMAGE_SRC.findall(block.markdown()):
            if re.match(r"^([a-z][a-z0-9+.-]*:|/|#)", src, re.I):
                continue  # remote, absolute or data URL: not ours to copy
            path = (source.path.parent / src).resolve()
            if not path.is_relative_to(root) or ".." in Path(src).parts:
                report.warnings.append(f"{source.display}: image '{src}' is outside {content}")
                continue
            if not path.is_file():
                report.warnings.append(f"{source.display}:{block.line}: image '{src}' not found")
                continue
            for version in ("de", "en", "de-en"):
                found[f"{version}/{article.slug}/{Path(src).as_posix()}"] = path.read_bytes()
    return found


def _claim_slug(slugs: dict[str, Path], slug: str, path: Path, report: Report) -> bool:
    """Two articles with one slug: the first (in path order) keeps it, the other is reported."""
    if slug in slugs and slugs[slug] != path:
        report.errors.append(
            f"{path}: slug '{slug}' is already used by {slugs[slug]}; set a different "
            "'slug:' in its front matter (not built)"
        )
        return False
    slugs[slug] = path
    return True


def _load_state(out: Path) -> dict:
    try:
        return json.loads((out / STATE_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}


class _ModelLoader:
    """Loads the model on a second thread from the moment pass 1 finds the first unit
    for it, while pass 1 goes on reading articles: a large model then costs no wait."""

    def __init__(self, factory: Callable[[], Engine] | None) -> None:
        self.factory = factory
        self.future: Future[Engine] | None = None
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model-load")

    def __enter__(self) -> _ModelLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.shutdown(wait=False)

    def start(self) -> None:
        if self.future is None and self.factory is not None:
            self.future = self.executor.submit(self.factory)

    def result(self) -> Engine | None:
        """The engine (its loading errors are raised here), or None without a factory."""
        self.start()
        return self.future.result() if self.future else None


def _translate_pending(
    pending: list[tuple[str, Glossary]],
    engine: Engine,
    journal: Journal,
    report: Report,
    progress: Callable[[int, int], None] | None,
) -> None:
    """Translate in waves of a few hundred sentences: each wave is one globally
    length-sorted engine call, and its results reach the journal before the next."""
    model = f"{engine.package.name} {engine.package.version}"
    sentence_counts = [len(translate.prepare(u, g).sentences) for u, g in pending]
    total = sum(sentence_counts)
    done = 0
    wave: list[tuple[str, Glossary]] = []
    wave_sentences = 0
    for index, (item, count) in enumerate(zip(pending, sentence_counts)):
        wave.append(item)
        wave_sentences += count
        if wave_sentences < WAVE_SENTENCES and index + 1 < len(pending):
            continue
        base = done

        def wave_progress(finished: int, _total: int, base: int = base) -> None:
            if progress:
                progress(min(total, base + finished), total)

        units = [unit for unit, _ in wave]
        results = translate.translate_units(
            units,
            [g for _, g in wave],
            lambda sentences: engine.translate(sentences, wave_progress),
        )
        journal.add(
            [
                {
                    "source": unit,
                    "glossary": list(result.glossary),
                    "target": result.target,
                    "model": model,
                    "problems": result.problems,
                }
                for unit, result in zip(units, results)
            ]
        )
        report.translated_units.extend(units)
        done += wave_sentences
        report.sentences += wave_sentences
        wave, wave_sentences = [], 0


def _merge(old: Memory, plans: list[Planned], entries: list[Entry], path: Path) -> Memory:
    """The article's new memory: current entries in article order; human entries no
    longer used are kept as obsolete ones, as msgmerge does; machine ones go."""
    new = Memory(metadata=old.metadata)
    for plan, entry in zip(plans, entries):
        ref = f"{path}:{plan.unit.line}"
        if plan.unit.text in new.entries:
            entry = new.entries[plan.unit.text]
            refs = entry.references if ref in entry.references else (*entry.references, ref)
            new.entries[plan.unit.text] = Entry(**{**entry.__dict__, "references": refs})
        else:
            new.entries[plan.unit.text] = Entry(**{**entry.__dict__, "references": (ref,)})
    reused = {e.previous_source for e in new.entries.values() if e.fuzzy}
    for entry in [*old.entries.values(), *old.obsolete]:
        if entry.is_human and entry.source not in new.entries and entry.source not in reused:
            if all(o.source != entry.source for o in new.obsolete):
                new.obsolete.append(entry)
    return new


def _count(plans: list[Planned], report: Report) -> None:
    for plan in plans:
        report.units_reused += not plan.needs_machine
        report.glossary_hits += len(plan.signature)


def _review(
    path: Path, plans: list[Planned], entries: list[Entry], glossary: Glossary, report: Report
) -> None:
    """Problems a person should look at, one line each: `file:line: where: what`."""
    report.review.extend(_problems(path, plans, entries, glossary))


def _problems(
    path: Path,
    plans: list[Planned],
    entries: list[Entry],
    glossary: Glossary,
    notes: bool = True,
) -> Iterator[str]:
    """Review lines; `check` leaves out the machine's notes (formatting it could not
    place), which are worth a look but do not make a translation wrong."""
    for plan, entry in zip(plans, entries):
        where = f"{path}:{plan.unit.line}: {plan.unit.where}"
        if entry.fuzzy and entry.origin == memory.HUMAN:
            yield f"{where}: human translation needs review (the German changed)"
        elif entry.fuzzy:
            yield f"{where}: marked as needing review (fuzzy) in the translation memory"
        if entry.origin == memory.COPY:
            continue
        for note in entry.notes if notes else ():
            yield f"{where}: {note}"
        matches = translate.glossary_matches(plan.unit.text, glossary)
        for match in missing_targets(entry.target, matches):
            yield f"{where}: glossary target '{match.target}' for '{match.source}' missing"


def _page(article: Article, plans: list[Planned], entries: list[Entry]) -> render.ArticlePage:
    english = {plan.unit.text: entry.display for plan, entry in zip(plans, entries)}
    by_source = {plan.unit.text: entry for plan, entry in zip(plans, entries)}
    langs = {plan.unit.text: plan.lang for plan in plans}
    en_units = [tuple(english.get(u, u) for u in block.units) for block in article.blocks]
    footnotes = [b for b in article.blocks if b.kind in ("footnote", "reference")]
    rows = []
    for block, units in zip(article.blocks, en_units):
        lang = next((langs[u] for u in block.units if langs.get(u) not in (None, "zxx")), "de")
        rows.append(
            render.Row(
                kind=block.kind,
                de_html=_row_html(block, None, footnotes),
                en_html=_row_html(block, units, footnotes),
                de_lang=lang if lang == "en" else "de",
                level=block.level,
                note=_row_note([by_source[u] for u in block.units if u in by_source]),
            )
        )
    de_html = markup.to_html(join_blocks(article.blocks))
    en_html = markup.to_html(join_blocks(article.blocks, en_units))
    return render.ArticlePage(
        slug=article.slug,
        author=article.author,
        date=article.date,
        de=render.Version(
            "de", article.title, article.description, de_html, markup.html_prose(de_html)
        ),
        en=render.Version(
            "en",
            _plain_english(by_source.get(article.title), article.title),
            _plain_english(by_source.get(article.description), article.description),
            en_html,
            markup.html_prose(en_html),
        ),
        rows=tuple(rows),
        machine_translated=any(e.origin == memory.MACHINE or e.fuzzy for e in entries),
    )


_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]|])|&(lt|amp|nbsp);")
_UNESCAPED = {"lt": "<", "amp": "&", "nbsp": "\xa0"}


def _plain_english(entry: Entry | None, german: str) -> str:
    """Title and description are plain text on both pages, but the machine's English is
    inline Markdown in which the German's literal characters are escaped (`\\[`, `&lt;`):
    undo that, or readers see the backslashes and entities."""
    if entry is None:
        return german
    if entry.origin != memory.MACHINE and entry.display == entry.target:
        return entry.display  # a person's (or a copied) text, shown as written
    return _MARKDOWN_ESCAPE.sub(lambda m: m.group(1) or _UNESCAPED[m.group(2)], entry.display)


def _row_note(entries: list[Entry]) -> str:
    """What a reader of the bilingual page should know about this row's English."""
    if any(e.fuzzy for e in entries):
        return "The German changed; a reviewed translation is pending."
    if any(e.notes for e in entries):
        return "Some formatting could not be carried over; the text is complete."
    return ""


def _row_html(block: Block, units: tuple[str, ...] | None, footnotes: list[Block]) -> str:
    """One block rendered alone; list items lose their nesting indentation (the row
    shows it), and footnote/reference definitions are appended so links resolve."""
    text = block.markdown(units)
    if block.kind == "list_item":
        text = text.lstrip()
    if block.kind not in ("footnote", "reference") and footnotes and "[" in text:
        text += "\n\n" + join_blocks(footnotes)
        return _FOOTNOTE_LIST.sub("", markup.to_html(text))
    return markup.to_html(text)


# --- check ---------------------------------------------------------------------------


def check(options: Options) -> Report:
    """What `check` reports: every unit without a current translation, every fuzzy
    entry, every glossary target missing. Writes nothing."""
    report = Report()
    glossary, _ = _load_glossary(options, report)
    slugs: dict[str, Path] = {}
    for source in _sources(options, b"", b"", report):
        loaded = _load_german(source, report, slugs, {})
        if loaded is None:
            continue
        article, mem = loaded
        article_glossary = _article_glossary(glossary, article)
        plans = plan_article(article, mem, article_glossary, {})
        report.articles += 1
        for plan in plans:
            if plan.needs_machine:
                report.review.append(
                    f"{source.display}:{plan.unit.line}: {plan.unit.where}: no current translation"
                )
        entries = [p.entry for p in plans if p.entry is not None]
        report.review.extend(
            _problems(
                source.display,
                [p for p in plans if p.entry is not None],
                entries,
                article_glossary,
                notes=False,
            )
        )
    return report


# --- the model, summaries, trials ---------------------------------------------------------


def engine_factory(
    options: Options, download_progress: Callable[[int, int], None] | None
) -> Callable[[], Engine]:
    """Loads the de→en package when a build first needs it; installs it from the
    Argos index when it is missing and the index can be reached."""

    def open_engine() -> Engine:
        package = models.find_package("de", "en")
        if package is None:
            try:
                package = models.install_from_index("de", "en", download_progress)
            except models.ModelError as exc:
                raise BuildError(
                    "no German→English (de→en) translation package is installed in "
                    f"{models.packages_dir()}, and it could not be downloaded ({exc}).\n"
                    "Install one with either:\n"
                    "  translate-pipeline models install de en            (Argos package index)\n"
                    "  translate-pipeline models install FILE.argosmodel  (offline, from a file)\n"
                    "Nothing was written.",
                    EXIT_NO_MODEL,
                ) from None
        try:
            return Engine(package, EngineSettings(device=options.device, threads=options.threads))
        except models.ModelError as exc:
            raise BuildError(f"{exc} (nothing was written)", EXIT_NO_MODEL) from None

    return open_engine


def summary(report: Report, seconds: float) -> str:
    """The one-screen summary printed after a build."""
    lines = [
        f"{report.articles} article(s) published ({report.reused_articles} unchanged), "
        f"{len(report.errors) + len(report.skipped)} skipped",
        f"units: {len(report.translated_units)} translated ({report.sentences} sentences), "
        f"{report.units_reused} reused from the translation memory",
        f"glossary hits: {report.glossary_hits}; files written: {report.files_written}",
    ]
    if report.model:
        lines.append(f"model: {report.model}")
    if report.review:
        lines.append(f"needs review ({len(report.review)}):")
        lines.extend(f"  {line}" for line in report.review[:20])
        if len(report.review) > 20:
            lines.append(f"  … and {len(report.review) - 20} more (run `translate-pipeline check`)")
    lines.append(f"done in {seconds:.1f}s")
    return "\n".join(lines)


def glossary_trial(text: str, glossary: Glossary, options: Options) -> str:
    """What `glossary test` shows: each match, then the English the pipeline makes."""
    matches = translate.glossary_matches(text, glossary)
    lines = [f"{len(matches)} glossary match(es):"]
    lines.extend(f"  {m.source!r} → {m.target!r}  ({m.entry.file}:{m.entry.line})" for m in matches)
    try:
        engine = engine_factory(options, None)()
    except BuildError as exc:
        lines.append(f"English: not available ({str(exc).splitlines()[0]})")
        raise BuildError("\n".join(lines), exc.code) from None
    result = translate.translate_units([text], glossary, engine.translate)[0]
    lines.append(f"English: {result.target}")
    lines.extend(f"  problem: {p}" for p in result.problems)
    return "\n".join(lines)
