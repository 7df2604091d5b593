"""The README keeps up with the CLI: every command is documented, with the Quickstart intact."""

from __future__ import annotations

import re

import typer.main

from brief.cli import app
from conftest import REPO


def test_every_command_is_in_the_readme_and_has_help() -> None:
    readme = (REPO / "README.md").read_text()
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert f"`brief {name}" in readme, f"README does not document `brief {name}`"
        assert command.help, f"brief {name} has no help text"


def test_quickstart_has_the_two_commands_ci_runs() -> None:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Quickstart.*?```sh\n(.*?)```", readme, re.S).group(1).splitlines()
    assert block == ['pip install -e ".[test]" && brief build --audience regulator', "pytest"]
    assert "pytest" in (REPO / ".ci" / "run").read_text()
