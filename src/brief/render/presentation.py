"""What the audience templates show beyond the plain records: marking, charts, evaluation details.

Computed here, in Python, so that templates do no arithmetic: the per-audience marking, the risk
matrix of each assessed incident, the headline chart of evaluation results, and for the technical
brief each evaluation with its distinct conditions, sample sizes, sources and caveats.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Sequence

from markupsafe import Markup

from brief.assess import risk
from brief.assess.risk import rubric_path
from brief.core import audiences
from brief.load.config import Config
from brief.load.model import BriefSpec
from brief.render import charts
from brief.render.views import EvaluationRow, Groups, IncidentView

# Risk levels in plain words, for the public brief.
LEVEL_WORDS = {
    "Low": "the lowest of four levels",
    "Moderate": "the second of four levels",
    "High": "the third of four levels",
    "Critical": "the highest of four levels",
}


@dataclass
class Figure:
    """A chart with its caption and where its numbers come from."""

    ident: str
    svg: Markup
    caption: str
    evaluation: str = ""
    sources: list[tuple[str, str | None]] = field(default_factory=list)  # (source id, locator)


class DetailRow(EvaluationRow):
    """An evaluation row with its condition's label (C1, C2 ...)."""

    condition_label: str


@dataclass
class EvaluationDetail:
    """One evaluation as the technical brief reports it."""

    name: str
    ident: str
    rows: list[DetailRow]
    conditions: list[tuple[str, str]]  # (label, what sets this condition apart)
    metrics: list[str]
    evaluators: list[str]
    models: int
    n_known: int
    n_unknown: int
    from_figures: int
    notes: list[tuple[str, str]]  # (row label, note)
    chart: Figure | None
    common: str = ""  # what every condition shares, said once


def split_conditions(texts: Sequence[str]) -> tuple[str, list[str]]:
    """Return what several conditions share (their common clauses, said once) and what sets each apart.

    Conditions are written as clauses separated by semicolons; a clause every condition has is
    shared. With one condition, or nothing shared, each condition is returned whole."""
    clauses = [[c.strip() for c in t.split(";") if c.strip()] for t in texts]
    if len(clauses) < 2:
        return "", list(texts)
    shared = [c for c in clauses[0] if all(c in other for other in clauses[1:])]
    if not shared:
        return "", list(texts)
    rest = ["; ".join(c for c in cl if c not in shared) or "no further condition" for cl in clauses]
    return "; ".join(shared), rest


def marking(spec: BriefSpec, audience: str) -> str:
    """Return the marking printed on every page (see BriefSpec.markings)."""
    return spec.marking(audience)


def risk_matrices(config: Config, views: Sequence[IncidentView]) -> dict[str, Figure]:
    """Return a risk-matrix figure for every assessed incident, by incident id."""
    out: dict[str, Figure] = {}
    for view in views:
        a = view.assessment
        if a is None or view.incident.risk is None:
            continue
        rubric = risk.load_rubric(rubric_path(config, view.incident.risk.rubric))
        ident = f"matrix-{view.id}"
        svg = charts.risk_matrix(rubric, a, ident, name="this finding")
        s, lk = a.matrix_cell
        caption = (
            f"{view.incident.short_title or view.incident.title} in the rubric {rubric.version} matrix: "
            f"S{s}, L{lk}, base level {rubric.matrix[lk][s - 1]}, final level {a.level}."
        )
        out[view.id] = Figure(ident, svg, caption)
    return out


def _chart(name: str, rows: Sequence[EvaluationRow], min_bars: int = 2) -> Figure | None:
    """Return the bar chart of an evaluation's results, or None with fewer than `min_bars` bars."""
    bars, metric = charts.bars_for(rows)
    if len(bars) < min_bars:
        return None
    ident = f"chart-{charts.slug(name)}"
    title = f"{metric if metric != 'share' else 'results'} by model in the {name} evaluation"
    svg = charts.result_bars(bars, ident, title, metric)
    # One citation per source: with its locator when the charted rows share one.
    locators: OrderedDict[str, list[str | None]] = OrderedDict()
    for r in rows:
        if r["share"] is not None and (r["record"].metric == metric or metric == "share"):
            found = locators.setdefault(r["record"].source, [])
            if r["record"].locator not in found:
                found.append(r["record"].locator)
    sources = [(src, locs[0] if len(locs) == 1 else None) for src, locs in locators.items()]
    known = sum(1 for b in bars if b.bounds)
    caption = f"{metric[:1].upper() + metric[1:] if metric != 'share' else 'Results'} by model, {name}."
    if known:
        caption += " Whiskers: 95% Wilson intervals."
    if known < len(bars):
        caption += " Lighter bars: n not disclosed."
    return Figure(ident, svg, caption, name, sources)


