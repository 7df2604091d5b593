"""brief.toml is checked when it is loaded and by `brief validate`: an unknown default
audience, PDF variant or citation style is named with its line and the nearest valid value, and a
relative .csl path is read from the project root, not the current folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import TOML, write_project
from typer.testing import CliRunner

from brief.cli import app
from brief.load.config import load_config
from brief.load.styles import resolve_style

runner = CliRunner()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'default_audience = "regulatr"',
            "brief.toml:5: project.default_audience: unknown value 'regulatr' (expected one of regulator, executive, technical, public, all); did you mean 'regulator'?",
        ),
        (
            'pdf_variant = "pdf/ua1"',
            "brief.toml:5: project.pdf_variant: unknown value 'pdf/ua1' (expected one of pdf/ua-1, pdf/ua-2, pdf/a-3b, pdf/a-3u); did you mean 'pdf/ua-1'?",
        ),
    ],
)
def test_an_unknown_value_names_its_line_and_the_nearest_valid_one(tmp_path: Path, line: str, expected: str) -> None:
    root = write_project(tmp_path / "proj", {"brief.toml": TOML + line + "\n"})
    for command in (["validate"], ["build", "--html-only"]):
        result = runner.invoke(app, [*command, "--project", str(root)])
        assert result.exit_code == 1, result.output
        assert expected in result.stderr, result.stderr
        assert "Traceback" not in result.output


def test_an_unknown_citation_style_name_is_reported_at_load(tmp_path: Path) -> None:
    toml = TOML.replace('citation_style = "chicago-notes-bibliography"', 'citation_style = "chicago-notes-biblography"')
    root = write_project(tmp_path / "proj", {"brief.toml": toml})
    result = runner.invoke(app, ["validate", "--project", str(root)])
    assert result.exit_code == 1
    assert "brief.toml:4: project.citation_style: unknown citation style 'chicago-notes-biblography'" in result.stderr
    assert "did you mean 'chicago-notes-bibliography'?" in result.stderr


def test_a_relative_style_path_is_read_from_the_project_root_not_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = TOML.replace('citation_style = "chicago-notes-bibliography"', 'citation_style = "styles/house.csl"')
    root = write_project(tmp_path / "proj", {"brief.toml": toml})
    (root / "styles").mkdir()
    (root / "styles" / "house.csl").write_bytes(resolve_style("apa").read_bytes())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config(root)
    assert config.style() == str(root / "styles" / "house.csl")
    result = runner.invoke(app, ["build", "--project", str(root), "--html-only", "--date", "2026-11-26", "--quiet"])
    assert result.exit_code == 0, result.output
    assert os.getcwd() == str(elsewhere)

    missing = write_project(
        tmp_path / "other",
        {
            "brief.toml": TOML.replace(
                'citation_style = "chicago-notes-bibliography"', 'citation_style = "styles/none.csl"'
            )
        },
    )
    result = runner.invoke(app, ["validate", "--project", str(missing)])
    assert result.exit_code == 1
    assert (
        f"brief.toml:4: project.citation_style: the style file 'styles/none.csl' was not found (looked for {missing / 'styles' / 'none.csl'}"
        in result.stderr
    )


def test_the_default_project_settings_pass() -> None:
    from conftest import REPO

    config = load_config(REPO)
    assert config.settings.default_audience in ("regulator", "executive", "technical", "public", "all")
