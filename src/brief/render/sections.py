"""The parts of a brief that arrange the records for its reader: each fact in one home.

Computed here so that templates only place them: the decisions page 1 asks for (owner, by when),
the claims register with one number per claim, the press errors table, the key numbers of the
focus finding, the risk derivations of every finding as one table, the regulatory matrix
(findings x provisions) and the facts of the method note. Nothing here prints a record id, a file
name or a code of the tool: every value has a label a reader understands.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Sequence

from brief.assess.recommend import Annex, Deadline, Fired
from brief.assess.regulatory import Flag, InTime, Ref
from brief.core.dates import long_date
from brief.load.model import Addressee, BriefSpec, Claim, ClaimStatus
from brief.render.views import Groups, IncidentView

# How soon each priority asks for action, counted from the edition date (days), and its words.
PRIORITY_HORIZON = {1: 30, 2: 90, 3: None}
PRIORITY_WORDS = {1: "Act now", 2: "This quarter", 3: "Monitor"}
ADDRESSEE_NAMES = {
    Addressee.regulator: "Regulator",
    Addressee.developer: "Developers",
    Addressee.deployer: "Deployers",
    Addressee.standards_body: "Standards bodies",
    Addressee.evaluator: "Evaluators",
}
# The reader each audience's recommendations are addressed to.
AUDIENCE_ADDRESSEES = {
    "regulator": (Addressee.regulator, Addressee.developer, Addressee.deployer),
    "executive": (Addressee.regulator, Addressee.developer, Addressee.deployer),
    "technical": (Addressee.evaluator, Addressee.standards_body, Addressee.developer),
}
STATUS_WORDS = {
    ClaimStatus.confirmed: "Confirmed",
    ClaimStatus.partly_accurate: "Partly accurate",
    ClaimStatus.unverified: "Unverified",
    ClaimStatus.contradicted: "Contradicted",
}
KIND_WORDS = {
    "incident": "Incident (harm occurred)",
    "hazard": "Hazard (no harm occurred)",
    "research-finding": "Research finding (controlled test)",
}


def owner(spec: BriefSpec, addressee: Addressee) -> str:
    """Return who owns a recommendation for this addressee: the brief's named owner, else the addressee."""
    return spec.owners.get(addressee.value) or ADDRESSEE_NAMES[addressee]


def by_when(priority: int, edition_date: dt.date, deadline: Deadline | None = None) -> tuple[dt.date | None, str]:
    """Return the date a recommendation is due by and its words: a reporting deadline where one
    runs, else the priority's horizon from the edition date; priority 3: the next edition."""
    if deadline is not None:  # a reporting clock runs: its report is due by its own date
        return deadline.due, deadline.text
    days = PRIORITY_HORIZON.get(priority)
    if days is None:
        return None, "Review at the next edition"
    day = edition_date + dt.timedelta(days=days)
    return day, long_date(day)


@dataclass
class Decision:
    """A decision page 1 asks for: what, whose, by when."""

    id: str
    text: str
    owner: str
    by: dt.date | None
    by_text: str
    priority: int
    priority_words: str


def decisions(
    spec: BriefSpec,
    recs: Sequence[Fired],
    focus: IncidentView | None,
    edition_date: dt.date,
    audience: str,
    limit: int = 3,
) -> list[Decision]:
    """Return at most `limit` decisions: those the brief names, else the recommendations of the
    focus incident addressed to this audience's readers (by priority), then the brief's others."""
    by_id = {r.id: r for r in recs}
    chosen: list[Fired] = []
    if spec.decisions:
        chosen = [by_id[d.recommendation] for d in spec.decisions if d.recommendation in by_id]
    else:
        readers = AUDIENCE_ADDRESSEES.get(audience, tuple(Addressee))
        focus_ids = [r.id for r in focus.recommendations] if focus is not None else []
        ranked = sorted(
            (r for r in recs if r.addressee in readers),
            key=lambda r: (
                r.id not in focus_ids,
                r.priority,
                readers.index(r.addressee),
                focus_ids.index(r.id) if r.id in focus_ids else 0,
            ),
        )
        chosen = ranked
    out = []
    named = {d.recommendation: d for d in spec.decisions}
    for rec in chosen[:limit]:
        d = named.get(rec.id)
        due: dt.date | None
        if d is not None and d.by:
            due, text = d.by, long_date(d.by)
        else:
            due, text = by_when(rec.priority, edition_date, rec.deadline)
        who = (d.owner if d is not None and d.owner else None) or owner(spec, rec.addressee)
        out.append(Decision(rec.id, rec.text, who, due, text, rec.priority, PRIORITY_WORDS[rec.priority]))
    return out


# --- Claims ---------------------------------------------------------------------------------------


@dataclass
class NumberedClaim:
    """A claim with its number in the register."""

    number: int
    claim: Claim
    status: str  # the status in words
    in_body: bool = False  # shown in the body (the press table): the register refers to it


@dataclass
class ClaimGroup:
    """A finding's claims, numbered."""

    view: IncidentView
    claims: list[NumberedClaim] = field(default_factory=list)


