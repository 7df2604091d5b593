"""Regulatory flags, reporting clocks and taxonomy checks (src/brief/assess/regulatory/).

Every flag rule has a case where it applies and one where it does not; the deadline arithmetic is
checked across month ends, leap years and weekends; the Claude Opus 4 record of the default data
is checked against the rubric's worked example (risk-rubric.md section 9); and a realised-harm
incident made up here gets the Code of Practice's 2/5/10/15-day clocks and the Art. 73 clocks.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import INCIDENT, REPO, write_project
from typer.testing import CliRunner

from brief.assess import regulatory, risk
from brief.check.validate import validate
from brief.cli import app
from brief.load.config import load_config
from brief.load.model import Incident

D = dt.date
TABLES = regulatory.load_tables(REPO / "data")
RUBRIC = risk.load_rubric(REPO / "data" / "rubric" / "v0.1.yaml")
runner = CliRunner()


def incident(
    *,
    kind: str = "research-finding",
    evidence: int | None = 1,
    severity: int = 3,
    level_inputs: dict | None = None,
    cop: list[str] | None = None,
    regulatory_facts: dict | None = None,
    date: str = "2026-09-01",
    fatal: bool = False,
) -> Incident:
    """Return a made-up incident; `evidence=None` leaves it unassessed."""
    data: dict = {
        "id": "made-up",
        "title": "Made-up incident",
        "kind": kind,
        "date": date,
        "models": ["Example Model"],
        "summary": "Made up for a test.",
        "tags": {"cop": cop or []},
    }
    if evidence is not None:
        inputs = {
            "severity": severity,
            "evidence": evidence,
            "likelihood": 1 if evidence < 4 else 4,
            "breadth": 2,
            "reversibility": 1,
            "fatal_or_ci_or_widespread": fatal,
            "confidence": {"evidence": "medium", "agreement": "high"},
        }
        inputs.update(level_inputs or {})
        data["risk"] = inputs
    if regulatory_facts is not None:
        data["regulatory"] = regulatory_facts
    return Incident.model_validate(data)


def view_of(inc: Incident, as_of: dt.date = D(2026, 11, 26)) -> regulatory.RegulatoryView:
    assessment = risk.assess(inc.risk, inc.tags, RUBRIC) if inc.risk else None
    return regulatory.view(inc, assessment, TABLES, as_of)


def flag(v: regulatory.RegulatoryView, family: str) -> regulatory.Flag:
    found = v.flag(family)
    assert found is not None, f"no {family} flag"
    return found


PLACED_AFTER = {
    "fact": "placed-on-market",
    "value": "2025-09-15",
    "as_of": "2025-09-15",
    "source": "made-up-source",
    "text": "Placed on the market on 15 September 2025.",
}
PLACED_BEFORE = {
    **PLACED_AFTER,
    "value": "2025-05-22",
    "as_of": "2025-05-22",
    "text": "Placed on the market on 22 May 2025.",
}


def load_default():
    """Return the default dataset (validated once per test session)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = validate(load_config(REPO), today=D(2026, 11, 26)).dataset
    return _DEFAULT


_DEFAULT = None
REALISED = {
    "realised_harm": True,
    "harm_types": ["health"],
    "awareness_date": "2026-09-01",
    "gpai_systemic_risk": "presumed",
    "training_compute_disclosed": True,
    "status": [PLACED_AFTER],
}


# --- Deadline arithmetic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (D(2026, 3, 1), 15, D(2026, 3, 16)),  # "not later than 15 days after": day 0 is awareness
        (D(2026, 1, 31), 15, D(2026, 2, 15)),  # across a month end
        (D(2026, 1, 20), 15, D(2026, 2, 4)),
        (D(2026, 4, 30), 2, D(2026, 5, 2)),  # 30-day month
        (D(2025, 12, 20), 15, D(2026, 1, 4)),  # across a year end
        (D(2028, 2, 27), 2, D(2028, 2, 29)),  # leap year: 29 February exists
        (D(2027, 2, 27), 2, D(2027, 3, 1)),  # common year: it does not
        (D(2028, 2, 20), 10, D(2028, 3, 1)),
        (D(2100, 2, 28), 1, D(2100, 3, 1)),  # century: not a leap year
        (D(2000, 2, 28), 1, D(2000, 2, 29)),  # divisible by 400: a leap year
        (D(2026, 8, 3), 5, D(2026, 8, 8)),  # lands on a Saturday and stays there
        (D(2026, 8, 7), 2, D(2026, 8, 9)),  # Friday + 2 is Sunday: weekends are not skipped
        (D(2026, 8, 7), 0, D(2026, 8, 7)),
    ],
)
def test_add_days_counts_calendar_days(start: dt.date, days: int, due: dt.date) -> None:
    assert regulatory.add_days(start, days) == due


def test_weekends_are_skipped_only_when_the_rule_says_so() -> None:
    friday = D(2026, 8, 7)
    assert regulatory.add_days(friday, 2, working_days=True) == D(2026, 8, 11)  # Mon, Tue
    assert regulatory.add_days(friday, 1, roll_forward=True) == D(2026, 8, 10)  # Saturday -> Monday
    assert regulatory.add_days(friday, 2, roll_forward=True) == D(2026, 8, 10)  # Sunday -> Monday
    assert regulatory.add_days(friday, 3, roll_forward=True) == D(2026, 8, 10)  # Monday stays
    with pytest.raises(ValueError, match="cannot be negative"):
        regulatory.add_days(friday, -1)


def test_the_counting_rule_comes_from_the_table() -> None:
    assert not TABLES.working_days and not TABLES.roll_forward  # data/regulatory/clocks.yaml
    friday = D(2026, 8, 7)
    assert regulatory.report_deadlines(TABLES, "cop-9.3", "critical-infrastructure", friday).initial.due == D(
        2026, 8, 9
    )
    working = dataclasses.replace(TABLES, working_days=True)
    assert regulatory.report_deadlines(working, "cop-9.3", "critical-infrastructure", friday).initial.due == D(
        2026, 8, 11
    )
    assert "working days" in regulatory.counting_note(working)
    assert "weekends are not skipped" in regulatory.counting_note(TABLES)


