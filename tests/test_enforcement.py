"""Glossary enforcement end to end (issue 4): every glossary hit reaches the English.

A corpus of German news articles (tests/data/glossary_corpus/) full of glossary terms in every
form the matcher knows (genitives, plurals, variants, multi-word terms, hyphen compounds; in
bold, in link text, in quotes, next to punctuation) goes through ``translate.translate_units``
and a full ``build.build`` with two real models:

* the default hand-wired test model, which copies the injected English targets faithfully, and
* a *mistranslating* variant whose word map corrupts the injected targets themselves
  ("Kyiv" → "Kiev", "Moscow" → "Moskau", "Kremlin" → "Kreml", ...), the way a real model
  "corrects" names back to the spelling it was trained on. With it the engine's first pass
  loses most targets, so the assertions hold only because enforcement recovers them.

Nothing is mocked: both models run through SentencePiece and CTranslate2.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
import testmodel
from click.testing import CliRunner

from translate_pipeline import build, config, markup, models, translate
from translate_pipeline.articles import Article, article_units, read_article
from translate_pipeline.backend import Translation
from translate_pipeline.cli import main
from translate_pipeline.engine import Engine
from translate_pipeline.glossary import Glossary, Match, load_glossary, missing_targets
from translate_pipeline.report import EXIT_OK

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "data" / "glossary_corpus"
ARTICLES = CORPUS / "articles"
TEST_GLOSSARY = CORPUS / "glossary.yaml"

CORRUPTIONS: dict[str, str] = {
    "Kyiv": "Kiev",
    "„Kyiv": "„Kiev",  # "„Kyiv“" is one piece "▁„Kyiv", not "▁Kyiv"
    "Moscow": "Moskau",
    "Kremlin": "Kreml",  # also "Kremlin chief" and "Kremlin's"
    "Russia": "Russland",
    "Putin": "Poutine",  # also "Vladimir Putin" and "Putin's"
    "Trump": "Trumpf",  # also "Donald Trump" and "Trump administration"
    "NATO": "OTAN",  # also "NATO chief"
    "Kursk": "Kurskaja",  # also "Kursk region"
    "Europe": "Europa",  # a key matches as a prefix too: "European Union" → "Europaan Union"
    "Truth": "Wahrheit",  # "Truth Social"
    "Security": "Safety",  # "Security Council"
    "security": "safety",  # "security guarantees"
    "Zelensky": "Selenskyj",
    "Brussels": "Brüssel",
    "sanction": "Sanktion",  # "sanctions" → "Sanktions"
    "drone": "Drohne",  # "drones" → "Drohnes"
    "ceasefire": "Waffenruhe",
}
"""Injected English target → what the mistranslating model makes of it."""

# The default map turns "Kremlchef" into the single piece "▁Kremlin▁chief", which would shield
# the injected "Kremlin chief" from the "Kremlin" key; the glossary covers "Kremlchef" anyway.
MISTRANSLATING_WORD_MAP = {
    **{de: en for de, en in testmodel.DEFAULT_WORD_MAP.items() if de != "Kremlchef"},
    **CORRUPTIONS,
}

# Markers in every form markup.py emits or restores: "<1>", "</1>", "<2/>", also escaped.
FILE_MARKER = re.compile(
    r"(?:<|&lt;|&#0*60;|&#x0*3c;)\s?/?\s?\d{1,4}\s?/?\s?(?:>|&gt;|&#0*62;|&#x0*3e;)", re.I
)
CODE_OR_URL = re.compile(r"`[^`]*`|\]\([^)]*\)|https?://\S+")
# Whole words the mistranslating model makes of the targets (a key also hits longer words).
CORRUPT_WORDS = re.compile(
    r"(?<!\w)(?:"
    + "|".join(re.escape(v.lstrip("„")) for v in {*CORRUPTIONS.values(), "Europaan", "Sanktions"})
    + r")(?!\w)"
)


def whole_word_count(text: str, phrase: str) -> int:
    return len(re.findall(rf"(?<!\w){re.escape(phrase)}(?!\w)", text))


def has_marker(text: str) -> bool:
    # markup's own marker grammar (incl. half-eaten forms such as "<3" or "3/>") and the
    # HTML-escaped forms a renderer would produce.
    return bool(markup.patterns.MARK.search(text) or FILE_MARKER.search(text))


# --- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def glossary() -> Glossary:
    return load_glossary([REPO / "glossaries", TEST_GLOSSARY])


@pytest.fixture(scope="session")
def corpus() -> list[Article]:
    return [read_article(path) for path in sorted(ARTICLES.glob("*.md"))]


@pytest.fixture(scope="session")
def units(corpus: list[Article]) -> list[str]:
    """Every translatable unit of the corpus: titles, descriptions and block texts."""
    return [unit.text for article in corpus for unit in article_units(article)]


@pytest.fixture(scope="session")
def mistranslating_package(pytestconfig: pytest.Config) -> Path:
    """The variant ``.argosmodel``, cached between runs like conftest's ``test_package``."""
    return testmodel.cached_package(
        pytestconfig.cache.mkdir("testmodel"), word_map=MISTRANSLATING_WORD_MAP
    )


