"""The wheel carries the default templates, the rubric and the starter project; installed into a
fresh virtual environment, `brief init` makes a project that builds on the first try."""

from __future__ import annotations

import os
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
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)], cwd=REPO, check=True, capture_output=True, text=True)
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
    # System site-packages supply the dependencies (no index needed); the wheel's brief shadows any other.
    venv.EnvBuilder(system_site_packages=True, with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True, text=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    where = subprocess.run([str(py), "-c", "import brief; print(brief.__file__)"], cwd=tmp_path, env=env, check=True, capture_output=True, text=True).stdout
    assert str(env_dir) in where, where
    brief = str(env_dir / "bin" / "brief")
    init = subprocess.run([brief, "init", "proj"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert init.returncode == 0, init.stderr
    assert (tmp_path / "proj" / "templates").is_dir() and not any((tmp_path / "proj" / "templates").iterdir())
    assert (tmp_path / "proj" / "data" / "rubric" / "v0.1.yaml").is_file()
    build = subprocess.run([brief, "build", "--date", "2026-11-26", "--audience", "executive"], cwd=tmp_path / "proj", env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    out = tmp_path / "proj" / "output" / "opus-4-blackmail" / "2026-11"
    html = (out / "opus-4-blackmail-executive.html").read_text()
    assert '<meta name="brief.template" content="executive/brief.html">' in html
    assert (out / "opus-4-blackmail-executive.pdf").read_bytes().startswith(b"%PDF-")
