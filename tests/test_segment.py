"""Tests for the German sentence splitter: gold-set accuracy, hard cases, nothing-lost property."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from translate_pipeline.segment import split_sentences

GOLD_PATH = Path(__file__).parent / "data" / "segmentation_de.jsonl"
GOLD = [json.loads(line) for line in GOLD_PATH.read_text(encoding="utf-8").splitlines() if line]


def test_gold_set_is_consistent() -> None:
    assert len(GOLD) >= 120
    assert len({row["id"] for row in GOLD}) == len(GOLD)
    for row in GOLD:
        assert row["sentences"], row["id"]
        assert all(s and s == s.strip() for s in row["sentences"]), row["id"]
        assert " ".join(row["sentences"]) == " ".join(row["text"].split()), row["id"]


def test_gold_set_accuracy() -> None:
    failures = []
    for row in GOLD:
        got = split_sentences(row["text"])
        if got != row["sentences"]:
            gold = row["sentences"]
            failures.append(f"#{row['id']} [{row['tag']}]\n  got:  {got}\n  gold: {gold}")
    accuracy = 1 - len(failures) / len(GOLD)
    print(f"segmentation accuracy: {accuracy:.1%} ({len(GOLD) - len(failures)}/{len(GOLD)})")
    print("\n".join(failures))
    assert accuracy >= 0.98, "\n".join(failures)


def _one(text: str) -> None:
    assert split_sentences(text) == [text]


@pytest.mark.parametrize(
    "text",
    [
        "Am 15. März beginnt die Messe.",
        "Sie wurde am 3. Oktober eröffnet.",
        "Die Kirche stammt aus dem 19. Jahrhundert.",
        "Die Frist endet am 15.03.2025 um Mitternacht.",
        "Die Frist endet am 15. 3. 2025 um Mitternacht.",
        "Das Gesetz passierte den Bundestag in 2. und 3. Lesung.",
        "Er feierte seinen 80. Geburtstag in Rom.",
        "3. Die Folgen für den Arbeitsmarkt",
        "Der 1. FC Köln gewann.",
        "Er ist der 47. Präsident der USA.",
        "Bayern verlor die 3. Partie in Folge.",
        "Die Krönung Karls III. Anfang Mai verfolgten Millionen.",
    ],
)
def test_ordinals_and_dates_do_not_split(text: str) -> None:
    _one(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Die Zahl stieg auf 15. Die Polizei ermittelt.", 2),
        ("Er landete auf Platz 3. Damit ist er raus.", 2),
        ("Das war im Jahr 2024. Danach wurde es ruhiger.", 2),
        ("Die Frist endet am 15. 3. 2025. Danach ist Schluss.", 2),
        ("Das Spiel endete 2:1. Bayern bleibt vorn.", 2),
        ("Im Vorjahr waren es 1.302. Das ist weniger.", 2),
    ],
)
def test_numbers_can_end_sentences(text: str, expected: int) -> None:
    assert len(split_sentences(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Viele Städte, z. B. Köln, haben reagiert.",
        "Viele Städte, z.B. Köln, haben reagiert.",
        "Betroffen sind u. a. Pendler.",
        "Betroffen sind u.a. Pendler.",
        "Laut Dr. Schmidt ist das Risiko gering.",
        "Sie wohnt in Haus Nr. 5 im Erdgeschoss.",
        "Gemeint sind Kinder bzw. Jugendliche.",
        "Es kostet ca. 5 Mio. Euro.",
        "Der Verlust lag bei 1,2 Mrd. Dollar.",
        "Strom, Gas, Wasser etc. werden teurer.",
        "Es gibt Ausnahmen, d. h. Kleinbetriebe sind befreit.",
        "Betroffen sind v. a. Landkreise im Osten.",
        "Die Kirche St. Marien ist alt.",
        "Es sprach Prof. Dr. Weber.",
        "Es schrieben Hr. Meier und Fr. Schulz.",
        "Das steht im Bericht (vgl. S. 14) ganz unten.",
        "Nach § 5 Abs. 2 ist das erlaubt.",
        "Sie entstand im 13. Jh. nach einem Brand.",
        "Sie liegt in der Hauptstr. 12 am Markt.",
        "Der Bürgermeister, Dipl.-Ing. Peter Lang, sprach.",
        "Das Treffen fand i. d. R. montags statt.",
        "Länder wie Estland o. ä. Staaten sind Vorbilder.",
        "Donald J. Trump kündigte Zölle an.",
        "Der Autor George R. R. Martin schreibt.",
        "Vgl. hierzu den Beitrag auf S. 7 im Anhang.",
        "Manche Parteien, z. B. Die Linke, sind dagegen.",
        "Die Frist läuft ab, d. h. Sie müssen jetzt handeln.",
    ],
)
def test_abbreviations_and_initials_do_not_split(text: str) -> None:
    _one(text)


@pytest.mark.parametrize(
    "text",
    [
        "Dazu gehörten Zeitungen, Briefe usw. Die Familie gab alles ab.",
        "Gemüse, Obst etc. Alles wurde teurer.",
        "Gefördert werden Solaranlagen o. Ä. Anträge sind online zu stellen.",
        "Es kamen Politiker, Künstler u. a. Die Stimmung war gut.",
        "Der Schaden beträgt 3 Mio. Die Versicherung zahlt.",
        "Die Stadt wurde um 50 v. Chr. gegründet. Damals war sie klein.",
        "Angeklagt ist Michael S. Er schweigt.",
        "Die Regierung hat keinen Plan B. Das sagte ein Sprecher.",
        "Es ist der TSV e. V. Dort trainieren 300 Kinder.",
    ],
)
def test_sentence_final_abbreviations_split(text: str) -> None:
    assert len(split_sentences(text)) == 2


@pytest.mark.parametrize(
    "text",
    [
        "Der Leitzins liegt bei 2,5 Prozent und 2.75 Prozent.",
        "„Wir werden … alles tun“, sagte sie.",
        "„Wir haben […] Fehler gemacht“, sagte er.",
        "Er sprach von einem „Angriff auf die … Demokratie“ im Saal.",
        "Mehr unter https://x.example/a.b?c=d direkt im Formular.",
        "Schreiben Sie an presse@stadt.example.de oder rufen Sie an.",
        "Die Studie auf www.rki.de umfasst 16 Länder.",
    ],
)
def test_decimals_ellipsis_urls_do_not_split(text: str) -> None:
    _one(text)


def test_ellipsis_before_sentence_opener_splits() -> None:
    assert split_sentences("Man wartete ... Dann kam die Nachricht.") == [
        "Man wartete ...",
        "Dann kam die Nachricht.",
    ]


def test_url_and_email_at_sentence_end_split() -> None:
    assert split_sentences("Infos unter https://x.example/a.b. Dort steht alles.") == [
        "Infos unter https://x.example/a.b.",
        "Dort steht alles.",
    ]
    assert split_sentences("Mail an info@x.example.de. Wir antworten.") == [
        "Mail an info@x.example.de.",
        "Wir antworten.",
    ]
    # The next word is no typical sentence opener, so only the URL/e-mail rule splits here.
    assert len(split_sentences("Infos unter https://x.example/a.b. Merz schwieg.")) == 2
    assert len(split_sentences("Mail an info@x.example.de. Merz schwieg.")) == 2
    assert len(split_sentences("Mehr auf tagesschau.de. Merz schwieg.")) == 2
    assert split_sentences("Mehr auf tagesschau.de. Dort gibt es einen Liveblog.") == [
        "Mehr auf tagesschau.de.",
        "Dort gibt es einen Liveblog.",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("„Kommt ihr?“, fragte er. Keiner kam.", ["„Kommt ihr?“, fragte er.", "Keiner kam."]),
        ("„Warum jetzt?“ fragte sie leise.", ["„Warum jetzt?“ fragte sie leise."]),
        ("»Wir sind zufrieden«, sagte er.", ["»Wir sind zufrieden«, sagte er."]),
        ("Er sagte: „Wir kommen.“ Dann ging er.", ["Er sagte: „Wir kommen.“", "Dann ging er."]),
        ('Er sagte: "Nein." Dann ging er.', ['Er sagte: "Nein."', "Dann ging er."]),
        (
            "Putin fragte: „Was bedeutet es? Bedeutet das …? Das ist nicht klar.“",
            ["Putin fragte: „Was bedeutet es?", "Bedeutet das …?", "Das ist nicht klar.“"],
        ),
        (
            "„Wir haben alles versucht. Es reichte nicht“, sagte sie.",
            ["„Wir haben alles versucht.", "Es reichte nicht“, sagte sie."],
        ),
        ("„Nein!“ Mit diesem Wort ging sie.", ["„Nein!“", "Mit diesem Wort ging sie."]),
        (
            "„Es gibt keinen Plan B.“ Merz widersprach.",
            ["„Es gibt keinen Plan B.“", "Merz widersprach."],
        ),
        ("(Siehe Anlage B.) Merz widersprach.", ["(Siehe Anlage B.)", "Merz widersprach."]),
        ("Der Titel „Wer hat Angst?“ ist bekannt.", ["Der Titel „Wer hat Angst?“ ist bekannt."]),
        ("„Angst?“ – „Nein, Respekt.“", ["„Angst?“ – „Nein, Respekt.“"]),
        ("„Wir sehen …“ Mehr sagte er nicht.", ["„Wir sehen …“", "Mehr sagte er nicht."]),
        (
            "„Er sagte: ‚Das geht nicht.‘ Ich war baff“, so die Zeugin.",
            ["„Er sagte: ‚Das geht nicht.‘", "Ich war baff“, so die Zeugin."],
        ),
    ],
)
def test_quotation_convention(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**Berlin.** Die Regierung tagt.", ["**Berlin.**", "Die Regierung tagt."]),
        ("Es sind **1,2 Mio.** Die Behörde warnt.", ["Es sind **1,2 Mio.**", "Die Behörde warnt."]),
        ("Siehe [Teil eins. Teil zwei](https://x.example/a.b) hier.", None),
        ("Laut [Dr. Müller](https://x.example/m) stimmt das.", None),
        ("Der Aufruf `load(). Danach` steht im Handbuch.", None),
        ("Der Aufruf ``a `b`. C`` steht im Handbuch.", None),
        ("Mehr im [Liveblog](https://x.example/l?id=5). Die Lage ist ernst.", 2),
        ("Die Regierung schweigt. _Die Opposition_ protestiert.", 2),
    ],
)
def test_markdown(text: str, expected: list[str] | int | None) -> None:
    got = split_sentences(text)
    if expected is None:
        assert got == [text]
    elif isinstance(expected, int):
        assert len(got) == expected
    else:
        assert got == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Markers as produced by markup.protect: spans "<n> … </n>", placeholders "<n/>".
        ("Am 15. <1> März </1> beginnt die Messe.", None),
        ("Am <1> 3. </1> Oktober ist Feiertag.", None),
        ("Die Frist läuft bis 15. <1> März </1> und nicht länger.", None),
        ("<1> 3. </1> Die Folgen", None),
        ("Laut <1> Dr. </1> Weber stimmt das.", None),
        ("Viele Städte, z. B. <1> Köln </1>, haben reagiert.", None),
        (
            "Er sagte: „<1> Wir kommen. </1>“ Dann ging er.",
            ["Er sagte: „<1> Wir kommen. </1>“", "Dann ging er."],
        ),
        ("<1> Berlin. </1> Die Regierung tagt.", ["<1> Berlin. </1>", "Die Regierung tagt."]),
        (
            "Es sind <1> 1,2 Mio. </1> Die Behörde warnt.",
            ["Es sind <1> 1,2 Mio. </1>", "Die Behörde warnt."],
        ),
        (
            "Es stieg auf <1> 15 </1>. Die Polizei ermittelt.",
            ["Es stieg auf <1> 15 </1>.", "Die Polizei ermittelt."],
        ),
        (
            "<1> Das ist gut. </1> <2> Das auch. </2>",
            ["<1> Das ist gut. </1>", "<2> Das auch. </2>"],
        ),
        ("Siehe <1/>. <2/> zeigt mehr.", ["Siehe <1/>.", "<2/> zeigt mehr."]),
    ],
)
def test_markup_markers(text: str, expected: list[str] | None) -> None:
    assert split_sentences(text) == (expected or [text])


def test_placeholders_are_ordinary_tokens() -> None:
    assert split_sentences("Der Bericht @@PH0@@ Die Welt zitiert Quellen.") == [
        "Der Bericht @@PH0@@ Die Welt zitiert Quellen."
    ]
    assert split_sentences("Sie schwieg. @@PH1@@ Berlin reagierte.") == [
        "Sie schwieg.",
        "@@PH1@@ Berlin reagierte.",
    ]


def test_lowercase_continuation_and_camel_case_brand() -> None:
    assert split_sentences("Es kam. dann ging es.") == ["Es kam. dann ging es."]
    assert split_sentences("Apple stellte es vor. iPhone-Nutzer warten.") == [
        "Apple stellte es vor.",
        "iPhone-Nutzer warten.",
    ]


def test_whitespace_is_collapsed_and_nbsp_blocks_a_boundary() -> None:
    assert split_sentences("  Eins\nzwei.\n\nDrei  vier.\t") == ["Eins zwei.", "Drei vier."]
    assert split_sentences("Er kam.\u00a0Dann ging er.") == ["Er kam. Dann ging er."]
    assert split_sentences("") == []
    assert split_sentences(" \n\t ") == []


_FRAGMENTS = st.sampled_from(
    [
        "Die Regierung tagt.",
        "z. B.",
        "Dr.",
        "am 15. März",
        "im 19. Jahrhundert",
        "15.03.2025",
        "„Kommt ihr?“, fragte er.",
        "„Nein.“",
        "»Ja«",
        "usw.",
        "etc.",
        "u. a.",
        "Mio.",
        "…",
        "...",
        "https://x.example/a.b?c=d",
        "a@b.example.de.",
        "**fett.**",
        "[Link. Text](https://x.y/z)",
        "`code. Code`",
        "`",
        "@@PH0@@",
        "3.",
        "III.",
        "S.",
        "Er",
        "Die",
        "iPhone",
        "?",
        "!",
        "\n",
        "<1>",
        "</1>",
        "<2/>",
        " </3>“",
        "\u00a0",
        "  ",
        "\t",
    ]
)
_TEXTS = st.one_of(
    st.lists(_FRAGMENTS, max_size=25).map(" ".join),
    st.lists(_FRAGMENTS, max_size=25).map("".join),
    st.text(max_size=200),
)


@settings(max_examples=500, deadline=None)
@given(_TEXTS)
def test_nothing_lost(text: str) -> None:
    sentences = split_sentences(text)
    assert " ".join(sentences) == " ".join(text.split())
    assert all(s and s == s.strip() and " ".join(s.split()) == s for s in sentences)
