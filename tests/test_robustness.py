"""Nothing lost (issue 8): bad input, interruptions, concurrent builds and broken models.

Every build here runs the real CLI (`translate_pipeline.cli.main`: through click's CliRunner
in-process, or in a subprocess where a process has to be killed) with the hand-wired test
model, in a temporary project folder. The contract under test:

* a bad article is reported on one line (`file[:line]: message`), skipped, and the build exits
  3 with every other article published;
* a build that is killed leaves the published site and every PO file as they were, and the
  next build sends the model only what the killed one had not finished;
* a second build on the same folder refuses at once; a broken model package stops the build
  (exit 2) before anything is written.
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import polib
import projects
import pytest
import sentencepiece
import testmodel
from projects import Run, cli

from translate_pipeline import engine, machine, memory, models, report

# --- helpers ---------------------------------------------------------------------------------

GOOD = {
    # Long enough for language detection to be sure they are German.
    "gut-eins.md": (
        "---\ntitle: Der Präsident sagte nicht\ndate: 15. März 2025\n---\n\n"
        "Der Präsident sagte heute nicht, dass der Krieg bald vorbei ist und die Regierung "
        "endlich über den Frieden mit Russland verhandeln wird.\n"
    ),
    "gut-zwei.md": (
        "---\ntitle: Der Kanzler und die Regierung\ndate: 2025-03-16\n---\n\n"
        "Der Kanzler sagte gestern in Berlin, dass die Regierung auch am Montag nicht über "
        "den Krieg sprechen wird, aber sehr bald über den Frieden.\n"
    ),
}
GOOD_ENGLISH = {
    "gut-eins": "The president said today not, dass der war bald vorbei is and",
    "gut-zwei": "The chancellor said yesterday in Berlin, dass die government also am Monday not",
}


class Project(projects.Project):
    def page(self, lang: str, slug: str) -> Path:
        return self.site / lang / slug / "index.html"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argos_packages_dir: Path) -> Project:
    """An empty project folder (content/, glossaries/) as the working directory, with the
    test model installed."""
    root = tmp_path / "project"
    (root / "content").mkdir(parents=True)
    (root / "glossaries").mkdir()
    monkeypatch.chdir(root)
    return Project(root)


def build(*args: str) -> Run:
    """`translate-pipeline build --json ARGS` in this process, from the project folder."""
    return cli("build", *args)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (hidden ones too) with its bytes."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def write_good(project: Project) -> None:
    for name, text in GOOD.items():
        project.write(name, text)


def assert_good_published(project: Project) -> None:
    assert {"gut-eins", "gut-zwei"} <= project.published()
    for slug, english in GOOD_ENGLISH.items():
        assert english in project.page("en", slug).read_text("utf-8")
        assert english in project.page("de-en", slug).read_text("utf-8")
        po = polib.pofile(str(project.translations / f"{slug}.po"))
        assert any(e.msgstr.startswith(english) for e in po)


class Text(HTMLParser):
    """The visible text of a page's <main>."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._in_main = 0
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_main += tag == "main"

    def handle_endtag(self, tag: str) -> None:
        self._in_main -= tag == "main"

    def handle_data(self, data: str) -> None:
        if self._in_main:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


# --- 1. bad input ------------------------------------------------------------------------------

LATE_NUL = (
    "---\ntitle: Der Krieg\n---\n\n"
    + "Der Krieg ist nicht der Frieden, und das ist auch sehr gut so.\n\n" * 200
    + "Am Ende steht ein Null\x00byte.\n"
)

