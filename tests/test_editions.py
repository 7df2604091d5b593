"""Editions: immutable, diffed, corrected, indexed and announced."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import EVALUATIONS, INCIDENT, write_project
from typer.testing import CliRunner

from brief.cli import app

runner = CliRunner()
ATOM = "{http://www.w3.org/2005/Atom}"

NEW_INCIDENT = """\
id: second-finding
title: Second finding
kind: hazard
date: 2026-11-02
developer: OtherLab
summary: A second finding [@dev-2025-card, sec. 5].
"""


def build(root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["build", "--project", str(root), *args])
    return result.exit_code, result.output


def tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def change_data(root: Path) -> None:
    """Add an incident, move a risk input, change a claim status, add an evaluation row."""
    (root / "data/incidents/second-finding.yaml").write_text(NEW_INCIDENT)
    brief = (
        (root / "briefs/example.yaml")
        .read_text()
        .replace("incidents: [example-finding]", "incidents: [example-finding, second-finding]")
    )
    (root / "briefs/example.yaml").write_text(brief)
    incident = INCIDENT.replace("  likelihood: 1", "  likelihood: 3").replace("  evidence: 1", "  evidence: 2")
    incident = incident.replace("    status: partly-accurate", "    status: contradicted")
    (root / "data/incidents/example-finding.yaml").write_text(incident)
    rows = EVALUATIONS + (
        "ex-3,Opportunistic blackmail,New Model,NewLab,ExampleLab,Same,share of "
        "runs,12,count,,100,,,,2026-11-01,dev-2025-card,sec. 5,P,\n"
    )
    (root / "data/evaluations/example.csv").write_text(rows)


EXPECTED_CHANGES = [
    "New incident: Second finding (second-finding).",
    (
        "Risk level of Example model blackmail finding changed from Moderate to High; inputs that moved: "
        "evidence (E) E1 → E2, likelihood (L) L1 → L3."
    ),
    (
        "Claim “The model blackmailed in 84% of cases.” on Example model blackmail finding changed from "
        "partly-accurate to contradicted."
    ),
    "New evaluation result: Opportunistic blackmail, New Model, Same: share of runs 12/100.",
]


@pytest.fixture(scope="module")
def two_editions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = write_project(tmp_path_factory.mktemp("ed") / "proj")
    code, out = build(root, "--date", "2026-10-15")
    assert code == 0, out
    a_files = tree(root / "output/example/2026-10")
    change_data(root)
    code, out = build(root, "--date", "2026-11-26")
    assert code == 0, out
    return root, a_files


def test_what_changed_section_and_diff_say_exactly_what_changed(two_editions: tuple[Path, dict[str, str]]) -> None:
    root, _ = two_editions
    html = (root / "output/example/2026-11/example-regulator.html").read_text()
    section = re.search(r'<section id="what-changed".*?</section>', html, re.S).group(0)
    items = [re.sub(r"<[^>]+>", "", li) for li in re.findall(r"<li[^>]*>(.*?)</li>", section, re.S)]
    import html as htmlmod

    assert [htmlmod.unescape(i) for i in items] == EXPECTED_CHANGES
    assert "Compared with edition 2026-10 of 15 October 2026." in htmlmod.unescape(re.sub(r"<[^>]+>", "", section))
    result = runner.invoke(app, ["diff", "2026-10", "2026-11", "--project", str(root)])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["2026-10 -> 2026-11:"] + [f"- {c}" for c in EXPECTED_CHANGES]
    result = runner.invoke(app, ["diff", "2026-10", "2026-11", "--json", "--project", str(root)])
    data = json.loads(result.stdout)
    assert [c["kind"] for c in data["changes"]] == ["incident-added", "risk-level", "claim-status", "evaluation-added"]
    assert [c["text"] for c in data["changes"]] == EXPECTED_CHANGES
    # The first edition has no what-changed section.
    first = (root / "output/example/2026-10/example-regulator.html").read_text()
    assert 'id="what-changed"' not in first


def test_earlier_edition_is_untouched_and_rebuilds_are_no_ops(two_editions: tuple[Path, dict[str, str]]) -> None:
    root, a_files = two_editions
    assert tree(root / "output/example/2026-10") == a_files
    before = tree(root / "output")
    code, out = build(root, "--date", "2026-11-26")
    assert code == 0
    assert "example 2026-11: up to date" in out
    assert tree(root / "output") == before


def test_changed_inputs_are_refused_then_issued_as_a_correction(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    assert build(root, "--date", "2026-11-26")[0] == 0
    original = tree(root / "output/example/2026-11")
    change_data(root)
    code, out = build(root, "--date", "2026-11-26")
    assert code == 1
    assert out.strip() == (
        "edition 2026-11 of example is published (dated 2026-11-26) and its inputs have changed; published "
        "editions are never "
        "overwritten. To publish the change as a numbered correction run: brief build --brief example "
        '--edition 2026-11 --correction "<what was corrected and why>"'
    )
    assert tree(root / "output/example/2026-11") == original
    code, out = build(
        root, "--edition", "2026-11", "--date", "2026-11-28", "--correction", "Severity revised after review"
    )
    assert code == 0, out
    corrected = root / "output/example/2026-11/correction-1"
    assert {
        k: v for k, v in tree(root / "output/example/2026-11").items() if not k.startswith("correction-1/")
    } == original
    html = (corrected / "example-regulator.html").read_text()
    section = re.search(r'<section id="corrections".*?</section>\s*</section>', html, re.S).group(0)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section))
    assert "Correction 1, 2026-11-28" in text
    assert "Reason. Severity revised after review" in text
    assert "Risk level of Example model blackmail finding changed from Moderate to High" in text
    manifest = json.loads((corrected / "manifest.json").read_text())
    assert manifest["revision"] == 1 and manifest["edition"] == {"id": "2026-11", "date": "2026-11-26"}
    # The index lists the corrected edition with the original beside it; the feed announces both.
    index = (root / "output/index.html").read_text()
    assert 'href="example/2026-11/correction-1/example-regulator.pdf"' in index
    assert 'href="example/2026-11/example-regulator.html">original</a>' in index
    feed = ET.parse(root / "output/feed.xml").getroot()
    ids = [e.find(f"{ATOM}id").text for e in feed.findall(f"{ATOM}entry")]
    assert ids == ["urn:brief:example:2026-11:1", "urn:brief:example:2026-11:0"]


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href") or "")


def test_index_lists_both_editions_and_every_link_resolves(two_editions: tuple[Path, dict[str, str]]) -> None:
    root, _ = two_editions
    out = root / "output"
    index = (out / "index.html").read_text()
    assert index.index("Edition 2026-11") < index.index("Edition 2026-10")
    parser = Links()
    parser.feed(index)
    files = [h for h in parser.hrefs if not h.startswith("#")]
    assert "example/2026-11/example-regulator.pdf" in files and "example/2026-10/example-regulator.pdf" in files
    for href in files:
        assert (out / href).is_file(), href
    manifest = json.loads((out / "example/2026-11/manifest.json").read_text())
    pdf = next(f for f in manifest["files"] if f["format"] == "pdf")
    assert (
        pdf["sha256"] in index
        and hashlib.sha256((out / "example/2026-11" / pdf["name"]).read_bytes()).hexdigest() == pdf["sha256"]
    )
    assert f">{pdf['pages']}<" in index


def test_feed_is_atom(two_editions: tuple[Path, dict[str, str]]) -> None:
    root, _ = two_editions
    feed = ET.parse(root / "output/feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}updated").text == "2026-11-26T00:00:00Z"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "Example brief: edition 2026-11",
        "Example brief: edition 2026-10",
    ]
    for entry in entries:
        assert entry.find(f"{ATOM}id").text.startswith("urn:brief:example:")
        href = entry.find(f"{ATOM}link").get("href")
        assert (root / "output" / href).is_file()


def test_edition_names_are_validated(project: Path) -> None:
    for bad in ["../x", "a/b", "..", "x\x00y", "/abs"]:
        code, out = build(project, "--edition", bad, "--html-only")
        assert code == 2, bad
    assert not (project / "output").exists() or not any((project / "output").rglob("*.html"))


def test_quarterly_cadence_gives_quarter_ids(tmp_path: Path) -> None:
    from conftest import BRIEF

    root = write_project(
        tmp_path / "p", {"briefs/example.yaml": BRIEF.replace("cadence: monthly", "cadence: quarterly")}
    )
    assert build(root, "--date", "2026-11-26", "--html-only")[0] == 0
    assert (root / "output/example/2026-Q4/example-regulator.html").is_file()


def test_a_year_of_monthly_editions_gives_a_clean_archive(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    csv = root / "data/evaluations/example.csv"
    for month in range(1, 13):
        if month > 1:  # each month a new dated evaluation result arrives
            with csv.open("a") as handle:
                handle.write(
                    f"m-{month},Opportunistic blackmail,Model {month},Lab,ExampleLab,Same,share of "
                    f"runs,{month},count,,100,,,,2026-{month:02d}-01,dev-2025-card,sec. 5,P,\n"
                )
        code, out = build(root, "--date", f"2026-{month:02d}-28", "--html-only")
        assert code == 0, out
    out = root / "output/example"
    assert sorted(p.name for p in out.iterdir()) == [f"2026-{m:02d}" for m in range(1, 13)]
    for month in range(2, 13):
        html = (out / f"2026-{month:02d}/example-regulator.html").read_text()
        section = re.search(r'<section id="what-changed".*?</section>', html, re.S).group(0)
        assert f"Compared with edition 2026-{month - 1:02d}" in section
        assert section.count("<li") == 1 and f"Model {month}, Same: share of runs {month}/100." in section
    index = (root / "output/index.html").read_text()
    assert [m for m in re.findall(r"Edition (2026-\d\d)", index)] == [f"2026-{m:02d}" for m in range(12, 0, -1)]
    assert not list(root.rglob(".staging-*")) and not list(root.rglob("*.tmp"))


def test_two_builds_at_once_and_a_killed_build(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    cmd = [sys.executable, "-m", "brief", "build", "--project", str(root), "--date", "2026-11-26", "-q"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    published = tree(root / "output/example/2026-11")
    assert json.loads((root / "output/example/2026-11/manifest.json").read_text())["files"]
    # A build killed part-way through leaves nothing partial; the next one succeeds.
    change_data(root)
    for delay in (0.3, 0.8, 1.3):
        proc = subprocess.Popen(
            [*cmd[:-3], "--date", "2026-12-01", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        folder = root / "output/example/2026-12"
        if folder.exists():  # renamed into place in one step: complete, with its manifest
            manifest = json.loads((folder / "manifest.json").read_text())
            assert {f["name"] for f in manifest["files"]} <= {p.name for p in folder.iterdir()}
        assert tree(root / "output/example/2026-11") == published
    result = subprocess.run([*cmd[:-3], "--date", "2026-12-01", "-q"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert not list(root.rglob(".staging-*")) and not list((root / "output").rglob(".*.tmp"))
