"""The translation engine: one CTranslate2 Translator and the package's tokenizer per run.

Throughput comes from handing CTranslate2 well-formed work: every sentence of
the run is tokenized at once, sorted by length, and sent in token-bounded
batches, so padding is minimal and both CPU cores stay busy. Argos Translate's
own decoding settings (beam 4, length penalty 0.2, unknowns replaced) are the
defaults so output matches what its users know. Each translation comes with the model's
mean log-probability per token (`backend.Translation.score`), which costs nothing extra:
beam search computes it anyway.
"""

from __future__ import annotations

import os
import platform
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ctranslate2

from translate_pipeline import subwords
from translate_pipeline.backend import Interrupted, Progress, Translation
from translate_pipeline.models import ModelError, Package, validate_package

# Batches queued in CTranslate2 per worker thread at any time: enough that no worker waits
# for Python, few enough that Ctrl+C stops after about one batch per worker.
QUEUED_BATCHES_PER_WORKER = 2
POLL_SECONDS = 0.005


@dataclass(frozen=True)
class EngineSettings:
    device: str = "auto"
    threads: int | None = None
    beam_size: int = 4
    length_penalty: float = 0.2
    # Measured on 2 CPU cores with a transformer-base model (benchmarks/run.py): 512 beat
    # 1024 by about 5% and 2048 by about 15%; smaller batches stay in cache.
    batch_tokens: int = 512
    # Longer inputs are cut at word boundaries into chunks of at most this many
    # pieces: CTranslate2 would otherwise truncate them silently.
    max_input_tokens: int = 200


def choose_device(requested: str = "auto") -> tuple[str, str]:
    """Device and compute type: CUDA when CTranslate2 sees a GPU, else int8 on the CPU."""
    device = requested
    gpus = ctranslate2.get_cuda_device_count()
    if requested == "auto":
        device = "cuda" if gpus > 0 else "cpu"
    elif requested == "cuda" and gpus == 0:
        raise ModelError("--device cuda: CTranslate2 sees no CUDA device here; use --device auto")
    supported = ctranslate2.get_supported_compute_types(device)
    preferences = ("int8_float16", "float16", "int8") if device == "cuda" else ("int8", "float32")
    compute_type = next((c for c in preferences if c in supported), "default")
    return device, compute_type


def pin_cpu_isa() -> str | None:
    """The CPU instruction set CTranslate2 is told to use (`CT2_FORCE_CPU_ISA`), so every
    machine of a build computes alike: kernels for another ISA round differently (1e-5 in
    scores, now and then another beam result with a real model). The variable if set;
    otherwise AVX2 wherever the CPU has it (what CTranslate2 4.x picks by itself on
    x86-64), set for this process before its first CPU model is created; else None."""
    isa = os.environ.get("CT2_FORCE_CPU_ISA")
    if isa:
        return isa
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return None
    flags = next((line for line in cpuinfo.splitlines() if line.startswith("flags")), "")
    if "avx2" not in flags.split():
        return None
    os.environ["CT2_FORCE_CPU_ISA"] = "AVX2"
    return "AVX2"


