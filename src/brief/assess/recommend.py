"""The recommendation engine: which library recommendations an incident fires, why, and by when.

A library recommendation (data/recommendations.yaml) fires for an incident when the incident lists
it, or when its triggers hold: for each list the trigger gives (levels, tags, kinds, flags,
evidence), at least one listed value matches, and all the given lists match together. A trigger
that gives no list never fires on its own. An incident may suppress a recommendation with a reason;
the regulatory annex prints the suppression. A recommendation with a `clock` carries the due date of
that report from the incident's reporting clock, marked indicative.

Pure functions over the dataset, the rubric assessment and the regulatory view (assess/regulatory/).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brief.assess import regulatory
from brief.assess.regulatory.annex import PeriodRow, Provision
from brief.assess.regulatory.clocks import InTime
from brief.assess.regulatory.tables import Ref, Regime, Tables
from brief.assess.regulatory.view import RegulatoryView
from brief.load.model import Incident, Recommendation
from brief.load.scope import incident_tags

if TYPE_CHECKING:  # pragma: no cover
    from brief.assess.risk import Assessment

__all__ = ["Annex", "Deadline", "Fired", "Selection", "Suppressed", "annex", "regulatory_annex", "select"]

# Which reporting regime a flag trigger points at (for the deadline of a recommendation).
_REGIME_OF = {"EU.ART73": "art-73", "CoP.9_3": "cop-9.3", "EU.ART55_1c": "cop-9.3"}


@dataclass(frozen=True)
class Deadline:
    """When a recommendation is due: a report of the incident's reporting clock (indicative)."""

    due: dt.date | None
    text: str  # "9 June 2025", or why there is no date yet
    report: str  # "Initial report under CoP Measure 9.3(4)"
    ref: Ref
    state: str = "yes"  # "conditional" when the clock itself is conditional
    passed: bool | None = None  # the date lies before the edition date
    indicative: bool = True


@dataclass(frozen=True)
class Fired:
    """A recommendation as it applies to one incident: why it fired and its deadline, if any.

    It reads like the Recommendation it wraps (id, text, addressee, priority, rationale, question),
    so templates written for library recommendations keep working.
    """

    recommendation: Recommendation
    incident: str
    reasons: tuple[str, ...]
    deadline: Deadline | None = None
    # A duty it rests on that does not (or may not) bind the provider at the edition date.
    # The brief then prints it as a request (`request_text`), at priority 2 at most, with this reason.
    not_binding: InTime | None = None
    code_signatory: str = ""  # the sourced signatory fact, when the Code's commitments can be invoked instead

    @property
    def id(self) -> str:
        return self.recommendation.id

    @property
    def reworded(self) -> bool:
        """True when a duty it rests on does not yet bind: worded as a request, never as enforcement."""
        return self.not_binding is not None

    @property
    def text(self) -> str:
        if self.reworded and self.recommendation.request_text:
            return self.recommendation.request_text
        return self.recommendation.text

    @property
    def standing(self) -> str:
        """Why it is worded as a request (plain text; its references are `standing_refs`), or ""."""
        if self.not_binding is None:
            return ""
        head = "Worded as a request, not as enforcement. " + self.not_binding.text
        if self.code_signatory:
            head += (
                " The provider's commitments under the Code of Practice can be invoked instead: " + self.code_signatory
            )
        return head

    @property
    def standing_refs(self) -> tuple[Ref, ...]:
        return self.not_binding.refs if self.not_binding is not None else ()

    @property
    def addressee(self) -> Any:
        return self.recommendation.addressee

    @property
    def priority(self) -> int:
        """The library priority; never 1 ("act now") while a duty it rests on does not yet bind."""
        return max(self.recommendation.priority, 2) if self.reworded else self.recommendation.priority

    @property
    def rationale(self) -> str:
        return self.recommendation.rationale

    @property
    def question(self) -> str | None:
        return self.recommendation.question

    @property
    def why(self) -> str:
        """Return the reasons as one phrase: "risk level Moderate; tag cop:loss_of_control"."""
        return "; ".join(self.reasons)

    def __getattr__(self, name: str) -> Any:  # any other Recommendation field
        if name.startswith("_") or name == "recommendation":
            raise AttributeError(name)
        return getattr(self.recommendation, name)


