"""build_context(): the one place templates get their data from. Plain data, no I/O in templates."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from brief import __version__
from brief.assess import currency, recommend, risk
from brief.assess.recommend import Annex, Fired
from brief.assess.regulatory import InTime
from brief.assess.risk import Assessment, rubric_path
from brief.core.dates import long_date
from brief.load import glossary
from brief.load.config import Config
from brief.load.dataset import Dataset
from brief.load.model import BriefSpec, ClaimStatus, Incident, Recommendation, Source
from brief.load.scope import scoped_incidents
from brief.render import sections
from brief.render.presentation import audience_context
from brief.render.views import Groups, IncidentView, evaluation_row

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


def _assess(config: Config, inc: Incident) -> tuple[Assessment | None, list[tuple[str, str]]]:
    """Return an incident's assessment by its rubric and how robust it is (None and [] when it has no risk inputs)."""
    if inc.risk is None:
        return None, []
    rubric = risk.load_rubric(rubric_path(config, inc.risk.rubric))
    return risk.assess(inc.risk, inc.tags, rubric), risk.robustness(inc.risk, inc.tags, rubric)


@dataclass
class Computed:
    """What a brief computes once per edition, before any audience renders: assessments, the
    regulatory views at the edition date (flags, clocks, duties in time) and the recommendations
    selected from them. Every audience and section reads these."""

    views: list[IncidentView]
    regulatory: Annex  # at `as_of`
    as_of: dt.date | None = None  # the edition date it was computed for

    @property
    def incidents(self) -> list[Incident]:
        return [v.incident for v in self.views]

    @property
    def assessments(self) -> dict[str, Assessment]:
        return {v.id: v.assessment for v in self.views if v.assessment is not None}

    @property
    def recommendations(self) -> list[Fired]:
        """Return the recommendations of every incident, each once (the first incident's), in brief order."""
        recs: OrderedDict[str, Fired] = OrderedDict()
        for view in self.views:
            for rec in view.recommendations:
                recs.setdefault(rec.id, rec)
        return list(recs.values())

    @property
    def library_recommendations(self) -> list[Recommendation]:
        """Return the library recommendations behind `recommendations`, as an edition's snapshot records them."""
        return [fired.recommendation for fired in self.recommendations]


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
            )
        )
    annex = recommend.regulatory_annex(
        config.data_dir, ds.recommendations, assessed, as_of
    )  # recommend.py, regulatory.py
    for view in views:
        view.recommendations = list(annex[view.id].recommendations)
    return Computed(views, annex, as_of)


def build_context(
    config: Config, ds: Dataset, spec: BriefSpec, audience: str, edition: Edition, computed: Computed | None = None
) -> dict[str, Any]:
    """Return everything a brief's templates may show, for one audience and edition."""
    if computed is None or computed.as_of != edition.date:
        computed = compute(config, ds, spec, edition.date)
    views = computed.views
    focus = next((v for v in views if v.id == spec.focus), views[0] if views else None)

    # Evaluation results, grouped by evaluation, in the order incidents list them.
    groups: Groups = OrderedDict()
    seen: set[str] = set()
    for view in views:
        for ev in view.evaluations:
            if ev.id in seen:
                continue
            seen.add(ev.id)
            groups.setdefault(ev.evaluation, []).append(evaluation_row(ev))

    recs = OrderedDict((r.id, r) for r in computed.recommendations)
    register = sections.claims_register(views)
    regulatory_annex = computed.regulatory  # computed once per edition, at its date
    readers = sections.AUDIENCE_ADDRESSEES.get(audience)
    audience_recs = sorted(
        (r for r in recs.values() if readers is None or r.addressee in readers), key=lambda r: (r.priority, r.id)
    )
    # An incident no analyst has assessed gets no regulatory verdict: the brief lists it as not yet assessed.
    reg_columns, reg_rows = sections.regulatory_matrix([v for v in views if v.assessment is not None], regulatory_annex)
    rubric = brief_rubric(config, focus)
    derivations = sections.derivation_rows(
        views, {rule.code: rule.name for rule in (*rubric.amplifiers, *rubric.floors)}
    )

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
        # Flags, reporting clocks and cross-walk per incident for the regulatory annex (regulatory.py).
        "regulatory": regulatory_annex,
        # Each fact in one home (render/sections.py): page 1's decisions, the numbered claims
        # register, the press errors, every derivation as one table, the regulatory matrix.
        "decisions": sections.decisions(spec, list(recs.values()), focus, edition.date, audience),
        "claims_register": register,
        "press_rows": sections.press_errors(register),
        "derivations": derivations,
        "input_codes": sections.INPUT_CODES,
        "input_legend": sections.input_legend(derivations),
        "reg_columns": reg_columns,
        "reg_rows": reg_rows,
        "audience_recommendations": [
            (
                r,
                sections.owner(spec, r.addressee),
                sections.by_when(r.priority, edition.date, getattr(r, "deadline", None))[1],
            )
            for r in audience_recs
        ],
        "key_evaluations": list(focus.incident.evaluations) if focus else [],
        "method": sections.method_facts(views, register, groups),
        # The band each ICD 203 likelihood term prints with, from the rubric's likelihood scale.
        "likelihood_bands": {term: band.band for band in rubric.likelihood.values() for term in band.icd203},
        "priority_words": sections.PRIORITY_WORDS,
        "kind_words": sections.KIND_WORDS,
        "law_lines": sections.law_lines,
        "matrix_reasons": sections.matrix_reasons,
        # As of when the brief speaks, the law in time, status facts (stale ones in the past tense).
        **currency_context(spec, computed, edition.date),
        "status_labels": {s.value: sections.STATUS_WORDS[s] for s in ClaimStatus},
        "level_class": LEVEL_CLASS,
        "sources": ds.sources,
        "source_names": {key: source_name(src) for key, src in ds.sources.items()},
        # The public brief's glossary: the term list, and the terms a rendered text uses (glossary.py).
        "glossary_terms": glossary.load(config.data_dir) if audience == "public" else [],
        "glossary_used": glossary.used,
        # Marking, charts and evaluation details of the audience templates (render/presentation.py).
        **audience_context(config, spec, audience, views, groups, focus),
    }


