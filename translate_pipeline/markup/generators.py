"""Other generators' syntax inside Markdown: Hugo shortcodes, Jekyll's Liquid, kramdown
attribute lists, MDX statements and components, admonitions and `:::` containers.

Each construct is read where markdown-it reads blocks and inline text (so none is touched
inside code), and becomes what it means when that is clear and common:

* figures (`{{< figure >}}`, `{% include image.html %}`, `<Image>`) → a figure whose alt text
  and caption are translated;
* notices, alerts, admonitions, `:::` containers, `<Aside>` → a callout with translated
  content (and title), rendered by `document`;
* details/expand → `<details>` with a translated summary; tabs, steps, cards → their content;
* `{{< highlight >}}`, `{% highlight %}` → a code block; embeds (YouTube, Vimeo, gists,
  posts on X) → a link to the original;
* `ref`/`relref`/`{% link %}`/`{% post_url %}` in link targets → a link to the published
  article (`tp-ref:` targets, resolved when pages are made).

Everything else is kept out of the page and reported (`Finding`), with its content kept
where it has content (an unknown paired shortcode's Markdown). Parameters are never
translated; human-readable attributes (alt, caption, title, label) are.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_block import StateBlock
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

REF_SCHEME = "tp-ref:"


@dataclass(frozen=True)
class Finding:
    """A construct of another generator: what it was, and what became of it."""

    line: int  # 0-based line of the body
    construct: str  # as an editor would search for it: '{{< youtube >}}'
    action: str  # "converted" | "dropped" | "unwrapped" (wrapper dropped, content kept)

    def message(self) -> str:
        return {
            "converted": f"{self.construct} converted",
            "dropped": f"{self.construct} is not supported; left out of the page",
            "unwrapped": f"{self.construct} is not supported; its content is kept",
        }[self.action]


def findings(env: MutableMapping[str, Any]) -> list[Finding]:
    found: list[Finding] = env.setdefault("findings", [])
    return found


# --- parameters ------------------------------------------------------------------------------

_PARAM = re.compile(
    r"""(?:(?P<key>[\w.:-]+)\s*=\s*)?"""
    r"""(?:"(?P<dq>(?:[^"\\]|\\.)*)"|'(?P<sq>(?:[^'\\]|\\.)*)'|`(?P<bq>[^`]*)`"""
    r"""|\{(?P<expr>[^{}]*)\}|(?P<bare>[^\s"'`=]+))"""
)


def parameters(text: str) -> tuple[list[str], dict[str, str]]:
    """Positional and named parameters of a shortcode, Liquid tag or JSX element.
    A JSX `{expression}` value is kept as `{…}`: it cannot be evaluated here."""
    positional: list[str] = []
    named: dict[str, str] = {}
    for match in _PARAM.finditer(text):
        value = next(
            (match.group(g) for g in ("dq", "sq", "bq", "bare") if match.group(g) is not None),
            None,
        )
        if value is None:
            value = "{" + (match.group("expr") or "") + "}"
        else:
            value = re.sub(r"\\(.)", r"\1", value)
        if match.group("key"):
            named[match.group("key").lower()] = value
        else:
            positional.append(value)
    return positional, named


def _first(named: dict[str, str], *keys: str) -> str:
    return next((named[k] for k in keys if named.get(k) and not named[k].startswith("{")), "")


# --- what known constructs mean ---------------------------------------------------------------

