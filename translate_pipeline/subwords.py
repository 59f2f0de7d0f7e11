"""Subword tokenizers of Argos packages: sentences to the pieces a model reads, and back.

A package ships ``sentencepiece.model`` or, in some older packages, ``bpe.model``: subword-nmt
BPE codes applied to Moses tokens. Argos Translate takes the first of the two it finds
(``package.py``) and tokenizes as its ``tokenizer.py`` does; this module does the same, with
the same libraries (Argos Translate's own copy of subword-nmt's ``apply_bpe``, and sacremoses),
so a package translates here as it does there. The engine and the install trial share it.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import sentencepiece
from argostranslate.apply_bpe import BPE

MODEL_FILES = ("sentencepiece.model", "bpe.model")
"""The tokenizer files a package may have, in the order Argos Translate looks for them."""

JOINER = "@@"
"""subword-nmt's mark on every BPE piece of a word but its last."""


class Tokenizer(Protocol):
    """Turns sentences into a model's pieces and pieces back into text."""

    def encode(self, sentences: Sequence[str]) -> list[list[str]]: ...

    def decode(self, sentences: Sequence[Sequence[str]]) -> list[str]: ...

    def starts_word(self, pieces: Sequence[str], index: int) -> bool:
        """Whether ``pieces[index]`` begins a word: where a long input may be cut."""
        ...


def model_file(package_dir: Path) -> Path | None:
    """The package's tokenizer file, or None when it has neither."""
    return next((package_dir / n for n in MODEL_FILES if (package_dir / n).is_file()), None)


def load(model: Path, source: str, target: str) -> Tokenizer:
    """The tokenizer of a :func:`model_file`; OSError, RuntimeError or ValueError (with the
    reason) when it does not load. ``source`` and ``target`` choose Moses' language rules."""
    if model.name == "bpe.model":
        return MosesBPE(model, source, target)
    return SentencePiece(model)


class SentencePiece:
    """SentencePiece pieces; ``▁`` starts a word."""

    def __init__(self, model: Path) -> None:
        self.processor = sentencepiece.SentencePieceProcessor(model_file=str(model))

    def encode(self, sentences: Sequence[str]) -> list[list[str]]:
        return self.processor.encode(list(sentences), out_type=str)

    def decode(self, sentences: Sequence[Sequence[str]]) -> list[str]:
        return self.processor.decode([list(pieces) for pieces in sentences])

    def starts_word(self, pieces: Sequence[str], index: int) -> bool:
        return pieces[index].startswith("▁")


class MosesBPE:
    """BPE over Moses tokens, step for step as Argos Translate's ``BPETokenizer``.

    Encoding normalizes punctuation (``„`` and ``“`` become ``"``), cuts Moses tokens (``&``,
    ``<``, ``>``, ``'``, ``"``, ``|``, ``[``, ``]`` become XML entities) and splits each into
    BPE pieces, all but a word's last ending in ``@@``. Decoding joins the pieces back into
    tokens and detokenizes them with the target language's rules. sacremoses is imported on
    first use: it takes a second, and checking a package needs only the codes.
    """

    def __init__(self, codes: Path, source: str, target: str) -> None:
        text = codes.read_text(encoding="utf-8")
        _check_codes(text)
        self.bpe = BPE(io.StringIO(text))
        self.source = source
        self.target = target

    @functools.cached_property
    def _moses(self) -> tuple[Any, Any, Any]:
        from sacremoses.normalize import MosesPunctNormalizer
        from sacremoses.tokenize import MosesDetokenizer, MosesTokenizer

        return (
            MosesPunctNormalizer(self.source),
            MosesTokenizer(self.source),
            MosesDetokenizer(self.target),
        )

    def encode(self, sentences: Sequence[str]) -> list[list[str]]:
        normalizer, tokenizer, _ = self._moses
        encoded = []
        for sentence in sentences:
            tokens = " ".join(tokenizer.tokenize(normalizer.normalize(sentence)))
            encoded.append(self.bpe.segment_tokens(tokens.strip("\r\n ").split(" ")))
        return encoded

    def decode(self, sentences: Sequence[Sequence[str]]) -> list[str]:
        detokenizer = self._moses[2]
        return [
            detokenizer.detokenize(" ".join(pieces).replace(JOINER + " ", "").split(" "))
            for pieces in sentences
        ]

    def starts_word(self, pieces: Sequence[str], index: int) -> bool:
        """A Moses token that is a word: chunks are decoded apart and joined with a space,
        so a cut before punctuation (`word .`) would leave a space the text never had."""
        first = index == 0 or not pieces[index - 1].endswith(JOINER)
        return first and pieces[index][:1].isalnum()


def _check_codes(text: str) -> None:
    """ValueError unless every line after an optional ``#version:`` line holds two symbols
    separated by one space: ``apply_bpe.BPE`` ends the whole process on any other line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # reading a file line by line yields no line after its last newline
    first = 1 if lines and lines[0].startswith("#version:") else 0
    for number, line in enumerate(lines[first:], start=first + 1):
        if len(line.strip("\r\n ").split(" ")) != 2:
            raise ValueError(f"line {number} of the BPE codes is not two symbols: {line[:40]!r}")
