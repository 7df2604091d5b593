"""Currency: as of when a brief speaks, and status facts worded for their age.

A status fact (model.StatusFact: placing on the market, Code signatory status, systemic-risk
designation, deployment, a pending determination) holds as of a date, per its source. A brief
prints it with that date; once it is older than the brief's `stale_after_months` (6 by default) it
is printed in the past tense ("As of 22 May 2025, Anthropic had not determined ..."). Every brief
says as of when its information runs ("Information as of ..."). `brief validate` lists the facts
that have gone stale, with their age, and the law not yet verified against its source.

Pure functions over the dataset and the brief's computed views; the date is always given (the
edition date, or validate's day), never read from the clock here.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from brief.assess.regulatory.tables import Tables
from brief.core.dates import long_date
from brief.load.dataset import Dataset
from brief.load.model import BriefSpec, Incident, StatusFact

__all__ = [
    "FactView",
    "add_months",
    "fact_model",
    "information_as_of",
    "months_between",
    "stale_lines",
    "unverified_lines",
    "wording",
]

_LOWER_FIRST = ("The ", "A ", "An ", "No ", "Its ", "It ")


def add_months(day: dt.date, months: int) -> dt.date:
    """Return the same day `months` later (the month's last day where it has no such day)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: dt.date, end: dt.date) -> int:
    """Return the whole months from `start` to `end` (0 when `end` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)
    return max(months, 0)


def is_stale(as_of: dt.date | None, on: dt.date, months: int) -> bool:
    """Return True when a fact dated `as_of` is older than `months` on `on`."""
    return as_of is not None and add_months(as_of, months) < on


# A fact of this kind records an event that does not change once it happened: it never goes stale.
NEVER_STALE = frozenset({"placed-on-market"})


def fact_is_stale(fact: StatusFact, on: dt.date, months: int) -> bool:
    return fact.fact not in NEVER_STALE and is_stale(fact.as_of, on, months)


def wording(fact: StatusFact, on: dt.date, months: int = 6) -> str:
    """Return how a brief dated `on` states a status fact (Markdown, with the fact's citations).

    With its date ("As of 22 May 2025, ..."), in the past tense once it is older than `months`."""
    if fact.as_of is None or fact.fact in NEVER_STALE:
        return fact.text.strip()
    text = (fact.past or fact.text).strip() if fact_is_stale(fact, on, months) else fact.text.strip()
    if text.startswith(_LOWER_FIRST):
        text = text[0].lower() + text[1:]
    return f"As of {long_date(fact.as_of)}, {text}"


@dataclass(frozen=True)
class FactView:
    """A status fact as one brief prints it."""

    incident: str
    fact: StatusFact
    model: str | None
    sentence: str  # Markdown with citations
    stale: bool
    age_months: int | None

    @property
    def kind(self) -> str:
        return self.fact.fact

    @property
    def established(self) -> bool:
        return self.fact.established


def fact_model(fact: StatusFact, inc: Incident) -> str | None:
    return fact.model or (inc.models[0] if inc.models else None)


def information_as_of(incidents: Iterable[Incident], evaluations: Iterable[Any], on: dt.date) -> dt.date | None:
    """Return the newest date of the information a brief rests on, up to its date `on`.

    Status facts' and claims' `as_of`, incident and timeline dates, evaluation dates: the newest that
    is not after `on` (a record dated later than the edition is not information the edition had)."""
    dates: list[dt.date] = []
    for inc in incidents:
        dates.append(inc.date)
        dates += [e.date for e in inc.timeline]
        dates += [c.as_of for c in inc.claims if c.as_of]
        dates += [f.as_of for f in (inc.regulatory.status if inc.regulatory else ()) if f.as_of]
    dates += [ev.date for ev in evaluations if getattr(ev, "date", None)]
    dates = [d for d in dates if d <= on]
    return max(dates) if dates else None


def stale_lines(ds: Dataset, today: dt.date, scoped: Callable[[Dataset, str], Iterable[Incident]]) -> list[str]:
    """Return the validation note's list of stale facts and claims with their age, per brief.

    `scoped(ds, brief_id)` returns the incidents a brief covers (load/scope.py `scoped_incidents`);
    a project without briefs is checked over all its incidents."""
    lines: list[str] = []
    briefs: list[BriefSpec | None] = [*ds.briefs.values()] or [None]
    for spec in briefs:
        months = spec.stale_after_months if spec is not None else 6
        incidents = list(scoped(ds, spec.id)) if spec is not None else list(ds.incidents.values())
        found = []
        for inc in incidents:
            for i, fact in enumerate(inc.regulatory.status if inc.regulatory else ()):
                if fact.as_of is not None and fact_is_stale(fact, today, months):
                    where = inc.locate(f"regulatory.status[{i}].as_of")
                    found.append(
                        f"  {where}: {fact.fact} as of {fact.as_of} ({months_between(fact.as_of, today)} months old)"
                    )
            for i, report in enumerate(inc.regulatory.framework_reports if inc.regulatory else ()):
                if report.as_of is not None and is_stale(report.as_of, today, months):
                    where = inc.locate(f"regulatory.framework_reports[{i}].as_of")
                    found.append(
                        f"  {where}: {report.framework} {report.threshold} {report.status} as of {report.as_of} "
                        f"({months_between(report.as_of, today)} months old)"
                    )
            for i, claim in enumerate(inc.claims):
                if claim.as_of is not None and is_stale(claim.as_of, today, months):
                    where = inc.locate(f"claims[{i}].as_of")
                    found.append(
                        f"  {where}: claim {claim.id} as of {claim.as_of} ({months_between(claim.as_of, today)} "
                        "months old)"
                    )
        if found:
            name = f"brief {spec.id}" if spec is not None else "the project"
            lines.append(
                f"Stale facts for {name} (older than {months} months on {today}; printed in the past tense with their "
                "date):"
            )
            lines += sorted(set(found), key=found.index)
    return lines


def unverified_lines(tables: Tables) -> list[str]:
    """Return the validation note's list of law not verified against its source (never printed in a brief)."""
    if not tables.unverified:
        return []
    lines = [f"Law to verify before it is printed ({len(tables.unverified)}; no brief prints it):"]
    for item in tables.unverified:
        lines.append(f"  {item.path}: {item.id}: {item.statement}" + (f" Check: {item.check}" if item.check else ""))
    return lines
