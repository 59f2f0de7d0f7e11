"""Issue 12: one analysis path, the language pair and the backend as seams. Each test here
pins a bug that came from the same knowledge being written twice."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from backends import ReversingBackend
from click.testing import CliRunner

from translate_pipeline import build, config, memory
from translate_pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]

ESCAPED_TITLES = """---
title: "+++ Liveblog: Der Präsident sagte heute nichts +++"
description: "- und der Kanzler auch nicht"
date: 2025-05-01
---

Der Präsident sagte heute nichts.
"""

MAI = """---
title: "1. Mai: #MeToo und der Kanzler"
date: 2025-05-02
---

Der Kanzler sagte am 1. Mai nichts.
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(REPO / "glossaries", tmp_path / "glossaries")
    (tmp_path / "content").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_machine_titles_and_descriptions_are_published_without_markdown_escapes(
    project: Path, argos_packages_dir: Path
) -> None:
    (project / "content" / "liveblog.md").write_text(ESCAPED_TITLES, encoding="utf-8")
    (project / "content" / "mai.md").write_text(MAI, encoding="utf-8")
    code, _, err = run("build", "--base-url", "https://example.org/")
    assert code == 0, err
    live = "+++ Liveblog: The president said today nots +++"
    mai = "1. Mai: #MeToo and der chancellor"
    english = (project / "site/en/liveblog/index.html").read_text("utf-8")
    assert f'<h1 id="title">{live}</h1>' in english
    assert f"<title>{live}</title>" in english
    assert '<meta name="description" content="- and der chancellor also not">' in english
    assert f'<h1 id="title">{mai}</h1>' in (project / "site/en/mai/index.html").read_text()
    bilingual = (project / "site/de-en/liveblog/index.html").read_text("utf-8")
    assert f'<span class="en" lang="en">{live}</span>' in bilingual
    index = (project / "site/en/index.html").read_text("utf-8")
    feed = (project / "site/en/feed.xml").read_text("utf-8")
    for page in (english, bilingual, index, feed):
        assert "\\+" not in page and "1\\." not in page and "\\-" not in page
    assert f"<title>{live}</title>" in feed and "<summary>- and der chancellor" in feed


def test_reference_style_local_images_are_published(
    project: Path, argos_packages_dir: Path
) -> None:
    folder = project / "content" / "bilder"
    folder.mkdir()
    png = b"\x89PNG\r\n\x1a\n" + bytes(16)
    (folder / "zwei.png").write_bytes(png)
    (project / "content" / "bild.md").write_text(
        "---\ntitle: Bild\n---\n\nDer Präsident sagte ![Ein Bild][zwei] nichts.\n\n"
        "[zwei]: bilder/zwei.png\n",
        encoding="utf-8",
    )
    code, _, err = run("build")
    assert code == 0, err
    assert "not found" not in err
    for version in ("de", "en", "de-en"):
        assert (project / "site" / version / "bild/bilder/zwei.png").read_bytes() == png
        page = (project / "site" / version / "bild/index.html").read_text("utf-8")
        assert 'src="bilder/zwei.png"' in page


@pytest.mark.parametrize("url", ["https:///", "example.org", "ftp://example.org/", "https://"])
def test_a_base_url_without_host_is_one_line_and_json_is_one_object(
    project: Path, url: str
) -> None:
    (project / "content" / "mai.md").write_text(MAI, encoding="utf-8")
    code, out, err = run("build", "--base-url", url)
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("error: --base-url") and url in err
    code, out, err = run("build", "--json", "--base-url", url)
    assert code == 1
    assert json.loads(out) == {"exit_code": 1, "error": err.removeprefix("error: ").strip()}
    assert not (project / "site").exists()


