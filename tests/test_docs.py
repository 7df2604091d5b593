"""The README keeps up with the CLI: every command is documented, with the Quickstart intact."""

from __future__ import annotations

import re

import typer.main
from conftest import REPO

from brief.cli import app


def test_every_command_is_in_the_readme_and_has_help() -> None:
    readme = (REPO / "README.md").read_text()
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert f"`brief {name}" in readme, f"README does not document `brief {name}`"
        assert command.help, f"brief {name} has no help text"


def test_quickstart_makes_a_virtual_environment_and_tests_the_way_ci_does() -> None:
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Quickstart.*?```sh\n(.*?)```", readme, re.S).group(1).splitlines()
    assert block == [
        'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[test]" && brief build --audience regulator',
        "bash .ci/run",
    ]
    run = (REPO / ".ci" / "run").read_text()
    # The test command works by itself: it makes or uses a virtual environment (PEP 668), then runs pytest.
    assert "python3 -m venv .venv" in run and ". .venv/bin/activate" in run
    assert run.rstrip().endswith('python -m pytest -q "$@"')
    assert "python3 -m pip" not in run  # the system Python refuses pip on Debian 12 and later


def test_the_docs_are_in_the_repository_and_every_link_resolves() -> None:
    readme = (REPO / "README.md").read_text()
    for name in ("risk-rubric.md", "data-model.md", "design.md"):
        assert f"](docs/{name})" in readme, f"README does not link docs/{name}"
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = page.read_text()
        assert "../shared" not in text and "reference/" not in text, f"{page.name} sends readers outside the repository"
        for target in re.findall(r"\]\(([^)#\s]+)", text):
            if "://" in target:
                continue
            resolved = (page.parent / target).resolve()
            assert resolved.is_relative_to(REPO) and resolved.exists(), f"{page.name}: broken link {target}"
