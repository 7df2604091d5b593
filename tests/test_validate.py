"""Validation reports every problem at once, as `path:line: field: message`, with exit code 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import BRIEF, EVALUATIONS, INCIDENT, SOURCES, write_project
from typer.testing import CliRunner

from brief.cli import app

runner = CliRunner()


def validate(root: Path, *args: str) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["validate", "--project", str(root), *args])
    lines = [line for line in result.stderr.splitlines() if line]
    return result.exit_code, lines


def test_clean_project_validates(project: Path) -> None:
    result = runner.invoke(app, ["validate", "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "OK: 2 sources, 1 incidents, 2 claims, 2 evaluation rows, 1 recommendations, 1 briefs"
    )


def test_every_problem_reported_at_once_with_file_line_and_field(tmp_path: Path) -> None:
    bad_incident = INCIDENT.replace("kind: research-finding", "kind: research-findin").replace(
        "date: 2025-05-22", "date: 2025-02-30"
    )
    bad_incident = bad_incident.replace("  topics: [blackmail]", "  topicz: [blackmail]").replace(
        "  severity: 3", "  severity: 7"
    )
    rows = EVALUATIONS + "ex-3,Opportunistic blackmail,M,D,E,C,rate,40,percent,,-5,,,,2025-13-01,dev-2025-card,x,P,\n"
    rows += "ex-1,Opportunistic blackmail,M,D,E,C,rate,40,percent,,,,,,2025-01-01,nosuch,x,P,\n"
    rows += "ex-4,Opportunistic blackmail,M,D,E,C,rate,=1+1,percent,,,,,,2025-01-01,dev-2025-card,x,P,\n"
    rows += "ex-5,too,few\n"
    rows += "ex-6,Opportunistic blackmail,M,D,E,C,rate,140,percent,,,not disclosed,,,2025-01-01,dev-2025-card,x,P,\n"
    root = write_project(
        tmp_path / "p", {"data/incidents/example-finding.yaml": bad_incident, "data/evaluations/example.csv": rows}
    )
    code, lines = validate(root)
    assert code == 1
    assert lines == [
        "data/evaluations/example.csv:4: date: bad date '2025-13-01' (expected YYYY-MM-DD, a real calendar date)",
        "data/evaluations/example.csv:4: n: '-5' is out of range (expected at least 0)",
        (
            "data/evaluations/example.csv:5: id: duplicate evaluation id 'ex-1' (first defined at "
            "data/evaluations/example.csv:2)"
        ),
        "data/evaluations/example.csv:6: value: cell '=1+1' looks like a spreadsheet formula (remove the leading '=')",
        "data/evaluations/example.csv:7: row has 3 cells, the header has 19 (a missing or extra comma?)",
        "data/evaluations/example.csv:8: value: 140 is out of range for a percentage (expected 0 to 100)",
        (
            "data/incidents/example-finding.yaml:3: kind: unknown value 'research-findin' (expected 'incident', "
            "'hazard' or 'research-finding')"
        ),
        (
            "data/incidents/example-finding.yaml:4: date: bad date '2025-02-30' (expected YYYY-MM-DD, a real "
            "calendar date)"
        ),
        "data/incidents/example-finding.yaml:12: tags.topicz: unknown field 'topicz' (did you mean 'topics'?)",
        "data/incidents/example-finding.yaml:33: risk.severity: 7 is out of range (expected at most 5)",
        "Aborted: 10 errors in the data.",
    ]


def test_cross_references(tmp_path: Path) -> None:
    incident = INCIDENT.replace("[@dev-2025-card, sec. 4.1].\ntags", "[@dev-2025-crd, sec. 4.1].\ntags")
    incident = incident.replace("recommendations: [ask-protocol]", "recommendations: [ask-protocl]").replace(
        "evaluations: [Opportunistic blackmail]", "evaluations: [Opportunistic blackmale]"
    )
    incident = incident.replace("      - id: press-2025\n", "      - id: press-2026\n")
    root = write_project(tmp_path / "p", {"data/incidents/example-finding.yaml": incident})
    code, lines = validate(root)
    assert code == 1
    assert lines == [
        (
            "data/incidents/example-finding.yaml:7: summary: unknown citation key 'dev-2025-crd' (did you mean "
            "'dev-2025-card'?)"
        ),
        (
            "data/incidents/example-finding.yaml:31: claims[1].reported_by[0].id: unknown source 'press-2026' "
            "(did you mean 'press-2025'?)"
        ),
        (
            "data/incidents/example-finding.yaml:40: recommendations[0]: unknown recommendation 'ask-protocl' "
            "(did you mean 'ask-protocol'?)"
        ),
        (
            "data/incidents/example-finding.yaml:41: evaluations[0]: no evaluation rows named 'Opportunistic "
            "blackmale' (did you mean 'Opportunistic blackmail'?)"
        ),
        "Aborted: 4 errors in the data.",
    ]


def test_claim_without_source_and_duplicate_ids(tmp_path: Path) -> None:
    incident = INCIDENT.replace(
        "claims:\n",
        "claims:\n  - id: bare\n    text: Something.\n    status: confirmed\n",
    )
    sources = SOURCES + [dict(SOURCES[0])]
    root = write_project(
        tmp_path / "p",
        {"data/incidents/example-finding.yaml": incident, "data/sources.json": json.dumps(sources, indent=2)},
    )
    code, lines = validate(root)
    assert code == 1
    assert (
        "data/incidents/example-finding.yaml:14: claims[0].sources: claim 'bare' has no source (a confirmed "
        "claim needs at least one source with a locator)"
    ) in lines
    assert (
        "data/incidents/example-finding.yaml:14: claims[0].sources: claim 'bare' has no source and no "
        "reported_by: say who made it"
    ) in lines
    assert (
        "data/sources.json:44: id: duplicate source id 'dev-2025-card' (first defined at data/sources.json:2)" in lines
    )


def test_strict_makes_warnings_fatal(tmp_path: Path) -> None:
    # A confirmed claim resting on a press report is a warning; --strict makes it fatal.
    incident = INCIDENT.replace(
        "      - id: dev-2025-card\n        locator: sec. 4.1, p. 27\n",
        "      - id: press-2025\n        locator: para. 2\n",
    )
    root = write_project(tmp_path / "p", {"data/incidents/example-finding.yaml": incident})
    code, lines = validate(root)
    assert code == 0
    assert lines == [
        (
            "data/incidents/example-finding.yaml:18: claims[0].sources[0].id: warning: confirmed claim 'rate' "
            "rests on secondary source 'press-2025' (cite the primary source)"
        ),
        # and its quote cannot be checked: press-2025 has no capture (brief/evidence.py)
        (
            "data/sources.json:26: id: warning: no capture of 'press-2025': the quotes of confirmed claim "
            "'rate' cannot be checked (run `brief capture press-2025`, or `brief capture press-2025 --file "
            'PATH` for a copy you have; if it cannot be captured, record why in the source: "capture": '
            '{"status": "unavailable", "reason": "..."})'
        ),
    ]
    code, lines = validate(root, "--strict")
    assert code == 1
    assert lines == [
        (
            "data/incidents/example-finding.yaml:18: claims[0].sources[0].id: confirmed claim 'rate' rests on "
            "secondary source 'press-2025' (cite the primary source)"
        ),
        (
            "data/sources.json:26: id: no capture of 'press-2025': the quotes of confirmed claim 'rate' "
            "cannot be checked (run `brief capture press-2025`, or `brief capture press-2025 --file PATH` for a "
            'copy you have; if it cannot be captured, record why in the source: "capture": {"status": '
            '"unavailable", "reason": "..."})'
        ),
        "Aborted: 2 errors in the data.",
    ]


def test_unverified_source_cannot_support_a_confirmed_claim(tmp_path: Path) -> None:
    sources = [dict(s) for s in SOURCES]
    sources[1]["verification"] = "unverified"
    incident = INCIDENT.replace(
        "      - id: dev-2025-card\n        locator: sec. 4.1, p. 27\n",
        "      - id: press-2025\n        locator: para. 2\n",
    )
    root = write_project(
        tmp_path / "p",
        {"data/incidents/example-finding.yaml": incident, "data/sources.json": json.dumps(sources, indent=2)},
    )
    code, lines = validate(root)
    assert code == 1
    assert (
        "data/incidents/example-finding.yaml:18: claims[0].sources[0].id: 'press-2025' is unverified and "
        "cannot support a claim (move it to reported_by)"
    ) in lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "id: x\n  bad: [",
            "data/incidents/example-finding.yaml:2: invalid YAML: mapping values are not allowed in this context",
        ),
        ("", "data/incidents/example-finding.yaml: file is empty"),
        ("- a\n- b\n", "data/incidents/example-finding.yaml:1: expected a mapping of fields, got a list"),
    ],
)
def test_unreadable_files(tmp_path: Path, text: str, expected: str) -> None:
    root = write_project(tmp_path / "p", {"data/incidents/example-finding.yaml": text})
    code, lines = validate(root)
    assert code == 1
    assert lines[0] == expected


def test_non_utf8_and_bom(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    path = root / "data/incidents/example-finding.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + INCIDENT.encode())  # a BOM is fine
    assert validate(root)[0] == 0
    path.write_bytes(INCIDENT.encode().replace(b"ExampleLab", b"Example\xe9Lab", 1))
    code, lines = validate(root)
    assert code == 1
    assert (
        lines[0]
        == "data/incidents/example-finding.yaml:5: not UTF-8 text (byte 0xe9 at offset 117); save the file as UTF-8"
    )


def test_yaml_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        (
            f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
            f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        )
        for i in range(20)
    )
    root = write_project(tmp_path / "p", {"data/incidents/example-finding.yaml": bomb})
    code, lines = validate(root)
    assert code == 1
    assert "more than 100 YAML aliases (refusing a possible alias bomb)" in lines[0]


def test_brief_with_unknown_audience(tmp_path: Path) -> None:
    root = write_project(
        tmp_path / "p", {"briefs/example.yaml": BRIEF.replace("audiences: [regulator]", "audiences: [regulater]")}
    )
    code, lines = validate(root)
    assert code == 1
    assert lines[0] == (
        "briefs/example.yaml:7: audiences[0]: unknown audience 'regulater' (expected one of regulator, "
        "executive, technical, public)"
    )


def test_every_prose_field_has_its_citations_checked_once(tmp_path: Path) -> None:
    from conftest import RECOMMENDATIONS

    incident = INCIDENT.replace(
        "recommendations: [ask-protocol]",
        "recommendations: []\nsuppress:\n  - id: ask-protocol\n    reason: Not here [@nosuch-a].\n"
        "regulatory:\n  rationale:\n    realised_harm: No harm [@nosuch-b].",
    )
    recs = RECOMMENDATIONS.replace("question: What was n?", "question: What was n [@nosuch-c]?")
    root = write_project(
        tmp_path / "p", {"data/incidents/example-finding.yaml": incident, "data/recommendations.yaml": recs}
    )
    code, lines = validate(root)
    assert code == 1
    for key, field in (
        ("nosuch-a", "suppress[0].reason"),
        ("nosuch-b", "regulatory.rationale.realised_harm"),
        ("nosuch-c", "question"),
    ):
        found = [line for line in lines if f"unknown citation key '{key}'" in line]
        assert len(found) == 1, lines
        assert f": {field}: " in found[0]
