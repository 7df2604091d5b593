"""Developer frontier-safety frameworks (frameworks.yaml): what a developer reported under its own thresholds."""

from __future__ import annotations

from collections.abc import Sequence

from brief.assess.regulatory.flags import (
    CrosswalkRow,
    Findings,
    Flag,
    FrameworkSpec,
    Inputs,
    Provision,
)
from brief.assess.regulatory.tables import Framework, Ref, Tables, fold, words
from brief.core.dates import long_date
from brief.load.model import Incident


def _frontier(x: Inputs, tables: Tables) -> list[Flag]:
    """Return one flag per threshold the developer reported, or one "no" flag."""
    code = "FRONTIER"
    entry = tables.flags[code]
    statuses = entry.statuses
    cop = tables.vocabularies["cop"]
    flags = []
    for report in x.facts.framework_reports:
        fw = tables.frameworks.get(report.framework)
        threshold = fw.find(report.threshold) if fw else None
        if fw is None or threshold is None:
            continue  # reported by check()
        holds = report.status != "ruled-out"
        domain = report.domain or threshold.domain
        rung = threshold.rung if report.status == "reached" else (1 if holds else 0)
        status_words = statuses.get(report.status, report.status)
        inputs = [("Framework", fw.name), ("Threshold", threshold.label), ("Status", status_words)]
        if domain:
            term = cop.find(domain)
            inputs.append(("Risk domain", term.label if term else domain))
        inputs.append(("Cross-walk rung", f"C{rung} {tables.rungs.get(rung, {}).get('label', '')}".strip()))
        notes = []
        if domain and domain not in {(_t.id if (_t := cop.find(t)) else t) for t in x.inc.tags.cop}:
            term = cop.find(domain)
            notes.append(
                f"The threshold concerns {term.label if term else domain}, a risk this record is not tagged with: it "
                "is reported for context, not as the trigger of this finding."
            )
        basis = (Ref(fw.source, threshold.locator or None, f"{fw.short}: {threshold.id}"),)
        evidence = (Ref(report.source, report.locator, "the developer's report"),)
        verdict = tables.verdict(
            code, "yes" if holds else "no", status=status_words, threshold=threshold.label, framework=fw.short
        )
        if report.as_of is not None:  # a developer's determination can change: say when it was reported
            verdict = f"As of {long_date(report.as_of)}: {verdict[0].lower()}{verdict[1:]}"
        tokens = {f"{code}:{fw.id}:{threshold.id}", f"{code}={'yes' if holds else 'no'}"}
        if holds:
            tokens |= {code, f"{code}:{fw.id}"}
        flags.append(
            Flag(
                f"{code}:{fw.id}:{threshold.id}",
                code,
                f"{entry.name}: {fw.short} {threshold.id}",
                "yes" if holds else "no",
                verdict,
                tuple(inputs),
                words(entry.rule),
                basis,
                (report.note,) if report.note else (),
                tuple(notes),
                frozenset(tokens),
                evidence,
            )
        )
    if not flags:
        flags.append(
            Flag(
                code,
                code,
                entry.name,
                "no",
                tables.verdict(code, "none"),
                (("Framework reports", "none recorded"),),
                words(entry.rule),
                (),
                tokens=frozenset({f"{code}=no"}),
            )
        )
    return flags


def own_frameworks(inc: Incident, tables: Tables) -> list[Framework]:
    """Return the frameworks of the incident's developer (none when it names no single developer with one)."""
    developer = fold(inc.developer or "")
    return [fw for fw in tables.frameworks.values() if fw.developer and fold(fw.developer) == developer]


def developer_rows(x: Inputs, tables: Tables, flags: Sequence[Flag]) -> list[CrosswalkRow]:
    """Return the cross-walk rows of the developer's own framework: only what the developer reported."""
    rows: list[CrosswalkRow] = []
    cop = tables.vocabularies.get("cop")
    if x.inc.risk is not None:
        c = x.inc.risk.capability.status
        rung = tables.rungs.get(c, {})
        domain = x.inc.risk.capability.domain
        term = cop.find(domain) if cop is not None and domain else None
        where = f" ({term.label if term else domain})" if domain else ""
        text = f"The rubric rates capability C{c}{where}: {rung.get('label', '').lower() or 'not labelled'}."
        if rung.get("cop"):
            text += f" Code of Practice tiers: {rung['cop']}."
        rows.append(CrosswalkRow(f"Capability, rubric C{c}", text))
    own = own_frameworks(x.inc, tables)
    if not own:
        who = x.inc.developer or "not recorded"
        rows.append(
            CrosswalkRow(
                "Developer framework",
                f"None shown: the record's developer ({who}) has no framework in data/regulatory/frameworks.yaml, and "
                "another developer's framework says nothing about this model.",
            )
        )
    for fw in own:
        reports = [f for f in flags if f.family == "FRONTIER" and f.code.startswith(f"FRONTIER:{fw.id}:")]
        if not reports:
            rows.append(
                CrosswalkRow(
                    f"{fw.short} (the developer's own framework)",
                    f"No {fw.short} threshold is reported for this record.",
                    (Ref(fw.source, None, fw.short),) if fw.source else (),
                    fw.id,
                )
            )
            continue
        asserts = tuple((f.code.split(":", 2)[2], "applies" if f.holds else "ruled-out") for f in reports)
        text = (
            "As the developer reported: "
            + "; ".join(f.verdict.rstrip(".") for f in reports)
            + ". The developer's thresholds are its own and are not calibrated to other developers'."
        )
        rows.append(
            CrosswalkRow(
                f"{fw.short} (the developer's own framework)",
                text,
                tuple(e for f in reports for e in f.evidence),
                fw.id,
                asserts,
            )
        )
    return rows


def findings(x: Inputs, tables: Tables) -> Findings:
    """Return one flag per threshold the developer reported under its own framework (or one "no")."""
    return Findings(tuple(_frontier(x, tables)))


def provisions(tables: Tables) -> list[Provision]:
    """Return the developer frameworks and their thresholds."""
    entry = tables.flags["FRONTIER"]
    items = [
        (
            fw.name,
            "Thresholds: " + ", ".join(t.id for t in fw.thresholds) + "." + (f" {fw.note}" if fw.note else ""),
            (Ref(fw.source, None, fw.short),),
        )
        for fw in tables.frameworks.values()
    ]
    return [Provision("FRONTIER", entry.name, (), words(entry.rule), tuple(items))]


def flag_tokens(tables: Tables) -> set[str]:
    """Return the FRONTIER tokens: the family, its states, each framework and each threshold."""
    out = {"FRONTIER", "FRONTIER=yes", "FRONTIER=no"}
    for fw in tables.frameworks.values():
        out.add(f"FRONTIER:{fw.id}")
        out |= {f"FRONTIER:{fw.id}:{t.id}" for t in fw.thresholds}
    return out


SPEC = FrameworkSpec(
    code="frontier",
    label="Developer frontier-safety frameworks",
    flag_codes=("FRONTIER",),
    flags=findings,
    provisions=provisions,
    tokens=flag_tokens,
)
