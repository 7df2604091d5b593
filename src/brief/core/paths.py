"""Where the files packaged with brief are: templates, data tables and the starter project.

In the wheel they sit inside the package (brief/templates, brief/data); in an editable install they
are the repository's own templates/ and data/ folders, two levels above src/brief. A project's own
copy in its data/ folder always wins over the packaged one.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
STARTER = PACKAGE / "starter"


def packaged(relative: str) -> Path:
    """Return a file or folder shipped with brief (`templates`, `data/rubric`, `data/vocab/mit.yaml` ...)."""
    bundled = PACKAGE / relative
    if bundled.exists():
        return bundled
    return PACKAGE.parent.parent / relative  # editable install: src/brief -> repository root


def table_path(data_dir: Path | str, relative: str) -> Path:
    """Return a data table: the project's data/ first, then the copy packaged with brief (`relative` to data/)."""
    local = Path(data_dir) / relative
    if local.is_file():
        return local
    shipped = packaged(f"data/{relative}")
    return shipped if shipped.is_file() else local
