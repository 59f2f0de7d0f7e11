"""The rendered site in a real browser (Debian's chromium), plus the local preview server.

Screenshots go to test-output/screenshots/ under the repository root, named page-width.
"""

import re
import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import reviewcorpus
from click.testing import CliRunner
from pages import render_site, summaries
from playwright.sync_api import Browser, Page, sync_playwright

from translate_pipeline import memory, state
from translate_pipeline.cli import main
from translate_pipeline.render import (
    INDEX_PAGE,
    REVIEW_PAGE,
    ArticlePage,
    Row,
    Site,
    Target,
    Version,
    render_indexes,
)
from translate_pipeline.serve import make_server, snapshot, watch_files

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[1] / "test-output" / "screenshots"
SLUG = "uebersetzen"
BILINGUAL = f"de-en/{SLUG}/index.html"
PAGES = {
    "bilingual": BILINGUAL,
    "german": f"de/{SLUG}/index.html",
    "english": f"en/{SLUG}/index.html",
    "home": "index.html",
    "index-de": "de/index.html",
}
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium); "
    "CI installs it",
)

LONG_EN = (
    "Machine translation has become good enough that many readers no longer notice it, "
    "which is exactly why a bilingual page matters: it lets a reader check a sentence "
    "against its original whenever something sounds slightly off. "
) * 4
LONG_DE = (
    "Bei längeren Absätzen auf der deutschen Seite muss die englische Zeile trotzdem oben "
    "bündig beginnen, auch wenn die Übersetzung deutlich kürzer ausfällt. "
) * 3
TABLE = "<table><thead><tr>{}</tr></thead><tbody><tr>{}</tr></tbody></table>"
CODE = "<pre><code>result = translate(text, glossary=glossary, model='de-en') # {}</code></pre>"


def fixture_page() -> ArticlePage:
    rows = (
        Row("heading", "<h2>Einleitung</h2>", "<h2>Introduction</h2>", level=2),
        Row("paragraph", "<p>Ein kurzer deutscher Absatz.</p>", f"<p>{LONG_EN}</p>"),
        Row("list_item", "Erster Punkt", "First point"),
        Row("list_item", "Unterpunkt", "Sub point", level=1),
        Row("list_item", "Tiefer", "Deeper", level=2, ordered=True, number=1),
        Row("list_item", "Zweiter Punkt", "Second point"),
        Row("heading", "<h3>Die Einzelheiten</h3>", "<h3>The details</h3>", level=3),
        Row("paragraph", f"<p>{LONG_DE}</p>", "<p>A short English paragraph.</p>"),
        Row(
            "paragraph",
            "<p>Das Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz.</p>",
            "<p>The beef labelling supervision duties delegation act.</p>",
            note="needs review",
        ),
        Row("quote", "<blockquote><p>Ein Zitat.</p></blockquote>", "<p>A quote.</p>"),
        Row(
            "table",
            TABLE.format("".join(f"<th>Spalte {i}</th>" for i in range(9)), "<td>x</td>" * 9),
            TABLE.format("".join(f"<th>Column {i}</th>" for i in range(9)), "<td>x</td>" * 9),
        ),
        Row("code", CODE.format("Kommentar"), CODE.format("comment")),
        Row("rule", "<hr>", "<hr>"),
    )
    return ArticlePage(
        slug=SLUG,
        author="Erika Mustermann",
        date="15. März 2025",
        source=Version(
            "de", "Über das Übersetzen", "Warum zweisprachig.", _body(rows, "de"), LONG_DE
        ),
        targets=(
            Target(
                Version("en", "On translating", "Why bilingual.", _body(rows, "en"), LONG_EN), rows
            ),
        ),
    )


def _body(rows: tuple[Row, ...], lang: str) -> str:
    return "\n".join(row.source_html if lang == "de" else row.target_html for row in rows)


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    other = ArticlePage(
        slug="zweiter",
        author="Max Muster",
        date="2.1.2024",
        source=Version("de", "Zweiter Artikel", "Noch einer.", "<p>Hallo.</p>", "Hallo."),
        targets=(
            Target(
                Version("en", "Second article", "Another one.", "<p>Hello.</p>", "Hello."),
                (Row("paragraph", "<p>Hallo.</p>", "<p>Hello.</p>"),),
            ),
        ),
    )
    for rel, data in render_site([fixture_page(), other]).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium; CI installs it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def _open(browser, site_dir, rel: str, width: int, **context: object) -> Page:
    """A fresh page (own storage) at ``width`` showing ``rel``."""
    ctx = browser.new_context(viewport={"width": width, "height": 900}, **context)
    page = ctx.new_page()
    page.goto((site_dir / rel).as_uri())
    return page


