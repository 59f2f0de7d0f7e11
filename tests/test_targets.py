"""More target languages (issue 17): configuration. Build-level tests with the hand-wired
models of further pairs follow below."""

from __future__ import annotations

from pathlib import Path

import pytest

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
