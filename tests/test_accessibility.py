"""Accessibility and validity of every audience of the default brief, checked with real validators.

- HTML: zero errors from the W3C Nu HTML Checker (npm vnu-jar, run with Java);
- HTML: zero axe-core violations (WCAG 2.0/2.1/2.2 A and AA) in headless Debian chromium, driven by
  playwright-core, with every non-file request blocked;
- PDF: tagged PDF/UA-1 with a title, a language, /Alt on every figure and table header cells;
  the pdf/a-3b variant carries the data snapshot as embedded files.

A missing validator is a failure that says what to install, never a skip: `.ci/run` installs them
(apt-get install chromium poppler-utils default-jre-headless; npm ci in .ci/node).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from brief.cli import app

REPO = Path(__file__).resolve().parent.parent
NODE_DIR = REPO / ".ci" / "node"
VNU_JAR = NODE_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_SCRIPT = NODE_DIR / "axe-check.js"
AUDIENCES = ("regulator", "executive", "technical", "public")
DATE = "2026-11-26"
runner = CliRunner()


def need(condition: bool, what: str) -> None:
    """Fail (never skip) with what to install when a validator is missing."""
    if not condition:
        pytest.fail(
            f"validator missing: {what}. Run `bash .ci/run` once, or install it as .ci/run does.", pytrace=False
        )


def chromium() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def built(default_project_build: Path) -> dict[str, Path]:
    """Every audience of the default brief (PDF/UA-1, built once per session), plus a PDF/A-3b executive brief."""
    root = default_project_build.parent.parent.parent
    archive = runner.invoke(
        app,
        [
            "build",
            "--project",
            str(root),
            "--audience",
            "executive",
            "--date",
            DATE,
            "--edition",
            "2026-11-archive",
            "--pdf-variant",
            "pdf/a-3b",
            "--quiet",
        ],
    )
    assert archive.exit_code == 0, archive.output
    brief_dir = default_project_build.parent
    files: dict[str, Path] = {"folder": default_project_build}
    for aud in AUDIENCES:
        for ext in ("html", "pdf"):
            (path,) = default_project_build.glob(f"*-{aud}.{ext}")
            files[f"{aud}.{ext}"] = path
    (files["archive.pdf"],) = (brief_dir / "2026-11-archive").glob("*-executive.pdf")
    return files


def test_html_has_no_w3c_checker_errors(built: dict[str, Path]) -> None:
    need(
        shutil.which("java") is not None,
        "Java 11+ for the W3C Nu HTML Checker (Debian: apt-get install default-jre-headless)",
    )
    need(VNU_JAR.is_file(), f"the W3C Nu HTML Checker jar at {VNU_JAR.relative_to(REPO)} (npm ci --prefix .ci/node)")
    pages = [str(built[f"{aud}.html"]) for aud in AUDIENCES]
    proc = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *pages],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = json.loads(proc.stderr or proc.stdout or '{"messages": []}')["messages"]
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m['message']}"
        for m in messages
        if m.get("type") == "error" or m.get("subType") == "fatal"
    ]
    assert errors == [], "\n".join(errors[:20])


def test_html_has_no_axe_violations(built: dict[str, Path]) -> None:
    need(shutil.which("node") is not None, "Node.js 18+ to run axe-core (Debian: apt-get install nodejs)")
    need(
        (NODE_DIR / "node_modules" / "axe-core").is_dir() and (NODE_DIR / "node_modules" / "playwright-core").is_dir(),
        "axe-core and playwright-core (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix .ci/node)",
    )
    browser = chromium()
    need(browser is not None, "Debian's chromium for axe-core (apt-get install chromium; no browser download)")
    pages = [str(built[f"{aud}.html"]) for aud in AUDIENCES]
    proc = subprocess.run(
        ["node", str(AXE_SCRIPT), *pages],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "CHROMIUM": browser or ""},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    results = json.loads(proc.stdout)
    assert sorted(Path(p).name for p in results) == sorted(Path(p).name for p in pages)
    found = [
        f"{Path(page).name}: {v['id']} ({v['impact']}): {v['help']} at {', '.join(v['nodes'])}"
        for page, violations in results.items()
        for v in violations
    ]
    assert found == [], "\n".join(found)


def _struct_elements(reader: PdfReader) -> list[dict]:
    """Return every structure element of a tagged PDF (depth-first)."""
    out: list[dict] = []
    stack = [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop().get_object()
        if isinstance(node, dict) or hasattr(node, "get"):
            if "/S" in node:
                out.append(node)
            kids = node.get("/K")
            if kids is None:
                continue
            kids = kids.get_object()
            if isinstance(kids, list):
                stack.extend(k for k in kids if hasattr(k.get_object(), "get"))
            elif hasattr(kids, "get"):
                stack.append(kids)
    return out


@pytest.mark.parametrize("audience", AUDIENCES)
def test_pdf_is_tagged_with_title_language_alt_text_and_table_headers(built: dict[str, Path], audience: str) -> None:
    path = built[f"{audience}.pdf"]
    need(shutil.which("pdfinfo") is not None, "pdfinfo (Debian: apt-get install poppler-utils)")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info
    assert "Page size:       595.276 x 841.89 pts (A4)" in info
    reader = PdfReader(path)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert reader.metadata.title and audience.capitalize() in reader.metadata.title
    assert bool(root["/MarkInfo"]["/Marked"])
    xmp = reader.xmp_metadata
    assert xmp is not None and b"pdfuaid" in xmp.stream.get_data()
    elements = _struct_elements(reader)
    kinds = {str(e["/S"]) for e in elements}
    figures = [e for e in elements if e["/S"] == "/Figure"]
    # Charts where the brief has them: the regulator's risk matrix, the technical brief's charts; the
    # executive brief states the focus finding's single number in words, the public brief has no charts.
    assert figures or audience in ("public", "executive"), (
        "the regulator and technical briefs have their charts and matrix"
    )
    assert all(str(f.get("/Alt", "")).strip() for f in figures), "a /Figure without /Alt"
    if audience in ("regulator", "technical"):
        assert "/Table" in kinds
    if "/Table" in kinds:
        assert "/TH" in kinds, "tables without header cells"
    assert reader.outline, "PDF bookmarks"


def test_executive_brief_is_at_most_two_pages(built: dict[str, Path]) -> None:
    assert len(PdfReader(built["executive.pdf"]).pages) <= 2


def test_archival_pdf_carries_the_data_snapshot(built: dict[str, Path]) -> None:
    need(shutil.which("pdfdetach") is not None, "pdfdetach (Debian: apt-get install poppler-utils)")
    listing = subprocess.run(
        ["pdfdetach", "-list", str(built["archive.pdf"])], capture_output=True, text=True, check=True
    ).stdout
    assert "snapshot.json" in listing
    reader = PdfReader(built["archive.pdf"])
    xmp = reader.xmp_metadata.stream.get_data()
    assert re.search(rb'pdfaid:part(="|>)3', xmp) and re.search(rb'pdfaid:conformance(="|>)B', xmp), xmp[:400]
    names = set(reader.attachments)
    assert "snapshot.json" in names
    snapshot = json.loads(reader.attachments["snapshot.json"][0])
    assert snapshot  # the normalised data the edition was built from
