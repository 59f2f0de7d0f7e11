"""More target languages (issue 17): configuration. Build-level tests with the hand-wired
models of further pairs follow below."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from translate_pipeline import memory, models
from translate_pipeline.cli import main
from translate_pipeline.config import ConfigError, Options, Pair, project_targets


def test_english_is_the_default_and_only_target(tmp_path: Path) -> None:
    assert project_targets(tmp_path) is None
    options = Options()
    assert options.targets == ("en",) and options.pairs == (Pair("de", "en"),)
    assert options.memory_dir == Path("translations/de-en")


def test_targets_from_translate_pipeline_toml(tmp_path: Path) -> None:
    (tmp_path / "translate-pipeline.toml").write_text('targets = ["en", "fr", "uk", "fr"]\n')
    targets = project_targets(tmp_path)
    assert targets == ("en", "fr", "uk")
    options = Options(targets=targets)
    assert options.pair == Pair("de", "en")
    assert [options.memory_dir_for(p) for p in options.pairs] == [
        Path("translations/de-en"),
        Path("translations/de-fr"),
        Path("translations/de-uk"),
    ]
    mine = Options(translations=Path("mem/de-en"), targets=targets)
    assert mine.memory_dir_for(Pair("de", "fr")) == Path("mem/de-fr")


def test_targets_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "site"\n\n[tool.translate-pipeline]\ntargets = ["fr", "en"]\n'
    )
    assert project_targets(tmp_path) == ("fr", "en")
    assert Options(targets=("fr", "en")).pair == Pair("de", "fr")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('targets = "en"', 'targets must be a list of language codes, such as ["en", "fr"]'),
        ('targets = ["en", "French"]', "'French' is not a language code"),
        ('targets = ["de"]', "'de' is the articles' own language"),
        ("targets = [", "translate-pipeline.toml: "),
    ],
)
def test_bad_configuration_is_one_line_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "translate-pipeline.toml").write_text(text + "\n")
    with pytest.raises(ConfigError) as exc:
        project_targets(tmp_path)
    assert message in str(exc.value) and "\n" not in str(exc.value)
    assert str(exc.value).startswith(str(tmp_path / "translate-pipeline.toml"))


# --- builds into English, French (through English) and Spanish (direct) ---------------------

ARTICLE = """---
title: Krieg und Frieden
date: 2025-03-15
---

Der Präsident sagte heute nicht viel.