BAD_INPUT = {
    # name: (file name, bytes, the one error line expected on stderr)
    "empty": ("leer.md", b"", "content/leer.md: file is empty"),
    "only-whitespace": ("leer.md", b" \n\t\n", "content/leer.md: file is empty"),
    "not-utf8": (
        "latin1.md",
        "---\ntitle: Kaputt\n---\n\nZeile eins.\nDie Stra\xdfe ist lang.\n".encode("latin-1"),
        "content/latin1.md:6: not valid UTF-8 (byte 0xdf at offset 43)",
    ),
    "binary": (
        "bild.md",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
        "content/bild.md:3: binary file (contains NUL bytes), not a text article",
    ),
    "nul-after-8k": (
        "spaet.md",
        LATE_NUL.encode(),
        "content/spaet.md:405: binary file (contains NUL bytes), not a text article",
    ),
    "yaml": (
        "yaml.md",
        b"---\ntitle: Der Krieg\nauthor: Anna: Berlin\n---\n\nDer Krieg ist nicht vorbei.\n",
        "content/yaml.md:3: front matter is not valid YAML: mapping values are not allowed here",
    ),
    "yaml-not-a-mapping": (
        "liste.md",
        b"---\n- eins\n- zwei\n---\n\nDer Krieg ist nicht vorbei.\n",
        "content/liste.md:2: front matter must be a mapping of keys to values",
    ),
    "title-list": (
        "titel.md",
        b"---\nauthor: Anna\ntitle: [a, b]\n---\n\nDer Krieg ist nicht vorbei.\n",
        "content/titel.md:3: front matter 'title' must be text, got list",
    ),
    "yaml-control-character": (
        "steuer.md",
        b"---\ntitle: Der Krieg\nauthor: \x0bAnna\n---\n\nDer Krieg ist nicht vorbei.\n",
        "content/steuer.md:3: front matter is not valid YAML: unacceptable character #x000b: "
        "special characters are not allowed",
    ),
    "title-control-escape": (
        "steuer.md",
        b'---\ntitle: "Der Krieg \\x1b Frieden"\n---\n\nDer Krieg ist nicht vorbei.\n',
        "content/steuer.md:2: front matter 'title' contains U+001B, which is not text",
    ),
    "description-lone-surrogate": (  # used to crash the whole build while writing pages
        "steuer.md",
        b'---\ntitle: Der Krieg\ndescription: "Der \\ud800"\n---\n\nDer Krieg ist nicht vorbei.\n',
        "content/steuer.md:3: front matter 'description' contains U+D800, which is not text",
    ),
    "no-title": (
        "ohne.md",
        b"---\nauthor: Anna\n---\n\nDer Krieg ist nicht vorbei.\n",
        "content/ohne.md:1: no title: give it a 'title' in the front matter or start it with "
        "'# Title'",
    ),
}

# Read as generators read them (issue 13): published, the date shown as written, a warning.
UNREADABLE_DATES = {
    "date": (
        "datum.md",
        "---\ntitle: Der Krieg\nauthor: Anna\ndate: irgendwann im Frühling\n---\n\n"
        "Text.\n".encode(),
        "content/datum.md:4: date 'irgendwann im Frühling' cannot be read",
    ),
    "date-impossible": (
        "datum.md",
        b"---\ntitle: Der Krieg\ndate: 31.02.2025\n---\n\nText.\n",
        "content/datum.md:3: date '31.02.2025' cannot be read",
    ),
    "date-txt-import": (
        "import.txt",
        b"Der Krieg\n- Anna Schmidt\n- vor 3 Tagen\n\nDer Krieg ist nicht vorbei.\n",
        "content/import.txt: date 'vor 3 Tagen' cannot be read",
    ),
}


@pytest.mark.parametrize("case", sorted(UNREADABLE_DATES))
def test_an_article_with_an_unreadable_date_is_published_with_a_warning(
    project: Project, case: str
) -> None:
    name, data, expected = UNREADABLE_DATES[case]
    write_good(project)
    project.write(name, data)
    built = build()
    assert (built.exit_code, built.errors) == (report.EXIT_OK, [])
    assert [w for w in built.answer["warnings"] if "cannot be read" in w][0].startswith(expected)
    assert len(project.published()) == 3


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_article_is_reported_on_one_line_and_the_others_are_published(
    project: Project, case: str
) -> None:
    name, data, expected = BAD_INPUT[case]
    write_good(project)
    project.write(name, data)

    built = build()

    assert built.exit_code == report.EXIT_PARTIAL == built.answer["exit_code"]
    assert built.errors == [f"error: {expected}"]
    assert built.answer["errors"] == [expected]
    assert built.answer["articles"] == 2
    assert_good_published(project)
    assert project.published() == {"gut-eins", "gut-zwei"}
    # Skipped means skipped: no memory was started for it.
    assert not (project.translations / Path(name).with_suffix(".po")).exists()


