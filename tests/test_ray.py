"""`build --executor ray` (issue 16) on a real local Ray instance with the hand-wired test
models: the same bytes as a local build, also after an actor or the driver is killed; a
batch that fails every attempt is reported by `file:line` and the rest published.

One Ray instance serves the in-process builds of this module (starting one costs 4-20 s);
a build that finds Ray running uses it and leaves it running. The killed driver runs in a
subprocess with a Ray instance of its own."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import testmodel
from click.testing import CliRunner
from test_enforcement import ARTICLES, MISTRANSLATING_WORD_MAP, TEST_GLOSSARY

from translate_pipeline import machine, models, ray_executor
from translate_pipeline.cli import main

# Ray reads its settings when it is imported: as the build imports it, not `import ray`.
ray = ray_executor._import_ray(local=True)

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO / "tests/data/testmodel_corpus.txt").read_text("utf-8").splitlines()
WAVE = 8  # sentences per wave here: a few dozen waves, so order and resumption matter

# The dying actor below is defined here, in a module Ray's workers cannot import.
ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture(scope="module")
def ray_instance() -> Iterator[None]:
    temp = Path(os.environ.get("TMPDIR", "/tmp")) / f"tp-ray-test-{os.getpid()}"
    ray.init(
        address="local",
        num_cpus=2,
        num_gpus=0,
        object_store_memory=ray_executor.OBJECT_STORE_BYTES,
        include_dashboard=False,
        log_to_driver=False,  # as a build starts it: stdout is the build's
        _temp_dir=str(temp),
    )
    yield
    ray.shutdown()
    shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argos_packages_dir: Path) -> Path:
    """The shipped article and glossary, and two articles of the test model's corpus."""
    for name in ("content", "glossaries"):
        shutil.copytree(REPO / name, tmp_path / name)
    for index in range(2):
        lines = CORPUS[index * 60 : index * 60 + 60]
        body = "\n\n".join(" ".join(lines[i : i + 3]) for i in range(0, len(lines), 3))
        text = f"---\ntitle: Archiv {index}\ndate: 2025-03-0{index + 1}\n---\n\n{body}\n"
        (tmp_path / "content" / f"archiv-{index}.md").write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(machine, "WAVE_SENTENCES", WAVE)
    return tmp_path


