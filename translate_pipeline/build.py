"""A build: `content/` in; `site/` and `translations/<pair>/` out. And `check`.

Two streaming passes over the articles, so memory stays flat however large the folder
is. Pass 1 reads each article and its translation memory and collects the units that
need the machine (`analysis`, `plan`). Those are translated in one globally batched run
(`machine`). Pass 2 reads each article again, settles its memory, writes its PO file and
renders its pages (`plan`, `assemble`, `render`); everything is published at once at the
end (`publish`). An article whose source, memory, glossary and code are unchanged since
the last build is not even parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from translate_pipeline import (
    assemble,
    fileio,
    memory,
    plan,
    publish,
    quality,
    render,
    review,
    sources,
)
from translate_pipeline.analysis import (
    Analyser,
    article_glossary,
    article_language,
    glossary_problems,
    load_glossaries,
)
from translate_pipeline.articles import Article, ArticleError
from translate_pipeline.backend import Progress, model_label
from translate_pipeline.config import Options, language_name
from translate_pipeline.glossary import Glossary
from translate_pipeline.machine import (
    JOURNAL_FILE,
    BackendFactory,
    Journal,
    ModelLoader,
    journal_key,
    translate_waves,
)
from translate_pipeline.markup.generators import REF_SCHEME
from translate_pipeline.memory import Entry, Memory
from translate_pipeline.report import BuildError, Report
from translate_pipeline.sources import Source


def build(
    options: Options,
    backend_factory: BackendFactory | None = None,
    progress: Progress | None = None,
) -> Report:
    """Build the site; raises BuildError when nothing could be published: exit 1 for an
    output folder that is not ours (refused before anything is written), exit 4 for a file
    system that fails (the site and the memory are then as they were)."""
    try:
        target = publish.resolve_target(options)
        with (
            publish.build_lock(target),
            publish.memory_lock(options.memory_dir) as memory_locked,
            ModelLoader(backend_factory) as model,
        ):
            if memory_locked:  # what a killed build left; no other build is writing there
                fileio.remove_stale(options.memory_dir)
            return _build(options, target, model, progress)
    except OSError as exc:
        unchanged = (
            f"nothing was published; {fileio.shown(options.out)} and "
            f"{fileio.shown(options.memory_dir)} are as they were"
        )
        raise fileio.failure(exc, unchanged) from None


def _build(
    options: Options, target: publish.Target, model: ModelLoader, progress: Progress | None
) -> Report:
    report = Report()
    site = render.Site(options.pair.source, (options.pair.target,), options.base_url)
    glossary, glossary_bytes = load_glossaries(options.glossaries, report)
    state = publish.load_state(target.path)
    journal = Journal(options.memory_dir / JOURNAL_FILE, report)
    code = publish.code_fingerprint(options.base_url or "")
    found = sources.find_sources(options, report)
    code_ok = state.get("code") == publish.fingerprint(code)
    cached = state.get("articles", {})

    def fingerprint(source: Source, memory_bytes: bytes | None = None) -> str:
        if memory_bytes is None:
            memory_bytes = source.memory_bytes()
        return publish.fingerprint(source.data, memory_bytes, glossary_bytes, code)

    unchanged = {
        source.path
        for source in found
        if code_ok
        and str(source.path) in cached
        and cached[str(source.path)]["fingerprint"] == fingerprint(source)
    }
    analyser = Analyser(glossary, options.pair)
    # A slug keeps the article it was published with: a new file cannot take over a
    # live URL.
    present = {str(source.path) for source in found}
    slugs: dict[str, Path] = {
        entry["summary"]["slug"]: Path(path)
        for path, entry in sorted(cached.items())
        if path in present
    }

    # Pass 1: what must the machine translate?
    pending: dict[str, tuple[str, Glossary]] = {}
    languages: dict[Path, str] = {}
    for source in found:
        if source.path in unchanged:
            # Nothing to translate; a slug conflict is reported once, here.
            sources.claim_slug(
                slugs, cached[str(source.path)]["summary"]["slug"], source.path, report
            )
            continue
        loaded = _load_for_translation(source, options, analyser, slugs, languages, report)
        if loaded is None:
            continue
        article, mem, article_gloss = loaded
        for planned in analyser.plan(article, mem, article_gloss):
            key = journal_key(planned.unit.text, planned.signature)
            if planned.needs_machine and key not in journal.entries:
                pending[key] = (planned.unit.text, article_gloss)
                if not options.frozen:
                    model.start()

    if pending:
        if options.frozen:
            raise BuildError(
                f"--frozen: {len(pending)} unit(s) have no current translation; "
                "run `translate-pipeline check` to list them (nothing was written)"
            )
        backend = model.result()
        report.model = model_label(backend)
        translate_waves(list(pending.values()), backend, journal, report, progress)
    bounds = review.limits(journal.entries.values(), options.pair)

    # Pass 2: settle memories, render pages. Both are staged and published together.
    output = publish.Output(target)
    memories = publish.Replacements()
    try:
        summaries = []
        new_state: dict = {"code": publish.fingerprint(code), "articles": {}}
        links = sources.LinkIndex(options.content, slugs)
        for source in found:
            previous = cached.get(str(source.path))
            if (
                source.path in unchanged
                and not options.review  # the review page needs every article's queue
                and output.has(previous["files"])
                and _links_current(previous, links, source.path, options)
            ):
                if slugs.get(previous["summary"]["slug"]) != source.path:
                    continue
                output.keep(previous["files"])
                summaries.append(render.Summary(**previous["summary"]))
                new_state["articles"][str(source.path)] = previous
                report.flagged += previous.get("flagged", 0)
                report.articles += 1
                report.reused_articles += 1
                continue
            loaded = _load_for_publishing(source, options, analyser, languages)
            if loaded is None:
                continue
            article, mem, article_gloss = loaded
            if slugs.get(article.slug) != source.path:
                continue
            plans = analyser.plan(article, mem, article_gloss)
            entries = [_settle(p, journal, bounds) for p in plans]
            new_memory = plan.merge(mem, plans, entries, source.path)
            memory_bytes = memory.render(new_memory, str(source.path), options.pair)
            memories.stage(source.memory_path, memory_bytes)
            flagged = sum(
                bool(e.review) for e in new_memory.entries.values() if e.origin == memory.MACHINE
            )
            report.flagged += flagged
            if options.review:
                report.queue += _queue(source, plans, entries, memory_bytes)
            for p in plans:
                report.units_reused += not p.needs_machine
                report.glossary_hits += len(p.signature)
                report.glossary_retranslated += p.reason == plan.GLOSSARY
            report.review.extend(
                plan.problems(source.path, plans, entries, glossary_problems(article_gloss))
            )
            resolve, resolved = _recording(links.resolver(source.path, options.content))
            page, removed = assemble.article_page(
                article, [(options.pair, plans, entries)], resolve
            )
            report.warnings.extend(removed)
            report.warnings.extend(
                f"{source.path}: link to {href.removeprefix(REF_SCHEME)!r} matches no article "
                "here; its text is shown without the link"
                for href, target in resolved.items()
                if target is None and href.startswith(REF_SCHEME)
            )
            files = render.render_article(page, site)
            for src, data in sources.local_images(article, options.content, report).items():
                for version in (*site.langs, *site.bilinguals):
                    # Never over a page: sources.local_images passes image file names only.
                    files.setdefault(f"{version}/{article.slug}/{src}", data)
            for rel, data in files.items():
                output.put(rel, data)
            summary = render.summarize(page)
            summaries.append(summary)
            new_state["articles"][str(source.path)] = {
                "fingerprint": fingerprint(source, memory_bytes),
                "files": sorted(files),
                "summary": summary.__dict__,
                "links": resolved,
                "flagged": flagged,
            }
            report.articles += 1
        for rel, data in render.render_indexes(summaries, site).items():
            output.put(rel, data)
        if options.review:
            report.queue = review.rank(report.queue)
            output.put(render.REVIEW_PAGE, render.render_review(report.queue, site))
        # The state file marks the folder as ours and lists every file published in it.
        new_state["files"] = sorted(output.files - {publish.STATE_FILE})
        output.put(publish.STATE_FILE, publish.state_bytes(new_state))

        # Publish: the memory first, then the site; a failure of either undoes both.
        old = output.prepare()
        with publish.no_interrupts() as interrupted:
            memories.commit()
            try:
                report.files_written = output.publish(old) if old is not None else 0
            except BaseException:
                memories.rollback()
                raise
            memories.finish()
    finally:
        memories.discard()
        output.discard()
    if interrupted:
        report.warnings.append("interrupted while publishing; the build finished first")
    if output.leftover:
        report.warnings.append(
            f"{fileio.shown(output.staging)}: the previous site could not be removed "
            f"({output.leftover}); remove it by hand, the next build needs it gone"
        )
    journal.remove()
    _report_orphans(options, found, report)
    return report


def _settle(p: plan.Planned, journal: Journal, bounds: quality.Thresholds | None) -> Entry:
    """The unit's entry, with the review signals of a fresh machine translation."""
    record = journal.get(p.unit.text, p.signature) if p.needs_machine else None
    signals = review.assess(record, bounds) if record and not (p.entry and p.entry.is_human) else ()
    return plan.settle(p, record, signals)


