"""Any incident table -> incidents (not yet assessed), one source per row.

A `kind = "table"` remote (or `brief import FILE`) reads CSV, JSON (a list of records, or the list
under `records = "key"`), JSON Lines or Excel with pandas; `[remote.columns]` maps brief fields
to the table's columns:

    id, title, date (required); summary, url, severity, tags, nist, developer, deployer, models,
    kind, licence (optional). A list of columns joins them (tags = ["tags", "attack_vector"]).

List-valued cells (JSON lists, or "a; b" text) become lists. Each row's URL becomes a source
marked as *listed* by the data set: no analyst has read it. The data set's own severity is kept as
that source's rating (`source_ratings`), never as our risk level. Text is plain text, escaped so
that it prints literally, unless `markdown = ["summary"]` says the column holds Markdown. Dates
keep their precision (2023, 2023-04, 2023-04-15). Any bad row aborts the import (all or nothing).
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import math
import re
from pathlib import Path
from typing import Any, Iterable

from pydantic import BaseModel, ConfigDict, Field

from brief.core.errors import ConfigError, DataError, Location, Problem, SourceError
from brief.load.importers import Imported, Importer, RawFile, Stager, collect_files, plain_markdown, slug
from brief.load.model import ID_PATTERN, IncidentKind

FIELDS = (
    "id",
    "title",
    "date",
    "summary",
    "url",
    "severity",
    "tags",
    "nist",
    "rmf",
    "developer",
    "deployer",
    "models",
    "kind",
    "licence",
)
REQUIRED = ("id", "title", "date")
LIST_FIELDS = ("tags", "nist", "rmf", "models")
TEXT_FIELDS = ("summary", "title")  # fields that may be marked as Markdown
FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "excel", ".xlsm": "excel"}
KIND = "table"
"""The kind of [[remote]] this module reads, and the one `brief import FILE` uses."""
_ID_RE = re.compile(ID_PATTERN)
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ].*)?$")
DEFAULT_COLUMNS = {"id": "id", "title": "title", "date": "date", "summary": "description", "url": "url"}


def table_format(name: str) -> str | None:
    """Return the table format a file name promises (csv, json, jsonl, excel), or None."""
    lower = name.lower().split("?")[0]
    return next((fmt for ext, fmt in FORMATS.items() if lower.endswith(ext)), None)


def check_mapping(remote: str, columns: dict[str, Any], markdown: Iterable[str]) -> None:
    """Refuse a mapping naming fields brief does not have (with the nearest one), before any download."""
    for name in list(columns) + list(markdown):
        if name not in FIELDS:
            close = difflib.get_close_matches(name, FIELDS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"expected one of {', '.join(FIELDS)}"
            raise ConfigError(f"brief.toml: remote {remote!r}: columns: unknown brief field {name!r} ({hint})")
    for name in markdown:
        if name not in TEXT_FIELDS:
            raise ConfigError(
                f"brief.toml: remote {remote!r}: markdown: {name!r} cannot be Markdown (expected "
                f"{' or '.join(TEXT_FIELDS)})"
            )


def read_table(
    remote: str, raw: RawFile, records_key: str | None, sheet: str | None
) -> tuple[list[dict[str, Any]], str]:
    """Read one table file; return its rows as dicts (cells as pandas gives them) and how rows are numbered."""
    # pandas takes 0.3 s to import: only table imports load it
    import pandas as pd

    fmt = table_format(raw.source) or table_format(raw.name)
    if fmt is None:
        raise SourceError(
            f"remote {remote!r}: {raw.source}: not a table file (expected .csv, .json, .jsonl, .ndjson or .xlsx)"
        )
    try:
        if fmt == "csv":
            frame = pd.read_csv(raw.path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            return frame.to_dict("records"), "line"
        if fmt == "excel":
            frame = pd.read_excel(raw.path, sheet_name=sheet or 0, dtype=object)
            return frame.to_dict("records"), "row"
        if fmt == "jsonl":  # one record per line; read with json, as pandas would turn a "date" column into days
            rows = []
            for number, line in enumerate(raw.path.read_bytes().decode("utf-8-sig").splitlines(), 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except ValueError as exc:
                        raise SourceError(f"remote {remote!r}: {raw.source}:{number}: invalid JSON ({exc})") from None
                    if not isinstance(rows[-1], dict):
                        raise SourceError(
                            f"remote {remote!r}: {raw.source}:{number}: the line is not a JSON object of fields"
                        )
            return rows, "jsonl"
        doc = json.loads(raw.path.read_bytes().decode("utf-8-sig"))
    except ImportError as exc:  # openpyxl missing
        raise SourceError(
            f"remote {remote!r}: {raw.source}: cannot read Excel files ({exc}); install openpyxl"
        ) from None
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise SourceError(
            f"remote {remote!r}: {raw.source}: cannot read the {fmt.upper()} table ({' '.join(str(exc).split())[:200]})"
        ) from None
    except Exception as exc:  # pandas' parsers raise their own types (ParserError, EmptyDataError, BadZipFile ...)
        raise SourceError(
            f"remote {remote!r}: {raw.source}: cannot read the {fmt.upper()} table ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())[:200]})"
        ) from None
    if records_key is not None:
        if not isinstance(doc, dict) or records_key not in doc:
            keys = ", ".join(map(repr, list(doc)[:10])) if isinstance(doc, dict) else "none: the file holds a list"
            raise SourceError(
                f"remote {remote!r}: {raw.source}: no key {records_key!r} holding the records (keys: {keys})"
            )
        doc = doc[records_key]
    if not isinstance(doc, list):
        hint = (
            f" (set records = one of {', '.join(repr(k) for k, v in doc.items() if isinstance(v, list))})"
            if isinstance(doc, dict)
            else ""
        )
        raise SourceError(f"remote {remote!r}: {raw.source}: expected a list of records{hint}")
    bad = next((i for i, row in enumerate(doc) if not isinstance(row, dict)), None)
    if bad is not None:
        raise SourceError(f"remote {remote!r}: {raw.source}: record [{bad}] is not an object of fields")
    return doc, "index"


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    try:
        # pandas takes 0.3 s to import: only table imports load it
        import pandas as pd

        return value is pd.NaT
    except ImportError:  # pragma: no cover
        return False


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return " ".join(str(value).split()) if not isinstance(value, str) else value.strip()


def _items(value: Any) -> list[str]:
    """A list-valued cell: a list, a JSON list in text, or "a; b" / "a | b" text."""
    if _missing(value):
        return []
    if hasattr(value, "tolist"):  # numpy arrays from JSON Lines
        value = value.tolist()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, list):
                value = parsed
        if isinstance(value, str):
            value = re.split(r"\s*[;|]\s*", text)
    if not isinstance(value, (list, tuple)):
        value = [value]
    out: list[str] = []
    for item in value:
        if isinstance(item, (list, tuple)):
            out.extend(_items(item))
        elif not _missing(item):
            text = _text(item)
            if text and text not in out:
                out.append(text)
    return out


def parse_date(value: Any) -> str | None:
    """Return an ISO date at its precision (2023, 2023-04, 2023-04-15), or None when it is not a date."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp
        stamped: dt.date = value.to_pydatetime().date()
        return stamped.isoformat()
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and float(value).is_integer()
        and 1000 <= value <= 9999
    ):
        return f"{int(value):04d}"
    if not isinstance(value, str):
        return None
    m = _DATE_RE.match(value.strip())
    if not m:
        return None
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        if day:
            return dt.date(int(year), int(month), int(day)).isoformat()
        if month:
            if not 1 <= int(month) <= 12:
                return None
            return f"{year}-{int(month):02d}"
    except ValueError:
        return None
    return year


