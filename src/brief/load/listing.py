"""`brief list`: the project's records as JSON-ready dicts or a plain table."""

from __future__ import annotations

import re
from typing import Any

from brief.core.errors import UsageError
from brief.load.config import Config
from brief.load.dataset import load_dataset
from brief.load.model import Record
from brief.load.remote import read_lock


def list_records(config: Config, kind: str) -> list[dict[str, Any]]:
    """Return the records of one kind as plain dicts, each with its origin (file and line)."""
    ds, _problems = load_dataset(config)
    records: list[tuple[Record, dict[str, Any]]]
    if kind == "briefs":
        records = [
            (b, b.model_dump(mode="json", exclude={"key_judgements", "bottom_line"})) for b in ds.briefs.values()
        ]
    elif kind == "incidents":
        records = []
        for inc in ds.incidents.values():
            row = inc.model_dump(mode="json", include={"id", "title", "kind", "date", "developer", "models", "tags"})
            row["claims"] = len(inc.claims)
            row["assessed"] = inc.assessed
            if inc.status:
                row["status"] = inc.status
            if inc.assessment_file:  # an assessment overlay: where each field comes from
                row["assessment"] = inc.assessment_file
                row["field_origins"] = {
                    name: inc.field_origin(name) for name in sorted(inc.model_fields_set | {"risk"})
                }
                if inc.reassess:
                    row["reassess"] = inc.reassess
            records.append((inc, row))
    elif kind == "sources":
        records = [(s, s.model_dump(mode="json", exclude_none=True)) for s in ds.sources.values()]
    elif kind == "evaluations":
        records = [(e, e.model_dump(mode="json")) for e in ds.evaluations]
    else:  # pragma: no cover - the CLI restricts the choice
        raise UsageError(f"unknown kind {kind!r}")
    out = []
    remotes = _RemoteOrigins(config)
    records.sort(key=lambda pair: natural_key(str(pair[1].get("id", ""))))
    for record, row in records:
        origin = record.origin
        row["origin"] = {"file": origin.path, "line": origin.line, **remotes.of(origin.path)} if origin else None
        out.append(row)
    return out


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key that orders the numbers inside ids by value: aiid-2 before aiid-10 before aiid-104."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)


class _RemoteOrigins:
    """Name the remote (and when it was pulled) for files under data/remote/<name>/."""

    def __init__(self, config: Config):
        self.prefix = config.relative(config.data_dir / "remote") + "/"
        self.root = config.data_dir / "remote"
        self.cache: dict[str, dict[str, Any]] = {}

    def of(self, path: str) -> dict[str, Any]:
        if not path.startswith(self.prefix):
            return {}
        name = path[len(self.prefix) :].split("/", 1)[0]
        if name not in self.cache:
            lock = read_lock(self.root / name)
            self.cache[name] = {"remote": name, "pulled_at": lock.get("pulled_at")}
        return self.cache[name]


COLUMNS = {
    "briefs": ("id", "title", "cadence", "classification"),
    "incidents": ("id", "date", "kind", "claims", "title"),
    "sources": ("id", "type", "reliability", "verification", "title"),
    "evaluations": ("id", "model", "metric", "value", "n", "source"),
}


def render_table(kind: str, records: list[dict[str, Any]]) -> str:
    """Return a plain-text table of the records' main columns."""
    columns = COLUMNS[kind]
    rows = [[_cell(r.get(c)) for c in columns] for r in records]
    widths = [max([len(c)] + [len(row[i]) for row in rows]) for i, c in enumerate(columns)]
    widths[-1] = min(widths[-1], 70)
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths)).rstrip()]
    for row in rows:
        lines.append("  ".join(v[:w].ljust(w) for v, w in zip(row, widths)).rstrip())
    lines.append(f"({len(rows)} {kind})")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