@pytest.mark.parametrize(
    ("regime", "harm", "days", "locator"),
    [
        ("cop-9.3", "critical-infrastructure", 2, "measure 9.3(1)"),
        ("cop-9.3", "cybersecurity-breach", 5, "measure 9.3(2)"),
        ("cop-9.3", "death", 10, "measure 9.3(3)"),
        ("cop-9.3", "health", 15, "measure 9.3(4)"),
        ("cop-9.3", "fundamental-rights", 15, "measure 9.3(4)"),
        ("cop-9.3", "widespread-infringement", 15, "measure 9.3(4)"),
        ("cop-9.3", "property-environment", 15, "measure 9.3(4)"),
        ("art-73", "health", 15, "art. 73(2)"),
        ("art-73", "fundamental-rights", 15, "art. 73(2)"),
        ("art-73", "property-environment", 15, "art. 73(2)"),
        ("art-73", "widespread-infringement", 2, "art. 73(3)"),
        ("art-73", "critical-infrastructure", 2, "art. 73(3)"),
        ("art-73", "death", 10, "art. 73(4)"),
    ],
)
def test_periods_by_harm_type(regime: str, harm: str, days: int, locator: str) -> None:
    clock = regulatory.report_deadlines(TABLES, regime, harm, D(2026, 9, 1))
    assert (clock.days, clock.ref.locator, clock.initial.due) == (
        days,
        locator,
        D(2026, 9, 1) + dt.timedelta(days=days),
    )
    assert clock.indicative


def test_art73_does_not_cover_a_cybersecurity_breach_and_art3_49_lists_none() -> None:
    with pytest.raises(KeyError):
        regulatory.report_deadlines(TABLES, "art-73", "cybersecurity-breach", D(2026, 9, 1))
    assert TABLES.harm_types["cybersecurity-breach"].art3_49 is None
    assert [
        TABLES.harm_types[h].art3_49
        for h in ("death", "health", "critical-infrastructure", "fundamental-rights", "property-environment")
    ] == ["(a)", "(a)", "(b)", "(c)", "(d)"]


def test_initial_intermediate_and_final_reports() -> None:
    clock = regulatory.report_deadlines(
        TABLES, "cop-9.3", "health", D(2026, 1, 31), resolved=D(2026, 4, 30), as_of=D(2026, 11, 26)
    )
    initial, intermediate, final = clock.milestones
    assert (initial.kind, initial.due, initial.due_text, initial.passed) == (
        "initial",
        D(2026, 2, 15),
        "15 February 2026",
        True,
    )
    assert intermediate.dates == (D(2026, 3, 15), D(2026, 4, 12))  # every 28 days until resolution on 30 April
    assert final.due == D(2026, 6, 29)  # 60 days after resolution
    assert final.due_text == "29 June 2026 (60 days after resolution on 30 April 2026)"
    assert [m.ref.locator for m in clock.milestones] == ["measure 9.3(4)", "measure 9.3", "measure 9.3"]


def test_an_unresolved_incident_has_no_final_date_and_names_the_next_update() -> None:
    clock = regulatory.report_deadlines(TABLES, "cop-9.3", "death", D(2026, 10, 1), as_of=D(2026, 11, 26))
    initial, intermediate, final = clock.milestones
    assert initial.due == D(2026, 10, 11)
    assert intermediate.dates == (D(2026, 11, 8), D(2026, 12, 6))
    assert (
        intermediate.due_text == "Every 28 days from 8 November 2026; next due after the edition date: 6 December 2026"
    )
    assert final.due is None and final.due_text == "60 days after resolution; no resolution date recorded"


def test_resolved_before_the_first_update_needs_none() -> None:
    clock = regulatory.report_deadlines(
        TABLES, "cop-9.3", "critical-infrastructure", D(2026, 9, 1), resolved=D(2026, 9, 10)
    )
    assert clock.milestones[1].due is None and "resolved on 10 September 2026" in clock.milestones[1].due_text
    assert clock.milestones[2].due == D(2026, 11, 9)


def test_art73_clock_allows_an_incomplete_initial_report() -> None:
    clock = regulatory.report_deadlines(TABLES, "art-73", "death", D(2026, 9, 1))
    assert [(m.kind, m.due) for m in clock.milestones] == [("initial", D(2026, 9, 11)), ("complete", None)]
    assert clock.milestones[1].due_text == "No period set" and clock.milestones[1].ref.locator == "art. 73(5)"
    assert "later amendments" in clock.caveat and "2026/1744" not in clock.caveat


# --- Flags: each rule, positive and negative ----------------------------------------------------


def test_art3_49_needs_realised_harm_of_a_listed_class() -> None:
    yes = flag(view_of(incident(evidence=4, severity=4, regulatory_facts=REALISED)), "EU.ART3_49")
    assert (yes.code, yes.state) == ("EU.ART3_49", "yes")
    assert (
        yes.verdict
        == "Serious incident under Art. 3(49), point (a): serious harm to a person's health (mental and/or physical)."
    )
    assert "EU.ART3_49" in yes.tokens and "EU.ART3_49=yes" in yes.tokens
    assert [r.locator for r in yes.basis] == ["art. 3(49)"] and yes.basis[0].source == "eu-2024-ai-act"

    no = flag(view_of(incident(evidence=1)), "EU.ART3_49")
    assert no.state == "no" and no.verdict == "Not a serious incident under Art. 3(49): no realised harm reported."
    assert ("Realised harm", "no (derived from rubric evidence E1)") in no.inputs
    assert no.tokens == {"EU.ART3_49=no"}

    cyber = flag(
        view_of(incident(evidence=4, regulatory_facts={"realised_harm": True, "harm_types": ["cybersecurity-breach"]})),
        "EU.ART3_49",
    )
    assert cyber.state == "no" and "not of a class in points (a) to (d)" in cyber.verdict


