"""The pipeline end to end (issue 2): content/ in, three pages per article out,
through the CLI users run, with the real hand-wired test model."""

from __future__ import annotations

import json
import re
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from translate_pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]

NEWS = """---
title: Der Präsident sagte nicht
author: Redaktion
date: 16. März 2025
---

Der Präsident sagte heute, Russland ist nicht im Krieg.

## Der Kremlchef in Kiew

- Der Kremlchef sagte gestern nichts
- Die Regierung und der Kanzler

This paragraph is quoted in English and must reach the English page unchanged.
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the shipped project (content, glossary) as the working directory,
    without the shipped translation memory, so everything goes through the model."""
    for name in ("content", "glossaries"):
        shutil.copytree(REPO / name, tmp_path / name)
    (tmp_path / "content" / "news.md").write_text(NEWS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def english_text(path: Path) -> str:
    return path.read_text("utf-8")


def test_build_writes_three_pages_per_article_and_indexes(
    project: Path, argos_packages_dir: Path
) -> None:
    code, _, err = run("build", "content", "--out", "site")
    assert code == 0, err
    for slug in ("rutte-russland", "news"):
        for version in ("de", "en", "de-en"):
            assert (project / "site" / version / slug / "index.html").is_file()
    for index in ("index.html", "de/index.html", "en/index.html"):
        assert (project / "site" / index).is_file()

    english = english_text(project / "site/en/news/index.html")
    assert "The president said today, Russia is not im war." in english
    assert "Kremlin chief" in english and "Kyiv" in english  # glossary targets
    assert (
        "This paragraph is quoted in English and must reach the English page unchanged." in english
    )
    assert '<html lang="en"' in english
    assert 'hreflang="de"' in english
    german = english_text(project / "site/de/news/index.html")
    assert "Der Präsident sagte heute, Russland ist nicht im Krieg." in german
    assert '<html lang="de"' in german


def test_bilingual_page_pairs_every_block(project: Path, argos_packages_dir: Path) -> None:
    assert run("build")[0] == 0
    from translate_pipeline.articles import read_article

    for slug in ("rutte-russland", "news"):
        page = (project / "site/de-en" / slug / "index.html").read_text("utf-8")
        blocks = read_article(project / "content" / f"{slug}.md").blocks
        rows = re.findall(
            r'<div class="row k-[a-z_]+"><div class="de" lang="(de|en)">.*?'
            r'<div class="en" lang="(de|en)">',
            page,
            re.S,
        )
        shown = [b for b in blocks if b.kind != "reference"]
        assert len(rows) == len(shown), (len(rows), len(shown))


def test_english_block_is_carried_over_with_its_language(
    project: Path, argos_packages_dir: Path
) -> None:
    assert run("build")[0] == 0
    page = (project / "site/de-en/news/index.html").read_text("utf-8")
    quoted = "This paragraph is quoted in English"
    # Both cells of that row say lang="en": screen readers read it as English.
    first = page.index(quoted)
    row = page[page.rindex('<div class="row', 0, first) : page.index(quoted, first + 1)]
    assert '<div class="de" lang="en">' in row
    assert '<div class="en" lang="en">' in row


def test_no_network_during_a_build_with_the_model_installed(
    project: Path, argos_packages_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access during a build")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    code, _, err = run("build")
    assert code == 0, err
    assert (project / "site/en/news/index.html").is_file()


def test_missing_model_stops_before_writing_anything(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-packages"
    empty.mkdir()
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(empty))
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", "http://127.0.0.1:9/")  # nothing listens there
    code, _, err = run("build")
    assert code == 2
    assert "de→en" in err and "models install de en" in err and "FILE.argosmodel" in err
    assert not (project / "site").exists()
    assert not (project / "translations").exists()
    code, out, _ = run("build", "--json")
    assert code == 2
    answer = json.loads(out)
    assert answer["exit_code"] == 2 and "de→en" in answer["error"]


def test_non_german_article_is_reported_and_skipped(
    project: Path, argos_packages_dir: Path
) -> None:
    (project / "content" / "english.md").write_text(
        "---\ntitle: An English article\n---\n\n"
        "This whole article is written in English, so there is nothing to translate here. "
        "The pipeline should say so and leave it out.\n",
        encoding="utf-8",
    )
    code, _, err = run("build")
    assert code == 3
    assert "content/english.md: article is not German (detected 'en')" in err
    assert not (project / "site/en/english").exists()
    assert (project / "site/en/news/index.html").is_file()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.md", b"", "empty.md: file is empty"),
        (
            "latin1.md",
            "---\ntitle: Übel\n---\n\nGrüße\n".encode("latin-1"),
            "latin1.md:2: not valid UTF-8",
        ),
        (
            "broken.md",
            b"---\ntitle: [unclosed\n---\n\nText\n",
            "broken.md:3: front matter is not valid YAML",
        ),
    ],
)
def test_bad_input_is_one_line_and_the_rest_is_built(
    project: Path, argos_packages_dir: Path, name: str, data: bytes, message: str
) -> None:
    (project / "content" / name).write_bytes(data)
    code, _, err = run("build")
    assert code == 3
    lines = [line for line in err.splitlines() if name in line]
    assert len(lines) == 1 and message in lines[0], err
    assert (project / "site/en/news/index.html").is_file()
    assert (project / "site/en/rutte-russland/index.html").is_file()


def test_import_turns_a_scraped_article_into_markdown(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    source = REPO / "tests/data/rutte-russland.txt"
    code, out, err = run("import", str(source))
    assert code == 0, err
    written = tmp_path / "content" / "rutte-russland.md"
    assert out.strip() == str(Path("content") / "rutte-russland.md")
    text = written.read_text("utf-8")
    assert text.startswith("---\ntitle: Russland kein Feind mehr")
    assert "author: Wolfgang Lieberknecht\n" in text and "date: 15. März\n" in text
    assert "Lesezeit" not in text and "Comments" not in text
    assert "\n## Trump bittet Putin, ukrainische Truppen zu verschonen" in text
    # Every body paragraph of the scraped file is kept, in order.
    body = source.read_text("utf-8").splitlines()[4:-1]
    positions = [text.index(line) for line in body]
    assert positions == sorted(positions)
    # Importing again refuses to overwrite.
    assert run("import", str(source))[0] == 1


def test_models_list_shows_the_installed_package(argos_packages_dir: Path) -> None:
    code, out, _ = run("models", "list")
    assert code == 0
    assert "de → en" in out and str(argos_packages_dir) in out


def test_build_json_summary(project: Path, argos_packages_dir: Path) -> None:
    code, out, _ = run("build", "--json")
    summary = json.loads(out)
    assert code == summary["exit_code"] == 0
    assert summary["articles"] == 2
    assert "Der Präsident sagte heute, Russland ist nicht im Krieg." in summary["translated_units"]


def test_local_images_are_published_beside_each_page(
    project: Path, argos_packages_dir: Path
) -> None:
    (project / "content" / "bilder").mkdir()
    (project / "content" / "bilder" / "karte.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    (project / "content" / "bild.md").write_text(
        "---\ntitle: Der Präsident\n---\n\n![Karte](bilder/karte.png)\n\n![Fehlt](fehlt.png)\n",
        encoding="utf-8",
    )
    code, _, err = run("build")
    assert code == 0
    for version in ("de", "en", "de-en"):
        copied = project / "site" / version / "bild" / "bilder" / "karte.png"
        assert copied.read_bytes() == b"\x89PNG\r\n\x1a\nfake"
    assert "content/bild.md:7: image 'fehlt.png' not found" in err
