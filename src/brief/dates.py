"""How dates are worded in every output: one owner, so a brief, its index and its feed agree."""

from __future__ import annotations

import datetime as dt


def long_date(day: dt.date) -> str:
    """Return '2 August 2026' (no locale dependence)."""
    return f"{day.day} {day.strftime('%B')} {day.year}"
