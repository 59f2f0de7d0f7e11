"""The translation memory's policy (`plan`), without a model or a file: what each unit
needs, the entry it ends with, and what the new memory keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from translate_pipeline import memory, plan
from translate_pipeline.articles import Unit
from translate_pipeline.memory import Entry, Memory

PATH = Path("content/a.md")
MODEL = "translate-de_en 1.0"


def unit(text: str, line: int = 5) -> Unit:
    return Unit(text, f"paragraph {line}", line)


def planned(mem: Memory, *texts: str, signature: tuple[str, ...] = ()) -> list[plan.Planned]:
    languages = {"This is English.": "en", "123": "zxx"}
    return plan.plan_units(
        [unit(t) for t in texts],
        mem,
        "de",
        lambda text: (signature, signature),
        lambda text: languages.get(text, "de"),
    )


def machine(text: str, target: str, glossary: tuple[str, ...] = ()) -> Entry:
    return memory.machine_entry(text, target, MODEL, glossary, signature="\n".join(glossary))


def test_new_units_need_the_machine_unless_they_are_not_in_the_source_language() -> None:
    plans = planned(Memory(), "Der Krieg.", "This is English.", "123")
    assert [(p.needs_machine, p.lang, p.entry) for p in plans] == [
        (True, "de", None),
        (False, "en", None),
        (False, "zxx", None),
    ]


def test_a_current_machine_entry_is_reused_until_its_glossary_changes() -> None:
    mem = Memory({"Der Krieg.": machine("Der Krieg.", "The war.", ("Krieg → war",))})
    (same,) = planned(mem, "Der Krieg.", signature=("Krieg → war",))
    (changed,) = planned(mem, "Der Krieg.", signature=("Krieg → conflict",))
    assert (same.needs_machine, changed.needs_machine) == (False, True)


def test_a_human_entry_is_never_retranslated_for_a_glossary_change() -> None:
    human = Entry("Der Krieg.", "The War.", memory.HUMAN, glossary=("Krieg → war",))
    (p,) = planned(Memory({"Der Krieg.": human}), "Der Krieg.", signature=("Krieg → x",))
    assert not p.needs_machine and p.entry is human


def test_an_editors_needs_work_flag_on_a_human_entry_keeps_the_human_text() -> None:
    flagged = Entry("Der Krieg.", "The War.", memory.HUMAN, fuzzy=True)
    (p,) = planned(Memory({"Der Krieg.": flagged}), "Der Krieg.")
    assert not p.needs_machine
    settled = plan.settle(p, None)
    assert (settled.display, settled.fuzzy) == ("The War.", True)
    (line,) = plan.problems(PATH, [p], [settled], lambda german, english: [])
    assert line.endswith("paragraph 5: human translation marked as needing work")


def test_needs_work_on_machine_english_survives_a_change_of_its_german() -> None:
    flagged = Entry(**{**machine("Der Krieg endet.", "The war ends.").__dict__, "fuzzy": True})
    flagged = Entry(**{**flagged.__dict__, "comments": ("Bitte prüfen: Zeitform",)})
    (p,) = planned(Memory({flagged.source: flagged}), "Der Krieg endet bald.")
    assert (p.needs_machine, p.reason) == (True, plan.CHANGED)
    settled = plan.settle(p, {"target": "The war ends soon.", "model": MODEL})
    assert (settled.origin, settled.target, settled.fuzzy) == (
        "machine",
        "The war ends soon.",
        True,
    )
    assert settled.previous_source == "Der Krieg endet."
    assert settled.comments == ("Bitte prüfen: Zeitform",)
    (line,) = plan.problems(PATH, [p], [settled], lambda german, english: [])
    assert line.endswith("still marked as needing work (its German changed)")


def test_an_entry_without_bookkeeping_is_decided_by_the_machine() -> None:
    same = Entry("Der Krieg.", "The war.", memory.UNVERIFIED)
    edited = Entry("Der Frieden.", "Peace, at last.", memory.UNVERIFIED)
    plans = planned(Memory({e.source: e for e in (same, edited)}), "Der Krieg.", "Der Frieden.")
    assert [(p.needs_machine, p.reason) for p in plans] == [(True, plan.UNVERIFIED)] * 2
    machine_said = {"Der Krieg.": "The war.", "Der Frieden.": "The peace."}
    settled = [plan.settle(p, {"target": machine_said[p.unit.text], "model": MODEL}) for p in plans]
    assert [(e.origin, e.target) for e in settled] == [
        ("machine", "The war."),
        ("human", "Peace, at last."),
    ]


def test_a_reviewed_entry_loses_its_previous_german() -> None:
    reviewed = Entry("Der Krieg.", "The war.", memory.HUMAN, previous_source="Der Krieg!")
    (p,) = planned(Memory({"Der Krieg.": reviewed}), "Der Krieg.")
    assert plan.settle(p, None).previous_source == ""


def test_an_edited_paragraph_finds_its_human_translation_as_fuzzy() -> None:
    human = Entry("Der Präsident sagte heute nichts.", "Today the president said nothing.", "human")
    (p,) = planned(Memory({human.source: human}), "Der Präsident sagte gestern nichts.")
    assert p.entry is not None and p.entry.fuzzy and p.needs_machine
    assert (p.entry.target, p.entry.previous_source) == (human.target, human.source)


def test_settle_keeps_the_human_text_and_adds_the_fresh_machine_translation() -> None:
    human = Entry("Der Präsident sagte heute nichts.", "Today the president said nothing.", "human")
    (p,) = planned(Memory({human.source: human}), "Der Präsident sagte gestern nichts.")
    settled = plan.settle(p, {"target": "The president said yesterday nothing.", "model": MODEL})
    assert (settled.origin, settled.target, settled.fuzzy) == ("human", human.target, True)
    assert settled.display == "The president said yesterday nothing."


def test_settle_records_machine_work_and_keeps_only_formatting_notes() -> None:
    (p,) = planned(Memory(), "Der Krieg.", signature=("Krieg → war",))
    record = {
        "target": "The war.",
        "model": MODEL,
        "problems": ["span 1 (em 'Krieg'): formatting dropped", "glossary target 'war' missing"],
    }
    entry = plan.settle(p, record)
    assert (entry.origin, entry.model, entry.glossary) == ("machine", MODEL, ("Krieg → war",))
    assert entry.notes == ("span 1 (em 'Krieg'): formatting dropped",)
    assert entry.machine_sha1 == memory.sha1("The war.")


def test_settle_copies_units_in_another_language_and_needs_a_record_otherwise() -> None:
    english, german = planned(Memory(), "This is English.", "Der Krieg.")
    copied = plan.settle(english, None)
    assert (copied.origin, copied.target, copied.lang) == ("copy", "This is English.", "en")
    with pytest.raises(KeyError):
        plan.settle(german, None)


def test_merge_keeps_article_order_shared_references_and_unused_human_work() -> None:
    old = Memory(
        {
            "Alt.": Entry("Alt.", "Old.", memory.HUMAN),
            "Weg.": machine("Weg.", "Gone."),
        },
        metadata={"Last-Translator": "Erika"},
    )
    units = [unit("B.", 3), unit("A.", 5), unit("B.", 9)]
    plans = plan.plan_units(units, old, "de", lambda t: ((), ()), lambda t: "de")
    entries = [machine(u.text, u.text.lower()) for u in units]
    new = plan.merge(old, plans, entries, PATH)
    assert list(new.entries) == ["B.", "A."]
    assert new.entries["B."].references == ("content/a.md:3", "content/a.md:9")
    assert [e.source for e in new.obsolete] == ["Alt."]  # human work kept, machine work not
    assert new.metadata == {"Last-Translator": "Erika"}


def test_problems_name_the_file_line_and_what_to_do() -> None:
    fuzzy_human = Entry("A.", "A!", memory.HUMAN, fuzzy=True, previous_source="A?")
    flagged = Entry("B.", "B!", memory.MACHINE, fuzzy=True)
    noted = machine("C.", "C!")
    noted = Entry(**{**noted.__dict__, "notes": ("formatting dropped",)})
    plans = [
        plan.Planned(Unit(t, f"paragraph {n}", n), e, False, "de", ())
        for n, (t, e) in enumerate([("A.", fuzzy_human), ("B.", flagged), ("C.", noted)], 1)
    ]
    entries = [p.entry for p in plans if p.entry is not None]

    def missing(german: str, english: str) -> list[str]:
        return ["glossary target 'X' for 'Y' missing"] if german == "C." else []

    lines = list(plan.problems(PATH, plans, entries, missing))
    assert lines == [
        "content/a.md:1: paragraph 1: human translation needs review (the German changed)",
        "content/a.md:2: paragraph 2: marked as needing review (fuzzy) in the translation memory",
        "content/a.md:3: paragraph 3: formatting dropped",
        "content/a.md:3: paragraph 3: glossary target 'X' for 'Y' missing",
    ]
    assert "formatting dropped" not in " ".join(
        plan.problems(PATH, plans, entries, missing, notes=False)
    )
