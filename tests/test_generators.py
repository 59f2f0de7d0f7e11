"""Issue 13: Markdown as Hugo, Jekyll, Eleventy, Astro, VitePress, Docusaurus and MkDocs
write it. Each test builds one small article (written for the test, in the syntax each
generator documents) with the hand-wired model and looks at the pages; the real articles
of `tests/data/real_world/` are in `test_real_world.py`."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from translate_pipeline.articles import parse_article
from translate_pipeline.cli import main


def build(project: Path, name: str, text: str, *args: str) -> dict:
    path = project / "content" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", "--json", *args], catch_exceptions=False)
    return json.loads(result.stdout)


def page(project: Path, version: str, slug: str) -> str:
    html = (project / "site" / version / slug / "index.html").read_text("utf-8")
    return html[html.index("<main") : html.index("</main>")]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argos_packages_dir: Path) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "glossaries").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- front matter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "feed_time"),
    [
        (  # Hugo, TOML
            '+++\ntitle = "Der Krieg"\ndate = 2024-01-10T08:00:00+02:00\ndraft = false\n+++\n\n'
            "Der Präsident sagte heute nichts.\n",
            "2024-01-10T08:00:00+02:00",
        ),
        (  # Hugo, JSON
            '{\n  "title": "Der Krieg",\n  "date": "2024-01-10T08:00:00+02:00"\n}\n\n'
            "Der Präsident sagte heute nichts.\n",
            "2024-01-10T08:00:00+02:00",
        ),
        (  # Hugo, YAML, quoted
            '---\ntitle: Der Krieg\ndate: "2024-01-10T08:00:00+02:00"\n---\n\n'
            "Der Präsident sagte heute nichts.\n",
            "2024-01-10T08:00:00+02:00",
        ),
        (  # Jekyll
            "---\ntitle: Der Krieg\ndate: 2023-07-22 10:00:00 -0400\n---\n\n"
            "Der Präsident sagte heute nichts.\n",
            "2023-07-22T10:00:00-04:00",
        ),
        (  # Astro
            "---\ntitle: Der Krieg\npubDate: 'Jul 08 2022'\n---\n\n"
            "Der Präsident sagte heute nichts.\n",
            "2022-07-08T00:00:00Z",
        ),
    ],
)
def test_front_matter_and_dates_as_generators_write_them(
    project: Path, text: str, feed_time: str
) -> None:
    answer = build(project, "krieg.md", text)
    assert answer["exit_code"] == 0, answer
    german = page(project, "de", "krieg")
    assert '<h1 id="title">Der Krieg</h1>' in german
    day = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', german)
    assert day is not None and day.group(1) == feed_time[:10]
    feed = (project / "site/en/feed.xml").read_text("utf-8")
    assert f"<updated>{feed_time}</updated>" in feed


def test_title_from_the_first_heading_and_never_twice(project: Path) -> None:
    build(project, "a.md", "# Der Krieg\n\nDer Präsident sagte heute nichts.\n")
    answer = build(project, "b.md", "---\ntitle: Der Frieden\n---\n\n# Der Frieden\n\nText.\n")
    assert answer["exit_code"] == 0, answer
    for slug, title in (("a", "Der Krieg"), ("b", "Der Frieden")):
        german = page(project, "de", slug)
        assert german.count(title) == 1, german
        assert f'<h1 id="title">{title}</h1>' in german


def test_hugo_page_bundles_and_language_suffixes(project: Path) -> None:
    bundle = project / "content" / "posts" / "mein-beitrag"
    bundle.mkdir(parents=True)
    (bundle / "bild.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    text = "---\ntitle: Der Krieg\n---\n\nDer Präsident sagte heute nichts. ![Bild](bild.png)\n"
    (bundle / "index.de.md").write_text(text, "utf-8")
    (bundle / "index.en.md").write_text(
        "---\ntitle: The war\n---\n\nThe president said nothing today, as the English "
        "version of this bundle says at some length for the detector.\n",
        "utf-8",
    )
    answer = build(project, "andere.de.md", "---\ntitle: Der Frieden\n---\n\nText.\n")
    assert answer["exit_code"] == 0, answer
    assert (project / "site/en/mein-beitrag/bild.png").is_file()
    assert (project / "site/de/andere/index.html").is_file()
    assert any("index.en.md: the English version" in w for w in answer["warnings"])


def test_an_english_article_marked_german_is_not_translated(project: Path) -> None:
    answer = build(
        project,
        "falsch.md",
        "---\ntitle: Wrong\nlang: de\n---\n\n"
        + "This article is written in English from start to end, and the editor who "
        "marked it as German made a mistake that the pipeline should catch. " * 3,
    )
    assert answer["exit_code"] == 3
    assert any("marked 'lang: de', but its text is English" in s for s in answer["skipped"])


def test_front_matter_of_any_shape_skips_only_that_file(project: Path) -> None:
    build(project, "gut.md", "---\ntitle: Gut\n---\n\nDer Präsident sagte heute nichts.\n")
    nested = "---\ntitle: Tief\nx: " + "[" * 200 + "]" * 200 + "\n---\n\nText.\n"
    big = "---\ntitle: Zahl\nx: " + "9" * 100_000 + "\n---\n\nText.\n"
    build(project, "tief.md", nested)
    build(project, "hex.md", "---\ntitle: 0x" + "f" * 4000 + "\n---\n\nText.\n")
    answer = build(project, "zahl.md", big)
    assert answer["exit_code"] == 3
    errors = " ".join(answer["errors"])
    for name in ("tief", "zahl", "hex"):
        assert f"content/{name}.md:2: front matter" in errors, errors
    assert (project / "site/en/gut/index.html").is_file()


# --- Markdown as CommonMark reads it ------------------------------------------------------------


def test_commonmark_structure(project: Path) -> None:
    text = """---
