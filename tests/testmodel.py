"""A tiny but real Argos Translate package whose output is known in advance.

Tests and benchmarks need a German→English model (and models for other pairs: ``WORD_MAPS``)
that runs through the very same code path as a downloaded one (zip → CTranslate2 →
SentencePiece) but whose translation is predictable and that can be built offline. The
CTranslate2 transformer built here is wired by hand with numpy: it copies every source
SentencePiece piece to the output, except the pieces of a word list, which it replaces (``▁Der``
→ ``▁The``). Output length equals input length, so decoding costs what a trained model of the
same size costs. With ``tokenizer="bpe"`` the package has ``bpe.model`` instead, as some Argos
packages do: subword-nmt BPE codes over Moses tokens, learned here from the same corpus.

How the weights do that (see also tests/testmodel.md): ``d_model`` is split
into subspaces T (token code, 3 heads wide), C (copied token code, 3 heads), P (position code, one
head) and R (the position code negated, one head, so every input vector sums to zero and has the
same norm, which makes every layer norm one known constant scale). Every block adds nothing to
the residual stream (zero output projections) except decoder layer 0's cross attention, whose
queries and keys read only the position code, so decoder step t attends to source position t and
copies that token's code from T into C. The output projection row of token j is the sum of the
codes of the source tokens that map to j.

Caveats, all inherent to the wiring:

* One piece in, one piece out. A target may still contain spaces (``Kremlchef`` → ``Kremlin
  chief``): it becomes one piece ``▁Kremlin▁chief``.
* Word-list keys are SentencePiece user-defined symbols, which match greedily as a *prefix* of
  longer words too: ``Präsidenten`` is ``▁Präsident`` + ``en`` and comes out as ``presidenten``.
* SentencePiece collapses runs of whitespace and strips it at both ends; everything else is
  copied exactly (identity normalisation, byte fallback for characters missing from the corpus).

The BPE variant differs where Moses and BPE differ: a key is a whole Moses token, so it does
not match inside longer words (``Präsidenten`` is copied); punctuation is normalised and
re-spaced as Moses does (``„gut“`` → ``"gut"``); and a character missing from the corpus has no
piece (it becomes ``<unk>``), so test texts keep to the corpus' characters.

Two options make a *defective* model, for tests of review signals:

* A word-map value may be :data:`END`: that source word's output is the end token, so the
  translation stops there (``Die Sitzung wurde vertagt`` with ``Sitzung`` → ``END`` comes out
  as ``Die``), the way a real model truncates a sentence. Not as a sentence's first piece:
  CTranslate2 never gives an empty output and takes the runner-up instead.
* ``uncertain`` maps source words (one piece each, like word-map keys; mapped or copied) to
  the probability ``p`` of their output piece. The output stays the same, but the model is
  unsure of it: the output rows of ``k`` competitor pieces (pieces outside the word map, a
  set of its own for each word) also get (almost all of) that word's code, so the softmax
  is split: the intended piece leads each competitor by only ``g ≥ 3`` nats, ``k`` and ``g``
  chosen so that ``1 / (1 + k·e^-g) = p`` (``k ≈ 20·(1-p)/p``: 380 pieces for 0.05, so a
  few such words need the default 8k vocabulary). Each uncertain word adds ``log p`` to its
  sentence's log-probability (to the engine's per-token score ``log p / (pieces + 1)``);
  every other source piece wins by 20 nats instead of 40. Exact with float32 weights; int8
  weights (the default, and what the engine runs on a CPU) add noise, mostly lowering
  ``log p`` (by up to 0.7 nats in the tests).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import random
import re
import stat
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import ctranslate2
import numpy as np
import sentencepiece as spm
from argostranslate.apply_bpe import BPE
from ctranslate2.specs import transformer_spec

DEFAULT_WORD_MAP: Mapping[str, str] = {
    "Der": "The",
    "Präsident": "president",
    "Kanzler": "chancellor",
    "Kremlchef": "Kremlin chief",
    "Regierung": "government",
    "Krieg": "war",
    "Frieden": "peace",
    "Russland": "Russia",
    "Deutschland": "Germany",
    "sagte": "said",
    "heute": "today",
    "Heute": "Today",
    "gestern": "yesterday",
    "Gestern": "Yesterday",
    "Montag": "Monday",
    "Mittwoch": "Wednesday",
    "Freitag": "Friday",
    "Sonntag": "Sunday",
    "nicht": "not",
    "ist": "is",
    "und": "and",
    "aber": "but",
    "oder": "or",
    "auch": "also",
    "sehr": "very",
    "wird": "will",
}
"""German → English entries of the default test model (one word → one piece each).

