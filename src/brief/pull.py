"""`brief pull`: refresh data/remote/<name>/ from the remotes of brief.toml, all or nothing.

For each remote, in phases:

1. fetch every file into a staging folder data/remote/<name>.staging-XXXX/raw/ (conditional
   requests: an unchanged remote costs one 304 and changes nothing);
2. import: turn the raw files into records in brief's formats under staging/current/;
3. validate: load staging/current/ with the same models as the loader, check ids against the rest
   of the project and run the cross-record checks; any error aborts this remote;
4. write staging/lock.json (URL, retrieved_at, ETag/Last-Modified, sha256, bytes per file);
5. swap: rename the old folder aside, rename staging into place, delete the old one.

Until step 5 nothing outside the staging folder changes, so a failure at any point leaves the last
good data byte-identical. Nothing is ever written outside data/remote/.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import io
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import yaml

from brief.check.validate import check, log_warnings
from brief.core.errors import BriefError, ConfigError, DataError, Location, Problem, PullError, SourceError, UsageError
from brief.core.writer import check_name
from brief.load.config import Config, RemoteSettings
from brief.load.dataset import EVALUATION_COLUMNS, Dataset, load_dataset, load_folder
from brief.load.importers import Imported, RawFile, is_url, slug
from brief.load.importers.package import check_member_path
from brief.load.importers.table import KIND as TABLE
from brief.load.importers.table import default_remote_name, table_format
from brief.load.remote import LOCK_NAME, LOCK_VERSION, Fetcher, expected_format, read_local, read_lock

log = logging.getLogger(__name__)

IMPORTER_VERSION = 2  # 2: plain text escaped, sources marked listed, no uncited report count
"""Bump when an importer's output changes, so that the next pull re-imports unchanged downloads."""


@dataclass
class RemoteResult:
    """What pulling one remote did."""

    name: str
    kind: str
    status: str  # "updated", "unchanged" or "dry-run"
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # records now held, per type
    skipped: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """Return the one-line summary printed after a pull."""
        held = ", ".join(f"{n} {kind}" for kind, n in self.counts.items() if n) or "no records"
        if self.status == "unchanged":
            return (
                f"{self.name}: unchanged ({held}; {self.requests} request{'s' if self.requests != 1 else ''}, "
                f"{self.seconds:.2f} s)"
            )
        verb = "would be" if self.status == "dry-run" else "now"
        return (
            f"{self.name}: {self.new} new, {self.changed} changed, {self.unchanged} unchanged, {self.removed} removed "
            f"({verb} {held}; {self.requests} request{'s' if self.requests != 1 else ''}, {self.seconds:.2f} s)"
            + (" [dry run: nothing written]" if self.status == "dry-run" else "")
        )


# --- the command ---------------------------------------------------------------------------------


def pull(
    config: Config,
    names: list[str] | None = None,
    dry_run: bool = False,
    progress: bool = False,
    now: dt.datetime | None = None,
) -> list[RemoteResult]:
    """Pull the named remotes (default: all) into data/remote/; raise PullError if any failed."""
    remotes = select_remotes(config, names)
    results: list[RemoteResult] = []
    failures: list[tuple[str, BriefError]] = []
    with _progress_bar(progress) as hook:
        for remote in remotes:
            try:
                result = pull_remote(config, remote, dry_run=dry_run, progress=hook, now=now)
            except BriefError as exc:
                failures.append((remote.name, exc))
                continue
            results.append(result)
            log.info("%s", result.summary())
    if failures:
        raise PullError(failures, len(remotes))
    return results