def test_realised_harm_is_derived_from_evidence_or_kind_unless_recorded() -> None:
    assert flag(view_of(incident(evidence=4, regulatory_facts={"harm_types": ["death"]})), "EU.ART3_49").state == "yes"
    assert (
        flag(
            view_of(incident(evidence=None, kind="incident", regulatory_facts={"harm_types": ["death"]})), "EU.ART3_49"
        ).state
        == "yes"
    )
    assert (
        flag(
            view_of(incident(evidence=None, kind="hazard", regulatory_facts={"harm_types": ["death"]})), "EU.ART3_49"
        ).state
        == "no"
    )
    recorded = flag(view_of(incident(evidence=4, regulatory_facts={"realised_harm": False})), "EU.ART3_49")
    assert recorded.state == "no" and ("Realised harm", "no (recorded)") in recorded.inputs


@pytest.mark.parametrize(
    ("facts", "state", "words", "token"),
    [
        ({"gpai_systemic_risk": "designated"}, "yes", "Designated by the Commission", "EU.GPAI_SR=designated"),
        (
            {"gpai_systemic_risk": "presumed", "training_compute_disclosed": True},
            "yes",
            "Presumed to have high-impact capabilities",
            "EU.GPAI_SR=presumed",
        ),
        (
            {"gpai_systemic_risk": "unknown", "training_compute_disclosed": False},
            "unknown",
            "Presumed / unknown: training compute not disclosed",
            "EU.GPAI_SR=unknown",
        ),
        ({}, "unknown", "Unknown: systemic-risk status not recorded.", "EU.GPAI_SR=unknown"),
        ({"gpai_systemic_risk": "no"}, "no", "Not a GPAI model with systemic risk.", "EU.GPAI_SR=no"),
    ],
)
def test_gpai_systemic_risk_status(facts: dict, state: str, words: str, token: str) -> None:
    f = flag(view_of(incident(regulatory_facts=facts)), "EU.GPAI_SR")
    assert f.state == state and f.verdict.startswith(words) and token in f.tokens
    assert ("EU.GPAI_SR" in f.tokens) == (state == "yes")
    assert [r.locator for r in f.basis] == ["art. 51(1)", "art. 51(2)", "art. 52(1)", "annex XIII"]


def test_art55_1c_and_the_code_clock_need_a_serious_incident_and_systemic_risk() -> None:
    v = view_of(incident(evidence=4, severity=4, regulatory_facts=REALISED))
    assert flag(v, "EU.ART55_1c").state == "yes"
    cop = flag(v, "CoP.9_3")
    assert (cop.code, cop.state) == ("CoP.9_3(15 days)", "yes")
    assert cop.verdict == "Initial report within 15 days (measure 9.3(4)): due 16 September 2026."

    unknown = view_of(incident(evidence=4, severity=4, regulatory_facts={**REALISED, "gpai_systemic_risk": "unknown"}))
    assert flag(unknown, "EU.ART55_1c").state == "conditional" and flag(unknown, "CoP.9_3").state == "conditional"
    assert unknown.clocks[0].condition == "the model is a GPAI model with systemic risk"

    for facts in ({**REALISED, "gpai_systemic_risk": "no"}, {**REALISED, "realised_harm": False, "harm_types": []}):
        v = view_of(incident(evidence=4 if facts["realised_harm"] else 1, regulatory_facts=facts))
        assert flag(v, "EU.ART55_1c").state == "no" and flag(v, "CoP.9_3").state == "no"
        assert not [c for c in v.clocks if c.regime == "cop-9.3"]


def test_art55_1c_did_not_apply_before_chapter_v_did() -> None:
    v = view_of(incident(evidence=4, regulatory_facts={**REALISED, "awareness_date": "2025-08-01"}, date="2025-08-01"))
    f = flag(v, "EU.ART55_1c")
    assert f.state == "no" and f.verdict == "Did not apply on the awareness date: Chapter V applies from 2 August 2025."
    assert ("eu-2024-ai-act", "art. 113") in [(r.source, r.locator) for r in f.basis]
    on_the_day = {**REALISED, "awareness_date": "2025-08-02", "status": [{**PLACED_AFTER, "value": "2025-08-02"}]}
    assert flag(view_of(incident(evidence=4, regulatory_facts=on_the_day)), "EU.ART55_1c").state == "yes"


# --- Provisions in time: Art. 113, Art. 111(3), Art. 101 -------------------------------


def test_a_model_placed_before_2_august_2025_is_bound_from_2_august_2027() -> None:
    """Art. 111(3): a GPAI model already on the market on 2 August 2025 has until 2 August 2027."""
    placed = regulatory.in_time(TABLES, "gpai", D(2026, 12, 7), D(2025, 5, 22), "Claude Opus 4")
    assert (placed.binds, placed.binds_from, placed.transitional) == (False, D(2027, 8, 2), True)
    assert placed.text.startswith(
        "Art. 111(3) binds Claude Opus 4 from 2 August 2027: it was placed on the market on 22 May 2025"
    )
    assert [r.locator for r in placed.refs] == ["art. 111(3)", "art. 113"]
    assert regulatory.in_time(TABLES, "gpai", D(2027, 8, 2), D(2025, 5, 22)).binds is True

    # A realised incident the provider learnt of in 2026: no clock runs yet, and the annex says why.
    v = view_of(incident(evidence=4, severity=4, regulatory_facts={**REALISED, "status": [PLACED_BEFORE]}))
    f = flag(v, "EU.ART55_1c")
    assert f.state == "no" and f.verdict == (
        "Did not bind the provider on the awareness date: the model was placed on the market on 22 May 2025, "
        "before 2 August 2025, so Art. 111(3) gives its provider until 2 August 2027."
    )
    assert ("eu-2024-ai-act", "art. 111(3)") in [(r.source, r.locator) for r in f.basis]
    assert flag(v, "CoP.9_3").state == "no" and not [c for c in v.clocks if c.regime == "cop-9.3"]
    assert v.binding("gpai").binds is False and v.binding("enforcement").binds is True


def test_a_model_placed_after_2_august_2025_is_bound_from_placing() -> None:
    placed = regulatory.in_time(TABLES, "gpai", D(2026, 12, 7), D(2025, 9, 15), "New Model")
    assert (placed.binds, placed.binds_from, placed.transitional) == (True, D(2025, 8, 2), False)
    assert "the transitional period of Art. 111(3) does not apply" in placed.text
    v = view_of(incident(evidence=4, severity=4, regulatory_facts=REALISED))
    assert flag(v, "EU.ART55_1c").state == "yes" and flag(v, "CoP.9_3").state == "yes"