def build(*args: str) -> dict:
    result = CliRunner().invoke(main, ["build", "--json", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def snapshot(project: Path) -> dict[str, bytes]:
    """Every file of `site/` and `translations/`, by path."""
    return {
        str(path.relative_to(project)): path.read_bytes()
        for folder in ("site", "translations")
        for path in sorted((project / folder).rglob("*"))
        if path.is_file()
    }


def local_build(project: Path) -> tuple[dict[str, bytes], dict]:
    """A local build's files and report; the project is left as before it."""
    report = build()
    files = snapshot(project)
    for folder in ("site", "translations"):
        shutil.rmtree(project / folder)
    return files, report


def test_a_ray_build_writes_the_bytes_of_a_local_build(project: Path, ray_instance: None) -> None:
    expected, local = local_build(project)
    report = build("--executor", "ray")
    assert snapshot(project) == expected
    assert report["translated_units"] == local["translated_units"]
    assert report["sentences"] == local["sentences"] > 10 * WAVE
    assert report["model"] == local["model"]


def test_a_pivot_through_english_runs_on_ray_too(
    project: Path, ray_instance: None, en_fr_package: Path
) -> None:
    models.install_from_file(en_fr_package)
    (project / "translate-pipeline.toml").write_text('targets = ["en", "fr"]\n')
    expected, local = local_build(project)
    assert any(name.startswith("translations/de-fr/") for name in expected)
    report = build("--executor", "ray", "--actors", "2", "--threads", "1")
    assert snapshot(project) == expected
    assert report["translated_units"] == local["translated_units"]
    assert "translate-en_fr" in report["model"]


def test_glossary_targets_a_model_lost_are_recovered_alike_on_ray(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pytestconfig: pytest.Config,
    ray_instance: None,
) -> None:
    """A model that corrupts glossary targets: most waves need the second call that
    translates the pieces around each target, which comes after the stream of waves."""
    package = testmodel.cached_package(
        pytestconfig.cache.mkdir("testmodel"), word_map=MISTRANSLATING_WORD_MAP
    )
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "packages"))
    models.install_from_file(package)
    shutil.copytree(ARTICLES, tmp_path / "content")
    (tmp_path / "glossaries").mkdir()
    shutil.copy(REPO / "glossaries/de-en.yaml", tmp_path / "glossaries")
    shutil.copy(TEST_GLOSSARY, tmp_path / "glossaries/test-corpus.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(machine, "WAVE_SENTENCES", WAVE)
    expected, local = local_build(tmp_path)
    report = build("--executor", "ray")
    assert snapshot(tmp_path) == expected
    assert report["translated_units"] == local["translated_units"]
    assert not [line for line in report["review"] if "glossary" in line]


class DiesOnce(ray_executor.Translator):
    """The real actor, except that the first batch any actor gets kills its process; the
    marker file (a class attribute: Ray ships the class by value) says it happened, and
    the restarted actor translates normally."""

    marker = ""

    def __call__(self, batch: dict) -> dict:
        marker = Path(self.marker)
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            os._exit(1)
        return super().__call__(batch)


def test_an_actor_killed_mid_wave_loses_and_repeats_nothing(
    project: Path, ray_instance: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    expected, local = local_build(project)
    marker = tmp_path / "died"
    monkeypatch.setattr(DiesOnce, "marker", str(marker))
    monkeypatch.setattr(ray_executor.RayPool, "translator", DiesOnce)
    report = build("--executor", "ray", "--actors", "2", "--threads", "1")
    assert marker.exists()  # an actor did die
    assert snapshot(project) == expected
    units = report["translated_units"]
    assert units == local["translated_units"] and len(units) == len(set(units))


class FailsOnPoison(ray_executor.Translator):
    """The real actor, except that a batch with the word "Giftwort" raises every time."""

    def __call__(self, batch: dict) -> dict:
        if any("Giftwort" in str(sentence) for sentence in batch["sentence"]):
            raise ValueError("a poisoned batch")
        return super().__call__(batch)


def test_a_batch_that_fails_every_attempt_is_reported_and_the_rest_published(
    project: Path, ray_instance: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    poison = "---\ntitle: Gift\n---\n\nDer Kanzler sagte heute Giftwort.\n"
    # First in the build's order: the failed batch (64 sentences) ends inside the article
    # after it, and the other articles are published.
    (project / "content/0-gift.md").write_text(poison, encoding="utf-8")
    expected, _ = local_build(project)
    assert any("/0-gift/" in name for name in expected)
    with monkeypatch.context() as patch:
        patch.setattr(ray_executor.RayPool, "translator", FailsOnPoison)
        result = CliRunner().invoke(main, ["build", "--executor", "ray", "--json"])
    assert result.exit_code == 3, result.stderr
    errors = json.loads(result.stdout)["errors"]
    assert "content/0-gift.md:5: paragraph 1: not translated: Ray failed" in "\n".join(errors)
    assert all("the article is not published" in line for line in errors)
    published = snapshot(project)
    assert not any("/0-gift/" in name for name in published)
    pages = {name: data for name, data in published.items() if name.count("/") == 3}
    assert pages and all(expected[name] == data for name, data in pages.items())
    memories = {name: data for name, data in published.items() if name.startswith("trans")}
    assert memories and all(expected[name] == data for name, data in memories.items())
    build("--executor", "ray")  # the failed waves only, with an actor that does not fail
    assert snapshot(project) == expected


def test_a_killed_driver_is_rerun_with_only_the_missing_waves(
    project: Path, ray_instance: None
) -> None:
    expected, local = local_build(project)
    # The driver kills itself (SIGKILL) right after its third wave is journalled.
    script = (
        "import os, signal, sys\n"
        "from translate_pipeline import machine\n"
        f"machine.WAVE_SENTENCES = {WAVE}\n"
        "add, calls = machine.Journal.add, []\n"
        "def add_then_die(self, records):\n"
        "    add(self, records)\n"
        "    calls.append(1)\n"
        "    if len(calls) == 3:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "machine.Journal.add = add_then_die\n"
        "from translate_pipeline.cli import main\n"
        "sys.argv = ['translate-pipeline', 'build', '--executor', 'ray', '--quiet']\n"
        "main()\n"
    )
    driver = subprocess.Popen(
        [sys.executable, "-c", script], cwd=project, start_new_session=True, env=os.environ
    )
    try:
        assert driver.wait(timeout=300) == -signal.SIGKILL
    finally:
        try:  # whatever of its Ray instance outlived it
            os.killpg(driver.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    journal = project / "translations/de-en" / machine.JOURNAL_FILE
    kept = [json.loads(line) for line in journal.read_text("utf-8").splitlines()]
    assert kept and not (project / "site").exists()
    report = build("--executor", "ray")
    assert snapshot(project) == expected
    assert 0 < report["sentences"] < local["sentences"]
    assert not journal.exists()


def test_without_ray_the_build_says_how_to_install_it(project: Path) -> None:
    script = (
        "import sys\n"
        "sys.modules['ray'] = None  # as if the extra were not installed\n"
        "from translate_pipeline.cli import main\n"
        "sys.argv = ['translate-pipeline', 'build', '--executor', 'ray']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: {ray_executor.INSTALL_HINT}"]
    assert "uv sync --extra ray" in done.stderr and "translate-pipeline[ray]" in done.stderr
    assert not (project / "site").exists()


def test_ray_options_need_the_ray_executor(project: Path) -> None:
    result = CliRunner().invoke(main, ["build", "--actors", "2"])
    assert result.exit_code == 1
    assert "--actors needs --executor ray" in result.stderr


def test_a_pool_larger_than_the_machine_is_refused_before_it_can_stall(
    project: Path, ray_instance: None
) -> None:
    result = CliRunner().invoke(
        main, ["build", "--executor", "ray", "--actors", "3", "--threads", "1"]
    )
    assert result.exit_code == 1
    assert "a pool of 3 actor(s) × 1 CPU(s) does not fit this machine (2 CPUs" in result.stderr
    assert not (project / "site").exists()


def test_an_address_where_no_cluster_answers_is_an_error_not_a_hang(project: Path) -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = CliRunner().invoke(
        main, ["build", "--executor", "ray", "--ray-address", f"127.0.0.1:{port}"]
    )
    assert result.exit_code == 1
    assert f"cannot reach a Ray cluster at 127.0.0.1:{port}" in result.stderr


def test_a_build_joins_a_cluster_started_with_ray_start(project: Path) -> None:
    """`ray start --head` on this machine, then `--ray-address HOST:PORT`, and `auto` with
    RAY_ADDRESS set, as `ray job submit` sets it for its driver: the bytes of a local build.
    The builds run in processes of their own: one that finds Ray running uses that."""
    expected, local = local_build(project)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    temp = Path(os.environ.get("TMPDIR", "/tmp")) / f"tp-ray-head-{os.getpid()}"
    head = subprocess.Popen(
        [str(Path(sys.executable).parent / "ray"), "start", "--head", "--block",
         f"--port={port}", "--node-ip-address=127.0.0.1", "--num-cpus=2", "--num-gpus=0",
         "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}",
         f"--object-store-memory={ray_executor.OBJECT_STORE_BYTES}"],
        start_new_session=True, env=os.environ, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    script = (
        "import sys\n"
        "from translate_pipeline import machine\n"
        f"machine.WAVE_SENTENCES = {WAVE}\n"
        "from translate_pipeline.cli import main\n"
        "sys.argv = ['translate-pipeline', 'build', '--json', '--executor', 'ray',"
        " '--ray-address', sys.argv[1]]\n"
        "main()\n"
    )
    try:
        deadline = time.monotonic() + 120
        while not _listening(port):
            assert head.poll() is None and time.monotonic() < deadline, "ray start failed"
            time.sleep(0.5)
        for address, extra in (
            (f"127.0.0.1:{port}", {}),
            ("auto", {"RAY_ADDRESS": f"127.0.0.1:{port}"}),
        ):
            done = subprocess.run(
                [sys.executable, "-c", script, address], cwd=project, capture_output=True,
                text=True, timeout=600, env={**os.environ, **extra},
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            report = json.loads(done.stdout)
            assert snapshot(project) == expected
            assert report["sentences"] == local["sentences"] > 10 * WAVE
            for folder in ("site", "translations"):
                shutil.rmtree(project / folder)
            assert head.poll() is None  # the cluster outlives the builds that joined it
    finally:
        head.terminate()
        try:
            head.wait(timeout=60)
        finally:
            try:
                os.killpg(head.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            shutil.rmtree(temp, ignore_errors=True)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
