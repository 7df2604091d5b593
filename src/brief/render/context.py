"""build_context(): the one place templates get their data from. Plain data, no I/O in templates."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from brief import __version__, currency, glossary, recommend, risk, stats
from brief.config import Config
from brief.dates import long_date
from brief.model import Addressee, BriefSpec, ClaimStatus, Evaluation, Incident, Recommendation
from brief.render import sections
from brief.render.presentation import audience_context
from brief.sources.local import Dataset
from brief.risk import rubric_path
from brief.scope import scoped_incidents

STATUS_LABELS = {
    ClaimStatus.confirmed: "Confirmed",
    ClaimStatus.partly_accurate: "Partly accurate",
    ClaimStatus.unverified: "Unverified",
    ClaimStatus.contradicted: "Contradicted",
}
ADDRESSEE_LABELS = {
    Addressee.regulator: "For regulators",
    Addressee.developer: "For developers",
    Addressee.deployer: "For deployers",
    Addressee.standards_body: "For standards bodies",
    Addressee.evaluator: "For evaluators",
}
PRIORITY_LABELS = {1: "Priority 1 (act now)", 2: "Priority 2 (this quarter)", 3: "Priority 3 (monitor)"}
LEVEL_CLASS = {"Low": "low", "Moderate": "moderate", "High": "high", "Critical": "critical"}


@dataclass(frozen=True)
class Edition:
    """The edition being built: its id and the date every date in the output comes from."""

    id: str
    date: dt.date

    @property
    def date_text(self) -> str:
        return long_date(self.date)

    @property
    def iso(self) -> str:
        return self.date.isoformat()




def edition_id(spec: BriefSpec, day: dt.date) -> str:
    """Return the default edition id from the brief's cadence: 2026-11 (monthly) or 2026-Q4."""
    if spec.cadence == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


@dataclass
class IncidentView:
    """An incident with its computed assessment and the rows the templates show."""

    incident: Incident
    assessment: Any | None
    robustness: list[tuple[str, str]]
    evaluations: list[Evaluation]
    recommendations: list[Recommendation]
    claims_by_status: dict[str, int] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.incident.id


def _assess(config: Config, inc: Incident) -> tuple[Any | None, list[tuple[str, str]]]:
    if inc.risk is None:
        return None, []
    rubric = risk.load_rubric(rubric_path(config, inc.risk.rubric))
    return risk.assess(inc.risk, inc.tags, rubric), risk.robustness(inc.risk, inc.tags, rubric)


def evaluation_row(ev: Evaluation) -> dict[str, Any]:
    """Return one evaluation row as the table prints it."""
    return {
        "record": ev,
        "value": stats.value_text(ev),
        "n": stats.n_text(ev),
        "interval": stats.interval_text(ev),
        "bounds": stats.wilson_bounds(ev),
        "share": ev.share,
    }


@dataclass
class Computed:
    """What a brief computes once per edition, before any audience renders: assessments, the
    regulatory views at the edition date (flags, clocks, duties in time) and the recommendations
    selected from them. Every audience and section reads these (issue 16)."""

    views: list[IncidentView]
    regulatory: Any = None  # recommend.Annex at `as_of`
    as_of: dt.date | None = None  # the edition date it was computed for

    @property
    def incidents(self) -> list[Incident]:
        return [v.incident for v in self.views]

    @property
    def assessments(self) -> dict[str, Any]:
        return {v.id: v.assessment for v in self.views if v.assessment is not None}

    @property
    def recommendations(self) -> list[Recommendation]:
        recs: OrderedDict[str, Recommendation] = OrderedDict()
        for view in self.views:
            for rec in view.recommendations:
                recs.setdefault(rec.id, rec)
        return list(recs.values())


def compute(config: Config, ds: Dataset, spec: BriefSpec, as_of: dt.date | None = None) -> Computed:
    """Assess every incident in a brief's scope, map it to the law at `as_of` (the edition date) and
    select its recommendations, once for every audience."""
    views = []
    assessed = []
    for inc in scoped_incidents(ds, spec.id):
        assessment, robust = _assess(config, inc)
        assessed.append((inc, assessment))
        views.append(
            IncidentView(
                incident=inc,
                assessment=assessment,
                robustness=robust,
                evaluations=ds.evaluations_named(inc.evaluations),
                recommendations=[],
                claims_by_status={STATUS_LABELS[s]: sum(1 for c in inc.claims if c.status == s) for s in ClaimStatus},
            )
        )
    annex = recommend.regulatory_annex(config.data_dir, ds.recommendations, assessed, as_of)  # recommend.py, regulatory.py
    for view in views:
        view.recommendations = list(annex[view.id].recommendations)
    return Computed(views, annex, as_of)


