"""Tests for language detection: article and block languages, robustness, determinism."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import langdetect
import pytest
from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY

from translate_pipeline import detect
from translate_pipeline.detect import (
    UNDETERMINED,
    article_language,
    block_language,
    detect_language,
)

GERMAN = [
    "Putin ging daraufhin bei einer Sitzung des nationalen russischen Sicherheitsrates auf "
    "Trumps Bitte ein. Für eine effektive Umsetzung solle die Führung in Kiew den ukrainischen "
    "Soldaten im Gebiet Kursk befehlen, die Waffen niederzulegen.",
    "Der Kremlchef lobte erneut, dass Trump alles tue, um das Verhältnis zwischen Moskau und "
    "Washington wiederherzustellen.",
    "Die Bundesregierung hat sich nach wochenlangen Verhandlungen auf einen Entwurf für den "
    "Haushalt geeinigt. Das teilte ein Regierungssprecher am Mittwochabend in Berlin mit.",
    "Bei einem schweren Unwetter sind in Süddeutschland mehrere Menschen verletzt worden.",
]
ENGLISH = [
    "We are having very good and productive discussions with President Putin, and there is a "
    "very good chance that this horrible, bloody war can finally come to an end.",
    "The Trump administration, the president himself, has broken the stalemate in this war "
    "because he started to engage with the Russians.",
    "Nobody expected the central bank to cut rates again this year, but inflation has fallen "
    "faster than most economists had predicted.",
]


@pytest.mark.parametrize("text", GERMAN)
def test_german_paragraphs(text: str) -> None:
    lang, prob = detect_language(text)
    assert lang == "de"
    assert prob > 0.9
    assert block_language(text, "de") == "de"
    assert block_language(text, "en") == "de"  # long, clear blocks override the article


@pytest.mark.parametrize("text", ENGLISH)
def test_english_paragraphs(text: str) -> None:
    lang, prob = detect_language(text)
    assert lang == "en"
    assert prob > 0.9


def test_article_language() -> None:
    assert article_language(GERMAN) == "de"
    assert article_language(ENGLISH) == "en"
    # A German article with one English quote is still German.
    assert article_language([*GERMAN, ENGLISH[0]]) == "de"
    assert article_language(["", "123", "---"]) == UNDETERMINED


@pytest.mark.parametrize("text", ["", "   ", "123 456", "---", "https://example.org/the-news"])
def test_text_without_letters_is_undetermined(text: str) -> None:
    assert detect_language(text) == (UNDETERMINED, 0.0)
    assert block_language(text, "de") == "de"


@pytest.mark.parametrize(
    "heading",
    [
        "Champions League: Bayern gegen Real",
        "Viktor Orbán blockiert Hilfen",
        "Giorgia Meloni und die EU",
        "NATO-Gipfel in Den Haag",
        "Analyse",
        "Kommentar",
    ],
)
def test_short_german_heading_in_german_article_stays_german(heading: str) -> None:
    # Raw detection gets these wrong, often with probability ~1.0; the block rule must not.
    assert detect_language(heading)[0] != "de"
    assert block_language(heading, "de") == "de"


@pytest.mark.parametrize(
    "heading",
    ["Regierung einigt sich auf Haushalt", "Warum steigen die Preise?", "15. März", "Fazit"],
)
def test_short_german_headings(heading: str) -> None:
    assert block_language(heading, "de") == "de"


@pytest.mark.parametrize(
    "item",
    ["Comments", "Sky News", "Donald Trump", "Make America Great Again", "Live-Ticker", "OK"],
)
def test_short_ambiguous_items_do_not_flip(item: str) -> None:
    assert block_language(item, "de") == "de"
    assert block_language(item, "en") == "en"


def test_short_but_clearly_english_sentence_flips() -> None:
    assert block_language("Sign up for our weekly newsletter", "de") == "en"
    assert block_language("We will fight for every inch of our land", "de") == "en"


def test_long_english_quote_block() -> None:
    block = (
        "> „We are having very good and productive discussions with **President Putin**, and "
        "there is a very good chance that this horrible, bloody war can finally come to an "
        "end.“ ([Truth Social](https://truthsocial.example/@realDonaldTrump/114))"
    )
    assert block_language(block, "de") == "en"


def test_german_paragraph_with_english_quote_stays_german() -> None:
    block = (
        "Trump schrieb auf Truth Social: „We are having very good discussions.“ Das sei ein "
        "gutes Zeichen, sagte Rutte am Freitag in Brüssel, und die Verhandlungen würden "
        "fortgesetzt, auch wenn noch viele Fragen offen seien."
    )
    assert block_language(block, "de") == "de"


def test_urls_and_code_are_not_language_evidence() -> None:
    block = (
        "Die Anleitung steht unter https://example.org/how-to-install-the-software-on-your-"
        "computer-and-get-started-with-the-tools und [hier](https://example.org/read-the-full-"
        "english-documentation-for-all-the-things), Befehl `install the package with all of "
        "the optional dependencies`."
    )
    assert detect_language(block)[0] == "de"
    assert block_language(block, "de") == "de"


@pytest.mark.parametrize(
    "block",
    [
        "Analyse: https://www.example.org/analysis-of-the-war-and-what-comes-next-for-europe",
        "Analyse: www.example.org/analysis-of-the-war-and-what-comes-next-for-europe",
        "[Analyse](https://www.example.org/analysis-of-the-war-and-what-comes-next-for-europe)",
        "[Analyse](/analysis-of-the-war-and-what-comes-next-for-europe)",
        "Analyse: the-analysis-of-the-war-desk@what-comes-next-for-europe.example",
        '<abbr title="Analysis of the war and what comes next">Analyse</abbr>',
        "Analyse `what comes next for the people of europe and the world`",
    ],
)
def test_stripped_parts_do_not_make_a_short_block_long(block: str) -> None:
    # Counted as a long block, "Analyse" (detected as Tagalog) would leave the article language.
    assert block_language(block, "de") == "de"


def test_deterministic_regardless_of_call_order() -> None:
    texts = GERMAN + ENGLISH + ["Analyse", "Sky News", "Make America Great Again"]
    forward = [detect_language(t) for t in texts]
    backward = [detect_language(t) for t in reversed(texts)][::-1]
    assert forward == backward
    assert forward == [detect_language(t) for t in texts]


def test_unaffected_by_global_langdetect_state() -> None:
    texts = ["Analyse", "Sky News", GERMAN[0], ENGLISH[0]]
    before = [detect_language(t) for t in texts]
    old_seed = DetectorFactory.seed
    try:
        DetectorFactory.seed = None  # what other code using langdetect may leave behind
        langdetect.detect_langs("Irgendein anderer Aufruf der globalen Fabrik.")
        after = [detect_language(t) for t in texts]
    finally:
        DetectorFactory.seed = old_seed
    assert after == before


_SUBPROCESS = (
    "import json; from translate_pipeline.detect import detect_language;"
    "print(json.dumps([detect_language(t) for t in json.loads(input())]))"
)


def test_deterministic_across_processes() -> None:
    texts = ["Analyse", "Sky News", "Warum steigen die Preise?", GERMAN[0], ENGLISH[0]]
    results = []
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        proc = subprocess.run(
            [sys.executable, "-c", _SUBPROCESS],
            input=json.dumps(texts),
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        results.append(json.loads(proc.stdout))
    assert results[0] == results[1]
    assert [tuple(r) for r in results[0]] == [detect_language(t) for t in texts]


# --- the shortcuts around langdetect ------------------------------------------------------

DATA = Path(__file__).parent / "data"
GERMAN_PARAGRAPHS = [
    json.loads(line)["text"]
    for line in (DATA / "segmentation_de.jsonl").read_text("utf-8").splitlines()
] + [line for line in (DATA / "formatted_de.txt").read_text("utf-8").splitlines() if line]
NOT_GERMAN = [
    tuple(line.split("\t", 1))
    for line in (DATA / "not_german.tsv").read_text("utf-8").splitlines()
    if line and not line.startswith("#")
]


def _langdetect_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch the function-word shortcut off: every decision goes through langdetect."""
    monkeypatch.setattr(detect, "_clearly_german", lambda words, max_english: False)


