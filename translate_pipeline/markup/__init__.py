"""Markdown: split a body into blocks, carry inline Markdown through machine translation, render.

The MT model only ever sees plain text. ``protect`` turns one line of inline Markdown into that
text plus a side table; ``restore`` rebuilds Markdown from the model's output.
"""

from translate_pipeline.markup.nodes import unescape
from translate_pipeline.markup.protect import Placeholder, Protected, Span, protect
from translate_pipeline.markup.restore import Restored, restore

__all__ = [
    "Placeholder",
    "Protected",
    "Restored",
    "Span",
    "protect",
    "restore",
    "unescape",
]
