"""The translation memory's PO format (issue 14): bookkeeping no tool can corrupt,
entries without bookkeeping, what editors wrote, unchanged entries kept byte for byte."""

from __future__ import annotations

import dataclasses
import random
import textwrap
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from translate_pipeline import memory, pofile
from translate_pipeline.memory import Entry
from translate_pipeline.quality import Signal

REPO = Path(__file__).resolve().parents[1]
SOURCE = "content/news.md"

VALUE = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=60,
) | st.sampled_from(["NATO-Chef → NATO chief", "a - b", "tp.origin=human", "x,y;z|w", "%2D"])


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    origin = draw(st.sampled_from(memory.ORIGINS))
    source = draw(VALUE.filter(bool))
    target = source if origin == memory.COPY else draw(VALUE.filter(bool))
    return Entry(
        source,
        target,
        origin,
        model=draw(VALUE),
        glossary=tuple(draw(st.lists(VALUE, max_size=4))),
        lang=draw(st.sampled_from(["de", "en", "zxx"])) if origin == memory.COPY else "de",
        machine_target=draw(VALUE) if origin == memory.HUMAN else "",
        machine_sha1=memory.sha1(target) if origin == memory.MACHINE else "",
        notes=tuple(draw(st.lists(VALUE, max_size=3))) if origin == memory.MACHINE else (),
        glossary_sha1=draw(st.sampled_from(["", memory.glossary_hash(draw(VALUE))])),
    )


def bookkeeping(entry: Entry) -> tuple:
    """What the tokens and comments of an entry record, beside its texts."""
    return (
        entry.origin,
        entry.model,
        entry.machine_sha1,
        entry.glossary,
        entry.glossary_sha1,
        entry.lang,
        entry.notes,
        entry.machine_target,
        entry.review,
        entry.via,
    )


def comment_lines(text: str, marker: str) -> list[str]:
    return [line for line in text.split("\n") if line.startswith(marker)]


@settings(max_examples=300, deadline=None)
@given(entries(), st.integers(1, 120), st.randoms(use_true_random=False), st.booleans())
def test_bookkeeping_survives_any_rewrapping_reordering_and_duplication(
    entry: Entry, width: int, rnd: random.Random, obsolete: bool
) -> None:
    """Comment lines wrapped at any width at spaces and after hyphens (polib, textwrap),
    shuffled and duplicated (msgcat of two files): the same bookkeeping."""
    text = memory.format_entry(entry, obsolete=obsolete)
    marker = "# " if obsolete else "#. "
    ours = [line for line in comment_lines(text, marker) if memory.is_token_line(line[2:])]
    assert len(ours) == 1
    wrapped = textwrap.wrap(ours[0][len(marker) :], width, break_long_words=False)
    assert all(memory.is_token_line(line) for line in wrapped)
    lines = wrapped + rnd.sample(wrapped, k=min(2, len(wrapped)))
    rnd.shuffle(lines)
    message = pofile.parse(text).blocks[0].message
    if obsolete:
        message = dataclasses.replace(message, comments=(*lines, "an editor's comment"))
    else:
        message = dataclasses.replace(message, extracted=tuple(lines))
    loaded = memory.parse(pofile.format_message(message))
    (back,) = [*loaded.entries.values(), *loaded.obsolete]
    assert bookkeeping(back) == bookkeeping(entry)


@settings(max_examples=200, deadline=None)
@given(entries(), st.integers(8, 100))
def test_comments_for_people_wrapped_by_polib_are_still_recognised(
    entry: Entry, width: int
) -> None:
    """The readable lines (model, glossary, notes, fresh machine English) are derived
    from the tokens; wrapped by a tool, they are still recognised as ours, so a
    changed entry does not keep a stale copy of them."""
    text = memory.format_entry(entry)
    lines = []
    for line in comment_lines(text, "#. "):
        lines += textwrap.wrap(line[3:], width, break_long_words=False) or [""]
    message = dataclasses.replace(pofile.parse(text).blocks[0].message, extracted=tuple(lines))
    (back,) = memory.parse(pofile.format_message(message)).entries.values()
    assert back.extracted == ()
    assert memory.format_entry(dataclasses.replace(back, references=("a.md:1",))) == (
        memory.format_entry(dataclasses.replace(entry, references=("a.md:1",)))
    )


