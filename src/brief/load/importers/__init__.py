"""Importers for `brief pull`: turn pulled files into records in brief's own formats.

Each importer takes the raw files of one remote and returns plain dicts (sources as CSL-JSON with
our fields, incidents as YAML-ready mappings, evaluation rows with the Evaluation columns) plus
every problem found. brief.pull writes them into the staging folder and validates them with the
same models the loader uses.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brief.core.errors import Location, Problem


@dataclass
class RawFile:
    """One pulled file, staged under raw/: where it came from and when it was retrieved."""

    name: str  # path under raw/
    source: str  # the URL or local path as written in brief.toml (or the manifest)
    path: Path  # the staged copy
    sha256: str
    size: int
    retrieved_at: dt.datetime
    is_url: bool

    @property
    def retrieved(self) -> dt.date:
        return self.retrieved_at.date()

    def problem(self, line: int, field_: str, message: str, severity: str = "error") -> Problem:
        """Return a problem located in this file as the user knows it (its URL or path)."""
        return Problem(Location(self.source, line, field_), message, severity)


@dataclass
class Imported:
    """What an importer produced for one remote."""

    sources: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    evaluations: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)  # current/<path> -> bytes, copied as they are
    problems: list[Problem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line per input left out, and why


def csl_date(day: dt.date) -> dict[str, Any]:
    """Return a CSL-JSON date for a day."""
    return {"date-parts": [[day.year, day.month, day.day]]}


_SLUG_BAD = re.compile(r"[^a-z0-9._-]+")


def slug(text: str, limit: int = 60) -> str:
    """Return text as an id fragment: lower case, [a-z0-9._-] only, no leading punctuation."""
    out = _SLUG_BAD.sub("-", text.lower()).strip("-._")
    return out[:limit].rstrip("-._") or "x"


def parse_day(text: str | None) -> dt.date | None:
    """Return the day of an ISO date or date-time string ('2018-11-16', '2018-11-16T00:00:00Z')."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


# Characters Markdown (CommonMark) or our citation markers read anywhere in a line, and the
# constructs they start at a line's beginning (lists, quotes, setext underlines, numbered lists).
_MD_INLINE = re.compile(r"([\\`*_\[\]{}<>#@|~!&$^])")
_MD_LINE_START = re.compile(r"^([ \t]*)([-+=>]|\d+[.)])(?=\s|$)", re.M)


def plain_markdown(text: str) -> str:
    """Return plain text as Markdown that prints it literally (issue 15).

    Imported descriptions are plain text: `__proto__` must not print as bold, "### Impact" must not
    become a heading, "@leanprover/x" or "[@x]" must not be read as a citation. Every character
    Markdown or a citation marker reads is backslash-escaped; leading indentation (a code block) is
    dropped; paragraphs (blank lines) are kept, single line breaks join into one line."""
    paragraphs = [
        " ".join(line.strip() for line in block.splitlines() if line.strip())
        for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    ]
    out = []
    for para in paragraphs:
        if not para:
            continue
        para = _MD_INLINE.sub(r"\\\1", para)
        para = _MD_LINE_START.sub(
            lambda m: (
                m.group(1) + "\\" + m.group(2)
                if not m.group(2)[0].isdigit()
                else m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1]
            ),
            para,
        )
        out.append(para)
    return "\n\n".join(out)
