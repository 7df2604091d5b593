"""The audiences a brief is written for: the one registry every module reads.

Each audience has a name (used on the command line, in briefs/*.yaml and in file names), the label
printed on its pages, its default marking (None: the brief's classification), a page budget that
`brief build` warns about, its place in lists, the template folder it renders from, and a relative
layout cost (pages of the default brief) so that long renders start first.

Adding an audience is one entry in REGISTRY plus `templates/<name>/brief.html` (docs/extending.md).
Every other module reads the audiences from here when it runs (NAMES is a view of REGISTRY, not a
copy), so an entry added at run time, as tests/test_extend_audience.py does, is known everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import overload


@dataclass(frozen=True)
class Audience:
    """One audience a brief is written for."""

    name: str
    label: str
    reader: str  # who it is for, in the index page and the help text
    pages: int | None  # page budget of the PDF; None: no budget
    marking: str | None = None  # default marking; None: the brief's classification
    weight: int = 1  # relative layout cost

    @property
    def template(self) -> str:
        """Return the template this audience renders from, relative to a templates folder."""
        return f"{self.name}/brief.html"


REGISTRY: dict[str, Audience] = {
    a.name: a
    for a in (
        Audience("regulator", "Regulator brief", "policy and enforcement staff", pages=24, weight=4),
        Audience("executive", "Executive brief", "decision makers with two minutes", pages=2, weight=1),
        Audience("technical", "Technical brief", "evaluators and standards bodies", pages=30, weight=3),
        Audience("public", "Public brief", "members of the public", pages=8, marking="PUBLIC", weight=2),
    )
}


class _Names(Sequence[str]):
    """The names in REGISTRY, in its order, read from it on every use (a view, never a stale copy)."""

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...

    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return tuple(REGISTRY)[index]

    def __len__(self) -> int:
        return len(REGISTRY)

    def __contains__(self, name: object) -> bool:
        return name in REGISTRY

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(REGISTRY))

    def __repr__(self) -> str:
        return repr(tuple(REGISTRY))


NAMES: Sequence[str] = _Names()
"""The audience names, in the order lists show them ("regulator", "executive", ...)."""


def get(name: str) -> Audience:
    """Return the audience called `name` (KeyError when there is none)."""
    return REGISTRY[name]


def label(name: str) -> str:
    """Return the label printed on an audience's pages ("Regulator brief")."""
    found = REGISTRY.get(name)
    return found.label if found else f"{name.capitalize()} brief"


def order(name: str) -> int:
    """Return the place of an audience in lists (unknown names last)."""
    return NAMES.index(name) if name in REGISTRY else len(NAMES)