_FIGURES = {"figure", "img", "image", "imgproc", "picture", "photo", "gallery-image"}
_CALLOUTS = {
    "notice", "alert", "admonition", "hint", "callout", "note", "tip", "tips", "warning",
    "info", "danger", "caution", "important", "message", "panel", "aside", "box", "attention",
    "error", "success", "example", "quote-box", "todo", "abstract", "question", "bug",
    "failure", "seealso", "hinweis", "achtung", "warnung",
}  # fmt: skip
_GENERIC_CALLOUTS = {"notice", "alert", "admonition", "callout", "aside", "hint", "box", "panel"}
_DETAILS = {"details", "expand", "collapse", "spoiler", "accordion", "summary-details"}
_CODE = {"highlight", "code", "codeblock"}
_TRANSPARENT = {
    "tabs", "tab", "tabitem", "tabpane", "columns", "column", "center", "section", "cards",
    "card", "cardgrid", "steps", "step", "grid", "row", "col", "group", "markdown", "raw",
    "block", "div", "span", "container", "wrapper", "blocks", "filetree", "codegroup",
    "code-group", "badge", "include", "tabbedcontent", "lead",
}  # fmt: skip
_COMMENTS = {"comment", "comments", "todo-comment"}
_LABELLED = {"tab", "tabitem", "card", "step", "tabpane"}
_EMBEDS = {
    "youtube": "https://www.youtube.com/watch?v={id}",
    "vimeo": "https://vimeo.com/{id}",
    "gist": "https://gist.github.com/{user}/{id}",
    "tweet": "https://x.com/{user}/status/{id}",
    "x": "https://x.com/{user}/status/{id}",
    "instagram": "https://www.instagram.com/p/{id}/",
    "mastodon": "{id}",
    "peertube": "{id}",
}
_EMBED_NAMES = {"youtube": "YouTube", "x": "X", "tweet": "X", "gist": "GitHub Gist"}
_CALLOUT_KINDS = {
    "hinweis": "note", "achtung": "warning", "warnung": "warning", "notice": "note",
    "alert": "warning", "callout": "note", "hint": "tip", "tips": "tip", "message": "note",
    "panel": "note", "aside": "note", "box": "note", "attention": "warning", "error": "danger",
    "failure": "danger", "bug": "danger", "success": "tip", "question": "note",
    "abstract": "note", "seealso": "note", "quote-box": "note", "todo": "note",
    "example": "note", "secondary": "note", "primary": "note", "prompt-info": "info",
    "prompt-tip": "tip", "prompt-warning": "warning", "prompt-danger": "danger",
}  # fmt: skip
CALLOUT_KINDS = ("note", "tip", "info", "important", "warning", "caution", "danger")


def callout_kind(name: str) -> str:
    """One of `CALLOUT_KINDS` for whatever a generator calls its notice."""
    name = name.strip().lower()
    kind = _CALLOUT_KINDS.get(name, name)
    return kind if kind in CALLOUT_KINDS else "note"


def _figure_tokens(state: StateBlock, line: int, end: int, named: dict[str, str]) -> bool:
    src = _first(named, "src", "url", "image", "file", "link", "path", "source")
    if not src:
        return False
    alt = _first(named, "alt", "description", "title", "caption")
    title = _first(named, "title")
    caption = _first(named, "caption", "description") or (title if title != alt else "")
    token = state.push("figure_open", "figure", 1)
    token.map = [line, end]
    title_part = f' "{_quote(title)}"' if title and title != caption else ""
    _inline(state, f"![{_escape_brackets(alt)}](<{src}>{title_part})", line, end)
    if caption:
        state.push("figcaption_open", "figcaption", 1)
        _inline(state, caption, line, end)
        state.push("figcaption_close", "figcaption", -1)
    state.push("figure_close", "figure", -1)
    return True