def choose_threads(threads: int | None = None) -> tuple[int, int]:
    """(inter_threads, intra_threads): one batch per core beats splitting one batch
    across cores on small machines; large machines get a few cores per batch."""
    total = threads or os.cpu_count() or 1
    intra = 1 if total <= 4 else 2 if total <= 16 else 4
    return max(1, total // intra), intra


class Engine:
    """Translates lists of sentences with one Argos package (a `backend.Backend`)."""

    def __init__(self, package: Package, settings: EngineSettings | None = None) -> None:
        validate_package(package.path)
        self.package = package
        self.settings = settings or EngineSettings()
        self.device, self.compute_type = choose_device(self.settings.device)
        if self.device == "cpu":
            pin_cpu_isa()
        inter, intra = choose_threads(self.settings.threads)
        self.inter_threads = inter
        try:
            self.tokenizer = subwords.load(
                package.tokenizer_model, package.from_code, package.to_code
            )
            self.translator = ctranslate2.Translator(
                str(package.path / "model"),
                device=self.device,
                compute_type=self.compute_type,
                inter_threads=inter,
                intra_threads=intra,
            )
        except (RuntimeError, OSError, ValueError) as exc:
            raise ModelError(
                f"model package {package.name} at {package.path} cannot be loaded ({exc}); "
                f"reinstall it: {package.reinstall_hint}"
            ) from exc
        self.target_prefix = str(package.metadata.get("target_prefix") or "")

    @property
    def name(self) -> str:
        return self.package.name

    @property
    def version(self) -> str:
        return self.package.version

    def tokenize(self, sentences: Sequence[str]) -> list[list[str]]:
        return self.tokenizer.encode(sentences)

    def translate(
        self, sentences: Sequence[str], progress: Progress | None = None
    ) -> list[Translation]:
        """The translation of each sentence, in order; empty sentences stay empty. Ctrl+C
        stops it within the batches already running and raises `Interrupted` with the
        sentences finished by then."""
        tokens = self.tokenize(sentences)
        chunks: list[list[str]] = []
        owners: list[int] = []
        for index, pieces in enumerate(tokens):
            for chunk in split_pieces(pieces, self.settings.max_input_tokens, self.tokenizer):
                chunks.append(chunk)
                owners.append(index)
        results: list[_Chunk | None] = [None] * len(chunks)
        try:
            self._translate_pieces(chunks, results, progress)
        except KeyboardInterrupt:
            raise Interrupted(self._join(len(sentences), owners, results)) from None
        joined = self._join(len(sentences), owners, results)
        return [joined[index] for index in range(len(sentences))]

    def _join(
        self, count: int, owners: list[int], results: list[_Chunk | None]
    ) -> dict[int, Translation]:
        """Each sentence whose chunks are all translated, decoded and joined, by index; its
        score is its least sure chunk's."""
        ready = [i for i, chunk in enumerate(results) if chunk is not None]
        finished = [chunk.pieces for chunk in results if chunk is not None]
        decoded = self.tokenizer.decode(finished) if finished else []
        texts = dict(zip(ready, decoded))
        parts: dict[int, list[str]] = {index: [] for index in range(count)}
        scores: dict[int, list[float]] = {index: [] for index in range(count)}
        for chunk, owner in enumerate(owners):
            if chunk not in texts:
                parts.pop(owner, None)
            elif owner in parts:
                parts[owner].append(texts[chunk])
                if (score := results[chunk].score) is not None:  # type: ignore[union-attr]
                    scores[owner].append(score)
        return {
            index: Translation(" ".join(p for p in pieces if p), min(scores[index], default=None))
            for index, pieces in parts.items()
        }

    def _translate_pieces(
        self,
        chunks: list[list[str]],
        results: list[_Chunk | None],
        progress: Progress | None,
    ) -> None:
        # Longest first, in token-bounded batches as CTranslate2 cuts them, so padding is
        # minimal. A few batches per worker are queued at any time, never the whole run: the
        # workers never wait for Python, and Ctrl+C has only those few to finish (they cannot
        # be cancelled; a process that exits waits for them anyway). Their results are kept.
        for i, chunk in enumerate(chunks):
            if not chunk:
                results[i] = _Chunk([], None)  # empty chunks need no model
        order = sorted((i for i in range(len(chunks)) if chunks[i]), key=lambda i: -len(chunks[i]))
        batches = token_batches([len(chunks[i]) for i in order], self.settings.batch_tokens)
        queue = deque([order[k] for k in batch] for batch in batches)
        running: list[tuple[list[int], list[Any]]] = []
        done = len(chunks) - len(order)
        try:
            while queue or running:
                while queue and len(running) < QUEUED_BATCHES_PER_WORKER * self.inter_threads:
                    indices = queue.popleft()
                    running.append((indices, self._submit([chunks[i] for i in indices])))
                finished = [batch for batch in running if all(job.done() for job in batch[1])]
                if not finished:
                    time.sleep(POLL_SECONDS)  # a wait Ctrl+C interrupts, unlike a job's result()
                    continue
                for batch in finished:
                    running.remove(batch)
                    self._collect(batch, results)
                    done += len(batch[0])
                if progress:
                    progress(done, len(chunks))
        except KeyboardInterrupt:
            for batch in running:
                self._collect(batch, results)
            raise
        if progress:
            progress(done, len(chunks))

    def _submit(self, batch: list[list[str]]) -> list[Any]:
        prefix = [[self.target_prefix]] * len(batch) if self.target_prefix else None
        return self.translator.translate_batch(
            batch,
            target_prefix=prefix,
            max_batch_size=self.settings.batch_tokens,
            batch_type="tokens",
            asynchronous=True,
            beam_size=self.settings.beam_size,
            num_hypotheses=1,
            length_penalty=self.settings.length_penalty,
            return_scores=True,
            replace_unknowns=True,
            max_input_length=0,
            # Our chunks are at most max_input_tokens long; English can run longer.
            max_decoding_length=2 * self.settings.max_input_tokens + 16,
        )

    def _collect(self, batch: tuple[list[int], list[Any]], results: list[_Chunk | None]) -> None:
        for i, job in zip(*batch):
            result = job.result()
            pieces = result.hypotheses[0]
            if self.target_prefix and pieces[:1] == [self.target_prefix]:
                pieces = pieces[1:]
            results[i] = _Chunk(pieces, self._per_token(result.scores[0], len(pieces)))

    def _per_token(self, score: float, length: int) -> float:
        """CTranslate2 divides the summed log-probability by length ** length_penalty (and
        counts the end token); undone here, so that scores of short and long sentences
        compare."""
        length += 1
        return score * length**self.settings.length_penalty / length


@dataclass(frozen=True)
class _Chunk:
    pieces: list[str]
    score: float | None


def token_batches(lengths: Sequence[int], limit: int) -> list[list[int]]:
    """Positions of `lengths` (longest first) cut into batches of at most `limit` tokens,
    as CTranslate2 cuts them (`batch_type="tokens"`): one batch per call, so a call is a unit
    of work that finishes on its own."""
    batches: list[list[int]] = []
    size = 0
    for position, length in enumerate(lengths):
        if not batches or (size and size + length > limit):
            batches.append([])
            size = 0
        batches[-1].append(position)
        size += length
    return batches


def split_pieces(pieces: list[str], limit: int, tokenizer: subwords.Tokenizer) -> list[list[str]]:
    """Cut a long piece sequence into chunks of at most `limit` pieces, at word starts
    when one is near, so every piece reaches the model and none is dropped."""
    if len(pieces) <= limit:
        return [pieces]
    chunks = []
    start = 0
    while len(pieces) - start > limit:
        cut = start + limit
        for j in range(cut, start + limit // 2, -1):
            if tokenizer.starts_word(pieces, j):
                cut = j
                break
        chunks.append(pieces[start:cut])
        start = cut
    chunks.append(pieces[start:])
    return chunks
