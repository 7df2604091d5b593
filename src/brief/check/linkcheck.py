"""`brief check-links`: is every source URL still alive, where does it lead, has it changed?

Each source URL is fetched with the `brief pull` HTTP layer (timeouts, retries, size cap, scheme
rules), a few at a time, and never more than one request per host at once nor more often than
the politeness delay. Results go into data/captures/links.json, keyed by URL, which serves two
purposes: a cache (a URL checked within --max-age is not fetched again) and the record the build
reads to print an archived link next to a dead original (the build never touches the network).

Statuses: ok; redirected (the URL now leads elsewhere); changed (the body's SHA-256 differs from
the source's capture, with a word on whether the extracted text differs too); dead (HTTP 404 or
410); error (any other failure: timeout, refused connection, 403, 5xx after the retries); skipped
(no URL). Each line also says whether an archived copy is recorded in the source.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from brief.core.errors import HTTPStatusError, SourceError, UsageError
from brief.core.writer import atomic_write_text
from brief.load.capture import Capture, captures_dir, document_fetcher, load_captures, utc_stamp
from brief.load.config import Config
from brief.load.dataset import load_dataset
from brief.load.extract import extract
from brief.load.model import Source

LINKS_NAME = "links.json"
DEAD_STATUSES = frozenset({404, 410})
PROBLEM_STATUSES = ("dead", "changed", "error")
STATUS_ORDER = ("ok", "redirected", "changed", "dead", "error", "skipped")


def cache_path(config: Config) -> Path:
    """Return data/captures/links.json."""
    return captures_dir(config) / LINKS_NAME


def load_cache(config: Config) -> dict[str, dict[str, Any]]:
    """Return the cached results by URL ({} when there is no readable cache)."""
    path = cache_path(config)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    links = data.get("links") if isinstance(data, dict) else None
    return {k: v for k, v in links.items() if isinstance(v, dict)} if isinstance(links, dict) else {}


def save_cache(config: Config, links: dict[str, dict[str, Any]]) -> None:
    """Write links.json atomically, URLs sorted (diff-friendly)."""
    body = {"version": 1, "links": {url: links[url] for url in sorted(links)}}
    atomic_write_text(cache_path(config), json.dumps(body, indent=2, ensure_ascii=False) + "\n")


@dataclass
class LinkResult:
    """The check of one source's URL."""

    source: str
    url: str | None
    status: str  # ok | redirected | changed | dead | error | skipped
    detail: str = ""
    archived: str | None = None
    http_status: int | None = None
    final_url: str | None = None
    sha256: str | None = None
    capture_sha256: str | None = None
    text_changed: bool | None = None
    checked: str | None = None
    cached: bool = False

    def line(self) -> str:
        """Return the report line: `id: status: url (detail); archived copy`."""
        if self.status == "skipped":
            return f"{self.source}: skipped: {self.detail}"
        out = f"{self.source}: {self.status}: {self.url}"
        if self.status == "redirected":
            out += f" -> {self.final_url}"
        if self.detail:
            out += f" ({self.detail})"
        out += f"; archived copy: {self.archived}" if self.archived else "; no archived copy recorded"
        return out

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LinkReport:
    """Every source's result, in source-id order."""

    results: list[LinkResult]
    cache: str

    @property
    def failed(self) -> bool:
        return any(r.status in PROBLEM_STATUSES for r in self.results)

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for r in self.results if r.status == s) for s in STATUS_ORDER}

    def summary(self) -> str:
        counts = self.counts()
        parts = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        cached = sum(1 for r in self.results if r.cached)
        line = f"{len(self.results)} source{'s' if len(self.results) != 1 else ''}: {parts or 'nothing to check'}"
        line += f" ({cached} from the cache)." if cached else "."
        bare = [r for r in self.results if r.status in PROBLEM_STATUSES and not r.archived]
        if bare:
            line += (
                f" {len(bare)} dead, changed or failing link{'s have' if len(bare) != 1 else ' has'} no "
                "archived copy recorded."
            )
        return line

    def lines(self) -> list[str]:
        return [r.line() for r in self.results] + [self.summary()]

    def as_dict(self) -> dict[str, Any]:
        return {"results": [r.as_dict() for r in self.results], "summary": self.counts(), "cache": self.cache}


class _Hosts:
    """One request per host at a time, and at least `delay` seconds between two to the same host."""

    def __init__(self, delay: float):
        self.delay = delay
        self.locks: dict[str, threading.Lock] = {}
        self.last: dict[str, float] = {}
        self.guard = threading.Lock()

    def lock(self, host: str) -> threading.Lock:
        with self.guard:
            return self.locks.setdefault(host, threading.Lock())

    def wait(self, host: str) -> None:
        pause = self.last.get(host, float("-inf")) + self.delay - time.monotonic()
        if pause > 0:
            time.sleep(pause)

    def done(self, host: str) -> None:
        self.last[host] = time.monotonic()