def test_inspect_and_glossary_test_outside_a_project_warn_and_go_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argos_packages_dir: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    article = elsewhere / "mai.md"
    article.write_text(MAI, encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    code, out, err = run("inspect", "mai.md", "--json")
    assert code == 0, err
    assert "warning: glossaries: no glossary folder here" in err
    assert json.loads(out)["title"] == "1. Mai: #MeToo und der Kanzler"
    code, out, err = run("glossary", "test", "Der Kanzler sagte nichts.")
    assert code == 0, err
    assert "warning: glossaries: no glossary folder here" in err
    assert "0 glossary match(es)" in out and "English: The chancellor said nots." in out


def test_inspect_shows_what_the_build_decides_per_unit(
    project: Path, argos_packages_dir: Path
) -> None:
    (project / "content" / "tabelle.md").write_text(
        "---\ntitle: Der Krieg und der Frieden\nlang: DE\n---\n\n"
        "Der Präsident sagte heute, Russland ist nicht im Krieg.\n\n"
        "| Deutsch | English |\n|---|---|\n"
        "| Der Kanzler sagte gestern nichts über den Krieg. | "
        "The chancellor said nothing about the war yesterday, and that was all. |\n",
        encoding="utf-8",
    )
    code, out, err = run("inspect", "content/tabelle.md", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["lang"] == "de"
    cells = [b for b in data["blocks"] if b["markdown_kind"] == "table"]
    assert [c["text"] for c in cells][2:] == [
        "Der Kanzler sagte gestern nichts über den Krieg.",
        "The chancellor said nothing about the war yesterday, and that was all.",
    ]
    assert [(c["lang"], c["action"]) for c in cells[2:]] == [("de", "translate"), ("en", "copy")]
    # The build does exactly that: the English cell is copied, marked as English.
    assert run("build")[0] == 0
    po = memory.load(project / "translations/de-en/tabelle.po")
    english = po.entries[cells[3]["text"]]
    assert (english.origin, english.lang, english.target) == ("copy", "en", cells[3]["text"])
    assert po.entries[cells[2]["text"]].origin == "machine"


def test_check_reports_the_warnings_a_build_gives(project: Path) -> None:
    (project / "content" / "mai.md").write_text(MAI + "\n![Bild](fehlt.png)\n", encoding="utf-8")
    (project / "translations/de-en").mkdir(parents=True)
    (project / "translations/de-en/alt.po").write_text('msgid ""\nmsgstr ""\n', encoding="utf-8")
    shutil.rmtree(project / "glossaries")
    code, _, err = run("check")
    assert code == 1
    warnings = [line for line in err.splitlines() if line.startswith("warning: ")]
    assert any("glossaries: no glossary folder here" in w for w in warnings)
    assert any("content/mai.md:8: image 'fehlt.png' not found" in w for w in warnings)
    assert any("translations/de-en/alt.po: no article uses this" in w for w in warnings)


def test_json_failures_of_check_and_inspect_are_one_object(project: Path) -> None:
    (project / "content" / "mai.md").write_text(MAI, encoding="utf-8")
    (project / "glossaries" / "kaputt.yaml").write_text("- de: [Kiew\n", encoding="utf-8")
    for command in (["check", "--json"], ["inspect", "content/mai.md", "--json"]):
        code, out, err = run(*command)
        assert code == 1, command
        answer = json.loads(out)
        assert answer["exit_code"] == 1 and "kaputt.yaml:" in answer["error"], command
        assert err.startswith("error: ")


def test_serve_takes_the_memory_and_glossary_options(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "content" / "mai.md").write_text(MAI, encoding="utf-8")
    seen: dict[str, object] = {}
    from translate_pipeline import serve

    def fake_serve(site_dir: Path, **kwargs: object) -> None:
        seen.update(kwargs, site=site_dir)

    monkeypatch.setattr(serve, "serve", fake_serve)
    code, _, err = run(
        "serve", "--no-watch", "--translations", "po", "--glossaries", "namen", "--out", "web"
    )
    assert code == 0, err
    assert seen["site"] == Path("web")
    assert seen["watch"] == [Path("content"), Path("namen"), Path("po")]


def test_a_second_backend_is_a_module_of_its_own(project: Path) -> None:
    """The build depends on the backend protocol only: a backend written elsewhere (here,
    in the tests) plugs in with no change to the build."""
    (project / "content" / "mai.md").write_text(MAI, encoding="utf-8")
    options = config.Options(content=project / "content", out=project / "site")
    report = build.build(options, backends=lambda pair: ReversingBackend())
    assert report.exit_code == 0 and report.model == "reversing 1.0"
    po = memory.load(project / "translations/de-en/mai.po")
    entry = po.entries["Der Kanzler sagte am 1. Mai nichts."]
    assert (entry.origin, entry.model, entry.target) == (
        "machine",
        "reversing 1.0",
        "nichts. Mai 1. am sagte Kanzler Der",
    )


def test_the_wheel_ships_no_test_code_and_needs_no_numpy(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH")
    subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(archive.read(n) for n in names if n.endswith(".dist-info/METADATA"))
    assert not [n for n in names if "testmodel" in n or "corpus" in n], names
    assert "translate_pipeline/templates/article.html" in names
    requires = re.findall(r"^Requires-Dist: ([\w-]+)", metadata.decode(), re.M)
    assert "ctranslate2" in requires and "numpy" not in requires


def test_the_test_model_points_to_notes_that_exist() -> None:
    source = (REPO / "tests" / "testmodel.py").read_text("utf-8")
    pointers = re.findall(r"see also (\S+\.md)", source)
    assert pointers and all((REPO / p).is_file() for p in pointers)
