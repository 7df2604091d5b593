"""Law and facts as of the edition date: stale status facts in the past tense with their
date, "Information as of" in every brief, validate's list of stale facts and of law to verify, and
the default regulator brief's statement of when the AI Act binds Claude Opus 4."""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil
from pathlib import Path

import pytest
from conftest import BRIEF, INCIDENT, REPO, write_project
from typer.testing import CliRunner

from brief.assess import currency
from brief.cli import app
from brief.load.model import StatusFact

D = dt.date
runner = CliRunner()

PENDING = StatusFact(
    fact="pending-determination",
    value="pending",
    as_of=D(2025, 5, 22),
    source="dev-2025-card",
    text="Anthropic has not determined whether the model passed the threshold [@dev-2025-card, sec. 1].",
    past="Anthropic had not determined whether the model had passed the threshold [@dev-2025-card, sec. 1].",
)


def text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_a_fresh_fact_keeps_the_present_tense_with_its_date() -> None:
    assert currency.wording(PENDING, D(2025, 11, 22)) == (
        "As of 22 May 2025, Anthropic has not determined whether the model passed the threshold [@dev-2025-card, sec. "
        "1]."
    )


def test_a_fact_older_than_six_months_is_in_the_past_tense_with_its_date() -> None:
    assert currency.wording(PENDING, D(2025, 11, 23)) == (
        "As of 22 May 2025, Anthropic had not determined whether the model had passed the threshold [@dev-2025-card, "
        "sec. 1]."
    )
    assert currency.wording(PENDING, D(2026, 12, 7), months=24).startswith(
        "As of 22 May 2025, Anthropic has not"
    )  # set per brief


def test_an_event_never_goes_stale_and_an_unestablished_fact_has_no_date() -> None:
    placed = StatusFact(
        fact="placed-on-market",
        value="2025-05-22",
        as_of=D(2025, 5, 22),
        source="dev-2025-card",
        text="Released on 22 May 2025 [@dev-2025-card].",
    )
    assert currency.wording(placed, D(2030, 1, 1)) == "Released on 22 May 2025 [@dev-2025-card]."
    unknown = StatusFact(
        fact="cop-signatory",
        value="not-established",
        text="No source establishes whether the provider signed the Code.",
    )
    assert currency.wording(unknown, D(2030, 1, 1)) == "No source establishes whether the provider signed the Code."
    assert not unknown.established and placed.established


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [(D(2025, 5, 22), 6, D(2025, 11, 22)), (D(2025, 8, 31), 6, D(2026, 2, 28)), (D(2024, 8, 31), 6, D(2025, 2, 28))],
)
def test_months_are_calendar_months(start: dt.date, months: int, end: dt.date) -> None:
    assert currency.add_months(start, months) == end
    assert currency.months_between(start, end) in (months, months - 1)  # the month's end stands in for a missing day


STALE_INCIDENT = (
    INCIDENT.rstrip("\n")
    + """
regulatory:
  status:
    - fact: pending-determination
      value: pending
      as_of: 2025-05-22
      source: dev-2025-card
      locator: sec. 1
      text: >-
        The developer has not determined whether the model passed the threshold [@dev-2025-card, sec. 1].
      past: >-
        The developer had not determined whether the model had passed the threshold [@dev-2025-card, sec. 1].
"""
)


def test_every_audience_says_as_of_when_it_speaks_and_words_stale_facts_in_the_past(tmp_path: Path) -> None:
    brief = BRIEF.replace("audiences: [regulator]", "audiences: [regulator, executive, technical, public]")
    root = write_project(
        tmp_path / "proj", {"data/incidents/example-finding.yaml": STALE_INCIDENT, "briefs/example.yaml": brief}
    )
    result = runner.invoke(
        app, ["build", "--project", str(root), "--audience", "all", "--date", "2026-12-07", "--html-only"]
    )
    assert result.exit_code == 0, result.output
    folder = root / "output" / "example" / "2026-12"
    for aud in ("regulator", "executive", "technical", "public"):
        assert re.search(
            r"Information as of \d{1,2} [A-Z][a-z]+ \d{4}", text((folder / f"example-{aud}.html").read_text())
        ), aud
    regulator = text((folder / "example-regulator.html").read_text())
    assert "As of 22 May 2025, the developer had not determined whether the model had passed the threshold" in regulator
    assert "has not determined" not in regulator


