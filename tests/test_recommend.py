"""The recommendation engine (src/brief/recommend.py) and the regulatory annex in the regulator brief.

Triggers fire on risk level, tags, kind, regulatory flags and evidence stage (each given list must
match); incidents list or suppress recommendations; a recommendation with a clock carries the due
date of that report; the regulator brief groups recommendations by addressee and prints the annex.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import INCIDENT, RECOMMENDATIONS, REPO, write_project
from typer.testing import CliRunner

from brief.assess import recommend, regulatory, risk
from brief.cli import app
from brief.load.model import Incident, Recommendation

D = dt.date
TABLES = regulatory.load_tables(REPO / "data")
RUBRIC = risk.load_rubric(REPO / "data" / "rubric" / "v0.1.yaml")
runner = CliRunner()


def rec(rid: str, *, clock: str | None = None, **triggers: list) -> Recommendation:
    return Recommendation.model_validate(
        {
            "id": rid,
            "text": f"Do {rid}.",
            "addressee": "regulator",
            "priority": 2,
            "rationale": "Because [@x].",
            "triggers": triggers,
            "clock": clock,
        }
    )


def make(
    *,
    evidence: int = 1,
    severity: int = 3,
    kind: str = "research-finding",
    tags: dict | None = None,
    facts: dict | None = None,
    listed: list[str] | None = None,
    suppress: list[dict] | None = None,
) -> Incident:
    return Incident.model_validate(
        {
            "id": "inc",
            "title": "Incident",
            "kind": kind,
            "date": "2026-09-01",
            "summary": "Made up.",
            "tags": tags
            or {"cop": ["loss_of_control"], "mit": ["7.1"], "nist": ["Data Privacy"], "topics": ["blackmail"]},
            "risk": {
                "severity": severity,
                "evidence": evidence,
                "likelihood": 1 if evidence < 4 else 4,
                "breadth": 2,
                "reversibility": 1,
                "confidence": {"evidence": "medium", "agreement": "high"},
            },
            "regulatory": facts,
            "recommendations": listed or [],
            "suppress": suppress or [],
        }
    )


def select(recs: list[Recommendation], inc: Incident) -> recommend.Selection:
    assessment = risk.assess(inc.risk, inc.tags, RUBRIC)
    view = regulatory.view(inc, assessment, TABLES, D(2026, 11, 26))
    return recommend.select({r.id: r for r in recs}, inc, assessment.level, view, TABLES)


def fired(recs: list[Recommendation], inc: Incident) -> dict[str, tuple[str, ...]]:
    return {f.id: f.reasons for f in select(recs, inc).fired}


PLACED_AFTER = {
    "fact": "placed-on-market",
    "value": "2025-09-15",
    "as_of": "2025-09-15",
    "source": "made-up-source",
    "text": "Placed on the market on 15 September 2025.",
}
SERIOUS = {
    "realised_harm": True,
    "harm_types": ["health"],
    "awareness_date": "2026-09-01",
    "gpai_systemic_risk": "presumed",
    "training_compute_disclosed": True,
    "high_risk_system": False,
    "status": [PLACED_AFTER],
}


def test_each_trigger_list_fires_on_any_listed_value() -> None:
    inc = make()  # Moderate (S3 x L1, two amplifiers), E1, research finding
    recs = [
        rec("by-level", levels=["Moderate", "High"]),
        rec("by-level-miss", levels=["High"]),
        rec("by-tag", tags=["cop:cbrn", "cop:loss_of_control"]),
        rec("by-tag-miss", tags=["cop:cbrn"]),
        rec("by-kind", kinds=["research-finding"]),
        rec("by-kind-miss", kinds=["incident"]),
        rec("by-flag", flags=["CoP.APP1_4:loss_of_control"]),
        rec("by-flag-state", flags=["EU.GPAI_SR=unknown"]),
        rec("by-flag-miss", flags=["EU.ART3_49"]),
        rec("by-not-serious", flags=["EU.ART3_49=no"]),
        rec("by-oecd", flags=["OECD:hazard"]),
        rec("by-evidence", evidence=[0, 1]),
        rec("by-evidence-miss", evidence=[4]),
        rec("nothing"),  # no trigger list: never fires on its own
    ]
    result = fired(recs, inc)
    assert sorted(result) == [
        "by-evidence",
        "by-flag",
        "by-flag-state",
        "by-kind",
        "by-level",
        "by-not-serious",
        "by-oecd",
        "by-tag",
    ]
    assert result["by-level"] == ("risk level Moderate",)
    assert result["by-tag"] == ("tag cop:loss_of_control",)
    assert result["by-flag-state"] == ("flag EU.GPAI_SR=unknown",)
    assert result["by-evidence"] == ("evidence E1",)


def test_all_given_lists_must_match() -> None:
    inc = make()
    recs = [
        rec("both", levels=["Moderate"], flags=["CoP.APP1_4"], evidence=[1]),
        rec("level-not-flag", levels=["Moderate"], flags=["EU.ART3_49"]),
        rec("flag-not-evidence", flags=["CoP.APP1_4"], evidence=[3]),
    ]
    assert fired(recs, inc) == {"both": ("risk level Moderate", "flag CoP.APP1_4", "evidence E1")}


def test_tags_match_vocabulary_ids_labels_and_domains() -> None:
    inc = make()
    recs = [
        rec("mit-domain", tags=["mit:7"]),
        rec("nist-id", tags=["nist:data-privacy"]),
        rec("cop-label", tags=["cop:Loss of control"]),
        rec("topic", tags=["topic:blackmail"]),
        rec("bare", tags=["blackmail"]),
    ]
    assert sorted(fired(recs, inc)) == ["bare", "cop-label", "mit-domain", "nist-id", "topic"]


def test_realised_harm_flags_and_evidence_fire_the_reporting_recommendations() -> None:
    library = [
        rec("verify-report", clock="initial", flags=["CoP.9_3", "CoP.9_3=conditional"]),
        rec("root-cause", flags=["EU.ART3_49"], evidence=[4]),
        rec("art73", clock="initial", flags=["EU.ART73", "EU.ART73=conditional"]),
    ]
    assert fired(library, make()) == {}
    serious = fired(library, make(evidence=4, severity=4, facts=SERIOUS))
    assert serious == {"verify-report": ("flag CoP.9_3",), "root-cause": ("flag EU.ART3_49", "evidence E4")}
    high_risk = fired(
        library,
        make(evidence=4, severity=4, facts={**SERIOUS, "gpai_systemic_risk": "unknown", "high_risk_system": None}),
    )
    assert high_risk["verify-report"] == ("flag CoP.9_3=conditional",) and high_risk["art73"] == (
        "flag EU.ART73=conditional",
    )


def test_a_clock_gives_the_recommendation_its_deadline() -> None:
    library = [
        rec("initial", clock="initial", flags=["CoP.9_3"]),
        rec("update", clock="intermediate", flags=["CoP.9_3"]),
        rec("final", clock="final", flags=["CoP.9_3"]),
        rec("art73", clock="initial", flags=["EU.ART73"]),
        rec("no-clock", flags=["CoP.9_3"]),
    ]
    facts = {**SERIOUS, "harm_types": ["health", "death"], "high_risk_system": True}
    result = {f.id: f.deadline for f in select(library, make(evidence=4, severity=5, facts=facts)).fired}
    initial = result["initial"]
    assert (initial.due, initial.text, initial.report, initial.indicative) == (
        D(2026, 9, 11),
        "11 September 2026",
        "Initial report under CoP Measure 9.3 (measure 9.3(3))",
        True,
    )
    assert initial.passed is True  # before the edition date, 26 November 2026
    assert result["update"].due == D(2026, 10, 9)  # 28 days after the binding initial report
    assert (
        result["final"].due is None and result["final"].text == "60 days after resolution; no resolution date recorded"
    )
    assert result["art73"].report == "Report (may be an incomplete initial report) under AI Act Art. 73 (art. 73(4))"
    assert result["art73"].due == D(2026, 9, 11)
    assert result["no-clock"] is None


def test_no_clock_no_deadline() -> None:
    selection = select([rec("initial", clock="initial", levels=["Moderate"])], make())
    assert [(f.id, f.deadline) for f in selection.fired] == [("initial", None)]


def test_listed_recommendations_come_first_and_keep_their_trigger_reasons() -> None:
    library = [rec("a", levels=["Moderate"]), rec("b", levels=["High"]), rec("c", tags=["cop:loss_of_control"])]
    selection = select(library, make(listed=["c", "b"]))
    assert [(f.id, f.reasons) for f in selection.fired] == [
        ("c", ("listed by the incident", "tag cop:loss_of_control")),
        ("b", ("listed by the incident",)),
        ("a", ("risk level Moderate",)),
    ]
    assert selection.fired[0].why == "listed by the incident; tag cop:loss_of_control"


def test_an_incident_can_suppress_a_recommendation_with_a_reason() -> None:
    library = [rec("a", levels=["Moderate"]), rec("b", levels=["High"])]
    selection = select(
        library,
        make(
            suppress=[
                {"id": "a", "reason": "Covered by a standing request."},
                {"id": "b", "reason": "Not at this level."},
            ]
        ),
    )
    assert selection.fired == ()
    assert [(s.id, s.reason, s.would_fire) for s in selection.suppressed] == [
        ("a", "Covered by a standing request.", True),
        ("b", "Not at this level.", False),
    ]
    assert bool(selection) and len(selection) == 0


def test_fired_reads_like_the_recommendation_it_wraps() -> None:
    selection = select([rec("a", levels=["Moderate"])], make())
    f = selection.fired[0]
    assert (f.id, f.text, f.addressee.value, f.priority, f.rationale, f.question) == (
        "a",
        "Do a.",
        "regulator",
        2,
        "Because [@x].",
        None,
    )
    assert f.model_dump(mode="json")["id"] == "a"  # other fields pass through (edition snapshots)
    assert f.incident == "inc"


def test_unassessed_incidents_fire_only_on_what_they_have() -> None:
    inc = Incident.model_validate(
        {"id": "u", "title": "U", "kind": "hazard", "date": "2026-01-01", "summary": "S.", "tags": {"cop": ["cbrn"]}}
    )
    view = regulatory.view(inc, None, TABLES)
    library = {
        r.id: r
        for r in [
            rec("level", levels=["Low"]),
            rec("evidence", evidence=[0]),
            rec("tag", tags=["cop:cbrn"]),
            rec("flag", flags=["OECD:hazard"]),
        ]
    }
    assert [f.id for f in recommend.select(library, inc, None, view, TABLES).fired] == ["tag", "flag"]


# --- The regulator brief -------------------------------------------------------------------------


REALISED_INCIDENT = (
    INCIDENT.replace("kind: research-finding", "kind: incident")
    .replace("date: 2025-05-22", "date: 2028-02-27")
    .replace("  evidence: 1\n  likelihood: 1\n", "  evidence: 4\n  likelihood: 4\n  fatal_or_ci_or_widespread: true\n")
    + """\
