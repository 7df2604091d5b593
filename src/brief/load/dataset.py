"""Read data/ and briefs/ into typed records that remember file, line and field.

Loading never stops at the first bad file or row: every problem is collected and returned with
the records that did load, so `brief validate` can report everything at once.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import functools
import gc
import io
import logging
import marshal
import math
import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, TypeVar

import yaml
from pydantic import TypeAdapter, ValidationError

from brief.core.cache import MISSING, ContentCache, text_digest
from brief.core.cores import usable_cores
from brief.core.errors import Location, Problem
from brief.load.config import Config
from brief.load.model import BriefSpec, Evaluation, Incident, Recommendation, Record, SharedFieldsSet, Source
from brief.load.overlays import UPSTREAM_KEY, changed_fields, fingerprint, merge
from brief.load.tables import close_field, field_path, kind_of, message
from brief.load.yamlio import PLAIN_FORMAT, LinedDict, LinedList, YamlProblem, line_of, load_lined, load_plain

log = logging.getLogger(__name__)
R = TypeVar("R", bound=Record)  # the record class a call validates as

MAX_FILE_BYTES = 20 * 1024 * 1024
EVALUATION_COLUMNS = list(Evaluation.model_fields)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")  # OWASP CSV injection; a number may start with + or -
_CELL_SEP = "\x1f"  # joins a row's cells so one regex search finds a cell that may be a formula
_FORMULA_CELL = re.compile("\x1f[" + re.escape("".join(FORMULA_PREFIXES)) + "][^\x1f]")
FREEZE_AFTER = 200_000  # objects allocated while the collector was paused (see paused_gc)
RESERVED_CHARS = "\ue000\ue001\ue002"  # brief's own placeholders while rendering (render/html.py)
# Projects with at least this many YAML/JSON files keep their parsed documents in
# output/.cache/parse.marshal, keyed by content hash: parsing is most of a large project's load
# time. Small projects never write it, so their output/ holds only what builds publish.
PARSE_CACHE_MIN_FILES = 1000
PARSE_CACHE_MIN_BYTES = 2 * 2**20  # ... or a file at least this large
PARALLEL_PARSE_MIN = 500  # files missing from the parse cache before they are parsed in worker processes


@dataclass
class Dataset:
    """Everything under data/ and briefs/, keyed by id, with each record's origin."""

    sources: dict[str, Source] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    evaluations: list[Evaluation] = field(default_factory=list)
    recommendations: dict[str, Recommendation] = field(default_factory=dict)
    briefs: dict[str, BriefSpec] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)  # every file read, for hashing
    broken: set[str] = field(default_factory=set)  # ids of records that failed to load (no cascade errors)
    # Kinds ("sources", "evaluations", "recommendations") with a file that could not be read at
    # all: its ids are unknown, so references into that kind are not checked (no cascade errors).
    unreadable: set[str] = field(default_factory=set)

    _by_name: tuple[tuple[int, int], dict[str, list[int]]] | None = field(default=None, repr=False, compare=False)

    def evaluations_named(self, names: Iterable[str]) -> list[Evaluation]:
        """Return the evaluation rows whose `evaluation` is one of `names`, in data order."""
        # An index by name, made once (scanning every row per incident was 9.5 s of a 1,000-incident
        # compendium over 100,000 rows); made again if the list is replaced or grows.
        key = (id(self.evaluations), len(self.evaluations))
        if self._by_name is None or self._by_name[0] != key:
            index: dict[str, list[int]] = {}
            for i, row in enumerate(self.evaluations):
                index.setdefault(row.evaluation, []).append(i)
            self._by_name = (key, index)
        index = self._by_name[1]
        return [self.evaluations[i] for i in sorted(i for name in set(names) for i in index.get(name, ()))]