def test_probability_table_is_langdetects_own() -> None:
    reference = DetectorFactory()
    profiles = sorted(Path(PROFILES_DIRECTORY).iterdir())
    reference.load_json_profile([p.read_text(encoding="utf-8") for p in profiles])
    ours = detect._factory()
    assert ours.langlist == reference.langlist
    table = ours.word_lang_prob_map
    assert all(ngram in table for ngram in reference.word_lang_prob_map)
    assert "zzzz" not in table and "\x00" not in table
    assert all(table[n] == row for n, row in reference.word_lang_prob_map.items())


def test_shortcuts_give_langdetects_answers_on_german(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = detect._detect_clean
    monkeypatch.setattr(detect, "_detect_clean", lambda t: calls.append(t) or real(t))
    fast = [block_language(t, "de") for t in GERMAN_PARAGRAPHS]
    fast_articles = [article_language(GERMAN_PARAGRAPHS[i : i + 5]) for i in range(0, 250, 5)]
    # The shortcuts spare langdetect most of the work, or they would not be worth having.
    assert len(calls) < 0.3 * (len(GERMAN_PARAGRAPHS) + len(fast_articles))
    _langdetect_only(monkeypatch)
    assert fast == [block_language(t, "de") for t in GERMAN_PARAGRAPHS]
    assert fast_articles == [
        article_language(GERMAN_PARAGRAPHS[i : i + 5]) for i in range(0, 250, 5)
    ]
    assert set(fast_articles) == {"de"}


def test_shortcut_never_takes_other_languages_for_german() -> None:
    wrongly = [
        (lang, text)
        for lang, text in NOT_GERMAN
        if detect._clearly_german(detect._words(text), max_english=0.2)
    ]
    assert wrongly == []
    assert len({lang for lang, _ in NOT_GERMAN}) >= 24


def test_shortcuts_give_langdetects_answers_on_other_languages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [text for _, text in NOT_GERMAN]
    groups = [texts[i : i + 10] for i in range(0, len(texts), 10)]
    fast = [block_language(t, "de") for t in texts], [article_language(g) for g in groups]
    _langdetect_only(monkeypatch)
    slow = [block_language(t, "de") for t in texts], [article_language(g) for g in groups]
    assert fast == slow
