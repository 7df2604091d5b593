"""NIST: the AI 600-1 risk vocabulary, and the AI RMF subcategories the rubric level selects."""

from __future__ import annotations

from collections.abc import Sequence

from brief.assess.regulatory.flags import (
    CrosswalkRow,
    Findings,
    Flag,
    FrameworkSpec,
    Inputs,
    Provision,
    level_row,
)
from brief.assess.regulatory.tables import Ref, Tables


def _nist(x: Inputs, tables: Tables) -> list[Flag]:
    """Return one flag naming the NIST AI RMF subcategories the rubric level (or realised harm) selects."""
    chosen = [
        r for r in tables.nist if (x.level is not None and x.level in r.levels) or (r.realised_harm and x.realised)
    ]
    if not chosen:
        return []
    inputs = [("Risk level", x.level or "not assessed")]
    if any(r.realised_harm for r in chosen):
        inputs.append(("Realised harm", x.realised_text))
    ids = ", ".join(r.id for r in chosen)
    where = f"At rubric level {x.level}" if x.level else "With realised harm"
    verdict = f"{where}: " + "; ".join(f"{r.id} ({r.hook_at(x.level)})" for r in chosen) + "."
    return [
        Flag(
            f"NIST.AI_RMF:{ids}",
            "NIST.AI_RMF",
            "NIST AI RMF subcategories",
            "yes",
            verdict,
            tuple(inputs),
            " ".join(f"{r.id}: “{r.text}”" for r in chosen),
            tuple(Ref(tables.nist_source, r.locator, f"NIST AI RMF {r.id}") for r in chosen),
            tokens=frozenset({"NIST.AI_RMF", *(f"NIST.AI_RMF:{r.id}" for r in chosen)}),
        )
    ]


def findings(x: Inputs, tables: Tables) -> Findings:
    """Return the NIST AI RMF flag, if the rubric level or realised harm selects a subcategory."""
    return Findings(tuple(_nist(x, tables)))


def provisions(tables: Tables) -> list[Provision]:
    """Return the NIST AI RMF subcategories and the levels that name them."""
    items = [
        (
            r.id,
            f"“{r.text}” Named at rubric level {', '.join(r.levels)}"
            f"{', or where harm was realised' if r.realised_harm else ''}.",
            (Ref(tables.nist_source, r.locator, r.locator),),
        )
        for r in tables.nist
    ]
    return [
        Provision(
            "NIST.AI_RMF",
            "NIST AI RMF subcategories",
            (),
            "The rubric level names the subcategories a provider's and a regulator's risk management should "
            "address; the AI RMF is voluntary guidance, not an obligation.",
            tuple(items),
        )
    ]


def flag_tokens(tables: Tables) -> set[str]:
    """Return the NIST.AI_RMF tokens: the family and each subcategory."""
    return {"NIST.AI_RMF"} | {f"NIST.AI_RMF:{r.id}" for r in tables.nist}


def crosswalk(x: Inputs, tables: Tables, flags: Sequence[Flag]) -> list[CrosswalkRow]:
    """Return where frameworks.yaml places the incident's rubric level under the AI RMF."""
    return level_row(x, tables, "nist", "NIST AI RMF")


SPEC = FrameworkSpec(
    code="nist",
    label="NIST AI 600-1 and the AI RMF",
    vocabulary="nist-600-1.yaml",
    flags=findings,
    provisions=provisions,
    tokens=flag_tokens,
    crosswalk=crosswalk,
)
