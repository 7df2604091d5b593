"""Evaluation rows in brief's own CSV columns (those of data/evaluations/*.csv).

The files are copied into data/remote/<name>/current/evaluations/ as they are, so every problem the
loader finds names the same line as in the pulled file. Each row's `source` must be a source id the
project already has (curated in data/sources.json, or pulled by another remote).
"""

from __future__ import annotations

from brief.core.errors import SourceError
from brief.load.importers import Imported, Importer, NoOptions, RawFile, Stager, collect_files, slug


def import_rows(remote: str, files: list[RawFile]) -> Imported:
    """Stage each CSV file as current/evaluations/<name>.csv."""
    out = Imported()
    used: set[str] = set()
    for raw in files:
        data = raw.path.read_bytes()
        if not data.strip():
            raise SourceError(f"remote {remote!r}: {raw.source}: invalid CSV (the file is empty)")
        stem = slug(raw.name.rsplit("/", 1)[-1].removesuffix(".csv"), 80)
        name, k = stem, 2
        while name in used:
            name, k = f"{stem}-{k}", k + 1
        used.add(name)
        out.files[f"evaluations/{name}.csv"] = data
    return out


class CsvImporter(Importer[NoOptions]):
    """`kind = "csv"`: evaluation rows in brief's own CSV columns."""

    kind = "csv"
    summary = "evaluation rows in the columns of data/evaluations/*.csv"
    options = NoOptions

    def collect(self, stager: Stager, inputs: list[str]) -> list[RawFile]:
        """Stage each CSV file (a folder stands for the .csv files in it)."""
        return collect_files(stager, inputs, (".csv",))

    def convert(self, remote: str, files: list[RawFile], options: NoOptions) -> Imported:
        """Return each CSV file staged as an evaluations file."""
        return import_rows(remote, files)