def _escape_brackets(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _quote(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _inline(state: StateBlock, content: str, line: int, end: int) -> None:
    token = state.push("inline", "", 0)
    token.content = content
    token.map = [line, end]
    token.children = []


def _embed_tokens(
    state: StateBlock, line: int, end: int, name: str, positional: list[str], named: dict[str, str]
) -> bool:
    pattern = _EMBEDS[name]
    values = {
        "id": _first(named, "id", "url", "src") or (positional[-1] if positional else ""),
        "user": _first(named, "user", "username") or (positional[0] if positional else ""),
    }
    if not values["id"]:
        return False
    url = pattern.format(**values)
    if not re.match(r"https?://", url):
        return False
    label = _first(named, "title") or f"{_EMBED_NAMES.get(name, name.capitalize())}: {url}"
    state.push("paragraph_open", "p", 1).map = [line, end]
    _inline(state, f"[{_escape_brackets(label)}](<{url}>)", line, end)
    state.push("paragraph_close", "p", -1)
    return True


def _code_tokens(state: StateBlock, line: int, end: int, language: str, code: str) -> None:
    token = state.push("fence", "code", 0)
    token.info = language
    token.content = code
    token.markup = "```"
    token.map = [line, end + 1]


def _callout_open(state: StateBlock, line: int, end: int, kind: str, title: str) -> None:
    token = state.push("callout_open", "aside", 1)
    token.map = [line, end]
    token.meta = {"kind": callout_kind(kind)}
    if title:
        state.push("callout_title_open", "p", 1)
        _inline(state, title, line, end)
        state.push("callout_title_close", "p", -1)


def _details_open(state: StateBlock, line: int, end: int, summary: str) -> None:
    token = state.push("details_open", "details", 1)
    token.map = [line, end]
    state.push("summary_open", "summary", 1)
    _inline(state, summary or "…", line, end)
    state.push("summary_close", "summary", -1)


def _label(state: StateBlock, line: int, end: int, label: str) -> None:
    state.push("paragraph_open", "p", 1).map = [line, end]
    _inline(state, f"**{label}**", line, end)
    state.push("paragraph_close", "p", -1)


def _body(state: StateBlock, start: int, end: int) -> None:
    """Tokenize lines [start, end) as Markdown inside the current construct."""
    old_parent, old_max = state.parentType, state.lineMax
    state.parentType = "container"
    state.lineMax = end
    state.md.block.tokenize(state, start, end)
    state.parentType, state.lineMax = old_parent, old_max


def _report(state: StateBlock, line: int, construct: str, action: str) -> None:
    findings(state.env).append(Finding(line, construct, action))


def _paired(
    state: StateBlock,
    start: int,
    end: int,
    kind: str,
    name: str,
    positional: list[str],
    named: dict[str, str],
    construct: str,
) -> None:
    """A construct with Markdown inside (lines start+1 … end-1, `end` holds its closing)."""
    lower = name.lower()
    if lower in _CALLOUTS or kind == "callout":
        # `{{% notice warning %}}`, `<Aside type="tip">`: generic names carry the kind.
        given = named.get("type") or named.get("variant") or (positional[0] if positional else "")
        generic = lower in _GENERIC_CALLOUTS
        title = _first(named, "title", "header", "heading")
        _callout_open(state, start, end + 1, given if generic and given else lower, title)
        _body(state, start + 1, end)
        state.push("callout_close", "aside", -1)
        _report(state, start, construct, "converted")
    elif lower in _DETAILS:
        summary = _first(named, "summary", "title", "label") or (
            positional[0] if positional else ""
        )
        _details_open(state, start, end + 1, summary)
        _body(state, start + 1, end)
        state.push("details_close", "details", -1)
        _report(state, start, construct, "converted")
    elif lower in _TRANSPARENT:
        label = _first(named, "label", "title", "name", "header") or (
            positional[0] if positional and lower in _LABELLED else ""
        )
        if label and lower in _LABELLED:
            _label(state, start, end + 1, label)
        _body(state, start + 1, end)
        _report(state, start, construct, "converted")
    else:
        _body(state, start + 1, end)
        _report(state, start, construct, "unwrapped")


def _single(
    state: StateBlock,
    start: int,
    end: int,
    name: str,
    positional: list[str],
    named: dict[str, str],
    construct: str,
) -> None:
    """A construct that stands alone (no closing tag) on lines start … end-1."""
    lower = name.lower().removesuffix("_simple")  # Blowfish's script-free embeds
    done = False
    if lower in _FIGURES or ("image" in lower and "src" in named):
        done = _figure_tokens(state, start, end, named)
    elif lower in _EMBEDS:
        done = _embed_tokens(state, start, end, lower, positional, named)
    if done:
        _report(state, start, construct, "converted")
        return
    token = state.push("generator_block", "", 0)
    token.map = [start, end]
    _report(state, start, construct, "dropped")


# --- Hugo shortcodes ---------------------------------------------------------------------------

_SHORTCODE_OPEN = re.compile(r"\{\{([<%])-?\s*(/?)([\w./-]+)")


def _line_text(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]]


def _tag_end(state: StateBlock, start: int, end_line: int, closing: str) -> tuple[int, str] | None:
    """The line where a tag opened on `start` closes with `closing`, and the tag's text."""
    text = ""
    for line in range(start, min(end_line, start + 50)):
        text += ("\n" if text else "") + _line_text(state, line)
        if closing in text:
            return line, text[: text.index(closing) + len(closing)]
    return None


_CLOSINGS = (
    ("shortcode", re.compile(r"\{\{[<%]-?\s*/([\w./-]+)\s*-?[>%]\}\}")),
    ("liquid", re.compile(r"\{%-?\s*end(\w+)\s*-?%\}")),
    ("jsx", re.compile(r"</([A-Z][\w.]*)\s*>")),
)


def _closing_line(state: StateBlock, start: int, end_line: int, kind: str, name: str) -> int:
    """The first line in [start, end_line) that closes `name` (`{{< /name >}}`, `{% endname
    %}`, `</Name>`), or -1. All closing lines of the document are indexed once, so a file of
    thousands of unclosed tags costs one pass, not one per tag."""
    index = state.env.get("_closings")
    if index is None or index[0] is not state.src:
        found: dict[tuple[str, str], list[int]] = {}
        for line in range(len(state.bMarks) - 1):
            text = state.src[state.bMarks[line] + state.tShift[line] : state.eMarks[line]].strip()
            if not text.startswith(("{", "<")):
                continue
            for closing_kind, pattern in _CLOSINGS:
                match = pattern.fullmatch(text)
                if match:
                    found.setdefault((closing_kind, match.group(1).lower()), []).append(line)
        index = state.env["_closings"] = (state.src, found)
    lines = index[1].get((kind, name.lower()), [])
    position = bisect_left(lines, start)
    return lines[position] if position < len(lines) and lines[position] < end_line else -1


def hugo_shortcode(state: StateBlock, start: int, end_line: int, silent: bool) -> bool:
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    head = _SHORTCODE_OPEN.match(_line_text(state, start))
    if head is None:
        return False
    delimiter, slash, name = head.groups()
    closing = ">}}" if delimiter == "<" else "%}}"
    found = _tag_end(state, start, end_line, closing)
    if found is None:
        return False
    last, tag = found
    if silent:
        return True
    params = tag[head.end() : -len(closing)].rstrip("-/ \n")
    construct = f"{{{{< {name} >}}}}" if delimiter == "<" else f"{{{{% {name} %}}}}"
    positional, named = parameters(params)
    if slash:  # a closing tag whose opening was not recognised
        state.push("generator_block", "", 0).map = [start, last + 1]
        state.line = last + 1
        return True
    self_closing = tag.rstrip(closing).rstrip().endswith("/")
    close = -1 if self_closing else _closing_line(state, last + 1, end_line, "shortcode", name)
    if name.lower() in _CODE and close >= 0:
        lines = [state.src[state.bMarks[n] : state.eMarks[n]] for n in range(last + 1, close)]
        _code_tokens(
            state, start, close, positional[0] if positional else "", "\n".join(lines) + "\n"
        )
        _report(state, start, construct, "converted")
        state.line = close + 1
        return True
    if close >= 0 and name.lower() in _COMMENTS:  # a comment: never shown
        state.push("generator_block", "", 0).map = [start, close + 1]
    elif close >= 0:
        _paired(state, last, close, "", name, positional, named, construct)
    else:
        _single(state, start, last + 1, name, positional, named, construct)
    state.line = (close if close >= 0 else last) + 1
    return True


# --- Liquid (Jekyll, GitHub Docs, HonKit) ------------------------------------------------------

_LIQUID = re.compile(r"\{%-?\s*(\w+)(.*?)-?%\}\s*$", re.S)
_LIQUID_CALLOUTS = {"note", "tip", "warning", "caution", "important", "danger", "info"}
_LIQUID_SILENT = {"comment"}
_LIQUID_UNWRAP = {"if", "unless", "for", "case", "raw", "ifversion", "capture", "tablerow"}


def liquid_tag(state: StateBlock, start: int, end_line: int, silent: bool) -> bool:
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    text = _line_text(state, start)
    if not text.startswith("{%"):
        return False
    found = _tag_end(state, start, end_line, "%}")
    if found is None:
        return False
    last, tag = found
    match = _LIQUID.match(tag)
    if match is None:
        return False
    rest = _line_text(state, last)
    if rest[rest.index("%}") + 2 :].strip():
        return False  # more text on the line: an inline tag of a paragraph
    if silent:
        return True
    name, params = match.group(1), match.group(2).strip()
    lower = name.lower()
    construct = f"{{% {name} %}}"
    positional, named = parameters(params)
    if lower in ("highlight", "codeblock", "code"):
        close = _closing_line(state, last + 1, end_line, "liquid", lower)
        if close >= 0:
            lines = [state.src[state.bMarks[n] : state.eMarks[n]] for n in range(last + 1, close)]
            language = positional[0] if positional else ""
            _code_tokens(state, start, close, language, "\n".join(lines) + "\n")
            _report(state, start, construct, "converted")
            state.line = close + 1
            return True
    if lower in _LIQUID_SILENT:
        close = _closing_line(state, last + 1, end_line, "liquid", lower)
        state.push("generator_block", "", 0).map = [start, max(close, last) + 1]
        state.line = max(close, last) + 1
        return True
    if lower.startswith("end") or lower in ("else", "elsif", "when", "endraw"):
        state.push("generator_block", "", 0).map = [start, last + 1]
        state.line = last + 1
        return True
    if lower == "include" and positional:
        include = positional[0].lower()
        if any(word in include for word in ("image", "figure", "img", "picture", "photo")):
            _single(state, start, last + 1, "figure", positional[1:], named, construct)
        else:
            _single(state, start, last + 1, lower, positional, named, construct)
        state.line = last + 1
        return True
    close = _closing_line(state, last + 1, end_line, "liquid", lower)
    if close >= 0:
        kind = "callout" if lower in _LIQUID_CALLOUTS else ""
        if lower in _LIQUID_UNWRAP:
            _body(state, last + 1, close)
            _report(state, start, construct, "unwrapped")
        else:
            _paired(state, last, close, kind, lower, positional, named, construct)
        state.line = close + 1
        return True
    _single(state, start, last + 1, lower, positional, named, construct)
    state.line = last + 1
    return True


# --- MDX and Astro components ------------------------------------------------------------------

_MDX_STATEMENT = re.compile(r"^(?:import\s|export\s)")
_JSX_OPEN = re.compile(r"<([A-Z][\w.]*)")
_JSX_COMMENT = re.compile(r"^\{/\*.*?\*/\}\s*$", re.S)


def mdx_statement(state: StateBlock, start: int, end_line: int, silent: bool) -> bool:
    """`import`/`export` lines and `{/* comments */}` of MDX: never shown, dropped quietly."""
    if not state.env.get("mdx") or state.sCount[start] - state.blkIndent >= 4:
        return False
    text = _line_text(state, start)
    if _MDX_STATEMENT.match(text):
        last = start
        while (
            last + 1 < end_line
            and not state.isEmpty(last + 1)
            and not text.rstrip().endswith((";", "'", '"'))
        ):
            last += 1
            text = _line_text(state, last)
    elif text.startswith("{/*"):
        found = _tag_end(state, start, end_line, "*/}")
        if found is None:
            return False
        last = found[0]
    else:
        return False
    if not silent:
        state.push("generator_block", "", 0).map = [start, last + 1]
        state.line = last + 1
    return True


def jsx_component(state: StateBlock, start: int, end_line: int, silent: bool) -> bool:
    """`<Aside type="tip">…</Aside>`, `<Image src=… />`: capitalised tags in MDX files."""
    if not state.env.get("mdx") or state.sCount[start] - state.blkIndent >= 4:
        return False
    head = _JSX_OPEN.match(_line_text(state, start))
    if head is None:
        return False
    found = _tag_end(state, start, end_line, ">")
    if found is None:
        return False
    last, tag = found
    if silent:
        return True
    name = head.group(1)
    construct = f"<{name}>"
    positional, named = parameters(tag[head.end() : -1].rstrip("/"))
    if tag.endswith("/>"):
        _single(state, start, last + 1, name, positional, named, construct)
        state.line = last + 1
        return True
    closing = re.compile(r"</" + re.escape(name) + r"\s*>")
    rest = _line_text(state, last)[len(tag.split("\n")[-1]) :].strip()
    same_line = closing.search(rest)
    if same_line and not rest[same_line.end() :].strip():
        inner = rest[: same_line.start()]  # <Badge>Neu</Badge> on one line
        state.push("paragraph_open", "p", 1).map = [start, last + 1]
        _inline(state, inner, start, last + 1)
        state.push("paragraph_close", "p", -1)
        _report(state, start, construct, "unwrapped")
        state.line = last + 1
        return True
    close = _closing_line(state, last + 1, end_line, "jsx", name)
    if close < 0:
        _single(state, start, last + 1, name, positional, named, construct)
        state.line = last + 1
        return True
    _paired(state, last, close, "", name, positional, named, construct)
    state.line = close + 1
    return True


# --- kramdown attribute lists -----------------------------------------------------------------

_BLOCK_IAL = re.compile(r"^\{:\s*(.*?)\s*\}\s*$")


def kramdown_ial(state: StateBlock, start: int, end_line: int, silent: bool) -> bool:
    """A line `{: .class #id key="v"}` applies to the block just before it."""
    if state.sCount[start] - state.blkIndent >= 4:
        return False
    match = _BLOCK_IAL.match(_line_text(state, start))
    if match is None:
        return False
    if silent:
        return True
    opener = _previous_opener(state.tokens)
    classes = re.findall(r"(?<![\w-])\.([\w-]+)", match.group(1))
    identifier = re.search(r"(?<![\w-])#([\w-]+)", match.group(1))
    construct = "{: " + match.group(1) + "}"
    prompt = next((c for c in classes if c.startswith("prompt-")), None)
    if opener is not None and opener.type == "blockquote_open" and prompt:
        closer = state.tokens[-1]
        opener.type, closer.type = "callout_open", "callout_close"
        opener.tag = closer.tag = "aside"
        opener.meta = {"kind": callout_kind(prompt)}
        _report(state, start, construct, "converted")
    elif opener is not None and (identifier or classes):
        if identifier:
            opener.attrSet("id", identifier.group(1))
        if classes:
            opener.attrJoin("class", " ".join(classes))
        _report(state, start, construct, "converted")
    else:
        _report(state, start, construct, "dropped")
    state.push("generator_block", "", 0).map = [start, start + 1]
    state.line = start + 1
    return True


def _previous_opener(tokens: list[Token]) -> Token | None:
    """The opening token of the last complete block in `tokens`."""
    if not tokens:
        return None
    depth = 0
    for token in reversed(tokens):
        depth += token.nesting
        if depth == 0 and token.nesting >= 0 and token.type != "inline":
            return token
    return None


# --- inline: template tags in running text -----------------------------------------------------

_INLINE_TEMPLATE = re.compile(r"\{\{[<%].*?[>%]\}\}|\{%.*?%\}|\{\{.*?\}\}|\{:[^{}\n]*\}", re.S)


def template_inline(state: StateInline, silent: bool) -> bool:
    """`{{< param x >}}`, `{{ page.title }}`, `{% data x %}`, `{:target="_blank"}` inside a
    paragraph: not text a reader should see."""
    if state.src[state.pos] != "{" or state.src[state.pos + 1 : state.pos + 2] not in (
        "{",
        "%",
        ":",
    ):
        return False
    match = _INLINE_TEMPLATE.match(state.src, state.pos)
    if match is None:
        return False
    if not silent:
        token = state.push("generator_inline", "", 0)
        token.content = match.group(0)
        token.meta = {"construct": _construct(match.group(0)), "action": _inline_action(match)}
    state.pos = match.end()
    return True


def _inline_action(match: re.Match[str]) -> str:
    """How an inline tag is reported: `{% raw %}` only escapes (not reported), a closing
    tag with its opening, a paired tag keeps the words between, anything else is left out."""
    tag = match.group(0)
    name = re.match(r"\{[{%][<%]?-?\s*(/?[\w-]+)", tag)
    word = name.group(1).lower() if name else ""
    if word in ("raw", "endraw") or word.startswith(("end", "/")) or tag.startswith("{:"):
        return ""
    closing = "{% end" + word if tag.startswith("{%") else "/" + word
    return "unwrapped" if closing in match.string[match.end() :] else "dropped"


def _construct(tag: str) -> str:
    """'{{< param "x" >}}' → '{{< param >}}': how an editor would search for it."""
    if tag.startswith("{:"):
        return "{: …}"
    name = re.match(r"\{\{?[<%]?-?\s*(/?[\w.-]+)", tag)
    word = name.group(1) if name else "…"
    if tag.startswith("{{<"):
        return f"{{{{< {word} >}}}}"
    if tag.startswith("{{%"):
        return f"{{{{% {word} %}}}}"
    if tag.startswith("{%"):
        return f"{{% {word} %}}"
    return f"{{{{ {word} }}}}"


# --- link targets ---------------------------------------------------------------------------

_TARGET_TEMPLATE = re.compile(
    r"""\{\{[<%]-?\s*(?:rel)?ref\s+["']?(?P<ref>[^"'\s>%}]+)["']?\s*-?[>%]\}\}"""
    r"""|\{%-?\s*(?:link|post_url)\s+(?P<link>[^\s%]+)\s*-?%\}"""
    r"""|\{\{-?\s*["'](?P<path>[^"']*)["']\s*\|\s*(?:relative_url|absolute_url)\s*-?\}\}"""
    r"""|\{\{-?\s*site\.(?:baseurl|url)\s*-?\}\}"""
    r"""|(?P<other>\{\{.*?\}\}|\{%.*?%\})"""
)
_DESTINATION = re.compile(
    r"(\]\(\s*<?|^\s{0,3}\[[^\]]+\]:\s*<?)([^)\s>]*\{[{%][^\n]*?[}%]\}[^)\s>]*)", re.M
)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def resolve_targets(text: str) -> tuple[str, list[Finding]]:
    """Template tags inside link and image targets, outside code fences, become plain targets
    (`ref`/`relref`/`link`/`post_url` → `tp-ref:<path>`); others are removed and reported.
    Lines are kept, so every block keeps its line number."""
    found: list[Finding] = []
    lines = text.split("\n")
    fence = ""
    for number, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = ""
            continue
        if opening:
            fence = opening.group(1)
            continue
        if "{" in line and ("](" in line or "]:" in line):

            def target(match: re.Match[str], line_number: int = number) -> str:
                return match.group(1) + _target(match.group(2), line_number, found)

            line = lines[number] = _DESTINATION.sub(target, line)
        if "{{" in line and line.lstrip()[:2] != "{{":

            def readable(match: re.Match[str], line_number: int = number) -> str:
                return _readable(match, line_number, found)

            lines[number] = _READABLE.sub(readable, line)
    return "\n".join(lines), found


def _target(target: str, line: int, found: list[Finding]) -> str:
    def replace(match: re.Match[str]) -> str:
        if match.group("ref") or match.group("link"):
            return REF_SCHEME + (match.group("ref") or match.group("link"))
        if match.group("path") is not None:
            return match.group("path")
        if match.group("other"):
            found.append(Finding(line, _construct(match.group("other")), "dropped"))
        return ""

    return _TARGET_TEMPLATE.sub(replace, target)


# --- rendering what the rules above (and `document`) make ----------------------------------------


def _render_callout_open(
    self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]
) -> str:
    kind = tokens[idx].meta.get("kind", "note")
    html = f'<aside class="callout callout-{kind}">\n'
    if idx + 1 < len(tokens) and tokens[idx + 1].type == "callout_title_open":
        return html
    label = env.get("labels", {}).get(f"callout_{kind}") or kind.capitalize()
    return html + f'<p class="callout-title">{escapeHtml(label)}</p>\n'


