"""The state file (`state`): written line by line, read one article at a time, and the
older single-document format still read."""

from __future__ import annotations

import dataclasses
import json
import os
import tracemalloc
from pathlib import Path

import pytest

from translate_pipeline import render, state


def entry(i: int) -> dict:
    return {
        "fingerprint": f"{i:064x}",
        "files": [f"de/a-{i}/index.html", f"en/a-{i}/index.html", f"de-en/a-{i}/index.html"],
        "summary": {
            "slug": f"a-{i}",
            "author": "Redaktion",
            "date": "2025-03-15",
            "titles": {"de": f"Über Artikel {i}", "en": f"On article {i}"},
            "descriptions": {"de": "Eine Beschreibung.", "en": "A description."},
            "minutes": {"de": 1, "en": 1},
        },
        "links": {"ref:other.md": "de/other/index.html"},
        "flagged": i % 3,
    }


def written(out: Path, count: int, site_files: list[str]) -> Path:
    writer = state.Writer("code-1")
    try:
        for i in range(count):
            writer.add(f"content/a-{i}.md", entry(i))
        whole = writer.finish(site_files)
        whole.seek(0)
        data = whole.read()
    finally:
        writer.close()
    out.mkdir(exist_ok=True)
    (out / state.STATE_FILE).write_bytes(data)
    return out / state.STATE_FILE


def test_what_a_build_writes_the_next_one_reads_back(tmp_path: Path) -> None:
    site_files = [f"index-{n}.html" for n in range(2, state.FILES_PER_LINE + 10)]
    path = written(tmp_path, 50, ["index.html", *site_files])
    previous = state.Previous(tmp_path)
    assert previous.code == "code-1" and not previous.publishing
    assert previous.slugs() == {f"content/a-{i}.md": f"a-{i}" for i in range(50)}
    assert [previous.get(f"content/a-{i}.md") for i in range(50)] == [entry(i) for i in range(50)]
    assert previous.get("content/missing.md") is None
    articles = {f for i in range(50) for f in entry(i)["files"]}
    assert previous.files() == articles | {"index.html", *site_files}
    lines = path.read_bytes().splitlines()
    assert json.loads(lines[0]) == {"code": "code-1", "format": state.FORMAT}
    assert len(lines) == 1 + 50 + 2  # the site's files take two lines
    assert written(tmp_path, 50, [*site_files, "index.html"]).read_bytes() == path.read_bytes()


def test_the_next_build_keeps_an_offset_and_a_slug_per_article_not_the_entries(
    tmp_path: Path,
) -> None:
    """The single JSON document this replaces took 2.6 KB per article once loaded."""
    count = 20_000
    written(tmp_path, count, ["index.html"])
    tracemalloc.start()
    try:
        previous = state.Previous(tmp_path)
        kept = tracemalloc.get_traced_memory()[0] / count
    finally:
        tracemalloc.stop()
    assert len(previous.slugs()) == count
    assert kept < 500, f"{kept:.0f} B per article"


def test_a_damaged_line_costs_its_article_only(tmp_path: Path) -> None:
    path = written(tmp_path, 5, ["index.html"])
    lines = path.read_bytes().splitlines(keepends=True)
    lines[2] = lines[2][:40] + b"\n"  # a line cut short by hand
    lines[3] = lines[3].replace(b'"fingerprint": "', b'"fingerprint": 1, "x": "')
    lines[4] = lines[4].replace(b'"minutes": {"de": 1, "en": 1}, ', b"")
    lines[5] = lines[5].replace(b'"links": {', b'"links": [], "x": {')
    path.write_bytes(b"".join(lines))
    previous = state.Previous(tmp_path)
    assert previous.slugs() == {"content/a-0.md": "a-0"}
    assert [previous.get(f"content/a-{i}.md") for i in range(5)] == [entry(0)] + [None] * 4


def test_an_entry_has_the_fields_of_an_index_entry() -> None:
    assert state._SUMMARY_FIELDS == {
        field.name: dict if "dict" in str(field.type) else str
        for field in dataclasses.fields(render.Summary)
    }


