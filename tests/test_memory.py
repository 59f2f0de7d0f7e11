"""Translation memory and incremental builds (issue 3), with the real test model."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import subprocess
from pathlib import Path

import ctranslate2
import polib
import pytest
from click.testing import CliRunner

from translate_pipeline import memory, report
from translate_pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]

ARTICLE = """---
title: Der Präsident sagte nicht
author: Redaktion
date: 2025-03-16
---

Der Präsident sagte heute, Russland ist nicht im Krieg.

Der Kremlchef sagte gestern in Kiew nichts.

Die Regierung und der Kanzler sagten heute nichts.

Der Kanzler reiste am Montag nach Kiew und Moskau.
"""


def build(*args: str) -> dict:
    result = CliRunner().invoke(main, ["build", "--json", *args], catch_exceptions=False)
    assert result.exit_code in (0, 3), result.stderr
    return json.loads(result.stdout)


def check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argos_packages_dir: Path) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "news.md").write_text(ARTICLE, encoding="utf-8")
    shutil.copytree(REPO / "glossaries", tmp_path / "glossaries")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def translators(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every ctranslate2.Translator the pipeline constructs (the real one)."""
    made: list[str] = []
    real = ctranslate2.Translator

    def counting(model_path: str, *args: object, **kwargs: object) -> ctranslate2.Translator:
        made.append(model_path)
        return real(model_path, *args, **kwargs)

    monkeypatch.setattr(ctranslate2, "Translator", counting)
    return made


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_rebuild_translates_nothing_and_loads_no_model(project: Path, translators: list) -> None:
    first = build()
    assert len(first["translated_units"]) == 5  # title + 4 paragraphs
    assert len(translators) == 1
    second = build()
    assert second["translated_units"] == []
    assert len(translators) == 1  # no second Translator


def test_the_report_counts_every_translated_unit_and_lists_the_first_ones(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An archive's units would not fit in memory, nor be read in a JSON report."""
    every = build()["translated_units"]
    shutil.rmtree(project / "translations")
    shutil.rmtree(project / "site")
    monkeypatch.setattr(report, "LISTED_UNITS", 3)
    answer = build()
    assert answer["units_translated"] == len(every) == 5
    assert answer["translated_units"] == every[:3]


def test_editing_one_paragraph_retranslates_it_alone(project: Path) -> None:
    build()
    edit(project / "content/news.md", "in Kiew nichts.", "in Kiew etwas.")
    again = build()
    assert again["translated_units"] == ["Der Kremlchef sagte gestern in Kiew etwas."]
    english = (project / "site/en/news/index.html").read_text("utf-8")
    assert "The Kremlin chief said yesterday in Kyiv etwas." in english


def test_changing_a_glossary_target_retranslates_only_its_blocks(project: Path) -> None:
    build()
    edit(project / "glossaries/de-en.yaml", "en: Kyiv", "en: Kyiv City")
    again = build()
    assert sorted(again["translated_units"]) == sorted(
        [
            "Der Kremlchef sagte gestern in Kiew nichts.",
            "Der Kanzler reiste am Montag nach Kiew und Moskau.",
        ]
    )
    english = (project / "site/en/news/index.html").read_text("utf-8")
    assert "Kyiv City" in english


def human_edit(po_path: Path, source: str, english: str) -> None:
    """What Poedit does: change a msgstr, keep everything else."""
    po = polib.pofile(str(po_path))
    po.find(source).msgstr = english
    po.save()


def test_human_edit_survives_rebuild_and_glossary_change(project: Path) -> None:
    build()
    po_path = project / "translations/de-en/news.po"
    source = "Der Präsident sagte heute, Russland ist nicht im Krieg."
    human_edit(po_path, source, "Today the president said Russia is not at war.")
    edited = next(b for b in po_path.read_text("utf-8").split("\n\n") if "Today the" in b)
    assert build()["translated_units"] == []
    edit(project / "glossaries/de-en.yaml", "en: Russia", "en: the Russian Federation")
    again = build()
    assert source not in again["translated_units"]
    entry = memory.load(po_path).get(source)
    assert entry.target == "Today the president said Russia is not at war."
    assert entry.origin == memory.HUMAN
    # The entry the editor saved is kept as it is: its text no longer matches the
    # machine's hash (tp.sha1), which is what makes it human.
    assert edited in po_path.read_text("utf-8")
    english = (project / "site/en/news/index.html").read_text("utf-8")
    assert "Today the president said Russia is not at war." in english
    # The human English lacks the new target: check says so.
    code, out = check()
    assert code == 1
    assert "the Russian Federation" in out


def test_changed_german_marks_human_entry_fuzzy(project: Path) -> None:
    build()
    po_path = project / "translations/de-en/news.po"
    source = "Der Präsident sagte heute, Russland ist nicht im Krieg."
    human_edit(po_path, source, "Today the president said Russia is not at war.")
    build()
    assert check() == (0, "")
    edit(project / "content/news.md", "im Krieg.", "im Krieg, sagte er.")
    new_source = "Der Präsident sagte heute, Russland ist nicht im Krieg, sagte er."
    again = build()
    assert again["translated_units"] == [new_source]
    entry = memory.load(po_path).get(new_source)
    assert entry.fuzzy and entry.origin == memory.HUMAN
    assert entry.previous_source == source  # Poedit shows the old German beside it
    assert entry.target == "Today the president said Russia is not at war."
    # Until a person reviews it, the page shows the fresh machine translation.
    english = (project / "site/en/news/index.html").read_text("utf-8")
    assert "The president said today, Russia is not im war, said er." in english
    code, out = check()
    assert code == 1
    assert "content/news.md:7: paragraph 1: human translation needs review" in out
    # A reviewer clears the flag: the human English is published and check passes.
    po = polib.pofile(str(po_path))
    po.find(new_source).flags.remove("fuzzy")
    po.find(new_source).msgstr = "Today the president said Russia is not at war, he said."
    po.save()
    build()
    assert check() == (0, "")
    english = (project / "site/en/news/index.html").read_text("utf-8")
    assert "Today the president said Russia is not at war, he said." in english


def test_check_lists_untranslated_blocks_and_writes_nothing(project: Path) -> None:
    code, out = check()
    assert code == 1
    assert out.count("no current translation") == 5
    assert "content/news.md:9: paragraph 2: no current translation" in out
    result = CliRunner().invoke(main, ["check", "--json"])
    assert json.loads(result.stdout)["ok"] is False
    assert not (project / "translations").exists() and not (project / "site").exists()


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_inputs_same_bytes(project: Path, tmp_path: Path) -> None:
    build()
    first = {**tree_hashes(project / "site"), **tree_hashes(project / "translations")}
    shutil.rmtree(project / "site")
    shutil.rmtree(project / "translations")
    build()
    second = {**tree_hashes(project / "site"), **tree_hashes(project / "translations")}
    assert first == second
    build()  # a no-op rebuild changes nothing either
    assert {**tree_hashes(project / "site"), **tree_hashes(project / "translations")} == first


def test_po_files_are_valid_gettext(project: Path) -> None:
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("gettext's msgfmt is not installed (.ci/run installs it)")
    build()
    for po in [*(project / "translations").rglob("*.po"), *(REPO / "translations").rglob("*.po")]:
        result = subprocess.run(
            [msgfmt, "--check", "--check-format", "-o", "/dev/null", str(po)],
            capture_output=True,
            text=True,
        )
        assert (result.returncode, result.stderr) == (0, "")  # not even a warning


def test_frozen_build_of_the_shipped_sample_needs_no_model_and_no_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, translators: list
) -> None:
    for name in ("content", "glossaries", "translations"):
        shutil.copytree(REPO / name, tmp_path / name)
    empty = tmp_path / "no-packages"
    empty.mkdir()
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(empty))
    monkeypatch.chdir(tmp_path)

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access during a frozen build")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    summary = build("--frozen")
    assert summary["exit_code"] == 0 and summary["translated_units"] == []
    assert translators == []
    assert (tmp_path / "site/en/rutte-russland/index.html").is_file()
    # The shipped memory is already in its settled form: the build leaves it as it is.
    assert tree_hashes(tmp_path / "translations") == tree_hashes(REPO / "translations")
    # The plain build command works offline too: nothing needs the model.
    assert build()["exit_code"] == 0


