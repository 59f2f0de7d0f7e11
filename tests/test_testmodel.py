"""The hand-wired test package is a real Argos package and translates exactly as documented."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import ctranslate2
import pytest
import sentencepiece as spm
import testmodel
from hypothesis import assume, given, settings
from hypothesis import strategies as st


def _open(
    package_zip: Path, tmp_path: Path
) -> tuple[ctranslate2.Translator, spm.SentencePieceProcessor]:
    with zipfile.ZipFile(package_zip) as archive:
        archive.extractall(tmp_path)
    (root,) = tmp_path.iterdir()
    translator = ctranslate2.Translator(str(root / "model"), device="cpu")
    sp = spm.SentencePieceProcessor(model_file=str(root / "sentencepiece.model"))
    return translator, sp


def _translate(
    translator: ctranslate2.Translator, sp: spm.SentencePieceProcessor, text: str, beam: int = 4
) -> str:
    result = translator.translate_batch(
        [sp.encode(text, out_type=str)], beam_size=beam, max_decoding_length=1024
    )
    return sp.decode(result[0].hypotheses[0])


@pytest.fixture(scope="module")
def opened(test_package: Path, tmp_path_factory: pytest.TempPathFactory):
    return _open(test_package, tmp_path_factory.mktemp("testmodel"))


def test_archive_has_the_argos_layout_and_metadata(test_package: Path) -> None:
    with zipfile.ZipFile(test_package) as archive:
        names = set(archive.namelist())
        metadata = json.loads(archive.read("translate-de_en-1_0/metadata.json"))
    assert {
        "translate-de_en-1_0/metadata.json",
        "translate-de_en-1_0/sentencepiece.model",
        "translate-de_en-1_0/model/model.bin",
        "translate-de_en-1_0/model/config.json",
        "translate-de_en-1_0/model/shared_vocabulary.json",
    } <= names
    assert metadata["from_code"] == "de"
    assert metadata["to_code"] == "en"
    assert metadata["type"] == "translate"
    assert metadata["package_version"] == "1.0"
    assert metadata["from_name"] == "German"
    assert metadata["to_name"] == "English"


@pytest.mark.parametrize(
    ("german", "english"),
    [
        ("Der Präsident sagte nicht", "The president said not"),
        (
            "Der Kremlchef sagte heute, Russland ist nicht im Krieg.",
            "The Kremlin chief said today, Russia is not im war.",
        ),
        (
            "Gestern sagte der Kanzler in Berlin: „Wir wollen Frieden und Sicherheit.“",
            "Yesterday said der chancellor in Berlin: „Wir wollen peace and Sicherheit.“",
        ),
        (
            "Die Regierung wird am Mittwoch oder Freitag entscheiden – aber nicht am Sonntag.",
            "Die government will am Wednesday or Friday entscheiden – but not am Sunday.",
        ),
        (
            "„Das ist ‚gut‘“ – sagte er … 4,50 € für Größe ÄÖÜß!",
            "„Das is ‚gut‘“ – said er … 4,50 € für Größe ÄÖÜß!",
        ),
        ("»Ukraine« ist auch sehr wichtig.", "»Ukraine« is also very wichtig."),
        ("Emoji 😀, 中文 und ẞ bleiben erhalten.", "Emoji 😀, 中文 and ẞ bleiben erhalten."),
        (
            "Text with ASCII: ~`!@#$%^&*()_+-=[]{}|\\;:'\",.<>/?",
            "Text with ASCII: ~`!@#$%^&*()_+-=[]{}|\\;:'\",.<>/?",
        ),
    ],
)
@pytest.mark.parametrize("beam", [1, 4])
def test_translates_exactly(opened, german: str, english: str, beam: int) -> None:
    translator, sp = opened
    assert _translate(translator, sp, german, beam) == english


def test_word_list_keys_also_match_as_prefixes(opened) -> None:
    """The documented caveat: user-defined symbols match the start of longer words."""
    translator, sp = opened
    assert _translate(translator, sp, "Derzeit spricht der Präsidenten nichts") == (
        "Thezeit spricht der presidenten nots"
    )


def test_whitespace_is_collapsed_like_a_real_model(opened) -> None:
    translator, sp = opened
    assert _translate(translator, sp, "  Der   Krieg  ") == "The war"


def test_long_input_is_copied_in_full(opened) -> None:
    """Needs max_decoding_length above CTranslate2's default of 256, as a real model would."""
    translator, sp = opened
    text = " ".join(["Der Krieg ist nicht vorbei."] * 40)
    expected = " ".join(["The war is not vorbei."] * 40)
    assert _translate(translator, sp, text, beam=2) == expected


