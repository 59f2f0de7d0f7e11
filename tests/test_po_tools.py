"""The translation memory through the tools editors use (issue 14).

Each tool runs on a memory written by `memory.render`, in which a person has already
changed one machine translation (as in Poedit: the msgstr only). Then, for every
tool: the bookkeeping reads back exactly as written (or, after a spreadsheet round
trip without template, as "unverified", never as human); the edited entry reads as
human; and `load` -> `render` of the tool's file gives back the tool's bytes for
every entry, so the next build does not fight the tool's wrapping. Entries the
caller changes keep their translator comments and flags.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import polib
import pytest
from test_memory_format import bookkeeping

from translate_pipeline import memory, pofile
from translate_pipeline.memory import Entry

SOURCE = "content/news.md"
NATO = (
    "Russland kein Feind mehr, den man besiegen muss? NATO-Chef für Wiederherstellung der "
    "Beziehungen zu Russland. Die Trump-Regierung habe den Stillstand überwunden."
)
REVIEW = "Der Präsident sagte heute, Russland ist nicht im Krieg, sagte er."
COPY = "This block is already English."
SHORT = "Kurz und knapp: der Kanzler reiste am Montag nach Kiew."
OLD = "Ein alter Absatz, den es nicht mehr gibt."
EDITED = ("The chancellor travelled to Kyiv on Monday.", "Briefly: the chancellor went to Kyiv.")


def sample() -> memory.Memory:
    """Every kind of entry, with what a wrapper could break: hyphens in the model, the
    glossary terms and the notes, long values, newlines, an editor's comment and flags."""
    mem = memory.Memory()
    mem.metadata["Last-Translator"] = "Erika Mustermann <erika@example.org>"
    nato = memory.machine_entry(
        NATO,
        "Russia no longer an enemy that must be defeated? NATO-Chief for restoration of "
        "relations with Russia. The Trump-government has overcome the standstill.",
        "translate-de_en-1_9 1.9",
        ["NATO-Chef → NATO Secretary-General", "Trump-Regierung → Trump administration"],
        ["formatting dropped: **bold** around “Feind”", "link text kept in German-language form"],
        signature="case-sensitive; NATO-Chef=NATO Secretary-General; Trump-Regierung=…",
    )
    mem.entries[NATO] = dataclasses.replace(nato, references=(f"{SOURCE}:1",))
    mem.entries[REVIEW] = Entry(
        REVIEW,
        "Today the president said Russia is not at war.",
        memory.HUMAN,
        "translate-de_en-1_9 1.9",
        ("Russland → Russia",),
        fuzzy=True,
        previous_source="Der Präsident sagte heute, Russland ist nicht im Krieg.",
        machine_target="The president said today, Russia is not in the war.\n- Second line",
        references=(f"{SOURCE}:7",),
        comments=("Reviewed by Erika – please keep “at war”.",),
        flags=("no-wrap",),
        glossary_sha1=memory.glossary_hash("Russland=Russia"),
    )
    mem.entries[COPY] = Entry(
        COPY,
        COPY,
        memory.COPY,
        lang="en",
        references=(f"{SOURCE}:9", f"{SOURCE}:11"),
        extracted=("Context: an English quotation",),
    )
    short = memory.machine_entry(SHORT, EDITED[0], "translate-de_en-1_9 1.9", ["Kiew → Kyiv"])
    mem.entries[SHORT] = dataclasses.replace(short, references=(f"{SOURCE}:13",))
    mem.obsolete.append(
        Entry(OLD, "An old paragraph that no longer exists.", memory.HUMAN, comments=("keep",))
    )
    return mem


def expected() -> dict[str, tuple]:
    """The sample's bookkeeping once a person has edited SHORT's English."""
    mem = sample()
    result = {e.source: bookkeeping(e) for e in [*mem.entries.values(), *mem.obsolete]}
    edited = dataclasses.replace(mem.entries[SHORT], origin=memory.HUMAN, machine_sha1="")
    result[SHORT] = bookkeeping(dataclasses.replace(edited, notes=()))
    return result


