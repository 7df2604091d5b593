"""`brief capture`: fetch a source (or read a local copy) and keep its text under data/captures/.

A capture is the evidence a quote is checked against (brief.check.evidence) and the baseline a link is
compared with (brief.check.linkcheck). Each source has one folder, written atomically, metadata last:

    data/captures/<source-id>/text.txt       the readable text; a PDF's pages separated by form feeds
    data/captures/<source-id>/capture.json   URL (or file), retrieval time, content type, SHA-256 and
                                             byte count of what was fetched, SHA-256 of text.txt

Only the text is kept, not the fetched bytes: the hash shows later whether the source changed.
Capturing touches the network; `brief build` never does, it only reads these files.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from brief import __version__
from brief.core.errors import BriefError, Location, Problem, SourceError, UsageError
from brief.core.writer import OutputRoot, check_name
from brief.load.config import Config
from brief.load.dataset import load_dataset
from brief.load.extract import PAGE_BREAK, extract, sniff
from brief.load.model import Source
from brief.load.remote import Fetcher

CAPTURES_DIR = "captures"
META_NAME = "capture.json"
TEXT_NAME = "text.txt"
DEFAULT_MAX_BYTES = 50 * 2**20
CONTENT_TYPES = {"pdf": "application/pdf", "html": "text/html", "text": "text/plain"}


@dataclass
class Capture:
    """One stored capture of a source: where and when it came from, and its text."""

    source: str
    url: str | None
    retrieved: str  # ISO 8601, UTC ("2026-11-20T09:30:00Z")
    content_type: str | None
    sha256: str  # of the fetched (or read) bytes
    bytes: int
    text_sha256: str  # of text.txt (UTF-8)
    pages: int | None  # number of PDF pages; None for HTML and plain text
    extractor: str
    file: str | None = None  # name of the local file it was read from (brief capture --file)
    tool: str = f"brief {__version__}"
    text: str = field(default="", repr=False)

    def meta(self) -> dict[str, Any]:
        """Return the capture.json content."""
        data = asdict(self)
        data.pop("text")
        return data

    @property
    def page_texts(self) -> list[str]:
        """Return the text page by page (one page for HTML and plain text)."""
        return self.text.split(PAGE_BREAK) if self.pages else [self.text]

    @property
    def date(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.retrieved[:10])
        except ValueError:
            return None

    @property
    def origin(self) -> str:
        """Return what was captured: the file name for a local copy, else the URL."""
        return f"file {self.file}" if self.file else str(self.url)


def captures_dir(config: Config) -> Path:
    """Return data/captures/ of the project."""
    return config.data_dir / CAPTURES_DIR


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_captures(config: Config, with_text: bool = True) -> tuple[dict[str, Capture], list[Problem]]:
    """Read every capture under data/captures/; report unreadable or tampered ones as problems."""
    found: dict[str, Capture] = {}
    problems: list[Problem] = []
    root = captures_dir(config)
    if not root.is_dir():
        return found, problems
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        meta_path, text_path = folder / META_NAME, folder / TEXT_NAME
        where = Location(config.relative(meta_path))
        if not meta_path.is_file():
            problems.append(
                Problem(
                    where,
                    (
                        f"capture folder without {META_NAME} (an interrupted capture?): capture again with "
                        f"`brief capture {folder.name} --replace`, or remove the folder"
                    ),
                    "warning",
                )
            )
            continue
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            capture = Capture(**{k: meta[k] for k in Capture.__dataclass_fields__ if k in meta and k != "text"})
        except (OSError, ValueError, TypeError) as exc:
            problems.append(
                Problem(
                    where,
                    (
                        f"unreadable capture metadata ({str(exc)[:120]}): capture again with `brief capture "
                        f"{folder.name} --replace`"
                    ),
                )
            )
            continue
        if capture.source != folder.name:
            problems.append(
                Problem(
                    Location(where.path, 0, "source"),
                    (
                        f"capture of {capture.source!r} stored in the folder of {folder.name!r} (expected the "
                        "folder named after the source id)"
                    ),
                )
            )
            continue
        if with_text:
            try:
                capture.text = text_path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(
                    Problem(
                        Location(config.relative(text_path)),
                        (
                            f"cannot read the captured text ({exc}): capture again with `brief capture "
                            f"{folder.name} --replace`"
                        ),
                    )
                )
                continue
            if sha256_text(capture.text) != capture.text_sha256:
                problems.append(
                    Problem(
                        Location(config.relative(text_path)),
                        (
                            f"captured text does not match its SHA-256 in {META_NAME} (edited by hand?): a "
                            f"capture must stay as fetched; capture again with `brief capture {folder.name} "
                            "--replace`"
                        ),
                    )
                )
                continue
        found[capture.source] = capture
    return found, problems


def write_capture(config: Config, capture: Capture) -> Path:
    """Write a capture atomically (text first, metadata last) and return its folder."""
    folder = OutputRoot(captures_dir(config)).child(check_name(capture.source, "source id"))
    folder.write_text(TEXT_NAME, capture.text)
    folder.write_text(META_NAME, json.dumps(capture.meta(), indent=2, ensure_ascii=False) + "\n")
    return folder.root


def make_capture(
    source: str, data: bytes, *, url: str | None, content_type: str | None, retrieved: str, file: str | None = None
) -> Capture:
    """Extract the text of `data` and return the capture (not yet written)."""
    ctype = (content_type or "").split(";")[0].strip().lower() or CONTENT_TYPES[sniff(data, None, file or "")]
    extracted = extract(data, content_type, file or urlsplit(url or "").path)
    text = extracted.text
    if not text.strip():
        raise SourceError("no text could be extracted (a scanned PDF without a text layer, or a page built by script?)")
    return Capture(
        source=source,
        url=url,
        retrieved=retrieved,
        content_type=ctype,
        sha256=hashlib.sha256(data).hexdigest(),
        bytes=len(data),
        text_sha256=sha256_text(text),
        pages=len(extracted.pages) if extracted.paged else None,
        extractor=extracted.extractor,
        file=file,
        text=text,
    )


def utc_stamp(moment: dt.datetime | None = None) -> str:
    """Return an ISO 8601 UTC timestamp to the second ("2026-11-20T09:30:00Z")."""
    moment = moment or dt.datetime.now(dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_retrieved(value: str) -> str:
    """Return a --retrieved value (YYYY-MM-DD or an ISO date and time) as a UTC timestamp."""
    try:
        if len(value) == 10:
            return utc_stamp(dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.timezone.utc))
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return utc_stamp(moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc))
    except ValueError:
        raise UsageError(f"--retrieved {value!r} is not a date (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)") from None


def document_fetcher(label: str, *, timeout: float, retries: int, max_bytes: int, insecure: bool) -> Fetcher:
    """Return the `brief pull` Fetcher set up for web pages, with messages worded for these commands."""

    class DocumentFetcher(Fetcher):
        hints = {
            "raise max_bytes in this remote's table": "raise it with --max-bytes",
            "set insecure = true in this remote's table": "pass --insecure",
            "`path =` for a local file": "--file for a local copy",
        }

        def fail(self, url: str, cause: str) -> SourceError:
            for old, new in self.hints.items():
                cause = cause.replace(old, new)
            return SourceError(f"{url}: {cause}")

    return DocumentFetcher(label, timeout=timeout, retries=retries, max_bytes=max_bytes, insecure=insecure)


@dataclass
class CaptureResult:
    """What happened to one source: captured, skipped or failed, in one line."""

    source: str
    status: str  # captured | skipped | failed
    detail: str
    capture: Capture | None = None

    def __str__(self) -> str:
        return f"{self.source}: {self.status}: {self.detail}"


def describe(capture: Capture) -> str:
    """Return '(application/pdf, 3 pages, 2048 bytes, SHA-256 0123456789ab…)'."""
    size = (
        f"{capture.pages} page{'s' if capture.pages != 1 else ''}"
        if capture.pages
        else f"{len(capture.text)} characters"
    )
    return f"({capture.content_type}, {size}, {capture.bytes} bytes, SHA-256 {capture.sha256[:12]}…)"


def capture_sources(
    config: Config,
    ids: list[str] | None = None,
    *,
    all_sources: bool = False,
    file: Path | None = None,
    replace: bool = False,
    retrieved: str | None = None,
    timeout: float = 30.0,
    retries: int = 2,
    max_bytes: int = DEFAULT_MAX_BYTES,
    insecure: bool = False,
    delay: float = 1.0,
    progress: Callable[[int, int, str], object] | None = None,
) -> list[CaptureResult]:
    """Capture the given sources (or every source with a URL) into data/captures/; one result each."""
    ids = list(dict.fromkeys(ids or []))
    if all_sources and ids:
        raise UsageError("give source ids or --all, not both")
    if not all_sources and not ids:
        raise UsageError("name the sources to capture (brief capture SOURCE_ID ...) or pass --all")
    if file is not None and (all_sources or len(ids) != 1):
        raise UsageError("--file captures one source: brief capture SOURCE_ID --file PATH")
    if retrieved is not None and file is None:
        raise UsageError("--retrieved is for --file (a fetch records its own time)")
    ds, _problems = load_dataset(config)  # capture what loads; `brief validate` reports the rest
    unknown = [i for i in ids if i not in ds.sources]
    if unknown:
        close = difflib.get_close_matches(unknown[0], list(ds.sources), n=1)
        raise UsageError(
            f"unknown source {unknown[0]!r}"
            + (f" (did you mean {close[0]!r}?)" if close else " (see `brief list sources`)")
        )
    existing, _bad = load_captures(config, with_text=False)
    results: list[CaptureResult] = []

    if file is not None:
        source = ds.sources[ids[0]]
        if ids[0] in existing and not replace:
            return [_exists(existing[ids[0]])]
        results.append(_capture_file(config, source, file, retrieved or utc_stamp(), max_bytes))
        return results

    chosen = sorted(ds.sources) if all_sources else ids
    last_request: dict[str, float] = {}
    fetcher = None
    try:
        for n, key in enumerate(chosen, 1):
            if progress is not None:  # (done, total, label): the CLI's bar or plain lines
                progress(n, len(chosen), key)
            source = ds.sources[key]
            if key in existing and not replace:
                results.append(_exists(existing[key]))
                continue
            if not source.URL:
                results.append(
                    CaptureResult(
                        key, "skipped", "no URL (add one to the source, or capture a local copy with --file PATH)"
                    )
                )
                continue
            if fetcher is None:
                fetcher = document_fetcher(
                    "capture", timeout=timeout, retries=retries, max_bytes=max_bytes, insecure=insecure
                )
            host = (urlsplit(source.URL).hostname or "").lower()
            wait = last_request.get(host, -1e9) + delay - time.monotonic()
            if wait > 0:  # politeness: one request per host per `delay` seconds
                time.sleep(wait)
            try:
                fetched = fetcher.get(source.URL, fmt="document")
                capture = make_capture(
                    key, fetched.data, url=source.URL, content_type=fetched.content_type, retrieved=utc_stamp()
                )
            except SourceError as exc:
                message = str(exc)
                results.append(
                    CaptureResult(
                        key, "failed", message if message.startswith(source.URL) else f"{source.URL}: {message}"
                    )
                )
                continue
            finally:
                last_request[host] = time.monotonic()
            write_capture(config, capture)
            moved = f"; redirected to {fetched.final_url}" if fetched.final_url else ""
            results.append(CaptureResult(key, "captured", f"{source.URL} {describe(capture)}{moved}", capture))
    finally:
        if fetcher is not None:
            fetcher.close()
    return results


def _exists(capture: Capture) -> CaptureResult:
    return CaptureResult(
        capture.source,
        "skipped",
        f"already captured on {capture.retrieved[:10]} (use --replace to capture it again)",
        capture,
    )


def _capture_file(config: Config, source: Source, path: Path, retrieved: str, max_bytes: int) -> CaptureResult:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(
                f"{path}: file is {size} bytes, larger than the {max_bytes}-byte limit (raise it with --max-bytes)"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise BriefError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        capture = make_capture(source.id, data, url=source.URL, content_type=None, retrieved=retrieved, file=path.name)
    except SourceError as exc:
        return CaptureResult(source.id, "failed", f"{path.name}: {exc}")
    write_capture(config, capture)
    return CaptureResult(source.id, "captured", f"file {path.name} {describe(capture)}", capture)
