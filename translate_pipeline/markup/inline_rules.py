"""Inline rule adjustments of the shared parser (`commonmark.parser()` applies them last).

Neither changes what any text parses to or how it renders; both hold for block parsing,
inline protection and the self-check alike:

* **Source forms.** markdown-it resolves references and unescapes destinations at parse time
  and forgets how a construct was written. Every inline rule is wrapped so that the first
  token it makes (`link_open`, `image`, `code_inline`, `footnote_ref`, autolinks, plugin
  tokens ...) carries its source text in ``token.meta["source"]``; `link_open` and `image`
  also get ``meta["form"]`` (``"inline"``, ``"full"``, ``"collapsed"``, ``"shortcut"``),
  ``meta["label"]`` (the bracketed text as written), ``meta["ref"]`` (the reference label
  used, whitespace collapsed) and ``meta["suffix"]`` (what follows the brackets as written:
  ``(dest "title")``, ``[ref]``, ``[]`` or nothing).
* **Linear GFM autolinks.** mdit-py-plugins' `gfm_autolink` rules search all pending text
  with a regular expression at every ``:`` and copy the rest of the line at every ``:``,
  ``@`` and ``www.``, so a line such as ``a:a:a:…`` takes quadratic time (20,000 characters:
  seven seconds). The rules are replaced by ports that give the same links and scan each
  stretch of text a bounded number of times.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline

SOURCE = "source"  # token.meta key: the construct as written
_LAST_LABEL = re.compile(r"\[((?:[^\[\]\\]|\\.)*)\]\Z")

InlineRule = Callable[[StateInline, bool], bool]

# Rules whose tokens need no source: plain text, breaks, escapes and entities (text_join
# merges the last two into text anyway).
_UNWRAPPED = frozenset({"text", "linkify", "newline", "escape", "entity"})


def inline_rules_plugin(md: MarkdownIt) -> None:
    """Apply both adjustments; must run after every plugin that adds inline rules."""
    ruler = md.inline.ruler
    names = set(ruler.get_all_rules())
    for name, rule in (
        ("gfm_autolink_www", www_rule),
        ("gfm_autolink_protocol", protocol_rule),
        ("gfm_autolink_email", email_rule),
    ):
        if name in names:
            ruler.at(name, rule)
    for entry in list(ruler.__rules__):
        if entry.name in _UNWRAPPED:
            continue
        if entry.name in ("link", "image"):
            wrapped = _recording_link(entry.fn, image=entry.name == "image")
        else:
            wrapped = _recording(entry.fn)
        ruler.at(entry.name, wrapped, {"alt": list(entry.alt)})


def _first_made(state: StateInline, count: int) -> int | None:
    """Index of the first token a rule made (skipping the text it flushed)."""
    for index in range(count, len(state.tokens)):
        if state.tokens[index].type != "text":
            return index
    return None


def _recording(rule: InlineRule) -> InlineRule:
    def recorded(state: StateInline, silent: bool) -> bool:
        if silent:
            return rule(state, silent)
        start, count = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        index = _first_made(state, count)
        if index is not None:
            state.tokens[index].meta.setdefault(SOURCE, state.src[start : state.pos])
        return True

    return recorded


def _recording_link(rule: InlineRule, image: bool) -> InlineRule:
    def recorded(state: StateInline, silent: bool) -> bool:
        if silent:
            return rule(state, silent)
        start, count = state.pos, len(state.tokens)
        if not rule(state, silent):
            return False
        end = state.pos
        index = _first_made(state, count)
        if index is None:
            return True
        opening = start + 1 if image else start
        # The rule has just found this label; the parse cache makes finding it again cheap.
        state.pos = start
        label_end = state.md.helpers.parseLinkLabel(state, opening, not image)
        state.pos = end
        label = state.src[opening + 1 : label_end]
        suffix = state.src[label_end + 1 : end]
        ref = label
        # (When `(…)` does not parse as a destination, markdown-it falls back to a reference
        # label further on: `[a](x[b]` is `[a][b]`. Such a suffix ends in "]", never in ")".)
        if not suffix:
            form = "shortcut"
        elif suffix.endswith(")"):
            form = "inline"
        elif suffix.endswith("[]"):
            form = "collapsed"
        else:
            form = "full"
            found = _LAST_LABEL.search(suffix)
            ref = found.group(1) if found else suffix[1:-1]
        state.tokens[index].meta.update(
            {
                SOURCE: state.src[start:end],
                "form": form,
                "label": label,
                "ref": " ".join(ref.split()),
                "suffix": suffix,
            }
        )
        return True

    return recorded


# --- GFM autolinks, in linear time ----------------------------------------------------------
#
# Same behaviour as mdit_py_plugins.gfm_autolink (a port of the Rust `gfm_autolinks` crate),
# working on positions in `state.src` instead of copies of the rest of the line, with the
# scans that can repeat (domain segments, runs up to the next space, the next "<") cached per
# parse so that each stretch of text is scanned once.

_VALID_PREV = frozenset(" \t\r\n*_~(")
_RUN_END = re.compile(r"[ \t\r\n\x00\x0b\x0c]")  # the plugin's `_isspace`
_LINK_END_TRIM = frozenset("?!.,:*_~'\"[]")
_EMAIL_CHARS = frozenset(".+-_")
_PROTOCOLS = ("https", "http", "mailto", "xmpp")  # "https" before "http"


def _hostchar(ch: str) -> bool:
    return not ch.isspace() and not unicodedata.category(ch).startswith("P")


def _ascii_alnum(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass
class _Segment:
    """A maximal stretch of domain characters: [start, end), with its dots and underscores."""

    start: int
    end: int
    dots: list[int] = field(default_factory=list)
    underscores: list[int] = field(default_factory=lambda: [0])  # prefix counts

    def count(self, a: int, b: int) -> int:
        return self.underscores[b - self.start] - self.underscores[a - self.start]


@dataclass
class _Scans:
    src: str
    limit: int
    segment: _Segment | None = None
    run: tuple[int, int] = (-1, -1)
    less_than: tuple[int, int] = (-1, -1)

    def segment_at(self, pos: int) -> _Segment:
        seg = self.segment
        if seg is not None and seg.start <= pos < seg.end:
            return seg
        seg = _Segment(pos, pos)
        src, i = self.src, pos
        underscores = seg.underscores
        while i < self.limit:
            ch = src[i]
            if ch == "_":
                underscores.append(underscores[-1] + 1)
            elif ch == "." or ch == "-" or _hostchar(ch):
                if ch == ".":
                    seg.dots.append(i)
                underscores.append(underscores[-1])
            else:
                break
            i += 1
        seg.end = i
        self.segment = seg
        return seg

    def domain(self, pos: int, allow_short: bool) -> int | None:
        """The plugin's `_check_domain(src[pos:limit], allow_short)`."""
        if pos >= self.limit:
            return None
        seg = self.segment_at(pos)
        end = seg.end
        first = bisect.bisect_left(seg.dots, pos)
        dots = len(seg.dots) - first
        if dots == 0:
            before, last = 0, seg.count(pos, end)
        elif dots == 1:
            dot = seg.dots[-1]
            before, last = seg.count(pos, dot), seg.count(dot + 1, end)
        else:
            before = seg.count(seg.dots[-2] + 1, seg.dots[-1])
            last = seg.count(seg.dots[-1] + 1, end)
        if end < self.limit:  # stopped at a character that cannot be in a domain
            if before == 0 and last == 0 and (allow_short or dots > 0):
                return end - pos
            return None
        if (before > 0 or last > 0) and dots <= 10:
            return None
        return end - pos if (allow_short or dots > 0) else None

    def run_end(self, pos: int) -> int:
        start, end = self.run
        if start <= pos <= end:
            return end
        m = _RUN_END.search(self.src, pos, self.limit)
        end = m.start() if m else self.limit
        self.run = (pos, end)
        return end

    def first_less_than(self, pos: int, end: int) -> int:
        start, found = self.less_than
        if not (start <= pos <= found):
            found = self.src.find("<", pos, self.limit)
            found = self.limit if found < 0 else found
            self.less_than = (pos, found)
        return min(found, end)

    def trim(self, start: int, end: int) -> int:
        """The plugin's `_autolink_delim` on src[start:end]."""
        src = self.src
        end = self.first_less_than(start, end)
        opened = closed = -1
        while end > start:
            ch = src[end - 1]
            if ch in _LINK_END_TRIM:
                end -= 1
            elif ch == ";":
                back = end - 2
                while back > start and src[back].isalpha():
                    back -= 1
                end = back if back < end - 2 and src[back] == "&" else end - 1
            elif ch == ")":
                if opened < 0:
                    opened, closed = src.count("(", start, end), src.count(")", start, end)
                if closed <= opened:
                    break
                end -= 1
                closed -= 1
            else:
                break
        return end