def test_without_a_placing_date_the_duty_is_undetermined_and_the_clock_conditional() -> None:
    unknown = regulatory.in_time(TABLES, "gpai", D(2026, 12, 7), None, "Example Model")
    assert unknown.binds is None and unknown.binds_from is None and unknown.state == "unknown"
    assert unknown.text.startswith("Undetermined for Example Model: its placing-on-market date is not recorded.")
    assert regulatory.in_time(TABLES, "gpai", D(2027, 8, 2), None).binds is True  # binds every model by then
    assert regulatory.in_time(TABLES, "gpai", D(2025, 8, 1), None).binds is False  # binds none before 2 August 2025
    v = view_of(incident(evidence=4, severity=4, regulatory_facts={**REALISED, "status": []}))
    assert flag(v, "EU.ART55_1c").state == "conditional" and flag(v, "CoP.9_3").state == "conditional"
    assert "placing date is not recorded" in v.clocks[0].condition
    assert flag(v, "EU.ART55_1c").verdict.startswith(
        "Report due if the model was placed on the market on or after 2 August 2025"
    )
    assert any(n.startswith("Undetermined for Example Model") for n in flag(v, "EU.ART55_1c").notes)


def test_commission_fines_apply_from_2_august_2026() -> None:
    assert regulatory.in_time(TABLES, "enforcement", D(2026, 8, 1), None).binds is False
    fines = regulatory.in_time(TABLES, "enforcement", D(2026, 8, 2), D(2025, 5, 22))
    assert fines.binds is True and fines.binds_from == D(2026, 8, 2) and [r.locator for r in fines.refs] == ["art. 113"]


def test_claude_opus_4_is_bound_by_art_111_3_from_2_august_2027() -> None:
    """The default data: placed on the market on 22 May 2025 (Anthropic's announcement of that date)."""
    inc = load_default().incidents["anthropic-claude-opus-4-blackmail-2025-05"]
    placed, fact = regulatory.placing(inc)
    assert placed == D(2025, 5, 22) and fact.source == "anthropic-2025-asl3"
    v = regulatory.view(inc, None, TABLES, D(2026, 12, 7))
    gpai = v.binding("gpai")
    assert gpai.binds is False and gpai.binds_from == D(2027, 8, 2)
    assert gpai.text.startswith("Art. 111(3) binds Claude Opus 4 from 2 August 2027")
    assert ("anthropic-2025-asl3", "opening paragraph") in [(r.source, r.locator) for r in gpai.refs]
    asl3 = next(f for f in v.flags if f.code == "FRONTIER:anthropic-rsp:ASL-3")
    assert asl3.verdict.startswith("As of 22 May 2025: reported as not ruled out")  # the developer's status, dated


def test_no_incident_of_the_default_data_contradicts_itself() -> None:
    """No threshold both applied and ruled out; no other developer's framework about a model."""
    ds = load_default()
    for inc in ds.incidents.values():
        v = regulatory.view(inc, None, TABLES, D(2026, 12, 7))
        assert regulatory.contradictions(v, inc, TABLES) == [], inc.id
        text = " ".join(f"{r.framework} {r.position}" for r in v.crosswalk)
        others = [fw.short for fw in TABLES.frameworks.values() if fw not in regulatory.own_frameworks(inc, TABLES)]
        assert not [o for o in others if o in text], (inc.id, text)
        assert "ASL-1/2" not in text


def test_the_contradiction_check_finds_a_threshold_applied_and_ruled_out() -> None:
    report = {"framework": "anthropic-rsp", "threshold": "ASL-3", "source": "made-up-source", "locator": "p. 1"}
    inc = incident(
        regulatory_facts={
            "framework_reports": [{**report, "status": "cannot-rule-out"}, {**report, "status": "ruled-out"}]
        }
    )
    inc = inc.model_copy(update={"developer": "Anthropic"})
    v = view_of(inc)
    assert regulatory.contradictions(v, inc, TABLES) == [
        "anthropic-rsp:ASL-3: both applied and ruled out by the FRONTIER flags"
    ]
    # A cross-walk row of another developer's framework, or one saying "below threshold" while ASL-3 applies.
    openai = regulatory.CrosswalkRow("OpenAI PF", "below High", framework_id="openai-preparedness")
    below = regulatory.CrosswalkRow(
        "Developer frameworks", 'Anthropic RSP: ASL-1/2 capability; thresholds "ruled out".'
    )
    one = view_of(
        incident(regulatory_facts={"framework_reports": [{**report, "status": "cannot-rule-out"}]}).model_copy(
            update={"developer": "Anthropic"}
        )
    )
    bad = dataclasses.replace(one, crosswalk=(*one.crosswalk, openai, below))
    found = regulatory.contradictions(bad, inc, TABLES)
    assert any("another developer's framework" in p for p in found) and any("ASL-1/2" in p for p in found)


def test_a_cybersecurity_breach_runs_the_code_clock_but_is_no_art3_49_incident() -> None:
    v = view_of(incident(evidence=4, regulatory_facts={**REALISED, "harm_types": ["cybersecurity-breach"]}))
    assert flag(v, "EU.ART3_49").state == "no"
    assert flag(v, "EU.ART55_1c").state == "conditional"
    assert flag(v, "CoP.9_3").code == "CoP.9_3(5 days)"


def test_a_provider_outside_the_code_gets_the_periods_for_reference_only() -> None:
    f = flag(view_of(incident(evidence=4, regulatory_facts={**REALISED, "cop_signatory": False})), "CoP.9_3")
    assert f.state == "conditional" and "has not signed the Code" in f.notes[0]