class _Row:
    def __init__(self, raw: RawFile, numbering: str, index: int, data: dict[str, Any], problems: list[Problem]):
        self.raw, self.numbering, self.index, self.data, self.problems = raw, numbering, index, data, problems

    def where(self, column: str) -> Location:
        if self.numbering == "line":  # CSV: the header is line 1 (a quoted cell over several lines shifts this)
            return Location(self.raw.source, self.index + 2, column)
        if self.numbering == "jsonl":
            return Location(self.raw.source, self.index + 1, column)
        if self.numbering == "row":  # Excel: the header is row 1
            return Location(self.raw.source, 0, f"row {self.index + 2}: {column}")
        return Location(self.raw.source, 0, f"[{self.index}].{column}")

    def bad(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.where(column), message))


def import_table(
    remote: str,
    files: list[RawFile],
    columns: dict[str, Any],
    *,
    records: str | None = None,
    id_prefix: str = "",
    markdown: Iterable[str] = (),
    sheet: str | None = None,
    title: str | None = None,
) -> Imported:
    """Turn incident tables into incidents (risk not assessed) and one listed source per row."""
    mapping = {**({} if columns else DEFAULT_COLUMNS), **columns}
    check_mapping(remote, mapping, markdown)
    marked = set(markdown)
    name = title or remote
    out = Imported()
    seen: dict[str, Location] = {}
    for raw in files:
        rows, numbering = read_table(remote, raw, records, sheet)
        header = list(dict.fromkeys(k for row in rows[:1000] for k in row)) if rows else []
        wanted = {f: ([c] if isinstance(c, str) else list(c)) for f, c in mapping.items()}
        if not rows:
            out.skipped.append(f"{raw.source}: the table has no rows")
            continue
        for field_, cols in wanted.items():
            for col in cols:
                if col not in header and (
                    field_ in REQUIRED or columns
                ):  # a default mapping's optional columns may be absent
                    close = difflib.get_close_matches(col, [str(h) for h in header], n=1)
                    hint = (
                        f"did you mean {close[0]!r}?"
                        if close
                        else f"the table has: {', '.join(map(str, header))[:300]}"
                    )
                    raise SourceError(
                        f"remote {remote!r}: {raw.source}: column {col!r} (mapped to {field_}) is not in the table "
                        f"({hint})"
                    )
        wanted = {f: [c for c in cols if c in header] for f, cols in wanted.items()}
        for index, data in enumerate(rows):
            row = _Row(raw, numbering, index, data, out.problems)
            incident, source = _incident(row, wanted, id_prefix, marked, name, remote)
            if incident is None:
                continue
            if incident["id"] in seen:
                row.bad(wanted["id"][0], f"duplicate id {incident['id']!r} (first at {seen[incident['id']]})")
                continue
            seen[incident["id"]] = row.where(wanted["id"][0])
            out.incidents.append(incident)
            out.sources.append(source)
    errors = [p for p in out.problems if p.is_error]
    if errors:
        raise DataError(
            out.problems,
            summary=(
                f"Aborted: remote {remote!r}: {len(errors)} error{'s' if len(errors) != 1 else ''} in the table; the "
                "previous data is unchanged."
            ),
        )
    return out


