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

import functools
import hashlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from translate_pipeline import (
    assemble,
    fileio,
    memory,
    models,
    plan,
    publish,
    quality,
    render,
    review,
    sources,
    state,
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
from translate_pipeline.config import Options, Pair, language_name
from translate_pipeline.glossary import Glossary
from translate_pipeline.machine import (
    JOURNAL_FILE,
    Backends,
    Journal,
    ModelLoader,
    Pending,
    engine_factory,
    executor_factory,
    translate_waves,
)
from translate_pipeline.markup.generators import REF_SCHEME
from translate_pipeline.memory import Entry, Memory
from translate_pipeline.report import BuildError, Report
from translate_pipeline.sources import Source


@dataclass
class Target:
    """One target language of a build: its pair and memory folder, the glossary and
    journal of its model, and how the model reaches it (`via` "en": through the English
    memory, with an English→target package)."""

    pair: Pair
    options: Options  # this pair's (memory folder)
    glossary: Glossary  # for what the model translates: German, or English for a pivot
    analyser: Analyser
    journal: Journal
    model: ModelLoader
    via: str = ""
    publish: bool = True  # False: English kept only as the step of a pivot
    others: tuple[str, ...] = ()  # the build's other languages, as glossary columns
    pending: Pending = field(default_factory=Pending)

    @property
    def model_pair(self) -> Pair:
        return Pair(self.via or self.pair.source, self.pair.target)

    def article_glossary(self, article: Article) -> Glossary:
        pair = self.model_pair
        return article_glossary(self.glossary, article, pair, self.others)


def routes(options: Options) -> dict[str, str]:
    """How each target is reached (`models.find_route` over the installed packages): ''
    directly (English always), 'en' through English. A target with no route is planned as
    direct; loading its model then says how to install what it needs."""
    source = options.pair.source
    return {
        target: "" if target == "en" else models.find_route(source, target).via or ""
        for target in options.targets
    }


def build(
    options: Options,
    backends: Backends | None = None,
    progress: Progress | None = None,
) -> Report:
    """Build the site; raises BuildError when nothing could be published: exit 1 for an
    output folder that is not ours (refused before anything is written), exit 4 for a file
    system that fails (the site and the memory are then as they were). `backends` opens
    the backend of a model's pair (default: the installed Argos packages, run by
    `options.executor`)."""
    backends = backends or executor_factory(options, None)
    try:
        target = publish.resolve_target(options)
        with ExitStack() as stack:
            stack.enter_context(publish.build_lock(target))
            report = Report()
            targets = _targets(options, routes(options), backends, report, stack)
            return _build(options, target, targets, report, progress)
    except OSError as exc:
        folders = ", ".join(
            fileio.shown(options.memory_dir_for(pair)) for pair in _memory_pairs(options)
        )
        unchanged = (
            f"nothing was published; {fileio.shown(options.out)} and {folders} are as they were"
        )
        raise fileio.failure(exc, unchanged) from None


def _memory_pairs(options: Options) -> list[Pair]:
    """The pairs whose memories a build keeps: every target's, and English for pivots."""
    pairs = list(options.pairs)
    english = Pair(options.pair.source, "en")
    if english not in pairs and any(routes(options).values()):
        pairs.insert(0, english)
    return pairs


def _targets(
    options: Options,
    via: dict[str, str],
    backends: Backends,
    report: Report,
    stack: ExitStack,
    lock: bool = True,
) -> list[Target]:
    """The build's targets, English first (others may be reached through it, and it has
    the review queue); each with its memory folder locked and cleaned of what a killed
    build left (`lock`)."""
    pairs = sorted(_memory_pairs(options), key=lambda pair: pair.target != "en")
    targets: list[Target] = []
    for pair in pairs:
        own = options.for_pair(pair)
        if lock and stack.enter_context(publish.memory_lock(own.memory_dir)):
            fileio.remove_stale(own.memory_dir)  # no other build is writing there
        step = via.get(pair.target, "")
        model_pair = Pair(step or pair.source, pair.target)
        others = options.others(model_pair)
        # Glossary warnings are the same for every pair: reported with the first.
        seen = report if not targets else Report()
        glossary, _ = load_glossaries(options.glossaries, seen, model_pair, others)
        loader = stack.enter_context(ModelLoader(functools.partial(backends, model_pair)))
        targets.append(
            Target(
                pair,
                own,
                glossary,
                Analyser(glossary, pair),
                Journal(own.memory_dir / JOURNAL_FILE, report),
                loader,
                step,
                pair.target in options.targets,
                others,
            )
        )
    for target in targets[1:]:  # languages are detected once per build
        target.analyser.languages = targets[0].analyser.languages
    return targets


def _build(
    options: Options,
    output_target: publish.Target,
    targets: list[Target],
    report: Report,
    progress: Progress | None,
) -> Report:
    main = targets[0]
    published = sorted(
        (t for t in targets if t.publish), key=lambda t: options.targets.index(t.pair.target)
    )
    site = render.Site(
        options.pair.source, tuple(t.pair.target for t in published), options.base_url
    )
    glossary_bytes = load_glossaries(options.glossaries, Report())[1]
    previous_state = state.Previous(output_target.path)
    code = publish.code_fingerprint(
        options.base_url or "", *(f"{t.pair.code}:{t.via}" for t in targets)
    )
    pairs = [t.pair for t in targets]
    found = sources.find_sources(options, report, pairs)
    code_ok = previous_state.code == publish.fingerprint(code)
    published_slugs = previous_state.slugs()  # source path -> slug, of the last build

    shared = [hashlib.sha256(part).digest() for part in (glossary_bytes, code)]

    def fingerprint(source: Source, memory_bytes: bytes | None = None) -> str:
        if memory_bytes is None:
            memory_bytes = source.memory_bytes()
        memory_digest = hashlib.sha256(memory_bytes).digest()
        return publish.fingerprint_digests(source.digest, memory_digest, *shared)

    unchanged = {
        source.path
        for source in found
        if code_ok
        and (entry := previous_state.get(str(source.path))) is not None
        and entry["fingerprint"] == fingerprint(source)
    }
    # A slug keeps the article it was published with: a new file cannot take over a
    # live URL.
    present = {str(source.path) for source in found}
    slugs: dict[str, Path] = {
        slug: Path(path) for path, slug in sorted(published_slugs.items()) if path in present
    }
    direct = [t for t in targets if not t.via]
    pivots = [t for t in targets if t.via]

    # Pass 1: what must the machine translate from the German?
    languages: dict[Path, str] = {}
    for source in found:
        if source.path in unchanged:
            # Nothing to translate; a slug conflict is reported once, here.
            sources.claim_slug(slugs, published_slugs[str(source.path)], source.path, report)
            continue
        loaded = _load_for_translation(source, options, main, slugs, languages, report)
        if loaded is not None:
            article, article_memories = loaded
            for t in direct:
                _collect(t, article, article_memories[t.pair], None, options.frozen)
    if not (options.frozen and pivots and not main.pending):  # --frozen: count pivots too
        _translate(direct, options, report, progress)

    # Pass 1b: what must it translate from the English, for targets reached through it?
    if pivots:
        for source in found:
            if source.path in unchanged:
                continue
            loaded = _load_for_publishing(source, options, main, languages, report)
            if loaded is not None:
                article, article_memories = loaded
                english: dict[str, str] | None = _english(
                    main, article, article_memories[main.pair]
                )
                if english is None:
                    continue  # English the model failed on: reported in pass 2
                for t in pivots:
                    _collect(t, article, article_memories[t.pair], english, options.frozen)
        _translate([*direct, *pivots] if options.frozen else pivots, options, report, progress)
    bounds = review.limits(main.journal.records(), main.pair)

    # Pass 2: settle memories, render pages. Both are staged and published together.
    output = publish.Output(output_target)
    memories = publish.Replacements()
    new_state = state.Writer(publish.fingerprint(code))
    try:
        links = sources.LinkIndex(options.content, slugs)
        for source in found:
            previous = previous_state.get(str(source.path)) if source.path in unchanged else None
            if (
                previous is not None
                and not options.review  # the review page needs every article's queue
                and output.has(previous["files"])
                and _links_current(previous, links, source.path, options)
            ):
                if slugs.get(previous["summary"]["slug"]) != source.path:
                    continue
                output.keep(previous["files"])
                new_state.add(str(source.path), previous)
                report.flagged += previous.get("flagged", 0)
                report.articles += 1
                report.reused_articles += 1
                continue
            loaded = _load_for_publishing(source, options, main, languages, report)
            if loaded is None:
                continue
            article, article_memories = loaded
            if slugs.get(article.slug) != source.path:
                continue
            settled: dict[Pair, tuple[list[plan.Planned], list[Entry]]] = {}
            written = []
            english = None
            flagged = 0
            for t in targets:
                gloss = t.article_glossary(article)
                plans = t.analyser.plan(
                    article, article_memories[t.pair], gloss, english if t.via else None
                )
                if _untranslated(source, plans, t, report, len(targets) > 1):
                    break  # not published (earlier targets' memories keep their entries)
                entries = [_settle(p, t.journal, bounds if t is main else None) for p in plans]
                if t is main and pivots:
                    english = {p.unit.text: e.display for p, e in zip(plans, entries)}
                settled[t.pair] = (plans, entries)
                new_memory = plan.merge(article_memories[t.pair], plans, entries, source.path)
                memory_bytes = memory.render(new_memory, str(source.path), t.pair)
                memories.stage(source.memory_paths[t.pair], memory_bytes)
                written.append(memory_bytes)
                if t is main:
                    flagged = sum(
                        bool(e.review)
                        for e in new_memory.entries.values()
                        if e.origin == memory.MACHINE
                    )
                    if options.review:
                        report.queue += _queue(source, plans, entries, memory_bytes)
                for p in plans:
                    report.units_reused += not p.needs_machine
                    report.glossary_hits += len(p.signature)
                    report.glossary_retranslated += p.reason == plan.GLOSSARY
                label = t.pair.target if len(targets) > 1 else ""
                missing = glossary_problems(gloss)
                report.review.extend(
                    plan.problems(source.path, plans, entries, missing, label=label)
                )
            if len(settled) < len(targets):
                continue
            report.flagged += flagged
            resolve, resolved = _recording(links.resolver(source.path, options.content))
            page, removed = assemble.article_page(
                article, [(t.pair, *settled[t.pair]) for t in published], resolve
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
            new_state.add(
                str(source.path),
                {
                    "fingerprint": fingerprint(source, b"\0".join(written)),
                    "files": sorted(files),
                    "summary": summary.__dict__,
                    "links": resolved,
                    "flagged": flagged,
                },
            )
            report.articles += 1
        site_files = []  # the files of no article
        for rel, data in render.render_indexes(_Summaries(new_state), site):
            output.put(rel, data)
            site_files.append(rel)
        if options.review:
            report.queue = review.rank(report.queue)
            output.put(render.REVIEW_PAGE, render.render_review(report.queue, site))
            site_files.append(render.REVIEW_PAGE)
        # The state file marks the folder as ours and lists every file published in it.
        output.put(state.STATE_FILE, new_state.finish(site_files))

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
        new_state.close()
    if interrupted:
        report.warnings.append("interrupted while publishing; the build finished first")
    if output.leftover:
        report.warnings.append(
            f"{fileio.shown(output.staging)}: the previous site could not be removed "
            f"({output.leftover}); remove it by hand, the next build needs it gone"
        )
    for t in targets:
        t.journal.remove()
        _report_orphans(t.options, found, t.pair, report)
    return report


class _Summaries:
    """The index entries of the articles in the new state, read back from its file one by
    one: the indexes of an archive would otherwise keep every article's titles in memory."""

    def __init__(self, written: state.Writer) -> None:
        self.written = written

    def __len__(self) -> int:
        return len(self.written)

    def __getitem__(self, index: int) -> render.Summary:
        return render.Summary(**self.written.entry(index)["summary"])


def _collect(
    t: Target,
    article: Article,
    mem: Memory,
    english: dict[str, str] | None,
    frozen: bool,
) -> None:
    """Add the article's units that need the machine to the target's pending work."""
    gloss = t.article_glossary(article)
    for planned in t.analyser.plan(article, mem, gloss, english):
        if planned.needs_machine and not t.journal.has(planned.input, planned.signature):
            t.pending.add(planned.input, planned.signature, gloss)
            if not frozen:
                t.model.start()


def _translate(
    targets: list[Target], options: Options, report: Report, progress: Progress | None
) -> None:
    """One globally batched run of each target's model over its pending units."""
    waiting = [t for t in targets if t.pending]
    if options.frozen and waiting:
        total = sum(len(t.pending) for t in waiting)
        counts = ", ".join(f"{len(t.pending)} into {language_name(t.pair.target)}" for t in waiting)
        raise BuildError(
            f"--frozen: {total} unit(s) have no current translation"
            f"{f' ({counts})' if len(options.targets) > 1 else ''}; "
            "run `translate-pipeline check` to list them (nothing was written)"
        )
    for t in waiting:
        backend = t.model.result()
        label = model_label(backend)
        report.model = f"{report.model}, {label}" if report.model else label
        translate_waves(t.pending, backend, t.journal, report, progress)
        t.pending.close()


def _english(main: Target, article: Article, mem: Memory) -> dict[str, str] | None:
    """Each unit's English as pass 2 will settle it: what a pivot translates; None when
    the model failed on some of it."""
    plans = main.analyser.plan(article, mem, main.article_glossary(article))
    if any(p.needs_machine and main.journal.get(p.input, p.signature) is None for p in plans):
        return None
    return {p.unit.text: _settle(p, main.journal, None).display for p in plans}


def _untranslated(
    source: Source, plans: list[plan.Planned], t: Target, report: Report, label: bool
) -> bool:
    """Whether the model failed on units of the article (a `backend.Failed` batch, or
    English it failed on for a target reached through it): each is reported with its
    `file:line`, and the article is not published."""
    lost = [p for p in plans if p.needs_machine and t.journal.get(p.input, p.signature) is None]
    for p in lost:
        reason = report.untranslated.get(p.input, "no machine translation")
        report.errors.append(
            f"{source.path}:{p.unit.line}: {p.unit.where}"
            f"{f' ({t.pair.target})' if label else ''}: not translated: {reason}; "
            "the article is not published"
        )
    return bool(lost)


def _settle(p: plan.Planned, journal: Journal, bounds: quality.Thresholds | None) -> Entry:
    """The unit's entry, with the review signals of a fresh machine translation."""
    record = journal.get(p.input, p.signature) if p.needs_machine else None
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
    main: Target,
    slugs: dict[str, Path],
    languages: dict[Path, str],
    report: Report,
) -> tuple[Article, dict[Pair, Memory]] | None:
    """An article that reads, owns its slug and is in the source language, with its
    memories; otherwise reported, None. The language is kept for pass 2."""
    loaded = sources.load(source, report)
    if loaded is None:
        return None
    article, memories = loaded
    if article.draft:
        report.warnings.append(f"{source.path}: a draft (draft: true); not published")
        return None
    try:
        main.article_glossary(article)
    except ArticleError as exc:
        report.errors.append(str(exc))
        return None
    lang = languages[source.path] = article_language(article, memories[main.pair], options.pair)
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
    return article, memories


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
    source: Source, options: Options, main: Target, languages: dict[Path, str], report: Report
) -> tuple[Article, dict[Pair, Memory]] | None:
    """A later pass's reading of an article; its problems were reported in pass 1 (or, for
    an article pass 1 found unchanged, when it was built last), except a file changed
    since then."""
    seen = Report()
    loaded = sources.load(source, seen)
    if loaded is None:
        report.errors.extend(error for error in seen.errors if error not in report.errors)
        return None
    article, memories = loaded
    lang = languages.get(source.path) or article_language(
        article, memories[main.pair], options.pair
    )
    if lang != options.pair.source or article.draft:
        return None
    try:
        main.article_glossary(article)
    except ArticleError:
        return None
    return article, memories