def test_art73_applies_to_high_risk_systems_only() -> None:
    facts = {**REALISED, "harm_types": ["death"], "high_risk_system": True, "awareness_date": "2026-09-01"}
    f = flag(view_of(incident(evidence=4, severity=5, fatal=True, regulatory_facts=facts)), "EU.ART73")
    assert (f.code, f.state) == ("EU.ART73(10 days)", "yes")
    assert f.verdict == "Report within 10 days (art. 73(4)): due 11 September 2026."
    assert any("later amendments" in n for n in f.notes) and not any("Omnibus" in n for n in f.notes)

    not_high = flag(view_of(incident(evidence=4, regulatory_facts={**facts, "high_risk_system": False})), "EU.ART73")
    assert not_high.state == "no" and not_high.verdict.startswith("Does not apply: not a high-risk AI system.")
    assert not not_high.notes  # no date caveat where Art. 73 plainly does not apply

    unknown = view_of(incident(evidence=4, regulatory_facts={**facts, "high_risk_system": None}))
    assert flag(unknown, "EU.ART73").state == "conditional"
    assert [c.regime for c in unknown.clocks if c.state == "conditional"] == ["art-73"]

    no_incident = flag(view_of(incident(evidence=1, regulatory_facts={"high_risk_system": True})), "EU.ART73")
    assert no_incident.state == "no" and no_incident.verdict == "No report due under Art. 73: not a serious incident."


def test_art73_did_not_apply_before_2_august_2026() -> None:
    facts = {**REALISED, "high_risk_system": True, "awareness_date": "2026-08-01"}
    f = flag(view_of(incident(evidence=4, regulatory_facts=facts)), "EU.ART73")
    assert f.state == "no" and "applies from 2 August 2026 as published" in f.verdict
    assert any("later amendments" in n for n in f.notes) and not any("Omnibus" in n for n in f.notes)


def test_specified_systemic_risks() -> None:
    f = flag(view_of(incident(cop=["loss_of_control"])), "CoP.APP1_4")
    assert (f.code, f.state, f.basis[0].locator) == ("CoP.APP1_4:loss_of_control", "yes", "app. 1.4(2)")
    assert f.rule.startswith("“Risks from humans losing the ability to reliably direct, modify, or shut down a model.")
    assert {"CoP.APP1_4", "CoP.APP1_4:loss_of_control"} <= f.tokens
    none = flag(view_of(incident()), "CoP.APP1_4")
    assert (
        none.state == "no" and none.verdict == "No specified systemic risk tagged." and none.tokens == {"CoP.APP1_4=no"}
    )


def test_developer_framework_thresholds() -> None:
    reports = [
        {
            "framework": "anthropic-rsp",
            "threshold": "ASL-3",
            "status": "cannot-rule-out",
            "domain": "cbrn",
            "source": "anthropic-2025-asl3",
            "locator": "opening paragraph",
        },
        {"framework": "anthropic-rsp", "threshold": "ASL-4", "status": "ruled-out", "source": "anthropic-2025-asl3"},
    ]
    v = view_of(incident(cop=["loss_of_control"], regulatory_facts={"framework_reports": reports}))
    asl3, asl4 = [f for f in v.flags if f.family == "FRONTIER"]
    assert (asl3.code, asl3.state) == ("FRONTIER:anthropic-rsp:ASL-3", "yes")
    assert (
        asl3.verdict == "Reported as not ruled out (precautionary safeguards): ASL-3 Standard required (Anthropic RSP)."
    )
    assert ("Cross-walk rung", "C1 Approaching / cannot rule out") in asl3.inputs
    assert "concerns CBRN, a risk this record is not tagged with" in asl3.notes[0]
    assert [(r.source, r.locator) for r in asl3.evidence] == [("anthropic-2025-asl3", "opening paragraph")]
    assert {"FRONTIER", "FRONTIER:anthropic-rsp", "FRONTIER:anthropic-rsp:ASL-3"} <= asl3.tokens
    assert (asl4.state, asl4.verdict) == ("no", "Reported as ruled out: ASL-4 Standard required (Anthropic RSP).")
    assert "FRONTIER" not in asl4.tokens
    none = flag(view_of(incident()), "FRONTIER")
    assert none.state == "no" and none.verdict == "No developer framework threshold recorded."


@pytest.mark.parametrize(
    ("inputs", "facts", "expected"),
    [
        ({}, None, "MAP 5.1, MANAGE 1.2, MANAGE 1.3"),  # Moderate (the worked example's derivation)
        ({"severity": 1, "breadth": 0}, None, "MAP 5.1, MANAGE 1.3"),  # Low
        (
            {"severity": 5, "capability": {"domain": "cbrn", "status": 3}},
            None,
            "MAP 5.1, MANAGE 4.3, sec. 1.2.3",
        ),  # Critical
    ],
)
def test_nist_subcategories_follow_the_level(inputs: dict, facts: dict | None, expected: str) -> None:
    f = flag(view_of(incident(level_inputs=inputs, regulatory_facts=facts)), "NIST.AI_RMF")
    assert f.code == f"NIST.AI_RMF:{expected}"
    assert all(r.source == "nist-2023-ai-rmf" for r in f.basis)


def test_nist_incident_communication_for_realised_harm_and_nothing_unassessed() -> None:
    low_realised = view_of(
        incident(
            evidence=4,
            severity=1,
            level_inputs={"likelihood": 1},
            regulatory_facts={"realised_harm": True, "harm_types": []},
        )
    )
    assert "MANAGE 4.3" in flag(low_realised, "NIST.AI_RMF").code
    assert view_of(incident(evidence=None)).flag("NIST.AI_RMF") is None


@pytest.mark.parametrize(
    ("kwargs", "code", "start"),
    [
        (
            {"evidence": 1, "severity": 3},
            "OECD:hazard",
            "AI hazard: no harm materialised, and the worst credible outcome (S3) is below",
        ),
        ({"evidence": 1, "severity": 4}, "OECD:serious-hazard", "Serious AI hazard"),
        ({"evidence": None}, "OECD:hazard", "AI hazard: no harm materialised; seriousness not assessed"),
        (
            {"evidence": 4, "regulatory_facts": {"realised_harm": True}},
            "OECD:incident",
            "AI incident: harm materialised, of no serious class",
        ),
        (
            {"evidence": 4, "regulatory_facts": {"harm_types": ["death"]}},
            "OECD:serious-incident",
            "Serious AI incident: realised death of a person",
        ),
        (
            {"evidence": 4, "regulatory_facts": {"harm_types": ["death"], "disaster": True}},
            "OECD:disaster",
            "AI disaster",
        ),
    ],
)
def test_oecd_classification(kwargs: dict, code: str, start: str) -> None:
    f = flag(view_of(incident(**kwargs)), "OECD")
    assert f.code == code and f.verdict.startswith(start), f.verdict
    assert f.basis[0].source == "oecd-2024-defining-ai-incidents"


