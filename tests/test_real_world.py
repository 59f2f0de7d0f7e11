"""Issue 13: real German articles from Hugo, Jekyll, Astro, Docusaurus, HonKit and other sites
(`tests/data/real_world/`, sources and licences in its SOURCES.md) build cleanly.

Checked on every article, through the CLI and the hand-wired test model:
* the build succeeds and publishes all three pages;
* the structure of the source, read by an independent CommonMark + GFM parser (marko), is
  the structure of the German page, the English page and both columns of the bilingual
  page (headings, list items, table cells, code blocks, images, links);
* no other generator's syntax is visible on any page (outside code);
* every in-page link (`href="#…"`) has its target on the same page.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from marko.ext.gfm import gfm

from translate_pipeline import frontmatter
from translate_pipeline.articles import read_article
from translate_pipeline.cli import main
from translate_pipeline.markup.document import parse_document
from translate_pipeline.markup.generators import resolve_targets

CORPUS = Path(__file__).parent / "data" / "real_world"
SOURCES = json.loads((CORPUS / "sources.json").read_text("utf-8"))
KINDS = ("heading", "item", "cell", "code", "image", "link")
# Other generators' syntax, as it would show if it reached a page as text.
FOREIGN = re.compile(
    r"\{\{[<%]|[>%]\}\}|\{%|%\}|\{\{\s*[\w.]+\s*\}\}|^\s*:::|^\s*!!!\s|\{:\s*[.#\w]"
    r"|^\s*(?:import|export)\s+\S+.*\bfrom\b|<[A-Z]\w*[\s/>]",
    re.M,
)
JSX_LINE = re.compile(r"^\s*(?:</?[A-Z][\w.]*[^>]*>\s*|import\s.*|export\s.*|\{/\*.*\*/\})$")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, installed_test_package: Path) -> Path:
    root = tmp_path_factory.mktemp("real-world")
    shutil.copytree(CORPUS, root / "content", ignore=shutil.ignore_patterns("*.json"))
    for manifest in ("README.md", "SOURCES.md"):
        (root / "content" / manifest).unlink()
    (root / "glossaries").mkdir()
    packages = root / "packages"
    shutil.copytree(installed_test_package, packages)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setenv("ARGOS_PACKAGES_DIR", str(packages))
        result = CliRunner().invoke(main, ["build", "--json"], catch_exceptions=False)
    (root / "build.json").write_text(result.stdout, "utf-8")
    return root


def articles() -> list[str]:
    return sorted(entry["file"] for entry in SOURCES if not entry["file"].endswith(".png"))


def slug_of(site: Path, file: str) -> str:
    return read_article(site / "content" / Path(file)).slug


def test_the_corpus_builds_with_exit_0(site: Path) -> None:
    report = json.loads((site / "build.json").read_text("utf-8"))
    assert report["errors"] == [] and report["skipped"] == [], report["errors"]
    assert report["exit_code"] == 0
    assert report["articles"] == len(articles())


class _Structure(HTMLParser):
    """Counts what a reader sees of an HTML body; `column` picks one side of the
    bilingual page's rows."""

    def __init__(self, column: str = "") -> None:
        super().__init__(convert_charrefs=True)
        self.column = column
        self.counts: Counter[str] = Counter()
        self.depth = 0  # >0 inside the wanted column (or always, without a column)
        self.ids: set[str] = set()
        self.anchors: set[str] = set()
        self.text: list[str] = []
        self.code = 0
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = a.get("class", "").split()
        if self.column and tag == "div" and classes == [self.column]:
            self.depth = 1
        elif self.depth and tag not in ("br", "img", "hr", "input", "wbr"):
            self.depth += 1
        inside = self.depth > 0 or not self.column
        if tag not in ("br", "img", "hr", "input", "wbr"):
            self.stack.append(tag)
        if not inside:
            return
        if "id" in a:
            self.ids.add(a["id"])
        if tag in ("pre", "code"):
            self.code += 1
        if re.fullmatch(r"h[1-6]", tag):
            self.counts["heading"] += 1
        elif tag == "li" and "footnote-item" not in classes:
            self.counts["item"] += 1
        elif tag in ("td", "th"):
            self.counts["cell"] += 1
        elif tag == "pre":
            self.counts["code"] += 1
        elif tag == "img":
            self.counts["image"] += 1
        elif tag == "a":
            href = a.get("href", "")
            if href.startswith("#"):
                self.anchors.add(unquote(href[1:]))  # as browsers look the id up
            footnote = re.match(r"#(?:[a-z]{2}-)?fn", href)
            if not footnote and "footnote-backref" not in classes:
                self.counts["link"] += not _internal(href)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        if tag in ("pre", "code") and self.code:
            self.code -= 1
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if (self.depth > 0 or not self.column) and not self.code:
            self.text.append(data)


def _body(html: str) -> str:
    if '<div class="rows">' in html:
        return html[html.index('<div class="rows">') : html.rindex("</article>")]
    return html[html.index('<div class="body">') : html.rindex("</article>")]


def _read(html: str, column: str = "") -> _Structure:
    parsed = _Structure(column)
    parsed.feed(_body(html))
    parsed.close()
    return parsed