def _named_language(path: Path) -> str:
    """`index.en.md` → 'en': Hugo's way of naming a page's language."""
    parts = path.name.split(".")
    return parts[-2].lower() if len(parts) >= 3 and len(parts[-2]) == 2 else ""


def _report_orphans(options: Options, found: list[Source], pair: Pair, report: Report) -> None:
    used = {source.memory_paths.get(pair) for source in found}
    for orphan in sorted(options.memory_dir.rglob("*.po")):
        if orphan not in used and orphan.is_file():  # a FIFO was reported as one already
            report.warnings.append(
                f"{orphan}: no article uses this translation memory any more; if the "
                "article was renamed, rename this file the same way to keep its work"
            )


def check(options: Options) -> Report:
    """What `check` reports: every unit without a current translation, every fuzzy
    entry, every glossary target missing, in every target language, and every warning a
    build would give. Writes nothing."""
    report = Report()
    with ExitStack() as stack:
        backends = engine_factory(options, None)  # never opened: check loads no model
        targets = _targets(options, routes(options), backends, report, stack, lock=False)
    main = targets[0]
    slugs: dict[str, Path] = {}
    found = sources.find_sources(options, report, [t.pair for t in targets])
    for source in found:
        loaded = _load_for_translation(source, options, main, slugs, {}, report)
        if loaded is None:
            continue
        article, memories = loaded
        report.articles += 1
        english: dict[str, str] | None = None
        for t in targets:
            gloss = t.article_glossary(article)
            plans = t.analyser.plan(article, memories[t.pair], gloss, english if t.via else None)
            label = f" ({t.pair.target})" if len(targets) > 1 else ""
            report.review.extend(
                f"{source.path}:{p.unit.line}: {p.unit.where}{label}: no current translation"
                for p in plans
                if p.needs_machine
            )
            known = [p for p in plans if p.entry is not None]
            entries = [p.entry for p in known if p.entry is not None]
            if t is main:
                english = {p.unit.text: e.display for p, e in zip(known, entries)}
                lines = {e.source: e.raw.line for e in entries if e.raw is not None}
                queue = review.items(source.path, source.memory_path, known, entries, lines)
                report.queue += _unique(queue)
            report.review.extend(
                plan.problems(
                    source.path,
                    known,
                    entries,
                    glossary_problems(gloss),
                    notes=False,
                    label=label.strip(" ()"),
                )
            )
        sources.local_images(article, options.content, report)
        report.warnings.extend(assemble.removed_from_page(article, options.pair))
    for t in targets:
        _report_orphans(t.options, found, t.pair, report)
    report.queue = review.rank(report.queue)
    report.flagged = len(report.queue)
    return report
