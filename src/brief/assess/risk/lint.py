"""The checks `brief validate` runs on an analyst override of the computed level (rubric section 7).

An override needs a justification that cites evidence, the analyst and the date; a reviewer when it
moves the level more than the rubric allows or sets it below a floor; and a review by its due date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping

from brief.assess.risk.assessment import Assessment, case_of, derive
from brief.assess.risk.tables import Rubric
from brief.core.errors import Location, Problem
from brief.load.markers import cite_keys, in_text_keys
from brief.load.model import Override, RiskInputs

__all__ = ["lint_override"]


# The rules a lint without the rubric assumes: those of rubric v0.1.
_LEVELS = ("Low", "Moderate", "High", "Critical")
_REVIEW_BY_DAYS = 90
_MORE_THAN_STEPS = 1

# One problem found: (field of the override, message, severity).
_Found = tuple[str, str, str]


def lint_override(
    inputs: RiskInputs,
    assessment_or_computed: Assessment | str,
    where: Location,
    today: dt.date,
    *,
    rubric: Rubric | None = None,
    evidence_ids: Collection[str] = (),
) -> list[Problem]:
    """Check an analyst override against rubric section 7 and return every problem found.

    `where` locates the incident's `risk` block; its field (default "risk") prefixes the
    field paths. `evidence_ids` are the ids (sources, claims) a justification may cite bare.
    Given only a computed level, the floor check needs `rubric`; without it, it is skipped.
    """
    override = inputs.override
    if override is None:
        return []
    prefix = f"{where.field or 'risk'}.override"
    if isinstance(assessment_or_computed, Assessment):
        computed = assessment_or_computed.computed_level
        floor_levels = assessment_or_computed.floor_levels
    else:
        computed = assessment_or_computed
        floor_levels = {}
        if rubric is not None:  # floors depend on S, E, C, Cs and the harm flag only, not on tags
            floor_levels = derive(case_of(inputs, None), rubric).floor_levels
    found = [
        *_record_problems(override, evidence_ids),
        *_level_problems(override, computed, floor_levels, rubric),
        *_review_problems(override, today, rubric.review_by_days if rubric is not None else _REVIEW_BY_DAYS),
    ]
    return [Problem(Location(where.path, where.line, f"{prefix}.{name}"), text, kind) for name, text, kind in found]


def _record_problems(override: Override, evidence_ids: Collection[str]) -> list[_Found]:
    """Return the problems of the override's record: justification with evidence, analyst, date."""
    out = []
    justification = override.justification.strip()
    if not justification:
        what = "at least one sentence that justifies the override and cites evidence, e.g. [@source-id]"
        out.append(("justification", f"missing (expected {what})", "error"))
    elif not _cites_evidence(justification, evidence_ids):
        what = "at least one evidence id, e.g. [@source-id] or the id of one of the incident's sources"
        out.append(("justification", f"cites no evidence (expected {what})", "error"))
    if not override.analyst.strip():
        out.append(("analyst", "missing (expected the name of the analyst who set the override)", "error"))
    if override.date is None:
        out.append(("date", "missing (expected the date the override was set, as YYYY-MM-DD)", "error"))
    return out


def _level_problems(
    override: Override, computed: str, floor_levels: Mapping[str, str], rubric: Rubric | None
) -> list[_Found]:
    """Return the problems of the override's level: the computed one already, or one that needs a reviewer."""
    levels = rubric.levels if rubric is not None else _LEVELS
    more_than = rubric.reviewer_more_than_steps if rubric is not None else _MORE_THAN_STEPS
    check_floor = rubric.reviewer_below_floor if rubric is not None else True
    level = override.level
    out = []
    if level == computed:
        text = f"{level} is the computed level already (expected a different level, or no override)"
        out.append(("level", text, "warning"))
    if (override.reviewer or "").strip():
        return out
    steps = abs(levels.index(level) - levels.index(computed))
    if steps > more_than:
        text = (
            f"missing: the override moves the level {steps} steps, from {computed} to {level} "
            f"(expected a reviewer for an override of more than {_steps_words(more_than)})"
        )
        out.append(("reviewer", text, "error"))
    below = {code: floor for code, floor in floor_levels.items() if levels.index(level) < levels.index(floor)}
    if check_floor and below:
        floor_level = max(below.values(), key=levels.index)
        codes = [code for code, floor in below.items() if floor == floor_level]
        which = (
            f"floor {codes[0]} requires"
            if len(codes) == 1
            else f"floors {', '.join(codes[:-1])} and {codes[-1]} require"
        )
        text = (
            f"missing: the override sets {level}, below the {floor_level} that {which} "
            "(expected a reviewer for an override below a floor)"
        )
        out.append(("reviewer", text, "error"))
    return out


def _review_problems(override: Override, today: dt.date, review_days: int) -> list[_Found]:
    """Return a warning when the override's review is overdue: its review_by, else its date + `review_days`."""
    confirm = "expected a review by then: confirm or withdraw the override and set"
    if override.review_by is not None:
        if override.review_by < today:
            return [
                ("review_by", f"expired on {override.review_by.isoformat()} ({confirm} a new review_by)", "warning")
            ]
    elif override.date is not None:
        due = override.date + dt.timedelta(days=review_days)
        if due < today:
            text = f"expired on {due.isoformat()}, {review_days} days after the override date ({confirm} review_by)"
            return [("review_by", text, "warning")]
    return []


def _steps_words(n: int) -> str:
    """Return a number of steps in words: "one step", "2 steps"."""
    return "one step" if n == 1 else f"{n} steps"


def _cites_evidence(text: str, evidence_ids: Collection[str]) -> bool:
    """Return whether the text cites evidence: a citation marker, an in-text citation, or a known id bare."""
    if cite_keys(text) or in_text_keys(text):
        return True
    return any(re.search(rf"(?<![\w.-]){re.escape(i)}(?![\w-])", text) for i in evidence_ids if i)
