"""The importers `brief pull` knows, by kind: the one list that brief.toml's `kind =`, `brief pull` and
the docs read.

Adding an importer is one module with an `Importer` subclass plus one entry here (docs/extending.md).
"""

from __future__ import annotations

from typing import Any

from brief.core.words import suggest
from brief.load.importers import Importer
from brief.load.importers.aiid import AiidImporter
from brief.load.importers.csvrows import CsvImporter
from brief.load.importers.inspect_logs import InspectImporter
from brief.load.importers.package import PackageImporter
from brief.load.importers.table import TableImporter

REGISTRY: dict[str, Importer[Any]] = {
    importer.kind: importer
    for importer in (PackageImporter(), AiidImporter(), InspectImporter(), CsvImporter(), TableImporter())
}


def kinds() -> tuple[str, ...]:
    """Return the kinds of [[remote]] brief can pull, in the order the docs list them."""
    return tuple(REGISTRY)


def unknown_kind(kind: str) -> str:
    """Return the message for a kind no importer has: the nearest kind, then every kind."""
    return f"unknown kind {kind!r}{suggest(kind, REGISTRY)}: expected one of {', '.join(REGISTRY)}"


def get(kind: str) -> Importer[Any]:
    """Return the importer of `kind` (KeyError when there is none)."""
    return REGISTRY[kind]
