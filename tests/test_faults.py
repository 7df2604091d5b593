"""Faults lose no data: builds killed at every write, and a full disk.

A build killed with SIGKILL at any step of its writing leaves no partial file visible, the next
build succeeds, and the published editions stay byte-identical. A write that fails with ENOSPC
gives one clear line and exit 1, and nothing published is lost.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import write_project
from typer.testing import CliRunner

from brief.cli import app

runner = CliRunner()
PDF_EVERY = 3  # with the PDF, the build is killed at every 3rd of its steps; without, at every step

# `brief build` in a child process whose writing steps are counted: opening a temporary file, its
# fsync, and the renames that publish a file (core/writer.py) or an edition's folder (publish/editions.py). With
# BRIEF_TEST_KILL_AT=n the child kills itself with SIGKILL just before its n-th step, so each kill
# lands at a chosen point of the writing, whatever the machine's speed or load. With
# BRIEF_TEST_STEPS=PATH it runs to the end and writes its number of steps there.
CHILD = """
import atexit, os, signal, sys
from brief.core import writer
from brief.publish import editions
from brief.cli import main

KILL_AT = int(os.environ.get("BRIEF_TEST_KILL_AT", "0"))
steps = 0

class CountingOs:
    def __getattr__(self, name):
        attr = getattr(os, name)
        if name not in ("fdopen", "fsync", "replace", "rename"):
            return attr
        def step(*args, **kwargs):
            global steps
            steps += 1
            if steps == KILL_AT:
                os.kill(os.getpid(), signal.SIGKILL)
            return attr(*args, **kwargs)
        return step

writer.os = editions.os = CountingOs()
if os.environ.get("BRIEF_TEST_STEPS"):
    atexit.register(lambda: open(os.environ["BRIEF_TEST_STEPS"], "w").write(str(steps)))
main()
"""


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def build(root: Path, *args: str) -> Any:
    return runner.invoke(app, ["build", "--project", str(root), "-q", *args])


def visible(folder: Path) -> list[Path]:
    """Files a reader or a web server would serve: no hidden (dot) component below output/."""
    return [
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]


def assert_nothing_partial(output: Path) -> None:
    """Every visible file is complete: each edition matches its manifest, the index and feed parse."""
    for path in visible(output):
        rel = path.relative_to(output)
        if rel.parts[0] in ("index.html", "feed.xml"):
            continue
        assert len(rel.parts) >= 3, rel  # <brief>/<edition>[/correction-n]/<file>
    for manifest_path in output.glob("*/*/manifest.json"):
        folder = manifest_path.parent
        manifest = json.loads(manifest_path.read_text())
        listed = {f["name"]: f for f in manifest["files"]}
        for name, entry in listed.items():
            assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == entry["sha256"], folder / name
        present = {p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}
        assert present <= set(listed) | {"manifest.json", "snapshot.json"}, present - set(listed)
    for folder in output.glob("[!.]*/[!.]*"):
        if folder.is_dir():
            assert (folder / "manifest.json").is_file(), f"{folder} is visible without its manifest"
    if (output / "index.html").exists():
        assert (output / "index.html").read_text().rstrip().endswith("</html>")
    if (output / "feed.xml").exists():
        ET.fromstring((output / "feed.xml").read_bytes())


def child_build(root: Path, args: list[str], **env: str) -> int:
    cmd = [sys.executable, "-c", CHILD, "build", "--project", str(root), "-q", *args]
    proc = subprocess.run(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ, **env), timeout=600
    )
    return proc.returncode


def test_builds_killed_at_every_write_lose_nothing(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    assert build(root, "--date", "2026-10-15").exit_code == 0  # a published edition, with its PDF
    output = root / "output"
    published = tree(output / "example/2026-10")
    # How many writing steps a whole build takes, with and without the PDF (each a new edition).
    counts = {}
    for pdf, date in ((False, "2026-11-15"), (True, "2026-12-15")):
        probe = tmp_path / f"probe-{pdf}"
        shutil.copytree(root, probe)
        steps_file = tmp_path / f"steps-{pdf}"
        assert (
            child_build(probe, ["--date", date] + ([] if pdf else ["--html-only"]), BRIEF_TEST_STEPS=str(steps_file))
            == 0
        )
        counts[pdf] = int(steps_file.read_text())
    # Each file takes three steps (open, fsync, rename): the page, snapshot, manifest, index and feed;
    # the edition's folder one more. The PDF adds its own three.
    assert counts[False] >= 16 and counts[True] >= counts[False] + 3, counts
    trials = [(False, n) for n in range(1, counts[False] + 1)] + [
        (True, n) for n in range(1, counts[True] + 1, PDF_EVERY)
    ]
    started = time.perf_counter()
    for trial, (pdf, kill_at) in enumerate(trials):
        date = f"{2027 + trial // 12}-{trial % 12 + 1:02d}-15"  # a new edition each time
        code = child_build(root, ["--date", date] + ([] if pdf else ["--html-only"]), BRIEF_TEST_KILL_AT=str(kill_at))
        assert code == -signal.SIGKILL, (trial, pdf, kill_at, code)
        # Killed while writing: a temporary file or a staging folder is left, hidden from readers.
        assert list(output.glob("example/.staging-*")) or list(output.rglob(".*.tmp")), (pdf, kill_at)
        assert_nothing_partial(output)
        assert tree(output / "example/2026-10") == published, trial
        # The next build succeeds, completes the edition, and clears what the killed one left.
        result = build(root, "--date", date, "--html-only")
        assert result.exit_code == 0, (trial, result.output)
        edition = output / f"example/{date[:7]}"
        assert (edition / "example-regulator.html").is_file() and (edition / "manifest.json").is_file()
        assert not list(output.glob("example/.staging-*")) and not list(output.rglob(".*.tmp"))
        assert_nothing_partial(output)
    elapsed = time.perf_counter() - started
    assert tree(output / "example/2026-10") == published
    print(
        f"\n{len(trials)} builds killed while writing ({counts[False]} steps without the PDF, {counts[True]} "
        f"with); {elapsed:.1f} s"
    )


class _FullDisk:
    """A file handle whose write fails like a full disk."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __enter__(self) -> "_FullDisk":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.real.close()

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _Os:
    """writer.py's `os`, whose fdopen fails the n-th write (0: never), counting every call."""

    def __init__(self, fail_at: int) -> None:
        self.fail_at = fail_at
        self.calls = 0

    def fdopen(self, fd: int, mode: str = "r", *args: Any) -> Any:
        self.calls += 1
        real = os.fdopen(fd, mode, *args)
        return _FullDisk(real) if self.calls == self.fail_at else real

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


