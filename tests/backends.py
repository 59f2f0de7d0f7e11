"""A translation backend written outside the package, to show that the build depends on
the `backend.Backend` protocol only. It is not a model: tests of translations use the
hand-wired CTranslate2 test model (`testmodel.py`)."""

from __future__ import annotations

from collections.abc import Sequence

from translate_pipeline.backend import Progress, Translation


class ReversingBackend:
    """Reverses the order of the words of each sentence."""

    name = "reversing"
    version = "1.0"

    def translate(
        self, sentences: Sequence[str], progress: Progress | None = None
    ) -> list[Translation]:
        if progress:
            progress(len(sentences), len(sentences))
        return [Translation(" ".join(reversed(sentence.split()))) for sentence in sentences]