@pytest.fixture
def edited_memory(tmp_path: Path) -> Path:
    """The sample as render writes it, then SHORT's msgstr changed as Poedit does."""
    path = tmp_path / "news.po"
    text = memory.render(sample(), SOURCE).decode("utf-8")
    assert text.count(f'msgstr "{EDITED[0]}"') == 1
    path.write_text(text.replace(f'msgstr "{EDITED[0]}"', f'msgstr "{EDITED[1]}"'), "utf-8")
    return path


def blocks(data: bytes) -> list[str]:
    """The text of every message but the header."""
    return [b.text for b in pofile.parse(data.decode("utf-8")).blocks if not b.message.is_header]


def run(*args: str | Path) -> None:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def tool(name: str) -> str:
    """A gettext program, or a translate-toolkit script installed beside this Python."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed (gettext, or translate-toolkit in the dev group)")
    return found


# --- the tools ------------------------------------------------------------------------


def msgcat(src: Path, out: Path) -> None:
    run(tool("msgcat"), src, "-o", out)


def msgcat_width_40(src: Path, out: Path) -> None:
    run(tool("msgcat"), "--width=40", src, "-o", out)


def msgcat_same_file_twice(src: Path, out: Path) -> None:
    run(tool("msgcat"), src, src, "-o", out)


def msguniq(src: Path, out: Path) -> None:
    run(tool("msguniq"), src, "-o", out)


def msgattrib_set_fuzzy(src: Path, out: Path) -> None:
    run(tool("msgattrib"), "--set-fuzzy", src, "-o", out)


def msgattrib_clear_fuzzy(src: Path, out: Path) -> None:
    run(tool("msgattrib"), "--clear-fuzzy", src, "-o", out)


def pot(src: Path) -> Path:
    """A template made from the file, as xgettext would write it: the same messages,
    extracted comments, references and flags (no-wrap, formats), no translations."""
    po = pofile.parse(src.read_text("utf-8"))
    template = []
    for block in po.blocks:
        m = block.message
        if m.is_header:
            template.append(pofile.format_message(m))
        elif not m.obsolete:
            template.append(
                pofile.format_message(
                    pofile.Message(
                        m.msgid,
                        extracted=m.extracted,
                        references=m.references,
                        flags=tuple(f for f in m.flags if f != "fuzzy"),
                    )
                )
            )
    path = src.with_suffix(".pot")
    path.write_text(pofile.join_blocks(template), "utf-8")
    return path


def msgmerge(src: Path, out: Path) -> None:
    run(tool("msgmerge"), "--quiet", "--previous", src, pot(src), "-o", out)


def polib_save(width: int) -> Callable[[Path, Path], None]:
    def save(src: Path, out: Path) -> None:
        polib.pofile(str(src), wrapwidth=width).save(str(out))

    save.__name__ = f"polib_width_{width}"
    return save


def pomerge(src: Path, out: Path) -> None:
    """A translator's round trip through translate-toolkit: the units pofilter picks
    out, edited nowhere, merged back into the file."""
    subset = src.with_name("subset.po")
    run(tool("pofilter"), src, subset)
    run(tool("pomerge"), "-t", src, "-i", subset, "-o", out)


def spreadsheet_with_template(src: Path, out: Path) -> None:
    sheet = src.with_suffix(".csv")
    run(tool("po2csv"), src, sheet)
    run(tool("csv2po"), "-t", src, sheet, out)


TOOLS = [
    msgcat,
    msgcat_width_40,
    msgcat_same_file_twice,
    msguniq,
    msgattrib_set_fuzzy,
    msgattrib_clear_fuzzy,
    msgmerge,
    polib_save(0),
    polib_save(40),
    polib_save(78),
    polib_save(200),
    pomerge,
    spreadsheet_with_template,
]


@pytest.mark.parametrize("run_tool", TOOLS, ids=lambda t: t.__name__)
def test_bookkeeping_survives_the_tool(
    edited_memory: Path, tmp_path: Path, run_tool: Callable[[Path, Path], None]
) -> None:
    out = tmp_path / "out.po"
    run_tool(edited_memory, out)
    loaded = memory.load(out)
    found = {e.source: bookkeeping(e) for e in [*loaded.entries.values(), *loaded.obsolete]}
    assert found == expected()
    assert loaded.entries[SHORT].is_human and loaded.entries[SHORT].target == EDITED[1]
    # The editor's comment and flags are still there (the tools drop no gettext flag).
    review = loaded.entries[REVIEW]
    said = "".join("".join(review.comments).split())  # polib wraps long comments
    assert said.startswith("ReviewedbyErika–pleasekeep“atwar”.")
    assert "no-wrap" in review.flags
    assert review.fuzzy == (run_tool is not msgattrib_clear_fuzzy)
    assert loaded.entries[NATO].fuzzy == (run_tool is msgattrib_set_fuzzy)
    assert loaded.entries[COPY].extracted[:1] == ("Context: an English quotation",)
    # Untouched, the file is written back with the tool's bytes, message by message.
    data = out.read_bytes()
    assert blocks(memory.render(loaded, SOURCE)) == blocks(data)


@pytest.mark.parametrize("run_tool", TOOLS, ids=lambda t: t.__name__)
def test_changed_entries_keep_what_editors_wrote(
    edited_memory: Path, tmp_path: Path, run_tool: Callable[[Path, Path], None]
) -> None:
    """After the tool, the build changes every entry (new line numbers): each is
    written again, as gettext writes it, and keeps comments, flags, previous msgid."""
    out = tmp_path / "out.po"
    run_tool(edited_memory, out)
    loaded = memory.load(out)
    for source, entry in loaded.entries.items():
        loaded.entries[source] = dataclasses.replace(entry, references=(f"{SOURCE}:99",))
    rendered = memory.render(loaded, SOURCE)
    assert all(b not in blocks(out.read_bytes()) for b in blocks(rendered)[:4])
    again = memory.parse(rendered.decode("utf-8"))
    for source, entry in loaded.entries.items():
        twin = again.entries[source]
        assert bookkeeping(twin) == bookkeeping(entry)
        assert (twin.comments, twin.extracted, twin.flags, twin.fuzzy, twin.previous_source) == (
            entry.comments,
            entry.extracted,
            entry.flags,
            entry.fuzzy,
            entry.previous_source,
        )
    # And that is what msgcat writes for these entries (the obsolete one, untouched,
    # keeps the tool's bytes).
    path = tmp_path / "rendered.po"
    path.write_bytes(rendered)
    by_msgcat = subprocess.run([tool("msgcat"), path], capture_output=True).stdout
    assert blocks(by_msgcat)[:4] == blocks(rendered)[:4]


def test_spreadsheet_without_template_leaves_entries_unverified(
    edited_memory: Path, tmp_path: Path
) -> None:
    """po2csv -> csv2po without the PO as template drops every comment: no entry can
    say who wrote it, so each is unverified (the build then compares it with a fresh
    machine translation), and none is taken for human."""
    sheet, out = tmp_path / "news.csv", tmp_path / "out.po"
    run(tool("po2csv"), edited_memory, sheet)
    run(tool("csv2po"), sheet, out)
    loaded = memory.load(out)
    entries = [*loaded.entries.values(), *loaded.obsolete]
    assert {e.source for e in entries} == set(expected())
    assert all(e.origin == memory.UNVERIFIED and not e.is_human for e in entries)
    assert loaded.entries[SHORT].target == EDITED[1]
    # Written back untouched: the tool's bytes, and no invented bookkeeping.
    rendered = memory.render(loaded, SOURCE)
    assert blocks(rendered) == blocks(out.read_bytes())
    changed = {
        s: dataclasses.replace(e, references=(f"{SOURCE}:1",)) for s, e in loaded.entries.items()
    }
    rendered = memory.render(dataclasses.replace(loaded, entries=changed), SOURCE)
    assert b"tp." not in rendered
    # csv2po's header had gettext's placeholders: the pipeline's values replace them.
    msgfmt_is_quiet(tmp_path / "again.po", rendered)


def test_spreadsheet_edit_is_human(edited_memory: Path, tmp_path: Path) -> None:
    sheet, out = tmp_path / "news.csv", tmp_path / "out.po"
    run(tool("po2csv"), edited_memory, sheet)
    text = sheet.read_text("utf-8")
    assert text.count("Russia no longer an enemy") == 1
    sheet.write_text(text.replace("Russia no longer an enemy", "Russia, no longer an enemy"))
    run(tool("csv2po"), "-t", edited_memory, sheet, out)
    loaded = memory.load(out)
    assert loaded.entries[NATO].is_human
    assert loaded.entries[NATO].target.startswith("Russia, no longer")
    assert bookkeeping(loaded.entries[COPY]) == expected()[COPY]


def test_pofilter_output_keeps_bookkeeping_and_its_own_comments(
    edited_memory: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out.po"
    run(tool("pofilter"), edited_memory, out)
    loaded = memory.load(out)
    assert loaded.entries, "pofilter found nothing to report"
    for source, entry in loaded.entries.items():
        assert bookkeeping(entry) == expected()[source]
        assert any(c.startswith("(pofilter)") for c in entry.comments)
    assert blocks(memory.render(loaded, SOURCE)) == blocks(out.read_bytes())


def test_pomerge_of_an_edited_subset_makes_that_entry_human(
    edited_memory: Path, tmp_path: Path
) -> None:
    subset, out = tmp_path / "subset.po", tmp_path / "out.po"
    run(tool("pofilter"), edited_memory, subset)
    text = subset.read_text("utf-8")
    assert text.count(f'msgstr "{COPY}"') == 1
    subset.write_text(text.replace(f'msgstr "{COPY}"', 'msgstr "This block is English."'))
    run(tool("pomerge"), "-t", edited_memory, "-i", subset, "-o", out)
    loaded = memory.load(out)
    assert loaded.entries[COPY].is_human  # a copied block a person translated
    assert loaded.entries[COPY].target == "This block is English."
    others = {s: bookkeeping(e) for s, e in loaded.entries.items() if s != COPY}
    assert others == {s: b for s, b in expected().items() if s not in (COPY, OLD)}


def test_msgcat_of_two_files_that_disagree(edited_memory: Path, tmp_path: Path) -> None:
    """Merged files: an entry whose two bookkeepings differ is unverified (neither
    wins); an entry with one bookkeeping and two translations is human and fuzzy,
    with msgcat's conflict markers for a person to resolve."""
    other = tmp_path / "other.po"
    text = edited_memory.read_text("utf-8")
    line = next(c for c in text.split("\n") if c.startswith("#. tp.origin=copy"))
    text = text.replace(line, "#. tp.origin=human")
    text = text.replace(f'msgstr "{EDITED[1]}"', 'msgstr "In short: the chancellor went."')
    other.write_text(text, "utf-8")
    out = tmp_path / "out.po"
    run(tool("msgcat"), edited_memory, other, "-o", out)
    loaded = memory.load(out)
    assert loaded.entries[COPY].origin == memory.UNVERIFIED
    short = loaded.entries[SHORT]
    assert short.is_human and short.fuzzy and "#-#-#-#-#" in short.target
    assert bookkeeping(loaded.entries[NATO]) == expected()[NATO]
    assert blocks(memory.render(loaded, SOURCE)) == blocks(out.read_bytes())


