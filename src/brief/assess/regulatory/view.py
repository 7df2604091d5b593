"""The regulatory view of one incident: every registered framework's flags, the clocks, the cross-walk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from brief.assess.regulatory.annex import counting_note
from brief.assess.regulatory.clocks import Clock, InTime, in_time
from brief.assess.regulatory.flags import CrosswalkRow, Flag, Inputs, inputs
from brief.assess.regulatory.frontier import developer_rows, own_frameworks
from brief.assess.regulatory.registry import REGISTRY
from brief.assess.regulatory.tables import Tables
from brief.load.model import Incident

if TYPE_CHECKING:  # pragma: no cover
    from brief.assess.risk import Assessment


@dataclass(frozen=True)
class RegulatoryView:
    """Everything the regulatory annex shows for one incident."""

    incident: str
    flags: tuple[Flag, ...]
    clocks: tuple[Clock, ...]
    clock_note: str  # why no clock runs, or what the clocks count from
    crosswalk: tuple[CrosswalkRow, ...]
    recommendations: Any = None  # recommend.Selection, set by recommend.annex()
    in_time: tuple[InTime, ...] = ()  # every duty of application.yaml at the edition date, for this model
    as_of: dt.date | None = None  # the edition date the view was computed at

    def binding(self, duty: str) -> InTime | None:
        """Return whether a duty binds the provider at the edition date (None: not computed)."""
        return next((t for t in self.in_time if t.duty == duty), None)

    @property
    def tokens(self) -> frozenset[str]:
        """Return every flag token of the incident (what recommendation triggers match)."""
        out: set[str] = set()
        for f in self.flags:
            out |= f.tokens
        return frozenset(out)

    @property
    def applying(self) -> list[Flag]:
        """Return the flags that apply."""
        return [f for f in self.flags if f.state == "yes"]

    def flag(self, family: str) -> Flag | None:
        """Return the first flag of a family ("EU.ART3_49", "CoP.9_3" ...), or None."""
        return next((f for f in self.flags if f.family == family), None)


def view(
    inc: Incident,
    assessment: Assessment | None,
    tables: Tables,
    as_of: dt.date | None = None,
    known: Mapping[str, Any] | None = None,
) -> RegulatoryView:
    """Return an incident's regulatory flags, reporting clocks and cross-walk, from every registered framework.

    `assessment` is the incident's rubric assessment (None when it has no risk inputs); `as_of` is
    the edition date, which marks due dates that have passed and at which each duty's binding is
    evaluated; `known`: placing-on-market facts by model (placings()) for a record without its own.
    Inputs the record does not give are derived (realised harm from evidence E4) or reported as
    unknown, never guessed.
    """
    x = inputs(inc, assessment, tables, as_of, known)
    flags: list[Flag] = []
    clocks: list[Clock] = []
    for spec in REGISTRY.values():
        if spec.flags is not None:
            found = spec.flags(x, tables)
            flags += found.flags
            clocks += found.clocks
    art3 = next((f for f in flags if f.family == "EU.ART3_49"), None)
    if clocks:
        note = (
            counting_note(tables)
            + " Awareness date: "
            + x.awareness_text
            + ". Indicative only: confirm every date against the legal text."
        )
    elif art3 is None:
        note = "No reporting clock runs."
    elif art3.state == "yes":
        note = (
            "No reporting clock runs: neither the GPAI systemic-risk track nor the high-risk track applies "
            "on the recorded inputs."
        )
    else:
        note = "No reporting clock runs: " + art3.verdict[0].lower() + art3.verdict[1:]
    timings = (
        tuple(in_time(tables, d, as_of, x.placed, x.model, x.placed_ref) for d in tables.duties)
        if as_of is not None
        else ()
    )
    return RegulatoryView(
        inc.id, tuple(flags), tuple(clocks), note, crosswalk(x, tables, flags), in_time=timings, as_of=as_of
    )


def crosswalk(x: Inputs, tables: Tables, flags: Sequence[Flag]) -> tuple[CrosswalkRow, ...]:
    """Return where the incident sits in each framework: by rubric level, capability rung and tags."""
    rows: list[CrosswalkRow] = []
    for spec in REGISTRY.values():
        if spec.crosswalk is not None:
            rows.extend(spec.crosswalk(x, tables, flags))
    rows.extend(developer_rows(x, tables, flags))
    tags = []
    for spec in REGISTRY.values():
        vocab = tables.vocabularies.get(spec.code)
        values = getattr(x.inc.tags, spec.code, None) or []
        if not spec.tags_in_crosswalk or vocab is None or not values:
            continue
        names = [(term.display if (term := vocab.find(v)) else v) for v in values]
        tags.append(f"{vocab.name}: {', '.join(names)}")
    rows.append(CrosswalkRow("Taxonomy tags", "; ".join(tags) + "." if tags else "No taxonomy tag."))
    return tuple(rows)


def contradictions(view: RegulatoryView, inc: Incident, tables: Tables) -> list[str]:
    """Return the contradictions between the rows of one incident's view; none expected.

    A threshold both applied and ruled out; a cross-walk row stating the opposite of a FRONTIER flag;
    a cross-walk row of another developer's framework; the cross-walk's "below threshold" wording of
    a framework (rung C0) printed while one of its thresholds applies."""
    out: list[str] = []
    states: dict[str, set[str]] = {}
    for f in view.flags:
        if f.family == "FRONTIER" and f.code.count(":") == 2:
            states.setdefault(f.code.split(":", 1)[1], set()).add("applies" if f.holds else "ruled-out")
    for key, seen in states.items():
        if len(seen) > 1:
            out.append(f"{key}: both applied and ruled out by the FRONTIER flags")
    own = {fw.id for fw in own_frameworks(inc, tables)}
    applied_fw = {key.split(":", 1)[0] for key, seen in states.items() if "applies" in seen}
    for row in view.crosswalk:
        if row.framework_id and row.framework_id not in own:
            out.append(
                f"{row.framework}: another developer's framework in the cross-walk of a "
                f"{inc.developer or 'unrecorded developer'} model"
            )
        for threshold, said in row.asserts:
            flagged = states.get(f"{row.framework_id}:{threshold}", set())
            if flagged and said not in flagged:
                out.append(
                    f"{row.framework}: says {threshold} {said}, the FRONTIER flag says {', '.join(sorted(flagged))}"
                )
        for fid in applied_fw:
            below = (tables.rungs.get(0) or {}).get(fid)
            fw = tables.frameworks.get(fid)
            if below and (below in row.position or (fw and f"{fw.short}: {below}" in row.position)):
                out.append(f"{row.framework}: prints {below!r} while a {fw.short if fw else fid} threshold applies")
    return out