Keys chosen so they rarely start other words of news text; known prefix hits: ``Präsidenten``,
``Präsidentin``, ``Kanzlerin``, ``Regierungen``/``Regierungs…``, ``Krieges``, ``Russlands``,
``Deutschlands``, ``nichts``, ``Derzeit``, ``sagten``, ``heutige``, ``Friedens``, ``Sonntags``.
Case matters (``der`` stays ``der``); ``Die``/``Das`` are left out because ``Diese``,
``Dienstag`` and ``Dass`` would be hit.
"""

EN_FR_WORD_MAP: Mapping[str, str] = {
    "The": "Le",
    "president": "président",
    "chancellor": "chancelier",
    "government": "gouvernement",
    "war": "guerre",
    "peace": "paix",
    "Russia": "Russie",
    "Germany": "Allemagne",
    "said": "a dit",
    "today": "aujourd'hui",
    "Today": "Aujourd'hui",
    "not": "pas",
    "is": "est",
    "and": "et",
    "but": "mais",
    "also": "aussi",
    "very": "très",
}
"""English → French, keyed by the default model's English, so de→en→fr chains are predictable.
Known prefix hits: ``These``/``There``, ``island``/``issue``, ``nothing``, ``warning``."""

DE_ES_WORD_MAP: Mapping[str, str] = {
    "Der": "El",
    "Präsident": "presidente",
    "Kanzler": "canciller",
    "Regierung": "gobierno",
    "Krieg": "guerra",
    "Frieden": "paz",
    "Russland": "Rusia",
    "Deutschland": "Alemania",
    "sagte": "dijo",
    "heute": "hoy",
    "Heute": "Hoy",
    "nicht": "no",
    "ist": "es",
    "und": "y",
    "aber": "pero",
    "sehr": "muy",
}
"""German → Spanish, the default model's keys that have a one-word Spanish answer."""

EN_UK_WORD_MAP: Mapping[str, str] = {
    "The": "Цей",
    "president": "президент",
    "chancellor": "канцлер",
    "war": "війна",
    "peace": "мир",
    "said": "сказав",
    "today": "сьогодні",
    "not": "не",
    "and": "і",
}
"""English → Ukrainian: targets in another script, through the same English as French."""

WORD_MAPS: Mapping[tuple[str, str], Mapping[str, str]] = {
    ("de", "en"): DEFAULT_WORD_MAP,
    ("en", "fr"): EN_FR_WORD_MAP,
    ("de", "es"): DE_ES_WORD_MAP,
    ("en", "uk"): EN_UK_WORD_MAP,
}
"""The word map a package of each pair gets unless ``word_map`` is given."""

BASE_SIZE: Mapping[str, int] = {
    "d_model": 512,
    "heads": 8,
    "layers": 6,
    "ffn": 2048,
    "vocab_size": 32000,
}
"""Transformer-base sizes, for benchmarks that need a real model's decoding cost."""

_NAMES = {"de": "German", "en": "English", "es": "Spanish", "fr": "French", "uk": "Ukrainian"}

MAX_POSITIONS = 1024
"""Length of the position table: CTranslate2 silently cuts longer inputs (in pieces) to this."""
_POSITION_MARGIN = 60.0  # nats by which the aligned source position wins cross attention
_OUTPUT_MARGIN = 40.0  # nats by which the intended output piece wins the softmax
_SYNTHETIC_LINES_PER_PIECE = 2  # enough distinct compounds for BPE to reach any vocab size
# With uncertain words: nats by which their output at least leads each competitor, and by
# which every other output wins (half the usual margin halves the noise of int8 weights,
# which would otherwise let one of hundreds of competitors win now and then).
_UNCERTAIN_LEAD = 3.0
_UNCERTAIN_MARGIN = 20.0

END = "</s>"
"""A word-map value: the source word ends the translation (nothing from it on is output)."""


