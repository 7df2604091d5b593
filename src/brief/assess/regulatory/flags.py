"""What a framework finds for one incident: flags, the inputs every rule reads, and the registry entry.

A regulatory framework is a `FrameworkSpec` (registry.py lists them): its code, its vocabulary file
in data/vocab/ (if incidents are tagged with it), the flag families it words in flags.yaml, and
functions that return its flags for one incident, the provisions the annex quotes, the flag tokens a
recommendation trigger may name and its rows of the cross-walk. Everything here is pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from brief.assess.regulatory.clocks import Clock, placing
from brief.assess.regulatory.tables import Ref, Tables, anchor, words
from brief.core.dates import long_date
from brief.load.model import Incident, RegulatoryFacts

if TYPE_CHECKING:  # pragma: no cover
    from brief.assess.risk import Assessment

STATE_LABELS = {"yes": "Applies", "no": "Does not apply", "conditional": "Conditional", "unknown": "Undetermined"}


@dataclass(frozen=True)
class Flag:
    """One regulatory hook: its verdict, the inputs that set it and the provisions it rests on."""

    code: str  # rubric section 6 code, e.g. "EU.ART3_49", "CoP.9_3(15 days)", "CoP.APP1_4:loss_of_control"
    family: str  # the code without its qualifier: "CoP.9_3", "CoP.APP1_4", "FRONTIER", "NIST.AI_RMF"
    name: str
    state: str  # "yes", "no", "conditional", "unknown"
    verdict: str
    inputs: tuple[tuple[str, str], ...]
    rule: str  # what the provision requires, in the table's words
    basis: tuple[Ref, ...]
    rationale: tuple[str, ...] = ()  # curated Markdown with citations (incident `regulatory.rationale`)
    notes: tuple[str, ...] = ()
    tokens: frozenset[str] = frozenset()  # what recommendation triggers can match
    evidence: tuple[Ref, ...] = ()  # the incident's own sources for it (e.g. the developer's report)

    @property
    def holds(self) -> bool:
        """Return whether the flag applies."""
        return self.state == "yes"

    @property
    def anchor(self) -> str:
        """Return the id of the provision this flag rests on in the annex's table of provisions."""
        return anchor(self.family)

    @property
    def state_label(self) -> str:
        """Return the state in words ("Applies", "Undetermined" ...)."""
        return STATE_LABELS[self.state]


@dataclass(frozen=True)
class CrosswalkRow:
    """One framework's reading of the incident: where it sits, and the references."""

    framework: str
    position: str
    basis: tuple[Ref, ...] = ()
    framework_id: str = ""  # a developer framework of frameworks.yaml, for the contradiction check
    asserts: tuple[tuple[str, str], ...] = ()  # (threshold id, "applies" | "ruled-out") the row states


@dataclass(frozen=True)
class Inputs:
    """The derived inputs every rule reads, with the words the brief prints for them."""

    inc: Incident
    facts: RegulatoryFacts
    evidence: int | None
    evidence_text: str
    evidence_why: str  # the rubric's cited reason for E, when realised harm is derived from it
    level: str | None
    realised: bool
    realised_text: str
    harm_types: tuple[str, ...]
    serious: tuple[str, ...]  # harm types in an Art. 3(49) class
    awareness: dt.date
    awareness_text: str
    as_of: dt.date | None
    placed: dt.date | None = None  # the model's placing on the market (status fact), None: not recorded
    placed_ref: Ref | None = None
    model: str | None = None


def yesno(value: bool | None) -> str:
    """Return a recorded yes/no input in words ("not recorded" when unset)."""
    return "not recorded" if value is None else ("yes" if value else "no")


