"""Any incident table in: `brief import FILE` and `kind = "table"` remotes, on loopback.

The tables are shaped like real data sets: month- and year-only dates, Markdown-looking
descriptions ("### Impact", `__proto__`), '*' and '@' in text, list-valued columns, Excel.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest
from test_pull import Reply, Server, brief, listed, make_project, remote_table, server  # noqa: F401 - fixture

from brief.core.dates import long_date
from brief.load.model import PartialDate, TimelineEntry

RECORDS = [
    {
        "id": "1",
        "title": "Prompt injection *exposed* keys",
        "date": "2023-04",
        "severity": "high",
        "tags": ["prompt-injection", "data-leak"],
        "attack_vector": "email",
        "primary_reference": "https://news.example.org/1",
        "description": "### Impact\nThe agent set __proto__ on the config object.",
        "license": "CC BY-SA 4.0",
    },
    {
        "id": "2",
        "title": "Malicious package @leanprover/x",
        "date": "2024",
        "severity": "medium",
        "tags": [],
        "attack_vector": "package registry",
        "primary_reference": "https://news.example.org/2",
        "description": "A package under the npm scope @leanprover/x and [@foo] ran code.",
    },
    {
        "id": "10",
        "title": "Chatbot leak",
        "date": "2024-11-03",
        "severity": "low",
        "tags": ["data-leak"],
        "attack_vector": "chat",
        "primary_reference": "https://news.example.org/10",
        "description": "A chatbot leaked chat titles.",
    },
]

GENAI = """
[[remote]]
name = "genai"
kind = "table"
path = "incidents.json"
records = "incidents"
id_prefix = "genai-"
title = "GenAI incidents"
[remote.columns]
id = "id"
title = "title"
date = "date"
summary = "description"
url = "primary_reference"
severity = "severity"
tags = ["tags", "attack_vector"]
licence = "license"
"""

TAGGED_BRIEF = """\
id: genai
title: Generative AI incidents
scope:
  tags: [genai]