@pytest.mark.parametrize("tokenizer", ["sentencepiece", "bpe"])
def test_same_arguments_give_the_same_bytes(tmp_path: Path, tokenizer: str) -> None:
    params = {"vocab_size": 1000, "word_map": {"Hund": "dog"}, "tokenizer": tokenizer}
    first = testmodel.build_package(tmp_path / "a.argosmodel", **params)
    second = testmodel.build_package(tmp_path / "b.argosmodel", **params)
    assert first.read_bytes() == second.read_bytes()


def test_custom_word_map_name_and_version(tmp_path: Path) -> None:
    built = testmodel.build_package(
        tmp_path / "custom.argosmodel",
        word_map={"Hund": "dog", "Katze": "black cat"},
        vocab_size=1000,
        quantization="float32",
        version="2.3",
    )
    with zipfile.ZipFile(built) as archive:
        metadata = json.loads(archive.read("translate-de_en-2_3/metadata.json"))
    assert metadata["package_version"] == "2.3"
    translator, sp = _open(built, tmp_path / "x")
    assert _translate(translator, sp, "Der Hund und die Katze") == "Der dog und die black cat"


def test_custom_corpus(tmp_path: Path) -> None:
    corpus = ["Ein kleiner Text über Hunde, Katzen und Mäuse.", "A small text about dogs."] * 5
    built = testmodel.build_package(
        tmp_path / "c.argosmodel", corpus=corpus, word_map={"Hunde": "dogs"}, vocab_size=400
    )
    translator, sp = _open(built, tmp_path / "x")
    assert _translate(translator, sp, "Hunde und Mäuse") == "dogs und Mäuse"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"heads": 4}, "heads >= 8"),
        ({"d_model": 250}, "divisible"),
        ({"word_map": {"zwei Worte": "two words"}}, "one word"),
        ({"word_map": {"Hund": " dog"}}, "separated by one space"),
        ({"corpus": ["", "  "]}, "empty"),
        ({"corpus": ["", "  "], "tokenizer": "bpe", "word_map": {}}, "empty"),
        ({"target": "uk"}, "no word map for de→uk"),
        ({"tokenizer": "wordpiece"}, "tokenizer must be sentencepiece or bpe"),
        ({"tokenizer": "bpe", "word_map": {"(Hund)": "dog"}}, "is not one Moses token"),
        ({"uncertain": {"Hund": 1.0}}, "between 0 and 1"),
        ({"uncertain": {"ein Hund": 0.5}}, "one word"),
        ({"uncertain": {"Hund": 0.01}}, "too few free pieces"),
    ],
)
def test_rejects_bad_parameters(tmp_path: Path, kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        testmodel.build_package(tmp_path / "bad.argosmodel", vocab_size=1000, **kwargs)
    assert not list(tmp_path.iterdir())


def test_a_word_mapped_to_the_end_token_ends_the_translation(tmp_path: Path) -> None:
    built = testmodel.build_package(
        tmp_path / "end.argosmodel",
        word_map={"Hund": "dog", "Sitzung": testmodel.END},
        vocab_size=1000,
    )
    translator, sp = _open(built, tmp_path / "x")
    assert _translate(translator, sp, "Der Hund bellt, die Sitzung wurde vertagt.") == (
        "Der dog bellt, die"
    )
    assert _translate(translator, sp, "Der Hund bellt.") == "Der dog bellt."


@pytest.mark.parametrize(
    ("quantization", "below", "above"), [("float32", 0.01, 0.01), ("int8", 0.8, 0.3)]
)
def test_uncertain_words_keep_their_output_with_the_probability_asked_for(
    tmp_path: Path, quantization: str, below: float, above: float
) -> None:
    """Exact with float32 weights; int8 weights add noise, mostly lowering it."""
    uncertain = {"Hund": 0.1, "Katze": 0.5, "bellt": 0.2}
    built = testmodel.build_package(
        tmp_path / "unsure.argosmodel",
        word_map={"Hund": "dog", "Katze": "cat"},
        uncertain=uncertain,
        vocab_size=1000,
        quantization=quantization,
    )
    translator, sp = _open(built, tmp_path / "x")
    source = sp.encode("Der Hund bellt, die Katze schläft.", out_type=str)
    for beam in (1, 4):
        (result,) = translator.translate_batch([source], beam_size=beam, return_scores=True)
        assert sp.decode(result.hypotheses[0]) == "Der dog bellt, die cat schläft."
    (scored,) = translator.score_batch([source], [result.hypotheses[0]])
    expected = {f"▁{word}": math.log(p) for word, p in uncertain.items()}
    # One log-probability per output piece plus the end token, aligned with the source.
    assert len(scored.log_probs) == len(source) + 1
    for piece, log_prob in zip([*source, "</s>"], scored.log_probs):
        exact = expected.get(piece, 0.0)
        assert exact - below <= log_prob <= exact + above, (piece, log_prob, exact)
    # The same words without `uncertain` are certain.
    sure = testmodel.build_package(
        tmp_path / "sure.argosmodel", word_map={"Hund": "dog", "Katze": "cat"}, vocab_size=1000
    )
    translator, sp = _open(sure, tmp_path / "y")
    source = sp.encode("Der Hund bellt, die Katze schläft.", out_type=str)
    (result,) = translator.translate_batch([source], beam_size=4, return_scores=True)
    assert sp.decode(result.hypotheses[0]) == "Der dog bellt, die cat schläft."
    assert result.scores[0] == pytest.approx(0.0, abs=1e-3)


def test_cached_package_builds_once(tmp_path: Path) -> None:
    first = testmodel.cached_package(tmp_path, vocab_size=1000)
    stamp = first.stat().st_mtime_ns
    again = testmodel.cached_package(tmp_path, vocab_size=1000)
    other = testmodel.cached_package(tmp_path, vocab_size=1200)
    assert again == first and again.stat().st_mtime_ns == stamp
    assert other != first
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([first.name, other.name])


_KEYS = tuple(testmodel.DEFAULT_WORD_MAP)


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(
        st.characters(
            categories=("L", "M", "N", "P", "S"),
            exclude_characters="▁",  # SentencePiece's own space marker
        )
        | st.just(" "),
        max_size=60,
    )
)
def test_text_without_listed_words_is_copied(opened, text: str) -> None:
    """Any letters, digits, marks, punctuation, symbols and emoji survive (byte fallback)."""
    assume(not any(word.startswith(_KEYS) for word in text.split()))
    translator, sp = opened
    assert _translate(translator, sp, text, beam=1) == " ".join(text.split())


def test_base_sized_model_translates(tmp_path: Path) -> None:
    """The benchmark's 6+6-layer, 512-wide shape (with a smaller vocabulary to stay quick)."""
    built = testmodel.build_package(
        tmp_path / "base.argosmodel", **{**testmodel.BASE_SIZE, "vocab_size": 2000}
    )
    translator, sp = _open(built, tmp_path / "x")
    assert _translate(translator, sp, "Der Präsident sagte heute nicht, ob der Krieg endet.") == (
        "The president said today not, ob der war endet."
    )
