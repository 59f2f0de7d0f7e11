"""Issue 14: what editors do to the memory and the glossary, followed by a build, with the
real hand-wired model. Each test is one case the issue lists."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from translate_pipeline import memory
from translate_pipeline.cli import main

ARTICLE = """---
title: Der Kanzler und der Präsident
---

Der Präsident sagte heute nichts.

Der NATO-Chef und die Trump-Regierung trafen sich in der Rhein-Main-Region.

Putins Rede war kurz.

Der Kanzler sprach gestern von Gebieten.
"""

GLOSSARY = """\
- de: NATO-Chef
  en: NATO chief
- de: Trump-Regierung
  en: Trump administration
- de: Rhein-Main-Region
  en: Rhine-Main region
- de: Putin
  en: Putin
- de: Gebiet
  en: region
  case_sensitive: false
  plural: true
  en_plural: regions
- de: präsident
  en: president
  case_sensitive: false
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def build() -> dict:
    code, out, err = run("build", "--json")
    answer = json.loads(out)
    assert code == answer["exit_code"], err
    return answer


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argos_packages_dir: Path) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "glossaries").mkdir()
    (tmp_path / "content" / "news.md").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "glossaries" / "names.yaml").write_text(GLOSSARY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def po(project: Path) -> memory.Memory:
    return memory.load(project / "translations/de-en/news.po")


def test_hyphenated_glossary_terms_leave_check_and_frozen_clean(project: Path) -> None:
    assert build()["exit_code"] == 0
    text = (project / "translations/de-en/news.po").read_text("utf-8")
    assert "NATO-Chef → NATO chief" in text and "Rhein-Main-Region → Rhine-Main region" in text
    assert run("check")[0] == 0
    assert run("build", "--frozen")[0] == 0
    assert build()["translated_units"] == []


def test_a_mistake_in_an_articles_glossary_skips_that_article_only(project: Path) -> None:
    (project / "content" / "kaputt.md").write_text(
        "---\ntitle: Kaputt\nglossary:\n  - {de: Kiew, targte: Kyiv}\n---\n\nDer Krieg.\n",
        encoding="utf-8",
    )
    answer = build()
    assert answer["exit_code"] == 3
    (error,) = answer["errors"]
    assert error.startswith("content/kaputt.md:3: front matter 'glossary': ")
    assert "unknown key 'targte'" in error
    assert (project / "site/en/news/index.html").is_file()
    code, out, _ = run("check", "--json")
    checked = json.loads(out)
    assert code == 1 and checked["exit_code"] == 1
    assert any(p.startswith("content/kaputt.md:3:") for p in checked["problems"])


def test_needs_work_on_a_human_translation_keeps_the_human_text(project: Path) -> None:
    build()
    mem = po(project)
    unit = "Der Präsident sagte heute nichts."
    mem.entries[unit] = memory.Entry(
        unit, "The President said nothing today.", memory.HUMAN, fuzzy=True
    )
    path = project / "translations/de-en/news.po"
    path.write_bytes(memory.render(mem, "content/news.md"))
    answer = build()
    assert answer["translated_units"] == []
    page = (project / "site/en/news/index.html").read_text("utf-8")
    assert "The President said nothing today." in page
    assert any(
        line.endswith("human translation marked as needing work") for line in answer["review"]
    )
    assert not any("German changed" in line for line in answer["review"])
    assert po(project).entries[unit].fuzzy  # still flagged until an editor clears it


def test_needs_work_on_machine_english_survives_a_change_of_its_german(project: Path) -> None:
    build()
    mem = po(project)
    unit = "Der Präsident sagte heute nichts."
    entry = mem.entries[unit]
    mem.entries[unit] = memory.Entry(
        **{**entry.__dict__, "fuzzy": True, "comments": ("Zeitform?",)}
    )
    (project / "translations/de-en/news.po").write_bytes(memory.render(mem, "content/news.md"))
    article = project / "content/news.md"
    article.write_text(ARTICLE.replace(unit, "Der Präsident sagte gestern nichts."), "utf-8")
    answer = build()
    moved = po(project).entries["Der Präsident sagte gestern nichts."]
    assert (moved.origin, moved.fuzzy, moved.previous_source) == ("machine", True, unit)
    assert moved.comments == ("Zeitform?",)
    assert any("still marked as needing work" in line for line in answer["review"])


def test_comments_credits_and_flags_survive_builds(project: Path) -> None:
    build()
    path = project / "translations/de-en/news.po"
    text = path.read_text("utf-8")
    text = text.replace("# English translation", "# Übersetzt von Erika.\n# English translation", 1)
    text = text.replace(
        '#: content/news.md:5\nmsgid "Der Präsident',
        '# Bitte mit der Redaktion klären.\n#: content/news.md:5\n#, no-wrap\nmsgid "Der Präsident',
    )
    path.write_text(text, "utf-8")
    (project / "content/news.md").write_text(
        ARTICLE + "\nEin neuer Absatz ist heute da.\n", "utf-8"
    )
    build()
    after = path.read_text("utf-8")
    assert "# Übersetzt von Erika." in after
    assert "# Bitte mit der Redaktion klären.\n" in after and "#, no-wrap\n" in after
    assert 'msgid "Ein neuer Absatz ist heute da."' in after


def _needs(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed (translate-toolkit, a dev dependency)")


def test_a_spreadsheet_round_trip_does_not_make_machine_english_human(project: Path) -> None:
    build()
    path = project / "translations/de-en/news.po"
    csv = project / "news.csv"
    for tool in ("po2csv", "csv2po"):
        _needs(tool)
    subprocess.run(["po2csv", str(path), str(csv)], check=True, capture_output=True)
    subprocess.run(["csv2po", str(csv), str(path)], check=True, capture_output=True)
    assert all(e.origin == memory.UNVERIFIED for e in po(project).entries.values())
    answer = build()
    entries = po(project).entries
    assert all(e.origin == memory.MACHINE for e in entries.values()), entries
    page = (project / "site/en/news/index.html").read_text("utf-8")
    assert "machine-translated" in page
    # The glossary reaches them again.
    glossary = project / "glossaries/names.yaml"
    glossary.write_text(GLOSSARY.replace("NATO chief", "NATO secretary general"), "utf-8")
    assert build()["glossary_retranslated"] == 1
    assert answer["exit_code"] == 0


@pytest.mark.parametrize(
    ("change", "retranslated"),
    [
        (("  en_plural: regions\n", "  en_plural: areas\n"), "Gebieten"),  # plural form only
        (("- de: Putin\n  en: Putin\n", "- de: Putin\n  en: Putin\n  genitive: plain\n"), "Putins"),
        (
            ("en: president\n  case_sensitive: false", "en: president\n  case_sensitive: true"),
            "Präsident",
        ),
    ],
)
def test_an_inflection_change_retranslates_exactly_what_it_affects(
    project: Path, change: tuple[str, str], retranslated: str
) -> None:
    build()
    glossary = project / "glossaries/names.yaml"
    glossary.write_text(GLOSSARY.replace(*change), "utf-8")
    answer = build()
    affected = [line for line in ARTICLE.splitlines() if retranslated in line]
    affected = [line.removeprefix("title: ") for line in affected]
    assert answer["glossary_retranslated"] == len(affected) >= 1
    assert sorted(answer["translated_units"]) == sorted(affected)
    assert run("check")[0] == 0


def test_glossary_mistakes_are_reported_by_build_and_check(project: Path) -> None:
    tsv = project / "glossaries/extra.tsv"
    tsv.write_bytes("\ufeffDeutsch\tEnglish\nKiew \tKyiv\nMoskau\tMoscow\n".encode())
    (project / "glossaries/zweite.yaml").write_text("- de: Moskau\n  en: Moskva\n", "utf-8")
    code, _, err = run("build")
    assert code == 0, err
    expected = [
        "glossaries/extra.tsv:1: starts with a byte order mark (BOM); read without it",
        "glossaries/extra.tsv:1: first row 'Deutsch\\tEnglish' is a header, not a term; skipped",
        "glossaries/extra.tsv:2: de 'Kiew ' has spaces around it; used as 'Kiew'",
        "glossaries/zweite.yaml:1: conflicting targets for 'Moskau'",
    ]
    for line in expected:
        assert any(w.startswith(f"warning: {line}") for w in err.splitlines()), (line, err)
    _, _, check_err = run("check")
    for line in expected:
        assert any(w.startswith(f"warning: {line}") for w in check_err.splitlines()), line
    (project / "glossaries/tab.yaml").write_text("- de: Kiew\n\ten: Kyiv\n", "utf-8")
    code, out, err = run("build", "--json")
    assert code == 1
    assert "glossaries/tab.yaml:2: YAML: a tab character; YAML indents with spaces only" in err
    assert json.loads(out)["exit_code"] == 1


def test_glossary_lint_exits_0_on_warnings_unless_strict(project: Path) -> None:
    (project / "glossaries/names.yaml").write_text("- de: kremlchef\n  en: Kremlin chief\n")
    code, out, _ = run("glossary", "lint")
    assert code == 0 and "warning:" in out
    assert run("glossary", "lint", "--strict")[0] == 1