@dataclass(frozen=True)
class Suppressed:
    """A recommendation an incident withholds, the analyst's reason, and whether it would have fired."""

    id: str
    reason: str
    recommendation: Recommendation | None
    would_fire: bool
    status: bool = False  # withheld because a status fact it presupposes is not established


@dataclass(frozen=True)
class Selection:
    """The recommendations one incident fires (listed first, then library order) and withholds."""

    fired: tuple[Fired, ...] = ()
    suppressed: tuple[Suppressed, ...] = ()

    def __iter__(self) -> Iterator[Fired]:  # a Selection reads as its fired recommendations
        return iter(self.fired)

    def __len__(self) -> int:
        return len(self.fired)

    def __bool__(self) -> bool:
        return bool(self.fired or self.suppressed)


def _incident_tags(inc: Incident, tables: Tables | None) -> set[str]:
    tags = incident_tags(inc)
    if tables is not None:
        tags |= regulatory.canonical_tags(inc.tags, tables)
    return tags


def _reasons(
    rec: Recommendation, inc: Incident, level: str | None, tags: set[str], tokens: frozenset[str]
) -> tuple[str, ...] | None:
    """Return why a recommendation's triggers fire for an incident, or None when they do not."""
    t = rec.triggers
    if not (t.levels or t.tags or t.kinds or t.flags or t.evidence):
        return None
    reasons: list[str] = []
    if t.levels:
        if level not in t.levels:
            return None
        reasons.append(f"risk level {level}")
    if t.tags:
        hits = [tag for tag in t.tags if tag in tags]
        if not hits:
            return None
        reasons.append(("tag " if len(hits) == 1 else "tags ") + ", ".join(hits))
    if t.kinds:
        if inc.kind not in t.kinds:
            return None
        reasons.append(f"kind {inc.kind.value}")
    if t.flags:
        hits = [flag for flag in t.flags if flag in tokens]
        if not hits:
            return None
        reasons.append(("flag " if len(hits) == 1 else "flags ") + ", ".join(hits))
    if t.evidence:
        evidence = inc.risk.evidence if inc.risk else None
        if evidence not in t.evidence:
            return None
        reasons.append(f"evidence E{evidence}")
    return tuple(reasons)


def _deadline(rec: Recommendation, reg: RegulatoryView | None) -> Deadline | None:
    """Return the due date of the report a recommendation's `clock` names, from the incident's clocks."""
    if rec.clock is None or reg is None or not reg.clocks:
        return None
    wanted = {_REGIME_OF[f.split("=")[0]] for f in rec.triggers.flags if f.split("=")[0] in _REGIME_OF}
    candidates = []
    for clock in reg.clocks:
        if wanted and clock.regime not in wanted:
            continue
        milestone = next((m for m in clock.milestones if m.kind == rec.clock), None)
        if milestone is not None:
            candidates.append((clock, milestone))
    if not candidates:
        return None
    clock, milestone = min(candidates, key=lambda cm: (cm[1].due or dt.date.max, cm[0].regime, cm[0].harm_type))
    report = f"{milestone.label} under {clock.regime_name} ({milestone.ref.locator})"
    return Deadline(milestone.due, milestone.due_text, report, milestone.ref, clock.state, milestone.passed)


def select(
    recs: Mapping[str, Recommendation],
    inc: Incident,
    level: str | None,
    reg: RegulatoryView | None = None,
    tables: Tables | None = None,
) -> Selection:
    """Return the recommendations an incident fires and those it suppresses, with reasons."""
    tokens = reg.tokens if reg is not None else frozenset()
    tags = _incident_tags(inc, tables)
    chosen: OrderedDict[str, tuple[str, ...]] = OrderedDict(
        (r, ("listed by the incident",)) for r in inc.recommendations if r in recs
    )
    for rec in recs.values():
        reasons = _reasons(rec, inc, level, tags, tokens)
        if reasons is None:
            continue
        if rec.id in chosen:
            chosen[rec.id] = chosen[rec.id] + reasons
        else:
            chosen[rec.id] = reasons
    withheld = {s.id: s.reason for s in inc.suppress}
    suppressed = [Suppressed(s.id, s.reason, recs.get(s.id), s.id in chosen) for s in inc.suppress]
    fired = []
    for key, reasons in chosen.items():
        if key in withheld:
            continue
        rec = recs[key]
        missing = unestablished(rec, inc)
        if missing:
            suppressed.append(Suppressed(key, missing, rec, True, status=True))
            continue
        fired.append(Fired(rec, inc.id, reasons, _deadline(rec, reg), *_standing(rec, inc, reg)))
    return Selection(tuple(fired), tuple(suppressed))


