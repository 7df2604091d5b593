"""Wording shared by every error message: the "did you mean" hint for a name that is not known."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def suggest(name: str, known: Iterable[str], *, n: int = 2, cutoff: float = 0.6) -> str:
    """Return " (did you mean 'a' or 'b'?)" for the known names closest to `name`, else ""."""
    close = difflib.get_close_matches(name, list(known), n=n, cutoff=cutoff)
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
