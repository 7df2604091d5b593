"""The annex's reference tables: the provisions every flag rests on, and the reporting periods."""

from __future__ import annotations

from dataclasses import dataclass

from brief.assess.regulatory.flags import Provision
from brief.assess.regulatory.registry import REGISTRY
from brief.assess.regulatory.tables import Ref, Tables

__all__ = ["PeriodRow", "Provision", "counting_note", "periods", "provisions"]


def provisions(tables: Tables) -> tuple[Provision, ...]:
    """Return the provisions every registered framework's flags rest on, then the vocabularies."""
    out = [p for spec in REGISTRY.values() if spec.provisions is not None for p in spec.provisions(tables)]
    items = [
        (
            v.name,
            f"{len(v.terms)} terms, kept in {v.path}.",
            (Ref(v.source, v.locator, v.locator or ""),) if v.source else (),
        )
        for v in tables.vocabularies.values()
    ]
    out.append(
        Provision(
            "TAGS",
            "Taxonomy vocabularies",
            (),
            "Every incident tag must name a term of these controlled vocabularies; validation rejects any other.",
            tuple(items),
        )
    )
    return tuple(out)


@dataclass(frozen=True)
class PeriodRow:
    """One harm type in the table of reporting periods: its Art. 3(49) point and days per regime."""

    harm_type: str
    label: str
    art3_49: str  # "(a)" .. "(d)", or "—"
    periods: tuple[tuple[str, Ref | None], ...]  # per regime: ("15 days", the provision) or ("—", None)
    note: str = ""


def periods(tables: Tables) -> tuple[PeriodRow, ...]:
    """Return the reporting periods by harm type, one column per regime (the annex's reference table)."""
    rows = []
    for harm in tables.harm_types.values():
        cells = []
        for rid, regime in tables.regimes.items():
            rule = harm.clocks.get(rid)
            cells.append((f"{rule.days} days", Ref(regime.source, rule.locator, rule.locator)) if rule else ("—", None))
        rows.append(PeriodRow(harm.id, harm.label, harm.art3_49 or "—", tuple(cells), harm.note))
    return tuple(rows)


def counting_note(tables: Tables) -> str:
    """Return how the clocks count, in one sentence for the brief."""
    if tables.working_days:
        how = "in working days (Monday to Friday)"
    else:
        how = "in calendar days; weekends are not skipped"
    roll = (
        "a date that falls on a Saturday or Sunday moves to the next Monday"
        if tables.roll_forward
        else "a date that falls on a Saturday or Sunday stays there"
    )
    return (
        f"Periods count from the day the provider becomes aware (day 0), {how}, and {roll}; "
        "public holidays are not taken into account."
    )
