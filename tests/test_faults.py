"""Faults lose no data (issue 7): builds killed at random moments, and a full disk.

A build killed with SIGKILL at any moment leaves no partial file visible, the next build
succeeds, and the published editions stay byte-identical. A write that fails with ENOSPC gives
one clear line and exit 1, and nothing published is lost.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from brief.cli import app
from conftest import write_project

runner = CliRunner()
TRIALS = 56  # every 8th with the PDF, the rest --html-only (issue 7: at least 50; under a minute)
SEED = 20261126
SLOW = 0.04  # seconds before each rename in every other trial: a slow disk, so kills also land mid-write

# `brief build` in a child process; with a slow disk, each atomic rename waits first.
CHILD = """
import os, sys, time
from brief import build, writer
from brief.cli import main

class SlowOs:
    def __getattr__(self, name):
        return getattr(os, name)
    def replace(self, *args):
        time.sleep(SLOW)
        return os.replace(*args)
    def rename(self, *args):
        time.sleep(SLOW)
        return os.rename(*args)

SLOW = float(os.environ.get("BRIEF_TEST_SLOW_DISK", "0"))
if SLOW:
    writer.os = build.os = SlowOs()
main()
"""


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def build(root: Path, *args: str) -> Any:
    return runner.invoke(app, ["build", "--project", str(root), "-q", *args])


def visible(folder: Path) -> list[Path]:
    """Files a reader or a web server would serve: no hidden (dot) component below output/."""
    return [p for p in folder.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)]


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


def test_builds_killed_at_random_moments_lose_nothing(tmp_path: Path) -> None:
    root = write_project(tmp_path / "p")
    assert build(root, "--date", "2026-10-15").exit_code == 0  # a published edition, with its PDF
    output = root / "output"
    published = tree(output / "example/2026-10")
    rng = random.Random(SEED)
    killed = finished = mid_write = 0
    started = time.perf_counter()
    for trial in range(TRIALS):
        pdf = trial % 8 == 0
        date = f"{2027 + trial // 12}-{trial % 12 + 1:02d}-15"  # a new edition each time
        args = ["--date", date] + ([] if pdf else ["--html-only"])
        cmd = [sys.executable, "-c", CHILD, "build", "--project", str(root), "-q", *args]
        env = dict(os.environ, BRIEF_TEST_SLOW_DISK=str(SLOW if trial % 2 else 0))
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        time.sleep(rng.uniform(0.05, 1.5 if pdf else 0.6))
        proc.send_signal(signal.SIGKILL)
        code = proc.wait()
        killed += code == -signal.SIGKILL
        finished += code == 0
        assert code in (0, -signal.SIGKILL), (trial, code)
        mid_write += bool(list(output.glob("example/.staging-*")) or list(output.glob("example/*/.*.tmp")))
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
    assert killed >= TRIALS // 2, (killed, finished)  # most kills land inside the build
    assert mid_write >= 1, "no kill landed while files were being written"
    print(f"\n{TRIALS} trials: {killed} killed mid-build ({mid_write} while writing), {finished} had finished; {elapsed:.1f} s")


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
    from brief import writer

    base = write_project(tmp_path / "base")
    assert build(base, "--date", "2026-10-15", "--html-only").exit_code == 0
    (base / "data/evaluations/example.csv").open("a").write(
        "ex-3,Opportunistic blackmail,Third Model,ThirdLab,ExampleLab,Same,share of runs,9,count,,100,,,,2026-11-01,dev-2025-card,sec. 5,P,\n"
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
        assert result.stderr.splitlines() == [f"{result.stderr.split(':', 1)[0]}: cannot write (No space left on device); nothing was changed"]
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

    from brief import build as build_module

    root = write_project(tmp_path / "p")
    assert build(root, "--date", "2026-10-15", "--html-only").exit_code == 0
    before = tree(root / "output")

    def full(*args: Any, **kwargs: Any) -> str:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), kwargs.get("dir"))

    monkeypatch.setattr(build_module.tempfile, "mkdtemp", full)
    result = build(root, "--date", "2026-11-26", "--html-only")
    monkeypatch.setattr(build_module.tempfile, "mkdtemp", tempfile.mkdtemp)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert (result.exit_code, result.stderr) == (1, "output/example: cannot write (No space left on device); earlier editions are untouched\n")
    after = tree(root / "output")
    assert after == before
