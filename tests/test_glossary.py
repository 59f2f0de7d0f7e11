from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from translate_pipeline.config import Pair
from translate_pipeline.glossary import (
    Glossary,
    GlossaryError,
    lint,
    load_glossary,
    missing_targets,
    parse_yaml,
)
from translate_pipeline.glossary import Term as Entry

REPO = Path(__file__).resolve().parents[1]
# Sentences from the sample article (rutte-russland).
SAMPLE = (
    "Die Trump-Regierung habe den Stillstand in diesem Krieg überwunden. "
    "Berliner Zeitung: US-Präsident Donald Trump hat am Freitag in einem Post auf seiner "
    "Onlineplattform Truth Social den russischen Präsidenten gebeten. Der Generalstab in Kiew "
    "wies allerdings zurück, dass die Soldaten eingekesselt seien. Putin ging daraufhin bei "
    "einer Sitzung des nationalen russischen Sicherheitsrates auf Trumps Bitte ein. Die "
    "Führung in Kiew solle den Soldaten im Gebiet Kursk befehlen, so Russlands Präsident. "
    "Der Kremlchef lobte erneut, dass Trump alles tue."
)


def glossary(yaml_text: str) -> Glossary:
    entries, problems = parse_yaml(yaml_text, "test.yaml")
    assert [p for p in problems if p.severity == "error"] == []
    return Glossary(tuple(entries))


def hits(g: Glossary, text: str) -> list[tuple[str, str]]:
    return [(m.source, m.target) for m in g.find(text)]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def messages(problems) -> list[str]:
    return [str(p) for p in problems]


NAMES = glossary(
    """
- de: Rutte
  en: Rutte
- de: Putin
  en: Putin
- de: Trump
  en: Trump
- de: Donald Trump
  en: Donald Trump
- de: Kiew
  en: Kyiv
- de: Brüssel
  en: Brussels
- de: Truth Social
  en: Truth Social
- de: Social
  en: societal
- de: Gebiet
  en: region
  en_plural: regions
  case_sensitive: false
  plural: true
- de: Sicherheitsrat
  en: Security Council
  genitive: plain
- de: Kur
  en: cure
  genitive: "off"
"""
)


# --- matching -------------------------------------------------------------------------------


def test_whole_words_only():
    assert hits(NAMES, "Ruttenberg und Rutte") == [("Rutte", "Rutte")]
    assert hits(NAMES, "Putin2 Putin_x XPutin") == []
    extended = NAMES.with_overrides([{"de": "Ruttenberg", "en": "Ruttenberg"}])
    assert hits(extended, "Ruttenberg") == [("Ruttenberg", "Ruttenberg")]


def test_hyphen_is_a_boundary_and_longer_compound_entry_wins():
    assert hits(NAMES, "Die Trump-Regierung") == [("Trump", "Trump")]
    g = NAMES.with_overrides({"Trump-Regierung": "Trump administration"})
    assert hits(g, "Die Trump-Regierung und Trump") == [
        ("Trump-Regierung", "Trump administration"),
        ("Trump", "Trump"),
    ]


def test_genitive_emits_possessive():
    assert hits(NAMES, "Putins Rede in Kiews Zentrum") == [
        ("Putins", "Putin's"),
        ("Kiews", "Kyiv's"),
    ]
    assert hits(NAMES, "Brüssels Haltung") == [("Brüssels", "Brussels'")]


def test_genitive_plain_and_off():
    assert hits(NAMES, "des Sicherheitsrates") == [("Sicherheitsrates", "Security Council")]
    assert hits(NAMES, "die Kur, der Kurs") == [("Kur", "cure")]


def test_case_insensitive_entries_default_to_plain_genitive():
    assert hits(NAMES, "des Gebietes") == [("Gebietes", "region")]


def test_plural_forms_only_where_enabled():
    assert hits(NAMES, "in den Gebieten, im Gebiet") == [
        ("Gebieten", "regions"),
        ("Gebiet", "region"),
    ]
    assert hits(NAMES, "Kiewen Rutten") == []


