"""What HTML from articles may reach a page, and what of it a reader reads."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

from translate_pipeline.markup.patterns import EMAIL, URL, VOID_TAGS

_TAGS = {
    "a", "abbr", "aside", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code",
    "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption",
    "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd", "li",
    "mark", "ol", "p", "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time",
    "tr", "u", "ul", "var", "wbr",
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"lang", "id", "class", "title", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "input": {"type", "checked", "disabled"},
    "ol": {"start", "reversed", "type"},
    "td": {"align", "style", "colspan", "rowspan"},
    "th": {"align", "style", "colspan", "rowspan", "scope"},
    "details": {"open"},
    "time": {"datetime"},
    "abbr": {"title"},
}
_URL_SCHEMES = {"http", "https", "mailto"}
# The classes the Markdown rendering itself emits (footnotes, code languages, task lists,
# callouts); an article's own classes would not be styled, and could imitate ours.
_ALLOWED_CLASS = re.compile(
    r"footnotes?(-ref|-backref|-list|-item|-sep)?|language-[\w+-]+|task-list-item(-checkbox)?"
    r"|contains-task-list|callout(-[\w-]+)?"
)
_ALIGN = re.compile(r"\s*text-align\s*:\s*(left|right|center)\s*;?\s*")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [c for c in value.split() if _ALLOWED_CLASS.fullmatch(c)]
        return " ".join(kept) or None
    if attribute == "style":  # table alignment only
        return value if _ALIGN.fullmatch(value) else None
    if attribute == "type" and tag == "input":
        return value if value == "checkbox" else None
    return value


_NOSCRIPT = re.compile(r"</?noscript\b[^>]*>", re.I)
_IFRAME = re.compile(r"<iframe\b([^>]*)>.*?</iframe\s*>|<iframe\b([^>]*)/?>", re.I | re.S)
_ATTR = re.compile(r"""([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def _embed_link(match: re.Match[str]) -> str:
    """An embed (video, map, post) becomes a link to it: pages load nothing from elsewhere."""
    attrs = {
        m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
        for m in _ATTR.finditer(match.group(1) or match.group(2) or "")
    }
    src = attrs.get("src", "")
    if not re.match(r"https?://", src):
        return ""
    label = attrs.get("title") or re.sub(r"^https?://(www\.)?([^/]+).*", r"\2", src)
    return f'<a href="{src}">{label}</a>'


def _prepare(fragment: str) -> str:
    """`<noscript>` content is what readers without scripts see (ours run none): keep it as
    HTML; embeds become links."""
    return _IFRAME.sub(_embed_link, _NOSCRIPT.sub("", fragment))


def clean(fragment: str) -> str:
    """The fragment with only safe elements, attributes and link schemes left."""
    return nh3.clean(
        _prepare(fragment),
        tags=_TAGS,
        clean_content_tags={"script", "style", "template", "textarea", "title"},
        attributes=_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


class _Inventory(HTMLParser):
    """Elements and attributes of a fragment, to tell what the sanitizer removed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found[f"<{tag}>"] = self.found.get(f"<{tag}>", 0) + 1
        for name, _ in attrs:
            # rel is ours; markdown="1" (kramdown, PHP Markdown Extra) only asks for
            # Markdown inside, which CommonMark reads where blank lines let it.
            if name not in ("rel", "markdown"):
                key = f"attribute {name}= of <{tag}>"
                self.found[key] = self.found.get(key, 0) + 1


def _inventory(html: str) -> dict[str, int]:
    parser = _Inventory()
    parser.feed(html)
    parser.close()
    return parser.found


def clean_reporting(fragment: str) -> tuple[str, list[str]]:
    """`clean`, plus what it removed (`<iframe>`, `attribute onclick= of <a>`), so an editor
    learns what the source holds that readers will not see."""
    prepared = _prepare(fragment)
    cleaned = clean(prepared)
    if cleaned == prepared:
        return cleaned, []
    before, after = _inventory(prepared), _inventory(cleaned)
    gone = [what for what, count in before.items() if after.get(what, 0) < count]
    return cleaned, [g for g in gone if not g.startswith("attribute class=")]


class _TextCollector(HTMLParser):
    _SKIP = {"code", "pre", "script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: does it hide its text?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        hide = (
            tag in self._SKIP
            or "footnote-ref" in classes
            or "footnote-backref" in classes
            or "callout-title" in classes
        )
        if tag not in VOID_TAGS:
            self.stack.append(hide)
        self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.stack and tag not in VOID_TAGS:
            self.stack.pop()
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not any(self.stack):
            self.parts.append(data)


def prose(html: str) -> str:
    """Prose only (no code, URLs or e-mail addresses), so reading times are not skewed by
    material that is not text."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    text = EMAIL.sub(" ", URL.sub(" ", "".join(collector.parts)))
    return re.sub(r" (?=[.,;:!?])", "", " ".join(text.split()))