class _Lines:
    """One parsed file, whose line marks are parsed only when a line is asked for.

    Loading parses without line marks (`load_plain`), which is much faster; the lines of a record
    are needed only for a problem, or when a record's `origin` or `locate()` is asked for. Then the
    file is read again (its text is not kept: 100 MB at 15,000 incidents) and parsed with
    line marks, if it still has the content that was loaded; if it changed since, lines are unknown.
    `base` is where the loaded records sit in the document (e.g. ("references",) in CSL-YAML).
    """

    __slots__ = ("path", "digest", "base", "_tree")

    def __init__(self, path: Path, digest: bytes):
        self.path, self.digest = path, digest
        self.base: tuple[Any, ...] = ()
        self._tree: Any = None

    def at(self, prefix: tuple[Any, ...] = ()) -> Any:
        """Return the line-marked node at `prefix` (below `base`), parsing the file once."""
        if self._tree is None:
            self._tree = LinedDict()  # unknown lines, unless the file still holds what was loaded
            try:
                text = self.path.read_bytes().decode("utf-8-sig")
                if text_digest(text) == self.digest:
                    self._tree = load_lined(text)
            except (OSError, UnicodeDecodeError, YamlProblem):  # never let a line lookup fail a load
                pass
        try:
            return _subdoc(self._tree, self.base + prefix)
        except (KeyError, IndexError, TypeError):
            return None


class _Origin:
    """A record's Location whose line is looked up when first asked for (see Record.origin)."""

    __slots__ = ("path", "lines", "prefix")

    def __init__(self, path: str, lines: _Lines, prefix: tuple[Any, ...]):
        self.path, self.lines, self.prefix = path, lines, prefix

    def __call__(self) -> Location:
        node = self.lines.at(self.prefix)
        return Location(self.path, getattr(node, "line", 0) or line_of(self.lines.at(), self.prefix), "")


class _Doc:
    """A record's line-marked document, parsed when first asked for (see Record.locate)."""

    __slots__ = ("lines", "prefix")

    def __init__(self, lines: _Lines, prefix: tuple[Any, ...]):
        self.lines, self.prefix = lines, prefix

    def __call__(self) -> Any:
        return self.lines.at(self.prefix)


def yaml_version() -> str:
    return str(yaml.__version__)


