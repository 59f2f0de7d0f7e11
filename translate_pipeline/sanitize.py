"""What HTML from articles may reach a page, and what of it a reader reads."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

from translate_pipeline.markup.patterns import EMAIL, URL, VOID_TAGS

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "*": {"lang"},
    "a": {"href", "title", "class"},
    "abbr": {"title"},
    "code": {"class"},
    "div": {"class"},
    "img": {"src", "alt", "title", "width", "height"},
    "ol": {"start"},
    "li": {"id"},
    "sup": {"id"},
    "td": {"align"},
    "th": {"align"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}
_URL_SCHEMES = {"http", "https", "mailto"}
_ALLOWED_CLASS_RE = re.compile(r"footnote|footnote-ref|footnote-backref|language-[\w+-]+")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Only the classes Markdown itself emits: footnotes and fenced-code languages."""
    if attribute != "class":
        return value
    kept = [c for c in value.split() if _ALLOWED_CLASS_RE.fullmatch(c)]
    return " ".join(kept) or None


def clean(fragment: str) -> str:
    return nh3.clean(
        fragment,
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes=_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


class _TextCollector(HTMLParser):
    _SKIP = {"code", "pre", "script", "style"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[bool] = []  # per open element: does it hide its text?

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        hide = tag in self._SKIP or "footnote-ref" in classes or "footnote-backref" in classes
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