def test_the_format_of_a_machine_entry() -> None:
    entry = memory.machine_entry(
        "Der NATO-Chef reiste nach Kiew.",
        "The NATO chief travelled to Kyiv.",
        "translate-de_en-1_9 1.9",
        ["Kiew → Kyiv", "NATO-Chef → NATO chief"],
        ["formatting dropped: **x**"],
        signature="Kiew=Kyiv;NATO-Chef=NATO chief;case=yes",
    )
    text = memory.format_entry(dataclasses.replace(entry, references=("content/news.md:9",)))
    assert text == (
        "#. tp.origin=machine tp.model=translate%2Dde_en%2D1_9%201.9 tp.sha1=b25eb4f0fa82 "
        "tp.glossary=" + memory.glossary_hash("Kiew=Kyiv;NATO-Chef=NATO chief;case=yes") + " "
        "tp.terms=Kiew%20%E2%86%92%20Kyiv,NATO%2DChef%20%E2%86%92%20NATO%20chief "
        "tp.notes=formatting%20dropped%3A%20%2A%2Ax%2A%2A\n"
        "#. machine translation (translate-de_en-1_9 1.9)\n"
        "#. glossary: Kiew → Kyiv; NATO-Chef → NATO chief\n"
        "#. note: formatting dropped: **x**\n"
        "#: content/news.md:9\n"
        'msgid "Der NATO-Chef reiste nach Kiew."\n'
        'msgstr "The NATO chief travelled to Kyiv."\n'
    )
    assert entry.machine_sha1 == memory.sha1("The NATO chief travelled to Kyiv.")
    assert entry.glossary_current("Kiew=Kyiv;NATO-Chef=NATO chief;case=yes")
    assert not entry.glossary_current("Kiew=Kyiv;NATO-Chef=NATO chief;case=no")
    # Without a signature, the terms are the signature (what the build passes today).
    plain = memory.machine_entry("a", "b", "m", ["Kiew → Kyiv"])
    assert plain.glossary_current(("Kiew → Kyiv",)) and not plain.glossary_current(())


def test_an_edited_machine_entry_is_human_and_a_translated_copy_too() -> None:
    machine = memory.machine_entry("Der Krieg.", "The war.", "m 1")
    copy = Entry("Already English.", "Already English.", memory.COPY, lang="en")
    text = memory.format_entry(machine) + "\n" + memory.format_entry(copy)
    text = text.replace('msgstr "The war."', 'msgstr "War."')
    text = text.replace('msgstr "Already English."', 'msgstr "Already in English."')
    loaded = memory.parse(text)
    assert loaded.entries["Der Krieg."].origin == memory.HUMAN
    assert loaded.entries["Der Krieg."].model == "m 1"  # who wrote the first version
    assert loaded.entries["Already English."].origin == memory.HUMAN


def test_a_review_flag_cleared_by_an_editor_leaves_the_file() -> None:
    """An edited English or a `# reviewed` comment clears the flag when the file is read;
    the entry is then written anew, not back with the stale review lines."""
    flag = Signal("numbers", 3, "number 30 missing", german="30")
    machine = memory.machine_entry("Sie zahlte 30 Euro.", "She paid euro.", "m 1")
    text = memory.format_entry(dataclasses.replace(machine, review=(flag,)))
    assert "#. review: numbers: number 30 missing\n" in text and "tp.review=" in text
    (kept,) = memory.parse(text).entries.values()
    assert kept.review == (flag,) and memory.format_entry(kept) == text
    edited = text.replace('msgstr "She paid euro."', 'msgstr "She paid 30 euro."')
    accepted = "# reviewed\n" + text
    for changed, origin in ((edited, memory.HUMAN), (accepted, memory.MACHINE)):
        (entry,) = memory.parse(changed).entries.values()
        assert (entry.origin, entry.review, entry.comments) == (origin, (), ())
        written = memory.format_entry(entry)
        assert "review" not in written  # no token, no `#. review:` line, no comment
        (again,) = memory.parse(written).entries.values()
        assert again == entry and memory.format_entry(again) == written