def inputs(
    inc: Incident,
    assessment: Assessment | None,
    tables: Tables,
    as_of: dt.date | None,
    placed_by_model: Mapping[str, Any] | None = None,
) -> Inputs:
    """Return the inputs every rule reads for one incident, derived where the record does not give them."""
    facts = inc.regulatory or RegulatoryFacts()
    evidence = inc.risk.evidence if inc.risk else None
    e_text = e_why = ""
    if assessment is not None:
        e_text, e_why = next(((value, why) for code, value, why in assessment.inputs_table if code == "E"), ("", ""))
    elif evidence is not None:
        e_text = f"E{evidence}"
    kind = inc.kind.value.replace("-", " ")
    if facts.realised_harm is not None:
        realised = facts.realised_harm
        realised_text = f"{yesno(realised)} (recorded)"
    elif evidence is not None:
        realised = evidence == 4
        realised_text = f"{yesno(realised)} (derived from rubric evidence E{evidence})"
    else:
        realised = inc.kind.value == "incident"
        realised_text = f"{yesno(realised)} (from the record's kind: {kind})"
    known = tuple(h for h in facts.harm_types if h in tables.harm_types)
    serious = tuple(h for h in known if tables.harm_types[h].art3_49)
    placed, fact = placing(inc, placed_by_model)
    if facts.awareness_date is not None:
        awareness, awareness_text = facts.awareness_date, long_date(facts.awareness_date)
    else:
        awareness = inc.date
        awareness_text = (
            f"{long_date(inc.date)} (assumed: the incident date; the provider's awareness date is not recorded)"
        )
    return Inputs(
        inc=inc,
        facts=facts,
        evidence=evidence,
        evidence_text=e_text or "not assessed",
        evidence_why=e_why if facts.realised_harm is None else "",
        level=assessment.level if assessment is not None else None,
        realised=realised,
        realised_text=realised_text,
        harm_types=known,
        serious=serious,
        awareness=awareness,
        awareness_text=awareness_text,
        as_of=as_of,
        placed=placed,
        placed_ref=Ref(fact.source, fact.locator, "placing on the market")
        if fact is not None and fact.source and placed
        else None,
        model=(fact.model if fact is not None and fact.model else None) or (inc.models[0] if inc.models else None),
    )


def rationale(x: Inputs, *names: str) -> tuple[str, ...]:
    """Return the incident's curated reasons for the named facts."""
    return tuple(x.facts.rationale[n] for n in names if x.facts.rationale.get(n))


def harm_words(x: Inputs, tables: Tables, types: Iterable[str] | None = None) -> str:
    """Return the harm types (default: all recorded) as a phrase ("none recorded" when none)."""
    chosen = list(x.harm_types if types is None else types)
    return (
        "; ".join(tables.harm_types[h].label.lower() if i else tables.harm_types[h].label for i, h in enumerate(chosen))
        or "none recorded"
    )


def rule(tables: Tables, code: str) -> str:
    """Return a flag family's rule as flags.yaml words it, on one line."""
    return words(tables.flags[code].rule)


def tokens(code: str, state: str, status: str) -> frozenset[str]:
    """Return the trigger tokens of a flag: `code=status`, and `code` and `code=yes` when it applies."""
    tokens = {f"{code}={status}"}
    if state == "yes":
        tokens |= {code, f"{code}=yes"}
    return frozenset(tokens)


@dataclass(frozen=True)
class Provision:
    """A provision the flags rest on, cited once in the annex: what it requires, and its parts."""

    code: str
    name: str
    refs: tuple[Ref, ...]
    rule: str
    items: tuple[tuple[str, str, tuple[Ref, ...]], ...] = ()  # (label, text, references)

    @property
    def anchor(self) -> str:
        """Return the id of the provision in the annex's table of provisions."""
        return anchor(self.code)


@dataclass(frozen=True)
class Findings:
    """What one framework finds for one incident: its flags, and the reporting clocks they start."""

    flags: tuple[Flag, ...] = ()
    clocks: tuple[Clock, ...] = ()


def level_row(x: Inputs, tables: Tables, key: str, label: str, suffix: str = "") -> list[CrosswalkRow]:
    """Return the cross-walk row where frameworks.yaml `levels` places the incident's rubric level under `key`."""
    mapping = tables.levels.get(x.level or "", {})
    if not mapping:
        return []
    return [CrosswalkRow(f"{label}, at rubric level {x.level}", mapping.get(key, "") + suffix)]


@dataclass(frozen=True)
class FrameworkSpec:
    """A regulatory framework the engine maps incidents to: one entry of the registry (registry.py).

    `code` is its key, and the prefix of its vocabulary's tags (`tags.<code>`, trigger `<code>:<id>`)
    when it has one (`vocabulary`: a file of data/vocab/). `flag_codes` are the flag families it words
    in data/regulatory/flags.yaml. The functions are optional: `flags` returns what it finds for one
    incident, `provisions` what the annex quotes, `tokens` the flag tokens a trigger may name, and
    `crosswalk` its rows of the incident's cross-walk."""

    code: str
    label: str
    vocabulary: str | None = None
    flag_codes: tuple[str, ...] = ()
    flags: Callable[[Inputs, Tables], Findings] | None = None
    provisions: Callable[[Tables], Sequence[Provision]] | None = None
    tokens: Callable[[Tables], set[str]] | None = None
    crosswalk: Callable[[Inputs, Tables, Sequence[Flag]], Sequence[CrosswalkRow]] | None = None
    tags_in_crosswalk: bool = True  # list the incident's tags of its vocabulary in the cross-walk
