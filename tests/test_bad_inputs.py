"""A corpus of bad inputs: each is a small project made by write_project with overrides.

Every case runs `brief build` in-process and must: exit 1 (data) or 2 (usage), print one line per
problem naming file:line and field (the first line asserted exactly), show no traceback, write
nothing to output/ (an earlier edition stays byte-identical), and finish in seconds. `brief
validate` must print the same lines. A handful also run in a real subprocess, to prove that no
traceback reaches stderr there either.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
from conftest import BRIEF, EVALUATIONS, INCIDENT, RECOMMENDATIONS, SOURCES, TOML, write_project
from typer.testing import CliRunner

from brief.cli import app

runner = CliRunner()

INC = "data/incidents/example-finding.yaml"
SRC = "data/sources.json"
EVA = "data/evaluations/example.csv"
REC = "data/recommendations.yaml"
BRF = "briefs/example.yaml"
BUILD = ["build", "--html-only", "--date", "2026-11-26"]
MB40 = 40 * 2**20

# One line per problem: `path:line: field: message`; a whole-file problem may have no field, and
# one about the file as a whole (empty, too large, too deep) no line.
PROBLEM = re.compile(
    r"^(?P<path>[\w./-]+\.(?:yaml|json|csv|toml))(?::(?P<line>\d+))?: (?:(?P<field>[\w.\[\]-]+): )?\S.*$"
)
SUMMARY = re.compile(r"^Aborted: .+\.$")

Content = str | bytes | Callable[[], bytes] | None


@dataclass
class Case:
    """One bad project: files to change (None deletes), the command, the exit code, the first line."""

    files: dict[str, Content]
    first: str
    code: int = 1
    args: list[str] = field(default_factory=lambda: list(BUILD))


def inc(old: str, new: str) -> dict[str, Content]:
    assert old in INCIDENT, old
    return {INC: INCIDENT.replace(old, new, 1)}


def eva(old: str, new: str) -> dict[str, Content]:
    assert old in EVALUATIONS, old
    return {EVA: EVALUATIONS.replace(old, new, 1)}


def brf(old: str, new: str) -> dict[str, Content]:
    assert old in BRIEF, old
    return {BRF: BRIEF.replace(old, new, 1)}


def sources(*items: dict) -> dict[str, Content]:
    return {SRC: json.dumps(list(items), indent=2)}


def alias_bomb() -> str:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 20):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")  # no spaces: [*a,*a,...]
    return "\n".join(lines) + "\n"


ROW = "ex-9,Opportunistic blackmail,M,D,E,C,rate,{value},{unit},,{n},{n_note},{low},{high},2025-01-01,dev-2025-card,x,P,\n"


def row(
    value: str = "40", unit: str = "percent", n: str = "10", n_note: str = "", low: str = "", high: str = ""
) -> dict[str, Content]:
    return {EVA: EVALUATIONS + ROW.format(value=value, unit=unit, n=n, n_note=n_note, low=low, high=high)}


CASES: dict[str, Case] = {
    # --- YAML and JSON syntax ------------------------------------------------------------------
    "yaml-unclosed-flow-list": Case(
        inc("models: [Example Model]", "models: [Example Model"),
        f"{INC}:7: invalid YAML: did not find expected ',' or ']' (in the list opened at line 6: a missing comma, bracket or quote?)",
    ),
    "yaml-colon-in-plain-text": Case(
        inc("title: Example model", "title: Example: model"),
        f"{INC}:2: invalid YAML: mapping values are not allowed in this context",
    ),
    "yaml-tab-indent": Case(
        inc("  severity: 3", "\tseverity: 3"),
        f"{INC}:33: invalid YAML: found character that cannot start any token (a tab: indent YAML with spaces)",
    ),
    "yaml-duplicate-key": Case({INC: INCIDENT + "title: Again\n"}, f"{INC}:42: duplicate key 'title'"),
    "yaml-second-document": Case(
        {REC: RECOMMENDATIONS + "---\n- id: x\n"},
        f"{REC}:7: invalid YAML: expected a single document in the stream, but found another document",
    ),
    "yaml-python-tag": Case(
        inc("title: Example model blackmail finding", "title: !!python/object/apply:os.system [echo hi]"),
        f"{INC}:2: invalid YAML: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object/apply:os.system'",
    ),
    "yaml-complex-key": Case({INC: INCIDENT + "? [a, b]\n: c\n"}, f"{INC}:42: a mapping key must be a plain value"),
    "json-missing-comma": Case(
        {SRC: json.dumps(SOURCES, indent=2).replace("},\n  {", "}\n  {", 1)},
        f"{SRC}:25: invalid YAML: did not find expected ',' or ']' (in the list opened at line 1: a missing comma, bracket or quote?)",
    ),
    "yaml-nesting-too-deep": Case(
        {INC: INCIDENT + "deep: " + "[" * 20000 + "]" * 20000 + "\n"}, f"{INC}: YAML nesting is too deep"
    ),
    # --- wrong types ---------------------------------------------------------------------------
    "type-title-number": Case(
        inc("title: Example model blackmail finding", "title: 123"),
        f"{INC}:2: title: wrong type: a number (123) (expected text)",
    ),
    "type-title-yes": Case(
        inc("title: Example model blackmail finding", "title: yes"),
        f"{INC}:2: title: wrong type: true/false (expected text; YAML reads an unquoted yes, no, on, off, true or false as true/false: quote it)",
    ),
    "type-models-text": Case(
        inc("models: [Example Model]", "models: Example Model"),
        f"{INC}:6: models: wrong type: text ('Example Model') (expected a list)",
    ),
    "type-tags-list": Case(
        inc("tags:\n  cop: [loss_of_control]\n  topics: [blackmail]", "tags: [a, b]"),
        f"{INC}:10: tags: wrong type: a list (expected a mapping of fields)",
    ),
    "type-claims-mapping": Case(
        inc("claims:\n", "claims: {a: 1}\nxclaims:\n"), f"{INC}:13: claims: wrong type: a mapping (expected a list)"
    ),
    "type-summary-null": Case(
        inc("summary: >-", "summary:\nnote_: >-"), f"{INC}:7: summary: wrong type: null (no value) (expected text)"
    ),
    "type-severity-text": Case(
        inc("  severity: 3", "  severity: high"),
        f"{INC}:33: risk.severity: 'high' is not a number (expected a whole number)",
    ),
    "type-severity-bool": Case(
        inc("  severity: 3", "  severity: true"), f"{INC}:33: risk.severity: wrong type: true/false (expected a number)"
    ),
    "type-severity-fraction": Case(
        inc("  severity: 3", "  severity: 3.5"),
        f"{INC}:33: risk.severity: 3.5 is not a whole number (expected a whole number)",
    ),
    "type-incident-is-list": Case({INC: "- a\n- b\n"}, f"{INC}:1: expected a mapping of fields, got a list"),
    "type-sources-mapping": Case({SRC: '{"id": "x"}'}, f"{SRC}:1: expected a list of CSL-JSON items, got a mapping"),
    "type-audiences-text": Case(
        brf("audiences: [regulator]", "audiences: regulator"),
        f"{BRF}:7: audiences: wrong type: text ('regulator') (expected a list)",
    ),
    "type-csv-n-words": Case(
        eva("7,count,,100", "7,count,,ten"), f"{EVA}:3: n: 'ten' is not a number (expected a whole number)"
    ),
    "type-toml-project-number": Case(
        {"brief.toml": "project = 3\n"}, "brief.toml:1: project: expected a table, got int"
    ),
    # --- missing required fields ---------------------------------------------------------------
    "missing-incident-summary": Case(
        inc(
            "summary: >-\n  In a contrived test the model blackmailed in 84% of rollouts of one condition\n  [@dev-2025-card, sec. 4.1].\n",
            "",
        ),
        f"{INC}:1: summary: required field is missing",
    ),
    "missing-claim-status": Case(
        inc("    status: confirmed\n", ""), f"{INC}:14: claims[0].status: required field is missing"
    ),
    "missing-source-title": Case(
        sources({k: v for k, v in SOURCES[0].items() if k != "title"}, SOURCES[1]),
        f"{SRC}:2: [0].title: required field is missing",
    ),
    "missing-recommendation-addressee": Case(
        {REC: RECOMMENDATIONS.replace("  addressee: regulator\n", "")},
        f"{REC}:1: [0].addressee: required field is missing",
    ),
    "missing-brief-scope": Case(
        brf("scope:\n  incidents: [example-finding]\n", ""), f"{BRF}:1: scope: required field is missing"
    ),
    "missing-csv-column": Case(eva(",source,locator,", ",locator,"), f"{EVA}:1: source: required column is missing"),
    "missing-csv-cell": Case(
        eva("Example Model,ExampleLab,ExampleLab", ",ExampleLab,ExampleLab"),
        f"{EVA}:2: model: wrong type: null (no value) (expected text)",
    ),
    # --- unknown keys (typos, with a did-you-mean) ---------------------------------------------
    "typo-incident-field": Case(
        inc("summary: >-", "sumary: >-"), f"{INC}:7: sumary: unknown field 'sumary' (did you mean 'summary'?)"
    ),
    "typo-nested-field": Case(
        inc("  severity: 3", "  severty: 3"),
        f"{INC}:33: risk.severty: unknown field 'severty' (did you mean 'severity'?)",
    ),
    "typo-brief-field": Case(
        brf("audiences:", "audience:"), f"{BRF}:7: audience: unknown field 'audience' (did you mean 'audiences'?)"
    ),
    "typo-recommendation-field": Case(
        {REC: RECOMMENDATIONS.replace("  priority: 1", "  prority: 1")},
        f"{REC}:4: [0].prority: unknown field 'prority' (did you mean 'priority'?)",
    ),
    "typo-csv-column": Case(
        eva(",model,", ",modle,"), f"{EVA}:1: modle: unknown column 'modle' (did you mean 'model'?)"
    ),
    "typo-source-csl-variable": Case(
        sources(dict(SOURCES[0], publisher=None, publsher="ExampleLab"), SOURCES[1]),
        f"{SRC}:24: publsher: unknown field 'publsher' (did you mean 'publisher' or 'publisher-place'?)",
    ),
    "typo-toml-setting": Case(
        {"brief.toml": TOML.replace("organisation", "organsation")},
        "brief.toml:3: project.organsation: unknown setting 'organsation' (did you mean 'organisation'?)",
    ),
    # --- duplicate ids across files ------------------------------------------------------------
    "duplicate-incident": Case(
        {"data/incidents/other.yaml": INCIDENT},
        "data/incidents/other.yaml:1: id: duplicate incident id 'example-finding' (first defined at data/incidents/example-finding.yaml:1)",
    ),
    "duplicate-source": Case(
        {"data/sources/more.json": json.dumps([SOURCES[1]], indent=2)},
        f"{SRC}:25: id: duplicate source id 'press-2025' (first defined at data/sources/more.json:2)",
    ),
    "duplicate-evaluation": Case(
        {"data/evaluations/more.csv": EVALUATIONS.splitlines()[0] + "\n" + EVALUATIONS.splitlines()[2] + "\n"},
        "data/evaluations/more.csv:2: id: duplicate evaluation id 'ex-2' (first defined at data/evaluations/example.csv:3)",
    ),
    "duplicate-recommendation": Case(
        {"data/recommendations/more.yaml": RECOMMENDATIONS},
        "data/recommendations/more.yaml:1: id: duplicate recommendation id 'ask-protocol' (first defined at data/recommendations.yaml:1)",
    ),
    "duplicate-brief": Case(
        {"briefs/other.yaml": BRIEF},
        "briefs/other.yaml:1: id: duplicate brief id 'example' (first defined at briefs/example.yaml:1)",
    ),
    "duplicate-claim": Case(
        inc("  - id: press-rate", "  - id: rate"), f"{INC}:21: claims[1].id: duplicate claim id 'rate' in this incident"
    ),
    # --- dangling citation keys and references -------------------------------------------------
    "dangling-citation-key": Case(
        inc("[@dev-2025-card, sec. 4.1].\ntags", "[@dev-2025-crd, sec. 4.1].\ntags"),
        f"{INC}:7: summary: unknown citation key 'dev-2025-crd' (did you mean 'dev-2025-card'?)",
    ),
    "dangling-claim-source": Case(
        inc(
            "      - id: dev-2025-card\n        locator: sec. 4.1, p. 27",
            "      - id: dev-2024-card\n        locator: sec. 4.1, p. 27",
        ),
        f"{INC}:18: claims[0].sources[0].id: unknown source 'dev-2024-card' (did you mean 'dev-2025-card'?)",
    ),
    "dangling-recommendation": Case(
        inc("recommendations: [ask-protocol]", "recommendations: [ask-protocl]"),
        f"{INC}:40: recommendations[0]: unknown recommendation 'ask-protocl' (did you mean 'ask-protocol'?)",
    ),
    "dangling-evaluation": Case(
        inc("evaluations: [Opportunistic blackmail]", "evaluations: [Opportunistic blackmale]"),
        f"{INC}:41: evaluations[0]: no evaluation rows named 'Opportunistic blackmale' (did you mean 'Opportunistic blackmail'?)",
    ),
    "dangling-related": Case(
        {INC: INCIDENT + "related: [example-findng]\n"},
        f"{INC}:42: related[0]: unknown incident 'example-findng' (did you mean 'example-finding'?)",
    ),
    "dangling-timeline-source": Case(
        {INC: INCIDENT + "timeline:\n  - date: 2025-05-22\n    event: Published.\n    source: nosuch\n"},
        f"{INC}:45: timeline[0].source: unknown source 'nosuch'",
    ),
    "dangling-csv-source": Case(
        eva(",dev-2025-card,sec. 4.2", ",dev-2025-crd,sec. 4.2"),
        f"{EVA}:3: source: unknown source 'dev-2025-crd' (did you mean 'dev-2025-card'?)",
    ),
    "dangling-rationale-key": Case(
        {REC: RECOMMENDATIONS.replace("[@dev-2025-card", "[@nosuch")},
        f"{REC}:5: rationale: unknown citation key 'nosuch'",
    ),
    # --- impossible dates ----------------------------------------------------------------------
    "date-february-30": Case(
        inc("date: 2025-05-22", "date: 2025-02-30"),
        f"{INC}:4: date: bad date '2025-02-30' (expected YYYY-MM-DD, a real calendar date)",
    ),
    "date-month-13-csv": Case(
        eva("2025-05-22,dev-2025-card,sec. 4.2", "2025-13-22,dev-2025-card,sec. 4.2"),
        f"{EVA}:3: date: bad date '2025-13-22' (expected YYYY-MM-DD, a real calendar date)",
    ),
    "date-year-zero": Case(
        inc("date: 2025-05-22", "date: 0000-01-01"),
        f"{INC}:4: date: bad date '0000-01-01' (expected YYYY-MM-DD, a real calendar date)",
    ),
    "date-number": Case(
        inc("date: 2025-05-22", "date: 0"), f"{INC}:4: date: bad date 0 (expected YYYY-MM-DD, a real calendar date)"
    ),
    "date-with-time": Case(
        inc("date: 2025-05-22", "date: 2025-05-22T10:00:00"),
        f"{INC}:4: date: bad date '2025-05-22T10:00:00' (expected YYYY-MM-DD, a real calendar date)",
    ),
    "date-words": Case(
        {INC: INCIDENT + "timeline:\n  - date: yesterday\n    event: Published.\n"},
        f"{INC}:43: timeline[0].date: bad date 'yesterday' (expected YYYY-MM-DD, a real calendar date)",
    ),
    # --- encodings -----------------------------------------------------------------------------
    "encoding-latin-1": Case(
        {INC: INCIDENT.replace("ExampleLab", "Example\xe9Lab", 1).encode("latin-1")},
        f"{INC}:5: not UTF-8 text (byte 0xe9 at offset 117); save the file as UTF-8",
    ),
    "encoding-utf-16": Case(
        {EVA: EVALUATIONS.encode("utf-16")}, f"{EVA}:1: not UTF-8 text (byte 0xff at offset 0); save the file as UTF-8"
    ),
    "encoding-bom-keeps-lines": Case(
        {EVA: b"\xef\xbb\xbf" + EVALUATIONS.replace("84,percent", "840,percent").encode()},
        f"{EVA}:2: value: 840 is out of range for a percentage (expected 0 to 100)",
    ),
    "encoding-nul-byte": Case(
        {SRC: json.dumps(SOURCES, indent=2).replace('"ExampleLab"', '"Example\\u0000Lab"').replace("\\u0000", "\x00")},
        f"{SRC}:8: file contains a NUL character (binary data?)",
    ),
    "encoding-reserved-character": Case(
        inc("In a contrived test", "In a \ue000999\ue001 contrived test"),
        f"{INC}:8: file contains U+E000, a private-use character brief reserves for its own markers (remove it)",
    ),
    "encoding-toml-latin-1": Case(
        {"brief.toml": TOML.replace("Test Unit", "Test \xe9Unit").encode("latin-1")},
        "brief.toml:3: not UTF-8 text (invalid continuation byte at byte 45); save the file as UTF-8",
    ),
    # --- empty files ---------------------------------------------------------------------------
    "empty-incident": Case({INC: ""}, f"{INC}: file is empty"),
    "empty-sources-whitespace": Case({SRC: "\n   \n"}, f"{SRC}: file is empty"),
    "empty-csv": Case({EVA: ""}, f"{EVA}: file is empty"),
    "empty-comments-only": Case({REC: "# to do\n"}, f"{REC}:1: file holds no data (only comments or null)"),
    "empty-brief-mapping": Case({BRF: "{}\n"}, f"{BRF}:1: id: required field is missing"),
    # --- size and alias bombs ------------------------------------------------------------------
    "huge-yaml-40mb": Case(
        {INC: lambda: INCIDENT.encode() + b"# " + b"x" * MB40 + b"\n"},
        f"{INC}: file is 40.0 MB, larger than the 20 MB limit for a data file",
    ),
    "huge-csv-40mb": Case(
        {
            EVA: lambda: (
                (EVALUATIONS + ROW.format(value=1, unit="percent", n=1, n_note="", low="", high="") * (MB40 // 90))
                .encode()
                .ljust(MB40, b"\n")
            )
        },
        f"{EVA}: file is 40.0 MB, larger than the 20 MB limit for a data file",
    ),
    "alias-bomb-incident": Case(
        {INC: INCIDENT + alias_bomb()}, f"{INC}:54: more than 100 YAML aliases (refusing a possible alias bomb)"
    ),
    "alias-bomb-sources": Case(
        {"data/sources.yaml": alias_bomb()},
        "data/sources.yaml:13: more than 100 YAML aliases (refusing a possible alias bomb)",
    ),
    # --- CSV rows ------------------------------------------------------------------------------
    "csv-row-too-short": Case(
        {EVA: EVALUATIONS + "ex-5,too,few\n"},
        f"{EVA}:4: row has 3 cells, the header has 19 (a missing or extra comma?)",
    ),
    "csv-row-too-long": Case(
        eva(",P,\nex-2", ",P,,extra\nex-2"), f"{EVA}:2: row has 20 cells, the header has 19 (a missing or extra comma?)"
    ),
    "csv-unclosed-quote": Case(
        eva("Replacement shares values", '"Replacement shares values'),
        f"{EVA}:2: row has 6 cells, the header has 19 (a quoted cell runs over 2 lines: an unclosed '\"'?)",
    ),
    "csv-duplicate-column": Case(
        eva(",note\n", ",model\n"), f"{EVA}:1: model: column 'model' appears 2 times in the header (expected once)"
    ),
    "csv-formula-equals": Case(
        eva(",P,\nex-2", ',P,"=HYPERLINK(""http://127.0.0.1/"",""x"")"\nex-2'),
        f"{EVA}:2: note: cell '=HYPERLINK(\"http://127.0.0.1/\"' looks like a spreadsheet formula (remove the leading '=')",
    ),
    "csv-formula-plus": Case(
        eva("Example Model,", "+cmd|' /C calc'!A0,"),
        f"{EVA}:2: model: cell \"+cmd|' /C calc'!A0\" looks like a spreadsheet formula (remove the leading '+')",
    ),
    "csv-formula-minus": Case(
        eva("Replacement shares values", "-2+3+cmd|' /C calc'!A0"),
        f"{EVA}:2: condition: cell \"-2+3+cmd|' /C calc'!A0\" looks like a spreadsheet formula (remove the leading '-')",
    ),
    "csv-formula-at": Case(
        eva("Replacement shares values", "@SUM(A1:A9)"),
        f"{EVA}:2: condition: cell '@SUM(A1:A9)' looks like a spreadsheet formula (remove the leading '@')",
    ),
    # --- NaN and infinity ----------------------------------------------------------------------
    "nan-csv-value": Case(row(value="NaN"), f"{EVA}:4: value: 'NaN' is not a finite number"),
    "inf-csv-value": Case(row(value="inf"), f"{EVA}:4: value: 'inf' is not a finite number"),
    "inf-csv-interval": Case(
        row(low="-Infinity", high="50"), f"{EVA}:4: interval_low: '-Infinity' is not a finite number"
    ),
    "overflow-csv-value": Case(row(value="1e309"), f"{EVA}:4: value: '1e309' is not a finite number"),
    "nan-yaml-severity": Case(
        inc("  severity: 3", "  severity: .nan"),
        f"{INC}:33: risk.severity: nan is not a finite number (expected a number)",
    ),
    "inf-yaml-likelihood": Case(
        inc("  likelihood: 1", "  likelihood: .inf"),
        f"{INC}:35: risk.likelihood: inf is not a finite number (expected a number)",
    ),
    # --- rates above 100% and negative n -------------------------------------------------------
    "rate-above-100-percent": Case(
        row(value="140"), f"{EVA}:4: value: 140 is out of range for a percentage (expected 0 to 100)"
    ),
    "rate-above-1-proportion": Case(
        row(value="1.5", unit="proportion"), f"{EVA}:4: value: 1.5 is out of range for a proportion (expected 0 to 1)"
    ),
    "rate-interval-above-100": Case(
        row(value="84", low="80", high="120"),
        f"{EVA}:4: interval_high: 120 is out of range for a percentage (expected 0 to 100)",
    ),
    "rate-count-above-n": Case(
        row(value="107", unit="count", n="100"), f"{EVA}:4: value: count 107 is larger than n = 100"
    ),
    "rate-negative-percent": Case(
        row(value="-4"), f"{EVA}:4: value: -4 is out of range for a percentage (expected 0 to 100)"
    ),
    "negative-n": Case(row(n="-5"), f"{EVA}:4: n: '-5' is out of range (expected at least 0)"),
    "negative-count": Case(row(value="-7", unit="count"), f"{EVA}:4: value: -7 is a negative count"),
    # --- briefs naming what does not exist, and bad command lines ------------------------------
    "brief-unknown-audience": Case(
        brf("audiences: [regulator]", "audiences: [regulater]"),
        f"{BRF}:7: audiences[0]: unknown audience 'regulater' (expected one of regulator, executive, technical, public)",
    ),
    "brief-unknown-incident": Case(
        brf("incidents: [example-finding]", "incidents: [example-finding, example-findng]"),
        f"{BRF}:5: scope.incidents[1]: unknown incident 'example-findng' (did you mean 'example-finding'?)",
    ),
    "brief-unknown-focus": Case(
        brf("focus: example-finding", "focus: nosuch"), f"{BRF}:6: focus: unknown incident 'nosuch'"
    ),
    "cli-unknown-audience": Case(
        {},
        "unknown audience 'regulater': expected one of regulator, executive, technical, public or all",
        2,
        [*BUILD, "--audience", "regulater"],
    ),
    "cli-unknown-brief": Case({}, "unknown brief 'nosuch': expected one of example", 2, [*BUILD, "--brief", "nosuch"]),
    "cli-impossible-date": Case(
        {},
        "--date '2025-02-30' is not a date (expected YYYY-MM-DD)",
        2,
        ["build", "--html-only", "--date", "2025-02-30"],
    ),
    "cli-edition-traversal": Case(
        {},
        "edition '../../x' is not allowed (use letters, digits, '.', '_' or '-'; no path separators or '..')",
        2,
        [*BUILD, "--edition", "../../x"],
    ),
    "toml-output-outside": Case(
        {"brief.toml": TOML + 'output_dir = "/tmp/elsewhere"\n'},
        "brief.toml:5: project.output_dir: '/tmp/elsewhere' must be a folder inside the project (a relative path without '..', e.g. 'output')",
    ),
    "toml-syntax": Case(
        {"brief.toml": "[project\nname = 'x'\n"},
        "brief.toml:1: invalid TOML: Expected ']' at the end of a table declaration (column 9)",
    ),
}

SUBPROCESS_CASES = [
    "yaml-python-tag",
    "alias-bomb-incident",
    "encoding-latin-1",
    "csv-unclosed-quote",
    "cli-edition-traversal",
    "huge-yaml-40mb",
]


def tree(root: Path) -> dict[str, bytes]:
    """Return every file under `root` with its bytes."""
    return (
        {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
        if root.is_dir()
        else {}
    )


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output/ of a good project with one published edition (copied into every case)."""
    root = write_project(tmp_path_factory.mktemp("good") / "proj")
    result = runner.invoke(app, ["build", "--project", str(root), "--html-only", "--date", "2026-10-15"])
    assert result.exit_code == 0, result.output
    return root / "output"


