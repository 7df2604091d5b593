"""The wheel carries the default templates, the rubric and the starter project; installed into a
fresh virtual environment, `brief init` makes a project that builds on the first try."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # hatchling is a test dependency: no build isolation, so no download during the test.
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    )
    (path,) = out.glob("brief-*.whl")
    return path


def test_wheel_contains_templates_rubric_and_starter(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for audience in ("regulator", "executive", "technical", "public"):
        assert f"brief/templates/{audience}/brief.html" in names
    for name in ("base.html", "_macros.html", "screen.css", "print.css"):
        assert f"brief/templates/{name}" in names
    assert "brief/data/rubric/v0.1.yaml" in names
    assert "brief/starter/brief.toml" in names and "brief/starter/briefs/opus-4-blackmail.yaml" in names
    assert "brief/render/charts.py" in names


def test_installed_wheel_inits_and_builds_a_project(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    # The dependencies come from the site-packages of the interpreter running the tests (a virtual
    # environment or the system's), listed in a .pth file after the new environment's own, so no index
    # is needed and the wheel's brief shadows any other. Their own .pth files are not read: an editable
    # brief installed there stays out of sight.
    purelib = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    outer = [
        p
        for p in [*site.getsitepackages(), *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
        if Path(p).is_dir()
    ]
    (Path(purelib) / "outer-site-packages.pth").write_text("".join(f"{p}\n" for p in outer))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run(
        [str(py), "-c", "import brief; print(brief.__file__)"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert str(env_dir) in where, where
    brief = str(env_dir / "bin" / "brief")
    init = subprocess.run([brief, "init", "proj"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "proj" / "templates").is_dir() and not any((tmp_path / "proj" / "templates").iterdir())
    assert (tmp_path / "proj" / "data" / "rubric" / "v0.1.yaml").is_file()
    build = subprocess.run(
        [brief, "build", "--date", "2026-11-26", "--audience", "executive"],
        cwd=tmp_path / "proj",
        env=env,
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    out = tmp_path / "proj" / "output" / "opus-4-blackmail" / "2026-11"
    html = (out / "opus-4-blackmail-executive.html").read_text()
    assert '<meta name="brief.template" content="executive/brief.html">' in html
    assert (out / "opus-4-blackmail-executive.pdf").read_bytes().startswith(b"%PDF-")