def import_file(config: Config, file: Path, name: str | None = None, dry_run: bool = False) -> RemoteResult:
    """`brief import FILE`: import an incident table (CSV, JSON, JSON Lines, Excel) as a `kind = "table"` remote.

    The mapping comes from the [[remote]] named `name` (or the table remote whose path is this
    file); without one, columns named like brief's fields are taken as they are (description ->
    summary). The records land in data/remote/<name>/ all or nothing, with a lock file, as a pull."""
    path = file.expanduser()
    shown = path if path.is_absolute() else Path.cwd() / path
    if (
        not shown.is_file() and not path.is_absolute() and (config.root / path).is_file()
    ):  # relative to the project (-C)
        shown = config.root / path
    if not shown.is_file():
        raise UsageError(f"{file}: no such file")
    if table_format(shown.name) is None:
        raise UsageError(f"{file}: not a table file (expected .csv, .json, .jsonl, .ndjson or .xlsx)")
    tables = [r for r in config.remotes if r.kind == TABLE]
    if name is not None:
        remote = next((r for r in config.remotes if r.name == name), None)
        if remote is not None and remote.kind != TABLE:
            raise UsageError(f"remote {name!r} in brief.toml is kind = {remote.kind!r}, not a table")
        if remote is None:
            remote = RemoteSettings(name=name, kind=TABLE, path=str(shown))
    else:
        same = [r for r in tables if r.path and (config.root / r.path).resolve() == shown.resolve()]
        remote = same[0] if same else RemoteSettings(name=default_remote_name(shown), kind=TABLE, path=str(shown))
    remote = remote.model_copy(update={"path": str(shown.resolve()), "url": None, "urls": []})
    return pull_remote(config, remote, dry_run=dry_run)


def select_remotes(config: Config, names: list[str] | None) -> list[RemoteSettings]:
    """Return the remotes to pull: all of brief.toml's, or the named ones (unknown names are a usage error)."""
    if not config.remotes:
        raise ConfigError("brief.toml has no [[remote]] table: add one (name, kind, url) to pull from, see the README")
    if not names:
        return list(config.remotes)
    known = {r.name: r for r in config.remotes}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown remote {unknown[0]!r}: expected one of {', '.join(sorted(known))}")
    return [known[n] for n in dict.fromkeys(names)]


def pull_remote(
    config: Config,
    remote: RemoteSettings,
    dry_run: bool = False,
    progress: Callable[[str, int | None, int], None] | None = None,
    now: dt.datetime | None = None,
) -> RemoteResult:
    """Pull one remote all or nothing; return what changed."""
    started = time.perf_counter()
    now = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    inputs = _inputs(config, remote)
    root = config.data_dir / "remote"
    created_root = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    try:
        with remote_lock(root, remote.name):
            return _pull_locked(config, remote, root, created_root, dry_run, progress, now, started, inputs)
    finally:
        if (
            created_root and root.is_dir() and not any(root.iterdir())
        ):  # a dry run or a failed first pull leaves no trace
            with contextlib.suppress(OSError):
                root.rmdir()