regulatory:
  realised_harm: true
  harm_types: [critical-infrastructure, death]
  awareness_date: 2028-02-27
  gpai_systemic_risk: designated
  high_risk_system: false
  rationale:
    gpai_systemic_risk: Designated, for this test [@dev-2025-card, sec. 1].
suppress:
  - id: never-here
    reason: Not needed for this test [@dev-2025-card, sec. 2].
"""
)

LIBRARY = (
    RECOMMENDATIONS
    + """\
- id: verify-report
  text: Verify that the initial report was filed.
  addressee: regulator
  priority: 1
  clock: initial
  rationale: Reports are due by the Code's periods [@dev-2025-card, sec. 9].
  triggers:
    flags: ["CoP.9_3"]
  question: When did you file the initial report?
- id: never-here
  text: Something suppressed.
  addressee: developer
  priority: 3
  rationale: A reason [@dev-2025-card, sec. 3].
  triggers:
    levels: [Critical]
"""
)


@pytest.fixture(scope="module")
def brief_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = write_project(
        tmp_path_factory.mktemp("r") / "proj",
        {"data/incidents/example-finding.yaml": REALISED_INCIDENT, "data/recommendations.yaml": LIBRARY},
    )
    result = runner.invoke(
        app, ["build", "--project", str(root), "--audience", "regulator", "--date", "2028-03-10", "--html-only"]
    )
    assert result.exit_code == 0, result.output
    return (root / "output" / "example" / "2028-03" / "example-regulator.html").read_text()


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_the_annex_is_a_chapter_between_recommendations_and_sources(brief_html: str) -> None:
    order = [brief_html.index(f'id="{i}"') for i in ("recommendations", "annex", "sources")]
    assert order == sorted(order)
    assert re.search(
        r'<section id="annex" class="chapter[^"]*"[^>]*>\s*<h2 id="annex-h">', brief_html
    )  # numbered or lettered
    assert 'href="#annex"' in brief_html  # listed in the contents


def test_the_annex_prints_the_matrix_clocks_and_why(brief_html: str) -> None:
    annex = text(brief_html[brief_html.index('id="annex"') : brief_html.index('id="sources"')])
    # One row per finding, one column per provision, a short verdict per cell; no code of the tool.
    assert "Findings by provision" in annex and "AI Act Art. 3(49)" in annex and "AI Act Art. 73" in annex
    assert "Example model blackmail findingAppliesApplies" in annex  # Art. 3(49) and Art. 51 apply
    assert "EU.ART3_49" not in annex and "CoP.9_3" not in annex and "OECD:" not in annex
    assert "Reporting clocks" in annex
    for due in ("29 February 2028", "8 March 2028", "28 March 2028"):  # 2-day and 10-day initial reports; first update
        assert due in annex
    assert "Designated, for this test" in annex  # the curated reason, with its citation
    assert "Not needed for this test" in annex  # withheld, with the analyst's reason
    assert "What each provision requires" in annex and "Potential harm is not enough." in annex


def test_recommendations_carry_their_deadline_and_refer_to_page_one(brief_html: str) -> None:
    recs = text(brief_html[brief_html.index('id="recommendations"') : brief_html.index('id="claims-register"')])
    assert "Deadline: 29 February 2028 (Initial report under CoP Measure 9.3 (measure 9.3(1)); indicative)." in recs
    assert "By: 29 February 2028" in recs
    assert "Decision 1 on page 1." in recs  # the decisions of page 1 are not said twice
    assert "Something suppressed" not in recs


# --- One computation per brief -----------------------------------------------------------------

TRACKING = (
    LIBRARY
    + """\