def test_entries_without_bookkeeping_are_unverified_and_stay_so() -> None:
    text = (
        "# Credits: Erika\n"
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#: content/news.md:3\nmsgid "Der Krieg."\nmsgstr "The war."\n\n'
        '#. tp.origin=machine\nmsgid "Ohne Hash."\nmsgstr "Without hash."\n\n'
        '#. tp.origin=robot tp.sha1=123\nmsgid "Unbekannt."\nmsgstr "Unknown."\n\n'
        '#. tp.origin=machine tp.sha1=x\n#. tp.origin=human\nmsgid "Zwei."\nmsgstr "Two."\n'
    )
    loaded = memory.parse(text)
    for entry in loaded.entries.values():
        assert entry.origin == memory.UNVERIFIED and entry.is_unverified and not entry.is_human
    # Untouched: the same bytes (the header gets the fields it lacks). Changed by the
    # caller: no invented bookkeeping.
    assert memory.render(loaded, SOURCE).decode().split("\n\n")[1:] == text.split("\n\n")[1:]
    changed = {s: dataclasses.replace(e, references=("a.md:1",)) for s, e in loaded.entries.items()}
    rendered = memory.render(dataclasses.replace(loaded, entries=changed), SOURCE).decode()
    assert "tp." not in rendered and "# Credits: Erika\n" in rendered
    # The caller decides (here: identical to a fresh machine translation -> machine).
    decided = memory.machine_entry("Der Krieg.", "The war.", "m 1")
    loaded.entries["Der Krieg."] = dataclasses.replace(
        decided, references=loaded.entries["Der Krieg."].references
    )
    again = memory.parse(memory.render(loaded, SOURCE).decode())
    assert again.entries["Der Krieg."].origin == memory.MACHINE


def test_untranslated_entries_count_as_missing() -> None:
    text = '#. tp.origin=human\nmsgid "Leer."\nmsgstr ""\n'
    loaded = memory.parse(text)
    assert loaded.entries["Leer."].origin == memory.UNVERIFIED
    assert loaded.get("Leer.") is None


def test_what_editors_wrote_survives_a_change_to_the_entry() -> None:
    text = (
        "# Übersetzung: Erika Mustermann, 2024.\n"
        "#, fuzzy\n"
        'msgid ""\n'
        'msgstr ""\n"Project-Id-Version: news 1.0\\n"\n"Last-Translator: Erika\\n"\n'
        '"Content-Type: text/plain; charset=UTF-8\\n"\n"X-Weblate: 5.0\\n"\n\n'
        "# Erika: check the title\n"
        "#. Context from the CMS\n"
        "#. tp.origin=human\n"
        "#: content/news.md:1\n"
        "#, fuzzy, no-wrap, c-format, read-only, max-length:120\n"
        '#| msgctxt "alt"\n#| msgid "Alter Titel"\n'
        'msgctxt "title"\nmsgid "Neuer Titel"\nmsgstr "New title"\n\n'
        "# tp.origin=human\n"
        '#~ msgid "Gestrichen"\n#~ msgstr "Struck out"\n'
    )
    loaded = memory.parse(text)
    untouched = memory.render(loaded, SOURCE).decode()  # as it was, but for the header
    assert untouched.split("\n\n")[1:] == text.split("\n\n")[1:]
    title = loaded.entries["Neuer Titel"]
    assert title.comments == ("Erika: check the title",)
    assert title.extracted == ("Context from the CMS",)
    assert title.flags == ("no-wrap", "c-format", "read-only", "max-length:120")
    assert title.fuzzy and title.previous_source == "Alter Titel"
    loaded.entries["Neuer Titel"] = dataclasses.replace(title, references=("content/news.md:2",))
    loaded.metadata["Last-Translator"] = "Max"
    rendered = memory.render(loaded, SOURCE).decode()
    assert rendered.startswith("# Übersetzung: Erika Mustermann, 2024.\n#, fuzzy\n")
    assert '"Last-Translator: Max\\n"\n"Content-Type: text/plain; charset=UTF-8\\n"\n' in rendered
    assert '"X-Weblate: 5.0\\n"' in rendered and "PO-Revision-Date" in rendered
    assert (
        "# Erika: check the title\n"
        "#. tp.origin=human\n"
        "#. Context from the CMS\n"
        "#: content/news.md:2\n"
        "#, fuzzy, c-format, no-wrap, read-only, max-length:120\n"
        '#| msgctxt "alt"\n#| msgid "Alter Titel"\n'
        'msgctxt "title"\nmsgid "Neuer Titel"\nmsgstr "New title"\n'
    ) in rendered
    assert rendered.endswith('# tp.origin=human\n#~ msgid "Gestrichen"\n#~ msgstr "Struck out"\n')