def build_context(config: Config, ds: Dataset, spec: BriefSpec, audience: str, edition: Edition, computed: Computed | None = None) -> dict[str, Any]:
    """Return everything a brief's templates may show, for one audience and edition."""
    if computed is None or computed.as_of != edition.date:
        computed = compute(config, ds, spec, edition.date)
    views = computed.views
    focus = next((v for v in views if v.id == spec.focus), views[0] if views else None)

    # Evaluation results, grouped by evaluation, in the order incidents list them.
    groups: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
    seen: set[str] = set()
    for view in views:
        for ev in view.evaluations:
            if ev.id in seen:
                continue
            seen.add(ev.id)
            groups.setdefault(ev.evaluation, []).append(evaluation_row(ev))

    # Recommendations across the brief, grouped by addressee, priority first.
    recs = OrderedDict((r.id, r) for r in computed.recommendations)
    by_addressee: OrderedDict[str, list[Recommendation]] = OrderedDict()
    for addressee in Addressee:
        items = sorted((r for r in recs.values() if r.addressee == addressee), key=lambda r: (r.priority, r.id))
        if items:
            by_addressee[ADDRESSEE_LABELS[addressee]] = items
    questions = [r for r in sorted(recs.values(), key=lambda r: (r.priority, r.id)) if r.question]

    press_claims = [(view, c) for view in views for c in view.incident.claims if c.kind == "press"]
    corrections = [(view, c) for view, c in press_claims if sections.press_error(c)]
    register = sections.claims_register(views)
    regulatory_annex = computed.regulatory  # computed once per edition, at its date
    readers = sections.AUDIENCE_ADDRESSEES.get(audience)
    audience_recs = sorted((r for r in recs.values() if readers is None or r.addressee in readers), key=lambda r: (r.priority, r.id))
    # An incident no analyst has assessed gets no regulatory verdict: the brief lists it as not yet assessed.
    reg_columns, reg_rows = sections.regulatory_matrix([v for v in views if v.assessment is not None], regulatory_annex)
    derivations = sections.derivation_rows(views, rule_names(config, focus))

    return {
        "project": config.settings,
        "organisation": config.settings.organisation,
        "language": config.settings.language,
        "brief": spec,
        "audience": audience,
        "edition": edition,
        "tool_version": __version__,
        "focus": focus,
        "incidents": views,
        "evaluation_groups": groups,
        "recommendations": by_addressee,
        "priority_recommendations": sorted(recs.values(), key=lambda r: (r.priority, r.id))[:3],
        "questions": questions,
        # Flags, reporting clocks and cross-walk per incident for the regulatory annex (regulatory.py).
        "regulatory": regulatory_annex,
        # Each fact in one home (render/sections.py): page 1's decisions, the numbered claims
        # register, the press errors, every derivation as one table, the regulatory matrix.
        "decisions": sections.decisions(spec, list(recs.values()), focus, edition.date, audience),
        "claims_register": register,
        "claim_numbers": {(g.view.id, c.claim.id): c.number for g in register for c in g.claims},
        "press_rows": sections.press_errors(register),
        "derivations": derivations,
        "input_codes": sections.INPUT_CODES,
        "input_legend": sections.input_legend(derivations),
        "reg_columns": reg_columns,
        "reg_rows": reg_rows,
        "audience_recommendations": [
            (r, sections.owner(spec, r.addressee), sections.by_when(r.priority, edition.date, getattr(r, "deadline", None))[1]) for r in audience_recs
        ],
        "key_evaluations": list(focus.incident.evaluations) if focus else [],
        "method": sections.method_facts(views, register, groups),
        "likelihood_bands": likelihood_bands(config, focus),
        "priority_words": sections.PRIORITY_WORDS,
        "addressee_names": {a.value: n for a, n in sections.ADDRESSEE_NAMES.items()},
        "kind_words": sections.KIND_WORDS,
        "law_lines": sections.law_lines,
        "matrix_reasons": sections.matrix_reasons,
        # Issue 16: as of when the brief speaks, the law in time, status facts (stale ones in the past tense).
        **currency.context(ds, spec, computed, edition.date),
        "press_claims": press_claims,
        "corrections": corrections,
        "status_labels": {s.value: STATUS_LABELS[s] for s in ClaimStatus},
        "priority_labels": PRIORITY_LABELS,
        "level_class": LEVEL_CLASS,
        "sources": ds.sources,
        "source_names": {key: source_name(src) for key, src in ds.sources.items()},
        # The public brief's glossary: the term list, and the terms a rendered text uses (glossary.py).
        "glossary_terms": glossary.load(config.data_dir) if audience == "public" else [],
        "glossary_used": glossary.used,
        # Marking, charts and evaluation details of the audience templates (render/presentation.py).
        **audience_context(config, spec, audience, views, groups, focus),
    }


def rule_names(config: Config, focus: IncidentView | None) -> dict[str, str]:
    """Return the names of the rubric's amplifiers, cap and floors by code ("A1" -> "Breadth")."""
    version = focus.incident.risk.rubric if focus is not None and focus.incident.risk else "v0.1"
    rubric = risk.load_rubric(rubric_path(config, version))
    return {rule.code: rule.name for rule in (*rubric.amplifiers, *rubric.floors)}


def likelihood_bands(config: Config, focus: IncidentView | None) -> dict[str, str]:
    """Return the band each ICD 203 likelihood term prints with, from the rubric's likelihood scale."""
    version = focus.incident.risk.rubric if focus is not None and focus.incident.risk else "v0.1"
    rubric = risk.load_rubric(rubric_path(config, version))
    return {term: band.band for band in rubric.likelihood.values() for term in band.icd203}


def source_name(src: Any) -> str:
    """Return the short name of a source's outlet or author (Axios, Anthropic, ...)."""
    extra = src.model_extra or {}
    if extra.get("container-title"):
        return str(extra["container-title"])
    if extra.get("publisher"):
        return str(extra["publisher"])
    authors = extra.get("author") or []
    if authors and isinstance(authors[0], dict):
        first = authors[0]
        return str(first.get("literal") or first.get("family") or src.title)
    return src.title