def _cell(row: _Row, cols: list[str]) -> Any:
    values = [row.data.get(c) for c in cols]
    values = [v for v in values if not _missing(v)]
    return values[0] if len(values) == 1 else (" ".join(_text(v) for v in values) if values else None)


def _incident(
    row: _Row, wanted: dict[str, list[str]], prefix: str, marked: set[str], name: str, remote: str
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    raw_id = _cell(row, wanted["id"])
    if raw_id is None:
        row.bad(wanted["id"][0], "row has no id")
        return None, {}
    ident = prefix + (_text(raw_id) if _ID_RE.match(_text(raw_id)) else slug(_text(raw_id), 100))
    if not _ID_RE.match(ident) or len(ident) > 120:
        row.bad(
            wanted["id"][0],
            f"id {ident!r} is not usable (expected lower-case letters, digits, '.', '_' or '-', at most 120 "
            "characters)",
        )
        return None, {}
    title_cell = _cell(row, wanted["title"])
    if title_cell is None:
        row.bad(wanted["title"][0], "row has no title")
        return None, {}
    day_cell = _cell(row, wanted["date"])
    day = parse_date(day_cell)
    if day is None:
        row.bad(wanted["date"][0], f"bad date {day_cell!r} (expected YYYY, YYYY-MM or YYYY-MM-DD)")
        return None, {}
    source_id = f"{ident}-listing"
    title = " ".join(_text(title_cell).split())
    incident: dict[str, Any] = {"id": ident, "title": title, "kind": "incident", "date": day}
    kind = _cell(row, wanted.get("kind", []))
    if kind is not None:
        value = _text(kind).lower().replace(" ", "-")
        if value not in {k.value for k in IncidentKind}:
            row.bad(wanted["kind"][0], f"unknown kind {_text(kind)!r} (expected incident, hazard or research-finding)")
            return None, {}
        incident["kind"] = value
    for field_ in ("developer", "deployer"):
        value = _cell(row, wanted.get(field_, []))
        if value is not None:
            incident[field_] = ", ".join(_items(value)) or _text(value)
    models = [m for c in wanted.get("models", []) for m in _items(row.data.get(c))]
    if models:
        incident["models"] = models
    summary_cell = _cell(row, wanted.get("summary", []))
    text = _text(summary_cell) if summary_cell is not None else ""
    if "summary" not in marked:
        text = plain_markdown(text)
    text = text or plain_markdown(title)
    # The marker goes before a final full stop, as pandoc and Chicago place a note's call.
    paragraphs = [
        f"{text[:-1]} [@{source_id}]." if text.endswith(".") and not text.endswith("\\.") else f"{text} [@{source_id}]"
    ]
    severity = _cell(row, wanted.get("severity", []))
    ratings = []
    if severity is not None:
        value = _text(severity)
        ratings.append({"source": source_id, "name": "severity", "value": value})
        paragraphs.append(
            f"{plain_markdown(name)} rates its severity “{plain_markdown(value)}” (the data set's rating, not this "
            f"unit's risk level) [@{source_id}]."
        )
    incident["summary"] = "\n\n".join(paragraphs)
    tags: dict[str, list[str]] = {
        "topics": [remote] + [t for c in wanted.get("tags", []) for t in _items(row.data.get(c)) if t != remote]
    }
    tags["topics"] = list(dict.fromkeys(tags["topics"]))
    for vocab in ("nist", "rmf"):  # controlled vocabularies: validate names a term that is not in them
        terms = [t for c in wanted.get(vocab, []) for t in _items(row.data.get(c))]
        if terms:
            tags[vocab] = list(dict.fromkeys(terms))
    incident["tags"] = tags
    if ratings:
        incident["source_ratings"] = ratings
    licence = _cell(row, wanted.get("licence", []))
    if licence is not None:
        incident["licence"] = _text(licence)
    incident["risk"] = None  # not yet assessed: an analyst writes data/assessments/<id>.yaml (brief assess)
    where = row.where(wanted["id"][0])
    source: dict[str, Any] = {
        "id": source_id,
        "type": "dataset",
        "title": f"{title} (record {_text(raw_id)})",
        "container-title": name,
        "reliability": "secondary",
        "verification": "listed",
        "checked": (
            f"Listed by the data set {name} ({where}, retrieved {row.raw.retrieved.isoformat()}); not read by an "
            "analyst."
        ),
        "issued": _csl_date(day),
        "accessed": {"date-parts": [[row.raw.retrieved.year, row.raw.retrieved.month, row.raw.retrieved.day]]},
    }
    url = _cell(row, wanted.get("url", []))
    if url is not None:
        url = _text(url)
        if url.lower().startswith(("https://", "http://")):
            source["URL"] = url
        else:
            row.bad(wanted["url"][0], f"{url[:60]!r} is not a web address (expected http:// or https://)")
            return None, {}
    elif row.raw.is_url:
        source["URL"] = row.raw.source
    if licence is not None:
        source["licence"] = _text(licence)
    return incident, source


def _csl_date(iso: str) -> dict[str, Any]:
    return {"date-parts": [[int(part) for part in iso.split("-")]]}


def default_remote_name(path: Path) -> str:
    """The remote name `brief import FILE` uses when brief.toml has none for it: the file's stem."""
    return slug(path.name.split(".")[0], 40).replace(".", "-") or "table"


class TableOptions(BaseModel):
    """The settings of a `kind = "table"` remote beyond the common ones."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str | list[str]] = Field(default_factory=dict)
    """brief field = source column (a list joins several columns), e.g. summary = "description"."""
    records: str | None = None
    """The key of a JSON object that holds the list of records."""
    id_prefix: str = ""
    """Put before each row's id, e.g. "genai-"."""
    markdown: list[str] = Field(default_factory=list)
    """brief fields whose column holds Markdown (the rest is plain text, printed literally)."""
    sheet: str | None = None
    """The Excel sheet to read (default: the first)."""
    title: str | None = None
    """The data set's name as printed in sources (default: the remote's name)."""


class TableImporter(Importer[TableOptions]):
    """`kind = "table"`: any incident table (CSV, JSON, JSON Lines, Excel), mapped by `[remote.columns]`."""

    kind = KIND
    summary = "any incident table (CSV, JSON, JSON Lines, Excel), its columns mapped by [remote.columns]"
    options = TableOptions

    def collect(self, stager: Stager, inputs: list[str]) -> list[RawFile]:
        """Stage each table (a folder stands for the table files in it)."""
        return collect_files(stager, inputs, tuple(FORMATS))

    def convert(self, remote: str, files: list[RawFile], options: TableOptions) -> Imported:
        """Return one incident and one listed source per row of the tables."""
        return import_table(
            remote,
            files,
            options.columns,
            records=options.records,
            id_prefix=options.id_prefix,
            markdown=options.markdown,
            sheet=options.sheet,
            title=options.title,
        )