def _fetch(
    url: str, hosts: _Hosts, options: dict[str, Any], previous: dict[str, Any] | None, today: str
) -> dict[str, Any]:
    """Fetch one URL politely and return its cache entry."""
    host = (urlsplit(url).hostname or "").lower()
    entry: dict[str, Any] = {
        "outcome": "error",
        "http_status": None,
        "final_url": None,
        "sha256": None,
        "text_sha256": None,
        "content_type": None,
        "bytes": None,
        "error": None,
        "dead_since": None,
    }
    with hosts.lock(host):
        hosts.wait(host)
        entry["checked"] = utc_stamp()
        fetcher = document_fetcher("check-links", **options)
        try:
            fetched = fetcher.get(url, fmt="document")
        except HTTPStatusError as exc:
            entry.update(http_status=exc.status, error=_cause(str(exc), url))
            if exc.status in DEAD_STATUSES:
                entry["outcome"] = "dead"
                entry["dead_since"] = (
                    (previous or {}).get("dead_since") if (previous or {}).get("outcome") == "dead" else today
                )
            return entry
        except SourceError as exc:
            entry["error"] = _cause(str(exc), url)
            return entry
        finally:
            fetcher.close()
            hosts.done(host)
    entry.update(
        outcome="ok",
        http_status=200,
        final_url=fetched.final_url,
        sha256=fetched.sha256,
        content_type=fetched.content_type,
        bytes=len(fetched.data),
    )
    try:
        entry["text_sha256"] = hashlib.sha256(
            extract(fetched.data, fetched.content_type, urlsplit(url).path).text.encode("utf-8")
        ).hexdigest()
    except SourceError:
        pass  # a body without readable text: the byte hash still tells a change
    return entry


def _cause(message: str, url: str) -> str:
    return message[len(url) + 2 :] if message.startswith(url + ": ") else message


def _fresh(entry: dict[str, Any] | None, now: dt.datetime, max_age: float) -> bool:
    if not entry or max_age <= 0 or "checked" not in entry or entry.get("outcome") == "error":
        return False  # failures are tried again on the next run; only answers are cached
    try:
        checked = dt.datetime.fromisoformat(str(entry["checked"]).replace("Z", "+00:00"))
    except ValueError:
        return False
    return 0 <= (now - checked).total_seconds() <= max_age


def classify(key: str, src: Source, entry: dict[str, Any], capture: Capture | None, cached: bool) -> LinkResult:
    """Turn a cache entry (and the source's capture) into the reported status."""
    result = LinkResult(
        key,
        src.URL,
        "ok",
        archived=src.archived,
        http_status=entry.get("http_status"),
        final_url=entry.get("final_url"),
        sha256=entry.get("sha256"),
        checked=entry.get("checked"),
        cached=cached,
    )
    outcome = entry.get("outcome")
    if outcome in ("dead", "error"):
        result.status = outcome
        result.detail = entry.get("error") or ""
        return result
    notes = []
    if capture is not None and entry.get("sha256"):
        result.capture_sha256 = capture.sha256
        same_kind = (capture.content_type or "") == (entry.get("content_type") or capture.content_type or "")
        if not same_kind:
            notes.append(
                (
                    f"not compared with the capture: it is {capture.content_type}, the URL now serves "
                    f"{entry.get('content_type')}"
                )
            )
        elif capture.sha256 != entry["sha256"]:
            result.status = "changed"
            result.text_changed = entry.get("text_sha256") != capture.text_sha256 if entry.get("text_sha256") else None
            words = {
                True: "the text differs",
                False: "the text is the same, only the bytes changed",
                None: "no text to compare",
            }[result.text_changed]
            notes.append(
                (
                    f"SHA-256 {entry['sha256'][:12]}… differs from the capture of {capture.retrieved[:10]}, "
                    f"{capture.sha256[:12]}…; {words}"
                )
            )
    if entry.get("final_url"):
        if result.status == "ok":
            result.status = "redirected"
        else:
            notes.append(f"redirected to {entry['final_url']}")
    result.detail = "; ".join(notes)
    return result


def check_links(
    config: Config,
    ids: list[str] | None = None,
    *,
    concurrency: int = 4,
    delay: float = 1.0,
    timeout: float = 10.0,
    retries: int = 1,
    max_bytes: int = 50 * 2**20,
    max_age: float = 24 * 3600,
    insecure: bool = False,
    now: dt.datetime | None = None,
) -> LinkReport:
    """Check the URLs of the given sources (default: all); update and return data/captures/links.json."""
    if concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    ds, _problems = load_dataset(config)
    unknown = [i for i in (ids or []) if i not in ds.sources]
    if unknown:
        raise UsageError(f"unknown source {unknown[0]!r} (see `brief list sources`)")
    keys = sorted(dict.fromkeys(ids)) if ids else sorted(ds.sources)
    captures, _bad = load_captures(config, with_text=False)
    cache = load_cache(config)
    now = now or dt.datetime.now(dt.timezone.utc)
    today = now.date().isoformat()

    by_url: dict[str, list[str]] = {}
    for key in keys:
        url = ds.sources[key].URL
        if url:
            by_url.setdefault(url, []).append(key)
    stale = [url for url in by_url if not _fresh(cache.get(url), now, max_age)]
    hosts = _Hosts(delay)
    options = {"timeout": timeout, "retries": retries, "max_bytes": max_bytes, "insecure": insecure}
    if stale:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(stale)), thread_name_prefix="check-links") as pool:
            entries = dict(zip(stale, pool.map(lambda u: _fetch(u, hosts, options, cache.get(u), today), stale)))
        for url, entry in entries.items():
            cache[url] = entry
    for url, sources in by_url.items():
        cache[url]["sources"] = sorted(
            set(sources) | set(cache[url].get("sources", [])) if url not in stale else set(sources)
        )
    if stale:
        save_cache(config, cache)

    results = []
    for key in keys:
        src = ds.sources[key]
        if not src.URL:
            results.append(LinkResult(key, None, "skipped", "no URL", archived=src.archived))
            continue
        results.append(classify(key, src, cache[src.URL], captures.get(key), cached=src.URL not in stale))
    return LinkReport(results, config.relative(cache_path(config)))