Der Kanzler sagte heute Krieg und Frieden.
"""


@pytest.fixture
def project(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    argos_packages_dir: Path,
    en_fr_package: Path,
    en_uk_package: Path,
    de_es_package: Path,
) -> Path:
    """Articles for en, fr, uk and es: fr and uk through English (en→fr, en→uk test
    models), es direct (de→es); the word maps are `testmodel.WORD_MAPS`."""
    for package in (en_fr_package, en_uk_package, de_es_package):
        models.install_from_file(package)
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "krieg.md").write_text(ARTICLE, encoding="utf-8")
    (tmp_path / "glossaries").mkdir()
    (tmp_path / "translate-pipeline.toml").write_text('targets = ["en", "fr", "uk", "es"]\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def targets_of(project: Path, pair: str) -> dict[str, memory.Entry]:
    return dict(memory.load(project / f"translations/{pair}/krieg.po").entries)


def test_direct_and_pivoted_targets_with_a_memory_per_pair(project: Path) -> None:
    code, _, err = run("build")
    assert code == 0, err
    english = targets_of(project, "de-en")
    french = targets_of(project, "de-fr")
    spanish = targets_of(project, "de-es")
    first = "Der Präsident sagte heute nicht viel."
    second = "Der Kanzler sagte heute Krieg und Frieden."
    assert english[first].target == "The president said today not viel."
    # French: the English above, through the en→fr model; keyed by the German.
    assert french[first].target == "Le président a dit aujourd'hui pas viel."
    assert french[first].via == "The president said today not viel."
    assert french[second].target == "Le chancelier a dit aujourd'hui guerre et paix."
    assert french["Krieg und Frieden"].target == "guerre et paix"
    ukrainian = targets_of(project, "de-uk")
    assert ukrainian[first].target == "Цей президент сказав сьогодні не viel."
    assert ukrainian[second].target == "Цей канцлер сказав сьогодні війна і мир."
    # Spanish: straight from the German with the de→es model.
    assert spanish[first].target == "El presidente dijo hoy no viel."
    assert spanish[first].via == "" and spanish[first].origin == memory.MACHINE
    assert "translate-en_fr-1_0" in french[first].model
    assert "translate-de_es-1_0" in spanish[first].model
    po_text = (project / "translations/de-fr/krieg.po").read_text("utf-8")
    assert "#. translated from the English: The president said today not viel." in po_text
    assert '"Language: fr\\n"' in po_text
    # Pages for every language and a bilingual page per pair.
    site = project / "site"
    for version in ("de", "en", "fr", "uk", "es", "de-en", "de-fr", "de-uk", "de-es"):
        assert (site / version / "krieg" / "index.html").is_file(), version
    french_page = (site / "fr/krieg/index.html").read_text("utf-8")
    assert "Le président a dit aujourd'hui pas viel." in french_page
    assert '<time datetime="2025-03-15">15 mars 2025</time>' in french_page
    for lang in ("de", "en", "fr", "uk", "es"):
        href = "index.html" if lang == "fr" else f"../../{lang}/krieg/index.html"
        assert f'<link rel="alternate" hreflang="{lang}" href="{href}">' in french_page
    assert "15 березня 2025" in (site / "uk/krieg/index.html").read_text("utf-8")
    bilingual = (site / "de-es/krieg/index.html").read_text("utf-8")
    assert '<html lang="es">' in bilingual and "El presidente dijo hoy no viel." in bilingual
    assert run("check")[0] == 0


def test_a_human_edit_of_the_english_retranslates_its_pivoted_units(project: Path) -> None:
    assert run("build")[0] == 0
    path = project / "translations/de-en/krieg.po"
    first = "Der Präsident sagte heute nicht viel."
    text = path.read_text("utf-8").replace(
        'msgstr "The president said today not viel."', 'msgstr "The president said not much today."'
    )
    path.write_text(text, "utf-8")
    code, out, err = run("build", "--json")
    assert code == 0, err
    answer = json.loads(out)
    # The edited English, for the French and the Ukrainian model; nothing else.
    assert answer["translated_units"] == ["The president said not much today."] * 2
    assert targets_of(project, "de-uk")[first].target == "Цей президент сказав не much сьогодні."
    french = targets_of(project, "de-fr")
    assert french[first].target == "Le président a dit pas much aujourd'hui."
    assert targets_of(project, "de-es")[first].target == "El presidente dijo hoy no viel."
    assert targets_of(project, "de-en")[first].origin == memory.HUMAN


def test_a_change_of_the_german_retranslates_that_unit_in_every_language(project: Path) -> None:
    assert run("build")[0] == 0
    article = project / "content/krieg.md"
    article.write_text(
        ARTICLE.replace(
            "Der Kanzler sagte heute Krieg und Frieden.", "Der Kanzler sagte heute Frieden."
        ),
        "utf-8",
    )
    code, out, err = run("build", "--json")
    assert code == 0, err
    translated = sorted(json.loads(out)["translated_units"])
    assert translated == sorted(
        [
            "Der Kanzler sagte heute Frieden.",  # into English, and into Spanish
            "Der Kanzler sagte heute Frieden.",
            "The chancellor said today peace.",  # into French and Ukrainian, from the new English
            "The chancellor said today peace.",
        ]
    )
    new = "Der Kanzler sagte heute Frieden."
    assert targets_of(project, "de-fr")[new].target == "Le chancelier a dit aujourd'hui paix."
    assert targets_of(project, "de-es")[new].target == "El canciller dijo hoy paz."


def test_english_only_projects_have_no_other_memories_or_pages(
    project: Path,
) -> None:
    (project / "translate-pipeline.toml").unlink()
    assert run("build")[0] == 0
    assert sorted(p.name for p in (project / "translations").iterdir()) == ["de-en"]
    assert sorted(p.name for p in (project / "site").iterdir() if p.is_dir()) == [
        "de",
        "de-en",
        "en",
    ]
    assert run("build", "--to", "en,fr")[0] == 0
    assert sorted(p.name for p in (project / "translations").iterdir()) == ["de-en", "de-fr"]


def test_check_and_frozen_look_at_every_language(project: Path) -> None:
    assert run("build", "--to", "en")[0] == 0
    code, out, _ = run("check")
    assert code == 1
    lines = out.splitlines()
    for lang in ("fr", "uk", "es"):
        assert f"content/krieg.md:6: paragraph 1 ({lang}): no current translation" in lines
    assert not [line for line in lines if "(en)" in line]
    code, _, err = run("build", "--frozen")
    assert code == 1
    assert "--frozen: 9 unit(s) have no current translation (3 into Spanish, 3 into French, " in err
    assert run("build")[0] == 0
    assert run("check")[0] == 0 and run("build", "--frozen")[0] == 0


def test_a_target_without_a_model_stops_the_build_naming_it(project: Path) -> None:
    code, _, err = run("build", "--to", "en,pl")
    assert code == 2
    assert "no German→Polish (de→pl) translation package is installed" in err
    assert "translate-pipeline models install de pl" in err
    assert not (project / "site").exists()


def test_a_pivot_keeps_the_english_memory_without_english_pages(project: Path) -> None:
    code, _, err = run("build", "--to", "fr")
    assert code == 0, err
    assert sorted(p.name for p in (project / "translations").iterdir()) == ["de-en", "de-fr"]
    assert sorted(p.name for p in (project / "site").iterdir() if p.is_dir()) == [
        "de",
        "de-fr",
        "fr",
    ]
    first = "Der Präsident sagte heute nicht viel."
    assert targets_of(project, "de-fr")[first].target == "Le président a dit aujourd'hui pas viel."
    home = (project / "site/index.html").read_text("utf-8")
    assert '<html lang="fr">' in home and "en/index.html" not in home
