"""Glossary: editor-maintained German→English overrides for names and terms.

Files
-----
Every ``*.yaml``, ``*.yml`` and ``*.tsv`` file in ``glossaries/`` is loaded, in
sorted file-name order. When two entries claim the same German term, the later
one wins (``lint`` reports it). A YAML file is a list of entries::

    - de: Kiew              # German term (required)
      en: Kyiv              # English to emit (required)
      note: AP style        # free text for editors (optional)
      variants: [Kyjiw]     # further German spellings, same target (optional)
      case_sensitive: true  # default true (names); false for common nouns
      genitive: possessive  # possessive | plain | off; true = possessive, false = off
      plural: false         # also match the -n/-en forms (default false)
      en_plural: regions    # English for the -n/-en forms (default: en)

Comments are allowed. Quote terms YAML would read as something else
(``"NO"``, ``"1860"``, ``"yes"``). A mapping ``{Kiew: Kyiv}`` is shorthand for
entries with only ``de`` and ``en``. A ``.tsv`` file has ``de<TAB>en[<TAB>note]``
per line; blank lines and ``#`` lines are skipped.

The term keys are the language pair's codes (``de``/``en``/``en_plural`` for
German→English); ``source``/``target``/``target_plural`` work for any pair.

More target languages: an entry has a key per language (``fr: Kyiv``, ``uk: Київ``,
``fr_plural``), and a build loads the glossary once per pair it translates (de→fr, or
en→fr for the step of a pivot through English). An entry without the pair's key is left
to the model for that pair; an entry with no target key at all is an error. A ``.tsv``
file whose first row names the columns by language (``de<TAB>en<TAB>fr<TAB>note``) has a
column per language; without such a row its columns are ``de``, ``en`` and a note. The
English possessive (``genitive: possessive``) applies to English targets only; other
targets get the term as it is (``plain``).

Per article, front matter ``glossary:`` takes the same list (or a de→en
mapping); ``Glossary.with_overrides`` drops global entries with the same ``de``
(ignoring case) and adds the article's entries with higher priority.

Matching
--------
* Whole words: a term matches only between non-word characters (Unicode
  letters, digits and ``_`` are word characters), so ``Rutte`` does not match in
  ``Ruttenberg``. A hyphen is a boundary: ``Trump`` matches in
  ``Trump-Regierung``; add ``Trump-Regierung`` as its own entry to translate the
  compound as a whole (the longer entry wins). Compounds without a hyphen
  (``Kremlchef``) need their own entry. Spaces in a term match any whitespace,
  including line breaks.
* Genitive: ``<term>s`` and ``<term>es`` also match. ``possessive`` (default for
  case-sensitive entries, i.e. names) emits ``Putin's``, or ``Brussels'`` for a
  target ending in ``s``; ``plain`` (default for ``case_sensitive: false``)
  emits ``en`` unchanged, for terms English renders as "of the ...";
  ``off`` stops matching these forms (for a term whose ``-s`` form is another
  word).
* ``plural: true`` also matches ``<term>n``/``<term>en`` and emits ``en_plural``
  (or ``en``).
* Variants get the same genitive/plural forms as ``de``. A form written in the
  glossary (``de`` or a variant) beats a generated one.
* At each position the longest form wins (``Truth Social`` over ``Social``);
  matches do not overlap and are found left to right.
* Markdown code (spans and fenced blocks), link and image destinations,
  reference labels and definitions, autolinks, HTML tags and comments, bare URLs
  and e-mail addresses are never matched; callers may add protected spans.
* A term must start with a letter or digit and have no surrounding spaces.

Checks
------
``missing_targets`` counts, per hit, one whole-word occurrence of ``en`` (or
``en_plural``) in the English; the possessive is not required, since "die Rede
Putins" may rightly become "the speech of Putin". ``lint`` reports, as
``file:line: message``: files that do not parse, unknown keys, wrong types,
empty fields, duplicate terms and conflicting targets (also across files),
terms that can never match, variants that repeat another entry or an automatic
inflection, and (as warnings) inflections that collide with another entry and
terms inside a longer term whose English lacks their target.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import os
import re
import stat
from bisect import bisect_left
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from translate_pipeline import fileio
from translate_pipeline.config import Pair
from translate_pipeline.markup import patterns

GLOSSARY_SUFFIXES = (".yaml", ".yml", ".tsv")
MAX_GLOSSARY_BYTES = 64 * 2**20  # checked before a file is read
# The keys of an entry; the term and its translation are named by language code (`de`, `en`,
# `en_plural` for German→English) or generically (`source`, `target`, `target_plural`).
OTHER_KEYS = ("note", "variants", "case_sensitive", "genitive", "plural")
GENITIVE_MODES = ("possessive", "plain", "off")


def _key_names(pair: Pair) -> dict[str, str]:
    """The language-code names of the generic keys, as editors write them."""
    return {"source": pair.source, "target": pair.target, "target_plural": f"{pair.target}_plural"}


def known_keys(pair: Pair | None = None) -> tuple[str, ...]:
    names = _key_names(pair or Pair())
    return (names["source"], names["target"], *OTHER_KEYS, names["target_plural"])


_WORD = re.compile(r"\w+")
# Markdown that is not prose: terms there are never matched.
_PROTECTED = patterns.union(
    patterns.FENCED_CODE,
    patterns.CODE_SPAN,
    patterns.LINK_DESTINATION,
    patterns.REFERENCE_LABEL,
    patterns.REFERENCE_DEFINITION,
    patterns.HTML_COMMENT,
    patterns.AUTOLINK,
    patterns.EMAIL_AUTOLINK,
    patterns.HTML_TAG,
    patterns.URL,
    patterns.EMAIL,
)


@dataclass(frozen=True)
class Term:
    """One glossary entry; ``file``/``line`` point editors back to its source."""

    source: str  # the term in the source language
    target: str  # what to emit in the target language
    note: str = ""
    variants: tuple[str, ...] = ()
    case_sensitive: bool = True
    genitive: str = "possessive"
    plural: bool = False
    target_plural: str = ""
    file: str = ""
    line: int = 0

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class Match:
    """A glossary hit in German text; ``target`` is the English to emit for ``source``."""

    start: int
    end: int
    source: str
    term: Term
    target: str
    form: str  # "base", "variant", "genitive" or "plural"

    @property
    def expected(self) -> str:
        """English that must appear in a translation: the target without the possessive,
        since "die Rede Putins" may correctly become "the speech of Putin"."""
        return _expected(self.term, self.form)


@dataclass(frozen=True)
class LintProblem:
    file: str
    line: int
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}"


class GlossaryError(ValueError):
    """A glossary that cannot be loaded; carries every problem, each as ``file:line: message``."""

    def __init__(self, problems: Iterable[LintProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(map(str, self.problems)))


@dataclass(frozen=True)
class _Form:
    surface: str
    target: str
    kind: str
    term: Term
    root: str  # the de or variant this form is built from

    @property
    def explicit(self) -> bool:
        return self.kind in ("base", "variant")


@dataclass(frozen=True)
class _Candidate:
    rank: tuple[int, bool, int]
    pattern: re.Pattern[str]
    form: _Form


@dataclass(frozen=True)
class Glossary:
    """Entries in priority order (later wins) plus a first-word index, so matching costs
    a dict lookup per word of text whatever the glossary size."""

    entries: tuple[Term, ...] = ()
    _cs: dict[str, list[_Candidate]] = field(init=False, repr=False, compare=False)
    _ci: dict[str, list[_Candidate]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        cs: dict[str, list[_Candidate]] = {}
        ci: dict[str, list[_Candidate]] = {}
        for priority, entry in enumerate(self.entries):
            for form in _forms(entry):
                if not _matchable(form.surface):
                    continue
                first = _WORD.findall(form.surface)[0]
                pattern = _form_pattern(form.surface, entry.case_sensitive)
                rank = (-len(form.surface), not form.explicit, -priority)
                table, key = (cs, first) if entry.case_sensitive else (ci, first.lower())
                table.setdefault(key, []).append(_Candidate(rank, pattern, form))
        for table in (cs, ci):
            for candidates in table.values():
                candidates.sort(key=lambda c: c.rank)
        object.__setattr__(self, "_cs", cs)
        object.__setattr__(self, "_ci", ci)
        object.__setattr__(self, "_find", functools.lru_cache(maxsize=4096)(self._find))

    def with_overrides(
        self,
        overrides: object,
        source: str = "front matter",
        pair: Pair | None = None,
        others: Collection[str] = (),
    ) -> Glossary:
        """Per-article glossary: front matter data (or terms) replacing global entries
        with the same source term, ignoring case so an article can retarget a common noun."""
        if isinstance(overrides, Sequence) and all(isinstance(e, Term) for e in overrides):
            new = [e for e in overrides if isinstance(e, Term)]
        else:
            new, problems = parse_entries(overrides, source, pair, others)
            if errors := [p for p in problems if p.severity == "error"]:
                raise GlossaryError(errors)
        replaced = {e.source.lower() for e in new}
        kept = tuple(e for e in self.entries if e.source.lower() not in replaced)
        return Glossary(kept + tuple(new))

    def find(self, text: str, protected: Iterable[tuple[int, int]] = ()) -> list[Match]:
        """Glossary hits in ``text``, skipping Markdown code/URLs and ``protected`` spans.
        A build asks about each unit at several stages: the answer is kept (per glossary)."""
        return list(self._find(text, tuple(protected)))

    def _find(self, text: str, protected: tuple[tuple[int, int], ...]) -> tuple[Match, ...]:
        spans = _merge_spans([*markdown_protected_spans(text), *protected])
        starts = [s for s, _ in spans]
        matches: list[Match] = []
        pos = 0
        for word in _WORD.finditer(text):
            start = word.start()
            if start < pos:
                continue
            for candidate in self._candidates(word.group()):
                hit = candidate.pattern.match(text, start)
                if hit and not _overlaps(spans, starts, start, hit.end()):
                    form = candidate.form
                    matches.append(
                        Match(start, hit.end(), hit.group(), form.term, form.target, form.kind)
                    )
                    pos = hit.end()
                    break
        return tuple(matches)

    def _candidates(self, word: str) -> list[_Candidate]:
        cs = self._cs.get(word, [])
        ci = self._ci.get(word.lower(), [])
        return sorted(cs + ci, key=lambda c: c.rank) if cs and ci else cs or ci


def markdown_protected_spans(text: str) -> list[tuple[int, int]]:
    """Regions of Markdown that are not prose (code, URLs, markup), as (start, end)."""
    return [m.span() for m in _PROTECTED.finditer(text)]


def missing_targets(english: str, matches: Sequence[Match]) -> list[Match]:
    """Matches whose expected English is absent from ``english``, counting multiplicity.

    Longer targets claim their occurrences first, so the "Trump" inside "Donald Trump"
    does not also count for a separate "Trump" hit.
    """
    groups: dict[tuple[str, bool], list[Match]] = {}
    for m in matches:
        groups.setdefault((m.expected, m.term.case_sensitive), []).append(m)
    claimed: list[tuple[int, int]] = []
    missing: list[Match] = []
    for (phrase, case_sensitive), group in sorted(groups.items(), key=lambda g: -len(g[0][0])):
        free = [
            hit.span()
            for hit in _whole_phrase(phrase, case_sensitive).finditer(english)
            if not any(s < hit.end() and hit.start() < e for s, e in claimed)
        ]
        claimed += free[: len(group)]
        missing += group[len(free) :]
    return sorted(missing, key=lambda m: m.start)


# --- parsing (pure: text or data in) -------------------------------------------------------

_Fields = dict[str, tuple[object, int]]


def parse_yaml(
    text: str, file: str, pair: Pair | None = None, others: Collection[str] = ()
) -> tuple[list[Term], list[LintProblem]]:
    """Entries of a YAML glossary with the line of each entry, plus schema problems.
    `others`: the build's other languages, whose keys an entry may have too."""
    names = _key_names(pair or Pair())
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return [], []
        items: list[tuple[_Fields, int]] = []
        problems: list[LintProblem] = []
        if isinstance(root, yaml.MappingNode):
            for key, value in root.value:
                line = key.start_mark.line + 1
                fields: _Fields = {
                    names["source"]: (loader.construct_object(key, deep=True), line),
                    names["target"]: (loader.construct_object(value, deep=True), line),
                }
                items.append((fields, line))
        elif isinstance(root, yaml.SequenceNode):
            for node in root.value:
                line = node.start_mark.line + 1
                if not isinstance(node, yaml.MappingNode):
                    message = "entry must be a mapping with {}, {}".format(*known_keys(pair))
                    problems.append(LintProblem(file, line, message))
                    continue
                fields = {}
                for key, value in node.value:
                    name = _key_text(loader.construct_object(key, deep=True))
                    at = key.start_mark.line + 1
                    if name in fields:
                        problems.append(LintProblem(file, at, f"key {name!r} repeated in entry"))
                    fields[name] = (loader.construct_object(value, deep=True), at)
                items.append((fields, line))
        else:
            msg = "top level must be a list of entries or a {}: {} mapping".format(
                *known_keys(pair)
            )
            return [], [LintProblem(file, root.start_mark.line + 1, msg)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        if "\\t" in message or "'\t'" in message:
            message = "a tab character; YAML indents with spaces only"
        return [], [LintProblem(file, mark.line + 1 if mark else 0, f"YAML: {message}")]
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        return [], [LintProblem(file, line, f"YAML: {exc.reason}")]
    finally:
        loader.dispose()
    entries, entry_problems = _entries_from_items(items, file, pair, others)
    return entries, problems + entry_problems


def parse_tsv(
    text: str, file: str, pair: Pair | None = None, others: Collection[str] = ()
) -> tuple[list[Term], list[LintProblem]]:
    """Entries of a ``de<TAB>en[<TAB>note]`` glossary, for bulk lists exported from
    spreadsheets; a first row of language codes (``de<TAB>en<TAB>fr<TAB>note``) names
    the columns instead."""
    items: list[tuple[_Fields, int]] = []
    problems: list[LintProblem] = []
    names = _key_names(pair or Pair())
    keys: tuple[str, ...] = ("de", "en", "note")
    headed = False  # a header row named the columns
    languages = {names["source"], names["target"], *others}
    first = True
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        cols = raw.split("\t")
        if first and _language_columns(cols, languages):
            keys = tuple(c.strip().lower() for c in cols)
            first, headed = False, True
            continue
        if first and _is_header(cols, pair):
            message = f"first row {raw.strip()!r} is a header, not a term; skipped"
            problems.append(LintProblem(file, n, message, "warning"))
            first = False
            continue
        first = False
        while len(cols) > 2 and not cols[-1].strip():
            cols.pop()  # spreadsheets export empty trailing columns as trailing tabs
        if not 2 <= len(cols) <= len(keys):
            shown = "<TAB>".join(k for k in keys if k != "note") + "[<TAB>note]" * ("note" in keys)
            msg = f"expected {shown}, got {len(cols)} column(s)"
            problems.append(LintProblem(file, n, msg))
            continue
        written: _Fields = {k: (v, n) for k, v in zip(keys, cols) if v.strip() or k != "note"}
        if not headed:  # the fixed columns: name them as the pair does
            written = {_canonical_tsv_key(k, names): v for k, v in written.items()}
        items.append((written, n))
    entries, entry_problems = _entries_from_items(items, file, pair, others)
    return entries, problems + entry_problems


def _canonical_tsv_key(key: str, names: dict[str, str]) -> str:
    """The columns of a TSV file without a header are the pair's source and target."""
    return {"de": names["source"], "en": names["target"]}.get(key, key)


def _language_columns(cols: list[str], languages: Collection[str]) -> bool:
    """A header row naming each column by language code (and `note`)."""
    cells = [c.strip().lower() for c in cols]
    codes = [c for c in cells if c != "note"]
    return len(codes) >= 2 and all(c.removesuffix("_plural") in languages for c in codes)


_HEADER_WORDS = {"source", "target", "term", "translation", "note", "notes", "comment"}


def _is_header(cols: list[str], pair: Pair | None) -> bool:
    """A spreadsheet's header row: `de  en  note`, `Deutsch  English`, `source  target`."""
    names = _key_names(pair or Pair())
    words = {*_HEADER_WORDS, names["source"], names["target"], "deutsch", "german", "english"}
    cells = [c.strip().lower() for c in cols if c.strip()]
    return len(cells) >= 2 and all(c in words for c in cells)


def parse_entries(
    data: object,
    file: str = "front matter",
    pair: Pair | None = None,
    others: Collection[str] = (),
) -> tuple[list[Term], list[LintProblem]]:
    """Entries from already-parsed data (front matter), which has no line numbers: problems
    name the entry by position instead."""
    if isinstance(data, Mapping):
        names = _key_names(pair or Pair())
        items = [{names["source"]: k, names["target"]: v} for k, v in data.items()]
    elif isinstance(data, list):
        items = data
    else:
        message = "glossary must be a list of entries or a {}: {} mapping".format(*known_keys(pair))
        return [], [LintProblem(file, 0, message)]
    entries: list[Term] = []
    problems: list[LintProblem] = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, Mapping):
            problems.append(LintProblem(file, 0, f"glossary entry {n}: must be a mapping"))
            continue
        entry, entry_problems = _entry_from_fields(
            {_key_text(k): (v, 0) for k, v in item.items()}, file, 0, pair, others
        )
        problems += [
            LintProblem(file, 0, f"glossary entry {n}: {p.message}", p.severity)
            for p in entry_problems
        ]
        if entry is not None:
            entries.append(entry)
    return entries, problems