def _queue(
    source: Source, plans: list[plan.Planned], entries: list[Entry], memory_bytes: bytes
) -> list[review.Item]:
    """The article's queued entries, with their lines in the PO file as it is written."""
    written = memory.parse(memory_bytes.decode("utf-8"))
    lines = {e.source: e.raw.line for e in written.entries.values() if e.raw is not None}
    return _unique(review.items(source.path, source.memory_path, plans, entries, lines))


def _unique(queue: list[review.Item]) -> list[review.Item]:
    """One item per PO entry: the same German twice in an article is one entry."""
    return list({(item.po, item.line): item for item in queue}.values())


def _load_for_translation(
    source: Source,
    options: Options,
    analyser: Analyser,
    slugs: dict[str, Path],
    languages: dict[Path, str],
    report: Report,
) -> tuple[Article, Memory, Glossary] | None:
    """An article that reads, owns its slug and is in the source language, with its memory
    and glossary; otherwise reported, None. The language is kept for pass 2."""
    loaded = sources.load(source, report)
    if loaded is None:
        return None
    article, mem = loaded
    if article.draft:
        report.warnings.append(f"{source.path}: a draft (draft: true); not published")
        return None
    try:
        glossary = article_glossary(analyser.glossary, article)
    except ArticleError as exc:
        report.errors.append(str(exc))
        return None
    lang = languages[source.path] = article_language(article, mem, options.pair)
    if lang != options.pair.source and article.lang and _named_language(source.path) == lang:
        report.warnings.append(
            f"{source.path}: the {language_name(lang)} version of an article (its file name "
            "says so); not translated, not published"
        )
        return None
    if not sources.claim_slug(slugs, article.slug, source.path, report):
        return None
    if lang != options.pair.source and article.lang == options.pair.source:
        report.skipped.append(
            f"{source.path}: marked 'lang: {article.lang}', but its text is "
            f"{language_name(lang)} ('{lang}'); not translated; correct the 'lang'"
        )
        return None
    if lang != options.pair.source:
        report.skipped.append(
            f"{source.path}: article is not {language_name(options.pair.source)} "
            f"(detected '{lang}'), not translated; set 'lang: {options.pair.source}' in its "
            "front matter if it is"
        )
        return None
    return article, mem, glossary