def test_longest_match_wins():
    assert hits(NAMES, "auf Truth Social, sozial: Social") == [
        ("Truth Social", "Truth Social"),
        ("Social", "societal"),
    ]
    assert hits(NAMES, "Donald Trump und Trump") == [
        ("Donald Trump", "Donald Trump"),
        ("Trump", "Trump"),
    ]


def test_multi_word_terms_match_across_line_breaks():
    assert hits(NAMES, "Post auf Truth\nSocial") == [("Truth\nSocial", "Truth Social")]


def test_case_sensitivity():
    assert hits(NAMES, "kiew KIEW Kiew") == [("Kiew", "Kyiv")]
    assert hits(NAMES, "GEBIET gebiet") == [("GEBIET", "region"), ("gebiet", "region")]


def test_explicit_variant_gets_inflections():
    g = glossary("- de: Kiew\n  en: Kyiv\n  variants: [Kyjiw]\n")
    assert [(m.source, m.target, m.form) for m in g.find("Kyjiw, Kyjiws")] == [
        ("Kyjiw", "Kyiv", "variant"),
        ("Kyjiws", "Kyiv's", "genitive"),
    ]


def test_match_offsets():
    text = "In Kiew sprach Putin."
    for m in NAMES.find(text):
        assert text[m.start : m.end] == m.source


@pytest.mark.parametrize(
    "text",
    [
        "[Link](https://kiew.example/Kiew)",
        "![Bild](bilder/Kiew.png 'Kiew')",
        "Code: `Kiew` und ``a ` Kiew``",
        "<https://example.org/Kiew>",
        "siehe https://example.org/Kiew?x=1",
        "Mail an Kiew@example.org",
        '<a href="/Kiew">',
        "[Text][Kiew]\n\n[Kiew]: https://example.org",
        "```\nKiew\n```",
        "<!-- Kiew -->",
    ],
)
def test_markdown_code_and_urls_are_never_matched(text):
    assert NAMES.find(text) == []


def test_link_text_is_matched_but_not_its_target():
    assert hits(NAMES, "[Kiew](https://kiew.example/Kiew) und Kiew") == [
        ("Kiew", "Kyiv"),
        ("Kiew", "Kyiv"),
    ]
    assert [m.start for m in NAMES.find("[Kiew](https://x/Kiew)")] == [1]


def test_caller_protected_spans():
    text = "Kiew und Kiew"
    assert [m.start for m in NAMES.find(text, protected=[(0, 4)])] == [9]
    # A match only partly protected is dropped too.
    assert NAMES.find("Truth Social", protected=[(8, 9)]) == []


@given(st.text(alphabet="KiewsTruth Social-`[]()/:xn\n", max_size=60))
def test_matches_are_ordered_disjoint_and_at_word_boundaries(text):
    previous_end = 0
    for m in NAMES.find(text):
        assert previous_end <= m.start < m.end
        assert text[m.start : m.end] == m.source
        assert m.start == 0 or not text[m.start - 1].isalnum()
        assert m.end == len(text) or not text[m.end].isalnum()
        previous_end = m.end


# --- per-article overrides ------------------------------------------------------------------


def test_override_with_list_of_entries():
    g = NAMES.with_overrides([{"de": "Kiew", "en": "Kiev", "note": "historical quote"}])
    assert hits(g, "Kiew") == [("Kiew", "Kiev")]
    assert hits(NAMES, "Kiew") == [("Kiew", "Kyiv")]  # the global glossary is unchanged


def test_override_with_mapping_replaces_regardless_of_case():
    g = NAMES.with_overrides({"Gebiet": "area"})
    assert hits(g, "Gebiet") == [("Gebiet", "area")]
    assert hits(g, "gebiet") == []  # the case-insensitive global entry is gone


def test_override_with_entries():
    g = NAMES.with_overrides([Entry(source="Putin", target="PUTIN")])
    assert hits(g, "Putin") == [("Putin", "PUTIN")]


