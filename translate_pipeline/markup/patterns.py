"""Patterns of Markdown and plain text that are never prose: one home for every stage
(protection, detection, glossary matching, sentence splitting, reading time)."""

from __future__ import annotations

import re

URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>]+", re.IGNORECASE)
# (Starting only where a run of address characters starts: the same matches, in linear time.)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
AUTOLINK = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*>")  # <https://…>, CommonMark's
EMAIL_AUTOLINK = re.compile(r"<[^\s@<>]+@[^\s@<>]+>")
HTML_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
# A code span closes at the next backtick run of the same length.
CODE_SPAN = re.compile(r"(?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`)", re.S)
FENCED_CODE = re.compile(
    r"^[ ]{0,3}(?P<fence>`{3,}|~{3,})[^\n]*\n.*?(?:^[ ]{0,3}(?P=fence)[ \t]*$|\Z)", re.M | re.S
)
# `[text](destination "title")`, the text in group 1.
INLINE_LINK = re.compile(r"!?\[([^\[\]]*)\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*(?:\s+\"[^\"]*\")?\)")
LINK_DESTINATION = re.compile(
    r"\]\(\s*(?:<[^<>\n]*>|(?:[^()\s]|\([^()\s]*\))*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?\s*\)"
)
REFERENCE_LABEL = re.compile(r"\]\[[^\]\n]*\]")
REFERENCE_DEFINITION = re.compile(r"^[ ]{0,3}\[[^\]\n]+\]:[^\n]*", re.M)


def union(*patterns: re.Pattern[str]) -> re.Pattern[str]:
    """One pattern matching any of `patterns`, each keeping its own flags."""
    parts = []
    for pattern in patterns:
        flags = "".join(
            letter
            for flag, letter in ((re.I, "i"), (re.M, "m"), (re.S, "s"))
            if pattern.flags & flag
        )
        parts.append(f"(?{flags}:{pattern.pattern})" if flags else f"(?:{pattern.pattern})")
    return re.compile("|".join(parts))


VOID_TAGS = frozenset("area base br col embed hr img input link meta source track wbr".split())

# The markers of `protect`, and what a model leaves of them: full forms first.
MARK = re.compile(
    r"(?:<|&lt;)\s?(?P<s1>/?)\s?(?P<n1>\d{1,4})\s?/?\s?(?:>|&gt;)"
    r"|(?:<|&lt;)\s?(?P<s2>/?)\s?(?P<n2>\d{1,4})(?:\s?/)?(?=\s|$)"
    r"|(?<![\w<])(?P<s3>/)\s?(?P<n3>\d{1,4})\s?(?:>|&gt;)"
    r"|(?<![\w</])(?P<n4>\d{1,4})\s?/\s?(?:>|&gt;)"
)
FULL_MARK_GROUP = "n1"


SENTENCE_END = re.compile(
    r"[.!?…]+(?=(?:[\"'”“»«)\]]|\s?(?:<|&lt;)\s?/\s?\d{1,4}\s?(?:>|&gt;))*(?:\s|$))"
)


def mark_id(m: re.Match[str]) -> tuple[int, bool]:
    """Id and whether the marker looks like a closing one."""
    for n, s in (("n1", "s1"), ("n2", "s2"), ("n3", "s3"), ("n4", None)):
        if m.group(n) is not None:
            return int(m.group(n)), bool(s and m.group(s))
    raise AssertionError("marker regex matched without an id")