def _watched(browser: Browser) -> tuple[Page, list[str], list[str]]:
    """A fresh 1280-wide page, with the URLs it requests and the errors it logs."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page, requests, errors


def _shot(page: Page, name: str, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


def _visible(page: Page, selector: str) -> list[bool]:
    return [el.is_visible() for el in page.query_selector_all(selector)]


@needs_chromium
def test_pairs_start_at_the_same_height_side_by_side_at_1280(
    browser: Browser, site_dir: Path
) -> None:
    page = _open(browser, site_dir, BILINGUAL, 1280)
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('.rows > .row')].map(row => {
            const [de, en] = row.children;
            const box = el => el.getBoundingClientRect();
            return {kind: row.className, de: box(de), en: box(en),
                    deFirst: box(de.firstElementChild), enFirst: box(en.firstElementChild)};
        })"""
    )
    assert len(boxes) == len(fixture_page().targets[0].rows)
    for row in boxes:
        assert abs(row["de"]["top"] - row["en"]["top"]) < 1, row["kind"]
        assert abs(row["deFirst"]["top"] - row["enFirst"]["top"]) < 1, row["kind"]
        assert row["en"]["left"] >= row["de"]["right"], row["kind"]  # side by side
    long_english = boxes[1]
    assert long_english["en"]["height"] > 2 * long_english["deFirst"]["height"]
    for name, rel in PAGES.items():
        page.goto((site_dir / rel).as_uri())
        _shot(page, name, 1280)


@needs_chromium
def test_headings_align_with_headings(browser: Browser, site_dir: Path) -> None:
    page = _open(browser, site_dir, BILINGUAL, 1280)
    levels = page.evaluate(
        """() => [...document.querySelectorAll('.rows > .k-heading')].map(row =>
            [...row.children].map(cell => [cell.firstElementChild.tagName,
                                           cell.firstElementChild.getBoundingClientRect().top]))"""
    )
    assert [[tag for tag, _ in row] for row in levels] == [["H2", "H2"], ["H3", "H3"]]
    for (_, de_top), (_, en_top) in levels:
        assert abs(de_top - en_top) < 1


@needs_chromium
def test_narrow_screen_stacks_pairs_with_labels_and_never_overflows(
    browser: Browser, site_dir: Path
) -> None:
    page = _open(browser, site_dir, BILINGUAL, 390)
    rows = page.evaluate(
        """() => [...document.querySelectorAll('.rows > .row')].map(row => {
            const [de, en] = row.children;
            const label = el => getComputedStyle(el, '::before');
            return {de: de.getBoundingClientRect(), en: en.getBoundingClientRect(),
                    labels: [label(de).display, label(en).display],
                    content: [label(de).content, label(en).content],
                    langs: [de.lang, en.lang]};
        })"""
    )
    for row in rows:
        assert row["en"]["top"] >= row["de"]["bottom"] - 1  # stacked, German first
        assert "none" not in row["labels"]
        # the label is the cell's language, hidden from screen readers (alt text "")
        assert row["content"] == [f'"{lang}" / ""' for lang in row["langs"]]
    for name, rel in PAGES.items():
        page.goto((site_dir / rel).as_uri())
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], name
        _shot(page, name, 390)


@needs_chromium
def test_list_items_are_indented_per_level(browser: Browser, site_dir: Path) -> None:
    page = _open(browser, site_dir, BILINGUAL, 1280)
    lefts = page.evaluate(
        """() => [...document.querySelectorAll('.rows > .k-list_item > .en li')]
                 .map(li => li.getBoundingClientRect().left)"""
    )
    assert lefts[0] < lefts[1] < lefts[2]
    assert lefts[3] == lefts[0]