def build_package(
    out_path: Path,
    *,
    word_map: Mapping[str, str] | None = None,
    uncertain: Mapping[str, float] | None = None,
    corpus: Iterable[str] | None = None,
    d_model: int = 256,
    heads: int = 8,
    layers: int = 2,
    ffn: int = 1024,
    vocab_size: int = 8000,
    quantization: str = "int8",
    name: str | None = None,
    version: str = "1.0",
    seed: int = 0,
    source: str = "de",
    target: str = "en",
    tokenizer: str = "sentencepiece",
) -> Path:
    """Build the ``.argosmodel`` zip at ``out_path`` (written atomically) and return the path.

    ``word_map`` defaults to the pair's entry in :data:`WORD_MAPS`; ``corpus`` replaces the
    shipped tokenizer training text; ``name`` defaults to ``translate-<source>_<target>-<version>``
    like real packages; ``tokenizer`` is ``sentencepiece`` or ``bpe`` (then ``vocab_size`` bounds
    the learned merges, which stop early where no pair of symbols occurs twice). ``uncertain``
    (source word → probability of its output piece) makes the model unsure of those words
    (module docstring; SentencePiece only). The same arguments give the same bytes.
    """
    if word_map is None:
        if (source, target) not in WORD_MAPS:
            raise ValueError(f"no word map for {source}→{target}; pass word_map")
        word_map = WORD_MAPS[source, target]
    _check_word_map(word_map)
    uncertain = dict(uncertain or {})
    _check_uncertain(uncertain)
    head_dim = d_model // heads
    if d_model % heads or heads < 8 or head_dim % 2:
        raise ValueError("need d_model divisible by heads, heads >= 8 and an even head size")
    name = name or f"translate-{source}_{target}-{version.replace('.', '_')}"
    lines = list(_default_corpus() if corpus is None else corpus)
    if tokenizer == "sentencepiece":
        tokenizer_file = "sentencepiece.model"
        tokenizer_model = _train_sentencepiece(lines, word_map, vocab_size, seed, uncertain)
        sp = spm.SentencePieceProcessor(model_proto=tokenizer_model)
        pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
        piece_map = {_piece(key): _piece(value) for key, value in word_map.items()}
        unsure = {_piece(word): p for word, p in uncertain.items()}
    elif tokenizer == "bpe" and not uncertain:
        tokenizer_file = "bpe.model"
        tokenizer_model, pieces = _learn_bpe(lines, word_map, vocab_size, source)
        piece_map, unsure = dict(word_map), {}
    else:
        raise ValueError(
            f"tokenizer must be sentencepiece or bpe (uncertain: SentencePiece only), "
            f"not {tokenizer!r}"
        )
    spec = _wire_model(pieces, piece_map, d_model, heads, layers, ffn, seed, unsure)
    spec.optimize(quantization=quantization)
    metadata = {
        "package_version": version,
        "argos_version": "1.9",
        "code": f"translate-{source}_{target}",
        "type": "translate",
        "from_code": source,
        "from_name": _NAMES.get(source, source),
        "to_code": target,
        "to_name": _NAMES.get(target, target),
        "links": [],
        "description": "Hand-wired test model: copies source pieces, replaces a word list.",
        "word_map": dict(word_map),
    }
    if uncertain:
        metadata["uncertain"] = uncertain
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp) / "model"
        model_dir.mkdir()
        spec.save(str(model_dir))
        files = {f"{name}/model/{p.name}": p.read_bytes() for p in sorted(model_dir.iterdir())}
        files[f"{name}/{tokenizer_file}"] = tokenizer_model
        files[f"{name}/metadata.json"] = json.dumps(metadata, indent=2).encode()
        tmp_zip = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp")
        try:
            _write_zip(tmp_zip, name, files)
            os.replace(tmp_zip, out_path)
        finally:
            tmp_zip.unlink(missing_ok=True)
    return out_path