def test_an_article_changed_while_the_build_runs_is_reported_and_the_others_are_published(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build does not keep the articles' bytes between its passes: it reads them
    again, and one that changed after pass 1 (an editor saving mid-build) would be
    settled against translations planned for other text."""
    from translate_pipeline import build as build_module

    write_good(project)
    changed = project.write("spaet.md", "---\ntitle: Spät\n---\n\nDer Kanzler sagte heute.\n")
    translate = build_module._translate

    def edit_then_translate(*args: object) -> None:
        changed.write_text("---\ntitle: Spät\n---\n\nDer Kanzler sagte gestern.\n", "utf-8")
        translate(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(build_module, "_translate", edit_then_translate)
    built = build()

    assert built.exit_code == report.EXIT_PARTIAL
    assert built.errors == [
        "error: content/spaet.md: changed while the build ran; not built (build again to "
        "publish it)"
    ]
    assert project.published() == {"gut-eins", "gut-zwei"}
    monkeypatch.setattr(build_module, "_translate", translate)
    assert build().exit_code == 0
    assert project.published() == {"gut-eins", "gut-zwei", "spaet"}


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("", None),
        ('""', None),
        ("2025-03-15", "15 March 2025"),  # a YAML date
        ("2025-03-15 10:30:00", None),  # a YAML timestamp: YAML has read it
        ("15. März", "15 March"),  # no year: kept partial, not guessed
        ("März 2025", "March 2025"),
        ("Sonntag, 16.03.25", "16 March 2025"),
    ],
)
def test_readable_or_empty_dates_build(project: Project, written: str, shown: str | None) -> None:
    project.write(
        "datum.md",
        f"---\ntitle: Der Krieg\ndate: {written}\n---\n\n"
        "Der Präsident sagte heute nicht, dass der Krieg bald vorbei ist.\n",
    )

    built = build()

    assert (built.exit_code, built.errors) == (report.EXIT_OK, [])
    if shown is not None:
        assert f">{shown}</time>" in project.page("en", "datum").read_text("utf-8")


def test_project_without_a_glossaries_folder_builds(project: Project) -> None:
    project.glossaries.rmdir()
    write_good(project)

    built = build()

    assert (built.exit_code, built.errors) == (report.EXIT_OK, [])
    assert_good_published(project)


def test_glossary_given_as_one_file_is_part_of_the_build_state(project: Project) -> None:
    write_good(project)
    glossary = project.root / "namen.yaml"
    glossary.write_text("- de: Berlin\n  en: BERLIN\n", encoding="utf-8")
    assert build("--glossaries", "namen.yaml").exit_code == report.EXIT_OK
    assert "BERLIN" in project.page("en", "gut-zwei").read_text("utf-8")

    glossary.write_text("- de: Berlin\n  en: Berlin (city)\n", encoding="utf-8")
    built = build("--glossaries", "namen.yaml")

    assert built.exit_code == report.EXIT_OK
    assert "Berlin (city)" in project.page("en", "gut-zwei").read_text("utf-8")


def test_undecodable_bytes_are_never_replaced(project: Project) -> None:
    write_good(project)
    project.write("latin1.md", BAD_INPUT["not-utf8"][1])

    assert build().exit_code == report.EXIT_PARTIAL

    for folder in (project.site, project.translations):
        for rel, data in snapshot(folder).items():
            assert "\ufffd" not in data.decode("utf-8"), rel
            assert "Stra" not in data.decode("utf-8"), rel


def test_bom_and_crlf_line_endings_simply_work(project: Project) -> None:
    text = (
        "---\ntitle: Der Krieg und der Frieden\nauthor: Anna\ndate: 15.03.2025\n---\n\n"
        "# Der Präsident sagte nicht\n\n"
        "Der Kanzler sagte heute, dass der Krieg nicht vorbei ist und die Regierung auch am "
        "Freitag nicht über den Frieden sprechen wird.\n\n"
        "- Der Krieg\n- Der Frieden\n"
    )
    project.write("bom.md", b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())

    built = build()

    assert (built.exit_code, built.errors, built.warnings) == (report.EXIT_OK, [], [])
    assert project.published() == {"bom"}
    page = Text(project.page("de-en", "bom").read_text("utf-8")).text
    assert page.startswith("Der Krieg und der Frieden The war and der peace")
    assert "The president said not" in page
    assert "15 March 2025" in page
    po = memory.load(project.translations / "bom.po")
    assert sorted(po.entries) == sorted(
        [
            "Der Krieg und der Frieden",
            "Der Präsident sagte nicht",
            "Der Kanzler sagte heute, dass der Krieg nicht vorbei ist und die Regierung auch am "
            "Freitag nicht über den Frieden sprechen wird.",
            "Der Krieg",
            "Der Frieden",
        ]
    )
    # Line numbers are the file's, CRLF or not.
    assert po.entries["Der Präsident sagte nicht"].references == ("content/bom.md:7",)
    for data in snapshot(project.site).values():
        assert b"\r" not in data and b"\xef\xbb\xbf" not in data


def test_title_shows_the_same_characters_in_english(project: Project) -> None:
    """The title is plain text, but its machine English comes back as inline Markdown with
    the literal characters escaped; the pages and the feed must not show the escapes."""
    title = "Der Krieg [Teil 1] *wichtig* a_b <1> & Co"
    project.write(
        "titel.md",
        f"---\ntitle: {json.dumps(title)}\ndescription: {json.dumps(title)}\nlang: de\n---\n\n"
        "Der Präsident sagte heute nicht, dass der Krieg vorbei ist.\n",
    )

    assert build().exit_code == report.EXIT_OK

    english = "The war [Teil 1] *wichtig* a_b <1> & Co"
    page = project.page("en", "titel").read_text("utf-8")
    assert f'<h1 id="title">{html.escape(english, quote=False)}</h1>' in page
    assert f'<meta name="description" content="{html.escape(english)}">' in page
    feed = ET.fromstring((project.site / "en" / "feed.xml").read_bytes())
    assert [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")][1:] == [english]
    # A translator's title is shown as written, backslashes and all.
    po_path = project.translations / "titel.po"
    po = polib.pofile(str(po_path))
    po.find(title).msgstr = "The War \\[Part 1\\]"
    po.save(str(po_path))
    assert build().exit_code == report.EXIT_OK
    assert '<h1 id="title">The War \\[Part 1\\]</h1>' in project.page("en", "titel").read_text(
        "utf-8"
    )


SLUG_A = (
    "---\ntitle: Der Krieg\nslug: bericht\n---\n\nDer Präsident sagte heute nicht, dass der "
    "Krieg vorbei ist, und auch die Regierung wird nicht über den Frieden sprechen.\n"
)
SLUG_B = (
    "---\ntitle: Der Frieden\nslug: bericht\n---\n\nDie Bahn fuhr am Sonntag nicht, weil der "
    "Frieden sehr nah ist, aber die Regierung wird am Sonntag nicht darüber sprechen.\n"
)
SLUG_CONFLICT = (
    "content/b.md: slug 'bericht' is already used by content/a.md; set a "
    "different 'slug:' in its front matter (not built)"
)


def assert_slug_held_by_a(project: Project) -> None:
    assert project.published() == {"bericht", "gut-eins", "gut-zwei"}
    for lang in ("de", "de-en"):
        page = project.page(lang, "bericht").read_text("utf-8")
        assert "Der Präsident sagte heute nicht" in page and "Die Bahn" not in page
    assert not any(b"Die Bahn fuhr" in d for d in snapshot(project.site).values())


def test_two_articles_with_one_slug_neither_overwrites_the_other(project: Project) -> None:
    write_good(project)
    project.write("a.md", SLUG_A)
    project.write("b.md", SLUG_B)

    built = build()

    assert built.exit_code == report.EXIT_PARTIAL
    assert built.errors == [f"error: {SLUG_CONFLICT}"]
    assert_slug_held_by_a(project)
    assert (project.translations / "a.po").is_file()
    assert not (project.translations / "b.po").exists()
    # Again, with a now reused from the build state: the same single report.
    again = build()
    assert (again.exit_code, again.errors) == (report.EXIT_PARTIAL, [f"error: {SLUG_CONFLICT}"])
    assert again.answer["reused_articles"] == 3
    assert_slug_held_by_a(project)


def test_published_slug_is_not_taken_over_by_a_new_article(project: Project) -> None:
    """b was published under the slug; a (first in path order) now claims it. The live
    URL keeps showing b; a is reported once, and b's translation memory stays."""
    write_good(project)
    project.write("b.md", SLUG_B)
    assert build().exit_code == report.EXIT_OK
    b_memory = (project.translations / "b.po").read_bytes()
    project.write("a.md", SLUG_A)

    built = build()

    assert built.exit_code == report.EXIT_PARTIAL
    assert built.errors == [
        "error: content/a.md: slug 'bericht' is already used by content/b.md; set a "
        "different 'slug:' in its front matter (not built)"
    ]
    assert project.published() == {"bericht", "gut-eins", "gut-zwei"}
    page = project.page("de", "bericht").read_text("utf-8")
    assert "Die Bahn fuhr" in page and "Der Präsident sagte heute nicht" not in page
    assert (project.translations / "b.po").read_bytes() == b_memory
    assert not (project.translations / "a.po").exists()


@pytest.mark.parametrize(
    ("slug", "expected_slug"),
    [
        ("../../etc", "etc"),
        ("/etc/passwd", "etc-passwd"),
        ("..", "article"),
        ("Über uns & mehr!", "ueber-uns-mehr"),
        ("a/../../b", "a-b"),
    ],
)
def test_slug_is_made_url_safe_and_never_used_raw(
    project: Project, tmp_path: Path, slug: str, expected_slug: str
) -> None:
    project.write(
        "ausbruch.md",
        f"---\ntitle: Der Frieden\nslug: {json.dumps(slug)}\n---\n\n"
        "Der Präsident sagte heute, dass der Frieden sehr wichtig ist und die Regierung "
        "nicht mehr über den Krieg sprechen wird.\n",
    )
    before = {p for p in tmp_path.rglob("*") if not p.is_relative_to(project.root)}

    built = build()

    assert built.exit_code == report.EXIT_OK
    assert built.warnings == [
        f"warning: content/ausbruch.md:3: slug {slug!r} is not URL-safe, using {expected_slug!r}"
    ]
    assert project.published() == {expected_slug}
    # Nothing was written outside the project's site/ and translations/.
    assert {p for p in tmp_path.rglob("*") if not p.is_relative_to(project.root)} == before
    written = {p.relative_to(project.root).parts[0] for p in project.root.rglob("*")}
    assert written == {"content", "glossaries", "site", "translations", ".site.lock"}
    for rel in snapshot(project.site):
        assert ".." not in Path(rel).parts
        assert re.fullmatch(r"[a-z0-9./_-]+", rel), rel


def test_odd_file_name_becomes_a_url_safe_slug(project: Project) -> None:
    project.write(
        "Straße & Co. (2025) ?.md",
        "---\ntitle: Der Frieden\n---\n\nDer Präsident sagte heute, dass der Frieden sehr "
        "wichtig ist und die Regierung nicht mehr über den Krieg sprechen wird.\n",
    )

    built = build()

    assert (built.exit_code, built.errors) == (report.EXIT_OK, [])
    assert project.published() == {"strasse-co-2025"}


def test_ten_megabyte_article_builds(project: Project) -> None:
    """10 MB is under the 20 MB limit, so it must build. Its paragraphs repeat (10 MB of
    distinct German would take the tiny test model about 15 minutes): the model sees each
    distinct paragraph once, and every block still gets its row."""
    sentence = (
        "Der Präsident sagte am Montag im Absatz {}, dass die Regierung nicht mehr über "
        "den Krieg und den Frieden sprechen wird, weil die Lage sehr ernst ist."
    )
    distinct = [" ".join([sentence.format(i)] * 100) for i in range(4)]
    blocks: list[str] = []
    size = 0
    while size < 10 * 2**20:
        blocks.append(distinct[len(blocks) % len(distinct)])
        size += len(blocks[-1].encode()) + 2
    project.write("gross.md", "---\ntitle: Der Krieg\nlang: de\n---\n\n" + "\n\n".join(blocks))
    assert (project.content / "gross.md").stat().st_size >= 10 * 2**20

    started = time.monotonic()
    built = build()
    elapsed = time.monotonic() - started

    assert (built.exit_code, built.errors) == (report.EXIT_OK, [])
    assert sorted(built.answer["translated_units"]) == sorted(["Der Krieg", *distinct])
    bilingual = project.page("de-en", "gross").read_text("utf-8")
    assert bilingual.count('<div class="row k-paragraph">') == len(blocks)
    english = project.page("en", "gross").read_text("utf-8")
    last = "The president said am Monday im Absatz 3, dass die government not mehr"
    assert english.count(last) == 100 * blocks.count(distinct[3])
    po = memory.load(project.translations / "gross.po")
    assert len(po.entries) == 5
    assert len(po.entries[distinct[0]].references) == blocks.count(distinct[0])
    assert elapsed < 300, f"a 10 MB article took {elapsed:.0f}s"


def test_ten_megabyte_limit_is_twenty(project: Project) -> None:
    write_good(project)
    project.write("riesig.md", b"---\ntitle: Der Krieg\n---\n\n" + b"Text. " * (4 * 2**20))

    built = build()

    assert built.exit_code == report.EXIT_PARTIAL
    assert built.errors == ["error: content/riesig.md: file is larger than 20 MB"]
    assert_good_published(project)


def test_sentence_longer_than_the_model_accepts_reaches_it_whole(project: Project) -> None:
    syllables = ["ba", "ke", "lo", "mu", "ri", "sa", "te", "vo", "ni", "da", "fe", "gu", "ho"]
    words: list[str] = []
    n = 0
    while len(words) < 1500:  # distinct made-up words, in a fixed order
        digits, k = [], n
        for _ in range(4):
            k, r = divmod(k, len(syllables))
            digits.append(syllables[r])
        words.append("".join(digits))
        n += 7
    assert len(set(words)) == 1500
    sentence = "Der Präsident sagte " + " ".join(words) + "."
    project.write("lang.md", f"---\ntitle: Der Krieg\nlang: de\n---\n\n{sentence}\n")
    package = models.find_package("de", "en")
    assert package is not None
    pieces = sentencepiece.SentencePieceProcessor(
        model_file=str(package.sentencepiece_model)
    ).encode(sentence, out_type=str)
    # Far more than the model takes in one go (it would silently cut the rest).
    assert len(pieces) > testmodel.MAX_POSITIONS > engine.EngineSettings().max_input_tokens

    built = build()

    assert (built.exit_code, built.errors) == (report.EXIT_OK, [])
    entry = memory.load(project.translations / "lang.po").entries[sentence]
    assert entry.target == "The president said " + " ".join(words) + "."
    page = Text(project.page("en", "lang").read_text("utf-8")).text
    assert "The president said " + " ".join(words) + "." in page


def test_glossary_that_does_not_parse_stops_the_build_and_writes_nothing(
    project: Project,
) -> None:
    write_good(project)
    assert build().exit_code == report.EXIT_OK
    project.write(
        "neu.md",
        "---\ntitle: Der Frieden\n---\n\nDer Kanzler sagte heute, dass der Frieden sehr "
        "wichtig ist und die Regierung nicht mehr über den Krieg sprechen wird.\n",
    )
    (project.glossaries / "namen.yaml").write_text(
        "- de: Kiew\n  en: Kyiv\n- de: [Moskau\n  en: Moscow\n", encoding="utf-8"
    )
    before = snapshot(project.root)

    built = build()

    assert built.exit_code == report.EXIT_FAILED
    assert built.errors == [
        "error: glossaries/namen.yaml:4: YAML: while parsing a flow sequence expected ',' or "
        "']', but got ':' (fix the glossary; nothing was built)"
    ]
    assert snapshot(project.root) == before


# PO files a person broke by hand. polib raises on some of these and quietly "repairs" the
# others (an unclosed quote loses the string's last character; an unquoted msgstr becomes
# empty), which the build would then have written back over the translator's work.
BROKEN_PO = {
    "unclosed-quote": ('msgstr "The president said not"', 'msgstr "The president said nicht'),
    "unescaped-quote": ('msgstr "The president said not"', 'msgstr "The "president" said"'),
    "unquoted": ('msgstr "The president said not"', "msgstr The president said not"),
    "stray-line": ('msgstr "The president said not"', 'msgstr "The president"\nsaid not'),
}


@pytest.mark.parametrize("case", sorted(BROKEN_PO))
def test_po_file_that_does_not_parse_is_reported_and_kept(project: Project, case: str) -> None:
    write_good(project)
    assert build().exit_code == report.EXIT_OK
    po_path = project.translations / "gut-eins.po"
    old, new = BROKEN_PO[case]
    text = po_path.read_text("utf-8")
    assert text.count(old) == 1
    broken = text.replace(old, new)
    po_path.write_text(broken, encoding="utf-8")
    line = broken[: broken.index(new)].count("\n") + 1 + new.count("\n")
    # Something else changed too, so the build does real work.
    project.write("gut-zwei.md", GOOD["gut-zwei.md"] + "\nDer Krieg ist nicht vorbei.\n")

    built = build()

    assert built.exit_code == report.EXIT_PARTIAL
    (error,) = built.errors
    assert error.startswith(
        f"error: translations/de-en/gut-eins.po:{line}: translation memory does not parse: "
    )
    assert po_path.read_text("utf-8") == broken
    assert "gut-zwei" in project.published()
    assert "The war is not vorbei." in project.page("en", "gut-zwei").read_text("utf-8")


def test_po_file_that_polib_rejects_names_its_line(project: Project) -> None:
    write_good(project)
    po_path = project.translations / "gut-eins.po"
    po_path.parent.mkdir(parents=True)
    po_path.write_text('msgid "a"\nmsgstr "b"\n\nmsgid "a"\nmsgstr "c"\nmsgstr "d"\n', "utf-8")
    original = po_path.read_bytes()

    built = build()

    assert built.exit_code == report.EXIT_PARTIAL
    # polib's own "Syntax error in po file … (line 6)", reworded as file:line.
    assert built.errors == [
        "error: translations/de-en/gut-eins.po:6: translation memory does not parse: syntax error"
    ]
    assert po_path.read_bytes() == original
    assert "gut-zwei" in project.published()


def test_po_file_not_utf8_names_its_line(project: Project) -> None:
    write_good(project)
    po_path = project.translations / "gut-eins.po"
    po_path.parent.mkdir(parents=True)
    po_path.write_bytes(
        'msgid "a"\nmsgstr "b"\n\nmsgid "Stra\xdfe"\nmsgstr "street"\n'.encode("latin-1")
    )

    built = build()

    assert built.errors == [
        "error: translations/de-en/gut-eins.po:4: translation memory does not parse: "
        "not valid UTF-8 (byte 0xdf)"
    ]


def test_memory_the_pipeline_writes_passes_the_syntax_check(tmp_path: Path) -> None:
    """The stricter PO check must accept everything the pipeline (via polib) writes."""
    odd = 'a\u2028b "q" \x0b c\td\\e\r\nf\x85g'
    mem = memory.Memory()
    mem.entries[odd] = memory.Entry(odd, "x\ny", memory.HUMAN, references=("content/a.md:3",))
    mem.entries["z"] = memory.Entry(
        "z", "Z", memory.HUMAN, fuzzy=True, previous_source="zz " * 30, machine_target="Z\nq"
    )
    mem.obsolete.append(memory.Entry("alt " * 40, "old " * 40, memory.HUMAN, previous_source="x"))
    path = tmp_path / "a.po"
    path.write_bytes(memory.render(mem, "content/a.md"))

    loaded = memory.load(path)

    assert loaded.entries[odd].target == "x\ny"
    assert loaded.entries["z"].previous_source == "zz " * 30
    assert [e.source for e in loaded.obsolete] == ["alt " * 40]


# --- 2. interruptions --------------------------------------------------------------------------

NOUNS = ["Regierung", "Stadt", "Schule", "Zeitung", "Wahl", "Grenze", "Bahn", "Brücke", "Kirche"]
VERBS = ["sagte", "meinte", "erklärte", "betonte", "berichtete", "schrieb", "fragte"]
CLAUSES = [
    "dass die Lage in der Stadt sehr ernst ist",
    "dass man nicht mehr lange warten kann",
    "dass die Menschen auf dem Land wenig Geld haben",
    "dass der Winter lang und kalt wird",
    "dass die Schule am Montag wieder öffnet",
    "dass die Wahl im Herbst stattfindet",
]


def slow_content(project: Project, articles: int = 20, paragraphs: int = 6) -> set[str]:
    """Articles with distinct German sentences; returns every unit the model must see."""
    units: set[str] = set()
    k = 0
    for a in range(articles):
        title = f"Bericht Nummer {a} über den Krieg und die Regierung"
        paras = []
        for _ in range(paragraphs):
            sentences = []
            for _ in range(5):
                sentences.append(
                    f"Der {NOUNS[k % 9]} {VERBS[k % 7]} am Abend {k}, {CLAUSES[k % 6]}."
                )
                k += 1
            paras.append(" ".join(sentences))
        project.write(f"neu-{a:02d}.md", f"---\ntitle: {title}\n---\n\n" + "\n\n".join(paras))
        units.update([title, *paras])
    return units


def journalled(project: Project) -> set[str]:
    """The units journalled (not the single sentences Ctrl+C journals)."""
    path = project.translations / ".journal.jsonl"
    sources = set()
    for line in path.read_text("utf-8").split("\n"):
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # the line the kill cut short
        if "source" in record:
            sources.add(record["source"])
    return sources


def test_journal_keeps_records_with_unicode_line_separators(tmp_path: Path) -> None:
    """JSON leaves U+2028 and U+0085 unescaped; splitting the journal at them (as
    str.splitlines does) lost those records, and the next build redid their work."""
    path = tmp_path / ".journal.jsonl"
    sources = ["Der Krieg\u2028heute", "Der\x85Frieden", "Der Kanzler\u2029sagte", "Ende\x0b"]
    machine.Journal(path).add(
        [{"source": s, "glossary": [], "target": s, "model": "m", "problems": []} for s in sources]
    )
    with open(path, "a", encoding="utf-8") as handle:
        handle.write('{"source": "cut sho')  # a record the kill cut short

    reloaded = machine.Journal(path)
    assert sorted(r["source"] for r in reloaded.records()) == sorted(sources)
    assert all(reloaded.get(s, ())["target"] == s for s in sources)  # type: ignore[index]


def test_a_journal_cut_short_takes_new_records_on_a_line_of_their_own(tmp_path: Path) -> None:
    """A kill mid-record leaves a line without its newline; appending the next run's
    first record to it lost that record for the run after."""
    path = tmp_path / ".journal.jsonl"
    path.write_text('{"source": "Der Krieg", "glossary": [], "target": "The w', "utf-8")
    journal = machine.Journal(path)
    assert not journal.has("Der Krieg", ())
    record = {"source": "Der Krieg", "glossary": [], "target": "The war", "model": "m"}
    journal.add([{**record, "problems": []}])
    assert journal.get("Der Krieg", ())["target"] == "The war"  # type: ignore[index]
    assert machine.Journal(path).get("Der Krieg", ())["target"] == "The war"  # type: ignore[index]


# Runs the CLI's `main` as the console script does, with smaller translation waves so a
# kill lands mid-translation with several waves journalled before it and several after.
CHILD = """
import signal, sys
from translate_pipeline import machine
from translate_pipeline.cli import main
signal.signal(signal.SIGINT, signal.default_int_handler)
machine.WAVE_SENTENCES = 48
main(prog_name="translate-pipeline")
"""


@contextmanager
def slow_build(project: Project) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, "build", "--json"],
        cwd=project.root,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=60)


