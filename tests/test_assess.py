"""Assessment overlays: an AIID incident pulled, assessed, pulled again with a changed row.

The assessment survives, validate names the changed fields, the next edition's what-changed says
the incident needs reassessment, and a regulator brief focused on it builds. Loopback only.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from conftest import REPO
from test_pull import INCIDENTS_CSV, Server, brief, listed, make_project, remote_table, serve_aiid, server  # noqa: F401 - fixture

from brief.assess.curate import starter
from brief.assess.risk import load_rubric, rubric_path
from brief.load.config import load_config
from brief.load.dataset import load_dataset


def test_the_starter_lists_the_values_of_each_rubric_scale() -> None:
    config = load_config(REPO)
    incident = load_dataset(config, overlays=False)[0].incidents["anthropic-claude-opus-4-blackmail-2025-05"]
    text = starter(incident, "x.yaml", load_rubric(rubric_path(config, "v0.1")), "v0.1")
    assert "#   horizon_months: 12\n" in text
    assert "#   severity:       # 1-5  Severity: 1 Negligible; 2 Minor; 3 Moderate; 4 Serious; 5 Critical\n" in text
    assert "#   likelihood:     # 1-5  Likelihood: 1 ≤20%; 2 20–45%; 3 45–55%; 4 55–80%; 5 >80%\n" in text
    assert "e.g. cbrn, loss_of_control, cyber_offence, harmful_manipulation\n" in text
    assert "#   reversibility:  # 0-2  Reversibility: 0 Reversible; 1 Hard to reverse; 2 Irreversible\n" in text


RISK = """\
risk:
  rubric: v0.1
  severity: 4
  evidence: 4
  likelihood: 2
  capability: {status: 0}
  breadth: 1
  reversibility: 2
  fatal_or_ci_or_widespread: true
  confidence: {evidence: medium, agreement: high}
  rationale:
    severity: A pedestrian was killed [@aiid-incident-1].
tags:
  cop: [loss_of_control]
"""

FOCUSED = """\
id: uber
title: Uber test vehicle
scope:
  incidents: [aiid-1]
focus: aiid-1
audiences: [regulator]
"""


def _assessed_project(tmp_path: Path, server: Server) -> Path:
    urls = serve_aiid(server)
    root = make_project(tmp_path, remote_table("aiid", "aiid", urls=urls))
    assert brief(root, "pull").exit_code == 0
    result = brief(root, "assess", "aiid-1")
    assert result.exit_code == 0, result.output
    path = root / "data/assessments/aiid-1.yaml"
    text = path.read_text()
    assert "#   severity:       # 1-5  Severity: 1 Negligible; 2 Minor; 3 Moderate; 4 Serious; 5 Critical" in text
    assert "upstream:" in text and yaml.safe_load(text)["id"] == "aiid-1"
    assert brief(root, "validate").exit_code == 0  # the starter is a valid (empty) assessment
    path.write_text(text.replace("# claims: []", RISK), encoding="utf-8")
    (root / "briefs/uber.yaml").write_text(FOCUSED, encoding="utf-8")
    return root


def test_assessment_survives_a_pull_and_names_changed_fields(tmp_path: Path, server: Server) -> None:
    root = _assessed_project(tmp_path, server)
    row = {i["id"]: i for i in listed(root, "incidents")}["aiid-1"]
    assert row["assessed"] is True and row["assessment"] == "data/assessments/aiid-1.yaml"
    assert row["field_origins"]["risk"] == "data/assessments/aiid-1.yaml"
    assert row["field_origins"]["title"] == "data/remote/aiid/current/incidents/aiid-1.yaml"
    assert row["tags"]["topics"] == ["aiid"] and row["tags"]["cop"] == ["loss_of_control"]  # tags merge key by key
    clean = brief(root, "validate")
    assert clean.exit_code == 0 and "changed since" not in clean.output

    server.put(
        "/aiid/incidents.csv",
        INCIDENTS_CSV.replace("Uber AV Killed Pedestrian in Arizona", "Uber AV Killed a Pedestrian"),
        "text/csv",
    )
    assert brief(root, "pull").exit_code == 0

    overlay = (root / "data/assessments/aiid-1.yaml").read_text()
    assert "severity: 4" in overlay  # the pull never touches data/assessments/
    result = brief(root, "validate")
    assert result.exit_code == 0, result.output
    assert (
        "data/assessments/aiid-1.yaml:45: upstream: warning: the pulled record of 'aiid-1' changed since this "
        "assessment was written (title): reassess, then run `brief assess aiid-1 --accept-upstream`"
    ) in result.output
    assert {i["id"]: i for i in listed(root, "incidents")}["aiid-1"]["reassess"] == ["title"]

    assert brief(root, "assess", "aiid-1", "--accept-upstream").exit_code == 0
    assert "changed since" not in brief(root, "validate").output
    assert "severity: 4" in (root / "data/assessments/aiid-1.yaml").read_text()


def test_focused_regulator_brief_builds_and_next_edition_says_reassess(tmp_path: Path, server: Server) -> None:
    root = _assessed_project(tmp_path, server)
    first = brief(root, "build", "--brief", "uber", "--audience", "regulator", "--date", "2026-11-26", "--html-only")
    assert first.exit_code == 0, first.output
    html = (root / "output/uber/2026-11/uber-regulator.html").read_text()
    assert "Uber AV Killed Pedestrian in Arizona" in html

    server.put("/aiid/incidents.csv", INCIDENTS_CSV.replace("struck and killed", "hit and killed"), "text/csv")
    assert brief(root, "pull").exit_code == 0
    second = brief(root, "build", "--brief", "uber", "--audience", "regulator", "--date", "2026-12-07", "--html-only")
    assert second.exit_code == 0, second.output
    html = (root / "output/uber/2026-12/uber-regulator.html").read_text()
    assert "needs reassessment: its pulled record changed since it was assessed (summary)" in html
    diff = json.loads(brief(root, "diff", "2026-11", "2026-12", "--brief", "uber", "--json").stdout)
    assert [c["ref"] for c in diff["changes"] if c["kind"] == "reassessment"] == ["aiid-1"]


def test_overlay_for_an_incident_gone_upstream_is_kept_with_a_warning(tmp_path: Path, server: Server) -> None:
    root = _assessed_project(tmp_path, server)
    (root / "briefs/uber.yaml").unlink()
    server.put(
        "/aiid/incidents.csv",
        "\n".join(line for line in INCIDENTS_CSV.splitlines() if ",1,2018" not in line) + "\n",
        "text/csv",
    )
    assert brief(root, "pull").exit_code == 0
    result = brief(root, "validate")
    assert result.exit_code == 0, result.output
    assert (
        "data/assessments/aiid-1.yaml:6: id: warning: assessment of incident 'aiid-1', which no pulled or curated "
        "record has (removed upstream?): kept, not used" in result.output
    )
    assert (root / "data/assessments/aiid-1.yaml").is_file()


def test_bad_overlay_field_is_reported_in_the_overlay(tmp_path: Path, server: Server) -> None:
    root = _assessed_project(tmp_path, server)
    path = root / "data/assessments/aiid-1.yaml"
    path.write_text(path.read_text().replace("severity: 4", "severity: 9"), encoding="utf-8")
    result = brief(root, "validate")
    assert result.exit_code == 1
    assert (
        "data/assessments/aiid-1.yaml:" in result.output
        and "risk.severity: 9 is out of range (expected at most 5)" in result.output
    )