def _source_structure(path: Path) -> Counter[str]:
    """The source's structure as an independent CommonMark + GFM parser reads it. Hugo's
    and Jekyll's template tags in link targets are resolved first (`[x]({{< ref "y" >}})`,
    as Hugo reads it: otherwise a reference definition with one breaks every definition
    after it), MDX component and statement lines are taken out (marko reads them as HTML
    that swallows the next lines), and links are counted without bare-URL autolinks,
    which GFM implementations find differently."""
    body, _ = resolve_targets(frontmatter.split(path.read_text("utf-8")).body)
    if path.suffix == ".mdx":
        body = "\n".join("" if JSX_LINE.match(line) else line for line in body.split("\n"))
    counts: Counter[str] = Counter()

    def walk(element: object) -> None:
        name = type(element).__name__
        kind = {
            "Heading": "heading",
            "SetextHeading": "heading",
            "ListItem": "item",
            "TableCell": "cell",
            "FencedCode": "code",
            "CodeBlock": "code",
            "Image": "image",
            "Link": "link",
        }.get(name)
        if name == "Link":
            dest = str(getattr(element, "dest", ""))
            shown = "".join(str(getattr(c, "children", "")) for c in element.children)
            if _internal(dest) or shown == dest:
                kind = None  # a link to another article, or a URL shown as itself
        if kind:
            counts[kind] += 1
        if name in ("HTMLBlock", "InlineHTML"):
            raw = str(getattr(element, "body", "") or getattr(element, "children", ""))
            counts["image"] += len(re.findall(r"<img\b", raw, re.I))
            counts["link"] += len(re.findall(r"<a\s[^>]*href", raw, re.I))
            # Text in raw HTML is read as inline Markdown (so `markdown="1"` blocks work).
            counts["link"] += len(re.findall(r"\[[^\]\n]+\]\([^)\s]+\)", raw))
        children = getattr(element, "children", None)
        if isinstance(children, list):
            for child in children:
                walk(child)

    walk(gfm.parse(body))
    return counts


def _internal(href: str) -> bool:
    """A link to another article: Hugo's ref, a Markdown file, or its published page."""
    path = href.split("#", 1)[0]
    return href.startswith("tp-ref:") or bool(
        re.fullmatch(r"[^:]*\.(md|mdx|markdown)|\.\./[^/]+/index\.html", path)
    )


def _expected(site: Path, file: str) -> Counter[str]:
    """The source's structure, plus what the pipeline makes of other generators'
    constructs: a figure shortcode is an image, an embed a link, a `# Title` first line
    the page's title."""
    path = site / "content" / Path(file)
    counts = _source_structure(path)
    article = read_article(path)
    matter = frontmatter.split(path.read_text("utf-8"))
    body = parse_document(matter.body, matter.body_line, mdx=path.suffix == ".mdx")
    counts["heading"] -= len(body.blocks) - len(article.blocks)  # the title heading
    for finding in article.document.findings:
        if finding.action != "converted":
            continue
        name = re.sub(r"[{}<>%/ ]", "", finding.construct).lower().removesuffix("_simple")
        if name in ("figure", "img", "image"):
            counts["image"] += 1
        elif name in ("youtube", "vimeo", "gist", "x", "tweet", "instagram"):
            counts["link"] += 1
        elif name in ("highlight",):
            counts["code"] += 1
    return counts


def _without_autolinks(html: str) -> str:
    """Links whose text is their address (bare URLs and e-mail addresses, which GFM
    implementations autolink differently) do not count."""
    return re.sub(r'<a href="(?:mailto:)?([^"]*)"[^>]*>\1</a>', r"\1", html)


@pytest.mark.parametrize("file", articles())
def test_every_page_has_the_structure_of_its_source(site: Path, file: str) -> None:
    slug = slug_of(site, file)
    pages = {
        v: (site / "site" / v / slug / "index.html").read_text("utf-8")
        for v in ("de", "en", "de-en")
    }
    views = {
        "German page": _read(_without_autolinks(pages["de"])),
        "English page": _read(_without_autolinks(pages["en"])),
        "German column": _read(_without_autolinks(pages["de-en"]), "de"),
        "English column": _read(_without_autolinks(pages["de-en"]), "en"),
    }
    expected = _expected(site, file)
    for name, view in views.items():
        got = {k: view.counts[k] for k in KINDS}
        assert got == {k: expected[k] for k in KINDS}, (name, file)


@pytest.mark.parametrize("file", articles())
def test_no_page_shows_another_generators_syntax(site: Path, file: str) -> None:
    slug = slug_of(site, file)
    for version in ("de", "en", "de-en"):
        html = (site / "site" / version / slug / "index.html").read_text("utf-8")
        text = "".join(_read(html).text)
        found = FOREIGN.search(text)
        assert found is None, (version, file, text[max(0, found.start() - 60) : found.end() + 60])


@pytest.mark.parametrize("file", articles())
def test_every_in_page_link_has_its_target(site: Path, file: str) -> None:
    slug = slug_of(site, file)
    for version in ("de", "en", "de-en"):
        html = (site / "site" / version / slug / "index.html").read_text("utf-8")
        parsed = _Structure()
        parsed.feed(html)
        assert parsed.anchors <= parsed.ids, (version, file, parsed.anchors - parsed.ids)
