"""AI Incident Database snapshot CSVs -> incidents (not yet assessed) and their reports as sources.

`incidents.csv` is required; `reports.csv` (report_number, url, title, authors, source_domain,
date_published ...) becomes secondary sources cited in each incident's summary as
`[@aiid-report-<n>]`; `classifications_MIT.csv` (Incident ID, Risk Subdomain ...) becomes MIT AI
Risk Repository tags. List columns are JSON strings (`"[242,243]"`, `"[""uber""]"`); extra columns
are ignored. The files may also come inside a snapshot archive (.tar.bz2, .tar.gz, .zip).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel, ConfigDict, Field

from brief.core.errors import DataError, Location, Problem, SourceError
from brief.load.importers import Imported, Importer, RawFile, Stager, csl_date, is_url, parse_day, plain_markdown

INCIDENTS = "incidents.csv"
REPORTS = "reports.csv"
MIT = "classifications_MIT.csv"
WANTED = (INCIDENTS, REPORTS, MIT)
INCIDENT_COLUMNS = (
    "incident_id",
    "date",
    "reports",
    "Alleged deployer of AI system",
    "Alleged developer of AI system",
    "Alleged harmed or nearly harmed parties",
    "description",
    "title",
)
REPORT_COLUMNS = ("report_number", "url", "title")
MIT_COLUMNS = ("Incident ID", "Risk Subdomain")
MAX_MEMBER_BYTES = 512 * 2**20
"""Largest CSV taken out of a snapshot archive (uncompressed)."""
CITE_URL = "https://incidentdatabase.ai/cite/{id}"
_SUBDOMAIN = re.compile(r"^\s*(\d+\.\d+)")


@dataclass
class Filters:
    """Which incidents to import: listed ids and/or a date range (empty: all)."""

    ids: set[int] = field(default_factory=set)
    since: dt.date | None = None
    until: dt.date | None = None

    def keep(self, incident_id: int, day: dt.date) -> bool:
        if self.ids and incident_id not in self.ids:
            return False
        if self.since and day < self.since:
            return False
        return not (self.until and day > self.until)


@dataclass
class _Table:
    raw: RawFile
    member: str  # name inside an archive, or ""
    text: str

    @property
    def where(self) -> str:
        return f"{self.raw.source}!{self.member}" if self.member else self.raw.source


def import_aiid(remote: str, files: list[RawFile], filters: Filters) -> Imported:
    """Turn AIID snapshot CSVs into incidents (risk not assessed) and report sources."""
    tables = _find_tables(remote, files)
    if INCIDENTS not in tables:
        names = ", ".join(f.source for f in files) or "(nothing)"
        raise SourceError(
            f"remote {remote!r}: {names}: no {INCIDENTS} found (list it in urls, or point path at a snapshot folder "
            "or archive)"
        )
    out = Imported()
    reports = _reports(remote, tables.get(REPORTS), out) if REPORTS in tables else None
    mit = _mit(remote, tables.get(MIT), out) if MIT in tables else {}
    incidents_table = tables[INCIDENTS]
    used_reports: set[int] = set()
    for line, row in _rows(remote, incidents_table, INCIDENT_COLUMNS):
        incident = _incident(incidents_table, line, row, filters, reports, mit, used_reports, out)
        if incident is not None:
            out.incidents.append(incident)
    if reports is not None:
        out.sources.extend(reports[n] for n in sorted(used_reports))
    absent = sorted(filters.ids - {int(i["id"].removeprefix("aiid-")) for i in out.incidents})
    if absent:
        out.skipped.append(
            f"{incidents_table.where}: incident id(s) {', '.join(map(str, absent))} listed in this remote's table but "
            "not imported (not in the file, or outside since/until)"
        )
    elif not out.incidents and not out.problems:
        out.skipped.append(f"{incidents_table.where}: no incident matches this remote's since/until filter")
    if any(p.is_error for p in out.problems):
        raise DataError(
            out.problems,
            summary=(
                f"Aborted: remote {remote!r}: {sum(p.is_error for p in out.problems)} error(s) in the AIID files; the "
                "previous data is unchanged."
            ),
        )
    return out


def _find_tables(remote: str, files: list[RawFile]) -> dict[str, _Table]:
    tables: dict[str, _Table] = {}
    for raw in files:
        base = raw.source.rstrip("/").rsplit("/", 1)[-1].split("?")[0]
        if base in WANTED:
            tables[base] = _Table(raw, "", _decode(remote, raw.source, raw.path.read_bytes()))
            continue
        for member, data in _archive_members(remote, raw):
            name = member.rsplit("/", 1)[-1]
            if name in WANTED and name not in tables:
                tables[name] = _Table(raw, member, _decode(remote, f"{raw.source}!{member}", data))
    return tables


def _archive_members(remote: str, raw: RawFile) -> Iterator[tuple[str, bytes]]:
    """Yield (name, bytes) of the wanted CSVs inside a tar or zip snapshot; nothing is extracted to disk."""
    path = raw.path
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if info.filename.rsplit("/", 1)[-1] in WANTED:
                        _check_size(remote, raw, info.filename, info.file_size)
                        with archive.open(info) as handle:
                            yield info.filename, handle.read(MAX_MEMBER_BYTES + 1)
            return
        if tarfile.is_tarfile(path):
            with tarfile.open(path) as archive:
                for member in archive:
                    if member.isfile() and member.name.rsplit("/", 1)[-1] in WANTED:
                        _check_size(remote, raw, member.name, member.size)
                        extracted = archive.extractfile(member)
                        if extracted is not None:
                            yield member.name, extracted.read(MAX_MEMBER_BYTES + 1)
            return
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
        raise SourceError(f"remote {remote!r}: {raw.source}: cannot read the snapshot archive ({exc})") from None
    raise SourceError(
        f"remote {remote!r}: {raw.source}: not an AIID file (expected {', '.join(WANTED)} or a snapshot archive "
        "holding them)"
    )


def _check_size(remote: str, raw: RawFile, name: str, size: int) -> None:
    if size > MAX_MEMBER_BYTES:
        raise SourceError(
            f"remote {remote!r}: {raw.source}!{name}: {size} bytes uncompressed, over the {MAX_MEMBER_BYTES} byte limit"
        )


def _decode(remote: str, where: str, data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            f"remote {remote!r}: {where}: invalid CSV (not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    if "\x00" in text:
        raise SourceError(f"remote {remote!r}: {where}: invalid CSV (contains a NUL character; binary data?)")
    return text


def _rows(remote: str, table: _Table, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line, row) of a CSV; a missing required column or broken quoting is a SourceError."""
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max(old_limit, 64 * 2**20))  # reports.csv holds whole article texts
    try:
        reader = csv.reader(io.StringIO(table.text, newline=""), strict=True)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise SourceError(f"remote {remote!r}: {table.where}: invalid CSV (the file is empty)") from None
        missing = [c for c in required if c not in header]
        if missing:
            raise SourceError(
                f"remote {remote!r}: {table.where}: required column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(repr(c) for c in missing)} missing (the header has: {', '.join(header)[:300]})"
            )
        line = reader.line_num + 1
        for values in reader:
            if values and any(v.strip() for v in values):
                if len(values) != len(header):
                    raise SourceError(
                        f"remote {remote!r}: {table.where}:{line}: invalid CSV (row has {len(values)} cells, the "
                        f"header has {len(header)})"
                    )
                yield line, dict(zip(header, values))
            line = reader.line_num + 1
    except csv.Error as exc:
        raise SourceError(f"remote {remote!r}: {table.where}:{reader.line_num}: invalid CSV ({exc})") from None
    finally:
        csv.field_size_limit(old_limit)