def brief_rubric(config: Config, focus: IncidentView | None) -> risk.Rubric:
    """Return the rubric the brief's wording follows: the focus incident's, else the default v0.1."""
    version = focus.incident.risk.rubric if focus is not None and focus.incident.risk else "v0.1"
    return risk.load_rubric(rubric_path(config, version))


def source_name(src: Source) -> str:
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


def currency_context(spec: BriefSpec, computed: Computed, on: dt.date) -> dict[str, Any]:
    """Return what a brief's templates print about currency and the law in time: status facts worded
    for their age, the duties in time, recommendations withheld or reworded, "Information as of"."""
    months = spec.stale_after_months
    facts: list[currency.FactView] = []
    seen: set[tuple[Any, ...]] = set()
    for view in computed.views:
        inc = view.incident
        for fact in inc.regulatory.status if inc.regulatory else ():
            key = (fact.fact, currency.fact_model(fact, inc), fact.value, fact.as_of)
            if key in seen:
                continue
            seen.add(key)
            stale = currency.fact_is_stale(fact, on, months)
            facts.append(
                currency.FactView(
                    inc.id,
                    fact,
                    currency.fact_model(fact, inc),
                    currency.wording(fact, on, months),
                    stale,
                    currency.months_between(fact.as_of, on) if fact.as_of else None,
                )
            )
    law: list[InTime] = []
    seen_law: set[tuple[Any, ...]] = set()
    annex = computed.regulatory
    for view in computed.views:
        reg = annex[view.id] if annex is not None and view.id in annex else None
        for timing in reg.in_time if reg is not None else ():
            law_key = (
                timing.duty,
                timing.model if timing.transitional or timing.binds is None else None,
                timing.binds_from,
            )
            if law_key in seen_law:
                continue
            seen_law.add(law_key)
            law.append(timing)
    withheld = [
        (view.incident, s)
        for view in computed.views
        for s in (
            annex[view.id].recommendations.suppressed
            if annex is not None and view.id in annex and annex[view.id].recommendations
            else ()
        )
        if s.status
    ]
    requests = {r.id: r for r in computed.recommendations if getattr(r, "reworded", False)}
    as_of = currency.information_as_of(computed.incidents, (ev for v in computed.views for ev in v.evaluations), on)
    focus = next((v for v in computed.views if v.id == spec.focus), computed.views[0] if computed.views else None)
    focus_reg = annex[focus.id] if focus is not None and annex is not None and focus.id in annex else None
    return {
        "focus_law_in_time": list(focus_reg.in_time) if focus_reg is not None else [],
        "information_as_of": as_of,
        "information_as_of_text": f"Information as of {long_date(as_of)}"
        if as_of
        else "Information as of: no dated information",
        "stale_after_months": months,
        "status_facts": facts,
        "stale_facts": [f for f in facts if f.stale],
        "law_in_time": law,
        "withheld_for_status": withheld,
        "reworded_recommendations": list(requests.values()),
    }
