"""The Jinja environment: project templates over packaged defaults, filters registered once.

Lookup order (MkDocs custom_dir / datasette style): the project's `templates/` first, then the
templates packaged with brief. `default:NAME` always loads the packaged template, so an override
can `{% extends "default:regulator/brief.html" %}` and replace a single block.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable, Mapping

import jinja2

from brief.core.errors import RenderError
from brief.core.paths import packaged


def packaged_templates() -> Path:
    """Return the folder of the default templates (inside the wheel, or the repo's templates/)."""
    return packaged("templates")


@functools.lru_cache(maxsize=8)
def _environment(project_dir: str | None) -> jinja2.Environment:
    default_dir = packaged_templates()
    searchpath = [d for d in (project_dir, str(default_dir)) if d]
    loader = jinja2.ChoiceLoader(
        [
            jinja2.PrefixLoader({"default": jinja2.FileSystemLoader(str(default_dir))}, delimiter=":"),
            jinja2.FileSystemLoader(searchpath),
        ]
    )
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    return env


def environment(project_templates: Path | None, filters: Mapping[str, Callable[..., object]]) -> jinja2.Environment:
    """Return a Jinja environment for a project with the given filters registered."""
    project_dir = str(project_templates) if project_templates and project_templates.is_dir() else None
    base = _environment(project_dir)
    env = base.overlay()
    env.filters.update(filters)
    return env


def select(env: jinja2.Environment, names: list[str]) -> tuple[jinja2.Template, list[str]]:
    """Return the first template of `names` that exists, and the names considered (for the record)."""
    try:
        return env.select_template(names), names
    except jinja2.TemplatesNotFound:
        raise RenderError(f"no template found; looked for {', '.join(names)}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"{exc.filename or exc.name}:{exc.lineno}: template syntax error: {exc.message}") from None


def template_source_dirs(project_templates: Path | None) -> list[Path]:
    """Return the folders templates and CSS may be read from (the renderer reads nothing else)."""
    dirs = [packaged_templates()]
    if project_templates and project_templates.is_dir():
        dirs.insert(0, project_templates)
    return dirs


def read_asset(project_templates: Path | None, name: str) -> str:
    """Return the text of a CSS or other asset, project override first."""
    for folder in template_source_dirs(project_templates):
        path = folder / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise RenderError(
        f"asset {name!r} not found in {', '.join(str(d) for d in template_source_dirs(project_templates))}"
    )