def make(root: Path, case: Case, published: Path) -> Path:
    """Write the case's project, with the published output of the good project beside it."""
    texts = {rel: text for rel, text in case.files.items() if isinstance(text, str)}
    write_project(root, texts)
    for rel, content in case.files.items():
        path = root / rel
        if content is None:
            path.unlink()
        elif not isinstance(content, str):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content() if callable(content) else content)
    shutil.copytree(published, root / "output")
    return root


def test_the_corpus_covers_every_category() -> None:
    assert len(CASES) >= 40
    prefixes = {name.split("-")[0] for name in CASES}
    assert prefixes >= {
        "yaml",
        "type",
        "missing",
        "typo",
        "duplicate",
        "dangling",
        "date",
        "encoding",
        "empty",
        "huge",
        "alias",
        "csv",
        "nan",
        "inf",
        "rate",
        "negative",
        "brief",
        "cli",
    }


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_fails_cleanly(name: str, tmp_path: Path, published: Path) -> None:
    case = CASES[name]
    root = make(tmp_path / "p", case, published)
    before = tree(root / "output")
    result = runner.invoke(app, [case.args[0], "--project", str(root), *case.args[1:]])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    lines = result.stderr.splitlines()
    assert (result.exit_code, lines[:1]) == (case.code, [case.first]), result.stderr
    assert "Traceback" not in result.output
    if case.code == 1:
        for line in lines:
            assert PROBLEM.match(line) or SUMMARY.match(line), line
        assert len(lines) == len(set(lines)), "a problem is reported twice"
    assert result.stdout == ""
    assert tree(root / "output") == before  # nothing written, the published edition byte-identical
    if case.args == BUILD:  # validate reports exactly the same lines
        checked = runner.invoke(app, ["validate", "--project", str(root)])
        assert (checked.exit_code, checked.stderr) == (result.exit_code, result.stderr)


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_no_traceback_reaches_stderr_of_a_real_process(name: str, tmp_path: Path, published: Path) -> None:
    case = CASES[name]
    root = make(tmp_path / "p", case, published)
    before = tree(root / "output")
    proc = subprocess.run(
        [sys.executable, "-m", "brief", case.args[0], "--project", str(root), *case.args[1:]],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == case.code
    assert proc.stderr.splitlines()[0] == case.first
    assert "Traceback" not in proc.stderr and "Error:" not in proc.stderr
    assert tree(root / "output") == before