def wait_for_journal(project: Project, process: subprocess.Popen[str], timeout: float = 60) -> None:
    journal = project.translations / ".journal.jsonl"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the build ended before it was interrupted: {process.communicate()}")
        if journal.exists() and journal.read_bytes().count(b"\n") >= 2:
            return
        time.sleep(0.01)
    pytest.fail("no translation wave was journalled in time")


def previous_site(project: Project) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """A published site and memory from other content, as snapshots."""
    write_good(project)
    assert build().exit_code == report.EXIT_OK
    return snapshot(project.site), snapshot(project.translations)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_interrupted_build_loses_nothing_and_the_next_one_resumes(
    project: Project, sig: signal.Signals
) -> None:
    old_site, old_memory = previous_site(project)
    units = slow_content(project)
    old_units = {e.msgid for p in project.translations.glob("*.po") for e in polib.pofile(str(p))}

    with slow_build(project) as process:
        wait_for_journal(project, process)
        if sig == signal.SIGKILL:
            # Meanwhile a second build on the same folder refuses at once.
            second = build()
            assert second.exit_code == report.EXIT_FAILED
            assert second.errors == [
                "error: site: another build is running on this folder (lock .site.lock); "
                "try again when it has finished"
            ]
        assert process.poll() is None, "the build finished before it could be interrupted"
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=60)

    if sig == signal.SIGKILL:
        assert process.returncode == -signal.SIGKILL
    else:
        # Ctrl+C: exit 130, one line saying what was kept, no traceback.
        assert process.returncode == 130, stderr
        assert "interrupted; site/ is unchanged" in stderr
        assert "Traceback" not in stderr
    # The published site is exactly the old one; no staging folder was left to publish.
    assert snapshot(project.site) == old_site
    assert not (project.root / ".site.staging").exists()
    # Every PO file is intact (none was written yet) and parses.
    assert {k: v for k, v in snapshot(project.translations).items() if k.endswith(".po")} == {
        k: v for k, v in old_memory.items() if k.endswith(".po")
    }
    for path in project.translations.rglob("*.po"):
        polib.pofile(str(path))
        memory.load(path)
    assert not [p for p in project.translations.rglob("*") if p.name.endswith(".tmp")]
    done_before = journalled(project)
    assert done_before and done_before < units

    resumed = build()

    assert (resumed.exit_code, resumed.errors) == (report.EXIT_OK, [])
    sent = resumed.answer["translated_units"]
    assert len(sent) == len(set(sent))
    assert not set(sent) & done_before, "work journalled before the interruption was redone"
    assert set(sent) | done_before == units
    assert not set(sent) & old_units
    assert project.published() == {"gut-eins", "gut-zwei"} | {f"neu-{a:02d}" for a in range(20)}
    assert not (project.translations / ".journal.jsonl").exists()
    translated = {
        e.msgid: e.msgstr
        for p in project.translations.glob("neu-*.po")
        for e in polib.pofile(str(p))
        if e.msgid
    }
    assert set(translated) == units
    assert all(t.startswith(("The ", "Bericht Nummer")) for t in translated.values())
    # The old articles were not even rebuilt.
    for rel in ("de/gut-eins/index.html", "en/gut-zwei/index.html", "de-en/gut-eins/index.html"):
        assert (project.site / rel).read_bytes() == old_site[rel]