@needs_chromium
def test_view_switcher_shows_one_language_or_both_and_remembers(
    browser: Browser, site_dir: Path
) -> None:
    page = _open(browser, site_dir, BILINGUAL, 1280)
    assert all(_visible(page, ".rows .de")) and all(_visible(page, ".rows .en"))
    page.click("label[for=view-de]")
    assert all(_visible(page, ".rows .de")) and not any(_visible(page, ".rows .en"))
    assert not page.is_visible("h1 .en")
    _shot(page, "bilingual-german-only", 1280)
    page.click("label[for=view-en]")
    assert not any(_visible(page, ".rows .de")) and all(_visible(page, ".rows .en"))
    # Chromium commits localStorage to disk asynchronously; give it a moment before
    # reloading, or a loaded machine can reload first and read the old value.
    page.wait_for_timeout(500)
    page.reload()  # the tiny script remembers the choice
    page.wait_for_function("document.getElementById('view-en').checked", timeout=5000)
    assert page.is_checked("#view-en")
    assert not any(_visible(page, ".rows .de"))
    page.click("label[for=view-both]")
    assert all(_visible(page, ".rows .de")) and all(_visible(page, ".rows .en"))


@needs_chromium
def test_view_switcher_works_without_javascript(browser: Browser, site_dir: Path) -> None:
    page = _open(browser, site_dir, BILINGUAL, 390, java_script_enabled=False)
    assert page.is_checked("#view-both")
    assert all(_visible(page, ".rows .de")) and all(_visible(page, ".rows .en"))
    page.click("label[for=view-en]")
    assert not any(_visible(page, ".rows .de")) and all(_visible(page, ".rows .en"))
    page.keyboard.press("ArrowLeft")  # radios: arrow keys move the choice
    assert page.is_checked("#view-de")
    assert all(_visible(page, ".rows .de")) and not any(_visible(page, ".rows .en"))