def test_bad_override_raises():
    with pytest.raises(GlossaryError, match=r"article.md: glossary entry 2: missing 'en'"):
        NAMES.with_overrides([{"de": "A", "en": "B"}, {"de": "Kiew"}], source="article.md")


# --- missing_targets ------------------------------------------------------------------------


def test_missing_targets_counts_multiplicity():
    matches = NAMES.find("Kiew ist nicht Kiews Vorort.")
    assert [m.source for m in missing_targets("Kyiv is not a suburb.", matches)] == ["Kiews"]
    assert missing_targets("Kyiv is not Kyiv's suburb.", matches) == []


def test_missing_targets_expects_base_form_for_genitive():
    matches = NAMES.find("Putins Rede")
    assert missing_targets("the speech of Putin", matches) == []
    assert len(missing_targets("the speech of the president", matches)) == 1


def test_missing_targets_longer_target_claims_its_words():
    matches = NAMES.find("Donald Trump und Trump")
    assert [m.source for m in missing_targets("Donald Trump and he", matches)] == ["Trump"]
    assert missing_targets("Donald Trump and Trump", matches) == []


def test_missing_targets_whole_word_and_case():
    assert len(missing_targets("Kyivan", NAMES.find("Kiew"))) == 1
    assert len(missing_targets("kyiv", NAMES.find("Kiew"))) == 1
    assert missing_targets("Region", NAMES.find("Gebiet")) == []
    assert missing_targets("two regions", NAMES.find("Gebieten")) == []


# --- where a hit comes from ---------------------------------------------------------------


def test_a_hit_knows_its_form_and_the_entry_location(tmp_path):
    path = write(tmp_path, "g.yaml", "# names\n- de: Putin\n  en: Putin\n")
    (hit,) = load_glossary(path).find("Putins Rede")
    assert (hit.source, hit.start, hit.end, hit.form, hit.target) == (
        "Putins",
        0,
        6,
        "genitive",
        "Putin's",
    )
    assert (hit.term.source, hit.term.location) == ("Putin", f"{path}:2")


def test_generic_and_language_code_keys_are_the_same_entry(tmp_path):
    path = write(tmp_path, "g.yaml", "- source: Kiew\n  target: Kyiv\n- de: Moskau\n  en: Moscow\n")
    assert [(e.source, e.target) for e in load_glossary(path).entries] == [
        ("Kiew", "Kyiv"),
        ("Moskau", "Moscow"),
    ]
    both = write(tmp_path, "both.yaml", "- de: Kiew\n  source: Kiew\n  en: Kyiv\n")
    assert [str(p) for p in lint([both])] == [f"{both}:2: 'source' and 'de' both given; keep one"]


# --- loading --------------------------------------------------------------------------------


def test_load_directory_in_sorted_order_later_wins(tmp_path):
    write(tmp_path, "b.yml", "- de: Kiew\n  en: Kiev\n")
    write(tmp_path, "a.yaml", "- de: Kiew\n  en: Kyiv\n")
    write(tmp_path, "c.tsv", "# de\ten\tnote\nMoskau\tMoscow\tcapital\n")
    write(tmp_path, "ignored.txt", "- de: Kiew\n  en: nope\n")
    g = load_glossary(tmp_path)
    assert hits(g, "Kiew, Moskau") == [("Kiew", "Kiev"), ("Moskau", "Moscow")]
    assert g.entries[-1] == Entry(
        "Moskau", "Moscow", note="capital", file=str(tmp_path / "c.tsv"), line=2
    )


def test_mapping_shorthand(tmp_path):
    path = write(tmp_path, "g.yaml", "Kiew: Kyiv\nMoskau: Moscow\n")
    assert [(e.source, e.target, e.line) for e in load_glossary(path).entries] == [
        ("Kiew", "Kyiv", 1),
        ("Moskau", "Moscow", 2),
    ]