# --- The Claude Opus 4 case (default data) -----------------------------------------------------


@pytest.fixture(scope="module")
def opus() -> regulatory.RegulatoryView:
    report = validate(load_config(REPO), today=D(2026, 11, 26))
    inc = report.dataset.incidents["anthropic-claude-opus-4-blackmail-2025-05"]
    return view_of(inc)


def test_claude_opus_4_is_not_a_serious_incident_because_no_harm_was_realised(opus: regulatory.RegulatoryView) -> None:
    f = flag(opus, "EU.ART3_49")
    assert f.state == "no"
    assert f.verdict == "Not a serious incident under Art. 3(49): no realised harm reported."
    assert ("Realised harm", "no (derived from rubric evidence E1)") in f.inputs
    assert "fictional company scenario" in f.rationale[0]
    assert opus.clocks == ()
    assert (
        opus.clock_note
        == "No reporting clock runs: not a serious incident under Art. 3(49): no realised harm reported."
    )
    assert flag(opus, "EU.ART55_1c").state == "no" and flag(opus, "CoP.9_3").state == "no"
    assert flag(opus, "EU.ART73").verdict.startswith("Does not apply: not a high-risk AI system.")


def test_claude_opus_4_falls_in_the_loss_of_control_specified_risk(opus: regulatory.RegulatoryView) -> None:
    specified = [f.code for f in opus.flags if f.family == "CoP.APP1_4"]
    assert specified == ["CoP.APP1_4:loss_of_control"]


def test_claude_opus_4_systemic_risk_status_is_presumed_or_unknown(opus: regulatory.RegulatoryView) -> None:
    f = flag(opus, "EU.GPAI_SR")
    assert f.state == "unknown"
    assert f.verdict.startswith("Presumed / unknown: training compute not disclosed")
    assert ("Training compute disclosed", "no") in f.inputs


def test_claude_opus_4_asl3_is_precautionary_and_about_cbrn(opus: regulatory.RegulatoryView) -> None:
    frontier = {f.code: f for f in opus.flags if f.family == "FRONTIER"}
    assert set(frontier) == {"FRONTIER:anthropic-rsp:ASL-3", "FRONTIER:anthropic-rsp:ASL-4"}
    asl3 = frontier["FRONTIER:anthropic-rsp:ASL-3"]
    assert asl3.state == "yes" and "precautionary" in asl3.verdict
    assert ("Risk domain", "CBRN") in asl3.inputs
    assert frontier["FRONTIER:anthropic-rsp:ASL-4"].state == "no"
    assert flag(opus, "OECD").code == "OECD:hazard"
    assert flag(opus, "NIST.AI_RMF").code == "NIST.AI_RMF:MAP 5.1, MANAGE 1.2, MANAGE 1.3"


# --- A realised-harm incident made up here ------------------------------------------------------


def test_made_up_realised_harm_gets_the_2_5_10_15_day_clocks() -> None:
    facts = {
        "realised_harm": True,
        "harm_types": ["critical-infrastructure", "cybersecurity-breach", "death", "health"],
        "awareness_date": "2028-02-27",  # leap year: the 2-day clock ends on 29 February
        "gpai_systemic_risk": "designated",
        "high_risk_system": True,
    }
    v = view_of(
        incident(kind="incident", evidence=4, severity=5, fatal=True, regulatory_facts=facts, date="2028-02-27"),
        as_of=D(2028, 3, 10),
    )
    cop = {c.harm_type: c for c in v.clocks if c.regime == "cop-9.3"}
    assert {h: (c.days, c.initial.due) for h, c in cop.items()} == {
        "critical-infrastructure": (2, D(2028, 2, 29)),
        "cybersecurity-breach": (5, D(2028, 3, 3)),
        "death": (10, D(2028, 3, 8)),
        "health": (15, D(2028, 3, 13)),
    }
    assert [h for h, c in cop.items() if c.binding] == ["critical-infrastructure"]
    assert cop["health"].initial.passed is False and cop["death"].initial.passed is True
    art73 = {c.harm_type: (c.days, c.initial.due) for c in v.clocks if c.regime == "art-73"}
    assert art73 == {
        "critical-infrastructure": (2, D(2028, 2, 29)),
        "death": (10, D(2028, 3, 8)),
        "health": (15, D(2028, 3, 13)),
    }
    assert flag(v, "CoP.9_3").code == "CoP.9_3(2 days)"
    assert flag(v, "EU.ART73").code == "EU.ART73(2 days)"
    assert flag(v, "EU.ART3_49").verdict.startswith("Serious incident under Art. 3(49), point (b), (a):")
    assert flag(v, "OECD").code == "OECD:serious-incident"
    assert v.clock_note.startswith("Periods count from the day the provider becomes aware (day 0), in calendar days")


def test_without_an_awareness_date_clocks_count_from_the_incident_date() -> None:
    facts = {"realised_harm": True, "harm_types": ["health"], "gpai_systemic_risk": "presumed"}
    v = view_of(incident(evidence=4, regulatory_facts=facts, date="2026-09-30"))
    assert v.clocks[0].initial.due == D(2026, 10, 15)
    assert v.clocks[0].awareness_text.startswith("30 September 2026 (assumed: the incident date")


# --- Tables and taxonomy validation -------------------------------------------------------------