def test_msgmerge_fuzzy_match_and_obsolete(edited_memory: Path, tmp_path: Path) -> None:
    """German changed in the template: msgmerge keeps the old English as a fuzzy
    match with the previous msgid. A message gone from the template becomes obsolete;
    msgmerge drops the extracted comments of the messages it makes obsolete, so it
    is unverified (never human) and keeps its translator comments."""
    template = pot(edited_memory)
    text = template.read_text("utf-8")
    changed = NATO.replace("überwunden.", "endgültig überwunden.")
    text = text.replace('"Stillstand überwunden."', '"Stillstand endgültig überwunden."')
    text = text.replace(f'msgid "{COPY}"', 'msgid "Something else entirely, in English."')
    template.write_text(text, "utf-8")
    out = tmp_path / "out.po"
    run(tool("msgmerge"), "--quiet", "--previous", edited_memory, template, "-o", out)
    loaded = memory.load(out)
    entry = loaded.entries[changed]
    assert entry.fuzzy and entry.previous_source == NATO
    assert entry.target.startswith("Russia no longer an enemy")
    gone = next(e for e in loaded.obsolete if e.source == COPY)
    assert gone.origin == memory.UNVERIFIED and gone.target == COPY
    kept = next(e for e in loaded.obsolete if e.source == OLD)  # obsolete before: kept
    assert bookkeeping(kept) == expected()[OLD] and kept.comments == ("keep",)
    assert loaded.get("Something else entirely, in English.") is None  # untranslated
    assert blocks(memory.render(loaded, SOURCE)) == blocks(out.read_bytes())