def _scans(state: StateInline) -> _Scans:
    scans = getattr(state, "_tp_autolink_scans", None)
    if not isinstance(scans, _Scans) or scans.src is not state.src or scans.limit != state.posMax:
        scans = _Scans(state.src, state.posMax)
        state._tp_autolink_scans = scans  # type: ignore[attr-defined]
    return scans


def _push_autolink(state: StateInline, url: str, label: str, back: int, length: int) -> bool:
    """`back` characters of the link are already in `state.pending`; `length` is the whole."""
    full_url = state.md.normalizeLink(url)
    if not state.md.validateLink(full_url):
        return False
    if back:
        state.pending = state.pending[:-back]
    token = state.push("link_open", "a", 1)
    token.attrs = {"href": full_url}
    token.markup = "autolink"
    token.info = "auto"
    token.meta[SOURCE] = label
    token = state.push("text", "", 0)
    token.content = state.md.normalizeLinkText(label)
    token = state.push("link_close", "a", -1)
    token.markup = "autolink"
    token.info = "auto"
    state.pos += length - back
    return True


def _preceding_ok(state: StateInline, back: int) -> bool:
    at = state.pos - back
    return at <= 0 or state.src[at - 1] in _VALID_PREV


def _domain_link(state: StateInline, start: int, domain_at: int, scheme: str, back: int) -> bool:
    """A link from ``start`` through the domain at ``domain_at`` and the path after it;
    ``back``: how much of it is already in pending text. A scheme given (``scheme`` '')
    makes a one-label domain (``http://localhost``) acceptable."""
    scans = _scans(state)
    domain = scans.domain(domain_at, allow_short=not scheme)
    if domain is None:
        return False
    end = scans.trim(start, scans.run_end(domain_at + domain))
    label = state.src[start:end]
    return _push_autolink(state, scheme + label, label, back, end - start)


