"""The editions index in a real browser: valid, accessible, and its links lead to the PDFs.

Uses the validators .ci/run installs (Java + vnu-jar, node + playwright-core + axe-core, Debian
chromium). A missing one fails with what to install; nothing is skipped.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import EVALUATIONS, write_project
from test_accessibility import AXE_SCRIPT, NODE_DIR, VNU_JAR, chromium, need
from typer.testing import CliRunner

from brief.cli import app

runner = CliRunner()
FOLLOW_SCRIPT = NODE_DIR / "follow-index.js"


@pytest.fixture(scope="module")
def output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two editions of a small brief, with PDFs."""
    root = write_project(tmp_path_factory.mktemp("idx") / "p")
    assert runner.invoke(app, ["build", "--project", str(root), "--date", "2026-10-15", "-q"]).exit_code == 0
    rows = EVALUATIONS + (
        "ex-3,Opportunistic blackmail,New Model,NewLab,ExampleLab,Same,share of "
        "runs,12,count,,100,,,,2026-11-01,dev-2025-card,sec. 5,P,\n"
    )
    (root / "data/evaluations/example.csv").write_text(rows)
    assert runner.invoke(app, ["build", "--project", str(root), "--date", "2026-11-26", "-q"]).exit_code == 0
    return root / "output"


def test_index_is_valid_html(output: Path) -> None:
    need(shutil.which("java") is not None, "Java for the W3C Nu HTML Checker")
    need(VNU_JAR.is_file(), f"vnu-jar ({VNU_JAR}); npm ci in .ci/node")
    proc = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", str(output / "index.html")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = [
        m for m in json.loads(proc.stderr or proc.stdout or '{"messages": []}')["messages"] if m.get("type") == "error"
    ]
    assert messages == []


def test_index_has_no_axe_violations(output: Path) -> None:
    browser = chromium()
    need(browser is not None, "Debian chromium (apt-get install chromium)")
    need(shutil.which("node") is not None and AXE_SCRIPT.is_file(), "node and .ci/node (npm ci)")
    proc = subprocess.run(
        ["node", str(AXE_SCRIPT), str(output / "index.html")],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "CHROMIUM": browser or ""},
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {str(output / "index.html"): []}


def test_a_reader_follows_the_latest_regulator_pdf_link(output: Path) -> None:
    browser = chromium()
    need(browser is not None, "Debian chromium (apt-get install chromium)")
    need(
        shutil.which("node") is not None and (NODE_DIR / "node_modules" / "playwright-core").is_dir(),
        "node and playwright-core (npm ci in .ci/node)",
    )
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(output))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/index.html"
        proc = subprocess.run(
            ["node", str(FOLLOW_SCRIPT), url],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "CHROMIUM": browser or ""},
        )
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    pdf = output / "example" / "2026-11" / "example-regulator.pdf"
    assert got["href"].endswith("/example/2026-11/example-regulator.pdf")  # the newest edition, not 2026-10
    assert got["head"] == "%PDF-" and got["bytes"] == pdf.stat().st_size
    if got["how"] == "navigation":
        assert (got["status"], got["contentType"]) == (200, "application/pdf")


def test_index_links_work_from_file_urls(output: Path) -> None:
    """Relative links only: opened from disk, every link points at a file beside it."""
    html = (output / "index.html").read_text()
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2005/Atom"', "") and 'href="/' not in html