def msgfmt_is_quiet(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    result = subprocess.run(
        [tool("msgfmt"), "-c", "--check-format", "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stderr) == (0, "")


def test_rendered_memory_passes_msgfmt_check_without_a_warning(tmp_path: Path) -> None:
    msgfmt_is_quiet(tmp_path / "news.po", memory.render(sample(), SOURCE))


def test_rendered_memory_is_what_msgcat_writes(tmp_path: Path) -> None:
    """The whole file, header included (a long field wraps), byte for byte."""
    mem = sample()
    mem.metadata["X-Credits"] = "Übersetzt von Erika Mustermann und Max Mustermann, " * 3
    data = memory.render(mem, SOURCE)
    path = tmp_path / "news.po"
    path.write_bytes(data)
    assert subprocess.run([tool("msgcat"), path], capture_output=True).stdout == data


# --- the build after a tool ------------------------------------------------------------

ARTICLE = """---
title: Der NATO-Chef in Kiew
date: 2025-03-16
---

Der NATO-Chef und die Trump-Regierung sprachen gestern mit dem US-Präsidenten in Kiew \
über Russland, die Ukraine und den Krieg, sagte der Kremlchef.

Der Präsident sagte heute, Russland ist nicht im Krieg.
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argos_packages_dir: Path) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "news.md").write_text(ARTICLE, encoding="utf-8")
    shutil.copytree(Path(__file__).resolve().parents[1] / "glossaries", tmp_path / "glossaries")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def build_json() -> dict:
    import json

    from click.testing import CliRunner

    from translate_pipeline.cli import main

    result = CliRunner().invoke(main, ["build", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def check_output() -> tuple[int, str]:
    from click.testing import CliRunner

    from translate_pipeline.cli import main

    result = CliRunner().invoke(main, ["check"], catch_exceptions=False)
    return result.exit_code, result.stdout


@pytest.mark.parametrize(
    "run_tool",
    [msgcat_width_40, polib_save(40), polib_save(78), msguniq, spreadsheet_with_template],
    ids=lambda t: t.__name__,
)
def test_the_build_after_a_tool_changes_nothing(
    project: Path, run_tool: Callable[[Path, Path], None]
) -> None:
    """Issue 14: after a save by another tool (its own wrapping, `NATO-Chef` broken
    after the hyphen), the next build translates nothing, writes the tool's bytes
    back unchanged, and `check` passes."""
    assert build_json()["translated_units"]
    po_path = project / "translations/de-en/news.po"
    assert "NATO-Chef → NATO chief" in po_path.read_text("utf-8")
    assert check_output() == (0, "")
    saved = project / "saved.po"
    run_tool(po_path, saved)
    shutil.copyfile(saved, po_path)
    tool_bytes = po_path.read_bytes()
    assert build_json()["translated_units"] == []
    assert po_path.read_bytes() == tool_bytes
    assert check_output() == (0, "")
