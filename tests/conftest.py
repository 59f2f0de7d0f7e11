"""Shared fixtures: the hand-wired test translation packages and an isolated packages folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import reviewcorpus
import testmodel

from translate_pipeline import models


def _cached(config: pytest.Config, **params: object) -> Path:
    return testmodel.cached_package(config.cache.mkdir("testmodel"), **params)


@pytest.fixture(scope="session")
def test_package(pytestconfig: pytest.Config) -> Path:
    """The default test ``.argosmodel``, built once and kept in pytest's cache between runs."""
    return _cached(pytestconfig)


@pytest.fixture(scope="session")
def en_fr_package(pytestconfig: pytest.Config) -> Path:
    """An English→French test ``.argosmodel`` (``testmodel.EN_FR_WORD_MAP``)."""
    return _cached(pytestconfig, source="en", target="fr")


@pytest.fixture(scope="session")
def de_es_package(pytestconfig: pytest.Config) -> Path:
    """A German→Spanish test ``.argosmodel`` (``testmodel.DE_ES_WORD_MAP``)."""
    return _cached(pytestconfig, source="de", target="es")


@pytest.fixture(scope="session")
def en_uk_package(pytestconfig: pytest.Config) -> Path:
    """An English→Ukrainian test ``.argosmodel`` (``testmodel.EN_UK_WORD_MAP``)."""
    return _cached(pytestconfig, source="en", target="uk")


@pytest.fixture(scope="session")
def bpe_package(pytestconfig: pytest.Config) -> Path:
    """The German→English test ``.argosmodel`` with ``bpe.model`` instead of SentencePiece."""
    return _cached(pytestconfig, tokenizer="bpe")


@pytest.fixture(scope="session")
def installed_test_package(tmp_path_factory: pytest.TempPathFactory, test_package: Path) -> Path:
    """A packages folder with the test package installed by `models install` once per
    session (an install loads and tries the package, which takes a moment)."""
    packages = tmp_path_factory.mktemp("installed") / "packages"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARGOS_PACKAGES_DIR", str(packages))
        models.install_from_file(test_package)
    return packages


@pytest.fixture
def argos_packages_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, installed_test_package: Path
) -> Path:
    """An ARGOS_PACKAGES_DIR of this test's own, holding the installed test package."""
    packages = tmp_path / "argos-packages"
    shutil.copytree(installed_test_package, packages)
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    return packages


@pytest.fixture(scope="session")
def review_packages(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """ARGOS_PACKAGES_DIR folders holding the review corpus's models (`tests/reviewcorpus.py`):
    ``clean`` translates it word by word, ``defect`` makes its known mistakes."""
    cache = pytestconfig.cache.mkdir("testmodel")
    params = {
        "clean": {"word_map": reviewcorpus.CLEAN_MAP},
        "defect": {"word_map": reviewcorpus.DEFECT_MAP, "uncertain": reviewcorpus.UNCERTAIN},
    }
    folders = {}
    for name, kwargs in params.items():
        package = testmodel.cached_package(cache, **kwargs)
        folders[name] = tmp_path_factory.mktemp(f"review-{name}") / "packages"
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("ARGOS_PACKAGES_DIR", str(folders[name]))
            models.install_from_file(package)
    return folders
