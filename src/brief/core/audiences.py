"""The audiences a brief is written for: the one registry every module reads.

Each audience has a name (used on the command line, in briefs/*.yaml and in file names), the label
printed on its pages, its default marking (None: the brief's classification), a page budget that
`brief build` warns about, its place in lists, the template folder it renders from, and a relative
layout cost (pages of the default brief) so that long renders start first.

Adding an audience is one entry here plus `templates/<name>/brief.html`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Audience:
    name: str
    label: str
    reader: str  # who it is for, in the index page and the help text
    pages: int | None  # page budget of the PDF; None: no budget
    marking: str | None = None  # default marking; None: the brief's classification
    weight: int = 1  # relative layout cost

    @property
    def template(self) -> str:
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

NAMES: tuple[str, ...] = tuple(REGISTRY)


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