class _Collector:
    """Collect problems while loading; one per bad field."""

    def __init__(self, config: Config):
        self.config = config
        self.problems: list[Problem] = []
        self.lines: dict[Path, _Lines] = {}
        self.folded: dict[int, dict[str, str]] = {}  # per id dict: lower-cased id -> id (case clashes)
        self._rel: dict[Path, str] = {}
        self.cache: ContentCache[Any] = ContentCache(  # parsed documents: whatever the files hold
            config.output_dir / ".cache" / "parse.marshal", yaml_version(), PLAIN_FORMAT
        )  # parsed documents
        self.fields_sets: dict[frozenset[str], SharedFieldsSet] = {}  # see Record.share_fields_set

    def rel(self, path: Path) -> str:
        """Return `path` as messages show it (Config.relative), resolving each folder once."""
        if path not in self._rel:
            folder = path.parent
            if folder not in self._rel:
                self._rel[folder] = self.config.relative(folder)
            shown = self._rel[folder]
            # Resolving a path costs a system call per part; a plain file in a resolved folder needs none.
            if os.path.isabs(shown) or path.is_symlink() or path.name in ("", ".", ".."):
                self._rel[path] = self.config.relative(path)
            else:
                self._rel[path] = path.name if shown == "." else f"{shown}/{path.name}"
        return self._rel[path]

    def line(self, path: Path, doc: Any, default: int = 1) -> int:
        """Return the line where a file's document starts."""
        if isinstance(doc, (LinedDict, LinedList)):
            return doc.line
        lines = self.lines.get(path)
        return getattr(lines.at(), "line", default) if lines is not None else default

    def add(self, path: Path, line: int, field_: str, message: str, severity: str = "error") -> None:
        self.problems.append(Problem(Location(self.rel(path), line, field_), message, severity))

    def read_text(self, path: Path) -> str | None:
        """Read a UTF-8 file (a BOM is accepted and dropped); report and return None when unusable."""
        try:
            with open(path, "rb") as fh:
                size = os.fstat(fh.fileno()).st_size
                if size > MAX_FILE_BYTES:
                    self.add(
                        path,
                        0,
                        "",
                        (
                            f"file is {size / 2**20:.1f} MB, larger than the {MAX_FILE_BYTES // 2**20} MB limit "
                            "for a data file"
                        ),
                    )
                    return None
                raw = fh.read()
        except OSError as exc:
            self.add(path, 0, "", f"cannot read file: {exc.strerror}")
            return None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.add(
                path,
                line,
                "",
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save the file as UTF-8",
            )
            return None
        if "\x00" in text:
            self.add(
                path, text[: text.index("\x00")].count("\n") + 1, "", "file contains a NUL character (binary data?)"
            )
            return None
        index = min((i for i in map(text.find, RESERVED_CHARS) if i >= 0), default=-1)
        if index >= 0:
            line = text[:index].count("\n") + 1
            self.add(
                path,
                line,
                "",
                (
                    f"file contains U+{ord(text[index]):04X}, a private-use character brief reserves for its "
                    "own markers (remove it)"
                ),
            )
            return None
        if not text.strip():
            self.add(path, 0, "", "file is empty")
            return None
        return text

    def parse(self, path: Path) -> Any:
        text = self.read_text(path)
        if text is None:
            return None
        digest = text_digest(text)
        doc = self.cache.get(digest)
        if (
            len(text) >= PARSE_CACHE_MIN_BYTES
        ):  # one large file (a sources.json of 60,000 items) is worth caching on its own
            self.cache.lookups += PARSE_CACHE_MIN_FILES
        if doc is MISSING:
            try:
                doc = load_plain(text)
            except YamlProblem as exc:  # never cached
                self.add(path, exc.line, "", exc.message)
                return None
            self.cache.put(digest, doc)
        self.lines[path] = _Lines(path, digest)
        if doc is None:  # only comments, or a lone `~`: never skip a file silently
            self.add(path, 1, "", "file holds no data (only comments or null)")
        return doc

    def preparse(self, paths: list[Path]) -> None:
        """Parse the files the parse cache lacks in worker processes, one per core, when there are many.

        Parsing is most of a cold load (15,000 incident files: 6.5 s on one core). Each
        worker returns the marshalled document, which goes into the cache; the load then reads it
        from there. A file that cannot be read or parsed is left to the load, which reports it."""
        workers = min(usable_cores(), 8)
        if workers < 2 or len(paths) < PARALLEL_PARSE_MIN:
            return
        todo: list[tuple[bytes, str]] = []
        for path in paths:
            try:
                text = path.read_bytes().decode("utf-8-sig")
            except (OSError, UnicodeDecodeError):
                continue
            digest = text_digest(text)
            if not self.cache.has(digest):
                todo.append((digest, text))
        if len(todo) < PARALLEL_PARSE_MIN:
            return

        try:
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
                blobs = list(
                    pool.map(_parse_to_blob, [text for _, text in todo], chunksize=max(1, len(todo) // (workers * 8)))
                )
        except (OSError, RuntimeError) as exc:  # no processes to be had: the load parses them itself
            log.debug("parsing in worker processes failed (%s); parsing in this one", exc)
            return
        for (digest, _text), blob in zip(todo, blobs):
            if blob is not None:
                self.cache.prime(digest, blob)

    def model(
        self, cls: type[R], data: Any, path: Path, prefix: tuple[Any, ...] = (), root: Any = None, line: int = 0
    ) -> R | None:
        """Validate `data` as `cls`; report each pydantic error at its line; return the record or None.

        `line` fixes the line for data without line marks (a CSV row)."""
        root = data if root is None else root
        lines = None if isinstance(root, (LinedDict, LinedList)) else self.lines.get(path)

        def line_at(loc: tuple[Any, ...]) -> int:  # the line marks of a fast-parsed file are read only here
            return line_of(lines.at(), loc) if lines is not None else line_of(root, loc)

        if not isinstance(data, dict):
            where = ".".join(str(p) for p in prefix)
            node = lines.at(prefix) if lines is not None else data
            self.add(
                path,
                getattr(node, "line", 0) or line_at(prefix),
                where,
                f"expected a mapping of fields, got {kind_of(data)}",
            )
            return None
        try:
            record = cls.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors()
            # A misspelt key is one problem: report the unknown key with its did-you-mean, not also the missing field.
            typos = {
                tuple(e["loc"][:-1]) + (hint,)
                for e in errors
                if e["type"] == "extra_forbidden" and (hint := close_field(cls, e["loc"]))
            }
            for err in errors:
                loc = tuple(err["loc"])
                if err["type"] == "missing" and loc in typos:
                    continue
                self.add(path, line or line_at(prefix + loc), field_path(prefix + loc), message(cls, err))
            return None
        return self._placed(record, self.rel(path), data, prefix, root, line, lines)

    def _placed(
        self, record: R, shown: str, data: Any, prefix: tuple[Any, ...], root: Any, line: int, lines: _Lines | None
    ) -> R:
        """Share a validated record's field names and give it its origin (its line found on demand when it can be)."""
        record.share_fields_set(self.fields_sets)
        if lines is not None and not line:
            return record.with_origin(_Origin(shown, lines, prefix), _Doc(lines, prefix))
        line = line or getattr(data, "line", 0) or line_of(root, prefix)
        doc = _subdoc(root, prefix) if isinstance(root, (LinedDict, LinedList)) else None
        return record.with_origin(Location(shown, line, ""), doc)

    def models(
        self,
        cls: type[R],
        items: list[Any],
        path: Path,
        prefixes: list[tuple[Any, ...]],
        root: Any = None,
        lines: list[int] | None = None,
    ) -> list[R | None]:
        """Validate the items of one file as `cls`: what `model` gives item by item, in one call.

        A file of plain mappings that all validate goes to pydantic-core at once (per-record calls
        were a fifth of loading 160,000 sources and rows); anything else, item by item."""
        at_lines = lines or [0] * len(items)
        if items and all(type(item) is dict for item in items):
            try:
                records = _list_adapter(cls).validate_python(items)
            except ValidationError:
                records = None
            if records is not None:  # plain mappings: no line marks in `root`, lines from the file
                shown, marks = self.rel(path), self.lines.get(path)
                return [
                    self._placed(record, shown, item, prefix, root, line, marks)
                    for record, item, prefix, line in zip(records, items, prefixes, at_lines)
                ]
        return [
            self.model(cls, item, path, prefix, root=root, line=line)
            for item, prefix, line in zip(items, prefixes, at_lines)
        ]


def _parse_to_blob(text: str) -> bytes | None:
    """Parse a data file's text in a worker process; return the marshalled document, or None."""
    try:
        return marshal.dumps(load_plain(text))
    except (YamlProblem, ValueError):  # a problem the load reports; a value marshal cannot write
        return None


@functools.cache
def _list_adapter(cls: type[R]) -> TypeAdapter[list[R]]:
    """Return the validator of a list of `cls` records, made once per class."""
    return TypeAdapter(list[cls])  # type: ignore[valid-type]  # a list of a class known only at run time


def _subdoc(root: Any, prefix: tuple[Any, ...]) -> Any:
    node = root
    for part in prefix:
        node = node[part]
    return node


# --- the loaders -------------------------------------------------------------------------------


def _load_sources(col: _Collector, ds: Dataset, folder: Path) -> None:
    paths = sorted(
        [folder / "sources.json", folder / "sources.yaml"]
        + sorted((folder / "sources").glob("*.json"))
        + sorted((folder / "sources").glob("*.yaml"))
    )
    for path in paths:
        if not path.is_file():
            continue
        ds.files.append(path)
        doc = col.parse(path)
        if doc is None:
            ds.unreadable.add("sources")
            continue
        if isinstance(doc, dict) and "references" in doc:  # CSL-YAML as pandoc writes it
            doc = doc["references"]
            if path in col.lines:
                col.lines[path].base = ("references",)
        if not isinstance(doc, list):
            col.add(path, col.line(path, doc), "", f"expected a list of CSL-JSON items, got {kind_of(doc)}")
            ds.unreadable.add("sources")
            continue
        for item, record in zip(doc, col.models(Source, doc, path, [(index,) for index in range(len(doc))], root=doc)):
            if record is None:
                _mark_broken(ds, item)
                continue
            _add_unique(col, ds.sources, record, path, "source")


def _listed(folder: Path, pattern: str) -> list[Path]:
    """Return the files of one folder matching `pattern`, by name (cheaper than sorting Paths)."""
    return sorted(folder.glob(pattern), key=lambda path: path.name)


def _mark_broken(ds: Dataset, item: Any, key: str = "id") -> None:
    """Remember the id of a record that failed to load, so references to it raise no second error."""
    if isinstance(item, dict) and isinstance(item.get(key), str):
        ds.broken.add(item[key])


def _add_unique(col: _Collector, into: dict[str, Any], record: Any, path: Path, what: str) -> None:
    key = record.id
    if key in into:
        first = into[key].origin
        col.add(path, record.origin.line, "id", f"duplicate {what} id {key!r} (first defined at {first})")
        return
    folded = col.folded.get(id(into))
    if folded is None or len(folded) != len(into):  # kept beside `into`, not rebuilt per record
        folded = col.folded[id(into)] = {k.lower(): k for k in into}
    if key.lower() in folded:
        col.add(
            path,
            record.origin.line,
            "id",
            f"{what} id {key!r} differs only in case from {folded[key.lower()]!r} (citation keys are case-insensitive)",
        )
        return
    into[key] = record
    folded[key.lower()] = key


def _incident_files(folder: Path) -> list[Path]:
    return _listed(folder, "*.yaml") + _listed(folder, "*.yml")


def _load_incidents(col: _Collector, ds: Dataset, folder: Path) -> None:
    for path in _incident_files(folder):
        ds.files.append(path)
        doc = col.parse(path)
        if doc is None:
            ds.broken.add(path.stem)
            continue
        record = col.model(Incident, doc, path)
        if record is None:
            ds.broken.add(path.stem)
            if isinstance(doc, dict) and isinstance(doc.get("id"), str):
                ds.broken.add(doc["id"])
            continue
        if path.stem != record.id:
            col.add(
                path,
                line_of(col.lines[path].at() if path in col.lines else doc, ("id",)),
                "id",
                f"id {record.id!r} does not match the file name {path.name!r} (expected {path.stem!r})",
                "warning",
            )
        _add_unique(col, ds.incidents, record, path, "incident")


def _load_evaluations(col: _Collector, ds: Dataset, folder: Path) -> None:
    seen: dict[str, Location | None] = {}
    for path in _listed(folder, "*.csv"):
        ds.files.append(path)
        text = col.read_text(path)
        if text is None:
            ds.unreadable.add("evaluations")
            continue
        before = len(col.problems)
        rows = read_csv_rows(
            col, path, text, EVALUATION_COLUMNS, required={"id", "evaluation", "model", "condition", "metric", "source"}
        )
        records = col.models(
            Evaluation, [data for _line, data in rows], path, [()] * len(rows), lines=[line for line, _data in rows]
        )
        for (line, _data), record in zip(rows, records):
            if record is None:
                continue
            if record.id in seen:
                col.add(path, line, "id", f"duplicate evaluation id {record.id!r} (first defined at {seen[record.id]})")
                continue
            seen[record.id] = record.origin
            ds.evaluations.append(record)
        if len(col.problems) > before:  # rows were dropped: incidents naming their evaluation raise no second error
            names = _column_values(text, "evaluation")
            if names is None:
                ds.unreadable.add("evaluations")
            ds.broken.update(names or ())


def _column_values(text: str, column: str) -> set[str] | None:
    """Return every value of one column in CSV text (None when there is no such column)."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        return None
    header = [h.strip() for h in rows[0]] if rows else []
    if column not in header:
        return None
    index = header.index(column)
    return {row[index].strip() for row in rows[1:] if len(row) > index and row[index].strip()}


def read_csv_rows(
    col: _Collector, path: Path, text: str, columns: list[str], required: set[str]
) -> list[tuple[int, dict[str, Any]]]:
    """Parse CSV text into (line, row) pairs with empty cells as None; report ragged rows and formulas."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        col.add(path, 1, "", f"cannot read the CSV header: {exc}")
        return []
    header = [h.strip() for h in header]
    unknown = [h for h in header if h not in columns]
    meant = set()
    for name in unknown:
        close = difflib.get_close_matches(name, columns, n=1)
        meant.update(close)
        col.add(
            path,
            1,
            name,
            f"unknown column {name!r}"
            + (f" (did you mean {close[0]!r}?)" if close else f" (expected columns: {', '.join(columns)})"),
        )
    dupes = sorted({h for h in header if header.count(h) > 1})
    for name in dupes:
        col.add(path, 1, name, f"column {name!r} appears {header.count(name)} times in the header (expected once)")
    missing = sorted(required - set(header) - meant)  # a misspelt column is reported once, as unknown
    for name in missing:
        col.add(path, 1, name, "required column is missing")
    if unknown or missing or dupes:
        return []
    rows = []
    end = reader.line_num
    try:
        for values in reader:
            line, end = end + 1, reader.line_num  # a quoted cell may span lines: report where the row starts
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                spans = end - line + 1
                hint = (
                    f"a quoted cell runs over {spans} lines: an unclosed '\"'?"
                    if spans > 1
                    else "a missing or extra comma?"
                )
                col.add(path, line, "", f"row has {len(values)} cells, the header has {len(header)} ({hint})")
                continue
            values = list(map(str.strip, values))
            bad = False
            if _FORMULA_CELL.search(_CELL_SEP + _CELL_SEP.join(values)):  # rare: then look cell by cell
                for name, value in zip(header, values):
                    if len(value) > 1 and value.startswith(FORMULA_PREFIXES) and not _is_number(value):
                        col.add(
                            path,
                            line,
                            name,
                            f"cell {value[:30]!r} looks like a spreadsheet formula (remove the leading {value[0]!r})",
                        )
                        bad = True
            if bad:
                continue
            data: dict[str, Any] = {name: value or None for name, value in zip(header, values)}
            for name in ("value", "interval_low", "interval_high"):
                if data.get(name) is not None and not _finite(data[name]):
                    col.add(path, line, name, f"{data[name]!r} is not a finite number")
                    bad = True
            if not bad:
                rows.append((line, data))
    except csv.Error as exc:
        col.add(path, reader.line_num, "", f"invalid CSV: {exc}")
    return rows


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _finite(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return True  # not a number at all: the model reports it with its own message


def _load_recommendations(col: _Collector, ds: Dataset, folder: Path) -> None:
    paths = [folder / "recommendations.yaml"] + sorted((folder / "recommendations").glob("*.yaml"))
    for path in paths:
        if not path.is_file():
            continue
        ds.files.append(path)
        doc = col.parse(path)
        if doc is None:
            ds.unreadable.add("recommendations")
            continue
        if not isinstance(doc, list):
            col.add(path, col.line(path, doc), "", f"expected a list of recommendations, got {kind_of(doc)}")
            ds.unreadable.add("recommendations")
            continue
        for index, item in enumerate(doc):
            record = col.model(Recommendation, item, path, (index,), root=doc)
            if record is not None:
                _add_unique(col, ds.recommendations, record, path, "recommendation")
            else:
                _mark_broken(ds, item)


def _load_briefs(col: _Collector, ds: Dataset, folder: Path) -> None:
    for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
        ds.files.append(path)
        doc = col.parse(path)
        if doc is None:
            continue
        record = col.model(BriefSpec, doc, path)
        if record is not None:
            _add_unique(col, ds.briefs, record, path, "brief")


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large data set is loaded or checked.

    Loading allocates hundreds of thousands of records and frees almost none, so every collection
    would rescan all of them: at 15,000 incidents that was half of `brief validate`.
    Reference counting still frees everything as usual; only cycles wait for the next collection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_count()[0] > FREEZE_AFTER:
                # Many long-lived objects: move them out of the collector's sight, or the first
                # collection after this rescans them all (1 s at 15,000 incidents).
                gc.freeze()
            gc.enable()


def load_dataset(config: Config, overlays: bool = True) -> tuple[Dataset, list[Problem]]:
    """Load every record under data/ and briefs/; return them with every problem found.

    `overlays=False`: the incidents as pulled or curated, without data/assessments/ merged over them."""
    with paused_gc():
        return _load_dataset(config, overlays)


def _load_assessments(col: _Collector, ds: Dataset, folder: Path) -> None:
    """Merge each data/assessments/<id>.yaml over the incident it assesses (load/overlays.py)."""
    if not folder.is_dir():
        return
    for path in _incident_files(folder):
        ds.files.append(path)
        doc = col.parse(path)
        if doc is None:
            continue

        def top(doc: Any = doc, path: Path = path) -> Any:  # line marks only for a problem
            return col.lines[path].at() if path in col.lines else doc

        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            col.add(
                path,
                col.line(path, doc),
                "id",
                "an assessment needs `id:` naming the incident it assesses (expected a mapping with id)",
            )
            continue
        key = doc["id"]
        if path.stem != key:
            col.add(
                path,
                line_of(top(), ("id",)),
                "id",
                f"id {key!r} does not match the file name {path.name!r} (expected {path.stem!r})",
                "warning",
            )
        base = ds.incidents.get(key)
        if base is None:
            if key not in ds.broken:
                col.add(
                    path,
                    line_of(top(), ("id",)),
                    "id",
                    (
                        f"assessment of incident {key!r}, which no pulled or curated record has (removed "
                        "upstream?): kept, not used"
                    ),
                    "warning",
                )
            continue
        upstream = fingerprint(base)
        merged, given = merge(base.model_dump(mode="json"), doc)
        record = col.model(Incident, merged, path)
        if record is None:
            continue  # reported at the overlay's lines; the pulled record stays as it is
        place = Record.model_construct()
        place.__dict__.update(_origin=record.__dict__.get("_origin"), _doc=record.__dict__.get("_doc"))
        record.with_origin(base.__dict__.get("_origin"), base.__dict__.get("_doc"))  # type: ignore[arg-type]
        record.with_overlay(place, given)
        changed = changed_fields(doc.get(UPSTREAM_KEY), upstream)
        if changed is None:
            col.add(
                path,
                line_of(top(), (UPSTREAM_KEY,)),
                UPSTREAM_KEY,
                (
                    f"records no upstream state: run `brief assess {key} --accept-upstream` after checking it "
                    "against the pulled record"
                ),
                "warning",
            )
        elif changed:
            record.__dict__["_reassess"] = tuple(changed)
            col.add(
                path,
                line_of(top(), (UPSTREAM_KEY,)),
                UPSTREAM_KEY,
                f"the pulled record of {key!r} changed since this assessment was written ({', '.join(changed)}): "
                f"reassess, then run `brief assess {key} --accept-upstream`",
                "warning",
            )
        ds.incidents[key] = record


def _load_dataset(config: Config, overlays: bool = True) -> tuple[Dataset, list[Problem]]:
    col = _Collector(config)
    ds = Dataset()
    data = config.data_dir
    if not data.is_dir():
        col.add(
            data, 0, "", "data folder not found (expected sources, incidents/, evaluations/ and recommendations.yaml)"
        )
        return ds, col.problems
    # First, while this process is small (worker processes start as copies of it): parse the
    # incident files the cache lacks, in parallel when there are many.
    col.preparse(
        _incident_files(data / "incidents")
        + [p for d in remote_folders(data) for p in _incident_files(d / "incidents")]
    )
    _load_sources(col, ds, data)
    _load_incidents(col, ds, data / "incidents")
    _load_evaluations(col, ds, data / "evaluations")
    _load_recommendations(col, ds, data)
    _load_briefs(col, ds, config.briefs_dir)
    for remote_dir in remote_folders(data):
        _load_remote(col, ds, remote_dir)
    if overlays:
        _load_assessments(col, ds, data / "assessments")
    col.cache.save(PARSE_CACHE_MIN_FILES)
    return ds, col.problems


# A remote's folder is named after it (config.py's pattern); `brief pull` stages into
# `<name>.staging-*` and parks the previous copy in `<name>.old-*`, which must never load.
REMOTE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def remote_folders(data: Path) -> list[Path]:
    """Return the `current/` folders of the pulled remotes under data/remote/, by name."""
    root = data / "remote"
    if not root.is_dir():
        return []
    return [d / "current" for d in sorted(root.iterdir()) if REMOTE_NAME.fullmatch(d.name) and (d / "current").is_dir()]


def _load_remote(col: _Collector, ds: Dataset, folder: Path) -> None:
    _load_sources(col, ds, folder)
    _load_incidents(col, ds, folder / "incidents")
    _load_evaluations(col, ds, folder / "evaluations")


def load_folder(config: Config, folder: Path) -> tuple[Dataset, list[Problem]]:
    """Load one remote-shaped folder (sources.json, incidents/, evaluations/) on its own."""
    col = _Collector(config)
    ds = Dataset()
    col.preparse(_incident_files(folder / "incidents"))  # an imported table: thousands of incident files
    _load_remote(col, ds, folder)
    return ds, col.problems


__all__ = [
    "Dataset",
    "load_dataset",
    "paused_gc",
    "load_folder",
    "read_csv_rows",
    "remote_folders",
    "LinedDict",
    "LinedList",
]