title: Struktur
---

## Einleitung {#intro}

- Der erste Punkt
  geht hier weiter.
- Der zweite Punkt

  mit einem zweiten Absatz.

Land | Hauptstadt
--- | ---
Deutschland | Berlin

```js title="a.js"
document.querySelector("h1").textContent = "<h1>Kein Titel</h1>";
```

Zurück zur [Einleitung](#intro) und zu [Über uns](#über-uns).

## Über uns
"""
    answer = build(project, "struktur.md", text)
    assert answer["exit_code"] == 0, answer
    for version in ("de", "en"):
        html = page(project, version, "struktur")
        assert re.search(r'<h2 id="intro">', html) and re.search(r'<h2 id="über-uns">', html)
        assert html.count("<li>") == 2 and "geht hier weiter" in html.replace("goes", "geht")
        assert html.count("<td>") == 2 and html.count("<th>") == 2
        assert '<code class="language-js">' in html and "&lt;h1&gt;Kein Titel" in html
        # (a fragment may come percent-encoded; browsers decode it to find the id)
        assert 'href="#intro"' in html and 'href="#über-uns"' in unquote(html)


# --- other generators' syntax -------------------------------------------------------------------


def test_hugo_shortcodes(project: Path) -> None:
    text = """---
title: Kurzcodes
---

{{< figure
    src="karte.png"
    alt="Eine Karte der Stadt"
    caption="Der Präsident in Berlin"
>}}

{{% notice warning %}}
Der Krieg ist nicht vorbei.
{{% /notice %}}

Siehe [den anderen Artikel]({{< ref "anderer.md" >}}) und {{< param "version" >}} heute.

{{< youtube ZJthWmvUzzc >}}

{{< unbekannt x="1" >}}
"""
    (project / "content" / "karte.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    build(project, "anderer.md", "---\ntitle: Anderer\n---\n\nText.\n")
    answer = build(project, "kurz.md", text)
    assert answer["exit_code"] == 0, answer
    german, english = page(project, "de", "kurz"), page(project, "en", "kurz")
    assert '<figure>\n<img src="karte.png" alt="Eine Karte der Stadt"' in german
    assert "<figcaption>The president in Berlin</figcaption>" in english
    assert '<aside class="callout callout-warning">' in german and "Warnung" in german
    assert ">Warning<" in english and "The war is not vorbei." in english
    assert (
        '<a href="../anderer/index.html"' in german and '<a href="../anderer/index.html"' in english
    )
    assert 'href="https://www.youtube.com/watch?v=ZJthWmvUzzc"' in english
    for html in (german, english):
        assert "{{" not in html and "}}" not in html
    warnings = "\n".join(answer["warnings"])
    assert (
        "content/kurz.md:19: {{< unbekannt >}} is not supported; left out of the page" in warnings
    )
    assert "{{< param >}} is not supported" in warnings


def test_jekyll_liquid_and_kramdown(project: Path) -> None:
    text = """---
title: Jekyll
---

> Der Präsident sagte heute nichts.
{: .prompt-tip }

{% highlight ruby %}
puts "Hallo"
{% endhighlight %}

Ein [Link](https://example.org){:target="_blank"} im Satz.

{% include image.html url="bild.png" description="Ein Bild der Stadt" %}

{% comment %}
Nicht für Leser.
{% endcomment %}
"""
    answer = build(project, "jekyll.md", text)
    assert answer["exit_code"] == 0, answer
    german = page(project, "de", "jekyll")
    assert '<aside class="callout callout-tip">' in german
    assert '<code class="language-ruby">puts "Hallo"' in german
    assert "{:" not in german and "target" not in german
    assert '<img src="bild.png" alt="Ein Bild der Stadt"' in german
    assert "Nicht für Leser" not in german and "{%" not in german


def test_containers_admonitions_and_alerts(project: Path) -> None:
    text = """---
title: Hinweise
---

::: tip Gut zu wissen
Der Präsident sagte heute nichts.
:::

:::note[Der Kanzler]
Heute ist Montag.
:::

::: details Mehr lesen
Der Krieg ist nicht vorbei.
:::

!!! warning "Vorsicht"
    Der Frieden ist sehr wichtig.

> [!NOTE]
> Der Kanzler sagte gestern nichts.
"""
    answer = build(project, "hinweise.md", text)
    assert answer["exit_code"] == 0, answer
    german, english = page(project, "de", "hinweise"), page(project, "en", "hinweise")
    assert german.count('<aside class="callout') == 4
    assert '<p class="callout-title">Gut zu wissen</p>' in german
    assert '<p class="callout-title">The chancellor</p>' in english
    assert "<details>\n<summary>Mehr lesen</summary>" in german
    assert '<p class="callout-title">Hinweis</p>' in german  # the alert, in German
    assert '<p class="callout-title">Note</p>' in english
    assert ":::" not in german and "!!!" not in german and "[!NOTE]" not in german


def test_mdx_statements_and_components(project: Path) -> None:
    text = """---
title: Komponenten
---
import { Aside, Tabs, TabItem } from '@astrojs/starlight/components';
export const version = 3;

<Aside type="caution" title="Achtung">
Der Krieg ist nicht vorbei.
</Aside>

<Tabs>
<TabItem label="Erster">
Der Präsident sagte heute nichts.
</TabItem>
</Tabs>

<Badge text="Neu" />

{/* Ein Kommentar */}
"""
    answer = build(project, "komponenten.mdx", text)
    assert answer["exit_code"] == 0, answer
    german = page(project, "de", "komponenten")
    assert '<aside class="callout callout-caution">' in german
    assert '<p class="callout-title">Achtung</p>' in german
    assert "<strong>Erster</strong>" in german and "Der Präsident sagte heute nichts." in german
    assert "import" not in german and "Kommentar" not in german and "Badge" not in german
    assert any("<Badge> is not supported" in w for w in answer["warnings"])


def test_raw_html_is_translated_and_kept_safe(project: Path) -> None:
    text = """---
title: Roh
---

<details id="mehr">
<summary>Der Präsident</summary>
<p>Der Krieg ist <b>heute</b> nicht vorbei.</p>
</details>

<noscript><p>Der Kanzler sagte nichts.</p></noscript>

<iframe src="https://www.youtube.com/embed/abc" title="Ein Video"></iframe>

<div onclick="alert(1)">Der Frieden</div>
"""
    answer = build(project, "roh.md", text)
    assert answer["exit_code"] == 0, answer
    english = page(project, "en", "roh")
    assert '<details id="mehr">' in english and "<summary>The president</summary>" in english
    assert "The war is <b>today</b> not vorbei." in english
    assert "<p>The chancellor said nots.</p>" in english and "noscript" not in english
    assert (
        '<a href="https://www.youtube.com/embed/abc" rel="noopener noreferrer">Ein Video</a>'
        in english
    )
    assert "onclick" not in english and "<iframe" not in english
    assert any("attribute onclick= of <div> removed" in w for w in answer["warnings"])


def test_the_three_pages_come_from_one_parse(project: Path) -> None:
    """A lazy continuation line, a list in a quote and a footnote used twice: the German
    page and the German column of the bilingual page hold the same elements."""
    text = """---
title: Eins
---

> Der Präsident sagte
heute nichts.[^1]

> - Der Krieg
> - Der Frieden[^1]

[^1]: Der Kanzler.
"""
    build(project, "eins.md", text)
    german = page(project, "de", "eins")
    bilingual = page(project, "de-en", "eins")
    column = "".join(
        re.findall(r'<div class="de" lang="de">(.*?)</div><div class="en"', bilingual, re.S)
    )

    def tags(html: str) -> list[str]:
        return [
            t
            for t in re.findall(r"<(\w+)", html)
            if t not in ("div", "section", "ol", "li", "hr", "a", "sup")
        ]

    assert sorted(tags(column)) == sorted(tags(german[german.index('<div class="body">') :]))
    assert parse_article(project / "content/eins.md", text).blocks[0].kind == "quote"
