"""The EU AI Act and the GPAI Code of Practice reporting duties: is it a serious incident (Art. 3(49)),
is the model a GPAI model with systemic risk (Art. 51), and which reporting duty runs (Art. 55(1)(c)
with the Code's Measure 9.3 periods, or Art. 73), with its clocks."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from brief.assess.regulatory.clocks import Clock, InTime, in_time, report_deadlines
from brief.assess.regulatory.flags import (
    STATE_LABELS,
    CrosswalkRow,
    Findings,
    Flag,
    FrameworkSpec,
    Inputs,
    Provision,
    harm_words,
    level_row,
    rationale,
    rule,
    tokens,
    yesno,
)
from brief.assess.regulatory.tables import Ref, Regime, Tables
from brief.core.dates import long_date

FLAG_STATES = {
    "EU.ART3_49": ("yes", "no"),
    "EU.GPAI_SR": ("designated", "presumed", "unknown", "no"),
    "EU.ART55_1c": ("yes", "conditional", "no"),
    "CoP.9_3": ("yes", "conditional", "no"),
    "EU.ART73": ("yes", "conditional", "no"),
}  # each flag family and the states a trigger may name (`EU.GPAI_SR=unknown`)


def _art3_49(x: Inputs, tables: Tables) -> Flag:
    """Return the EU.ART3_49 flag: realised harm of a class Art. 3(49) lists."""
    code = "EU.ART3_49"
    inputs = [("Realised harm", x.realised_text), ("Evidence", x.evidence_text), ("Harm types", harm_words(x, tables))]
    if x.realised and x.serious:
        points = ", ".join(dict.fromkeys(str(tables.harm_types[h].art3_49) for h in x.serious))
        state, verdict = (
            "yes",
            tables.verdict(code, "yes", points=points, harms=harm_words(x, tables, x.serious).lower()),
        )
    elif x.realised:
        state, verdict = "no", tables.verdict(code, "not_listed")
    else:
        state, verdict = "no", tables.verdict(code, "no_harm")
    why = rationale(x, "realised_harm", "harm_types") or ((x.evidence_why,) if x.evidence_why else ())
    return Flag(
        code,
        code,
        tables.flags[code].name,
        state,
        verdict,
        tuple(inputs),
        rule(tables, code),
        tables.refs(code),
        why,
        tokens=tokens(code, state, "yes" if state == "yes" else "no"),
    )


def _gpai(x: Inputs, tables: Tables) -> tuple[Flag, str]:
    """Return the EU.GPAI_SR flag and its status (designated, presumed, unknown, no)."""
    code = "EU.GPAI_SR"
    recorded = x.facts.gpai_systemic_risk
    status = recorded or "unknown"
    undisclosed = x.facts.training_compute_disclosed is False
    if status == "unknown":
        key = "unknown_undisclosed" if undisclosed else "unknown"
        state = "unknown"
    else:
        key, state = status, ("no" if status == "no" else "yes")
    inputs = (
        ("Recorded status", recorded or "not recorded"),
        ("Training compute disclosed", yesno(x.facts.training_compute_disclosed)),
        ("Models", ", ".join(x.inc.models) or "not recorded"),
    )
    flag = Flag(
        code,
        code,
        tables.flags[code].name,
        state,
        tables.verdict(code, key),
        inputs,
        rule(tables, code),
        tables.refs(code),
        rationale(x, "gpai_systemic_risk", "training_compute_disclosed"),
        tokens=tokens(code, state, status),
    )
    return flag, status


def _applicable(regime: Regime, x: Inputs, tables: Tables | None = None) -> bool | None:
    """Return whether a regime's duty bound the provider on the awareness date (None: undetermined)."""
    timing = _timing(regime, x, tables)
    return timing.binds if timing is not None else x.awareness >= regime.applies_from


def _timing(regime: Regime, x: Inputs, tables: Tables | None) -> InTime | None:
    """Return whether the regime's duty binds on the awareness date (None: the regime names no duty)."""
    if tables is None or not regime.in_time or regime.in_time not in tables.duties:
        return None
    return in_time(tables, regime.in_time, x.awareness, x.placed, x.model, x.placed_ref)


def _clock_set(x: Inputs, tables: Tables, regime_id: str, state: str, condition: str) -> list[Clock]:
    """Return a regime's clocks, one per harm type it covers, sharing the binding schedule of updates."""
    regime = tables.regimes[regime_id]
    clocks = []
    for h in x.harm_types:
        if regime_id not in tables.harm_types[h].clocks:
            continue
        clock = report_deadlines(
            tables,
            regime_id,
            h,
            x.awareness,
            resolved=x.facts.resolved_date,
            as_of=x.as_of,
            awareness_text=x.awareness_text,
        )
        clocks.append(_replace(clock, state=state, condition=condition, caveat=regime.caveat))
    if clocks:
        first = min(clocks, key=lambda c: (c.initial.due or dt.date.max, c.harm_type))
        # One incident has one schedule of updates: the intermediate reports count from the binding
        # (earliest) initial report, whichever harm type a row shows: one deadline per duty.
        later = {m.kind: m for m in first.milestones if m.kind != "initial"}
        clocks = [
            _replace(
                c,
                binding=c is first,
                milestones=tuple(later.get(m.kind, m) if m.kind != "initial" else m for m in c.milestones),
            )
            for c in clocks
        ]
    return clocks