def test_frozen_build_fails_without_writing_when_a_block_is_missing(project: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--frozen"])
    assert result.exit_code == 1
    assert "--frozen: 5 unit(s) have no current translation" in result.stderr
    assert not (project / "site").exists() and not (project / "translations").exists()


def test_article_glossary_overrides_the_global_one(project: Path) -> None:
    edit(
        project / "content/news.md",
        "date: 2025-03-16\n",
        "date: 2025-03-16\nglossary:\n  - {de: Kiew, en: Kiev}\n",
    )
    build()
    english = (project / "site/en/news/index.html").read_text("utf-8")
    assert "in Kiev nots." in english and "Kyiv" not in english  # "nichts": prefix of "nicht"
    assert check() == (0, "")


def test_restored_paragraph_gets_its_human_translation_back(project: Path) -> None:
    build()
    po_path = project / "translations/de-en/news.po"
    source = "Der Kremlchef sagte gestern in Kiew nichts."
    human_edit(po_path, source, "Yesterday the Kremlin chief said nothing in Kyiv.")
    build()
    original = (project / "content/news.md").read_text("utf-8")
    edit(project / "content/news.md", source + "\n", "")
    build()
    assert "#~ msgid" in po_path.read_text("utf-8")  # kept as obsolete
    (project / "content/news.md").write_text(original, encoding="utf-8")
    assert source not in build()["translated_units"]
    english = (project / "site/en/news/index.html").read_text("utf-8")
    assert "Yesterday the Kremlin chief said nothing in Kyiv." in english


def test_machine_entry_flagged_by_an_editor_stays_flagged(project: Path) -> None:
    build()
    po_path = project / "translations/de-en/news.po"
    source = "Der Präsident sagte heute, Russland ist nicht im Krieg."
    po = polib.pofile(str(po_path))
    po.find(source).flags.append("fuzzy")
    po.save()
    assert build()["translated_units"] == []
    assert "fuzzy" in polib.pofile(str(po_path)).find(source).flags
    code, out = check()
    assert code == 1 and "marked as needing review (fuzzy)" in out


def test_renamed_article_warns_about_its_old_memory(project: Path) -> None:
    build()
    (project / "content/news.md").rename(project / "content/nachrichten.md")
    result = CliRunner().invoke(main, ["build"], catch_exceptions=False)
    assert "translations/de-en/news.po: no article uses this translation memory" in result.stderr