def headline_chart(groups: Groups, keywords: Sequence[str] = ()) -> Figure | None:
    """Return the brief's main chart: the evaluation with the most charted results, preferring one
    whose name or metric names the focus incident's topics (e.g. "blackmail"); ties: brief order."""
    words = {w.lower() for w in keywords if len(w) > 3}
    best: tuple[int, int, int] | None = None
    chosen = None
    for index, (name, rows) in enumerate(groups.items()):
        bars, metric = charts.bars_for(rows)
        named = set(re.findall(r"[a-z][a-z-]+", f"{name} {metric}".lower()))
        score = (1 if words & named else 0, len(bars), -index)
        if len(bars) >= 2 and (best is None or score > best):
            best, chosen = score, name
    return _chart(chosen, groups[chosen]) if chosen else None


def focus_chart(focus: IncidentView | None, groups: Groups) -> Figure | None:
    """Return a chart of the focus finding's own evaluation results (its own numbers, not another study's)."""
    if focus is None:
        return None
    for name in focus.incident.evaluations:
        if name in groups:
            fig = _chart(name, groups[name], min_bars=2)
            if fig is not None:
                return fig
    return None


def evaluation_details(groups: Groups) -> list[EvaluationDetail]:
    """Return every evaluation with its conditions de-duplicated (C1, C2 ...) and its caveats."""
    details = []
    for name, rows in groups.items():
        labels: OrderedDict[str, str] = OrderedDict()
        for r in rows:
            labels.setdefault(r["record"].condition, f"C{len(labels) + 1}")
        common, apart = split_conditions(list(labels))
        out_rows = [DetailRow(**r, condition_label=labels[r["record"].condition]) for r in rows]
        metrics = list(OrderedDict((r["record"].metric, None) for r in rows))
        evaluators = list(
            OrderedDict(
                (r["record"].evaluator or r["record"].developer or "", None)
                for r in rows
                if (r["record"].evaluator or r["record"].developer)
            )
        )
        notes = [
            (f"{r['record'].model}, {labels[r['record'].condition]}", r["record"].note)
            for r in rows
            if r["record"].note
        ]
        details.append(
            EvaluationDetail(
                name=name,
                ident=f"eval-{charts.slug(name)}",
                rows=out_rows,
                conditions=[(label, text) for label, text in zip(labels.values(), apart)],
                common=common,
                metrics=metrics,
                evaluators=evaluators,
                models=len({r["record"].model for r in rows}),
                n_known=sum(1 for r in rows if r["record"].n),
                n_unknown=sum(1 for r in rows if not r["record"].n),
                from_figures=sum(1 for r in rows if r["record"].verification == "P-fig"),
                notes=notes,
                chart=_chart(name, rows, min_bars=3),
            )
        )
    return details


@dataclass
class Headline:
    """The focus finding's headline number, with its condition, sample size and source."""

    value: str
    sentence: str
    source: str
    locator: str | None


def headline(focus: IncidentView | None, groups: Groups) -> Headline | None:
    """Return the first stated number of the focus finding's own evaluations, said with its condition."""
    if focus is None:
        return None
    for name in focus.incident.evaluations:
        for r in groups.get(name, []):
            ev = r["record"]
            if ev.value is None:
                continue
            n = f"Number of samples: {r['n']}." if ev.n else "The number of samples is not disclosed."
            condition = ev.condition[:1].lower() + ev.condition[1:]
            sentence = f"{ev.model} in the {name.lower()} test: {ev.metric}. Condition: {condition}. {n}"
            return Headline(r["value"], sentence, ev.source, ev.locator)
    return None


def audience_context(
    config: Config,
    spec: BriefSpec,
    audience: str,
    views: Sequence[IncidentView],
    groups: Groups,
    focus: IncidentView | None,
) -> dict[str, Any]:
    """Return the context keys the audience templates add to build_context's."""
    keywords = list(focus.incident.tags.topics) if focus is not None else []
    return {
        "marking": marking(spec, audience),
        "audience_label": audiences.label(audience),
        "risk_matrices": risk_matrices(config, views),
        "headline_chart": headline_chart(groups, keywords),
        "headline": headline(focus, groups),
        "headline_figure": focus_chart(focus, groups),
        "evaluation_details": evaluation_details(groups),
        "level_words": LEVEL_WORDS,
    }
