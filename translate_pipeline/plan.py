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

COPY_LANGUAGE = "zxx"  # no linguistic content (numbers, code, URLs): copied as it is


@dataclass
class Planned:
    """A unit with its current memory entry, if any, and whether the machine must run."""

    unit: Unit
    entry: Entry | None
    needs_machine: bool
    lang: str
    signature: tuple[str, ...]  # glossary entries the unit depends on


def plan_units(
    units: Sequence[Unit],
    mem: Memory,
    source_lang: str,
    signature_of: Callable[[str], tuple[str, ...]],
    language_of: Callable[[str], str],
) -> list[Planned]:
    """What each unit needs. `language_of` is asked only for units without an entry."""
    plans = []
    # German in use: the article's units, then each orphan as it is claimed. Built once,
    # not per unit: per unit it made planning quadratic in the article's size.
    used = {u.text for u in units}
    for unit in units:
        signature = signature_of(unit.text)
        entry = mem.get(unit.text)
        if entry is None:
            orphan = mem.closest_human(unit.text, used)
            if orphan is not None:
                entry = Entry(
                    unit.text,
                    orphan.target,
                    memory.HUMAN,
                    glossary=orphan.glossary,
                    fuzzy=True,
                    previous_source=orphan.source,
                )
                used.add(orphan.source)
        if entry is not None:
            machine = entry.origin == memory.MACHINE
            needs = (machine and not entry.fuzzy and entry.glossary != signature) or (
                not machine and entry.fuzzy and not entry.machine_target
            )
            plans.append(Planned(unit, entry, needs, entry.lang or source_lang, signature))
            continue
        lang = language_of(unit.text)
        plans.append(Planned(unit, None, lang == source_lang, lang, signature))
    return plans


def settle(plan: Planned, machine: Mapping[str, Any] | None) -> Entry:
    """The memory entry a unit ends the build with; `machine` is the machine's record for
    it (`target`, `model`, `problems`) when it needed one."""
    if plan.entry is not None and not plan.needs_machine:
        return plan.entry
    if plan.entry is None and not plan.needs_machine:
        return Entry(plan.unit.text, plan.unit.text, memory.COPY, lang=plan.lang)
    if machine is None:
        raise KeyError(f"no machine translation for {plan.unit.text!r}")
    if plan.entry is not None and plan.entry.origin == memory.HUMAN:
        return replace(plan.entry, machine_target=machine["target"])
    notes = [p for p in machine.get("problems", []) if not p.startswith("glossary target")]
    return memory.machine_entry(
        plan.unit.text, machine["target"], machine["model"], plan.signature, notes
    )


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
    reused = {e.previous_source for e in new.entries.values() if e.fuzzy}
    for entry in [*old.entries.values(), *old.obsolete]:
        if entry.is_human and entry.source not in new.entries and entry.source not in reused:
            if all(o.source != entry.source for o in new.obsolete):
                new.obsolete.append(entry)
    return new


def problems(
    path: Path,
    plans: Sequence[Planned],
    entries: Sequence[Entry],
    missing_targets: Callable[[str, str], list[str]],
    notes: bool = True,
) -> Iterator[str]:
    """Review lines `file:line: where: what`. `missing_targets(german, english)` names the
    glossary targets the English lacks. `check` leaves out the machine's notes (formatting
    it could not place), which are worth a look but do not make a translation wrong."""
    for plan, entry in zip(plans, entries):
        where = f"{path}:{plan.unit.line}: {plan.unit.where}"
        if entry.fuzzy and entry.origin == memory.HUMAN:
            yield f"{where}: human translation needs review (the German changed)"
        elif entry.fuzzy:
            yield f"{where}: marked as needing review (fuzzy) in the translation memory"
        if entry.origin == memory.COPY:
            continue
        for note in entry.notes if notes else ():
            yield f"{where}: {note}"
        for line in missing_targets(plan.unit.text, entry.target):
            yield f"{where}: {line}"