def _json_list(text: str) -> list[Any] | None:
    """Parse a JSON list cell; an empty cell is an empty list; None when it is not a list."""
    text = (text or "").strip()
    if not text:
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, list) else None


def _incident(
    table: _Table,
    line: int,
    row: dict[str, str],
    filters: Filters,
    reports: dict[int, dict[str, Any]] | None,
    mit: dict[int, list[str]],
    used: set[int],
    out: Imported,
) -> dict[str, Any] | None:
    def bad(field_: str, message: str) -> None:
        out.problems.append(_problem(table, line, field_, message))

    try:
        number = int(row["incident_id"].strip())
    except ValueError:
        bad("incident_id", f"{row['incident_id']!r} is not a whole number")
        return None
    day = parse_day(row["date"])
    if day is None:
        bad("date", f"bad date {row['date']!r} (expected YYYY-MM-DD)")
        return None
    if not filters.keep(number, day):
        return None
    lists = {}
    for column in (
        "reports",
        "Alleged deployer of AI system",
        "Alleged developer of AI system",
        "Alleged harmed or nearly harmed parties",
    ):
        value = _json_list(row[column])
        if value is None:
            bad(column, f'{row[column][:60]!r} is not a JSON list (expected e.g. [1,2] or ["name"])')
            return None
        lists[column] = [str(v).strip() for v in value if str(v).strip()]
    title = " ".join(row["title"].split())
    if not title:
        bad("title", "incident has no title")
        return None
    description = plain_markdown(row["description"].strip()) or "(No description in the AI Incident Database.)"
    source_id = f"aiid-incident-{number}"
    # The marker goes before the final full stop, as pandoc and Chicago place a note's call.
    summary = [f"{description[:-1]} [@{source_id}]." if description.endswith(".") else f"{description} [@{source_id}]"]
    harmed = lists["Alleged harmed or nearly harmed parties"]
    if harmed:
        summary.append(f"Alleged harmed or nearly harmed parties: {plain_markdown(', '.join(harmed))} [@{source_id}].")
    numbers = []
    for text in lists["reports"]:
        try:
            numbers.append(int(text))
        except ValueError:
            bad("reports", f"report number {text!r} is not a whole number")
            return None
    cited = [n for n in numbers if reports is not None and n in reports]
    if cited:
        used.update(cited)
        summary.append("Reports: [" + "; ".join(f"@aiid-report-{n}" for n in cited) + "].")
    if len(numbers) > len(cited):  # no count in the text: a number the tool writes would trip the uncited-number check
        why = "reports.csv was not pulled" if reports is None else "they are not in reports.csv"
        summary.append(f"The AI Incident Database lists further reports on this incident ({why}) [@{source_id}].")
    out.sources.append(
        {
            "id": source_id,
            "type": "webpage",
            "title": f"Incident {number}: {title}",
            "container-title": "AI Incident Database",
            "URL": CITE_URL.format(id=number),
            "issued": csl_date(day),
            "accessed": csl_date(table.raw.retrieved),
            "reliability": "secondary",
            "verification": "listed",
            "checked": (
                f"Listed by the AI Incident Database ({table.where}, imported by brief pull on "
                f"{table.raw.retrieved.isoformat()}); not read by an analyst."
            ),
        }
    )
    incident: dict[str, Any] = {
        "id": f"aiid-{number}",
        "title": title,
        "kind": "incident",
        "date": day.isoformat(),
    }
    developer = ", ".join(lists["Alleged developer of AI system"])
    deployer = ", ".join(lists["Alleged deployer of AI system"])
    if developer:
        incident["developer"] = developer
    if deployer:
        incident["deployer"] = deployer
    incident["summary"] = "\n\n".join(summary)
    tags: dict[str, list[str]] = {"topics": ["aiid"]}
    if mit.get(number):
        tags["mit"] = mit[number]
    incident["tags"] = tags
    incident["risk"] = None  # not yet assessed: an analyst curates the rubric inputs
    return incident


