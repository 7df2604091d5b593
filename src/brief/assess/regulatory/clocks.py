"""Deadline arithmetic: when each duty binds, and when each report a reporting clock requires is due.

Dates come from the data (awareness and resolution dates, placing on the market) and the edition
date, never the wall clock; all of them are indicative.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from brief.assess.regulatory.tables import MilestoneRule, Ref, Tables
from brief.core.dates import long_date
from brief.load.model import Incident


def add_days(start: dt.date, days: int, *, working_days: bool = False, roll_forward: bool = False) -> dt.date:
    """Return the date `days` days after `start` (day 0), as a reporting period counts them.

    Calendar days by default: month ends and leap years come from the calendar, and weekends are
    not skipped. `working_days` counts Monday to Friday only; `roll_forward` moves a result that
    falls on a Saturday or Sunday to the following Monday. Public holidays are never known here.
    """
    if days < 0:
        raise ValueError(f"a reporting period cannot be negative ({days} days)")
    if working_days:
        day, left = start, days
        while left:
            day += dt.timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
    else:
        day = start + dt.timedelta(days=days)
    if roll_forward and day.weekday() >= 5:
        day += dt.timedelta(days=7 - day.weekday())
    return day


# --- Duties in time --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InTime:
    """Whether a duty binds the provider of a model on a date, and why (application.yaml)."""

    duty: str
    name: str
    model: str | None
    on: dt.date
    binds: bool | None  # None: undetermined (the placing-on-market date is needed and not recorded)
    binds_from: dt.date | None  # None: undetermined
    transitional: bool  # the transitional rule (Art. 111(3)) sets the date
    text: str  # one sentence, plain text; its references are `refs`
    refs: tuple[Ref, ...]
    caveat: str = ""

    @property
    def state(self) -> str:
        """Return "yes", "no" or "unknown" (undetermined)."""
        return "unknown" if self.binds is None else ("yes" if self.binds else "no")


def placings(incidents: Iterable[Incident]) -> dict[str, Any]:
    """Return each model's established placing-on-market fact, from whichever incident records it."""
    out: dict[str, Any] = {}
    for inc in incidents:
        for fact in inc.regulatory.status if inc.regulatory else ():
            if fact.fact == "placed-on-market" and fact.established:
                out.setdefault(fact.model or (inc.models[0] if inc.models else ""), fact)
    return out


def placing(inc: Incident, known: Mapping[str, Any] | None = None) -> tuple[dt.date | None, Any]:
    """Return an incident's model's placing-on-market date and its status fact (None, None: not recorded).

    The incident's own fact first; else the fact another incident records for its first model
    (`known`, from placings())."""
    facts = inc.regulatory.status if inc.regulatory else ()
    fact = next((f for f in facts if f.fact == "placed-on-market"), None)
    if fact is None and known and inc.models and inc.models[0] in known:
        fact = known[inc.models[0]]
    if fact is None or not fact.established:
        return None, fact
    try:
        return dt.date.fromisoformat(fact.value), fact
    except ValueError:  # reported by check()
        return None, fact


def in_time(
    tables: Tables,
    duty_id: str,
    on: dt.date,
    placed: dt.date | None,
    model: str | None = None,
    placed_ref: Ref | None = None,
) -> InTime:
    """Return whether a duty binds the provider of `model` on `on`, given the placing-on-market date.

    A model placed on the market before a transitional rule's date is bound only from its later date
    (AI Act Art. 111(3)); without a placing date the answer is undetermined wherever it matters."""
    duty = tables.duties[duty_id]
    t = duty.transitional
    who = model or "the model"
    law: tuple[Ref, ...] = (duty.basis,)
    placed_refs = (placed_ref,) if placed_ref is not None else ()
    if t is None:
        binds_from: dt.date | None = duty.applies_from
        text = f"{duty.short} applies from {long_date(duty.applies_from)}"
        refs: tuple[Ref, ...] = law
        transitional = False
    elif placed is None:
        binds_from = None
        text = (
            f"Undetermined for {who}: its placing-on-market date is not recorded. {duty.short} binds providers from "
            f"{long_date(duty.applies_from)}, or from {long_date(t.binds_from)} for a model placed on the market "
            f"before {long_date(t.placed_before)}"
        )
        refs = (duty.basis, t.basis)
        transitional = False
    elif placed < t.placed_before:
        binds_from = t.binds_from
        text = (
            f"Art. 111(3) binds {who} from {long_date(t.binds_from)}: it was placed on the market on "
            f"{long_date(placed)}, before "
            f"{long_date(t.placed_before)}, so {duty.short} binds its provider from {long_date(t.binds_from)}, not "
            f"from {long_date(duty.applies_from)}"
        )
        refs = placed_refs + (t.basis, duty.basis)
        transitional = True
    else:
        binds_from = duty.applies_from
        text = (
            f"{duty.short} binds the provider of {who} from {long_date(duty.applies_from)}: it was placed on the "
            "market on "
            f"{long_date(placed)}, on or after {long_date(t.placed_before)}, so the transitional period of Art. "
            "111(3) does not apply"
        )
        refs = placed_refs + (duty.basis, t.basis)
        transitional = False
    if binds_from is not None:
        binds: bool | None = on >= binds_from
    elif on < duty.applies_from:
        binds = False
    elif t is not None and on >= t.binds_from:
        binds = True
    else:
        binds = None
    when = long_date(on)
    verb = "bind" if t is not None else "apply"
    if binds is True:
        text += f"; on {when} it {'binds' if t is not None else 'applies'}"
    elif binds is False:
        text += f"; on {when} it does not yet {verb}"
    else:
        text += f"; on {when} whether it binds is undetermined"
    return InTime(
        duty_id,
        duty.name,
        model,
        on,
        binds,
        binds_from,
        transitional,
        text + ".",
        refs,
        duty.caveat if t is not None else "",
    )