def test_unparsable_yaml_gives_file_and_line(tmp_path):
    path = write(tmp_path, "bad.yaml", "- de: Kiew\n  en: Kyiv\n- de: [Moskau\n  en: Moscow\n")
    with pytest.raises(GlossaryError) as exc:
        load_glossary(path)
    assert str(exc.value).startswith(f"{path}:4: YAML: ")
    assert messages(lint([path]))[0].startswith(f"{path}:4: YAML: ")


def test_bad_tab_in_yaml_gives_line(tmp_path):
    path = write(tmp_path, "bad.yaml", "- de: Kiew\n  en: Kyiv\n-\tde: x\n")
    assert messages(lint([path]))[0].startswith(f"{path}:3: YAML: ")


def test_unknown_key_without_a_near_miss_lists_the_known_keys(tmp_path):
    path = write(tmp_path, "g.yaml", "- de: Moskau\n  en: Moscow\n  farbe: rot\n")
    assert [str(p) for p in lint([path])] == [
        f"{path}:3: unknown key 'farbe' (known keys: de, en, note, variants, case_sensitive, "
        "genitive, plural, en_plural)"
    ]


def test_malformed_entry_blocks_loading(tmp_path):
    path = write(tmp_path, "g.yaml", "- de: Kiew\n  en: Kyiv\n- de: Moskau\n  targte: Moscow\n")
    with pytest.raises(GlossaryError) as exc:
        load_glossary(path)
    assert str(exc.value) == (
        f"{path}:3: missing 'en'\n{path}:4: unknown key 'targte' (did you mean 'target'?)"
    )


def test_tsv_column_count(tmp_path):
    path = write(tmp_path, "g.tsv", "Kiew\tKyiv\t\nMoskau\n")
    assert messages(lint([path])) == [f"{path}:2: expected de<TAB>en[<TAB>note], got 1 column(s)"]


# --- lint -----------------------------------------------------------------------------------


def lint_one(tmp_path: Path, text: str) -> list[str]:
    return messages(lint([write(tmp_path, "g.yaml", text)]))


def test_lint_duplicate(tmp_path):
    out = lint_one(
        tmp_path, "- de: Kiew\n  en: Kyiv\n- de: Moskau\n  en: Moscow\n- de: Kiew\n  en: Kyiv\n"
    )
    g = tmp_path / "g.yaml"
    assert out == [f"{g}:5: duplicate entry 'Kiew' (also at {g}:1)"]


def test_lint_conflicting_targets_across_files(tmp_path):
    a = write(tmp_path, "a.yaml", "- de: Kiew\n  en: Kyiv\n")
    b = write(tmp_path, "b.yaml", "# old list\n- de: Kiew\n  en: Kiev\n")
    assert messages(lint([tmp_path])) == [
        f"{b}:2: conflicting targets for 'Kiew': 'Kiev' here, 'Kyiv' at {a}:1; the later entry wins"
    ]


def test_lint_conflict_with_case_insensitive_entry(tmp_path):
    out = lint_one(
        tmp_path, "- de: Gebiet\n  en: area\n- de: gebiet\n  en: region\n  case_sensitive: false\n"
    )
    assert len(out) == 1 and out[0].startswith(f"{tmp_path / 'g.yaml'}:3: conflicting targets")


def test_lint_empty_fields(tmp_path):
    out = lint_one(
        tmp_path, "- de: Kiew\n  en: Kyiv\n- de: ''\n  en: x\n- de: Moskau\n  en:\n  note:\n"
    )
    g = tmp_path / "g.yaml"
    assert out == [f"{g}:3: empty 'de'", f"{g}:6: empty 'en'", f"{g}:7: warning: empty 'note'"]


def test_lint_never_matching_terms(tmp_path):
    out = lint_one(
        tmp_path,
        "- de: ' Kiew'\n  en: Kyiv\n"
        "- de: '--'\n  en: dash\n"
        "- de: '#Kiew'\n  en: Kyiv\n"
        "- de: kremlchef\n  en: Kremlin chief\n"
        "- de: Moskau\n  en: 'Moscow '\n",
    )
    g = tmp_path / "g.yaml"
    assert out == [
        f"{g}:1: warning: de ' Kiew' has spaces around it; used as 'Kiew'",
        f"{g}:3: de '--' has no letters or digits; it never matches",
        f"{g}:5: de '#Kiew' must start with a letter or digit to match as a word",
        f"{g}:7: warning: de 'kremlchef' is all lowercase but case-sensitive, so it misses "
        "the capitalised noun and sentence starts; set case_sensitive: false",
        f"{g}:10: warning: en 'Moscow ' has spaces around it; used as 'Moscow'",
    ]


