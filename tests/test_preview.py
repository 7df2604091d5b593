"""`brief preview`: the working draft served over loopback, re-rendered on save.

Every wait is on a condition (the page shows the new text, the process has exited) with a
generous deadline, never a fixed sleep.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import BRIEF
from typer.testing import CliRunner

from brief.cli import app
from brief.preview import Previewer, PreviewServer

DATE = dt.date(2026, 11, 26)
DEADLINE = 30.0  # seconds: generous, for a loaded machine
VERSION_RE = re.compile(r"var version = (\d+);")


def get(url: str, timeout: float = DEADLINE) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def wait_for_page(base: str, condition, what: str) -> tuple[int, str]:
    """Fetch the page until `condition(page)` holds, waiting on /__version between tries."""
    deadline = time.monotonic() + DEADLINE
    while True:
        status, page = get(base)
        if condition(page):
            return status, page
        if time.monotonic() > deadline:
            raise AssertionError(f"the preview never showed {what}; last page:\n{page[:2000]}")
        version = VERSION_RE.search(page).group(1)  # the version this page was rendered as
        get(f"{base}__version?since={version}")  # answers once a newer rendering exists (or after its own timeout)


def save(path: Path, text: str) -> None:
    """Write a file in one step, as editors that save atomically do (never seen half-written)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def published_files(root: Path) -> list[Path]:
    out = root / "output"
    return (
        sorted(p for p in out.rglob("*") if p.is_file() and ".cache" not in p.relative_to(out).parts)
        if out.exists()
        else []
    )


@pytest.fixture
def served(project: Path):
    previewer = Previewer(project, audience="regulator", date=DATE)
    server = PreviewServer(previewer, port=0, interval=0.05)
    server.start()
    try:
        yield project, server.url, previewer
    finally:
        server.stop()


def test_serves_the_draft_and_follows_edits_and_errors(served) -> None:
    root, base, _previewer = served
    assert base.startswith("http://127.0.0.1:")
    status, page = get(base)
    assert status == 200
    assert "The finding is conditional" in page and "Example brief" in page
    assert "<script data-brief-preview>" in page  # the reload script, in the served page only
    first_version = int(get(f"{base}__version")[1])

    # An edit of the brief's bottom line: the next page after the watcher noticed shows it.
    brief = root / "briefs" / "example.yaml"
    save(brief, BRIEF.replace("The finding is conditional", "The finding holds only in a contrived test"))
    status, page = wait_for_page(
        base, lambda p: "The finding holds only in a contrived test" in p, "the edited bottom line"
    )
    assert status == 200 and "The finding is conditional" not in page
    assert int(get(f"{base}__version")[1]) > first_version

    # A data error: the page lists the same one-line problems `brief validate` prints, with file:line.
    save(brief, BRIEF.replace("cadence: monthly", "cadence: weekly"))
    status, page = wait_for_page(base, lambda p: "weekly" in p, "the validation error")
    assert status == 500
    assert "Traceback" not in page
    validated = CliRunner().invoke(app, ["validate", "--project", str(root)])
    assert validated.exit_code == 1
    problem = "briefs/example.yaml:8: cadence: unknown value 'weekly' (expected 'monthly' or 'quarterly')"
    assert problem in validated.output
    assert problem in html.unescape(page)

    # Fixed: the brief again, and the server never stopped.
    save(brief, BRIEF.replace("The finding is conditional", "Fixed again"))
    status, page = wait_for_page(base, lambda p: "Fixed again" in p, "the brief after the fix")
    assert status == 200 and "weekly" not in page

    assert published_files(root) == []  # a draft, not an edition: nothing under output/<brief>/


def test_a_template_edit_is_shown(served) -> None:
    root, base, _previewer = served
    template = root / "templates" / "base.html"  # a project override of the packaged template
    packaged = Path(__file__).resolve().parent.parent / "templates" / "base.html"
    template.parent.mkdir(parents=True, exist_ok=True)
    save(template, packaged.read_text(encoding="utf-8").replace("</body>", "<p>TEMPLATE-EDIT-MARK</p>\n</body>", 1))
    wait_for_page(base, lambda p: "TEMPLATE-EDIT-MARK" in p, "the edited template")


def test_the_draft_is_the_html_build_publishes(served) -> None:
    """Apart from the reload script, the preview shows what `brief build` writes for the same date."""
    root, base, previewer = served
    _status, page = get(base)
    draft = re.sub(r"<script data-brief-preview>.*?</script>\n", "", page, flags=re.S)
    result = CliRunner().invoke(
        app,
        [
            "build",
            "--project",
            str(root),
            "--audience",
            "regulator",
            "--html-only",
            "--date",
            DATE.isoformat(),
            "--quiet",
        ],
    )
    assert result.exit_code == 0, result.output
    (built,) = (root / "output" / "example").glob("*/example-regulator.html")
    published = built.read_text(encoding="utf-8")
    assert "data-brief-preview" not in published and "__version" not in published
    assert draft == published


def test_unknown_brief_and_busy_port_are_one_line_errors(project: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["preview", "--project", str(project), "--port", str(port)])
    assert result.exit_code == 2
    assert f"--port {port}: cannot listen on 127.0.0.1:{port}" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(app, ["preview", "--project", str(project), "--audience", "ministers", "--port", "0"])
    assert result.exit_code != 0 and "Traceback" not in result.output and "ministers" in result.output


def test_ctrl_c_stops_the_server_cleanly(project: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "brief", "preview", "--project", str(project), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(DEADLINE)
        assert lines and lines[0].startswith("Previewing at http://127.0.0.1:"), lines
        url = lines[0].split()[2]
        status, page = get(url)
        assert status == 200 and "Example brief" in page
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert out.strip().splitlines() == ["Preview stopped."]
    assert "Traceback" not in err
    with pytest.raises(OSError):  # the port is closed
        urllib.request.urlopen(url, timeout=5)