@dataclass(frozen=True)
class Milestone:
    """One report a clock requires: when it is due and the rule that says so."""

    kind: str  # initial, intermediate, final, complete
    label: str
    due: dt.date | None  # None: no fixed date (unresolved incident, or no period set)
    due_text: str
    rule: str
    ref: Ref
    passed: bool | None = None  # the due date lies before the edition date
    dates: tuple[dt.date, ...] = ()  # intermediate reports: the dates listed


@dataclass(frozen=True)
class Clock:
    """The reports one regime requires for one harm type, from one awareness date (indicative)."""

    regime: str
    regime_name: str
    harm_type: str
    harm_label: str
    days: int
    ref: Ref  # the provision that sets the period
    awareness: dt.date
    awareness_text: str
    milestones: tuple[Milestone, ...]
    to: str = ""
    state: str = "yes"  # "yes", or "conditional" when a precondition is unsettled
    condition: str = ""  # what the conditional clock depends on
    caveat: str = ""
    binding: bool = True  # the earliest initial report among the clocks of its regime
    indicative: bool = True

    @property
    def initial(self) -> Milestone:
        """Return the initial report, the first milestone."""
        return self.milestones[0]


def report_deadlines(
    tables: Tables,
    regime_id: str,
    harm_type: str,
    aware: dt.date,
    *,
    resolved: dt.date | None = None,
    as_of: dt.date | None = None,
    awareness_text: str | None = None,
) -> Clock:
    """Return the due dates of the initial, intermediate and final reports for one harm type.

    `aware` is the day the provider became aware (day 0); `resolved` the day the incident was
    resolved, if it has been; `as_of` (the edition date) marks dates that have passed and picks
    the next intermediate report. Raises KeyError for a regime that does not cover the harm type.
    """
    regime = tables.regimes[regime_id]
    harm = tables.harm_types[harm_type]
    rule = harm.clocks[regime_id]
    count = functools.partial(add_days, working_days=tables.working_days, roll_forward=tables.roll_forward)
    initial_due = count(aware, rule.days)
    unit = "working days" if tables.working_days else "days"
    milestones = []
    for m in regime.milestones:
        ref = Ref(regime.source, m.locator, m.locator)
        if m.kind == "initial":
            ref = Ref(regime.source, rule.locator, rule.locator)
            text = long_date(initial_due)
            milestones.append(
                Milestone(
                    "initial",
                    m.label,
                    initial_due,
                    text,
                    f"Within {rule.days} {unit} of awareness ({rule.locator}). {m.rule}",
                    ref,
                    _passed(initial_due, as_of),
                )
            )
        elif m.kind == "intermediate" and m.every_days:
            milestones.append(_intermediate(m, ref, initial_due, resolved, as_of, count))
        elif m.kind == "final" and m.days_after_resolution is not None:
            if resolved is None:
                milestones.append(
                    Milestone(
                        "final",
                        m.label,
                        None,
                        f"{m.days_after_resolution} days after resolution; no resolution date recorded",
                        m.rule,
                        ref,
                    )
                )
            else:
                due = count(resolved, m.days_after_resolution)
                milestones.append(
                    Milestone(
                        "final",
                        m.label,
                        due,
                        f"{long_date(due)} ({m.days_after_resolution} days after resolution on {long_date(resolved)})",
                        m.rule,
                        ref,
                        _passed(due, as_of),
                    )
                )
        elif m.kind == "complete":
            milestones.append(Milestone("complete", m.label, None, "No period set", m.rule, ref))
    return Clock(
        regime=regime_id,
        regime_name=regime.short,
        harm_type=harm_type,
        harm_label=harm.label,
        days=rule.days,
        ref=Ref(regime.source, rule.locator, rule.locator),
        awareness=aware,
        awareness_text=awareness_text or long_date(aware),
        milestones=tuple(milestones),
        to=regime.to,
        caveat=regime.caveat,
    )


def _passed(due: dt.date, as_of: dt.date | None) -> bool | None:
    """Return whether a due date lies before the edition date (None: no edition date)."""
    return None if as_of is None else due < as_of


def _intermediate(
    m: MilestoneRule,
    ref: Ref,
    initial_due: dt.date,
    resolved: dt.date | None,
    as_of: dt.date | None,
    count: Callable[[dt.date, int], dt.date],
) -> Milestone:
    """Return the intermediate reports: every `every_days` from the initial one until resolution."""
    step = m.every_days or 28
    first = count(initial_due, step)
    if resolved is not None and resolved <= first:
        return Milestone(
            "intermediate",
            m.label,
            None,
            f"None: resolved on {long_date(resolved)}, before the first would fall due",
            m.rule,
            ref,
        )
    dates = [first]
    stop = resolved if resolved is not None else as_of
    if stop is not None:
        while count(dates[-1], step) < stop and len(dates) < 1000:
            dates.append(count(dates[-1], step))
    text = f"Every {step} days from {long_date(first)}"
    if resolved is not None:
        text += f"; last due {long_date(dates[-1])}, before resolution on {long_date(resolved)}"
        return Milestone("intermediate", m.label, first, text, m.rule, ref, _passed(dates[-1], as_of), tuple(dates))
    if as_of is not None and dates[-1] < as_of:
        upcoming = count(dates[-1], step)
        dates.append(upcoming)
        text += f"; next due after the edition date: {long_date(upcoming)}"
    return Milestone("intermediate", m.label, first, text, m.rule, ref, _passed(first, as_of), tuple(dates))