def cached_package(cache_dir: Path, **params: object) -> Path:
    """Return a package built with ``params``, building it only if ``cache_dir`` lacks it.

    The key covers the parameters, this module's source, the shipped corpus and the library
    versions, so an edited builder never serves a stale model. Safe under parallel test runs:
    each build is written atomically.
    """
    if "corpus" in params and params["corpus"] is not None:
        params["corpus"] = list(params["corpus"])  # type: ignore[call-overload]
    for mapping in ("word_map", "uncertain"):
        if params.get(mapping) is not None:
            params[mapping] = dict(params[mapping])  # type: ignore[call-overload]
    key = hashlib.sha256()
    key.update(json.dumps(params, sort_keys=True, default=str).encode())
    key.update(Path(__file__).read_bytes())
    key.update(_corpus_text().encode())
    versions = (ctranslate2.__version__, spm.__version__, importlib.metadata.version("sacremoses"))
    key.update(" ".join(versions).encode())
    path = Path(cache_dir) / f"testmodel-{key.hexdigest()[:16]}.argosmodel"
    if not path.exists():
        build_package(path, **params)  # type: ignore[arg-type]
    return path


def _write_zip(path: Path, name: str, files: Mapping[str, bytes]) -> None:
    """Fixed timestamps and order, so the same files give the same archive bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for directory in (f"{name}/", f"{name}/model/"):
            info = zipfile.ZipInfo(directory, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10  # 0x10: MS-DOS folder
            zf.writestr(info, b"")
        for arcname in sorted(files):
            info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[arcname])


def _check_word_map(word_map: Mapping[str, str]) -> None:
    for source, target in word_map.items():
        if not source or re.search(r"\s", source):
            raise ValueError(f"word map key {source!r} must be one word")
        if not target.strip() or target != " ".join(target.split()):
            raise ValueError(f"word map value {target!r} must be words separated by one space")


def _check_uncertain(uncertain: Mapping[str, float]) -> None:
    for source, probability in uncertain.items():
        if not source or re.search(r"\s", source):
            raise ValueError(f"uncertain word {source!r} must be one word")
        if not 0.0 < probability < 1.0:
            raise ValueError(f"uncertain probability {probability!r} must lie between 0 and 1")


def _corpus_text() -> str:
    return (Path(__file__).parent / "data" / "testmodel_corpus.txt").read_text(encoding="utf-8")


def _default_corpus() -> list[str]:
    return _corpus_text().splitlines()


def _piece(text: str) -> str:
    return text if text == END else "▁" + text.replace(" ", "▁")


def _synthetic_lines(lines: list[str], count: int, seed: int) -> Iterator[str]:
    """Corpus lines with some words swapped for invented compounds.

    The hand-written corpus alone has too few distinct substrings for an 8k or 32k vocabulary;
    German-looking compounds of its own words give BPE enough to merge.
    """
    rng = random.Random(seed)
    words = sorted({w for line in lines for w in re.findall(r"[^\W\d_]{3,}", line)})
    if not words:
        return
    for _ in range(count):
        tokens = rng.choice(lines).split()
        yield " ".join(
            rng.choice(words) + rng.choice(words).lower() if rng.random() < 0.4 else token
            for token in tokens
        )


def _train_sentencepiece(
    lines: list[str],
    word_map: Mapping[str, str],
    vocab_size: int,
    seed: int,
    uncertain: Mapping[str, float],
) -> bytes:
    lines = [line for line in lines if line.strip()]
    if not lines:
        raise ValueError("the SentencePiece corpus is empty")
    words = [w for pair in word_map.items() for w in pair if w != END] + list(uncertain)
    symbols = list(dict.fromkeys(_piece(w) for w in words))
    sentences = lines + list(_synthetic_lines(lines, _SYNTHETIC_LINES_PER_PIECE * vocab_size, seed))
    model = io.BytesIO()
    spm.set_random_generator_seed(seed + 1)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(sentences),
        model_writer=model,
        model_type="bpe",
        vocab_size=vocab_size,
        character_coverage=1.0,
        normalization_rule_name="identity",
        byte_fallback=True,
        user_defined_symbols=symbols,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        num_threads=1,
        minloglevel=2,
    )
    return model.getvalue()


def _learn_bpe(
    lines: list[str], word_map: Mapping[str, str], vocab_size: int, language: str
) -> tuple[bytes, list[str]]:
    """subword-nmt BPE codes for the Moses tokens of ``lines``, and every piece they can give.

    Merges are learned as subword-nmt's learn_bpe learns them, then each word-map key gets
    merges of its own, at the lowest priority, that join it into one piece. The pieces are
    each character (alone, or ``@@``-joined to what follows), each merge's result, and the
    word-map values (one piece each, spaces and all: decoding splits at spaces anyway).
    """
    from sacremoses import MosesPunctNormalizer, MosesTokenizer  # slow to import: only here

    normalizer = MosesPunctNormalizer(language)
    moses = MosesTokenizer(language)
    words = Counter(token for line in lines for token in moses.tokenize(normalizer.normalize(line)))
    words.update(list(word_map))  # their letters, at least
    if not words:
        raise ValueError("the BPE corpus is empty")
    alphabet = {char for word in words for char in word}
    values = set(word_map.values())
    merges = _learn_merges(words, vocab_size - 3 - 2 * len(alphabet) - len(values))
    for key in word_map:
        if moses.tokenize(normalizer.normalize(key)) != [key]:
            raise ValueError(f"word map key {key!r} is not one Moses token")
        segments = _bpe(merges).segment_tokens([key])
        symbols = [s.removesuffix("@@") for s in segments[:-1]] + [segments[-1] + "</w>"]
        merges += [("".join(symbols[:i]), symbols[i]) for i in range(1, len(symbols))]
    bpe = _bpe(merges)
    for key in word_map:
        if bpe.segment_tokens([key]) != [key]:
            raise ValueError(f"word map key {key!r} does not become one BPE piece")
    pieces = alphabet | {char + "@@" for char in alphabet} | values
    pieces |= {m[: -len("</w>")] if m.endswith("</w>") else m + "@@" for m in map("".join, merges)}
    specials = ["<unk>", "<s>", "</s>"]
    return _codes(merges).encode(), specials + sorted(pieces - set(specials))


def _learn_merges(words: Mapping[str, int], count: int) -> list[tuple[str, str]]:
    """Up to ``count`` merges of the most frequent pair of adjacent symbols, each applied
    before the next is counted (a word's last symbol ends in ``</w>``, as in subword-nmt's
    version 0.2); ties go to the greatest pair, so the same words give the same codes."""
    vocabulary = {tuple(word[:-1]) + (word[-1] + "</w>",): n for word, n in words.items()}
    merges: list[tuple[str, str]] = []
    while len(merges) < count:
        pairs: Counter[tuple[str, str]] = Counter()
        for symbols, n in vocabulary.items():
            for pair in zip(symbols, symbols[1:]):
                pairs[pair] += n
        best = max(pairs, key=lambda pair: (pairs[pair], pair), default=None)
        if best is None or pairs[best] < 2:
            break
        merges.append(best)
        vocabulary = {_merge(symbols, best): n for symbols, n in vocabulary.items()}
    return merges


def _merge(symbols: tuple[str, ...], pair: tuple[str, str]) -> tuple[str, ...]:
    merged: list[str] = []
    i = 0
    while i < len(symbols):
        if symbols[i : i + 2] == pair:
            merged.append(pair[0] + pair[1])
            i += 2
        else:
            merged.append(symbols[i])
            i += 1
    return tuple(merged)


def _codes(merges: list[tuple[str, str]]) -> str:
    return "#version: 0.2\n" + "".join(f"{left} {right}\n" for left, right in merges)


def _bpe(merges: list[tuple[str, str]]) -> BPE:
    """Argos Translate's BPE (its copy of subword-nmt's apply_bpe) with these merges."""
    return BPE(io.StringIO(_codes(merges)))


def _wire_model(
    pieces: list[str],
    piece_map: Mapping[str, str],
    d_model: int,
    heads: int,
    layers: int,
    ffn: int,
    seed: int,
    uncertain: Mapping[str, float],
) -> transformer_spec.TransformerSpec:
    rng = np.random.default_rng(seed)
    vocab, h = len(pieces), d_model // heads
    t_dims, c_dims = slice(0, 3 * h), slice(3 * h, 6 * h)
    p_dims, r_dims = slice(6 * h, 7 * h), slice(7 * h, 8 * h)

    # Token codes: zero-sum unit vectors in T.
    codes = rng.standard_normal((vocab, 3 * h))
    codes -= codes.mean(axis=1, keepdims=True)
    codes /= np.linalg.norm(codes, axis=1, keepdims=True)
    embeddings = np.zeros((vocab, d_model))
    embeddings[:, t_dims] = codes

    # Position codes: sin/cos of random frequencies in P, negated in R, unit norm overall.
    freqs = rng.uniform(0.15, np.pi, h // 2)
    angles = np.arange(MAX_POSITIONS)[:, None] * freqs[None, :]
    sincos = np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
    positions = np.zeros((MAX_POSITIONS, d_model))
    positions[:, p_dims] = sincos / np.sqrt(h)
    positions[:, r_dims] = -sincos / np.sqrt(h)
    # Worst similarity of two different positions, relative to a position with itself.
    rho = np.max(np.cos(np.arange(1, MAX_POSITIONS)[:, None] * freqs[None, :]).mean(axis=1))

    # Encoder and decoder inputs have norm sqrt(2) and mean 0, so layer norm scales by s_in.
    s_in = np.sqrt(d_model / 2)
    # q.k / sqrt(h) = alpha * s_in^2 * sum(cos) / h^1.5; the aligned position leads by the margin.
    alpha = _POSITION_MARGIN * 2 * np.sqrt(h) / (s_in**2 * (1 - rho))

    spec = transformer_spec.TransformerSpec.from_config(layers, heads)
    for side in (spec.encoder, spec.decoder):
        side.scale_embeddings = False
        side.position_encodings.encodings = positions.astype(np.float32)
        _set_norm(side.layer_norm, d_model)
    spec.encoder.embeddings[0].weight = embeddings.astype(np.float32)
    spec.decoder.embeddings.weight = embeddings.astype(np.float32)
    for layer in spec.encoder.layer:
        _set_inert_block(layer.self_attention, d_model, 3, rng)
        _set_inert_ffn(layer.ffn, d_model, ffn, rng)
    for layer in spec.decoder.layer:
        _set_inert_block(layer.self_attention, d_model, 3, rng)
        _set_inert_block(layer.attention, d_model, 1, rng, kv_linear=True)
        _set_inert_ffn(layer.ffn, d_model, ffn, rng)

    # Decoder layer 0 cross attention: position-aligned, copies T into C.
    read_position = np.zeros((h, d_model))
    read_position[:, p_dims] = np.eye(h) / 2
    read_position[:, r_dims] = -np.eye(h) / 2
    query = np.tile(alpha * read_position, (heads, 1))
    keys = np.tile(read_position, (heads, 1))
    values = np.zeros((d_model, d_model))
    values[t_dims, t_dims] = np.eye(3 * h)
    out = np.zeros((d_model, d_model))
    out[c_dims, t_dims] = np.eye(3 * h) / s_in  # the copied code has unit norm in C
    cross = spec.decoder.layer[0].attention
    cross.linear[0].weight = query.astype(np.float32)
    cross.linear[1].weight = np.concatenate([keys, values]).astype(np.float32)
    cross.linear[2].weight = out.astype(np.float32)

    # Output projection: row j sums the codes (read from C) of the tokens mapping to j.
    index = {piece: i for i, piece in enumerate(pieces)}
    target = np.arange(vocab)
    for source, translation in piece_map.items():
        target[index[source]] = index[translation]
    rows = np.zeros((vocab, 3 * h))
    np.add.at(rows, target, codes)
    # The final input has norm sqrt(3) (previous token, position, copied code): scale s_out.
    s_out = np.sqrt(d_model / 3)
    if uncertain:
        beta = _split_outputs(pieces, piece_map, uncertain, codes, rows, target, s_out, rng)
    else:
        beta = _OUTPUT_MARGIN / (s_out * _min_output_gap(codes, rows, target))
    projection = np.zeros((vocab, d_model))
    projection[:, c_dims] = beta * rows
    spec.decoder.projection.weight = projection.astype(np.float32)

    spec.config.add_source_eos = True
    spec.register_source_vocabulary(pieces)
    spec.register_target_vocabulary(pieces)
    spec.validate()
    return spec


def _split_outputs(
    pieces: list[str],
    piece_map: Mapping[str, str],
    uncertain: Mapping[str, float],
    codes: np.ndarray,
    rows: np.ndarray,
    target: np.ndarray,
    s_out: float,
    rng: np.random.Generator,
) -> float:
    """Give each uncertain source piece its competitors (in ``rows``, in place) and return
    the output scale ``beta``.

    A competitor row first gets the multiple of the source's code that ties it with the
    intended output; ``beta`` is then set so every *other* source piece wins by
    ``_UNCERTAIN_MARGIN``, and finally each competitor is moved ``lead`` nats below the
    intended output. That last step shifts other pieces' logits by under ``lead`` nats.
    """
    index = {piece: i for i, piece in enumerate(pieces)}
    used = {index[p] for pair in piece_map.items() for p in pair}
    used |= {index[p] for p in uncertain} | {0, 1, 2}  # <unk>, <s>, </s>
    free = np.array([i for i in range(len(pieces)) if i not in used])
    plan: list[tuple[int, np.ndarray, float]] = []  # (source, competitors, lead in nats)
    for word, probability in uncertain.items():
        odds = (1 - probability) / probability  # competitors' total over the intended
        count = int(np.ceil(odds * np.exp(_UNCERTAIN_LEAD)))
        # Only pieces whose codes lean towards the word's: the share of its code a
        # competitor row gets then adds to that piece's own logit instead of taking from it.
        leaning = np.flatnonzero(codes[free] @ codes[index[word]] > 0)
        if count > len(leaning):
            raise ValueError(f"too few free pieces for probability {probability} of {word!r}")
        chosen = rng.choice(leaning, size=count, replace=False)
        competitors, free = free[chosen], np.delete(free, chosen)
        plan.append((index[word], competitors, float(np.log(count / odds))))
    for source, competitors, _ in plan:
        code = codes[source]
        tie = (rows[target[source]] - rows[competitors]) @ code  # code @ code == 1
        rows[competitors] += tie[:, None] * code
    sources = np.array([source for source, _, _ in plan])
    beta = _UNCERTAIN_MARGIN / (s_out * _min_output_gap(codes, rows, target, skip=sources))
    for source, competitors, lead in plan:
        rows[competitors] -= lead / (beta * s_out) * codes[source]
    return beta


def _min_output_gap(
    codes: np.ndarray, rows: np.ndarray, target: np.ndarray, skip: np.ndarray | None = None
) -> float:
    """Smallest lead of the intended output's logit over any other, before scaling, for
    every source piece but those in ``skip``."""
    gap = np.inf
    for start in range(0, len(codes), 1024):
        scores = codes[start : start + 1024] @ rows.T
        chunk = np.arange(len(scores))
        intended = scores[chunk, target[start : start + 1024]]
        scores[chunk, target[start : start + 1024]] = -np.inf
        leads = intended - scores.max(axis=1)
        if skip is not None:
            leads[skip[(skip >= start) & (skip < start + 1024)] - start] = np.inf
        gap = min(gap, float(np.min(leads)))
    if gap <= 0:
        raise ValueError("token codes collide; try another seed")
    return gap


def _set_norm(norm: object, d_model: int) -> None:
    norm.gamma = np.ones(d_model, dtype=np.float32)  # type: ignore[attr-defined]
    norm.beta = np.zeros(d_model, dtype=np.float32)  # type: ignore[attr-defined]


def _set_inert_block(
    attention: object, d_model: int, fused: int, rng: np.random.Generator, kv_linear: bool = False
) -> None:
    """Real-sized attention weights whose zero output projection leaves the residual alone."""
    _set_norm(attention.layer_norm, d_model)  # type: ignore[attr-defined]
    linears = attention.linear  # type: ignore[attr-defined]
    shapes = [(fused * d_model, d_model)] + ([(2 * d_model, d_model)] if kv_linear else [])
    for linear, shape in zip(linears, shapes):
        linear.weight = (rng.standard_normal(shape) / np.sqrt(d_model)).astype(np.float32)
    linears[-1].weight = np.zeros((d_model, d_model), dtype=np.float32)


def _set_inert_ffn(spec: object, d_model: int, ffn: int, rng: np.random.Generator) -> None:
    _set_norm(spec.layer_norm, d_model)  # type: ignore[attr-defined]
    spec.linear_0.weight = (  # type: ignore[attr-defined]
        rng.standard_normal((ffn, d_model)) / np.sqrt(d_model)
    ).astype(np.float32)
    spec.linear_1.weight = np.zeros((d_model, ffn), dtype=np.float32)  # type: ignore[attr-defined]