def test_a_full_disk_gives_one_clear_line_and_loses_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from brief.core import writer

    base = write_project(tmp_path / "base")
    assert build(base, "--date", "2026-10-15", "--html-only").exit_code == 0
    (base / "data/evaluations/example.csv").open("a").write(
        "ex-3,Opportunistic blackmail,Third Model,ThirdLab,ExampleLab,Same,share of "
        "runs,9,count,,100,,,,2026-11-01,dev-2025-card,sec. 5,P,\n"
    )
    counter = _Os(0)
    monkeypatch.setattr(writer, "os", counter)
    probe = tmp_path / "probe"
    shutil.copytree(base, probe)
    assert build(probe, "--date", "2026-11-26", "--html-only").exit_code == 0
    writes = counter.calls  # the edition's files, snapshot, manifest, then the index and feed
    assert writes >= 5
    for fail_at in range(1, writes + 1):
        root = tmp_path / f"full-{fail_at}"
        shutil.copytree(base, root)
        before = tree(root / "output/example/2026-10")
        index = (root / "output/index.html").read_bytes()
        monkeypatch.setattr(writer, "os", _Os(fail_at))
        result = build(root, "--date", "2026-11-26", "--html-only")
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code == 1
        assert result.stderr.splitlines() == [
            f"{result.stderr.split(':', 1)[0]}: cannot write (No space left on device); nothing was changed"
        ]
        assert result.stderr.startswith(str((root / "output").resolve())), result.stderr
        assert tree(root / "output/example/2026-10") == before
        assert not list((root / "output").rglob(".staging-*")) and not list((root / "output").rglob(".*.tmp"))
        assert_nothing_partial(root / "output")
        if not (root / "output/example/2026-11").exists():
            assert (root / "output/index.html").read_bytes() == index  # the edition failed: nothing changed
        # With space again, the same build succeeds and the index lists the new edition.
        monkeypatch.setattr(writer, "os", os)
        assert build(root, "--date", "2026-11-26", "--html-only").exit_code == 0
        assert "2026-11" in (root / "output/index.html").read_text()
        assert_nothing_partial(root / "output")


def test_a_full_disk_when_the_staging_folder_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    from brief.publish import editions

    root = write_project(tmp_path / "p")
    assert build(root, "--date", "2026-10-15", "--html-only").exit_code == 0
    before = tree(root / "output")

    def full(*args: Any, **kwargs: Any) -> str:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), kwargs.get("dir"))

    monkeypatch.setattr(editions.tempfile, "mkdtemp", full)
    result = build(root, "--date", "2026-11-26", "--html-only")
    monkeypatch.setattr(editions.tempfile, "mkdtemp", tempfile.mkdtemp)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert (result.exit_code, result.stderr) == (
        1,
        "output/example: cannot write (No space left on device); earlier editions are untouched\n",
    )
    after = tree(root / "output")
    assert after == before
