"""The command line: exit codes, error lines without tracebacks, JSON listings, help text."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from brief import __version__
from brief.cli import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"brief {__version__}\n"


def test_help_does_not_import_heavy_modules() -> None:
    # main() leaves the process itself (after running exit handlers), so the check is one.
    code = (
        "import atexit, sys\nfrom brief.cli import main\nsys.argv = ['brief', '--help']\n"
        "atexit.register(lambda: print('HEAVY', sorted({m.split('.')[0] for m in sys.modules} & "
        "{'weasyprint', 'pandas', 'requests', 'rich', 'jinja2'})))\n"
        "main()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Commands:" in out
    assert out.strip().endswith("HEAVY []")


@pytest.mark.parametrize("command", ["build", "validate", "list", "schema", "diff"])
def test_every_command_and_option_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    cmd = typer_command(command)
    for param in cmd.params:  # typer vendors click, so check by kind rather than class
        if param.param_type_name == "option":
            assert param.help, f"{command} {param.opts} has no help text"
        else:
            assert getattr(param, "help", None), f"{command} argument {param.name} has no help text"
    assert cmd.help


def typer_command(name: str):
    import typer.main

    group = typer.main.get_command(app)
    return group.commands[name]


def test_usage_errors_exit_2(project: Path) -> None:
    result = runner.invoke(app, ["build", "--project", str(project), "--audience", "ministers"])
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "unknown audience 'ministers': expected one of regulator, executive, technical, public or all"
    )
    result = runner.invoke(app, ["build", "--project", str(project), "--date", "26/11/2026"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "--date '26/11/2026' is not a date (expected YYYY-MM-DD)"
    result = runner.invoke(app, ["build", "--project", str(project), "--edition", "../../x"])
    assert result.exit_code == 2
    assert "edition '../../x' is not allowed" in result.stderr
    result = runner.invoke(app, ["build", "--project", str(project), "--brief", "nope"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "unknown brief 'nope': expected one of example"
    result = runner.invoke(app, ["list", "things", "--project", str(project)])
    assert result.exit_code == 2


def test_no_project_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--project", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith("brief.toml not found in ")
    assert "Traceback" not in result.output


def test_bad_config_names_the_setting(project: Path) -> None:
    (project / "brief.toml").write_text('[project]\norganisation = "X"\ncitation_styel = "apa"\n')
    result = runner.invoke(app, ["validate", "--project", str(project)])
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[0]
        == "brief.toml:3: project.citation_styel: unknown setting 'citation_styel' (did you mean 'citation_style'?)"
    )


def test_list_json_is_a_list_of_records_with_origin(project: Path) -> None:
    result = runner.invoke(app, ["list", "incidents", "--json", "--project", str(project)])
    assert result.exit_code == 0
    records = json.loads(result.stdout)
    assert [r["id"] for r in records] == ["example-finding"]
    assert records[0]["origin"] == {"file": "data/incidents/example-finding.yaml", "line": 1}
    assert records[0]["assessed"] is True
    result = runner.invoke(app, ["list", "evaluations", "--json", "--project", str(project)])
    rows = json.loads(result.stdout)
    assert [(r["id"], r["value"], r["n"], r["origin"]["line"]) for r in rows] == [
        ("ex-1", 84.0, None, 2),
        ("ex-2", 7.0, 100, 3),
    ]
    result = runner.invoke(app, ["list", "sources", "--project", str(project)])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0].split() == ["ID", "TYPE", "RELIABILITY", "VERIFICATION", "TITLE"]
    assert result.stdout.splitlines()[-1] == "(2 sources)"


def test_schema_command_writes_json_schemas(project: Path) -> None:
    result = runner.invoke(app, ["schema", "--project", str(project)])
    assert result.exit_code == 0
    schema = json.loads((project / "data/schema/incident.schema.json").read_text())
    assert schema["additionalProperties"] is False
    assert {"id", "title", "kind", "date", "summary"} <= set(schema["required"])
    sources = json.loads((project / "data/schema/sources.schema.json").read_text())
    assert sources["type"] == "array"


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run([sys.executable, "-m", "brief", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"brief {__version__}"


def test_committed_schemas_are_up_to_date(tmp_path: Path) -> None:
    """data/schema/ is what `brief schema` writes from the models (regenerate with `brief schema`)."""
    from conftest import REPO

    from brief.load.schema import write_schemas

    for path in write_schemas(tmp_path):
        committed = REPO / "data" / "schema" / path.name
        assert committed.read_text() == path.read_text(), f"{committed} is stale: run `brief schema`"