- id: track-updates
  text: Diary the intermediate reports.
  addressee: regulator
  priority: 2
  clock: intermediate
  rationale: Updates are due at least every four weeks [@dev-2025-card, sec. 9].
  triggers:
    flags: ["CoP.9_3"]
"""
)


def test_an_unresolved_incident_prints_the_same_deadlines_in_every_chapter_and_audience(tmp_path: Path) -> None:
    """The Recommendations chapter and the annex read one computation at the edition date (the two
    once printed "Every 28 days from ..." and "next due after the edition date: ..." for one duty)."""
    from conftest import BRIEF

    brief = BRIEF.replace("audiences: [regulator]", "audiences: [regulator, executive, technical, public]")
    root = write_project(
        tmp_path / "proj",
        {
            "data/incidents/example-finding.yaml": REALISED_INCIDENT,
            "data/recommendations.yaml": TRACKING,
            "briefs/example.yaml": brief,
        },
    )
    result = runner.invoke(
        app, ["build", "--project", str(root), "--audience", "all", "--date", "2028-05-10", "--html-only"]
    )
    assert result.exit_code == 0, result.output
    folder = root / "output" / "example" / "2028-05"
    regulator = (folder / "example-regulator.html").read_text()
    chapter = text(regulator[regulator.index('id="recommendations"') : regulator.index('id="claims-register"')])
    annex = text(regulator[regulator.index('id="annex"') : regulator.index('id="sources"')])
    every = "Every 28 days from 28 March 2028; next due after the edition date: 23 May 2028"
    initial = "29 February 2028"
    assert f"Deadline: {every} (Intermediate reports under CoP Measure 9.3 (measure 9.3); indicative)." in chapter
    assert f"Deadline: {initial} (Initial report under CoP Measure 9.3 (measure 9.3(1)); indicative)." in chapter
    assert f"Intermediate reports {every}" in annex and f"Initial report {initial}" in annex
    # Every deadline any audience prints is one of these, worded the same.
    for aud in ("regulator", "executive", "technical", "public"):
        page = text((folder / f"example-{aud}.html").read_text())
        for found in re.findall(
            r"Every 28 days from [^;.()]+(?:; next due after the edition date: [0-9]+ [A-Z][a-z]+ [0-9]{4})?", page
        ):
            assert found == every, (aud, found)


def test_the_computation_is_shared_by_every_audience_and_redone_for_another_date() -> None:
    from brief.check.validate import validate as run_validate
    from brief.load.config import load_config
    from brief.render.context import Edition, build_context, compute

    config = load_config(REPO)
    ds = run_validate(config, today=dt.date(2026, 12, 7)).dataset
    spec = ds.briefs["frontier-self-preservation"]
    computed = compute(config, ds, spec, dt.date(2026, 12, 7))
    contexts = [
        build_context(config, ds, spec, aud, Edition("2026-12", dt.date(2026, 12, 7)), computed)
        for aud in ("regulator", "executive")
    ]
    assert all(c["regulatory"] is computed.regulatory for c in contexts)
    assert computed.regulatory.as_of == dt.date(2026, 12, 7)
    later = build_context(config, ds, spec, "regulator", Edition("2027-09", dt.date(2027, 9, 1)), computed)
    assert later["regulatory"] is not computed.regulatory and later["regulatory"].as_of == dt.date(2027, 9, 1)


def test_claude_opus_4_recommendations_are_requests_not_enforcement_until_2_august_2027() -> None:
    """Art. 111(3): the default data's recommendations that rest on Chapter V are requests at priority 2."""
    from brief.check.validate import validate as run_validate
    from brief.load.config import load_config
    from brief.render.context import compute

    config = load_config(REPO)
    ds = run_validate(config, today=dt.date(2026, 12, 7)).dataset
    spec = ds.briefs["frontier-self-preservation"]
    before = {r.id: r for r in compute(config, ds, spec, dt.date(2026, 12, 7)).recommendations}
    rec = before["request-released-model-evaluations"]
    assert rec.reworded and rec.priority == 2 and rec.recommendation.priority == 1
    assert rec.standing.startswith(
        "Worded as a request, not as enforcement. Art. 111(3) binds Claude Opus 4 from 2 August 2027"
    )
    formal = before.get("formal-information-request")
    if formal is not None:
        assert formal.text.startswith("Ask the provider to confirm") and formal.priority == 2
    assert not [r for r in before.values() if r.priority == 1 and r.recommendation.rests_on]
    # The Code of Practice Model Report presupposes a signature and a systemic-risk status no source establishes.
    assert "check-model-report-coverage" not in before
    after = {r.id: r for r in compute(config, ds, spec, dt.date(2027, 8, 2)).recommendations}
    assert (
        not after["request-released-model-evaluations"].reworded
        and after["request-released-model-evaluations"].priority == 1
    )