def test_lint_variant_duplicating_another_entry(tmp_path):
    out = lint_one(tmp_path, "- de: Kiew\n  en: Kyiv\n- de: Kyiv\n  en: Kyiv\n  variants: [Kiew]\n")
    assert out == [
        f"{tmp_path / 'g.yaml'}:3: 'Kiew' duplicates entry 'Kiew' at {tmp_path / 'g.yaml'}:1"
    ]


def test_lint_variant_that_is_an_automatic_genitive(tmp_path):
    out = lint_one(tmp_path, "- de: Rutte\n  en: Rutte\n  variants: [Ruttes]\n")
    assert out == [
        f"{tmp_path / 'g.yaml'}:1: warning: variant 'Ruttes' is also the genitive of 'Rutte': "
        "listing it emits 'Rutte' instead of \"Rutte's\""
    ]


def test_lint_redundant_variant(tmp_path):
    out = lint_one(tmp_path, "- de: Rat\n  en: council\n  genitive: plain\n  variants: [Rates]\n")
    assert out == [
        f"{tmp_path / 'g.yaml'}:1: warning: variant 'Rates' is redundant: already the genitive "
        "of 'Rat'"
    ]


def test_lint_inflection_clashing_with_another_entry(tmp_path):
    out = lint_one(tmp_path, "- de: Kur\n  en: cure\n- de: Kurs\n  en: course\n")
    g = tmp_path / "g.yaml"
    assert out == [
        f"{g}:3: warning: 'Kurs' (base) is also the genitive of 'Kur' at {g}:1; only one can apply"
    ]


def test_lint_overlap_that_changes_meaning(tmp_path):
    out = lint_one(
        tmp_path,
        "- de: Social\n  en: societal\n- de: Truth Social\n  en: Truth Social\n"
        "- de: Trump\n  en: Trump\n- de: Donald Trump\n  en: Donald Trump\n",
    )
    g = tmp_path / "g.yaml"
    assert out == [
        f"{g}:3: warning: 'Truth Social' contains 'Social' ({g}:1) but 'Truth Social' "
        "does not contain its target 'societal'"
    ]


def test_lint_unknown_key_and_bad_values(tmp_path):
    out = lint_one(
        tmp_path,
        "- de: Kiew\n  en: Kyiv\n  case_sensitve: false\n"
        "- de: NO\n  en: Norway\n"
        "- de: Gebiet\n  en: region\n  genitive: maybe\n  plural: ja\n"
        "- de: Rutte\n  en: Rutte\n  en_plural: Ruttes\n",
    )
    g = tmp_path / "g.yaml"
    assert out == [
        f"{g}:3: unknown key 'case_sensitve' (did you mean 'case_sensitive'?)",
        f"{g}:4: 'de' must be text, got False; put it in quotes",
        f"{g}:8: 'genitive' must be one of possessive, plain, off, got 'maybe'",
        f"{g}:9: 'plural' must be true or false, got 'ja'",
        f"{g}:10: warning: 'en_plural' has no effect without 'plural: true'",
    ]


def test_lint_repeated_key_in_entry(tmp_path):
    out = lint_one(tmp_path, "- de: Kiew\n  en: Kyiv\n  en: Kiev\n")
    assert out == [f"{tmp_path / 'g.yaml'}:3: key 'en' repeated in entry"]


# --- the shipped glossary -------------------------------------------------------------------


def test_shipped_glossary_lints_clean():
    assert messages(lint([REPO / "glossaries"])) == []


