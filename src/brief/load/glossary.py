"""The public brief's glossary: a term list (data/glossary.yaml) of which the brief shows the terms it uses.

The list is data: the project's `data/glossary.yaml` if it has one, else the one packaged with
brief (core.paths.table_path, as for the vocabularies). Each entry has a term, a plain definition
and optional aliases (plurals, other spellings). `used(terms, html)` returns the entries whose
term or an alias occurs in a text, and the entries their definitions use in turn, so that every
listed term a reader meets is defined, and only those.
"""

from __future__ import annotations

import functools
import html as htmllib
import re
from pathlib import Path
from typing import Iterable

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from brief.core.errors import DataError, Location, Problem
from brief.core.paths import table_path
from brief.load.model import GlossaryTerm
from brief.load.tables import read_lined
from brief.load.yamlio import line_of

GLOSSARY_FILE = "glossary.yaml"


def glossary_path(data_dir: Path | str) -> Path:
    """Return the glossary file: the project's data/glossary.yaml, else the packaged one."""
    return table_path(data_dir, GLOSSARY_FILE)


def problems(data_dir: Path | str) -> list[Problem]:
    """Return the problems of the glossary file (none when it reads as a list of valid terms)."""
    return _load(str(glossary_path(data_dir)), _mtime(glossary_path(data_dir)))[1]


def load(data_dir: Path | str) -> list[GlossaryTerm]:
    """Return the glossary's terms; raise DataError naming each bad entry's line."""
    path = glossary_path(data_dir)
    terms, found = _load(str(path), _mtime(path))
    if any(p.is_error for p in found):
        raise DataError(found)
    return terms


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


@functools.lru_cache(maxsize=8)
def _load(path: str, _mtime: float) -> tuple[list[GlossaryTerm], list[Problem]]:
    shown = _shown(Path(path))
    if not _mtime and not Path(path).is_file():
        return [], []  # no glossary: the public brief prints none
    try:
        doc = read_lined(Path(path), shown, what="glossary")
    except DataError as exc:
        return [], exc.problems
    if not isinstance(doc, list):
        return [], [
            Problem(Location(shown, 1), "expected a list of terms (- term: ..., definition: ..., aliases: [...])")
        ]
    terms: list[GlossaryTerm] = []
    found: list[Problem] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(doc):
        try:
            term = GlossaryTerm.model_validate(item)
        except ValidationError as exc:
            for err in exc.errors():
                loc = (index, *err["loc"])
                field = f"[{index}]" + "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in err["loc"])
                found.append(
                    Problem(Location(shown, line_of(doc, loc) or line_of(doc, (index,)), field), _message(err))
                )
            continue
        key = term.term.casefold()
        if key in seen:
            found.append(
                Problem(
                    Location(shown, line_of(doc, (index, "term")), f"[{index}].term"),
                    f"duplicate term {term.term!r} (first at entry {seen[key]})",
                )
            )
            continue
        seen[key] = index
        terms.append(term)
    return terms, found


def _message(err: ErrorDetails) -> str:
    if err["type"] == "missing":
        return "missing field (expected term, definition and optional aliases)"
    if err["type"] == "extra_forbidden":
        return "unknown field (expected term, definition or aliases)"
    return f"{err['msg']}"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def text_of(html: str) -> str:
    """Return the words of an HTML fragment (tags removed, entities decoded, spaces collapsed)."""
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _pattern(term: GlossaryTerm) -> re.Pattern[str]:
    forms = sorted({term.term, *term.aliases}, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(f) for f in forms) + r")(?![\w-])", re.IGNORECASE)


def uses(term: GlossaryTerm, text: str) -> bool:
    """Return whether `text` (plain text) uses the term or one of its aliases, as whole words."""
    return bool(_pattern(term).search(text))


def used(terms: Iterable[GlossaryTerm], html: str) -> list[GlossaryTerm]:
    """Return the terms an HTML text uses, with the terms their definitions use, alphabetically."""
    terms = list(terms)
    text = text_of(html)
    chosen = {t.term for t in terms if uses(t, text)}
    todo = [t for t in terms if t.term in chosen]
    while todo:  # a definition may use another term of the list: define that one too
        defined = todo.pop()
        for other in terms:
            if other.term not in chosen and uses(other, defined.definition):
                chosen.add(other.term)
                todo.append(other)
    return sorted((t for t in terms if t.term in chosen), key=lambda t: t.term.casefold())