@needs_chromium
def test_links_between_pages_resolve_and_switch_language(browser: Browser, site_dir: Path) -> None:
    page = _open(browser, site_dir, BILINGUAL, 1280)
    checked = 0
    for rel in sorted(p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.html")):
        page.goto((site_dir / rel).as_uri())
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            url = urlparse(href)
            assert url.scheme == "file", (rel, href)
            target = Path(unquote(url.path))
            assert target.is_file(), (rel, href)
            checked += 1
    assert checked > 50
    page.goto((site_dir / BILINGUAL).as_uri())
    page.click("header nav >> text=Deutsch")
    assert page.url.endswith(f"/de/{SLUG}/index.html")
    assert page.get_attribute("html", "lang") == "de"
    page.click("header nav >> text=English")
    assert page.url.endswith(f"/en/{SLUG}/index.html")
    assert page.get_attribute("html", "lang") == "en"


@needs_chromium
@pytest.mark.parametrize("over_http", [False, True])
def test_pages_make_no_external_requests_and_log_no_errors(
    browser: Browser, site_dir: Path, over_http: bool
) -> None:
    server = make_server(site_dir, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        page, requests, errors = _watched(browser)
        for rel in PAGES.values():
            page.goto(origin + rel if over_http else (site_dir / rel).as_uri())
        prefix = origin if over_http else "file://"
        assert requests and all(url.startswith(prefix) for url in requests), requests
        assert len(requests) == len(PAGES)  # no stylesheet, script, font or icon fetched
        assert errors == []
    finally:
        server.shutdown()
        server.server_close()


def _luminance(rgb: list[float]) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(fg: list[float], bg: list[float]) -> float:
    light, dark = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


COLORS_JS = """selectors => selectors.flatMap(sel => [...document.querySelectorAll(sel)].slice(0, 3)
    .map(el => {
        const rgb = c => c.match(/[\\d.]+/g).map(Number);
        let bg = el;
        while (bg && rgb(getComputedStyle(bg).backgroundColor)[3] === 0) bg = bg.parentElement;
        return {sel, fg: rgb(getComputedStyle(el).color),
                bg: rgb(getComputedStyle(bg || document.body).backgroundColor)};
    }))"""
TEXT = [
    "body",
    ".brand",
    "header nav a",
    "header nav a[aria-current]",
    ".meta",
    ".mt-note",
    ".view legend",
    ".view label",
    ".view input:checked + label",
    ".cols > *",
    ".rows p",
    ".rows a",
    ".note",
    "footer.site",
    "pre",
]


@needs_chromium
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_contrast_meets_wcag_aa(browser: Browser, site_dir: Path, scheme: str) -> None:
    page = _open(browser, site_dir, BILINGUAL, 1280, color_scheme=scheme)
    found = page.evaluate(COLORS_JS, TEXT)
    assert {f["sel"] for f in found} == set(TEXT) - {".rows a"}
    for item in found:
        assert _contrast(item["fg"], item["bg"]) >= 4.5, item
    if scheme == "dark":
        _shot(page, "bilingual-dark", 1280)
    page.set_viewport_size({"width": 390, "height": 900})
    labels = page.evaluate(
        """() => { const s = getComputedStyle(document.querySelector('.rows .en'), '::before');
                   const rgb = c => c.match(/[\\d.]+/g).map(Number);
                   return {fg: rgb(s.color), bg: rgb(s.backgroundColor)}; }"""
    )
    assert _contrast(labels["fg"], labels["bg"]) >= 4.5


@needs_chromium
def test_keyboard_focus_is_visible(browser: Browser, site_dir: Path) -> None:
    page = _open(browser, site_dir, BILINGUAL, 1280)
    outlines = []
    for _ in range(6):
        page.keyboard.press("Tab")
        outlines.append(
            page.evaluate(
                """() => { const el = document.activeElement;
                    const target = el.matches('input') ? el.nextElementSibling : el;
                    const s = getComputedStyle(target);
                    return [el.tagName, s.outlineStyle, parseFloat(s.outlineWidth)]; }"""
            )
        )
    assert outlines[0][0] == "A"  # the skip link comes first
    assert ["INPUT", "solid", 3] in outlines
    assert all(style == "solid" and width >= 2 for _, style, width in outlines), outlines


@needs_chromium
def test_print_hides_controls_and_keeps_both_columns(browser: Browser, site_dir: Path) -> None:
    page = _open(browser, site_dir, BILINGUAL, 1280)
    page.emulate_media(media="print")
    assert not page.is_visible(".view") and not page.is_visible("header nav")
    first = page.query_selector(".rows > .row")
    de, en = (cell.bounding_box() for cell in first.query_selector_all(":scope > *"))
    assert abs(de["y"] - en["y"]) < 1 and en["x"] > de["x"]


# --- the local preview server (no browser needed) ------------------------------------


@pytest.fixture()
def server(site_dir: Path) -> Iterator[str]:
    httpd = make_server(site_dir, port=0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_server_serves_pages_and_the_site_404(server: str, site_dir: Path) -> None:
    with urllib.request.urlopen(server + BILINGUAL) as response:
        assert response.status == 200
        assert response.read() == (site_dir / BILINGUAL).read_bytes()
        assert response.headers["Cache-Control"] == "no-store"
    with urllib.request.urlopen(server) as response:  # a folder serves its index.html
        assert response.read() == (site_dir / "index.html").read_bytes()
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(server + "nowhere/")
    assert missing.value.code == 404
    assert missing.value.read() == (site_dir / "404.html").read_bytes()


def test_watcher_calls_back_on_change_but_not_for_hidden_files(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "a.md").write_text("eins")
    calls: list[float] = []
    stop = threading.Event()
    watcher = threading.Thread(
        target=watch_files, args=([content], lambda: calls.append(time.time()), stop, 0.02)
    )
    watcher.start()
    try:
        time.sleep(0.1)
        (content / ".a.md.swp").write_text("editor state")
        time.sleep(0.15)
        assert calls == []
        (content / "a.md").write_text("zwei, länger")
        deadline = time.time() + 5
        while not calls and time.time() < deadline:
            time.sleep(0.02)
        assert len(calls) == 1
    finally:
        stop.set()
        watcher.join()


def test_watcher_survives_a_failing_rebuild(tmp_path: Path) -> None:
    source = tmp_path / "a.md"
    source.write_text("eins")
    attempts: list[int] = []

    def rebuild() -> None:
        attempts.append(1)
        raise RuntimeError("broken article")

    stop = threading.Event()
    watcher = threading.Thread(target=watch_files, args=([source], rebuild, stop, 0.02))
    watcher.start()
    try:
        for text in ("zwei", "drei!"):
            time.sleep(0.1)
            source.write_text(text)
            deadline = time.time() + 5
            expected = len(attempts) + 1
            while len(attempts) < expected and time.time() < deadline:
                time.sleep(0.02)
        assert len(attempts) == 2
        assert watcher.is_alive()
    finally:
        stop.set()
        watcher.join()


def test_snapshot_sees_files_in_folders_and_single_files(tmp_path: Path) -> None:
    (tmp_path / "dir" / "sub").mkdir(parents=True)
    (tmp_path / "dir" / "sub" / "b.md").write_text("b")
    (tmp_path / "dir" / ".git").mkdir()
    (tmp_path / "dir" / ".git" / "HEAD").write_text("ref")
    (tmp_path / "one.yaml").write_text("x: 1")
    state = snapshot([tmp_path / "dir", tmp_path / "one.yaml", tmp_path / "missing"])
    assert set(state) == {tmp_path / "dir" / "sub" / "b.md", tmp_path / "one.yaml"}


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped sample, built the way the README's main command builds it."""
    from translate_pipeline import build, config

    root = Path(__file__).resolve().parents[1]
    out = tmp_path_factory.mktemp("sample") / "site"
    translations = out.parent / "translations"
    shutil.copytree(root / "translations" / "de-en", translations)
    options = config.Options(
        content=root / "content",
        out=out,
        translations=translations,
        glossaries=root / "glossaries",
        frozen=True,
    )
    assert build.build(options).exit_code == 0
    return out


@needs_chromium
@pytest.mark.parametrize("width", [1280, 390])
def test_shipped_sample_in_the_browser(browser: Browser, sample_site: Path, width: int) -> None:
    page = _open(browser, sample_site, "de-en/rutte-russland/index.html", width)
    rows = page.query_selector_all(".rows .row")
    assert len(rows) == 10
    if width == 1280:
        for row in rows:
            de, en = row.query_selector(".de"), row.query_selector(".en")
            assert abs(de.bounding_box()["y"] - en.bounding_box()["y"]) < 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _shot(page, "sample-bilingual", width)
    for version in ("de", "en"):
        page = _open(browser, sample_site, f"{version}/rutte-russland/index.html", width)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _shot(page, f"sample-{version}", width)


# --- a site in three target languages (issue 17) ------------------------------------------------

THREE = ("en", "fr", "uk")


def _three_language_page() -> ArticlePage:
    rows = (
        Row("heading", "<h2>Einleitung</h2>", "<h2>{}</h2>", level=2),
        Row("paragraph", f"<p>{LONG_DE}</p>", "<p>{}</p>"),
    )
    words = {"en": "Introduction", "fr": "Introduction", "uk": "Вступ"}
    return ArticlePage(
        slug=SLUG,
        author="Erika Mustermann",
        date="2025-03-15",
        source=Version("de", "Über das Übersetzen", "Warum.", _body(rows, "de"), LONG_DE),
        targets=tuple(
            Target(
                Version(lang, f"[{lang}] Title", "Why.", f"<p>{words[lang]}</p>", LONG_EN),
                tuple(
                    Row(r.kind, r.source_html, r.target_html.format(words[lang]), level=r.level)
                    for r in rows
                ),
            )
            for lang in THREE
        ),
    )


@pytest.fixture(scope="module")
def three_language_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("three")
    for rel, data in render_site([_three_language_page()], targets=THREE).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


@needs_chromium
def test_three_language_site_switches_between_all_languages(
    browser: Browser, three_language_site: Path
) -> None:
    page = _open(browser, three_language_site, f"fr/{SLUG}/index.html", 1280)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    assert page.get_attribute("html", "lang") == "fr"
    assert "Ce texte français a été traduit automatiquement" in page.inner_text("main")
    assert "15 mars 2025" in page.inner_text("main")
    for label, lang in (("Українська", "uk"), ("English", "en"), ("Deutsch", "de")):
        page.click(f"header nav >> text={label}")
        assert page.url.endswith(f"/{lang}/{SLUG}/index.html")
        assert page.get_attribute("html", "lang") == lang
    # The German page leads to a bilingual page per pair; each pairs German with its language.
    for label, pair in (("Deutsch · Français", "de-fr"), ("Deutsch · Українська", "de-uk")):
        page.goto((three_language_site / f"de/{SLUG}/index.html").as_uri())
        page.click(f"header nav >> text={label}")
        assert page.url.endswith(f"/{pair}/{SLUG}/index.html")
        target = pair.split("-")[1]
        assert page.get_attribute("html", "lang") == target
        columns = page.evaluate(
            """() => [...document.querySelectorAll('.rows > .row')].map(row =>
                [...row.children].map(cell => cell.getAttribute('lang')))"""
        )
        assert columns and all(c == ["de", target] for c in columns)
        # Side by side at 1280 px: the two columns of a row start at the same height.
        tops = page.evaluate(
            """() => [...document.querySelectorAll('.rows > .row')].map(row =>
                [...row.children].map(cell => Math.round(cell.getBoundingClientRect().top)))"""
        )
        assert all(a == b for a, b in tops)
        page.check(f"#view-{target}", force=True)
        assert not any(_visible(page, ".rows .de")) and all(_visible(page, f".rows .{target}"))
        _shot(page, f"bilingual-{pair}", 1280)
    # Every link of every page of the site leads to a file of the site.
    for path in three_language_site.rglob("*.html"):
        page.goto(path.as_uri())
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            assert Path(unquote(urlparse(href).path)).is_file(), (path, href)
    assert errors == []


# --- the review page (issue 15), built from known defects ------------------------------------


def _cli(root: Path, packages: Path, *args: str) -> str:
    """A CLI command in `root` with the packages given; its stderr."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("ARGOS_PACKAGES_DIR", str(packages))
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def review_project(tmp_path_factory: pytest.TempPathFactory, review_packages: dict) -> Path:
    """Three articles of the review corpus (tests/reviewcorpus.py): four sentences of each
    defect, two uncertain ones and twenty clean ones, built with the defect model and
    --review, with a base URL so a sitemap is written."""
    corpus = reviewcorpus.sentences()
    chosen = [
        *(s for kind in reviewcorpus.KINDS for s in [c for c in corpus if c.kind == kind][:4]),
        *[s for s in corpus if s.kind == "confidence"][:2],
        *[s for s in corpus if s.kind == "clean"][:20],
    ]
    root = tmp_path_factory.mktemp("review-site")
    reviewcorpus.write_project(root, reviewcorpus.articles(chosen, count=3))
    _cli(root, review_packages["defect"], "build", "--review", "--base-url", "https://example.org/")
    return root


def _flagged(root: Path) -> dict[str, tuple[str, memory.Entry]]:
    """Flagged entries by German, with their PO file (relative to `root`)."""
    found = {}
    for po in sorted((root / "translations/de-en").glob("*.po")):
        for source, entry in memory.load(po).entries.items():
            if entry.review:
                found[source] = (po.relative_to(root).as_posix(), entry)
    return found


ITEMS_JS = """() => [...document.querySelectorAll('.queue > .item')].map(item => {
    const [de, en] = item.querySelectorAll('.pair > p');
    const box = el => el.getBoundingClientRect();
    const text = el => [...el.childNodes]
        .filter(n => !(n.classList && n.classList.contains('tag')))
        .map(n => n.textContent).join('').trim();
    const marks = el => [...el.querySelectorAll('mark')]
        .map(m => [m.dataset.signal, m.textContent]);
    return {risk: parseFloat(item.querySelector('.risk').textContent),
            po: item.querySelector('code.po').textContent,
            signals: item.dataset.signals.split(' '),
            german: text(de), english: text(en), deMarks: marks(de), enMarks: marks(en),
            de: box(de), en: box(en), hidden: item.hidden};
})"""


@needs_chromium
def test_review_page_ranks_marks_filters_and_stays_offline(
    browser: Browser, review_project: Path
) -> None:
    corpus = {s.german: s for s in reviewcorpus.sentences()}
    flagged = _flagged(review_project)
    site = review_project / "site"
    page, requests, errors = _watched(browser)
    page.goto((site / REVIEW_PAGE).as_uri())
    _shot(page, "review", 1280)
    items = page.evaluate(ITEMS_JS)

    # Every flagged entry once, most likely wrong first, where to fix it shown.
    assert len(items) == len(flagged) >= 22
    risks = [item["risk"] for item in items]
    assert risks == sorted(risks, reverse=True) and risks[0] > risks[-1]
    for item in items:
        po, line = item["po"].rsplit(":", 1)
        assert reviewcorpus.msgid_at(review_project / po, int(line)) == item["german"]
        assert flagged[item["german"]][0] == po
        entry = flagged[item["german"]][1]
        assert item["english"] == entry.target
        assert item["signals"] == list(dict.fromkeys(s.name for s in entry.review))
        # German and English side by side.
        assert abs(item["de"]["top"] - item["en"]["top"]) < 1
        assert item["en"]["left"] >= item["de"]["right"]
    # What each signal found is marked: the missing number and its stand-in, the
    # repeated phrase, the dropped negation.
    by_kind: dict[str, list[dict]] = {}
    for item in items:
        by_kind.setdefault(corpus[item["german"]].kind, []).append(item)
    for item in by_kind["numbers"]:
        sentence = corpus[item["german"]]
        assert ["numbers", sentence.german_item] in item["deMarks"]
        if sentence.english_item:
            assert ["numbers", sentence.english_item] in item["enMarks"]
    for item in by_kind["repetition"]:
        assert ["repetition", "the draft the draft"] in item["enMarks"]
    for item in by_kind["negation"]:
        assert ["negation", corpus[item["german"]].german_item] in item["deMarks"]
    assert {"numbers", "repetition", "negation", "untranslated", "truncation"} <= set(by_kind)
    assert {"confidence"} <= {name for item in items for name in item["signals"]}

    # Unticking a signal hides the items that have only that signal, and the count follows.
    def shown() -> int:
        return int(page.text_content("#shown") or "-1")

    assert shown() == len(items)
    page.uncheck("input[name=signal][value=repetition]")
    after = page.evaluate(ITEMS_JS)
    for item in after:
        assert item["hidden"] == (set(item["signals"]) == {"repetition"}), item
    assert any(item["hidden"] for item in after)
    assert shown() == sum(not item["hidden"] for item in after)
    assert (
        page.evaluate(
            "[...document.querySelectorAll('.queue > .item')]"
            ".filter(i => i.offsetParent !== null).length"
        )
        == shown()
    )
    for box in page.query_selector_all("input[name=signal]"):
        box.uncheck()
    assert shown() == 0
    page.check("input[name=signal][value=numbers]")
    assert shown() == sum("numbers" in item["signals"] for item in items) > 0
    _shot(page, "review-numbers-only", 1280)

    # Nothing leaves the page: one request (the page itself), no script or style fetched.
    assert requests == [(site / REVIEW_PAGE).as_uri()]
    assert errors == []
    csp = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content") or ""
    assert "default-src 'self'" in csp and "script-src 'sha256-" in csp
    assert page.get_attribute('meta[name="robots"]', "content") == "noindex"


def test_review_page_is_linked_from_nowhere_and_goes_with_the_next_build(
    review_project: Path, review_packages: dict, tmp_path: Path
) -> None:
    root = tmp_path / "project"
    shutil.copytree(review_project, root)
    site = root / "site"
    assert (site / REVIEW_PAGE).is_file()
    public = [p for p in site.rglob("*") if p.is_file() and not p.is_relative_to(site / "_review")]
    pages = [p for p in public if p.suffix == ".html"]
    assert len(pages) > 10
    for path in public:  # pages, sitemap, feeds
        if path.suffix in (".html", ".xml"):
            assert "_review" not in path.read_text("utf-8"), path
    sitemap = (site / "sitemap.xml").read_text("utf-8")
    assert "https://example.org/" in sitemap
    for feed in ("de/feed.xml", "en/feed.xml"):
        assert "https://example.org/" in (site / feed).read_text("utf-8")
    # The build's own list of what it published has it, so the next build can remove it.
    assert REVIEW_PAGE in state.Previous(site).files()

    _cli(root, review_packages["defect"], "build", "--base-url", "https://example.org/")
    assert not (site / REVIEW_PAGE).exists() and not (site / "_review").exists()
    assert re.search(r"<loc>https://example\.org/", (site / "sitemap.xml").read_text("utf-8"))
    assert _flagged(root) == _flagged(review_project)  # the queue itself stays


@needs_chromium
def test_index_pages_page_through_an_archive_and_keep_the_page_across_languages(
    browser: Browser, tmp_path: Path
) -> None:
    for rel, data in render_indexes(summaries(2 * INDEX_PAGE + 1), Site()):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    page = _open(browser, tmp_path, "en/index.html", 390)
    pager = "nav.pager"
    assert page.is_visible(pager)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.click(f"{pager} >> text=Older")
    assert page.url.endswith("/en/index-2.html")
    assert page.inner_text(f"{pager} [aria-current=page]") == "Page 2 of 3"
    page.click(f"{pager} >> text=Older")
    assert page.url.endswith("/en/index-3.html")
    assert page.query_selector_all(f"{pager} a[rel=next]") == []
    page.click("header nav >> text=Deutsch")
    assert page.url.endswith("/de/index-3.html")
    assert page.get_attribute("html", "lang") == "de"
    page.click(f"{pager} >> text=Neueste")
    assert page.url.endswith("/de/index.html")
    assert len(page.query_selector_all("ul.cards > li")) == INDEX_PAGE
    _shot(page, "index-pager", 390)