def test_a_presupposed_status_fact_withholds_a_recommendation_and_says_which() -> None:
    library = [rec("model-report", levels=["Low", "Moderate", "High", "Critical"])]
    library[0] = library[0].model_copy(update={"presupposes": ["cop-signatory"]})
    sel = recommend.select({r.id: r for r in library}, make(), "Moderate")
    assert not sel.fired and sel.suppressed[0].status
    assert (
        sel.suppressed[0].reason
        == "Withheld: it presupposes the provider's signature of the GPAI Code of Practice, which no source curated "
        "here establishes."
    )
    signed = {
        "status": [
            {
                "fact": "cop-signatory",
                "value": "yes",
                "as_of": "2025-07-21",
                "source": "made-up-source",
                "text": "Signed.",
                "past": "Had signed.",
            }
        ]
    }
    assert [f.id for f in recommend.select({r.id: r for r in library}, make(facts=signed), "Moderate").fired] == [
        "model-report"
    ]


def test_a_request_can_invoke_the_code_where_the_signature_is_sourced() -> None:
    """Art. 111(3) defers the duty; a sourced signature of the Code lets the brief invoke its commitments."""
    library = {
        "ask-report": Recommendation.model_validate(
            {
                "id": "ask-report",
                "text": "Verify the report.",
                "request_text": "Ask for the report.",
                "addressee": "regulator",
                "priority": 1,
                "rationale": "Reports are due [@dev-2025-card, sec. 9].",
                "rests_on": ["gpai"],
                "triggers": {"levels": ["Moderate", "Low", "High", "Critical"]},
            }
        )
    }
    placed = {
        "fact": "placed-on-market",
        "value": "2025-05-22",
        "as_of": "2025-05-22",
        "source": "made-up-source",
        "text": "Released on 22 May 2025.",
    }
    signed = {
        "fact": "cop-signatory",
        "value": "yes",
        "as_of": "2025-07-21",
        "source": "made-up-source",
        "text": "The provider signed the Code on 21 July 2025.",
        "past": "The provider had signed the Code.",
    }
    tables = regulatory.load_tables(REPO / "data")
    for status, invoked in (([placed], False), ([placed, signed], True)):
        inc = make(facts={"status": status})
        reg = regulatory.view(inc, None, tables, dt.date(2026, 12, 7))
        (fired,) = recommend.select(library, inc, "Moderate", reg, tables).fired
        assert (fired.text, fired.priority) == ("Ask for the report.", 2)
        assert fired.standing.startswith(
            "Worded as a request, not as enforcement. Art. 111(3) binds the model from 2 August 2027"
        )
        assert (
            "Code of Practice can be invoked instead: The provider signed the Code on 21 July 2025." in fired.standing
        ) is invoked
    after = regulatory.view(make(facts={"status": [placed]}), None, tables, dt.date(2027, 8, 2))
    (fired,) = recommend.select(library, make(facts={"status": [placed]}), "Moderate", after, tables).fired
    assert (fired.text, fired.priority, fired.standing) == ("Verify the report.", 1, "")
