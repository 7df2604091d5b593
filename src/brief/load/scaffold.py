"""`brief init DIR`: a new brief project that builds on the first try.

The project gets brief.toml, one brief, a minimal real data set (one incident with its claims,
evaluation rows, sources and recommendations), the risk rubric tables copied from the package, and
an empty templates/ folder for overrides of the packaged templates.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from brief.core.errors import UsageError
from brief.core.paths import STARTER, packaged


def init_project(target: Path) -> list[Path]:
    """Create a brief project in `target` (new or empty); return the files written."""
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} already exists and is not an empty folder: choose a new folder for the project")
    written: list[Path] = []
    for path in sorted(STARTER.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            dest = target / path.relative_to(STARTER)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            written.append(dest)
    rubrics = packaged("data/rubric")
    for path in sorted(rubrics.glob("*.yaml")):
        dest = target / "data" / "rubric" / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        written.append(dest)
    (target / "templates").mkdir(parents=True, exist_ok=True)
    written.append(target / "templates")
    return written