@contextlib.contextmanager
def remote_lock(root: Path, name: str) -> Iterator[None]:
    """Hold data/remote/.<name>.lock while a remote is pulled: a second pull of it fails at once, with a message."""
    # POSIX only: loaded where the lock is taken
    import fcntl

    path = root / f".{name}.lock"
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise SourceError(
                f"remote {name!r} is being pulled by another brief process ({path.name} in data/remote/ is locked); "
                "wait for it to finish"
            ) from None
        try:
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                break  # still the lock file in place (not one a finished pull just removed)
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def _pull_locked(
    config: Config,
    remote: RemoteSettings,
    root: Path,
    created_root: bool,
    dry_run: bool,
    progress: Callable[[str, int | None, int], None] | None,
    now: dt.datetime,
    started: float,
    inputs: list[str],
) -> RemoteResult:
    _recover(root, remote.name)
    folder = root / remote.name
    old_lock = read_lock(folder)
    staging = Path(tempfile.mkdtemp(prefix=f"{remote.name}.staging-", dir=root))
    try:
        # 1. Fetch into staging/raw/.
        with Fetcher(
            remote.name,
            timeout=remote.timeout,
            retries=remote.retries,
            max_bytes=remote.max_bytes,
            insecure=remote.insecure,
            progress=progress,
        ) as fetcher:
            loader = _Downloader(config, remote, staging, folder, old_lock, fetcher, now)
            raw_files = remote.importer.collect(loader, inputs)
            requests_made = fetcher.requests_made
        settings = _settings_key(remote)
        if loader.all_unchanged and old_lock.get("settings") == settings and (folder / "current").is_dir():
            records = old_lock.get("records", {})
            return RemoteResult(
                remote.name,
                remote.kind,
                "unchanged",
                unchanged=len(records),
                counts=_count(records),
                requests=requests_made,
                seconds=time.perf_counter() - started,
            )

        # 2. Import into staging/current/.
        imported = remote.importer.convert(remote.name, raw_files, remote.options)
        _report_problems(remote, imported)
        for line in imported.skipped:
            log.warning("remote %r: %s", remote.name, line)
        origins = _write_current(staging / "current", imported, remote.name, config.relative(folder))

        # 3. Validate against the rest of the project.
        records = _validate(config, remote, staging, origins)

        # 4. Lock file.
        old_records = old_lock.get("records", {})
        result = RemoteResult(
            remote.name,
            remote.kind,
            "dry-run" if dry_run else "updated",
            skipped=imported.skipped,
            requests=requests_made,
            counts=_count(records),
        )
        result.new = sum(1 for k in records if k not in old_records)
        result.changed = sum(1 for k, h in records.items() if k in old_records and old_records[k] != h)
        result.unchanged = sum(1 for k, h in records.items() if old_records.get(k) == h)
        result.removed = sum(1 for k in old_records if k not in records)
        lock = {
            "lock_version": LOCK_VERSION,
            "remote": remote.name,
            "kind": remote.kind,
            "pulled_at": _iso(now),
            "settings": settings,
            "files": loader.entries,
            "records": records,
        }
        (staging / LOCK_NAME).write_text(json.dumps(lock, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

        # 5. Swap (not in a dry run).
        if not dry_run:
            _swap(root, remote.name, staging)
        result.seconds = time.perf_counter() - started
        return result
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
        if created_root and not any(root.iterdir()):  # a dry run or a failed first pull leaves no trace
            with contextlib.suppress(OSError):
                root.rmdir()


# --- inputs and downloads ------------------------------------------------------------------------


def _inputs(config: Config, remote: RemoteSettings) -> list[str]:
    given = [x for x in ([remote.url] if remote.url else []) + list(remote.urls)]
    if remote.path and given:
        raise ConfigError(f"brief.toml: remote {remote.name!r}: give url/urls or path, not both")
    if remote.path:
        return [remote.path]
    if not given:
        raise ConfigError(f"brief.toml: remote {remote.name!r}: give url, urls or path (where to pull from)")
    if len(set(given)) != len(given):
        raise ConfigError(f"brief.toml: remote {remote.name!r}: a URL is listed twice")
    remote.importer.check_inputs(remote.name, given)
    return given


class _Downloader:
    """Fetch (or read) files into staging/raw/, reusing the previous copy when the remote says 304."""

    def __init__(
        self,
        config: Config,
        remote: RemoteSettings,
        staging: Path,
        folder: Path,
        old_lock: dict[str, Any],
        fetcher: Fetcher,
        now: dt.datetime,
    ):
        self.config = config
        self.remote = remote
        self.name = remote.name
        self.raw_dir = staging / "raw"
        self.folder = folder
        self.fetcher = fetcher
        self.now = now
        self.old = {e.get("url") or e.get("path"): e for e in old_lock.get("files", []) if isinstance(e, dict)}
        self.by_sha = {e.get("sha256"): e for e in self.old.values()}
        self.entries: list[dict[str, Any]] = []
        self.all_unchanged = True
        self._names: set[str] = set()

    def local_path(self, location: str) -> Path:
        path = Path(location).expanduser()
        return path if path.is_absolute() else self.config.root / path

    def _previous(self, entry: dict[str, Any] | None, sha: str | None = None) -> Path | None:
        """Return the previous raw copy of an entry when it is still there and intact."""
        if not entry or not isinstance(entry.get("raw"), str):
            return None
        raw: str = entry["raw"]
        path = self.folder / raw
        if ".." in Path(raw).parts or not path.is_file():
            return None
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != (sha or entry.get("sha256")):
            return None
        return path

    def _raw_name(self, wanted: str) -> str:
        parts = [slug(p, 80) if not _SAFE_PART(p) else p for p in wanted.split("/") if p]
        name = "/".join(parts) or "file"
        base, k = name, 2
        while name.lower() in self._names:
            stem, dot, ext = base.rpartition(".")
            name = f"{stem}-{k}.{ext}" if dot else f"{base}-{k}"
            k += 1
        self._names.add(name.lower())
        return name

    def fetch(
        self,
        location: str,
        *,
        name: str | None = None,
        fmt: str | None = None,
        sha256: str | None = None,
        label: str | None = None,
    ) -> RawFile:
        """Stage one URL or local file under raw/; `sha256` (from a manifest) is checked."""
        raw_name = self._raw_name(name or location.rstrip("/").rsplit("/", 1)[-1].split("?")[0])
        target = self.raw_dir / raw_name
        target.parent.mkdir(parents=True, exist_ok=True)
        shown = label or location
        entry: dict[str, Any]
        if is_url(location):
            prev = self.old.get(location)
            reuse = self._previous(prev)
            if sha256 and sha256 in self.by_sha and self._previous(self.by_sha[sha256], sha256):
                # Content-addressed: the manifest names bytes we already hold.
                old_entry = self.by_sha[sha256]
                shutil.copyfile(self._previous(old_entry, sha256), target)  # type: ignore[arg-type]
                entry = {**old_entry, "url": location, "raw": f"raw/{raw_name}", "checked_at": _iso(self.now)}
                data_sha, size, retrieved = (
                    sha256,
                    target.stat().st_size,
                    _parse_iso(old_entry.get("retrieved_at")) or self.now,
                )
            else:
                got = self.fetcher.get(
                    location,
                    fmt=fmt or expected_format(location),
                    etag=prev.get("etag") if reuse and prev else None,
                    last_modified=prev.get("last_modified") if reuse and prev else None,
                )
                if got.not_modified and reuse is not None and prev is not None:
                    shutil.copyfile(reuse, target)
                    entry = {**prev, "raw": f"raw/{raw_name}", "checked_at": _iso(self.now)}
                    if got.etag:
                        entry["etag"] = got.etag
                    data_sha, size, retrieved = (
                        prev["sha256"],
                        prev["bytes"],
                        _parse_iso(prev.get("retrieved_at")) or self.now,
                    )
                else:
                    if got.not_modified:
                        raise SourceError(
                            f"remote {self.remote.name!r}: {location}: answered 304 Not Modified but the previous "
                            "copy is gone; pull again"
                        )
                    target.write_bytes(got.data)
                    data_sha, size, retrieved = got.sha256, len(got.data), self.now
                    entry = {
                        "url": location,
                        "raw": f"raw/{raw_name}",
                        "retrieved_at": _iso(self.now),
                        "checked_at": _iso(self.now),
                        "etag": got.etag,
                        "last_modified": got.last_modified,
                        "content_type": got.content_type,
                        "sha256": data_sha,
                        "bytes": size,
                    }
                    if not (prev and prev.get("sha256") == data_sha):
                        self.all_unchanged = False
                    elif prev:  # same bytes again (a server without validators): keep the first retrieval date
                        retrieved = _parse_iso(prev.get("retrieved_at")) or self.now
                        entry["retrieved_at"] = prev.get("retrieved_at")
        else:
            path = self.local_path(location)
            data = read_local(self.remote.name, path, self.remote.max_bytes)
            target.write_bytes(data)
            data_sha, size = hashlib.sha256(data).hexdigest(), len(data)
            prev = self.old.get(location)
            same = bool(prev and prev.get("sha256") == data_sha)
            retrieved = (_parse_iso(prev.get("retrieved_at")) if same and prev else None) or self.now
            if not same:
                self.all_unchanged = False
            entry = {
                "path": location,
                "raw": f"raw/{raw_name}",
                "retrieved_at": _iso(retrieved),
                "checked_at": _iso(self.now),
                "sha256": data_sha,
                "bytes": size,
            }
        if sha256 and data_sha != sha256:
            raise SourceError(
                f"remote {self.remote.name!r}: {location}: SHA-256 {data_sha[:16]}... does not match the manifest's "
                f"{sha256[:16]}... (changed or corrupted in transit)"
            )
        self.entries.append(entry)
        return RawFile(raw_name, shown, target, data_sha, size, retrieved, is_url(location))


def _SAFE_PART(part: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", part)) and part not in (".", "..")


def _report_problems(remote: RemoteSettings, imported: Imported) -> None:
    """Log the warnings an importer found; raise a DataError listing all it found when any is an error."""
    errors = sum(p.is_error for p in imported.problems)
    if not errors:
        log_warnings(imported.problems, log)
    else:
        raise DataError(
            imported.problems,
            summary=f"Aborted: remote {remote.name!r}: {errors} error{'s' if errors != 1 else ''} in the pulled files; "
            "the previous data is unchanged.",
        )


# --- staging: write, validate, swap --------------------------------------------------------------


def _write_current(current: Path, imported: Imported, name: str, final: str) -> dict[str, str]:
    """Write the imported records in brief's formats; return staged path -> the name shown in messages."""

    origins: dict[str, str] = {}
    dumper = _yaml_dumper()
    current.mkdir(parents=True)
    if imported.sources:
        items = sorted(imported.sources, key=lambda s: s["id"])
        (current / "sources.json").write_text(json.dumps(items, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        origins["sources.json"] = f"{final}/current/sources.json"
    for incident in imported.incidents:
        rel = f"incidents/{check_name(incident['id'], 'incident id')}.yaml"
        path = current / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            yaml.dump(incident, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8"
        )
        origins[rel] = f"{final}/current/{rel}"
    if imported.evaluations:
        buffer = io.StringIO(newline="")
        writer = csv.DictWriter(buffer, fieldnames=EVALUATION_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in imported.evaluations:
            writer.writerow({k: ("" if row.get(k) is None else row[k]) for k in EVALUATION_COLUMNS})
        rel = f"evaluations/{name}.csv"
        (current / "evaluations").mkdir(exist_ok=True)
        (current / rel).write_text(buffer.getvalue(), encoding="utf-8")
        origins[rel] = f"{final}/current/{rel}"
    for rel, data in imported.files.items():
        check_member_path(name, "staging", rel)
        path = current / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        origins[rel] = f"{final}/current/{rel}"
    return origins


def _yaml_dumper() -> Any:
    return getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # the C emitter: 15,000 incident files in seconds


def _validate(config: Config, remote: RemoteSettings, staging: Path, origins: dict[str, str]) -> dict[str, str]:
    """Load the staged records with the loader's models and check them against the project; return record hashes."""
    current = staging / "current"
    staged, problems = load_folder(config, current)
    base, _ = load_dataset(config)
    old_prefix = config.relative(config.data_dir / "remote" / remote.name) + "/"

    def mine(record: Any) -> bool:
        return bool(record.origin and record.origin.path.startswith(old_prefix))

    # The remote's previous copy is about to be replaced: it neither collides nor counts.
    sources = {k: v for k, v in base.sources.items() if not mine(v)}
    incidents = {k: v for k, v in base.incidents.items() if not mine(v)}
    evaluations = [e for e in base.evaluations if not mine(e)]
    for what, theirs, ours in (
        ("source", sources, staged.sources.values()),
        ("incident", incidents, staged.incidents.values()),
        ("evaluation", {e.id: e for e in evaluations}, staged.evaluations),
    ):
        for record in ours:
            if record.id in theirs and record.origin is not None:  # every staged record was loaded from a file
                problems.append(
                    Problem(
                        Location(record.origin.path, record.origin.line, "id"),
                        f"{what} id {record.id!r} is already used at {theirs[record.id].origin} "
                        f"(ids pulled from a remote must not collide with the project's)",
                    )
                )
    combined = Dataset(
        sources={**sources, **staged.sources},
        incidents={**incidents, **staged.incidents},
        evaluations=evaluations + staged.evaluations,
        recommendations=base.recommendations,
        briefs=base.briefs,
        broken=base.broken | staged.broken,
    )
    staged_prefix = config.relative(current) + "/"
    problems += [p for p in check(combined, config) if p.location.path.startswith(staged_prefix)]
    shown = [_relocate(p, staged_prefix, origins) for p in problems]
    errors = [p for p in shown if p.is_error]
    if errors:
        raise DataError(
            shown,
            summary=(
                f"Aborted: remote {remote.name!r}: {len(errors)} error{'s' if len(errors) != 1 else ''} in the pulled "
                "data."
            ),
        )

    log_warnings(shown, log)  # each, grouped by kind when many, or one count under -q
    records: dict[str, str] = {}
    for kind, items in (
        ("source", staged.sources.values()),
        ("incident", staged.incidents.values()),
        ("evaluation", staged.evaluations),
    ):
        for record in items:
            text = json.dumps(record.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
            records[f"{kind}:{record.id}"] = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return dict(sorted(records.items()))


def _relocate(problem: Problem, staged_prefix: str, origins: dict[str, str]) -> Problem:
    loc = problem.location
    if not loc.path.startswith(staged_prefix):
        return problem
    rel = loc.path[len(staged_prefix) :]
    return Problem(Location(origins.get(rel, rel), loc.line, loc.field), problem.message, problem.severity)


def _swap(root: Path, name: str, staging: Path) -> None:
    """Put staging in place of data/remote/<name>; the old folder stays whole until the new one is in."""
    target = root / name
    if target.exists():
        parked = Path(tempfile.mkdtemp(prefix=f"{name}.old-", dir=root))
        os.rename(target, parked / name)
        try:
            os.rename(staging, target)
        except OSError:
            os.rename(parked / name, target)
            raise
        shutil.rmtree(parked, ignore_errors=True)
    else:
        os.rename(staging, target)


def _recover(root: Path, name: str) -> None:
    """Put back a remote folder parked by a swap that was interrupted between its two renames."""
    target = root / name
    if target.exists():
        return
    for parked in sorted(root.glob(f"{name}.old-*"), key=lambda p: p.stat().st_mtime, reverse=True):
        if (parked / name).is_dir():
            os.rename(parked / name, target)
            shutil.rmtree(parked, ignore_errors=True)
            log.warning("remote %r: restored the previous data from an interrupted pull", name)
            return


def _settings_key(remote: RemoteSettings) -> dict[str, Any]:
    """The settings that shape the imported records: when they change, a 304 still re-imports."""
    return {
        "importer": IMPORTER_VERSION,
        "kind": remote.kind,
        "url": remote.url,
        "urls": list(remote.urls),
        "path": remote.path,
        "options": remote.options.model_dump(mode="json"),
    }


def _count(records: dict[str, str]) -> dict[str, int]:
    counts = {"incidents": 0, "sources": 0, "evaluations": 0}
    for key in records:
        kind = key.split(":", 1)[0] + "s"
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_iso(text: Any) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


# --- progress ------------------------------------------------------------------------------------


@contextlib.contextmanager
def _progress_bar(enabled: bool) -> Iterator[Callable[[str, int | None, int], None] | None]:
    """Yield a download-progress hook drawing a rich bar on stderr (None when off or not a terminal)."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    # progress bars are drawn on a terminal only; rich loads then
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    tasks: dict[str, Any] = {}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:

        def hook(url: str, total: int | None, done: int) -> None:
            if url not in tasks:
                tasks[url] = bar.add_task(url.rsplit("/", 1)[-1][:40] or url[:40], total=total)
            bar.update(tasks[url], completed=done, total=total)

        yield hook