def _shown(value: object, limit: int = 60) -> str:
    """A value as a message shows it: its repr, shortened; never an error, however large
    (Python refuses to print integers of more than 4300 digits) or deeply nested."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a {value.bit_length()}-bit number"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__} too large to show"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _key_text(key: object) -> str:
    """A mapping key as the name of a field (YAML keys can be numbers or lists)."""
    return key if isinstance(key, str) else _shown(key)


def _entries_from_items(
    items: list[tuple[_Fields, int]], file: str, pair: Pair | None, others: Collection[str] = ()
) -> tuple[list[Term], list[LintProblem]]:
    entries: list[Term] = []
    problems: list[LintProblem] = []
    for fields, line in items:
        entry, entry_problems = _entry_from_fields(fields, file, line, pair, others)
        problems += entry_problems
        if entry is not None:
            entries.append(entry)
    return entries, problems


def _entry_from_fields(
    written: _Fields, file: str, line: int, pair: Pair | None, others: Collection[str] = ()
) -> tuple[Term | None, list[LintProblem]]:
    """The entry for `pair`; None without problems when it is for other languages only."""
    problems: list[LintProblem] = []
    pair = pair or Pair()
    names = _key_names(pair)
    known = known_keys(pair)
    canonical = {name: key for key, name in names.items()}
    others = set(others) - {pair.source, pair.target}
    fields: _Fields = {}
    shown: dict[str, str] = dict(names)  # key -> the name messages use for it

    def problem(message: str, at: int = line, severity: str = "error") -> None:
        problems.append(LintProblem(file, at, message, severity))

    if "target" not in written and names["target"] not in written and others:
        if any(key.removesuffix("_plural") in others for key in written):
            return None, []  # a term for other languages: the model translates it here
    for key, (value, at) in written.items():
        name = canonical.get(key, key)
        if key.removesuffix("_plural") in others:
            continue  # another language's column
        if name not in (*names, *OTHER_KEYS):
            close = difflib.get_close_matches(str(key), [*known, *names], n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
            problem(f"unknown key {key!r} ({hint})", at)
        elif name in fields:
            problem(f"{key!r} and {shown[name]!r} both given; keep one", at)
        else:
            fields[name] = (value, at)
            shown[name] = key

    def text(key: str, required: bool) -> str:
        if key not in fields:
            if required:
                problem(f"missing {shown.get(key, key)!r}")
            return ""
        value, at = fields[key]
        if value is not None and not isinstance(value, str):
            problem(
                f"{shown.get(key, key)!r} must be text, got {_shown(value)}; put it in quotes", at
            )
            return ""
        if not value or not value.strip():
            problem(f"empty {shown.get(key, key)!r}", at, "error" if required else "warning")
            return ""
        if value != value.strip() and key != "note":
            problem(
                f"{shown.get(key, key)} {value!r} has spaces around it; used as {value.strip()!r}",
                at,
                "warning",
            )
        return value.strip()

    def flag(key: str, default: bool) -> bool:
        value, at = fields.get(key, (default, line))
        if not isinstance(value, bool):
            problem(f"{key!r} must be true or false, got {_shown(value)}", at)
            return default
        return value

    source, target, note, target_plural = (
        text("source", True),
        text("target", True),
        text("note", False),
        text("target_plural", False),
    )
    case_sensitive = flag("case_sensitive", True)
    plural = flag("plural", False)

    genitive, at = fields.get("genitive", ("possessive" if case_sensitive else "plain", line))
    if isinstance(genitive, bool):
        genitive = "possessive" if genitive else "off"
    if genitive not in GENITIVE_MODES:
        modes = ", ".join(GENITIVE_MODES)
        problem(f"'genitive' must be one of {modes}, got {_shown(genitive)}", at)
    elif genitive == "possessive" and pair.target != "en":
        genitive = "plain"  # the possessive is English grammar

    raw_variants, at = fields.get("variants", ([], line))
    variants: list[str] = []
    if raw_variants is None:
        problem("empty 'variants'", at, "warning")
    elif not isinstance(raw_variants, list):
        problem(f"'variants' must be a list such as [Kyjiw], got {_shown(raw_variants)}", at)
    else:
        for variant in raw_variants:
            if isinstance(variant, str) and variant.strip():
                variants.append(variant)
            else:
                problem(f"variant {_shown(variant)} must be non-empty text", at)

    if any(p.severity == "error" for p in problems):
        return None, problems
    entry = Term(
        source=source,
        target=target,
        note=note,
        variants=tuple(variants),
        case_sensitive=case_sensitive,
        genitive=str(genitive),
        plural=plural,
        target_plural=target_plural,
        file=file,
        line=line,
    )
    return entry, problems


# --- loading (the only file I/O) -----------------------------------------------------------


def glossary_files(paths: Iterable[Path], skipped: list[str] | None = None) -> list[Path]:
    """Directories expand to their glossary files in sorted order; files are kept as given.
    Only regular files: a FIFO, socket or device is never opened (reading it could wait
    forever) but reported in `skipped`; a folder with a glossary's name is passed over."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            candidates = sorted(p for p in path.iterdir() if p.suffix in GLOSSARY_SUFFIXES)
        else:
            candidates = [path]
        for candidate in candidates:
            try:
                mode = os.stat(candidate).st_mode
            except FileNotFoundError:
                mode = stat.S_IFREG  # reported as missing when read
            if stat.S_ISREG(mode):
                files.append(candidate)
            elif not stat.S_ISDIR(mode) and skipped is not None:
                skipped.append(f"{candidate}: not a regular file ({fileio.kind(mode)}); skipped")
    return files