def test_validate_lists_stale_facts_with_their_age_and_the_law_to_verify(tmp_path: Path) -> None:
    root = write_project(tmp_path / "proj", {"data/incidents/example-finding.yaml": STALE_INCIDENT})
    result = runner.invoke(app, ["validate", "--project", str(root)])
    assert result.exit_code == 0, result.output
    age = currency.months_between(D(2025, 5, 22), dt.date.today())
    assert "Stale facts for brief example (older than 6 months" in result.stdout
    assert re.search(
        rf"data/incidents/example-finding\.yaml:\d+: pending-determination as of 2025-05-22 \({age} months old\)",
        result.stdout,
    ), result.stdout
    assert "Law to verify before it is printed" in result.stdout and re.search(
        r"application\.yaml:\d+: digital-omnibus: ", result.stdout
    )


def test_a_status_fact_without_date_or_source_is_an_error(tmp_path: Path) -> None:
    bad = (
        INCIDENT.rstrip("\n")
        + """
regulatory:
  status:
    - fact: deployment
      value: deployd
      text: The model is deployed.
"""
    )
    root = write_project(tmp_path / "proj", {"data/incidents/example-finding.yaml": bad})
    result = runner.invoke(app, ["validate", "--project", str(root)])
    assert result.exit_code == 1
    assert (
        "regulatory.status[0].value: unknown value 'deployd' for deployment (expected one of deployed, withdrawn, "
        "not-established); did you mean 'deployed'?" in result.stderr
    )
    assert (
        "regulatory.status[0].as_of: missing" in result.stderr
        and "regulatory.status[0].source: missing" in result.stderr
    )


@pytest.fixture(scope="module")
def default_regulator(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The default regulator brief, dated 7 December 2026 (the edition the issue reviewed)."""
    root = tmp_path_factory.mktemp("default") / "proj"
    root.mkdir()
    for name in ("data", "briefs", "templates"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("captures"))
    shutil.copy(REPO / "brief.toml", root / "brief.toml")
    result = runner.invoke(
        app,
        ["build", "--project", str(root), "--audience", "regulator", "--date", "2026-12-07", "--html-only", "--quiet"],
    )
    assert result.exit_code == 0, result.output
    return text(next((root / "output").glob("*/2026-12/*-regulator.html")).read_text())


def test_the_default_brief_states_when_art_111_3_binds_claude_opus_4(default_regulator: str) -> None:
    assert (
        "Art. 111(3) binds Claude Opus 4 from 2 August 2027: it was placed on the market on 22 May 2025, before 2 "
        "August 2025" in default_regulator
    )
    assert "Activating AI Safety Level 3 protections" in default_regulator  # the source of the placing date
    assert "AI Act Art. 101 (fines) applies from 2 August 2026" in default_regulator


def test_the_default_brief_prints_no_other_developer_s_framework_stale_status_or_unverified_law(
    default_regulator: str,
) -> None:
    for words in (
        "OpenAI PF: below High",
        "Google DeepMind FSF: no alert threshold",
        "indicative thresholds hit",
        "ASL-1/2 capability",
    ):
        assert words not in default_regulator
    for stale in (
        "the pending CBRN threshold determination",
        "Anthropic has not determined",
        'Anthropic has "not yet determined',
    ):
        assert stale not in default_regulator
    assert 'As of 22 May 2025, Anthropic had "not yet determined' in default_regulator
    assert "2026/1744" not in default_regulator and "Digital Omnibus" not in default_regulator
    assert re.search(r"Information as of \d{1,2} [A-Z][a-z]+ 20\d\d", default_regulator)
    assert "Priority 1 (act now) Request the evaluation protocol" not in default_regulator