STATUS_LABELS = {
    "placed-on-market": "the model's placing-on-market date",
    "cop-signatory": "the provider's signature of the GPAI Code of Practice",
    "systemic-risk-designation": "the model's status as a general-purpose AI model with systemic risk (notification "
    "or designation)",
    "deployment": "the model's deployment",
    "pending-determination": "a pending determination by the developer",
}


def unestablished(rec: Recommendation, inc: Incident) -> str:
    """Return why a recommendation is withheld: the presupposed status facts no source establishes ("" if none)."""
    facts = {f.fact: f for f in (inc.regulatory.status if inc.regulatory else ())}
    missing = [name for name in rec.presupposes if name not in facts or not facts[name].established]
    if not missing:
        return ""
    labels = [STATUS_LABELS[m] for m in missing]
    words = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    return f"Withheld: it presupposes {words}, which no source curated here establishes."


def _standing(rec: Recommendation, inc: Incident, reg: RegulatoryView | None) -> tuple[Any, str]:
    """Return the first duty the recommendation rests on that does not bind at the edition date, and the sourced
    signatory fact."""
    if reg is None or not rec.rests_on:
        return None, ""
    for duty in rec.rests_on:
        timing = reg.binding(duty)
        if timing is not None and timing.binds is not True:
            facts = {f.fact: f for f in (inc.regulatory.status if inc.regulatory else ())}
            signed = facts.get("cop-signatory")
            return timing, (signed.text if signed is not None and signed.value == "yes" and signed.source else "")
    return None, ""


def annex(
    data_dir: Path | str,
    recs: Mapping[str, Recommendation],
    inc: Incident,
    assessment: Assessment | None,
    as_of: dt.date | None,
    tables: Tables | None = None,
    known: Mapping[str, Any] | None = None,
) -> RegulatoryView:
    """Return an incident's regulatory view with the recommendations it fires (the annex's data).

    `tables`: the loaded tables, when the caller has them (checking the table files' dates once
    per incident was 3 s of a 1,000-incident compendium)."""
    tables = tables or regulatory.load_tables(data_dir)
    reg = regulatory.view(inc, assessment, tables, as_of, known)
    level = assessment.level if assessment is not None else None
    return dataclasses.replace(reg, recommendations=select(recs, inc, level, reg, tables))


@dataclass(frozen=True)
class Annex:
    """What the regulatory annex of a brief shows: per incident, and the reference tables."""

    incidents: Mapping[str, RegulatoryView]
    provisions: tuple[Provision, ...]
    periods: tuple[PeriodRow, ...]
    regimes: tuple[Regime, ...]
    counting: str
    as_of: dt.date | None

    def __getitem__(self, incident_id: str) -> RegulatoryView:
        return self.incidents[incident_id]

    def __contains__(self, incident_id: object) -> bool:
        return incident_id in self.incidents


def regulatory_annex(
    data_dir: Path | str,
    recs: Mapping[str, Recommendation],
    incidents: Iterable[tuple[Incident, Assessment | None]],
    as_of: dt.date | None,
) -> Annex:
    """Return the regulatory annex of a brief: each incident's view, the periods table, the counting rule."""
    tables = regulatory.load_tables(data_dir)
    incidents = list(incidents)
    known = regulatory.placings(inc for inc, _ in incidents)  # a model's placing date, whichever record gives it
    views = {inc.id: annex(data_dir, recs, inc, assessment, as_of, tables, known) for inc, assessment in incidents}
    return Annex(
        views,
        regulatory.provisions(tables),
        regulatory.periods(tables),
        tuple(tables.regimes.values()),
        regulatory.counting_note(tables),
        as_of,
    )