def test_vocabularies_hold_the_reference_lists() -> None:
    v = TABLES.vocabularies
    mit = [t for t in v["mit"].terms if t.kind != "domain"]
    assert len(mit) == 24 and len(v["mit"].terms) == 31
    assert [t.id for t in v["cop"].terms] == ["cbrn", "loss_of_control", "cyber_offence", "harmful_manipulation"]
    assert set(v["cop"].find(t).id for t in ("loss_of_control", "Loss of control", "LOSS OF CONTROL")) == {
        "loss_of_control"
    }
    assert len(v["nist"].terms) == 12 and v["nist"].find("data privacy").id == "data-privacy"
    assert [t.id for t in v["oecd"].terms] == [
        "physical",
        "psychological",
        "reputational",
        "economic-financial",
        "environmental",
        "public-interest",
        "human-rights",
    ]
    assert v["mit"].find("7.1 AI pursuing its own goals in conflict with human goals or values").id == "7.1"
    assert v["mit"].find("7.7") is None


def test_every_flag_token_a_view_produces_is_in_the_grammar() -> None:
    known = regulatory.flag_tokens(TABLES)
    facts = {
        **REALISED,
        "harm_types": ["death", "cybersecurity-breach"],
        "high_risk_system": True,
        "framework_reports": [{"framework": "gdm-fsf", "threshold": "cbrn-uplift-1", "status": "alert", "source": "x"}],
    }
    for inc in (incident(cop=["cbrn"], evidence=4, regulatory_facts=facts), incident(), incident(evidence=None)):
        assert view_of(inc).tokens <= known


def test_canonical_tags_match_ids_labels_and_domains() -> None:
    inc = INCIDENT_MODEL()
    tags = regulatory.canonical_tags(inc.tags, TABLES)
    assert {
        "mit:7.1",
        "mit:7",
        "mit:AI pursuing its own goals in conflict with human goals or values",
        "nist:Data Privacy",
        "nist:data-privacy",
        "cop:loss_of_control",
        "cop:Loss of control",
    } <= tags


def INCIDENT_MODEL() -> Incident:
    return Incident.model_validate(
        {
            "id": "t",
            "title": "T",
            "kind": "hazard",
            "date": "2026-01-01",
            "summary": "S.",
            "tags": {"mit": ["7.1"], "nist": ["Data Privacy"], "cop": ["loss_of_control"]},
        }
    )


def problems_for(tmp_path: Path, overrides: dict[str, str]) -> list[str]:
    root = write_project(tmp_path / "p", overrides)
    result = runner.invoke(app, ["validate", "--project", str(root)])
    return [line for line in result.stderr.splitlines() if line]


def test_an_unknown_tag_is_an_error_naming_the_nearest_valid_ones(tmp_path: Path) -> None:
    bad = INCIDENT.replace(
        "  cop: [loss_of_control]",
        '  cop: [loss-of-controll]\n  mit: ["7.7"]\n  nist: [Data Privcy]\n  oecd: [psychologcal]',
    )
    lines = problems_for(tmp_path, {"data/incidents/example-finding.yaml": bad})
    cop = next(line for line in lines if "tags.cop[0]" in line)
    assert re.fullmatch(
        r"data/incidents/example-finding\.yaml:11: tags\.cop\[0\]: unknown GPAI Code of Practice, Appendix 1\.4 "
        r"specified systemic risks tag 'loss-of-controll' \(nearest valid: 'loss_of_control'.*; "
        r"the vocabulary is .*cop-systemic-risks\.yaml\)",
        cop,
    ), cop
    assert any(
        line.startswith(
            "data/incidents/example-finding.yaml:12: tags.mit[0]: unknown MIT AI Risk Repository domain taxonomy tag "
            "'7.7' (nearest valid: '7."
        )
        for line in lines
    )
    assert any(
        "tags.nist[0]: unknown NIST AI 600-1 generative AI risks tag 'Data Privcy' (nearest valid: 'Data Privacy'"
        in line
        for line in lines
    )
    assert any(
        "tags.oecd[0]: unknown OECD harm types tag 'psychologcal' (nearest valid: 'psychological'" in line
        for line in lines
    )
    assert len({line for line in lines if ": tags." in line}) == 4


def test_labels_and_any_case_are_valid_tags(tmp_path: Path) -> None:
    good = INCIDENT.replace(
        "  cop: [loss_of_control]",
        "  cop: [Loss of control]\n"
        '  mit: ["7.1 AI pursuing its own goals in conflict with human goals or values", "7"]\n'
        "  nist: [data privacy]\n  oecd: [Psychological]",
    )
    lines = problems_for(tmp_path, {"data/incidents/example-finding.yaml": good})
    assert not [line for line in lines if ": tags." in line]


def test_regulatory_facts_are_checked(tmp_path: Path) -> None:
    facts = """\
regulatory:
  realised_harm: true
  harm_types: [helth, death]
  awareness_date: 2026-09-10
  resolved_date: 2026-09-01
  gpai_systemic_risk: presumed
  training_compute_disclosed: false
  framework_reports:
    - {framework: anthropic-rps, threshold: ASL-3, status: reached, source: dev-2025-card}
    - {framework: anthropic-rsp, threshold: ASL-9, status: reached, source: nosuch, domain: bio}
  rationale:
    gpai_status: Wrong key [@dev-2025-card].
suppress:
  - {id: ask-protocl, reason: Not relevant.}
  - {id: ask-protocol, reason: Listed and suppressed.}
"""
    lines = problems_for(tmp_path, {"data/incidents/example-finding.yaml": INCIDENT + facts})
    body = "\n".join(lines)
    assert "regulatory.harm_types[0]: unknown harm type 'helth' (nearest valid: 'health'" in body
    assert "regulatory.realised_harm: warning: true, but risk.evidence is E1" in body
    assert "risk.fatal_or_ci_or_widespread: warning: false, but regulatory.harm_types records death" in body
    assert "regulatory.resolved_date: 2026-09-01 is before awareness_date 2026-09-10" in body
    assert "regulatory.gpai_systemic_risk: warning: presumed, but training compute is not disclosed" in body
    assert (
        "regulatory.framework_reports[0].framework: unknown framework 'anthropic-rps' (nearest valid: 'anthropic-rsp'"
        in body
    )
    assert (
        "regulatory.framework_reports[1].threshold: unknown Anthropic RSP threshold 'ASL-9' (nearest valid: 'ASL-4', "
        "'ASL-3'" in body
    )
    assert "regulatory.framework_reports[1].source: unknown source 'nosuch'" in body
    assert "regulatory.framework_reports[1].domain: unknown CoP specified systemic risk 'bio'" in body
    assert "regulatory.framework_reports[0].locator: warning: no locator for 'dev-2025-card'" in body
    assert "regulatory.rationale.gpai_status: unknown fact 'gpai_status'" in body
    assert "suppress[0].id: unknown recommendation 'ask-protocl' (did you mean 'ask-protocol'?)" in body
    assert "suppress[1].id: 'ask-protocol' is both listed in recommendations and suppressed (keep one)" in body
    mine = sorted({line for line in lines if re.search(r": (regulatory|suppress)", line)})
    assert len(mine) == 13 and all(
        re.match(r"data/incidents/example-finding\.yaml:\d+: (regulatory|suppress)\S*: ", line) for line in mine
    ), mine