def _install(package_file: Path, folder: Path) -> Engine:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARGOS_PACKAGES_DIR", str(folder))
        return Engine(models.install_from_file(package_file))


@pytest.fixture(scope="session")
def faithful_engine(test_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return _install(test_package, tmp_path_factory.mktemp("faithful-packages"))


@pytest.fixture(scope="session")
def mistranslating_engine(
    mistranslating_package: Path, tmp_path_factory: pytest.TempPathFactory
) -> Engine:
    return _install(mistranslating_package, tmp_path_factory.mktemp("mistranslating-packages"))


@pytest.fixture(scope="session", params=["faithful", "mistranslating"])
def engine(request: pytest.FixtureRequest) -> Engine:
    return request.getfixturevalue(f"{request.param}_engine")


@dataclass
class Run:
    units: list[str]
    results: list[translate.Result]
    calls: list[int]  # sentences per call to the engine


def translate_all(units: Sequence[str], glossary: Glossary, engine: Engine) -> Run:
    calls: list[int] = []

    def counting(sentences: Sequence[str]) -> list[Translation]:
        calls.append(len(sentences))
        return engine.translate(sentences)

    return Run(list(units), translate.translate_units(units, glossary, counting), calls)


@pytest.fixture(scope="session")
def run(units: list[str], glossary: Glossary, engine: Engine) -> Run:
    return translate_all(units, glossary, engine)


# --- the corpus ---------------------------------------------------------------------------


def test_corpus_covers_the_glossary_forms(
    corpus: list[Article], units: list[str], glossary: Glossary
) -> None:
    blocks = [block for article in corpus for block in article.blocks if block.units]
    assert len(blocks) >= 50
    assert {b.kind for b in blocks} >= {"heading", "paragraph", "list_item", "quote"}
    matches = [m for unit in units for m in translate.prepare(unit, glossary).matches]
    assert len(matches) >= 150
    assert {m.form for m in matches} == {"base", "variant", "genitive", "plural"}
    sources = {m.source: m.target for m in matches}
    expected = {
        "Putins": "Putin's",
        "Kiews": "Kyiv's",
        "Kremls": "Kremlin's",
        "Brüssels": "Brussels'",
        "Sicherheitsrates": "Security Council",
        "Sanktionen": "sanctions",
        "Drohnen": "drones",
        "Sicherheitsgarantien": "security guarantees",
        "Kyjiw": "Kyiv",
        "Nato-Chefs": "NATO chief's",
        "Europäischen Union": "European Union",
        "Truth Social": "Truth Social",
        "Gebiet Kursk": "Kursk region",
        "Wladimir Putin": "Vladimir Putin",
        "Trump-Regierung": "Trump administration",
        "US-Präsident": "US President",
    }
    assert {s: sources.get(s) for s in expected} == expected
    text = "\n".join(units)
    for needle in (
        "**Kiew**",
        "[Bericht aus Kiew](https://x.example/Kiew)",
        "„Kiew braucht",
        "(Moskau, Kreml)",
        "Kiew, Moskau und Brüssel",
        "sagte der NATO-Chef.",
        "Rutte in Kiew:",
        "Moskau?",
        "https://x.example/Moskau",
        "`Kreml`",
    ):
        assert needle in text


# --- translate_units with both models -------------------------------------------------------


def test_every_glossary_hit_reaches_the_english(run: Run, glossary: Glossary) -> None:
    assert len(run.results) == len(run.units)
    total = 0
    for unit, result in zip(run.units, run.results):
        prepared = translate.prepare(unit, glossary)
        english = result.target
        total += len(prepared.matches)
        assert missing_targets(english, prepared.matches) == [], (unit, english)
        # Independently of missing_targets: each injected target (possessive included) is in
        # the English at least as often as in the German it was injected into.
        for target in {m.target for m in prepared.matches}:
            injected = whole_word_count(prepared.text, target)
            assert injected >= 1
            assert whole_word_count(english, target) >= injected, (target, unit, english)
        assert result.problems == [], (unit, result.problems)
        assert not has_marker(english), english
        assert not CORRUPT_WORDS.search(CODE_OR_URL.sub("", english)), english
        # URLs and code are never touched by the glossary or the model.
        for protected in CODE_OR_URL.findall(unit):
            assert protected in english
    assert total >= 150


def test_mistranslating_model_loses_targets_that_enforcement_recovers(
    units: list[str],
    glossary: Glossary,
    mistranslating_engine: Engine,
    faithful_engine: Engine,
) -> None:
    prepared = [translate.prepare(unit, glossary) for unit in units]
    # What the model makes of the injected German, without enforcement.
    first_pass = mistranslating_engine.translate([s for p in prepared for s in p.sentences])
    english = iter(first_pass)
    raw = [" ".join(next(english).text for _ in p.sentences) for p in prepared]
    lost = [m for p, text in zip(prepared, raw) for m in missing_targets(text, p.matches)]
    hits = sum(len(p.matches) for p in prepared)
    assert len(lost) >= 0.75 * hits, (len(lost), hits)  # 169 of 201 when written
    joined = "\n".join(raw)
    for corrupted in (
        "Kiev",
        "„Kiev",
        "Moskau",
        "Kreml chief",
        "Poutine's",
        "Trumpf administration",
        "Kurskaja region",
        "Europaan Union",
        "Wahrheit Social",
        "Sanktions",
    ):
        assert corrupted in joined, corrupted
    assert {m.target for m in lost} >= {"Kyiv", "Kyiv's", "Moscow", "Kremlin chief", "Putin's"}

    recovered = translate_all(units, glossary, mistranslating_engine)
    assert len(recovered.calls) == 2, "the lost targets must have gone through the repair pass"
    assert all(
        missing_targets(r.target, p.matches) == [] for r, p in zip(recovered.results, prepared)
    )
    # The repaired sentences read exactly as the faithful model's: enforcement puts each
    # target back verbatim and keeps the spacing and punctuation around it.
    faithful = translate_all(units, glossary, faithful_engine)
    assert len(faithful.calls) == 1, "a model that keeps every target needs no repair pass"
    for unit, bad, good in zip(units, recovered.results, faithful.results):
        assert bad.target == good.target, unit


# --- a full site build over the corpus -------------------------------------------------------


_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


class _Text(HTMLParser):
    """The text a reader sees (code left out) and the link targets of a page; with
    ``side``, only what is inside elements of that class (a bilingual page's "en" column)."""

    def __init__(self, side: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.side = side
        self.parts: list[str] = []
        self.hrefs: list[str] = []
        self._open: list[tuple[str, bool]] = []  # (tag, inside the wanted side)
        self._skip = 0

    @property
    def _inside(self) -> bool:
        return self._open[-1][1] if self._open else self.side is None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        inside = self._inside or (self.side is not None and self.side in classes)
        if inside:
            self.hrefs.extend(v or "" for k, v in attrs if k == "href")
        if tag == "meta" and values.get("name") == "description" and self.side is None:
            self.parts.append(values.get("content") or "")  # the article's description
        if tag in _VOID:
            return
        self._open.append((tag, inside))
        self._skip += tag in ("script", "style", "code")

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break
        self._skip -= tag in ("script", "style", "code")

    def handle_data(self, data: str) -> None:
        if self._inside and not self._skip:
            self.parts.append(data)


def page_text(path: Path, side: str | None = None) -> _Text:
    parser = _Text(side)
    parser.feed(path.read_text("utf-8"))
    return parser


def test_site_build_publishes_every_target_and_no_marker(
    tmp_path: Path, corpus: list[Article], glossary: Glossary, engine: Engine
) -> None:
    glossaries = tmp_path / "glossaries"
    glossaries.mkdir()
    shutil.copy(REPO / "glossaries" / "de-en.yaml", glossaries / "de-en.yaml")
    shutil.copy(TEST_GLOSSARY, glossaries / "test-corpus.yaml")
    options = config.Options(
        content=ARTICLES,
        out=tmp_path / "site",
        translations=tmp_path / "translations",
        glossaries=glossaries,
    )
    report = build.build(options, backends=lambda pair: engine)
    assert report.exit_code == EXIT_OK, report
    assert report.errors == report.skipped == []
    assert [line for line in report.review if "glossary" in line] == []
    assert report.articles == len(corpus)
    assert len(report.translated_units) == len({u.text for a in corpus for u in article_units(a)})

    files = [p for root in (options.out, options.translations) for p in root.rglob("*")]
    files = [p for p in files if p.is_file()]
    assert sum(p.suffix == ".po" for p in files) == len(corpus)
    assert sum(p.suffix == ".html" for p in files) >= 3 * len(corpus)
    for path in files:
        content = path.read_text("utf-8")
        assert not has_marker(content), (path, FILE_MARKER.search(content))

    for article in corpus:
        po = polib.pofile(str(options.translations / f"{article.path.stem}.po"))
        english = {entry.msgid: entry.msgstr for entry in po if not entry.obsolete}
        matches: dict[str, list[Match]] = {}  # per unit "where" (title, description, blocks)
        for unit in article_units(article):
            unit_matches = translate.prepare(unit.text, glossary).matches
            matches.setdefault(unit.where, []).extend(unit_matches)
            assert missing_targets(english[unit.text], unit_matches) == [], unit.text
        urls = re.findall(r"\]\((https?://[^)\s]+)\)", "\n".join(english))
        assert "https://x.example/Kiew" in urls or article.slug != "kiew-gipfel"
        bilingual = ("de-en", "en")  # the bilingual page's English column has no description
        for version, side in (("en", None), bilingual):
            page = page_text(options.out / version / article.slug / "index.html", side)
            text = " ".join(page.parts)
            expected = [
                m
                for where, found in matches.items()
                if version == "en" or where != "description"
                for m in found
            ]
            assert missing_targets(text, expected) == [], (version, article.slug)
            prose = CODE_OR_URL.sub("", text)
            german = {m.source for m in expected if m.source not in m.target}
            assert [g for g in german if whole_word_count(prose, g)] == [], (version, article.slug)
            assert not CORRUPT_WORDS.search(prose), (version, article.slug)
            for url in urls:
                assert url in page.hrefs, (version, url)


# --- the CLI ----------------------------------------------------------------------------------


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_glossary_test_shows_matches_with_location_and_enforced_english(
    argos_packages_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = invoke("glossary", "test", "Der Kremlchef sprach in Kiew.")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "2 glossary match(es):"
    found = {}
    for line in lines[1:3]:
        hit = re.fullmatch(r"  '(\w+)' → '([\w ]+)'  \((\S+):(\d+)\)", line)
        assert hit, line
        source, target, file, number = hit.groups()
        found[source] = target
        # file:line points at the entry an editor has to change.
        entry_line = Path(file).read_text("utf-8").splitlines()[int(number) - 1]
        assert entry_line == f"- de: {source}", line
    assert found == {"Kremlchef": "Kremlin chief", "Kiew": "Kyiv"}
    english = next(line for line in lines if line.startswith("English: "))
    assert "Kremlin chief" in english and "Kyiv" in english
    assert "Kiew" not in english and "Kremlchef" not in english
    assert not has_marker(out)
    assert "problem" not in out


def test_glossary_lint_accepts_the_shipped_glossaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert invoke("glossary", "lint") == (0, "", "")
    # The corpus glossary is loaded next to the shipped one; together they are clean too.
    assert invoke("glossary", "lint", "glossaries", str(TEST_GLOSSARY)) == (0, "", "")


def test_glossary_lint_reports_file_and_line_of_each_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- de: Kiew\n"  # 1
        "  en: Kyiv\n"  # 2
        "- de: Moskau\n"  # 3
        "  en: ''\n"  # 4
        "- de: Kiew\n"  # 5
        "  en: Kiev\n"  # 6
        "- de: Putin\n"  # 7
        "  en: Putin\n"  # 8
        "  genitve: plain\n",  # 9
        encoding="utf-8",
    )
    code, out, _ = invoke("glossary", "lint", str(bad))
    assert code == 1
    lines = out.splitlines()
    assert lines and all(re.match(rf"{re.escape(str(bad))}:\d+: \S", line) for line in lines)
    assert f"{bad}:4: empty 'en'" in lines
    assert any(line.startswith(f"{bad}:5: conflicting targets for 'Kiew'") for line in lines)
    assert f"{bad}:9: unknown key 'genitve' (did you mean 'genitive'?)" in lines

    broken = tmp_path / "broken.yaml"
    broken.write_text("- de: Kiew\n  en: Kyiv\n- de: [Moskau\n", encoding="utf-8")
    code, out, _ = invoke("glossary", "lint", str(broken))
    assert code == 1
    assert re.match(rf"{re.escape(str(broken))}:\d+: YAML: ", out), out


def test_inspect_json_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, err = invoke("inspect", "content/rutte-russland.md", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["lang"] == "de"
    assert isinstance(data["blocks"], list) and data["blocks"]
    source = (REPO / "content" / "rutte-russland.md").read_text("utf-8")
    required = {"kind", "lang", "text", "sentences", "glossary"}
    additions = {"markdown_kind", "line", "where", "action"}
    assert [b["where"] for b in data["blocks"][:2]] == ["title", "description"]
    for block in data["blocks"]:
        # The documented keys, and where the unit is and what the build does with it.
        assert required <= set(block) <= required | additions, set(block)
        assert block["kind"] in ("title", "description", "heading", "paragraph", "list_item")
        assert block["lang"] == "de"
        assert block["action"] == "memory"  # the shipped memory holds every unit
        assert isinstance(block["text"], str) and block["text"] in source
        assert block["sentences"] and all(isinstance(s, str) for s in block["sentences"])
        assert " ".join(block["sentences"]) == " ".join(block["text"].split())
        assert isinstance(block["glossary"], list)
        for hit in block["glossary"]:
            assert set(hit) == {"source", "target"}
            assert isinstance(hit["source"], str) and isinstance(hit["target"], str)
            assert hit["source"] in block["text"]
    assert {b["kind"] for b in data["blocks"]} >= {"heading", "paragraph"}
    kiew = [b for b in data["blocks"] if {"source": "Kiew", "target": "Kyiv"} in b["glossary"]]
    assert kiew and all("Kiew" in b["text"] for b in kiew)
    hits = [(h["source"], h["target"]) for b in data["blocks"] for h in b["glossary"]]
    assert ("Trump-Regierung", "Trump administration") in hits
    assert ("Gebiet Kursk", "Kursk region") in hits
    assert ("Kremlchef", "Kremlin chief") in hits