def _recording(
    resolve: Callable[[str], str | None],
) -> tuple[Callable[[str], str | None], dict[str, str | None]]:
    """`resolve`, remembering each answer: a page is rendered again when one changes."""
    answers: dict[str, str | None] = {}

    def recorded(href: str) -> str | None:
        answers[href] = resolve(href)
        return answers[href]

    return recorded, answers


def _links_current(
    previous: dict[str, Any], links: sources.LinkIndex, path: Path, options: Options
) -> bool:
    """Whether every link between articles on this article's pages still leads where it did."""
    stored = previous.get("links") or {}
    if not stored:
        return True
    resolve = links.resolver(path, options.content)
    return all(resolve(href) == target for href, target in stored.items())


def _load_for_publishing(
    source: Source, options: Options, analyser: Analyser, languages: dict[Path, str]
) -> tuple[Article, Memory, Glossary] | None:
    """Pass 2's reading of an article; its problems were reported in pass 1 (or, for an
    article pass 1 found unchanged, when it was built last)."""
    loaded = sources.load(source, Report())
    if loaded is None:
        return None
    article, mem = loaded
    lang = languages.get(source.path) or article_language(article, mem, options.pair)
    if lang != options.pair.source or article.draft:
        return None
    try:
        return article, mem, article_glossary(analyser.glossary, article)
    except ArticleError:
        return None


def _named_language(path: Path) -> str:
    """`index.en.md` → 'en': Hugo's way of naming a page's language."""
    parts = path.name.split(".")
    return parts[-2].lower() if len(parts) >= 3 and len(parts[-2]) == 2 else ""


def _report_orphans(options: Options, found: list[Source], report: Report) -> None:
    used = {source.memory_path for source in found}
    for orphan in sorted(options.memory_dir.rglob("*.po")):
        if orphan not in used and orphan.is_file():  # a FIFO was reported as one already
            report.warnings.append(
                f"{orphan}: no article uses this translation memory any more; if the "
                "article was renamed, rename this file the same way to keep its work"
            )


def check(options: Options) -> Report:
    """What `check` reports: every unit without a current translation, every fuzzy
    entry, every glossary target missing, and every warning a build would give. Writes
    nothing."""
    report = Report()
    glossary, _ = load_glossaries(options.glossaries, report)
    analyser = Analyser(glossary, options.pair)
    slugs: dict[str, Path] = {}
    found = sources.find_sources(options, report)
    for source in found:
        loaded = _load_for_translation(source, options, analyser, slugs, {}, report)
        if loaded is None:
            continue
        article, mem, article_gloss = loaded
        plans = analyser.plan(article, mem, article_gloss)
        report.articles += 1
        for planned in plans:
            if planned.needs_machine:
                report.review.append(
                    f"{source.path}:{planned.unit.line}: {planned.unit.where}: "
                    "no current translation"
                )
        known = [p for p in plans if p.entry is not None]
        entries = [p.entry for p in known if p.entry is not None]
        lines = {e.source: e.raw.line for e in entries if e.raw is not None}
        queue = review.items(source.path, source.memory_path, known, entries, lines)
        report.queue += _unique(queue)
        report.review.extend(
            plan.problems(
                source.path,
                known,
                entries,
                glossary_problems(article_gloss),
                notes=False,
            )
        )
        sources.local_images(article, options.content, report)
        report.warnings.extend(assemble.removed_from_page(article, options.pair))
    _report_orphans(options, found, report)
    report.queue = review.rank(report.queue)
    report.flagged = len(report.queue)
    return report
