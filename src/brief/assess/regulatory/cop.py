"""The GPAI Code of Practice's specified systemic risks (Appendix 1.4): a flag per risk the incident is tagged with."""

from __future__ import annotations

from brief.assess.regulatory.flags import (
    Findings,
    Flag,
    FrameworkSpec,
    Inputs,
    Provision,
    rule,
)
from brief.assess.regulatory.tables import Ref, Tables, words


def _cop_risks(x: Inputs, tables: Tables) -> list[Flag]:
    """Return one flag per specified systemic risk the incident is tagged with, or one "no" flag."""
    code = "CoP.APP1_4"
    vocab = tables.vocabularies["cop"]
    entry = tables.flags[code]
    flags = []
    for tag in dict.fromkeys(x.inc.tags.cop):
        term = vocab.find(tag)
        if term is None:
            continue
        basis = (
            Ref(
                vocab.source,
                term.locator or vocab.locator,
                f"CoP {term.locator or vocab.locator}".replace("app.", "Appendix"),
            ),
        )
        flags.append(
            Flag(
                f"{code}:{term.id}",
                code,
                f"{entry.name}: {term.label}",
                "yes",
                tables.verdict(
                    code,
                    "yes",
                    label=term.label,
                    locator=f"Appendix {(term.locator or '').removeprefix('app. ')}".strip(),
                ),
                (("Tag (tags.cop)", term.id),),
                f"“{term.definition}”",
                basis,
                tokens=frozenset({code, f"{code}:{term.id}", f"{code}=yes"}),
            )
        )
    if not flags:
        flags.append(
            Flag(
                code,
                code,
                entry.name,
                "no",
                tables.verdict(code, "no"),
                (("Tags (tags.cop)", "none"),),
                rule(tables, code),
                tables.refs(code),
                tokens=frozenset({f"{code}=no"}),
            )
        )
    return flags


def findings(x: Inputs, tables: Tables) -> Findings:
    """Return one flag per specified systemic risk the incident is tagged with (or one "no")."""
    return Findings(tuple(_cop_risks(x, tables)))


def provisions(tables: Tables) -> list[Provision]:
    """Return Appendix 1.4 with the wording of each specified systemic risk."""
    code = "CoP.APP1_4"
    entry = tables.flags[code]
    cop = tables.vocabularies.get("cop")
    items: list[tuple[str, str, tuple[Ref, ...]]] = (
        [(t.label, f"“{t.definition}”", (Ref(cop.source, t.locator, t.locator or ""),)) for t in cop.terms]
        if cop
        else []
    )
    relevant = entry.relevant
    if relevant is not None and relevant.text:
        items.append(("Also relevant", words(relevant.text), tuple(r.ref() for r in relevant.basis)))
    return [Provision(code, entry.name, tables.refs(code), rule(tables, code), tuple(items))]


def flag_tokens(tables: Tables) -> set[str]:
    """Return the CoP.APP1_4 tokens: the family, its states and one per specified systemic risk."""
    out = {"CoP.APP1_4", "CoP.APP1_4=yes", "CoP.APP1_4=no"}
    return out | (
        {f"CoP.APP1_4:{t.id}" for t in tables.vocabularies["cop"].terms} if "cop" in tables.vocabularies else set()
    )


SPEC = FrameworkSpec(
    code="cop",
    label="GPAI Code of Practice, specified systemic risks",
    vocabulary="cop-systemic-risks.yaml",
    flag_codes=("CoP.APP1_4",),
    flags=findings,
    provisions=provisions,
    tokens=flag_tokens,
)
