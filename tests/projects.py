"""A project folder as the tests of whole builds use it: content, site, memory, glossaries."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Project:
    root: Path

    @property
    def content(self) -> Path:
        return self.root / "content"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def translations(self) -> Path:
        return self.root / "translations" / "de-en"

    @property
    def glossaries(self) -> Path:
        return self.root / "glossaries"

    def write(self, name: str, data: str | bytes) -> Path:
        """An article file below content/ (folders made as needed)."""
        path = self.content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        return path

    def published(self, site: Path | None = None) -> set[str]:
        """Slugs with all three pages (in `site`, default the project's)."""
        site = site or self.site
        if not (site / "de").is_dir():
            return set()
        return {
            p.name
            for p in (site / "de").iterdir()
            if p.is_dir()
            and all(
                (site / lang / p.name / "index.html").is_file() for lang in ("de", "en", "de-en")
            )
        }