def test_an_entry_changed_after_it_was_indexed_is_not_trusted(tmp_path: Path) -> None:
    path = written(tmp_path, 2, [])
    previous = state.Previous(tmp_path)
    path.write_bytes(path.read_bytes().replace(b"content/a-1.md", b"content/a-9.md"))
    assert previous.get("content/a-1.md") is None
    assert previous.get("content/a-0.md") == entry(0)
    path.unlink()
    os.mkfifo(path)  # swapped for a FIFO: not read, so nothing blocks
    assert previous.get("content/a-0.md") is None


@pytest.mark.parametrize("kind", ["missing", "folder", "fifo", "garbage", "list", "empty"])
def test_a_state_file_that_is_not_one_is_empty(tmp_path: Path, kind: str) -> None:
    path = tmp_path / state.STATE_FILE
    if kind == "folder":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)  # reading would block: it is refused from its stat
    elif kind != "missing":
        path.write_bytes({"garbage": b"\x00\xff{", "list": b"[1, 2]\n", "empty": b""}[kind])
    previous = state.Previous(tmp_path)
    assert (previous.code, previous.publishing, previous.slugs()) == (None, False, {})
    assert previous.files() is None


def test_a_line_too_long_to_be_a_states_is_not_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file of that name with gigabytes and no line break must not fill the memory."""
    written(tmp_path, 2, ["index.html"])
    assert state.Previous(tmp_path).slugs()
    monkeypatch.setattr(state, "MAX_LINE_BYTES", 200)  # shorter than an article's line
    previous = state.Previous(tmp_path)
    assert (previous.code, previous.slugs(), previous.files()) == (None, {}, None)


def test_the_older_single_document_format_is_still_read(tmp_path: Path) -> None:
    older = {
        "code": "code-0",
        "articles": {"content/a-0.md": entry(0), "content/bad.md": {"fingerprint": 3}},
        "files": ["index.html", *entry(0)["files"]],
    }
    (tmp_path / state.STATE_FILE).write_text(json.dumps(older, indent=1, sort_keys=True))
    previous = state.Previous(tmp_path)
    assert previous.code == "code-0"
    assert previous.slugs() == {"content/a-0.md": "a-0"}
    assert previous.get("content/a-0.md") == entry(0)
    assert previous.files() == {"index.html", *entry(0)["files"]}
    del older["files"]  # written before state files listed files: None, all of it is ours
    (tmp_path / state.STATE_FILE).write_text(json.dumps(older, indent=1, sort_keys=True))
    assert state.Previous(tmp_path).files() is None


def test_a_header_without_a_build_still_lists_its_files(tmp_path: Path) -> None:
    """Whatever the header lacks, the files the lines list are the folder's: a state file
    of this format never makes the whole folder count as ours."""
    path = tmp_path / state.STATE_FILE
    path.write_bytes(b'{"format": 2}\n{"files": ["index.html"]}\n')
    previous = state.Previous(tmp_path)
    assert previous.code is None and previous.files() == {"index.html"}


def test_an_in_place_publish_announces_every_file_first(tmp_path: Path) -> None:
    tmp_path.joinpath(state.STATE_FILE).write_bytes(state.intent(["b.html", "a.html"]))
    previous = state.Previous(tmp_path)
    assert previous.publishing and previous.code is None and previous.slugs() == {}
    assert previous.files() == {"a.html", "b.html"}


def test_a_long_entry_is_read_whole(tmp_path: Path) -> None:
    """An article with thousands of images: its line is read in several pieces."""
    big = {**entry(1), "files": [f"de/a-1/bild-{n:05d}.png" for n in range(8000)]}
    writer = state.Writer("code-1")
    try:
        writer.add("content/a-0.md", entry(0))
        writer.add("content/a-1.md", big)
        writer.add("content/a-2.md", entry(2))
        whole = writer.finish([])
        whole.seek(0)
        (tmp_path / state.STATE_FILE).write_bytes(whole.read())
    finally:
        writer.close()
    assert len((tmp_path / state.STATE_FILE).read_bytes().splitlines()[2]) > 3 * 2**16
    previous = state.Previous(tmp_path)
    assert [previous.get(f"content/a-{i}.md") for i in range(3)] == [entry(0), big, entry(2)]
