"""Shared fixtures: a minimal valid project written into tmp_path, and the repository's own project."""

from __future__ import annotations

import hashlib
import json
import shutil
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

SOURCES = [
    {
        "id": "dev-2025-card",
        "type": "report",
        "title": "System Card: Example Model",
        "author": [{"literal": "ExampleLab"}],
        "publisher": "ExampleLab",
        "issued": {"date-parts": [[2025, 5]]},
        "URL": "https://example.org/card.pdf",
        "reliability": "primary",
        "verification": "consulted",
        "checked": "Read in full.",
    },
    {
        "id": "press-2025",
        "type": "article-newspaper",
        "title": "Example model blackmails engineers",
        "container-title": "Daily Example",
        "issued": {"date-parts": [[2025, 5, 23]]},
        "URL": "https://news.example.org/a",
        "reliability": "secondary",
        "verification": "corroborated",
        "checked": "Seen in citations only.",
    },
]

INCIDENT = """\
id: example-finding
title: Example model blackmail finding
kind: research-finding
date: 2025-05-22
developer: ExampleLab
models: [Example Model]
summary: >-
  In a contrived test the model blackmailed in 84% of rollouts of one condition
  [@dev-2025-card, sec. 4.1].
tags:
  cop: [loss_of_control]
  topics: [blackmail]
claims:
  - id: rate
    text: The model blackmailed in 84% of rollouts where the replacement shares its values.
    status: confirmed
    sources:
      - id: dev-2025-card
        locator: sec. 4.1, p. 27
        quote: performs blackmail in 84% of rollouts
  - id: press-rate
    kind: press
    text: The model blackmailed in 84% of cases.
    status: partly-accurate
    note: Only in one condition of a contrived test [@dev-2025-card, sec. 4.1].
    sources:
      - id: dev-2025-card
        locator: sec. 4.1
        quote: performs blackmail in 84% of rollouts
    reported_by:
      - id: press-2025
risk:
  severity: 3
  evidence: 1
  likelihood: 1
  capability: {domain: loss_of_control, status: 0, safeguards_verified: unknown}
  breadth: 2
  reversibility: 1
  confidence: {evidence: medium, agreement: high}
recommendations: [ask-protocol]
evaluations: [Opportunistic blackmail]
"""

EVALUATIONS = """\
id,evaluation,model,developer,evaluator,condition,metric,value,unit,value_text,\
n,n_note,interval_low,interval_high,date,source,locator,verification,note
ex-1,Opportunistic blackmail,Example Model,ExampleLab,ExampleLab,Replacement shares values,\
share of rollouts with blackmail,84,percent,,,not disclosed,,,2025-05-22,dev-2025-card,sec. 4.1,P,
ex-2,Opportunistic blackmail,Other Model,OtherLab,ExampleLab,Same,\
share of runs,7,count,,100,,,,2025-05-22,dev-2025-card,sec. 4.2,P,
"""

RECOMMENDATIONS = """\
- id: ask-protocol
  text: Request the evaluation protocol.
  addressee: regulator
  priority: 1
  rationale: The rate is conditional [@dev-2025-card, sec. 4.1].
  question: What was n?
"""

BRIEF = """\
id: example
title: Example brief
subtitle: A test
scope:
  incidents: [example-finding]
focus: example-finding
audiences: [regulator]
cadence: monthly
classification: OFFICIAL
authors: [Test Unit]
bottom_line: The finding is conditional [@dev-2025-card, sec. 4.1].
key_judgements:
  - The 84% figure comes from a contrived test [@dev-2025-card, sec. 4.1].
"""

# dev-2025-card as `brief capture dev-2025-card --file card.txt` stores it, so that the example
# project's quotes are verified (brief/evidence.py). The source is fictional, and so is its text.
CAPTURE_TEXT = (
    "4.1 Opportunistic blackmail\n\nIn a contrived test the model performs blackmail in 84% of rollouts\nwhere "
    "the replacement shares its values.\n"
)
CAPTURE_META = {
    "source": "dev-2025-card",
    "url": "https://example.org/card.pdf",
    "retrieved": "2025-05-23T09:00:00Z",
    "content_type": "text/plain",
    "sha256": hashlib.sha256(CAPTURE_TEXT.encode()).hexdigest(),
    "bytes": len(CAPTURE_TEXT.encode()),
    "text_sha256": hashlib.sha256(CAPTURE_TEXT.encode()).hexdigest(),
    "pages": None,
    "extractor": "text",
    "file": "card.txt",
    "tool": "brief 0.1.0",
}

TOML = """\
[project]
name = "test"
organisation = "Test Unit"
citation_style = "chicago-notes-bibliography"
"""


def write_project(root: Path, overrides: dict[str, str | None] | None = None) -> Path:
    """Write a minimal valid project into `root`; `overrides` maps relative paths to new text (None: leave out)."""
    files = {
        "brief.toml": TOML,
        "data/sources.json": json.dumps(SOURCES, indent=2),
        "data/incidents/example-finding.yaml": INCIDENT,
        "data/evaluations/example.csv": EVALUATIONS,
        "data/recommendations.yaml": RECOMMENDATIONS,
        "briefs/example.yaml": BRIEF,
        "data/captures/dev-2025-card/text.txt": CAPTURE_TEXT,
        "data/captures/dev-2025-card/capture.json": json.dumps(CAPTURE_META, indent=2),
    }
    files.update(overrides or {})
    for rel, text in files.items():
        if text is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if not rel.endswith(".json") else text, encoding="utf-8")
    rubric = REPO / "data" / "rubric"
    if rubric.is_dir():
        shutil.copytree(rubric, root / "data" / "rubric", dirs_exist_ok=True)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A minimal valid project in a temporary folder."""
    return write_project(tmp_path / "proj")


@pytest.fixture(scope="session")
def default_project_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build every audience of the repository's own brief once per session; return its edition folder."""
    from typer.testing import CliRunner

    from brief.cli import app

    root = tmp_path_factory.mktemp("default") / "project"
    root.mkdir()
    shutil.copy(REPO / "brief.toml", root / "brief.toml")
    for folder in ("data", "briefs", "templates"):
        shutil.copytree(REPO / folder, root / folder)
    result = CliRunner().invoke(
        app, ["build", "--project", str(root), "--audience", "all", "--date", "2026-11-26", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    (brief_dir,) = [p for p in (root / "output").iterdir() if p.is_dir() and not p.name.startswith(".")]
    return brief_dir / "2026-11"