def _tag(html: str) -> Any:
    def render(self: Any, tokens: list[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
        return html

    return render


_RENDERED = {
    "callout_open": _render_callout_open,
    "callout_close": _tag("</aside>\n"),
    "callout_title_open": _tag('<p class="callout-title">'),
    "callout_title_close": _tag("</p>\n"),
    "details_open": _tag("<details>\n"),
    "details_close": _tag("</details>\n"),
    "summary_open": _tag("<summary>"),
    "summary_close": _tag("</summary>\n"),
    "figure_open": _tag("<figure>\n"),
    "figure_close": _tag("</figure>\n"),
    "figcaption_open": _tag("<figcaption>"),
    "figcaption_close": _tag("</figcaption>\n"),
    "generator_block": _tag(""),
    "generator_inline": _tag(""),
}


# A shortcode in running text whose parameters hold words a reader sees.
_READABLE = re.compile(r"\{\{[<%]-?\s*([\w-]+)\s+([^{}]*?)\s*-?/?[>%]\}\}")
_TEXT_KEYS = ("text", "title", "label", "caption", "name")
_LINK_KEYS = ("href", "url", "link")
_PAGE_KEYS = ("slug", "ref", "page", "path")


def _readable(match: re.Match[str], line: int, found: list[Finding]) -> str:
    """`{{< link slug="x" text="Auskunftsrecht" >}}` → `[Auskunftsrecht](tp-ref:x)`: the
    words stay in the sentence (and are translated with it)."""
    name = match.group(1)
    if name in ("ref", "relref"):
        return match.group(0)  # only meaningful as a link target
    positional, named = parameters(match.group(2))
    text = _first(named, *_TEXT_KEYS)
    if not text:
        return match.group(0)  # dropped (and reported) by the inline rule
    found.append(Finding(line, f"{{{{< {name} >}}}}", "converted"))
    url = _first(named, *_LINK_KEYS)
    page = _first(named, *_PAGE_KEYS)
    label = _escape_brackets(text)
    if url:
        return f"[{label}](<{url}>)"
    if page:
        return f"[{label}]({REF_SCHEME}{page})"
    return label


def generators_plugin(md: MarkdownIt) -> None:
    md.block.ruler.before(
        "fence", "hugo_shortcode", hugo_shortcode, {"alt": ["paragraph", "blockquote", "list"]}
    )
    md.block.ruler.before(
        "fence", "liquid_tag", liquid_tag, {"alt": ["paragraph", "blockquote", "list"]}
    )
    md.block.ruler.before("html_block", "jsx_component", jsx_component, {"alt": ["paragraph"]})
    md.block.ruler.before("fence", "mdx_statement", mdx_statement, {"alt": ["paragraph"]})
    md.block.ruler.before(
        "paragraph", "kramdown_ial", kramdown_ial, {"alt": ["paragraph", "blockquote", "list"]}
    )
    md.inline.ruler.after("backticks", "template_inline", template_inline)
    for name, render in _RENDERED.items():
        md.add_render_rule(name, render)