audiences: [regulator]
layout: compendium
"""


def _json_project(tmp_path: Path) -> Path:
    root = make_project(tmp_path, GENAI)
    (root / "incidents.json").write_text(json.dumps({"incidents": RECORDS}), encoding="utf-8")
    return root


def test_json_table_imports_with_dates_at_precision_and_listed_sources(tmp_path: Path) -> None:
    root = _json_project(tmp_path)
    result = brief(root, "import", "incidents.json", "--remote", "genai")
    assert result.exit_code == 0, result.output
    assert "genai: 6 new, 0 changed, 0 unchanged, 0 removed (now 3 incidents, 3 sources" in result.output
    incidents = [i for i in listed(root, "incidents") if i["id"].startswith("genai-")]
    assert [i["id"] for i in incidents] == ["genai-1", "genai-2", "genai-10"]  # natural sort
    assert [i["date"] for i in incidents] == ["2023-04", "2024", "2024-11-03"]
    assert incidents[0]["tags"]["topics"] == ["genai", "prompt-injection", "data-leak", "email"]
    sources = {s["id"]: s for s in listed(root, "sources")}
    first = sources["genai-1-listing"]
    assert (
        first["verification"] == "listed"
        and first["URL"] == "https://news.example.org/1"
        and first["licence"] == "CC BY-SA 4.0"
    )
    assert "not read by an analyst" in first["checked"]
    text = (root / "data/remote/genai/current/incidents/genai-1.yaml").read_text()
    assert "risk: null" in text and "source_ratings" in text and "value: high" in text
    lock = json.loads((root / "data/remote/genai/lock.json").read_text())
    assert lock["kind"] == "table" and lock["files"][0]["sha256"]

    result = brief(root, "validate")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    unread = [line for line in lines if "no analyst has checked" in line]
    assert len(unread) == 1 and "3 cited sources no analyst has checked (3 listed by an imported data set)" in unread[0]
    assert not [line for line in lines if "without a citation" in line]  # the importer writes no uncited number

    quiet = brief(root, "validate", "-q")
    assert quiet.exit_code == 0 and quiet.output.strip() == "1 warning (hidden by -q; run without -q to see them)"


def test_imported_text_prints_literally(tmp_path: Path) -> None:
    root = _json_project(tmp_path)
    assert brief(root, "import", "incidents.json", "--remote", "genai").exit_code == 0
    (root / "briefs/genai.yaml").write_text(TAGGED_BRIEF, encoding="utf-8")
    result = brief(root, "build", "--brief", "genai", "--audience", "regulator", "--date", "2026-12-07", "--html-only")
    assert result.exit_code == 0, result.output
    html = (root / "output/genai/2026-12/genai-regulator.html").read_text()
    assert "### Impact The agent set __proto__ on the config object" in html
    assert "<h3>Impact" not in html and "<strong>proto</strong>" not in html
    assert "npm scope @leanprover/x and [@foo] ran code" in html
    assert "April 2023" in html and "1 April 2023" not in html  # a month-only date prints as a month
    assert "Licence: CC BY-SA 4.0." in html  # the record's own licence, in the sources list
    assert "GenAI incidents rates its severity “high” (the data set's rating, not this unit's risk level)" in html


def test_csv_jsonl_and_excel_tables(tmp_path: Path) -> None:
    frame = pd.DataFrame([{**r, "tags": "; ".join(r["tags"])} for r in RECORDS])
    for ext in ("csv", "jsonl", "xlsx"):
        root = make_project(
            tmp_path / ext, GENAI.replace('path = "incidents.json"\nrecords = "incidents"\n', f'path = "t.{ext}"\n')
        )
        if ext == "csv":
            frame.to_csv(root / "t.csv", index=False)
        elif ext == "jsonl":
            (root / "t.jsonl").write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
        else:
            frame.to_excel(root / "t.xlsx", index=False)
        result = brief(root, "pull")
        assert result.exit_code == 0, (ext, result.output)
        incidents = {i["id"]: i for i in listed(root, "incidents") if i["id"].startswith("genai-")}
        assert incidents["genai-1"]["date"] == "2023-04" and incidents["genai-2"]["date"] == "2024", ext
        assert incidents["genai-1"]["tags"]["topics"] == ["genai", "prompt-injection", "data-leak", "email"], ext


def test_table_remote_over_http_all_or_nothing(tmp_path: Path, server: Server) -> None:
    server.put("/t.json", json.dumps(RECORDS), "application/json")
    table = GENAI.replace(
        'path = "incidents.json"\nrecords = "incidents"\n', f'url = "{server.url("/t.json")}"\ntimeout = 2\n'
    )
    root = make_project(tmp_path, table)
    assert brief(root, "pull").exit_code == 0
    before = (root / "data/remote/genai/lock.json").read_bytes()
    bad = [*RECORDS, {"id": "11", "title": "x", "date": "2024-13", "description": "y", "primary_reference": "ftp://x"}]
    server.put("/t.json", json.dumps(bad), "application/json")
    result = brief(root, "pull")
    assert result.exit_code == 1
    assert (
        f"{server.url('/t.json')}: [3].date: bad date '2024-13' (expected YYYY, YYYY-MM or YYYY-MM-DD)" in result.output
    )
    assert (root / "data/remote/genai/lock.json").read_bytes() == before  # nothing changed


def test_mapping_and_records_key_errors(tmp_path: Path) -> None:
    root = _json_project(tmp_path)
    with (root / "brief.toml").open("a") as fh:
        fh.write('sumary = "description"\n')
    result = brief(root, "import", "incidents.json", "--remote", "genai")
    assert result.exit_code != 0 and "unknown brief field 'sumary' (did you mean 'summary'?)" in result.output
    root = make_project(tmp_path / "b", GENAI.replace('records = "incidents"', 'records = "items"'))
    (root / "incidents.json").write_text(json.dumps({"incidents": RECORDS}), encoding="utf-8")
    result = brief(root, "import", "incidents.json")
    assert "no key 'items' holding the records (keys: 'incidents')" in result.output


def test_dates_at_their_precision() -> None:
    assert long_date(PartialDate(2023, 4)) == "April 2023" and long_date(PartialDate(2023)) == "2023"
    assert TimelineEntry(date="2023-04", event="x").model_dump(mode="json")["date"] == "2023-04"
    days = sorted([PartialDate(2023, 4), PartialDate(2023), __import__("datetime").date(2023, 3, 31)])
    assert [d.isoformat() for d in days] == ["2023", "2023-03-31", "2023-04"]
    with pytest.raises(ValueError, match="the date 2023-04 has no day"):
        PartialDate(2023, 4) + __import__("datetime").timedelta(days=15)


def test_deadline_from_a_month_only_date_is_refused(tmp_path: Path) -> None:
    from conftest import INCIDENT, write_project

    incident = INCIDENT.replace("date: 2025-05-22", "date: 2025-05") + "regulatory:\n  harm_types: [death]\n"
    root = write_project(tmp_path / "p", {"data/incidents/example-finding.yaml": incident})
    result = brief(root, "validate")
    assert result.exit_code == 1
    assert (
        "regulatory.harm_types: reporting deadlines count days from the awareness date, and the incident date 2025-05 "
        "has no day: give regulatory.awareness_date (YYYY-MM-DD)" in result.output
    )
    incident = INCIDENT + "regulatory:\n  awareness_date: 2025-05\n"
    root = write_project(tmp_path / "q", {"data/incidents/example-finding.yaml": incident})
    assert "awareness_date: the date '2025-05' has no day" in brief(root, "validate").output


def test_retry_after_is_honoured_and_capped(tmp_path: Path, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
    server.put("/t.json", json.dumps(RECORDS), "application/json")
    server.script("/t.json", Reply(b"busy", status=503, headers={"Retry-After": "1", "Content-Type": "text/plain"}))
    table = GENAI.replace('path = "incidents.json"\nrecords = "incidents"\n', f'url = "{server.url("/t.json")}"\n')
    root = make_project(tmp_path, table)
    started = time.perf_counter()
    assert brief(root, "pull").exit_code == 0
    assert time.perf_counter() - started >= 1.0
    server.script("/t.json", Reply(b"busy", status=429, headers={"Retry-After": "3600", "Content-Type": "text/plain"}))
    result = brief(root, "pull")
    assert (
        result.exit_code == 1
        and "the server asks to retry after 3600 s, more than the 60 s brief waits" in result.output
    )


def test_a_remote_being_pulled_is_locked(tmp_path: Path) -> None:
    from brief.pull import remote_lock

    root = _json_project(tmp_path)
    (root / "data/remote").mkdir()
    with remote_lock(root / "data/remote", "genai"):
        result = brief(root, "import", "incidents.json", "--remote", "genai")
    assert result.exit_code == 1 and "remote 'genai' is being pulled by another brief process" in result.output
    assert brief(root, "import", "incidents.json", "--remote", "genai").exit_code == 0


def test_retracted_record_leaves_tag_scoped_briefs(tmp_path: Path) -> None:
    root = _json_project(tmp_path)
    assert brief(root, "import", "incidents.json", "--remote", "genai").exit_code == 0
    (root / "data/assessments").mkdir(parents=True)
    (root / "data/assessments/genai-2.yaml").write_text(
        "id: genai-2\nstatus: retracted\nstatus_reason: The data set withdrew the record [@genai-2-listing].\n",
        encoding="utf-8",
    )
    from brief.check.validate import scoped_incidents, validate
    from brief.load.config import load_config

    (root / "briefs/genai.yaml").write_text(TAGGED_BRIEF, encoding="utf-8")
    report = validate(load_config(root))
    assert [i.id for i in scoped_incidents(report.dataset, "genai")] == ["genai-10", "genai-1"]
    row = {i["id"]: i for i in listed(root, "incidents")}["genai-2"]
    assert row["status"] == "retracted"


def test_nist_ai_rmf_vocabulary_with_nearest_suggestion(tmp_path: Path) -> None:
    from conftest import INCIDENT, write_project

    incident = INCIDENT.replace(
        "  topics: [blackmail]", "  topics: [blackmail]\n  rmf: [MEASURE-2.7, GOVERN 1.1, MEASUR-2.13]"
    )
    root = write_project(tmp_path / "p", {"data/incidents/example-finding.yaml": incident})
    result = brief(root, "validate")
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if "NIST AI RMF" in line]
    assert lines == [
        "data/incidents/example-finding.yaml:13: tags.rmf[2]: unknown NIST AI RMF 1.0 tag 'MEASUR-2.13' "
        "(nearest valid: 'MEASURE-2.13', 'MEASURE-2.3', 'MEASURE-2.1'; the vocabulary is packaged vocabulary "
        "nist-ai-rmf-1.0.yaml)"
    ]


def test_retracted_record_named_in_scope_is_marked(tmp_path: Path) -> None:
    root = _json_project(tmp_path)
    assert brief(root, "import", "incidents.json", "--remote", "genai").exit_code == 0
    (root / "data/assessments").mkdir(parents=True)
    (root / "data/assessments/genai-2.yaml").write_text(
        "id: genai-2\nstatus: retracted\nstatus_reason: The data set withdrew the record [@genai-2-listing].\n",
        encoding="utf-8",
    )
    (root / "briefs/genai.yaml").write_text(
        TAGGED_BRIEF.replace("  tags: [genai]", "  tags: [genai]\n  incidents: [genai-2]"), encoding="utf-8"
    )
    result = brief(root, "build", "--brief", "genai", "--audience", "regulator", "--date", "2026-12-07", "--html-only")
    assert result.exit_code == 0, result.output
    html = (root / "output/genai/2026-12/genai-regulator.html").read_text()
    assert '<span class="record-status">Retracted: The data set withdrew the record' in html


def test_build_prints_only_its_briefs_warnings_and_quiet_counts(tmp_path: Path) -> None:
    root = _json_project(tmp_path)
    assert brief(root, "import", "incidents.json", "--remote", "genai").exit_code == 0
    assert "no analyst has checked" in brief(root, "validate").output  # the imported rows' warning, project-wide
    result = brief(
        root, "build", "--brief", "example", "--audience", "regulator", "--date", "2026-12-07", "--html-only"
    )
    assert result.exit_code == 0, result.output
    assert "genai" not in result.output  # the example brief rests on none of the imported records
    strict = brief(
        root,
        "build",
        "--brief",
        "example",
        "--audience",
        "regulator",
        "--date",
        "2026-12-07",
        "--html-only",
        "--strict",
        "--force",
    )
    assert strict.exit_code == 0, strict.output
    (root / "briefs/genai.yaml").write_text(TAGGED_BRIEF, encoding="utf-8")
    quiet = brief(
        root, "build", "--brief", "genai", "--audience", "regulator", "--date", "2026-12-07", "--html-only", "-q"
    )
    assert quiet.exit_code == 0, quiet.output
    assert "1 warning (hidden by -q; run without -q to see them)" in quiet.output and "no analyst" not in quiet.output


def test_many_warnings_are_grouped_by_kind() -> None:
    from brief.check.validate import warning_lines
    from brief.core.errors import Location, Problem

    problems = [
        Problem(
            Location(f"data/incidents/x{i}.yaml", 5, "summary"),
            f'sentence states {i} without a citation: "{i} users."',
            "warning",
        )
        for i in range(30)
    ]
    problems.append(Problem(Location("data/sources.json", 3, "URL"), "source 'a' has no URL", "warning"))
    lines = warning_lines(problems)
    assert lines[0] == "31 warnings, grouped by kind (one example each):"
    assert lines[1].startswith("30 x data/incidents/x0.yaml:5: summary: warning: sentence states 0 without a citation")
    assert lines[2] == "data/sources.json:3: URL: warning: source 'a' has no URL" and len(lines) == 3


def test_json_and_starred_yaml_take_the_fast_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    from brief.load import yamlio

    def slow(text: str) -> None:
        raise AssertionError("the pure-Python loader was used")

    monkeypatch.setattr(yamlio, "load_lined", slow)
    sources = json.dumps(
        [{"id": f"s{i}", "title": f"A *starred* title {i}", "type": "report"} for i in range(50)], indent=2
    )
    assert yamlio.load_plain(sources)[49]["title"] == "A *starred* title 49"
    assert yamlio.load_plain("id: x\ntitle: Model data *exposed*\n")["title"] == "Model data *exposed*"


def test_aiid_pull_writes_no_uncited_number_and_lists_its_sources(tmp_path: Path) -> None:
    from test_pull import INCIDENTS_CSV

    snapshot = tmp_path / "snap"
    snapshot.mkdir()
    (snapshot / "incidents.csv").write_text(INCIDENTS_CSV, encoding="utf-8")  # no reports.csv: reports are only counted
    root = make_project(tmp_path, remote_table("aiid", "aiid", path=str(snapshot)))
    assert brief(root, "pull").exit_code == 0
    result = brief(root, "validate")
    assert result.exit_code == 0, result.output
    assert "without a citation" not in result.output
    assert "3 cited sources no analyst has checked (3 listed by an imported data set)" in result.output
    assert {s["verification"] for s in listed(root, "sources") if s["id"].startswith("aiid-")} == {"listed"}