def _replace(obj: Any, **changes: Any) -> Any:
    """Return a copy of a frozen record with `changes`."""
    return dataclasses.replace(obj, **changes)


def _reporting(x: Inputs, tables: Tables, gpai_status: str, art3: Flag) -> tuple[list[Flag], list[Clock]]:
    """Return the Art. 55(1)(c), CoP 9.3 and Art. 73 flags and the clocks that run."""
    flags: list[Flag] = []
    clocks: list[Clock] = []
    serious = art3.state == "yes"
    cyber = x.realised and "cybersecurity-breach" in x.harm_types
    gpai_state = {"designated": "yes", "presumed": "yes", "no": "no"}.get(gpai_status, "unknown")
    awareness = ("Awareness date", x.awareness_text)

    # Art. 55(1)(c) and the Code's clock (GPAI models with systemic risk).
    regime = tables.regimes["cop-9.3"]
    code = "EU.ART55_1c"
    inputs = [
        ("Serious incident (EU.ART3_49)", STATE_LABELS[art3.state].lower()),
        ("GPAI model with systemic risk (EU.GPAI_SR)", gpai_status),
    ]
    notes: list[str] = []
    timing = _timing(regime, x, tables)
    binds = _applicable(regime, x, tables)
    if gpai_state == "no":
        state, key = "no", "not_gpai_sr"
    elif not serious and cyber:
        state, key = "conditional", "cyber_only"
    elif not serious:
        state, key = "no", "no_incident"
    elif binds is False:
        state, key = "no", ("not_yet_transitional" if timing is not None and timing.transitional else "not_yet")
    else:
        state = "yes" if gpai_state == "yes" and binds else "conditional"
        key = ("yes" if binds else "conditional_placing") if gpai_state == "yes" else "conditional"
    if serious or cyber:
        inputs.append(awareness)
        inputs.append(("Placed on the market", long_date(x.placed) if x.placed else "not recorded"))
    verdict = tables.verdict(
        code,
        key,
        applies_from=long_date(regime.applies_from),
        placed=long_date(x.placed) if x.placed else "",
        binds_from=long_date(timing.binds_from) if timing and timing.binds_from else "",
    )
    if timing is not None and (serious or cyber):
        if binds is None:
            notes.append(_undetermined_note(timing))
        elif timing.transitional and key != "not_yet_transitional":
            notes.append(timing.text)
    basis = (
        tables.refs(code)
        + ((regime.applies_from_basis,) if key == "not_yet" else ())
        + (
            tuple(r for r in timing.refs if r.text != "placing on the market")
            if timing is not None and (key == "not_yet_transitional" or binds is None)
            else ()
        )
    )
    flags.append(
        Flag(
            code,
            code,
            tables.flags[code].name,
            state,
            verdict,
            tuple(inputs),
            rule(tables, code),
            basis,
            rationale(x, "awareness_date"),
            tuple(notes),
            tokens(code, state, state),
        )
    )

    code = "CoP.9_3"
    runs = (serious or cyber) and gpai_state != "no" and binds is not False
    cop_state = "no"
    if runs:
        cop_state = "yes" if gpai_state == "yes" and binds else "conditional"
        conditions = ([] if gpai_state == "yes" else ["the model is a GPAI model with systemic risk"]) + (
            [] if binds else [_placed_condition(regime, tables)]
        )
        condition = " and ".join(conditions)
        clocks += _clock_set(x, tables, "cop-9.3", cop_state, condition)
        if not clocks:
            cop_state = "no"
    inputs = [
        ("Harm types", harm_words(x, tables)),
        ("GPAI model with systemic risk (EU.GPAI_SR)", gpai_status),
        ("Code signatory", yesno(x.facts.cop_signatory)),
    ]
    notes = []
    if cop_state != "no":
        binding = next(c for c in clocks if c.regime == "cop-9.3" and c.binding)
        inputs.insert(1, awareness)
        verdict = tables.verdict(code, cop_state, days=binding.days, locator=binding.ref.locator, due=_due(binding))
        shown = f"{code}({binding.days} days)"
        if x.facts.cop_signatory is False:
            notes.append(
                "The provider has not signed the Code, so Measure 9.3 does not bind it; Art. 55(1)(c) “without undue "
                "delay” still applies and the Code's periods are shown for reference."
            )
            if cop_state == "yes":
                cop_state = "conditional"
    else:
        verdict, shown = tables.verdict(code, "no"), code
    flags.append(
        Flag(
            shown,
            code,
            tables.flags[code].name,
            cop_state,
            verdict,
            tuple(inputs),
            rule(tables, code),
            tables.refs(code),
            rationale(x, "harm_types", "awareness_date", "resolved_date", "cop_signatory"),
            tuple(notes),
            tokens(code, cop_state, cop_state),
        )
    )

    # Art. 73 (high-risk AI systems).
    code = "EU.ART73"
    regime = tables.regimes["art-73"]
    high_risk = x.facts.high_risk_system
    inputs = [
        ("High-risk AI system (Art. 6)", yesno(high_risk)),
        ("Serious incident (EU.ART3_49)", STATE_LABELS[art3.state].lower()),
    ]
    shown, dated = code, False
    if high_risk is False:
        state, verdict = "no", tables.verdict(code, "not_high_risk")
    elif not serious:
        state, verdict = "no", tables.verdict(code, "no_incident")
        if high_risk is None:
            verdict = tables.verdict(code, "unknown_high_risk") + " " + verdict
    elif _applicable(regime, x, tables) is False:
        state, verdict, dated = "no", tables.verdict(code, "not_yet", applies_from=long_date(regime.applies_from)), True
        inputs.append(awareness)
    else:
        state = "yes" if high_risk else "conditional"
        condition = "" if high_risk else "the system is a high-risk AI system (Art. 6)"
        new = _clock_set(x, tables, "art-73", state, condition)
        clocks += new
        inputs.append(awareness)
        binding = next(c for c in new if c.binding)
        verdict = tables.verdict(code, state, days=binding.days, locator=binding.ref.locator, due=_due(binding))
        shown, dated = f"{code}({binding.days} days)", True
    notes = [regime.caveat] if regime.caveat and (dated or high_risk) else []
    basis = tables.refs(code) + ((regime.applies_from_basis,) if dated else ())
    flags.append(
        Flag(
            shown,
            code,
            tables.flags[code].name,
            state,
            verdict,
            tuple(inputs),
            rule(tables, code),
            basis,
            rationale(x, "high_risk_system"),
            tuple(notes),
            tokens(code, state, state),
        )
    )
    return flags, clocks