def test_a_new_file_has_the_pipelines_header() -> None:
    mem = memory.Memory()
    mem.entries["a"] = Entry("a", "b", memory.HUMAN)
    text = memory.render(mem, SOURCE).decode()
    assert text.startswith(
        "# English translation of content/news.md.\n"
        "# Maintained by translate-pipeline; edit with Poedit or Weblate.\n"
        'msgid ""\nmsgstr ""\n"Project-Id-Version: translate-pipeline\\n"\n'
        '"PO-Revision-Date: 1970-01-01 00:00+0000\\n"\n'
    )
    # The same memory is the same bytes, and reading it back changes nothing.
    assert memory.render(memory.parse(text), SOURCE).decode() == text


def test_unchanged_entries_keep_the_bytes_of_whoever_saved_them() -> None:
    entry = memory.machine_entry("Ein Satz. " * 12, "A sentence. " * 12, "m 1", ["a-b → c-d"])
    mem = memory.Memory(entries={entry.source: entry})
    text = memory.render(mem, SOURCE).decode()
    # Another tool's wrapping (polib at width 40): the strings and both comment lines.
    odd = text.replace(
        '"A sentence. A sentence. A sentence. ', '"A sentence. "\n"A sentence. A sentence. '
    )
    odd = odd.replace("#. glossary: a-b → c-d", "#. glossary: a-\n#. b → c-d")
    assert odd != text
    loaded = memory.parse(odd)
    assert memory.render(loaded, SOURCE).decode() == odd
    # Built again with another line number, the entry is written as gettext writes it.
    loaded.entries[entry.source] = dataclasses.replace(
        loaded.entries[entry.source], references=("content/news.md:4",)
    )
    assert (
        memory.render(loaded, SOURCE).decode()
        == memory.render(
            memory.Memory(
                entries={
                    entry.source: dataclasses.replace(entry, references=("content/news.md:4",))
                }
            ),
            SOURCE,
        ).decode()
    )


# --- the format of earlier versions ---------------------------------------------------------


OLD_FORMAT = """\
#. origin: machine translate-de_en-1_9 1.9
#. machine-sha1: {sha}
#. glossary: NATO-Chef → NATO Secretary General; Trump-Regierung → Trump
#. administration; Kiew → Kyiv
#. notes: formatting dropped: **bold** around the NATO-
#. Generalsekretär | link text kept in German-
#. origin: a word that looks like a key
#: content/news.md:3
msgid "Der NATO-Chef sprach mit der Trump-Regierung in Kiew."
msgstr "{target}"

#. origin: human
#. machine: The president said.\\nSecond line.
#, fuzzy
#| msgid "Der Präsident sagte."
msgid "Der Präsident sagte heute."
msgstr "The president said."
"""