def www_rule(state: StateInline, silent: bool) -> bool:
    """``www.example.org`` (trigger: ``w``)."""
    if silent or state.linkLevel > 0:
        return False
    pos, src = state.pos, state.src
    if pos + 4 > state.posMax or not src.startswith("www.", pos):
        return False
    if state.pending:
        if state.pending[-1] not in _VALID_PREV:
            return False
    elif pos > 0 and src[pos - 1] not in _VALID_PREV:
        return False
    return _domain_link(state, pos, pos + 4, "http://", 0)


def protocol_rule(state: StateInline, silent: bool) -> bool:
    """``https://…``, ``mailto:…``, ``xmpp:…`` (trigger: ``:``, protocol in pending text)."""
    if silent or state.linkLevel > 0:
        return False
    pos, src = state.pos, state.src
    if state.posMax - pos < 4 or src[pos] != ":":
        return False
    proto = next((p for p in _PROTOCOLS if state.pending.endswith(p)), None)
    if proto is None or not _preceding_ok(state, len(proto)):
        return False
    start = pos - len(proto)
    if proto in ("mailto", "xmpp"):
        end = _email_end(src, pos + 1, state.posMax, proto)
        if end is None:
            return False
        url = src[start:end]
        return _push_autolink(state, url, url, len(proto), end - start)
    if not src.startswith("://", pos):
        return False
    return _domain_link(state, start, pos + 3, "", len(proto))


def _email_end(src: str, pos: int, limit: int, protocol: str | None) -> int | None:
    """The plugin's `match_any_email`: end of the address whose local part starts at `pos`."""
    start = pos
    while pos < limit:
        ch = src[pos]
        if _ascii_alnum(ch) or ch in _EMAIL_CHARS:
            pos += 1
        elif ch == "@":
            break
        else:
            return None
    if pos == start or pos >= limit:
        return None
    end, dots, slashes = pos + 1, 0, 0
    while end < limit:
        ch = src[end]
        if _ascii_alnum(ch):
            pass
        elif ch == "@":
            if protocol != "xmpp":
                return None
        elif ch == "." and end < limit - 1 and _ascii_alnum(src[end + 1]):
            dots += 1
        elif ch == "/" and protocol == "xmpp" and slashes == 0:
            slashes += 1
        elif ch != "-" and ch != "_":
            break
        end += 1
    if dots == 0:
        return None
    last = src[end - 1]
    if not (last.isascii() and last.isalpha()) and last != ".":
        return None
    return end


def email_rule(state: StateInline, silent: bool) -> bool:
    """``name@example.org`` (trigger: ``@``, local part in pending text)."""
    if silent or state.linkLevel > 0:
        return False
    pos, src, limit = state.pos, state.src, state.posMax
    if pos >= limit or src[pos] != "@" or pos + 1 >= limit:
        return False
    back = 0
    for ch in reversed(state.pending):
        if not (_ascii_alnum(ch) or ch in _EMAIL_CHARS):
            break
        back += 1
    if back == 0 or not _preceding_ok(state, back):
        return False
    end, dots = pos + 1, 0
    while end < limit:
        ch = src[end]
        if _ascii_alnum(ch):
            pass
        elif ch == "@":
            return False
        elif ch == "." and end + 1 < limit and _ascii_alnum(src[end + 1]):
            dots += 1
        elif ch != "-" and ch != "_":
            break
        end += 1
    if end == pos + 1 or dots == 0:
        return False
    last = src[end - 1]
    if not _ascii_alnum(last) and last != ".":
        return False
    label = state.pending[len(state.pending) - back :] + src[pos:end]
    return _push_autolink(state, "mailto:" + label, label, back, len(label))