def _due(clock: Clock) -> str:
    """Return the due date of a clock's initial report, in words ("" when it has none)."""
    return long_date(clock.initial.due) if clock.initial.due else ""


def _placed_condition(regime: Regime, tables: Tables) -> str:
    """Return the condition a clock depends on when the model's placing date is not recorded."""
    duty = tables.duties.get(regime.in_time or "")
    t = duty.transitional if duty else None
    return (
        f"the model was placed on the market on or after {long_date(t.placed_before)} (its placing date is not "
        "recorded; Art. 111(3))"
        if t
        else "the duty applies"
    )


def _undetermined_note(timing: InTime) -> str:
    """Return the note printed when whether a duty binds is undetermined."""
    return timing.text


def findings(x: Inputs, tables: Tables) -> Findings:
    """Return the Art. 3(49), Art. 51, Art. 55(1)(c), Measure 9.3 and Art. 73 flags and the clocks that run."""
    art3 = _art3_49(x, tables)
    gpai, status = _gpai(x, tables)
    reporting, clocks = _reporting(x, tables, status, art3)
    return Findings((art3, gpai, *reporting), tuple(clocks))


def provisions(tables: Tables) -> list[Provision]:
    """Return the provisions the EU flags rest on, with their wording."""
    out = []
    for code in FLAG_STATES:
        items: list[tuple[str, str, tuple[Ref, ...]]] = []
        refs = tables.refs(code)
        if code == "EU.ART55_1c" and refs:
            items.append(
                (
                    "Also relevant",
                    tables.verdict(code, "relevant_ab"),
                    (Ref(refs[0].source, "art. 55(1)(a)–(b)", "AI Act Art. 55(1)(a)–(b)"),),
                )
            )
        out.append(Provision(code, tables.flags[code].name, refs, rule(tables, code), tuple(items)))
    return out


def flag_tokens(tables: Tables) -> set[str]:
    """Return the EU flag tokens: each family, and each with a state."""
    out: set[str] = set()
    for code, states in FLAG_STATES.items():
        out |= {code, f"{code}=yes"} | {f"{code}={s}" for s in states}
    return out


def crosswalk(x: Inputs, tables: Tables, flags: Sequence[Flag]) -> list[CrosswalkRow]:
    """Return where frameworks.yaml places the incident's rubric level under the Act and the Code."""
    return level_row(x, tables, "eu", "EU AI Act / Code of Practice")


SPEC = FrameworkSpec(
    code="eu",
    label="EU AI Act and GPAI Code of Practice",
    flag_codes=tuple(FLAG_STATES),
    flags=findings,
    provisions=provisions,
    tokens=flag_tokens,
    crosswalk=crosswalk,
)