def press_error(claim: Claim) -> bool:
    """Return whether a claim is a press claim the primary sources do not support as stated."""
    return claim.kind == "press" and claim.status in (ClaimStatus.partly_accurate, ClaimStatus.contradicted)


def claims_register(views: Sequence[IncidentView]) -> list[ClaimGroup]:
    """Number every claim of the brief once (1, 2 ... across findings, in brief order)."""
    groups, n = [], 0
    for view in views:
        group = ClaimGroup(view)
        for claim in view.incident.claims:
            n += 1
            group.claims.append(NumberedClaim(n, claim, STATUS_WORDS[claim.status], in_body=press_error(claim)))
        if group.claims:
            groups.append(group)
    return groups


@dataclass
class PressRow:
    """A press claim the sources do not support as stated."""

    number: int
    outlets: list[str]  # source ids of whoever reported it (linked), may be empty
    claim: Claim
    status: str


def press_errors(register: Sequence[ClaimGroup]) -> list[PressRow]:
    """Return the press claims the sources do not support as stated, with their register numbers."""
    rows = []
    for group in register:
        for item in group.claims:
            if item.in_body:
                rows.append(PressRow(item.number, [r.id for r in item.claim.reported_by], item.claim, item.status))
    return rows


# --- Risk -----------------------------------------------------------------------------------------


# The rubric inputs the derivation table prints, one column each, in the rubric's order.
INPUT_CODES = ("S", "E", "L", "C", "B", "R")


@dataclass
class DerivationRow:
    """A finding's risk derivation, as one row of the table."""

    view: IncidentView
    inputs: list[tuple[str, str]]  # (input name, value label)
    codes: list[str]  # the value code of each of INPUT_CODES ("S3"), "—" when not given
    base: str
    steps: str  # what moved the level after the matrix, in words
    level: str
    confidence: str


def derivation_rows(views: Sequence[IncidentView], names: dict[str, str] | None = None) -> list[DerivationRow]:
    """Return every assessed finding's derivation as one table row (`names`: the rubric's rule names by code)."""
    names = names or {}
    rows = []
    for view in views:
        a = view.assessment
        if a is None:
            continue
        moved = []
        if a.amplified:
            held = [k for k, v in a.amplifiers.items() if v]
            moved.append(
                f"{len(held)} amplifiers ({', '.join(names.get(k, k).lower() for k in held)}) raise it one level"
            )
        if a.capped:
            moved.append("evidence cap holds")
        if a.floors:
            moved.append(
                "; ".join(
                    f"capability floor {f}{'' if names.get(f, f) == f else ' (' + names[f].lower() + ')'} "
                    f"sets at least {a.floor_levels.get(f) or a.floor_level}"
                    for f in a.floors
                )
            )
        if a.overridden:
            moved.append(f"analyst override (computed {a.computed_level})")
        values = {code: value for code, value, _why in a.inputs_table}
        rows.append(
            DerivationRow(
                view,
                [(code, value) for code, value, _why in a.inputs_table],
                [(values.get(code) or "—").split(" ", 1)[0] for code in INPUT_CODES],
                a.base_level,
                "; ".join(moved) or "no further step changes it",
                a.level,
                a.confidence,
            )
        )
    return rows


def input_legend(rows: Sequence[DerivationRow]) -> list[tuple[str, str]]:
    """Return what each input value code in the table means ("S3", "Moderate"), in code order."""
    seen: dict[str, str] = {}
    for row in rows:
        for code, value in row.inputs:
            if code in INPUT_CODES and " " in value:
                key, label = value.split(" ", 1)
                seen.setdefault(key, re.sub(r"\s*\([a-z_]+\)$", "", label))
    return sorted(seen.items(), key=lambda kv: (INPUT_CODES.index(kv[0][0]) if kv[0][0] in INPUT_CODES else 9, kv[0]))


# --- Regulatory matrix ------------------------------------------------------------------------------


STATE_WORDS = {"yes": "Applies", "no": "Does not apply", "conditional": "Conditional", "unknown": "Undetermined"}


@dataclass
class MatrixColumn:
    """A provision family of the regulatory matrix."""

    family: str
    label: str  # "AI Act Art. 3(49): serious incident"
    anchor: str


@dataclass
class MatrixCell:
    """A finding's verdict under one provision family."""

    state: str
    words: str  # "Applies: loss of control"
    rationale: tuple[str, ...] = ()  # the analyst's recorded reasons (Markdown with citations)


@dataclass
class MatrixRow:
    """A finding's row of the regulatory matrix (None: the family does not concern it)."""

    view: IncidentView
    cells: list[MatrixCell | None]


def _short_verdict(flag: Flag) -> str:
    """Return a flag's verdict in a few words: its state, and what it applies as ("Applies: Loss of control")."""
    words = STATE_WORDS.get(flag.state, flag.state_label)
    if flag.state == "yes" and ":" in flag.code:
        # The flag's name says what it applies as ("Specified systemic risk (...): Loss of control");
        # otherwise the qualifier of its code is a published reference ("MAP 5.1, MANAGE 1.3").
        what = flag.name.split(": ", 1)[1] if ": " in flag.name else flag.code.split(":", 1)[1]
        words = f"{words}: {what}"
    return words


