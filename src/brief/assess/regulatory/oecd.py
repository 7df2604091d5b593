"""The OECD classification: AI incident, serious AI incident, AI disaster or (serious) AI hazard."""

from __future__ import annotations

from collections.abc import Sequence

from brief.assess.regulatory.flags import (
    CrosswalkRow,
    Findings,
    Flag,
    FrameworkSpec,
    Inputs,
    Provision,
    harm_words,
    level_row,
    rationale,
)
from brief.assess.regulatory.tables import Ref, Tables, words

SEVERITY_SERIOUS = 4  # rubric S4: the Art. 3(49) / OECD "serious" level


def _oecd(x: Inputs, tables: Tables) -> Flag:
    """Return the OECD class: incident, serious incident or disaster with realised harm; else a hazard."""
    code = "OECD"
    entry = tables.flags[code]
    severity = x.inc.risk.severity if x.inc.risk else None
    if x.realised:
        if x.facts.disaster and x.serious:
            cls, key = "disaster", "disaster"
        elif x.serious:
            cls, key = "serious-incident", "serious-incident"
        else:
            cls, key = "incident", "incident"
    elif severity is None:
        cls, key = "hazard", "hazard_unassessed"
    elif severity >= SEVERITY_SERIOUS:
        cls, key = "serious-hazard", "serious-hazard"
    else:
        cls, key = "hazard", "hazard"
    definition = entry.classes[cls]
    inputs = [("Realised harm", x.realised_text)]
    if x.realised:
        inputs.append(("Harm types", harm_words(x, tables)))
        if x.facts.disaster:
            inputs.append(("Disaster (analyst judgement)", "yes"))
    else:
        inputs.append(("Worst credible outcome", f"S{severity}" if severity else "not assessed"))
    basis = tuple(Ref(r.source, definition.locator, r.text) for r in tables.refs(code))
    verdict = tables.verdict(code, key, severity=severity, harms=harm_words(x, tables, x.serious).lower())
    return Flag(
        f"{code}:{cls}",
        code,
        f"{entry.name}: {definition.label}",
        "yes",
        verdict,
        tuple(inputs),
        f"{definition.label}: “{words(definition.definition)}”",
        basis,
        rationale(x, "realised_harm", "disaster"),
        tokens=frozenset({code, f"{code}:{cls}"}),
    )


def findings(x: Inputs, tables: Tables) -> Findings:
    """Return the OECD class of the incident."""
    return Findings((_oecd(x, tables),))


def provisions(tables: Tables) -> list[Provision]:
    """Return the OECD classes and their definitions."""
    entry = tables.flags["OECD"]
    refs = tables.refs("OECD")
    source = refs[0].source if refs else ""
    items = [
        (c.label, "“" + words(c.definition) + "”", (Ref(source, c.locator, c.locator or ""),))
        for c in entry.classes.values()
    ]
    return [
        Provision(
            "OECD",
            entry.name,
            (),
            "Realised harm makes an AI incident (a serious AI incident when the harm is of an Art. 3(49) class; "
            "an AI disaster only on the analyst's recorded judgement); without realised harm, an AI hazard, "
            "serious when the worst credible outcome is S4 or above.",
            tuple(items),
        )
    ]


def flag_tokens(tables: Tables) -> set[str]:
    """Return the OECD tokens: the family and each class."""
    entry = tables.flags.get("OECD")
    return {"OECD"} | {f"OECD:{cls}" for cls in (entry.classes if entry else {})}


def crosswalk(x: Inputs, tables: Tables, flags: Sequence[Flag]) -> list[CrosswalkRow]:
    """Return where frameworks.yaml places the incident's rubric level, with the record's own class."""
    oecd = next((f for f in flags if f.family == "OECD"), None)
    this = f" This record: {oecd.name.split(': ', 1)[-1]} (flag OECD)." if oecd else ""
    return level_row(x, tables, "oecd", "OECD / CSET", this)


SPEC = FrameworkSpec(
    code="oecd",
    label="OECD AI incident definitions",
    vocabulary="oecd-harm-types.yaml",
    flag_codes=("OECD",),
    flags=findings,
    provisions=provisions,
    tokens=flag_tokens,
    crosswalk=crosswalk,
)
