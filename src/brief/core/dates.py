"""How dates are worded in every output: one owner, so a brief, its index and its feed agree."""

from __future__ import annotations

import datetime as dt


def long_date(day: dt.date) -> str:
    """Return '2 August 2026', or at the date's precision 'April 2023' or '2023' (no locale dependence)."""
    precision = getattr(day, "precision", "day")  # model.PartialDate: a month or a year only
    if precision != "day":
        return f"{day.strftime('%B')} {day.year}" if precision == "month" else str(day.year)
    return f"{day.day} {day.strftime('%B')} {day.year}"