@dataclass
class Reason:
    """An analyst's recorded reason for verdicts of the matrix."""

    findings: list[IncidentView]  # the views whose verdict it explains
    column: str  # the provision's label
    text: str  # Markdown with citations


def matrix_reasons(columns: Sequence[MatrixColumn], rows: Sequence[MatrixRow]) -> list[Reason]:
    """Return the analysts' recorded reasons for the matrix's verdicts, each text once with every
    finding it explains (records of one model often share a reason)."""
    out: dict[tuple[str, str], Reason] = {}
    for row in rows:
        for col, cell in zip(columns, row.cells):
            for text in cell.rationale if cell else ():
                out.setdefault((col.label, text), Reason([], col.label, text)).findings.append(row.view)
    return list(out.values())


def _reference(name: str) -> str:
    """Return the legal reference a provision's name ends with ("... (AI Act Art. 55(1)(c))" -> "AI Act
    Art. 55(1)(c)"), or the whole name when it has none."""
    if not name.endswith(")"):
        return name
    depth = 0
    for i in range(len(name) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(name[i], 0)
        if depth == 0:
            inner = name[i + 1 : -1]
            return inner if i > 0 and any(ch.isdigit() for ch in inner) else name
    return name


def regulatory_matrix(views: Sequence[IncidentView], regulatory: Annex) -> tuple[list[MatrixColumn], list[MatrixRow]]:
    """Return the findings x provisions matrix: one column per provision family, in first-seen order;
    a cell per finding with a short verdict ("Undetermined" where the inputs are missing)."""
    columns: dict[str, MatrixColumn] = {}
    per_view: list[tuple[IncidentView, dict[str, list[Flag]]]] = []
    for view in views:
        reg = regulatory[view.id]
        fams: dict[str, list[Flag]] = {}
        for flag in reg.flags:
            fams.setdefault(flag.family, []).append(flag)
            if flag.family not in columns:
                columns[flag.family] = MatrixColumn(flag.family, _reference(flag.name.split(": ", 1)[0]), flag.anchor)
        per_view.append((view, fams))
    rows = []
    for view, fams in per_view:
        cells: list[MatrixCell | None] = []
        for fam in columns:
            flags = fams.get(fam)
            if not flags:
                cells.append(None)
                continue
            held = [f for f in flags if f.state == "yes"] or flags
            state = held[0].state
            words = "; ".join(dict.fromkeys(_short_verdict(f) for f in held))
            reasons = tuple(dict.fromkeys(text for f in held for text in f.rationale))
            cells.append(MatrixCell(state, words, reasons))
        rows.append(MatrixRow(view, cells))
    return list(columns.values()), rows


# --- Method note ------------------------------------------------------------------------------------


@dataclass
class MethodFacts:
    """What the method note counts."""

    claims: int
    claim_counts: list[tuple[str, int]]  # (status in words, count), statuses that occur
    evaluation_rows: int
    n_known: int
    unassessed: int


def method_facts(views: Sequence[IncidentView], register: Sequence[ClaimGroup], groups: Groups) -> MethodFacts:
    """Return what the method note says the brief contains, counted from the brief itself."""
    counts: dict[str, int] = {}
    for g in register:
        for item in g.claims:
            counts[item.status] = counts.get(item.status, 0) + 1
    rows = [r for rs in groups.values() for r in rs]
    return MethodFacts(
        claims=sum(counts.values()),
        claim_counts=[(w, counts[w]) for w in STATUS_WORDS.values() if w in counts],
        evaluation_rows=len(rows),
        n_known=sum(1 for r in rows if r["record"].n),
        unassessed=sum(1 for v in views if v.assessment is None),
    )


# --- The law in time ----------------------------------------------------------------------------------


@dataclass
class LawLine:
    """A duty in time, as the annex prints it."""

    state: str
    text: str
    refs: tuple[Ref, ...]
    caveat: str = ""


def law_lines(items: Sequence[InTime]) -> list[LawLine]:
    """Return the duties in time as the annex prints them: one line per duty and model, except that
    the models whose placing date is unknown share one line (the rule is said once, not per model)."""
    out: list[LawLine] = []
    unknown: dict[str, list[InTime]] = {}
    for t in items:
        if t.binds is None and t.model:
            unknown.setdefault(t.duty, []).append(t)
        else:
            out.append(LawLine(t.state, t.text, tuple(t.refs), t.caveat))
    for group in unknown.values():
        first = group[0]
        models = [t.model for t in group if t.model]  # every one has a model (see above)
        rest = first.text.split(". ", 1)[1] if ". " in first.text else ""
        who = models[0] if len(models) == 1 else ", ".join(models[:-1]) + " and " + models[-1]
        head = f"Undetermined for {who}: " + (
            "its placing-on-market date is not recorded."
            if len(models) == 1
            else "their placing-on-market dates are not recorded."
        )
        out.append(LawLine("unknown", f"{head} {rest}".strip(), tuple(first.refs), first.caveat))
    return out