def _problem(table: _Table, line: int, field_: str, message: str) -> Problem:
    return Problem(Location(table.where, line, field_), message)


def _reports(remote: str, table: _Table | None, out: Imported) -> dict[int, dict[str, Any]]:
    assert table is not None
    found: dict[int, dict[str, Any]] = {}
    for line, row in _rows(remote, table, REPORT_COLUMNS):
        try:
            number = int(row["report_number"].strip())
        except ValueError:
            out.problems.append(
                _problem(table, line, "report_number", f"{row['report_number']!r} is not a whole number")
            )
            continue
        title = " ".join(row["title"].split()) or f"AIID report {number}"
        item: dict[str, Any] = {
            "id": f"aiid-report-{number}",
            "type": "webpage",
            "title": title,
            "reliability": "secondary",
            "verification": "listed",
            "checked": (
                f"Listed as report {number} in the AI Incident Database ({table.where}, retrieved "
                f"{table.raw.retrieved.isoformat()}); not yet read by an analyst."
            ),
        }
        authors = _json_list(row.get("authors", ""))
        names = [str(a).strip() for a in authors or [] if str(a).strip()]
        if names:
            item["author"] = [{"literal": a} for a in names]
        if row.get("source_domain", "").strip():
            item["container-title"] = row["source_domain"].strip()
        day = parse_day(row.get("date_published"))
        if day:
            item["issued"] = csl_date(day)
        url = row["url"].strip()
        if url.lower().startswith(("https://", "http://")):
            item["URL"] = url
        item["accessed"] = csl_date(table.raw.retrieved)
        found[number] = item
    return found