# --- 3. concurrency ----------------------------------------------------------------------------


def test_second_build_refuses_while_another_holds_the_lock(project: Project) -> None:
    write_good(project)
    assert build().exit_code == report.EXIT_OK
    project.write(
        "neu.md",
        "---\ntitle: Der Frieden\n---\n\nDer Kanzler sagte heute, dass der Frieden sehr "
        "wichtig ist und die Regierung nicht mehr über den Krieg sprechen wird.\n",
    )
    before = snapshot(project.root)

    with open(project.root / ".site.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        started = time.monotonic()
        refused = build()
        assert time.monotonic() - started < 5  # at once, not after waiting

    assert refused.exit_code == report.EXIT_FAILED
    assert refused.errors == [
        "error: site: another build is running on this folder (lock .site.lock); "
        "try again when it has finished"
    ]
    assert snapshot(project.root) == before
    # Once the lock is free, the same build goes through.
    assert build().exit_code == report.EXIT_OK
    assert "neu" in project.published()


# --- 4. broken model files ---------------------------------------------------------------------


def _remove_model_bin(package: Path) -> None:
    (package / "model" / "model.bin").unlink()


def _truncate_model_bin(package: Path) -> None:
    model_bin = package / "model" / "model.bin"
    data = model_bin.read_bytes()
    model_bin.write_bytes(data[: len(data) // 2])


def _garble_sentencepiece(package: Path) -> None:
    (package / "sentencepiece.model").write_bytes(b"this is not a SentencePiece model\n" * 10)


DAMAGE = {
    "model.bin missing": (_remove_model_bin, "model/model.bin (the CTranslate2 model) is missing"),
    "model.bin truncated": (_truncate_model_bin, "model/model.bin is corrupt"),
    "sentencepiece.model broken": (_garble_sentencepiece, "sentencepiece.model does not load"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_broken_model_package_stops_the_build_before_anything_is_written(
    project: Project, damage: str
) -> None:
    write_good(project)
    assert build().exit_code == report.EXIT_OK
    project.write(
        "neu.md",
        "---\ntitle: Der Frieden\n---\n\nDer Kanzler sagte heute, dass der Frieden sehr "
        "wichtig ist und die Regierung nicht mehr über den Krieg sprechen wird.\n",
    )
    before = snapshot(project.root)
    package = models.find_package("de", "en")
    assert package is not None
    breaks, problem = DAMAGE[damage]
    breaks(package.path)

    built = build()

    assert built.exit_code == report.EXIT_NO_MODEL
    (error,) = built.errors
    assert error.startswith(
        f"error: Translation package '{package.name}' ({package.path}) is broken: "
    )
    assert problem in error
    assert "Reinstall it with `translate-pipeline models install de en`" in error
    assert error.endswith("(nothing was written)")
    assert snapshot(project.root) == before