def test_shipped_glossary_on_sample_article():
    g = load_glossary(REPO / "glossaries")
    found = {(m.source, m.target) for m in g.find(SAMPLE)}
    assert {
        ("Trump-Regierung", "Trump administration"),
        ("Donald Trump", "Donald Trump"),
        ("Trumps", "Trump's"),
        ("Russlands", "Russia's"),
        ("Kiew", "Kyiv"),
        ("Kremlchef", "Kremlin chief"),
        ("Sicherheitsrates", "Security Council"),
        ("Gebiet Kursk", "Kursk region"),
        ("Truth Social", "Truth Social"),
        ("Berliner Zeitung", "Berliner Zeitung"),
    } <= found


# --- more target languages ------------------------------------------------------------------

MULTI = """\
- de: Kiew
  en: Kyiv
  fr: Kyiv
  uk: Київ
- de: Bundestag
  en: Bundestag
- de: Putin
  en: Putin
  fr: Poutine
- de: Landtag
  uk: ландтаг
"""


def test_one_glossary_with_a_column_per_language(tmp_path):
    path = write(tmp_path, "g.yaml", MULTI)
    others = ("en", "fr", "uk")
    french = load_glossary(path, Pair("de", "fr"), others=others)
    assert [(t.source, t.target) for t in french.entries] == [
        ("Kiew", "Kyiv"),
        ("Putin", "Poutine"),
    ]
    ukrainian = load_glossary(path, Pair("de", "uk"), others=others)
    assert [(t.source, t.target) for t in ukrainian.entries] == [
        ("Kiew", "Київ"),
        ("Landtag", "ландтаг"),
    ]
    english = load_glossary(path, Pair("de", "en"), others=others)
    assert [t.source for t in english.entries] == ["Kiew", "Bundestag", "Putin"]
    # The step of a pivot through English: English terms to French ones.
    pivot = load_glossary(path, Pair("en", "fr"), others=("de", "uk"))
    assert [(t.source, t.target) for t in pivot.entries] == [("Kyiv", "Kyiv"), ("Putin", "Poutine")]


def test_possessive_is_english_only(tmp_path):
    path = write(tmp_path, "g.yaml", MULTI)
    text = "Die Rede Putins war lang."
    french = load_glossary(path, Pair("de", "fr"), others=("en", "uk"))
    (hit,) = french.find(text)
    assert (hit.source, hit.target) == ("Putins", "Poutine")
    (hit,) = load_glossary(path, Pair("de", "en"), others=("fr", "uk")).find(text)
    assert (hit.source, hit.target) == ("Putins", "Putin's")


def test_language_keys_are_only_accepted_for_the_builds_languages(tmp_path):
    path = write(tmp_path, "g.yaml", "- de: Kiew\n  en: Kyiv\n  fr: Kyiv\n")
    with pytest.raises(GlossaryError) as exc:
        load_glossary(path, Pair("de", "en"))  # an English-only project: 'fr' is a typo
    assert "unknown key 'fr'" in str(exc.value)
    no_target = write(tmp_path, "n.yaml", "- de: Kiew\n  note: only a note\n")
    with pytest.raises(GlossaryError) as exc:
        load_glossary(no_target, Pair("de", "fr"), others=("en",))
    assert f"{no_target}:1: missing 'fr'" in str(exc.value)


def test_tsv_with_a_language_header_row(tmp_path):
    path = write(
        tmp_path, "g.tsv", "de\ten\tfr\tnote\nKiew\tKyiv\tKyiv\tAP\nBundestag\tBundestag\t\t\n"
    )
    assert messages(lint([path], Pair("de", "fr"), others=("en",))) == []
    french = load_glossary(path, Pair("de", "fr"), others=("en",))
    assert [(t.source, t.target, t.note) for t in french.entries] == [("Kiew", "Kyiv", "AP")]
    english = load_glossary(path, Pair("de", "en"), others=("fr",))
    assert [(t.source, t.target) for t in english.entries] == [
        ("Kiew", "Kyiv"),
        ("Bundestag", "Bundestag"),
    ]