def test_the_format_of_earlier_versions_is_read_also_when_polib_wrapped_it() -> None:
    target = "The NATO chief spoke with the Trump administration in Kyiv."
    text = OLD_FORMAT.format(sha=memory.sha1(target), target=target)
    loaded = memory.parse(text)
    nato = loaded.entries["Der NATO-Chef sprach mit der Trump-Regierung in Kiew."]
    assert nato.origin == memory.MACHINE and nato.model == "translate-de_en-1_9 1.9"
    assert nato.glossary == (
        "NATO-Chef → NATO Secretary General",
        "Trump-Regierung → Trump administration",
        "Kiew → Kyiv",
    )
    assert nato.notes == (
        "formatting dropped: **bold** around the NATO-Generalsekretär",
        "link text kept in German-origin: a word that looks like a key",
    )
    assert nato.glossary_current(nato.glossary)
    review = loaded.entries["Der Präsident sagte heute."]
    assert review.is_human and review.fuzzy
    assert review.machine_target == "The president said.\nSecond line."
    # Kept as they are until they change; `upgrade` writes them in the new format.
    assert memory.render(loaded, SOURCE).decode().endswith(text)
    upgraded = memory.render(loaded, SOURCE, upgrade=True).decode()
    assert "#. origin:" not in upgraded and "#. tp.origin=machine tp.model=" in upgraded
    again = memory.parse(upgraded)
    assert [bookkeeping(e) for e in again.entries.values()] == [
        bookkeeping(e) for e in loaded.entries.values()
    ]


def test_obsolete_entries_of_earlier_versions_are_human() -> None:
    """Earlier versions kept only human entries as obsolete ones, and polib wrote
    them without comments; in a file of the new format, an obsolete entry without
    bookkeeping is unverified like any other."""
    legacy = '#. origin: human\nmsgid "a"\nmsgstr "b"\n\n# kept\n#~ msgid "c"\n#~ msgstr "d"\n'
    (old,) = memory.parse(legacy).obsolete
    assert old.is_human and old.comments == ("kept",)
    assert memory.render(memory.parse(legacy), SOURCE).decode().endswith(legacy)
    new = legacy.replace("#. origin: human", "#. tp.origin=human")
    (old,) = memory.parse(new).obsolete
    assert old.origin == memory.UNVERIFIED


def test_the_shipped_memory_reads_as_human_and_is_written_back_unchanged() -> None:
    path = REPO / "translations/de-en/rutte-russland.po"
    loaded = memory.load(path)
    assert loaded.entries and all(e.is_human for e in loaded.entries.values())
    assert memory.render(loaded, "content/rutte-russland.md") == path.read_bytes()


def test_old_api_keeps_working() -> None:
    entry = Entry("a", "b", memory.MACHINE, "m", ("x → y",), "de", False, "", "", ("f:1",), "sha")
    assert entry.references == ("f:1",) and entry.machine_sha1 == "sha"
    rebuilt = Entry(**{**entry.__dict__, "references": ("f:2",)})
    assert rebuilt.references == ("f:2",) and rebuilt.raw is None
    mem = memory.Memory(metadata={"Last-Translator": "X"})
    assert '"Last-Translator: X\\n"' in memory.render(mem, SOURCE).decode()


def test_carry_over_keeps_what_editors_wrote_on_a_retranslated_entry() -> None:
    text = (
        "# Erika: keep it short\n#. From the CMS\n#. tp.origin=machine tp.sha1=x\n"
        '#, no-wrap, read-only\nmsgctxt "title"\nmsgid "Der Krieg."\nmsgstr "War."\n'
    )
    old = memory.parse(text).entries["Der Krieg."]
    assert old.is_human  # tp.sha1 does not match: edited
    fresh = memory.machine_entry("Der Krieg.", "The war.", "m 2", signature="s")
    new = memory.carry_over(old, fresh)
    assert bookkeeping(new) == bookkeeping(fresh)
    assert memory.format_entry(new) == (
        "# Erika: keep it short\n"
        "#. tp.origin=machine tp.model=m%202 tp.sha1=" + memory.sha1("The war.") + " "
        "tp.glossary=" + memory.glossary_hash("s") + "\n"
        "#. machine translation (m 2)\n"
        "#. From the CMS\n"
        "#, no-wrap, read-only\n"
        'msgctxt "title"\nmsgid "Der Krieg."\nmsgstr "The war."\n'
    )
    assert memory.carry_over(None, fresh) is fresh
