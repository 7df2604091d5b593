"""A new audience is one registry entry plus its templates: a toy one, built end to end.

Copy this file to add an audience: the entry goes into REGISTRY in src/brief/core/audiences.py (here
it is added for the test only) and its template into templates/<name>/brief.html (here the temporary
project's own templates/ folder). docs/extending.md walks through it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import BRIEF, write_project
from typer.testing import CliRunner

from brief.cli import app
from brief.core import audiences
from brief.core.audiences import Audience

TOY = Audience("toy", "Toy brief", "readers of the extension guide", pages=1, marking="TOY MARKING")

# The smallest useful template: the house page (base.html) with the brief's title and bottom line.
TOY_TEMPLATE = """\
{% extends "base.html" %}
{% block body %}
<header class="masthead" aria-label="Title">
<p class="kicker">{{ audience_label }} · Edition {{ edition.id }}</p>
<h1>{{ brief.title }}</h1>
</header>
<section id="bottom-line" class="chapter unnumbered" aria-labelledby="bottom-line-h">
<h2 id="bottom-line-h">Bottom line</h2>
{{ brief.bottom_line|md }}
</section>
{% endblock %}
"""


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> Audience:
    """Register the toy audience for this test only (monkeypatch removes it afterwards)."""
    monkeypatch.setitem(audiences.REGISTRY, TOY.name, TOY)
    return TOY


def toy_project(root: Path) -> Path:
    """The minimal test project, its brief written for the toy audience too, with the toy's template."""
    brief = BRIEF.replace("audiences: [regulator]", "audiences: [regulator, toy]")
    return write_project(root, {"briefs/example.yaml": brief, "templates/toy/brief.html": TOY_TEMPLATE})


def brief(root: Path, *args: str) -> str:
    result = CliRunner().invoke(app, [*args, "--project", str(root)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_toy_audience_builds_to_html_and_pdf_and_is_listed_on_the_index(toy: Audience, tmp_path: Path) -> None:
    root = toy_project(tmp_path / "proj")
    brief(root, "validate")

    brief(root, "build", "--audience", toy.name, "--date", "2026-11-26", "--quiet")

    edition = root / "output" / "example" / "2026-11"
    html = (edition / "example-toy.html").read_text(encoding="utf-8")
    assert '<meta name="brief.template" content="toy/brief.html">' in html
    assert '<p class="kicker">Toy brief · Edition 2026-11</p>' in html  # the registry's label
    assert "<p>TOY MARKING</p>" in html  # the registry's default marking
    assert "<h1>Example brief</h1>" in html and "The finding is conditional" in html
    assert (edition / "example-toy.pdf").read_bytes().startswith(b"%PDF-")
    index = (root / "output" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<th scope="row">Toy</th>\s*<td><a href="example/2026-11/example-toy\.pdf">PDF', index)
    assert 'href="example/2026-11/example-toy.html">HTML' in index


def test_the_toy_audience_is_known_wherever_audiences_are_checked(toy: Audience, tmp_path: Path) -> None:
    root = toy_project(tmp_path / "proj")
    with (root / "brief.toml").open("a", encoding="utf-8") as handle:
        handle.write('default_audience = "toy"\n')  # brief.toml's check of the default audience
    brief(root, "validate")
    assert toy.name in audiences.NAMES and audiences.order(toy.name) == len(audiences.NAMES) - 1
    result = CliRunner().invoke(app, ["build", "--audience", "toys", "--project", str(root)])
    assert result.exit_code != 0
    assert "unknown audience 'toys': expected one of regulator, executive, technical, public, toy or all" in (
        result.output
    )


def test_without_the_registry_entry_the_audience_is_unknown(tmp_path: Path) -> None:
    root = toy_project(tmp_path / "proj")
    result = CliRunner().invoke(app, ["validate", "--project", str(root)])
    assert result.exit_code == 1
    assert "unknown audience 'toy'" in result.output
