"""German articles with known machine-translation defects, for the review-queue tests.

Every word of every sentence is in :data:`CLEAN_MAP`, so the hand-wired test model built with
it (``tests/testmodel.py``) translates word by word into English that language detection
calls English ("Die Regierung hat 30 Millionen Euro bereitgestellt." → "The government has
30 million euro provided."). :data:`DEFECT_MAP` is the same map with a few entries changed
and :data:`UNCERTAIN` makes three words unsure, so a model built with them makes known
mistakes on known sentences, one kind per sentence template:

``numbers``
    ``30``, ``45``, ``70``, ``250`` become other numbers (``3``, ``54``, ``17``, ``25``) and
    ``18`` becomes ``many``; the other numbers of the corpus are never changed.
``untranslated``
    The words of one template (``Viele Bürger fordern endlich günstigere Mieten.``) are left
    out of the map, so the model copies the German.
``repetition``
    ``eines`` → ``the`` and the five genitive nouns after it → ``draft``, so ``den Entwurf
    eines Gesetzes`` comes out as ``the draft the draft``: several German words, one English
    phrase twice.
``negation``
    ``nicht``, ``keinen``, ``nie``, ``ohne`` → ``already``, ``a``, ``often``, ``with``.
``truncation``
    ``wegen`` → the end token: the English stops before it (``The company has the project``).
``confidence``
    ``offenbar``, ``vermutlich``, ``angeblich`` keep their English with probability 0.05.

Each word a defect changes occurs only in its own template, so the sentences of the other
templates (``clean``) come out the same from both models. The expected English of every
sentence is :func:`english` of its words under the model's map.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polib
import testmodel

T = TypeVar("T")

KINDS = ("numbers", "untranslated", "repetition", "negation", "truncation")
"""The defects counted with a recall target (at least :data:`PER_KIND` sentences each)."""

PER_KIND = 50
CONFIDENCE_SENTENCES = 12  # about 2 % of the sentences: all among the build's lowest 5 %
CLEAN_SENTENCES = 300
ARTICLES = 20
TITLE = "Nachrichten aus der Stadt"

SUBJECTS = {
    "Die Regierung": "The government",
    "Der Minister": "The minister",
    "Die Stadt": "The city",
    "Der Verband": "The association",
    "Die Firma": "The company",
    "Der Bürgermeister": "The mayor",
    "Die Polizei": "The police",
    "Der Konzern": "The group",
    "Die Schule": "The school",
    "Das Museum": "The museum",
    "Der Senat": "The senate",
    "Die Behörde": "The authority",
}
OBJECTS = ["einen neuen Plan", "die neue Strategie", "das Projekt", "den Bericht", "eine Studie"]
PARTICIPLES = [
    "vorgestellt",
    "beschlossen",
    "veröffentlicht",
    "geprüft",
    "gelobt",
    "kritisiert",
    "gebilligt",
    "überarbeitet",
]
DAYS = ["Montag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]
THINGS = ["den Hafen", "das Stadion", "die Bahn", "den Wohnungsbau", "die Feuerwehr"]
PRICES = ["Die Preise", "Die Kosten", "Die Löhne", "Die Gebühren", "Die Renten"]
CLEAN_NUMBERS = ["12", "15", "40", "60", "80", "95", "150", "220"]
# German number → what the defect model writes instead ("" and a word: dropped).
BAD_NUMBERS = {"30": "3", "45": "54", "70": "17", "250": "25", "18": "many"}

CLEAN_MAP: dict[str, str] = {
    # articles and function words
    "Die": "The",
    "Der": "The",
    "Das": "The",
    "die": "the",
    "der": "the",
    "das": "the",
    "den": "the",
    "des": "of the",
    "eine": "a",
    "einen": "a",
    "neue": "new",
    "neuen": "new",
    "hat": "has",
    "haben": "have",
    "sind": "are",
    "am": "on",
    "für": "for",
    "und": "and",
    "um": "by",
    "aus": "from",
    # subjects, objects, verbs
    "Regierung": "government",
    "Minister": "minister",
    "Stadt": "city",
    "Verband": "association",
    "Firma": "company",
    "Bürgermeister": "mayor",
    "Polizei": "police",
    "Konzern": "group",
    "Schule": "school",
    "Museum": "museum",
    "Senat": "senate",
    "Behörde": "authority",
    "Plan": "plan",
    "Strategie": "strategy",
    "Projekt": "project",
    "Bericht": "report",
    "Studie": "study",
    "vorgestellt": "presented",
    "beschlossen": "decided",
    "veröffentlicht": "published",
    "geprüft": "examined",
    "gelobt": "praised",
    "kritisiert": "criticised",
    "gebilligt": "approved",
    "überarbeitet": "revised",
    "Montag": "Monday",
    "Mittwoch": "Wednesday",
    "Donnerstag": "Thursday",
    "Freitag": "Friday",
    "Samstag": "Saturday",
    "Sonntag": "Sunday",
    "Nachrichten": "News",
    # money and prices
    "Millionen": "million",
    "Euro": "euro",
    "bereitgestellt": "provided",
    "Hafen": "harbour",
    "Stadion": "stadium",
    "Bahn": "railway",
    "Wohnungsbau": "housing",
    "Feuerwehr": "fire brigade",
    "Preise": "prices",
    "Kosten": "costs",
    "Löhne": "wages",
    "Gebühren": "fees",
    "Renten": "pensions",
    "Prozent": "percent",
    "gestiegen": "risen",
    # untranslated template
    "Viele": "Many",
    "Einige": "Some",
    "Manche": "Several",
    "Alle": "All",
    "Bürger": "citizens",
    "Händler": "traders",
    "Anwohner": "residents",
    "Eltern": "parents",
    "fordern": "demand",
    "wollen": "want",
    "erwarten": "expect",
    "endlich": "finally",
    "dringend": "urgently",
    "jetzt": "now",
    "günstigere": "cheaper",
    "bessere": "better",
    "mehr": "more",
    "schnellere": "faster",
    "sichere": "safe",
    "Mieten": "rents",
    "Busverbindungen": "bus connections",
    "Spielplätze": "playgrounds",
    "Genehmigungen": "permits",
    "Radwege": "cycle paths",
    # repetition template
    "Entwurf": "draft",
    "eines": "of a",
    "Gesetzes": "law",
    "Vertrages": "treaty",
    "Haushalts": "budget",
    "Programms": "programme",
    "Abkommens": "agreement",
    # negation templates
    "nicht": "not",
    "keinen": "no",
    "nie": "never",
    "ohne": "without",
    "Antrag": "application",
    "Debatte": "debate",
    "Abstimmung": "vote",
    "Zustimmung": "consent",
    # truncation template
    "wegen": "because of",
    "hoher": "high",
    "starker": "strong",
    "fehlender": "missing",
    "neuer": "new",
    "Proteste": "protests",
    "Mittel": "funds",
    "Bedenken": "concerns",
    "verschoben": "postponed",
    "gestoppt": "stopped",
    "vertagt": "adjourned",
    # confidence template
    "offenbar": "apparently",
    "vermutlich": "presumably",
    "angeblich": "allegedly",
    # numbers are words too: copied by the clean model
    **{number: number for number in [*CLEAN_NUMBERS, *BAD_NUMBERS]},
}

UNTRANSLATED_WORDS = [
    "Viele",
    "Einige",
    "Manche",
    "Alle",
    "Bürger",
    "Händler",
    "Anwohner",
    "Eltern",
    "fordern",
    "wollen",
    "erwarten",
    "endlich",
    "dringend",
    "jetzt",
    "günstigere",
    "bessere",
    "mehr",
    "schnellere",
    "sichere",
    "Mieten",
    "Busverbindungen",
    "Spielplätze",
    "Genehmigungen",
    "Radwege",
]
GENITIVES = ["Gesetzes", "Vertrages", "Haushalts", "Programms", "Abkommens"]
NEGATIONS = {"nicht": "already", "keinen": "a", "nie": "often", "ohne": "with"}
UNCERTAIN = {"offenbar": 0.05, "vermutlich": 0.05, "angeblich": 0.05}

DEFECT_MAP: dict[str, str] = {
    **{k: v for k, v in CLEAN_MAP.items() if k not in UNTRANSLATED_WORDS},
    **BAD_NUMBERS,
    "eines": "the",
    **{genitive: "draft" for genitive in GENITIVES},
    **NEGATIONS,
    "wegen": testmodel.END,
}


@dataclass(frozen=True)
class Sentence:
    """A German sentence, the defect the defect model puts into it (``kind``, or
    ``clean``) and what the review signal must point at: the German words
    (``german_item``) and the English words (``english_item``) it marks, '' for none, and
    what its reason (the PO file's ``#. review:`` line) must say (``shown``)."""

    german: str
    kind: str
    german_item: str = ""
    english_item: str = ""
    shown: str = ""

    @property
    def words(self) -> list[str]:
        return self.german.removesuffix(".").split()


def english(sentence: str, word_map: Mapping[str, str]) -> str:
    """What the hand-wired model with ``word_map`` makes of one corpus sentence: each word
    replaced (or copied), the final full stop copied, nothing from an END word on."""
    out = []
    for word in sentence.removesuffix(".").split():
        target = word_map.get(word, word)
        if target == testmodel.END:
            return " ".join(out)
        out.append(target)
    return " ".join(out) + "."


def _sample(candidates: Iterable[T], count: int, rng: random.Random) -> list[T]:
    """``count`` different candidates, drawn reproducibly."""
    pool = sorted(set(candidates))  # type: ignore[type-var]
    rng.shuffle(pool)
    if len(pool) < count:
        raise ValueError(f"only {len(pool)} combinations for {count} sentences")
    return pool[:count]


def _lower(subject: str) -> str:
    article, noun = subject.split()
    return f"{article.lower()} {noun}"


def sentences(seed: int = 15) -> list[Sentence]:
    """The corpus: :data:`PER_KIND` sentences of each defect kind, the confidence ones and
    :data:`CLEAN_SENTENCES` clean ones, all different."""
    rng = random.Random(seed)
    subjects = list(SUBJECTS)
    out: list[Sentence] = []
    # numbers: half in euro amounts, half in percentages
    for subject, number, thing in _sample(
        itertools.product(subjects, BAD_NUMBERS, THINGS), PER_KIND // 2, rng
    ):
        spare = BAD_NUMBERS[number]
        out.append(
            Sentence(
                f"{subject} hat {number} Millionen Euro für {thing} bereitgestellt.",
                "numbers",
                f"{number} Millionen",
                f"{spare} million" if spare.isdigit() else "",
                f"number {number} Millionen not in English (English has {spare} million)"
                if spare.isdigit()
                else f"number {number} Millionen missing",
            )
        )
    for prices, number in _sample(
        itertools.product(PRICES, BAD_NUMBERS), PER_KIND - PER_KIND // 2, rng
    ):
        spare = BAD_NUMBERS[number]
        out.append(
            Sentence(
                f"{prices} sind um {number} Prozent gestiegen.",
                "numbers",
                number,
                spare if spare.isdigit() else "",
                f"number {number} not in English (English has {spare})"
                if spare.isdigit()
                else f"number {number} missing",
            )
        )
    # untranslated
    for subject, verb, adverb, wish in _sample(
        itertools.product(
            ["Viele Bürger", "Einige Händler", "Manche Anwohner", "Alle Eltern"],
            ["fordern", "wollen", "erwarten"],
            ["endlich", "dringend", "jetzt"],
            [
                "günstigere Mieten",
                "bessere Busverbindungen",
                "mehr Spielplätze",
                "schnellere Genehmigungen",
                "sichere Radwege",
            ],
        ),
        PER_KIND,
        rng,
    ):
        german = f"{subject} {verb} {adverb} {wish}."
        out.append(Sentence(german, "untranslated", "", german, "a copy of the German"))
    # repetition
    for subject, genitive, participle in _sample(
        itertools.product(subjects, GENITIVES, PARTICIPLES), PER_KIND, rng
    ):
        out.append(
            Sentence(
                f"{subject} hat den Entwurf eines {genitive} {participle}.",
                "repetition",
                "",
                "the draft the draft",
                "phrase 'the draft' repeated 2 times",
            )
        )
    # negation: the four words in turn
    negations = {
        "nicht": [
            f"{s} hat {o} nicht {p}."
            for s, o, p in itertools.product(subjects, OBJECTS, PARTICIPLES)
        ],
        "keinen": [
            f"{s} hat keinen {noun} {p}."
            for s, noun, p in itertools.product(
                subjects, ["Plan", "Bericht", "Antrag"], PARTICIPLES
            )
        ],
        "nie": [
            f"{s} hat {o} nie {p}." for s, o, p in itertools.product(subjects, OBJECTS, PARTICIPLES)
        ],
        "ohne": [
            f"{s} hat {o} ohne {r} {p}."
            for s, o, r, p in itertools.product(
                subjects, OBJECTS, ["Debatte", "Abstimmung", "Zustimmung"], PARTICIPLES
            )
        ],
    }
    for k, (word, candidates) in enumerate(negations.items()):
        count = PER_KIND // len(negations) + (k < PER_KIND % len(negations))
        out += [
            Sentence(g, "negation", word, "", f"negation '{word}' has no counterpart")
            for g in _sample(candidates, count, rng)
        ]
    # truncation
    for subject, obj, cause, participle in _sample(
        itertools.product(
            subjects,
            OBJECTS,
            ["hoher Kosten", "starker Proteste", "fehlender Mittel", "neuer Bedenken"],
            ["verschoben", "gestoppt", "vertagt"],
        ),
        PER_KIND,
        rng,
    ):
        german = f"{subject} hat {obj} wegen {cause} {participle}."
        tail = " ".join(english(german, DEFECT_MAP).split()[-4:])
        out.append(
            Sentence(german, "truncation", "", tail, f"English ends mid-sentence: '…{tail}'")
        )
    # confidence
    for subject, obj, adverb, participle in _sample(
        itertools.product(subjects, OBJECTS, UNCERTAIN, PARTICIPLES), CONFIDENCE_SENTENCES, rng
    ):
        out.append(Sentence(f"{subject} hat {obj} {adverb} {participle}.", "confidence"))
    # clean: four templates
    clean = [
        f"{s} hat am {d} {o} {p}."
        for s, d, o, p in _sample(
            itertools.product(subjects, DAYS, OBJECTS, PARTICIPLES), CLEAN_SENTENCES // 2, rng
        )
    ]
    clean += [
        f"{s} hat {n} Millionen Euro für {t} bereitgestellt."
        for s, n, t in _sample(
            itertools.product(subjects, CLEAN_NUMBERS, THINGS), CLEAN_SENTENCES // 5, rng
        )
    ]
    clean += [
        f"{p} sind um {n} Prozent gestiegen."
        for p, n in _sample(itertools.product(PRICES, CLEAN_NUMBERS), CLEAN_SENTENCES // 10, rng)
    ]
    rest = CLEAN_SENTENCES - len(clean)
    clean += [
        f"{a} und {_lower(b)} haben {o} am {d} {p}."
        for a, b, o, d, p in _sample(
            (
                c
                for c in itertools.product(subjects, subjects, OBJECTS, DAYS, PARTICIPLES)
                if c[0] != c[1]
            ),
            rest,
            rng,
        )
    ]
    out += [Sentence(german, "clean") for german in clean]
    if len({s.german for s in out}) != len(out):
        raise AssertionError("the corpus repeats a sentence")
    return out


def articles(corpus: Sequence[Sentence], count: int = ARTICLES, seed: int = 15) -> list[str]:
    """The corpus shuffled into ``count`` Markdown articles: a title, then one sentence per
    paragraph."""
    shuffled = list(corpus)
    random.Random(seed).shuffle(shuffled)
    out = []
    for k in range(count):
        body = "\n\n".join(s.german for s in shuffled[k::count])
        out.append(f"---\ntitle: {TITLE}\n---\n\n{body}\n")
    return out


def write_project(root: Path, texts: Sequence[str]) -> Path:
    """``root/content/a01.md`` … and an empty ``root/glossaries``; returns ``root``."""
    (root / "content").mkdir(parents=True)
    (root / "glossaries").mkdir()
    for k, text in enumerate(texts, 1):
        (root / "content" / f"a{k:02d}.md").write_text(text, encoding="utf-8")
    return root


def msgid_at(po: Path, line: int) -> str:
    """The msgid that starts at ``line`` (1-based) of a PO file, continuation lines joined:
    where `check --review` and the review page send editors."""
    lines = po.read_text("utf-8").splitlines()[line - 1 :]
    if not lines or not lines[0].startswith("msgid "):
        raise AssertionError(f"{po}:{line} is no msgid line: {lines[:1]}")
    parts = [lines[0].removeprefix("msgid ")]
    for more in lines[1:]:
        if not more.startswith('"'):
            break
        parts.append(more)
    return "".join(polib.unescape(part[1:-1]) for part in parts)
