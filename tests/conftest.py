"""Shared fixtures: the hand-wired test translation package and an isolated packages folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import testmodel

from translate_pipeline import models


@pytest.fixture(scope="session")
def test_package(pytestconfig: pytest.Config) -> Path:
    """The default test ``.argosmodel``, built once and kept in pytest's cache between runs."""
    return testmodel.cached_package(pytestconfig.cache.mkdir("testmodel"))


@pytest.fixture
def argos_packages_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, test_package: Path) -> Path:
    """An empty ARGOS_PACKAGES_DIR with the test package installed in it."""
    packages = tmp_path / "argos-packages"
    packages.mkdir()
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(packages))
    models.install_from_file(test_package)
    return packages