def test_recommendation_triggers_are_checked(tmp_path: Path) -> None:
    recs = """\
- id: ask-protocol
  text: Request the evaluation protocol.
  addressee: regulator
  priority: 1
  rationale: The rate is conditional.
  triggers:
    tags: ["cop:loss-of-control", "topic:anything"]
    flags: ["EU.ART3_49", "EU.GPAI_SR=presumd", "FRONTIER:anthropic-rsp:ASL-3"]
"""
    lines = problems_for(tmp_path, {"data/recommendations.yaml": recs})
    assert (
        "data/recommendations.yaml:5: rationale: warning: recommendation 'ask-protocol' has a rationale that cites no "
        "source (expected at least one [@source-id, locator])" in lines
    )
    vocab = REPO / "data" / "vocab" / "cop-systemic-risks.yaml"
    assert (
        "data/recommendations.yaml:7: triggers.tags[0]: unknown GPAI Code of Practice, Appendix 1.4 specified "
        "systemic risks tag 'loss-of-control' (nearest valid: 'cop:loss_of_control'; the vocabulary is packaged "
        f"vocabulary {vocab.name})" in lines
    )
    assert (
        "data/recommendations.yaml:8: triggers.flags[1]: unknown flag 'EU.GPAI_SR=presumd' (nearest valid: "
        "'EU.GPAI_SR=presumed', 'EU.GPAI_SR=yes', 'EU.GPAI_SR=designated')" in lines
    )
    assert len({line for line in lines if ": triggers." in line}) == 2  # topic tags and valid flags pass


def test_the_project_s_own_tables_must_cite_curated_sources(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    vocab = (REPO / "data" / "vocab" / "oecd-harm-types.yaml").read_text()
    (root / "data" / "vocab").mkdir()
    (root / "data" / "vocab" / "oecd-harm-types.yaml").write_text(
        vocab.replace("source: oecd-2024-defining-ai-incidents", "source: oecd-paper")
    )
    result = runner.invoke(app, ["validate", "--project", str(root)])
    assert (
        "data/vocab/oecd-harm-types.yaml: the table cites unknown source 'oecd-paper' (add it to data/sources.json)"
        in result.stderr
    )
    assert regulatory.load_tables(root / "data").vocabularies["oecd"].path == "data/vocab/oecd-harm-types.yaml"


def test_a_broken_table_is_reported_with_its_file(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    (root / "data" / "regulatory").mkdir()
    (root / "data" / "regulatory" / "clocks.yaml").write_text(
        "counting: {}\nregimes:\n  cop-9.3: {name: x}\nharm_types: {}\n"
    )
    result = runner.invoke(app, ["validate", "--project", str(root)])
    assert result.exit_code == 1
    # Every problem of the file at once, each with its line.
    assert "data/regulatory/clocks.yaml:3: regimes['cop-9.3'].milestones: required field is missing" in result.stderr
    assert "data/regulatory/clocks.yaml:3: regimes['cop-9.3'].applies_from: required field is missing" in result.stderr


def test_a_vocabulary_s_mistakes_are_reported_by_line(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    (root / "data" / "vocab").mkdir()
    (root / "data" / "vocab" / "mit.yaml").write_text(
        "vocabulary: mit\nname: MIT\nterms:\n  - {id: '1', label: One}\n  - {id: '1', label: Again}\n"
        "  - {id: '2', lable: Two}\n"
    )
    result = runner.invoke(app, ["validate", "--project", str(root)])
    assert result.exit_code == 1
    assert "data/vocab/mit.yaml:6: terms[2].label: required field is missing" in result.stderr
    assert "data/vocab/mit.yaml:6: terms[2].lable: unknown field 'lable' (did you mean 'label'?)" in result.stderr


def test_the_default_data_validates_with_its_regulatory_facts() -> None:
    report = validate(load_config(REPO), today=D(2026, 11, 26))
    mine = [
        str(p)
        for p in report.problems
        if any(k in p.location.field for k in ("tags.", "regulatory", "suppress", "triggers"))
    ]
    assert mine == []
    assert all(inc.regulatory is not None for inc in report.dataset.incidents.values())


def test_provisions_quote_and_cite_every_flag_family() -> None:
    provisions = {p.code: p for p in regulatory.provisions(TABLES)}
    assert list(provisions) == [
        "EU.ART3_49",
        "EU.GPAI_SR",
        "EU.ART55_1c",
        "CoP.9_3",
        "EU.ART73",
        "CoP.APP1_4",
        "FRONTIER",
        "NIST.AI_RMF",
        "OECD",
        "TAGS",
    ]
    assert (
        "“directly or indirectly leads to”" not in provisions["EU.ART3_49"].rule
    )  # the table quotes with straight quotes
    assert '"directly or indirectly leads to"' in provisions["EU.ART3_49"].rule
    assert [label for label, _, _ in provisions["CoP.APP1_4"].items][:4] == [
        "CBRN",
        "Loss of control",
        "Cyber offence",
        "Harmful manipulation",
    ]
    assert provisions["EU.ART3_49"].anchor == "prov-eu-art3-49" == regulatory.anchor("EU.ART3_49")
    rows = {r.harm_type: r for r in regulatory.periods(TABLES)}
    assert [text for text, _ in rows["widespread-infringement"].periods] == ["15 days", "2 days"]
    assert [text for text, _ in rows["cybersecurity-breach"].periods] == ["5 days", "—"]