def _mit(remote: str, table: _Table | None, out: Imported) -> dict[int, list[str]]:
    assert table is not None
    tags: dict[int, list[str]] = {}
    for line, row in _rows(remote, table, MIT_COLUMNS):
        try:
            number = int(row["Incident ID"].strip())
        except ValueError:
            out.problems.append(_problem(table, line, "Incident ID", f"{row['Incident ID']!r} is not a whole number"))
            continue
        values = _json_list(row["Risk Subdomain"])
        cells = [str(v) for v in values] if values else [row["Risk Subdomain"]]
        for cell in cells:
            m = _SUBDOMAIN.match(cell)
            if m and m.group(1) not in tags.setdefault(number, []):
                tags[number].append(m.group(1))
    return tags


class AiidOptions(BaseModel):
    """The settings of a `kind = "aiid"` remote beyond the common ones."""

    model_config = ConfigDict(extra="forbid")

    incidents: list[int] = Field(default_factory=list)
    """Import only these incident ids (empty: all, within since/until)."""
    since: dt.date | None = None
    """Import only incidents dated on or after this day."""
    until: dt.date | None = None
    """Import only incidents dated on or before this day."""


class AiidImporter(Importer[AiidOptions]):
    """`kind = "aiid"`: AI Incident Database snapshot CSVs (or a snapshot archive)."""

    kind = "aiid"
    summary = "AI Incident Database snapshot CSVs: incidents, their press reports as sources, MIT risk tags"
    options = AiidOptions

    def collect(self, stager: Stager, inputs: list[str]) -> list[RawFile]:
        """Stage each URL; a local folder stands for the snapshot CSVs found in it (the first of each name)."""
        if len(inputs) == 1 and not is_url(inputs[0]) and stager.local_path(inputs[0]).is_dir():
            folder = stager.local_path(inputs[0])
            out = []
            for wanted in WANTED:
                hits = sorted(folder.rglob(wanted))
                if hits:
                    out.append(stager.fetch(str(Path(inputs[0]) / hits[0].relative_to(folder).as_posix()), name=wanted))
            return out
        return [stager.fetch(location) for location in inputs]

    def convert(self, remote: str, files: list[RawFile], options: AiidOptions) -> Imported:
        """Return the incidents the options select and the report sources they cite."""
        return import_aiid(remote, files, Filters(set(options.incidents), options.since, options.until))
