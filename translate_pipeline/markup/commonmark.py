"""The pipeline's one Markdown parser: markdown-it-py, CommonMark with GitHub's extensions.

Why markdown-it-py: the Markdown people bring is written for Hugo (goldmark), Astro and
VitePress (remark, markdown-it), Docusaurus (MDX) and GitHub: all CommonMark with GFM
tables, task lists, strikethrough, autolinks, footnotes and alerts. markdown-it-py
implements CommonMark exactly (lists continued with two or three spaces, tables without
outer pipes, fences with info strings), gives every block its source lines (so problems are
reported as `file:line`), and keeps block structure and inline content apart, so a
translated page is the source's token stream with only the inline content replaced. Its
plugins read MkDocs admonitions (`!!! note`) and `:::` containers (VitePress, Docusaurus).
Python-Markdown, used before, follows the 2004 Markdown rules (four-space nesting, no
tables without pipes), which broke the structure of real articles.

`parser()` is shared by block parsing, inline protection and the self-check, so the three
can never read the same text differently.
"""

from __future__ import annotations

import functools
import re

from markdown_it import MarkdownIt
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.gfm import gfm_plugin

from translate_pipeline.markup.generators import generators_plugin
from translate_pipeline.markup.inline_rules import inline_rules_plugin

CONTAINER = "container_callout"  # token type prefix of `:::` containers: `_open`, `_close`
_CONTAINER_NAME = re.compile(r"^\s*\{?\s*[\w-]+")


def _any_container(params: str, *args: object) -> bool:
    """`::: tip`, `:::note[Title]`, `::: details Summary`, `:::{warning}`: any name."""
    return bool(_CONTAINER_NAME.match(params))


@functools.cache
def parser() -> MarkdownIt:
    """The configured parser. Raw HTML is parsed (and sanitized when pages are made)."""
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
    md.use(gfm_plugin)
    md.use(admon_plugin)
    md.use(container_plugin, name="callout", validate=_any_container)
    md.use(deflist_plugin)
    md.use(generators_plugin)
    # Keep last: records how inline constructs were written (token.meta) and replaces the
    # GFM autolink rules by linear-time ports; it wraps the inline rules registered so far.
    md.use(inline_rules_plugin)
    return md
