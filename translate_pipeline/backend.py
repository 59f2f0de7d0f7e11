"""The seam between a build and whatever translates its sentences.

A build needs very little of a translation backend: a name and version to record in the
translation memory, and a call that turns a list of sentences into as many translations.
The CTranslate2 engine (`engine.py`) is the one users run; a distributed executor or a
test double is another module implementing the same protocol, not edits across the build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import NamedTuple, Protocol, runtime_checkable

Progress = Callable[[int, int], None]
"""Progress callback: (done, total). Used for sentences and for download bytes alike."""


class Translation(NamedTuple):
    """One sentence's translation, and how sure the model was of it: the mean
    log-probability of its tokens (0 is certain; below about -1 a model is guessing), or
    None from a backend that cannot say. The review queue ranks sentences by it."""

    text: str
    score: float | None = None


class Interrupted(KeyboardInterrupt):
    """Ctrl+C while a backend translated. `finished` maps the index of each sentence it
    had finished to its translation, so the build can keep them for the next run. A backend
    that cannot say simply lets KeyboardInterrupt through."""

    def __init__(self, finished: dict[int, Translation]) -> None:
        super().__init__()
        self.finished = finished


class Backend(Protocol):
    """Translates sentences of one language pair, in order."""

    @property
    def name(self) -> str:
        """Model name for the memory's `origin` (e.g. the Argos package folder)."""
        ...

    @property
    def version(self) -> str: ...

    def translate(
        self, sentences: Sequence[str], progress: Progress | None = None
    ) -> list[Translation]:
        """One translation per sentence, in order; empty sentences stay empty. On Ctrl+C
        it should stop soon and raise `Interrupted` with what it finished."""
        ...


class Failed(NamedTuple):
    """A batch a `Pool` could not translate: its workers failed on it every attempt."""

    reason: str


@runtime_checkable
class Pool(Backend, Protocol):
    """A backend that runs on a pool of workers elsewhere (`ray_executor`): it is handed
    every wave of a model at once, so its workers start and load the model once per build,
    and gives back each wave's translations in order, as soon as that wave is complete."""

    def translate_batches(
        self, batches: Iterable[Sequence[str]], progress: Progress | None = None
    ) -> Iterator[list[Translation] | Failed]:
        """One list of translations per batch, in the batches' order, or `Failed` for a
        batch that failed every attempt; `progress` gets (sentences done, sentences in
        all batches). `batches` is read to its end before the first result: a pool keeps
        them on disk, not in memory."""
        ...

    def close(self) -> None:
        """Stops the workers (called when the build ends)."""
        ...


def model_label(backend: Backend) -> str:
    """How the memory names the model that wrote an entry: `name version`."""
    return f"{backend.name} {backend.version}"
