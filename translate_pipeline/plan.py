"""The translation memory's policy: what each unit needs, and the entry it ends up with.

Pure functions over an article's units and its `memory.Memory`, so the rules can be read
and tested without a model or a file:

* `plan_units`: per unit, the current entry (or a human one that fits after an edit of the
  German) and whether the machine must translate it;
* `settle`: the entry a unit ends the build with, given the machine's work;
* `merge`: the article's new memory, keeping human work that is no longer in use;
* `problems`: what a person should look at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from translate_pipeline import memory
from translate_pipeline.articles import Unit
from translate_pipeline.memory import Entry, Memory
from translate_pipeline.quality import Signal

COPY_LANGUAGE = "zxx"  # no linguistic content (numbers, code, URLs): copied as it is


# Why a unit goes to the machine (`Planned.reason`); VIA: the English it was translated
# from (for a target reached through English) is no longer the English memory's.
NEW, GLOSSARY, CHANGED, UNVERIFIED, VIA = "new", "glossary", "changed", "unverified", "via"


@dataclass
class Planned:
    """A unit with its current memory entry, if any, and whether the machine must run."""

    unit: Unit
    entry: Entry | None
    needs_machine: bool
    lang: str
    signature: tuple[str, ...]  # the glossary output the unit depends on (`translate`)
    terms: tuple[str, ...] = ()  # the glossary entries applied, for people
    reason: str = ""  # NEW, GLOSSARY, CHANGED, UNVERIFIED or VIA when the machine runs
    via: str = ""  # what the model translates when it is not the unit: its English

    @property
    def input(self) -> str:
        """The text the model is given."""
        return self.via or self.unit.text


def changed_german(entry: Entry) -> bool:
    """A fuzzy entry whose German changed (it has a different previous msgid), as opposed
    to one an editor flagged as needing work."""
    return entry.fuzzy and bool(entry.previous_source) and entry.previous_source != entry.source


def plan_units(
    units: Sequence[Unit],
    mem: Memory,
    source_lang: str,
    glossary_of: Callable[[str], tuple[tuple[str, ...], tuple[str, ...]]],
    language_of: Callable[[str], str],
    english: Mapping[str, str] | None = None,
) -> list[Planned]:
    """What each unit needs. `glossary_of(text)` gives the glossary signature and terms of
    what the model translates; `language_of` is asked only for units without an entry.
    `english`: for a target reached through English, each unit's English (the English
    memory's, after this build's machine translations), which is what the model is given."""
    plans = []
    # German in use: the article's units, then each orphan as it is claimed. Built once,
    # not per unit: per unit it made planning quadratic in the article's size.
    used = {u.text for u in units}
    for unit in units:
        via = english.get(unit.text, "") if english is not None else ""
        signature, terms = glossary_of(via or unit.text)
        entry = mem.get(unit.text)
        if entry is None:
            orphan = mem.closest_orphan(unit.text, used)
            if orphan is not None:
                # The German of an editor's work changed: keep it, flagged, with the
                # previous German, as msgmerge does.
                entry = replace(
                    orphan,
                    source=unit.text,
                    fuzzy=True,
                    previous_source=orphan.source,
                    machine_target="",
                )
                used.add(orphan.source)
        if entry is None:
            lang = language_of(unit.text)
            needs = lang == source_lang or (bool(via) and lang == "en")
            reason = NEW if needs else ""
            plans.append(Planned(unit, None, needs, lang, signature, terms, reason, via))
            continue
        reason = ""
        if entry.is_unverified:
            reason = UNVERIFIED  # decided by comparing with the machine (`settle`)
        elif entry.origin == memory.MACHINE and entry.fuzzy:
            reason = CHANGED if changed_german(entry) else ""  # an editor's "needs work"
        elif entry.origin == memory.MACHINE and not entry.glossary_current(signature):
            reason = GLOSSARY
        elif entry.origin == memory.MACHINE and via and entry.via and entry.via != via:
            reason = VIA  # a person edited the English, or its German changed
        elif entry.is_human and changed_german(entry) and not entry.machine_target:
            reason = CHANGED  # pages show fresh machine English until it is reviewed
        lang = entry.lang or source_lang
        plans.append(Planned(unit, entry, bool(reason), lang, signature, terms, reason, via))
    return plans


def settle(
    plan: Planned, machine: Mapping[str, Any] | None, review: Sequence[Signal] = ()
) -> Entry:
    """The memory entry a unit ends the build with; `machine` is the machine's record for
    it (`target`, `model`, `problems`) when it needed one, `review` why a person should
    check that translation. An editor's comments and flags stay with the entry whatever
    happens to its text."""
    entry = plan.entry
    if entry is not None and not plan.needs_machine:
        if not entry.fuzzy and (entry.previous_source or entry.machine_target):
            # Reviewed: the previous German and the machine's proposal have done their job.
            return replace(entry, previous_source="", machine_target="")
        return entry
    if not plan.needs_machine:
        return Entry(plan.unit.text, plan.unit.text, memory.COPY, lang=plan.lang)
    if machine is None:
        raise KeyError(f"no machine translation for {plan.unit.text!r}")
    notes = [p for p in machine.get("problems", []) if not p.startswith("glossary target")]
    fresh = memory.machine_entry(
        plan.unit.text, machine["target"], machine["model"], plan.terms, notes,
        signature="\n".join(plan.signature), review=review, via=plan.via,
    )  # fmt: skip
    if entry is None:
        return fresh
    if entry.is_unverified:
        if entry.target == fresh.target:
            return memory.carry_over(entry, fresh)  # what the machine wrote, bookkeeping lost
        return replace(entry, origin=memory.HUMAN)  # a person's text
    if entry.is_human:
        return replace(entry, machine_target=machine["target"])
    if entry.fuzzy:  # an editor's "needs work" on machine English whose German changed
        return replace(
            memory.carry_over(entry, fresh), fuzzy=True, previous_source=entry.previous_source
        )
    return memory.carry_over(entry, fresh)


def merge(old: Memory, plans: Sequence[Planned], entries: Sequence[Entry], path: Path) -> Memory:
    """The article's new memory: current entries in article order; human entries no
    longer used are kept as obsolete ones, as msgmerge does; machine ones go."""
    new = Memory(metadata=old.metadata)
    for plan, entry in zip(plans, entries):
        ref = f"{path}:{plan.unit.line}"
        if plan.unit.text in new.entries:
            entry = new.entries[plan.unit.text]
            refs = entry.references if ref in entry.references else (*entry.references, ref)
            new.entries[plan.unit.text] = replace(entry, references=refs)
        else:
            new.entries[plan.unit.text] = replace(entry, references=(ref,))
    reused = {e.previous_source for e in new.entries.values() if e.previous_source}
    for entry in [*old.entries.values(), *old.obsolete]:
        kept = entry.is_human or entry.is_unverified or (entry.fuzzy and entry.target)
        if kept and entry.source not in new.entries and entry.source not in reused:
            if all(o.source != entry.source for o in new.obsolete):
                new.obsolete.append(entry)
    return new


def problems(
    path: Path,
    plans: Sequence[Planned],
    entries: Sequence[Entry],
    missing_targets: Callable[[str, str], list[str]],
    notes: bool = True,
    label: str = "",
) -> Iterator[str]:
    """Review lines `file:line: where: what`. `missing_targets(german, english)` names the
    glossary targets the English lacks; `label` names the target language when a build
    has several. `check` leaves out the machine's notes (formatting
    it could not place), which are worth a look but do not make a translation wrong."""
    for plan, entry in zip(plans, entries):
        where = f"{path}:{plan.unit.line}: {plan.unit.where}" + (f" ({label})" if label else "")
        if entry.fuzzy and entry.is_human and changed_german(entry):
            yield f"{where}: human translation needs review (the German changed)"
        elif entry.fuzzy and entry.is_human:
            yield f"{where}: human translation marked as needing work"
        elif entry.fuzzy and changed_german(entry):
            yield f"{where}: still marked as needing work (its German changed)"
        elif entry.fuzzy:
            yield f"{where}: marked as needing review (fuzzy) in the translation memory"
        if entry.origin == memory.COPY:
            continue
        for note in entry.notes if notes else ():
            yield f"{where}: {note}"
        for line in missing_targets(plan.unit.text, entry.target):
            yield f"{where}: {line}"