def read_glossary_file(
    path: Path, pair: Pair | None = None, others: Collection[str] = ()
) -> tuple[list[Term], list[LintProblem]]:
    try:
        data = fileio.read_input(path, MAX_GLOSSARY_BYTES)
    except fileio.Unreadable as exc:
        return [], [LintProblem(str(path), 0, f"file is {exc.reason}")]
    notes: list[LintProblem] = []
    if data.startswith(b"\xef\xbb\xbf"):  # spreadsheets save UTF-8 with one
        data = data[3:]
        message = "starts with a byte order mark (BOM); read without it"
        notes.append(LintProblem(str(path), 1, message, "warning"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return [], [LintProblem(str(path), line, "not valid UTF-8; save it as UTF-8")]
    text = text.replace("\r\n", "\n")
    if path.suffix == ".tsv":
        entries, problems = parse_tsv(text, str(path), pair, others)
    else:
        entries, problems = parse_yaml(text, str(path), pair, others)
    return entries, notes + problems


def load_glossary(
    paths: Path | Iterable[Path], pair: Pair | None = None, others: Collection[str] = ()
) -> Glossary:
    return load_glossary_reporting(paths, pair, others=others)[0]


def load_glossary_reporting(
    paths: Path | Iterable[Path],
    pair: Pair | None = None,
    skipped: list[str] | None = None,
    others: Collection[str] = (),
) -> tuple[Glossary, list[LintProblem]]:
    """Glossary from files and/or directories, with what a build should warn about
    (BOMs, header rows, stray spaces, duplicates and conflicting targets, terms that can
    never match). Raises GlossaryError on any file that does not parse or entry that is
    malformed, so a typo never silently drops a term. Files that are not regular files are
    listed in `skipped`."""
    entries: list[Term] = []
    errors: list[LintProblem] = []
    warnings: list[LintProblem] = []
    for path in glossary_files([paths] if isinstance(paths, Path) else paths, skipped):
        file_entries, problems = read_glossary_file(path, pair, others)
        entries += file_entries
        errors += sorted((p for p in problems if p.severity == "error"), key=lambda p: p.line)
        warnings += [p for p in problems if p.severity != "error"]
    if errors:
        raise GlossaryError(errors)
    checks = _duplicate_problems(entries) + [
        p for e in entries for p in _entry_problems(e, _key_names(pair or Pair()))
    ]
    warnings += [dataclasses.replace(p, severity="warning") for p in checks]
    return Glossary(tuple(entries)), sorted(warnings, key=lambda p: (p.file, p.line))


def lint(
    paths: Path | Iterable[Path], pair: Pair | None = None, others: Collection[str] = ()
) -> list[LintProblem]:
    """Every problem in the glossary files, across files, ordered by file and line."""
    entries: list[Term] = []
    problems: list[LintProblem] = []
    skipped: list[str] = []
    for path in glossary_files([paths] if isinstance(paths, Path) else paths, skipped):
        file_entries, file_problems = read_glossary_file(path, pair, others)
        entries += file_entries
        problems += file_problems
    problems += lint_entries(entries, pair)
    for line in skipped:
        file, _, message = line.partition(": ")
        problems.append(LintProblem(file, 0, message, "warning"))
    return sorted(problems, key=lambda p: (p.file, p.line))


# --- lint (pure) ---------------------------------------------------------------------------


def lint_entries(entries: Sequence[Term], pair: Pair | None = None) -> list[LintProblem]:
    """Semantic problems of loaded entries (in load order): unmatchable terms, duplicates,
    conflicts, clashing variants/inflections and overlaps that change meaning."""
    problems: list[LintProblem] = []
    names = _key_names(pair or Pair())
    for entry in entries:
        problems += _entry_problems(entry, names)
    problems += _duplicate_problems(entries)
    problems += _form_clash_problems(entries)
    problems += _overlap_problems(Glossary(tuple(entries)))
    return problems


def _entry_problems(entry: Term, names: dict[str, str]) -> list[LintProblem]:
    problems: list[LintProblem] = []

    def problem(message: str, severity: str = "error") -> None:
        problems.append(LintProblem(entry.file, entry.line, message, severity))

    terms = [(names["source"], entry.source), *(("variant", v) for v in entry.variants)]
    for label, term in terms:
        if term != term.strip():
            problem(f"{label} {term!r} has leading or trailing whitespace; it never matches")
        elif not any(c.isalnum() for c in term):
            problem(f"{label} {term!r} has no letters or digits; it never matches")
        elif not _matchable(term):
            problem(f"{label} {term!r} must start with a letter or digit to match as a word")
        elif entry.case_sensitive and term == term.lower() != term.upper():
            problem(
                f"{label} {term!r} is all lowercase but case-sensitive, so it misses the "
                "capitalised noun and sentence starts; set case_sensitive: false",
                "warning",
            )
    seen = {entry.source}
    for variant in entry.variants:
        if variant in seen:
            repeated = names["source"] if variant == entry.source else "a variant"
            problem(f"variant {variant!r} repeats {repeated}")
        seen.add(variant)
    if entry.target != entry.target.strip():
        problem(f"{names['target']} {entry.target!r} has leading or trailing whitespace")
    if entry.target_plural and not entry.plural:
        problem(f"'{names['target_plural']}' has no effect without 'plural: true'", "warning")
    return problems


def _same_term(a: str, a_cs: bool, b: str, b_cs: bool) -> bool:
    return a == b if a_cs and b_cs else a.lower() == b.lower()


def _duplicate_problems(entries: Sequence[Term]) -> list[LintProblem]:
    problems: list[LintProblem] = []
    by_term: dict[str, list[Term]] = {}
    for entry in entries:
        earlier = by_term.setdefault(entry.source.lower(), [])
        first = next(
            (
                e
                for e in earlier
                if _same_term(e.source, e.case_sensitive, entry.source, entry.case_sensitive)
            ),
            None,
        )
        if first is not None:
            if first.target == entry.target:
                message = f"duplicate entry {entry.source!r} (also at {first.location})"
            else:
                message = (
                    f"conflicting targets for {entry.source!r}: {entry.target!r} here, "
                    f"{first.target!r} at {first.location}; the later entry wins"
                )
            problems.append(LintProblem(entry.file, entry.line, message))
        earlier.append(entry)
    return problems


def _describe(form: _Form) -> str:
    if form.kind == "base":
        return f"entry {form.surface!r} at {form.term.location}"
    if form.kind == "variant":
        return f"variant of {form.term.source!r} at {form.term.location}"
    return f"{form.kind} of {form.term.source!r} at {form.term.location}"


def _form_clash_problems(entries: Sequence[Term]) -> list[LintProblem]:
    """Two forms with the same surface: only one can win, so the other is dead or surprising."""
    problems: list[LintProblem] = []
    by_surface: dict[str, list[_Form]] = {}
    for entry in entries:
        for form in _forms(entry):
            if not _matchable(form.surface):
                continue
            earlier = by_surface.setdefault(form.surface.lower(), [])
            for other in earlier:
                cs = (form.term.case_sensitive, other.term.case_sensitive)
                if not _same_term(form.surface, cs[0], other.surface, cs[1]):
                    continue
                problem = _clash(form, other)
                if problem:
                    problems.append(problem)
                    break
            earlier.append(form)
    return problems


def _clash(form: _Form, other: _Form) -> LintProblem | None:
    entry, surface = form.term, form.surface
    if form.term is other.term:
        if form.explicit == other.explicit:
            return None  # repeated variants are reported per entry; generated twins are harmless
        variant, generated = (form, other) if form.explicit else (other, form)
        if generated.target == entry.target:
            message = (
                f"variant {variant.surface!r} is redundant: already the {generated.kind} "
                f"of {entry.source!r}"
            )
        else:
            message = (
                f"variant {variant.surface!r} is also the {generated.kind} of {entry.source!r}: "
                f"listing it emits {entry.target!r} instead of {generated.target!r}"
            )
        return LintProblem(entry.file, entry.line, message, "warning")
    if form.explicit and other.explicit:
        if form.kind == other.kind == "base":
            return None  # reported as duplicate or conflict
        return LintProblem(entry.file, entry.line, f"{surface!r} duplicates {_describe(other)}")
    cs = (form.term.case_sensitive, other.term.case_sensitive)
    if _same_term(form.root, cs[0], other.root, cs[1]):
        return None  # inflections of terms that already collide, reported above
    message = f"{surface!r} ({form.kind}) is also the {_describe(other)}; only one can apply"
    return LintProblem(entry.file, entry.line, message, "warning")


def _overlap_problems(glossary: Glossary) -> list[LintProblem]:
    """A term inside a longer term whose English lacks its target: the two translate the
    same words differently, so any near-miss of the longer term changes the meaning."""
    problems: list[LintProblem] = []
    for entry in glossary.entries:
        for word in _WORD.finditer(entry.source):
            for candidate in glossary._candidates(word.group()):
                form = candidate.form
                hit = candidate.pattern.match(entry.source, word.start())
                if not hit or form.term is entry or hit.span() == (0, len(entry.source)):
                    continue
                expected = _expected(form.term, form.kind)
                if not _whole_phrase(expected, form.term.case_sensitive).search(entry.target):
                    message = (
                        f"{entry.source!r} contains {form.surface!r} ({form.term.location}) but "
                        f"{entry.target!r} does not contain its target {expected!r}"
                    )
                    problems.append(LintProblem(entry.file, entry.line, message, "warning"))
    return problems


# --- helpers -------------------------------------------------------------------------------


def _expected(entry: Term, form: str) -> str:
    return (entry.target_plural or entry.target) if form == "plural" else entry.target


def _possessive(en: str) -> str:
    return en + "'" if en.endswith("s") else en + "'s"


def _forms(entry: Term) -> list[_Form]:
    """Every surface form an entry matches, with the English each one emits."""
    plural_target = entry.target_plural or entry.target
    genitive_target = _possessive(entry.target) if entry.genitive == "possessive" else entry.target
    forms: list[_Form] = []
    for kind, term in [("base", entry.source), *(("variant", v) for v in entry.variants)]:
        forms.append(_Form(term, entry.target, kind, entry, term))
        if not term[-1:].isalpha():
            continue
        if entry.genitive != "off":
            forms += [
                _Form(term + s, genitive_target, "genitive", entry, term) for s in ("s", "es")
            ]
        if entry.plural:
            forms += [_Form(term + s, plural_target, "plural", entry, term) for s in ("n", "en")]
    return forms


def _matchable(term: str) -> bool:
    return term == term.strip() and _WORD.match(term) is not None


def _phrase_regex(phrase: str) -> str:
    return r"\s+".join(re.escape(part) for part in phrase.split())


@functools.cache
def _form_pattern(surface: str, case_sensitive: bool) -> re.Pattern[str]:
    """Cached because per-article overrides rebuild the index for every article."""
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(_phrase_regex(surface) + r"(?!\w)", flags)


def _whole_phrase(phrase: str, case_sensitive: bool) -> re.Pattern[str]:
    flags = 0 if case_sensitive else re.IGNORECASE
    return re.compile(r"(?<!\w)" + _phrase_regex(phrase) + r"(?!\w)", flags)


def _merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlaps(spans: list[tuple[int, int]], starts: list[int], start: int, end: int) -> bool:
    i = bisect_left(starts, end) - 1
    return i >= 0 and spans[i][1] > start
