"""`translate-pipeline inspect`: what the pipeline sees in one article, before any model runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from translate_pipeline import detect, translate
from translate_pipeline.articles import read_article
from translate_pipeline.glossary import Glossary
from translate_pipeline.segment import split_sentences

_KINDS = {"heading": "heading", "list_item": "list_item", "quote": "quote"}


def inspect_file(path: Path, glossary: Glossary) -> dict[str, Any]:
    """`{"lang", "blocks": [{"kind", "lang", "text", "sentences", "glossary"}]}` plus
    front matter, so editors see language, segmentation and glossary hits per block."""
    article = read_article(path)
    if article.meta.get("glossary"):
        glossary = glossary.with_overrides(article.meta["glossary"])
    texts = [" ".join(map(translate.prose, b.units)) for b in article.blocks if b.units]
    lang = (article.lang or detect.article_language([translate.prose(article.title), *texts]))[:2]
    blocks = []
    for block, prose in zip([b for b in article.blocks if b.units], texts):
        text = block.text
        matches = translate.glossary_matches(text, glossary)
        blocks.append(
            {
                "kind": _KINDS.get(block.kind, "paragraph" if block.kind != "table" else "table"),
                "markdown_kind": block.kind,
                "line": block.line,
                "lang": detect.block_language(prose, lang) if translate.needs_model(text) else lang,
                "text": text,
                "sentences": [s for unit in block.units for s in split_sentences(unit)],
                "glossary": [{"source": m.source, "target": m.target} for m in matches],
            }
        )
    return {
        "file": str(path),
        "lang": lang,
        "title": article.title,
        "slug": article.slug,
        "author": article.author,
        "date": article.date,
        "description": article.description,
        "blocks": blocks,
    }


def as_text(data: dict[str, Any]) -> str:
    """A short human-readable form of `inspect_file`'s result."""
    lines = [f"{data['file']}: {data['title']!r} lang={data['lang']} slug={data['slug']}"]
    for number, block in enumerate(data["blocks"], 1):
        lines.append(f"[{number}] {block['kind']} (line {block['line']}, {block['lang']})")
        lines.extend(f"    | {sentence}" for sentence in block["sentences"])
        lines.extend(f"    glossary: {g['source']} → {g['target']}" for g in block["glossary"])
    return "\n".join(lines)
