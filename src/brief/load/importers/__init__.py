"""Importers for `brief pull`: turn pulled files into records in brief's own formats.

An importer is one `kind` of [[remote]] in brief.toml. It says which settings its [[remote]] table
takes beyond the common ones (`options`, a pydantic model), which files to stage (`collect`) and how
to turn them into records (`convert`): plain dicts (sources as CSL-JSON with our fields, incidents
as YAML-ready mappings, evaluation rows with the Evaluation columns) plus every problem found.
brief.pull writes them into the staging folder and validates them with the same models the loader
uses. brief.load.importers.registry lists the importers brief knows; docs/extending.md shows how to
add one.
"""

from __future__ import annotations

import datetime as dt
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict

from brief.core.errors import Location, Problem, SourceError


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
    """Return plain text as Markdown that prints it literally.

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


# --- the importer protocol -----------------------------------------------------------------------


class NoOptions(BaseModel):
    """The options of an importer that takes no settings beyond the common ones (name, kind, url...)."""

    model_config = ConfigDict(extra="forbid")


OptionsT = TypeVar("OptionsT", bound=BaseModel)


class Stager(Protocol):
    """What `Importer.collect` is given: stages one URL or local file under the remote's raw/ folder."""

    name: str
    """The remote's name, for messages."""

    def local_path(self, location: str) -> Path:
        """Return a local location as an absolute path (relative ones are read from the project root)."""
        ...

    def fetch(
        self, location: str, *, name: str | None = None, fmt: str | None = None, sha256: str | None = None
    ) -> RawFile:
        """Stage `location` as raw/<name> (default: its last part); return the staged file.

        `fmt` is the format the answer must have (json, csv...: default from the name); `sha256`, when
        given, must match. An unchanged URL costs one conditional request and reuses the last copy."""
        ...


class Importer(ABC, Generic[OptionsT]):
    """One kind of [[remote]]: the settings it takes, the files it stages and how it reads them.

    Subclasses set `kind` (the name brief.toml's `kind =` gives), `summary` (one line for the docs)
    and `options` (a pydantic model with extra="forbid" of the settings it takes beyond the common
    ones; NoOptions for none), and implement `collect` and `convert`."""

    kind: str
    summary: str
    options: type[OptionsT]

    def check_inputs(self, remote: str, inputs: list[str]) -> None:
        """Raise a ConfigError when this kind cannot take these inputs (checked before anything is fetched)."""

    @abstractmethod
    def collect(self, stager: Stager, inputs: list[str]) -> list[RawFile]:
        """Stage the remote's inputs (its URLs, or its one local path) with `stager`; return the staged files."""

    @abstractmethod
    def convert(self, remote: str, files: list[RawFile], options: OptionsT) -> Imported:
        """Return the records read from the staged files (raise a BriefError when they cannot be read)."""


def is_url(location: str) -> bool:
    """Return True when a remote's location is a URL rather than a local path."""
    return "://" in location or location.lower().startswith(("file:", "ftp:", "data:"))


def collect_files(stager: Stager, inputs: list[str], exts: tuple[str, ...]) -> list[RawFile]:
    """Stage each input; a local folder stands for every file in it (at any depth) whose name ends with `exts`."""
    out = []
    for location in inputs:
        if not is_url(location) and stager.local_path(location).is_dir():
            folder = stager.local_path(location)
            found = sorted(p for p in folder.rglob("*") if p.is_file() and p.name.lower().endswith(exts))
            if not found:
                raise SourceError(f"remote {stager.name!r}: {location}: no {' or '.join(exts)} files in this folder")
            for path in found:
                rel = path.relative_to(folder).as_posix()
                out.append(stager.fetch(str(Path(location) / rel), name=rel))
        else:
            out.append(stager.fetch(location))
    return out
