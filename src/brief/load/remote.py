"""HTTP for `brief pull`: guarded downloads with timeouts, retries, a size cap and conditional requests.

Every failure is one SourceError line naming the remote, the URL and the cause. Nothing here
writes into data/: callers get bytes and decide where they go (see brief.pull, which stages).
"""

from __future__ import annotations

import email.utils
import hashlib
import ipaddress
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

import requests  # lazy: `brief --help` must not pay for it

from brief import __version__
from brief.core.errors import HTTPStatusError, SourceError

log = logging.getLogger(__name__)

BACKOFF_SECONDS = 0.5
"""First pause before a retry; doubled after each further failure (tests patch it smaller)."""
BACKOFF_MAX_SECONDS = 8.0
RETRY_AFTER_MAX_SECONDS = 60.0
"""Longest Retry-After honoured; a server asking for more fails the pull with its answer (tests patch it smaller)."""
DEADLINE_FACTOR = 10
"""A whole download may take at most this many times the remote's timeout (a trickling server)."""
MAX_REDIRECTS = 5
CHUNK = 64 * 1024
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = f"brief/{__version__} (+brief pull)"

# Content types accepted per expected format. A missing type is accepted; an HTML page (a login or
# error page served with 200) is the classic wrong answer and is never accepted.
_ANY_BINARY = {"application/octet-stream", "binary/octet-stream"}
CONTENT_TYPES: dict[str, set[str]] = {
    "json": {"application/json", "text/json", "text/plain"} | _ANY_BINARY,
    "yaml": {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain"} | _ANY_BINARY,
    "csv": {"text/csv", "application/csv", "text/comma-separated-values", "text/plain", "application/vnd.ms-excel"}
    | _ANY_BINARY,
    "zip": {"application/zip", "application/x-zip", "application/x-zip-compressed"} | _ANY_BINARY,
    "tar": {
        "application/x-tar",
        "application/x-bzip2",
        "application/x-bzip",
        "application/gzip",
        "application/x-gzip",
        "application/x-compressed-tar",
        "application/x-bzip-compressed-tar",
        "application/x-gtar",
    }
    | _ANY_BINARY,
}


def expected_format(url: str) -> str:
    """Return the format a URL's file name promises: json, yaml, csv, zip (also .eval) or tar."""
    name = urlsplit(url).path.lower() if "://" in url else url.lower()
    if name.endswith((".json", ".json.txt")):
        return "json"
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".eval", ".zip")):
        return "zip"
    if name.endswith((".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz")):
        return "tar"
    return "any"


@dataclass
class Fetched:
    """One HTTP answer: the body (empty when not modified) and the validators for next time."""

    url: str
    data: bytes
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    attempts: int = 1
    final_url: str | None = None  # where redirects led (None: not redirected)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


ProgressHook = Callable[[str, int | None, int], None]
"""progress(url, total_bytes_or_None, bytes_so_far): called as a download advances."""


def is_loopback(host: str) -> bool:
    """Tell whether `host` names this machine (localhost, 127.0.0.0/8 or ::1)."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Fetcher:
    """Download URLs for one remote with its timeout, retries, size cap and scheme policy."""

    def __init__(
        self,
        remote: str,
        *,
        timeout: float = 30.0,
        retries: int = 3,
        max_bytes: int = 50 * 2**20,
        insecure: bool = False,
        progress: ProgressHook | None = None,
    ):
        self.remote = remote
        self.timeout = timeout
        self.retries = retries
        self.max_bytes = max_bytes
        self.insecure = insecure
        self.progress = progress
        self.requests_made = 0
        self._requests = requests
        self._session = requests.Session()
        self._session.headers["User-Agent"] = USER_AGENT
        self._session.trust_env = False  # no proxies or .netrc credentials picked up behind the user's back

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fail(self, url: str, cause: str) -> SourceError:
        """Return the one-line error for this remote and URL."""
        return SourceError(f"remote {self.remote!r}: {url}: {cause}")

    def check_url(self, url: str) -> None:
        """Refuse URLs brief does not fetch: only https, or http to loopback or with insecure = true."""
        try:
            parts = urlsplit(url)
        except ValueError as exc:
            raise self.fail(url, f"not a valid URL ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise self.fail(
                url,
                (
                    f"scheme {scheme + ':' if scheme else '(none)'} is not allowed (use an https:// URL, or "
                    "`path =` for a local file)"
                ),
            )
        if not parts.hostname:
            raise self.fail(url, "the URL has no host")
        if parts.username or parts.password:
            raise self.fail(url, "credentials in the URL are not allowed")
        if scheme == "http" and not (self.insecure or is_loopback(parts.hostname)):
            raise self.fail(url, "plain http is refused (use https, or set insecure = true in this remote's table)")

    def get(self, url: str, *, fmt: str = "any", etag: str | None = None, last_modified: str | None = None) -> Fetched:
        """Fetch `url`: conditional when validators are given, retried on 5xx and network errors."""
        self.check_url(url)
        conditional = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            attempt += 1
            try:
                fetched = self._get_once(url, fmt, conditional)
                fetched.attempts = attempt
                return fetched
            except _Retryable as exc:
                if attempt > self.retries:
                    tries = f" (after {attempt} attempts)" if attempt > 1 else ""
                    raise self.fail(url, exc.cause + tries) from None
                pause = min(BACKOFF_SECONDS * 2 ** (attempt - 1), BACKOFF_MAX_SECONDS)
                if exc.retry_after is not None:  # the server's Retry-After, honoured up to a cap
                    if exc.retry_after > RETRY_AFTER_MAX_SECONDS:
                        raise self.fail(
                            url,
                            (
                                f"{exc.cause}; the server asks to retry after {exc.retry_after:.0f} s, more "
                                f"than the {RETRY_AFTER_MAX_SECONDS:g} s brief waits (pull again later)"
                            ),
                        ) from None
                    pause = max(pause, exc.retry_after)
                log.info("remote %r: %s: %s; retrying in %.1f s", self.remote, url, exc.cause, pause)
                time.sleep(pause)

    def _get_once(self, url: str, fmt: str, conditional: dict[str, str]) -> Fetched:
        requests = self._requests
        current = url
        for _hop in range(MAX_REDIRECTS + 1):
            self.requests_made += 1
            try:
                response = self._session.get(
                    current,
                    headers=conditional,
                    stream=True,
                    allow_redirects=False,
                    timeout=(self.timeout, self.timeout),
                )
            except requests.exceptions.Timeout:
                raise _Retryable(f"timed out after {self.timeout:g} s") from None
            except requests.exceptions.SSLError as exc:
                raise self.fail(current, f"TLS error ({_reason(exc)})") from None
            except requests.exceptions.ConnectionError as exc:
                raise _Retryable(f"connection failed ({_reason(exc)})") from None
            except requests.exceptions.RequestException as exc:
                raise self.fail(current, f"request failed ({_reason(exc)})") from None
            with response:
                if response.is_redirect:
                    target = urljoin(current, response.headers.get("Location", ""))
                    old, new = urlsplit(current).scheme.lower(), urlsplit(target).scheme.lower()
                    if new != old:
                        raise self.fail(url, f"redirected to another scheme ({target[:200]}); refused")
                    self.check_url(target)
                    current = target
                    continue
                if response.status_code == 304:
                    if not conditional:
                        raise self.fail(url, "answered 304 Not Modified to an unconditional request")
                    return Fetched(
                        url,
                        b"",
                        True,
                        response.headers.get("ETag") or conditional.get("If-None-Match"),
                        response.headers.get("Last-Modified") or conditional.get("If-Modified-Since"),
                    )
                if response.status_code in RETRY_STATUSES:
                    raise _Retryable(
                        f"HTTP {response.status_code} {response.reason or ''}".rstrip(),
                        retry_after_seconds(response.headers.get("Retry-After")),
                    )
                if response.status_code != 200:
                    raise HTTPStatusError(
                        str(self.fail(url, f"HTTP {response.status_code} {response.reason or ''}".rstrip())),
                        response.status_code,
                    )
                ctype = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower() or None
                if ctype and not _type_ok(ctype, fmt):
                    wanted = "JSON" if fmt == "json" else fmt.upper() if fmt != "any" else "data"
                    raise self.fail(
                        url, f"unexpected content type {ctype!r} (expected {wanted}; is this a login or error page?)"
                    )
                data = self._read_body(url, response)
                return Fetched(
                    url,
                    data,
                    False,
                    response.headers.get("ETag"),
                    response.headers.get("Last-Modified"),
                    ctype,
                    final_url=current if current != url else None,
                )
        raise self.fail(url, f"more than {MAX_REDIRECTS} redirects")

    def _read_body(self, url: str, response: requests.Response) -> bytes:
        requests = self._requests
        declared = response.headers.get("Content-Length")
        total = int(declared) if declared and declared.isdigit() else None
        if total is not None and total > self.max_bytes:
            raise self.fail(
                url,
                (
                    f"response is {_size(total)}, larger than the {_size(self.max_bytes)} limit (raise "
                    "max_bytes in this remote's table)"
                ),
            )
        deadline = time.monotonic() + self.timeout * DEADLINE_FACTOR
        chunks: list[bytes] = []
        got = 0
        try:
            for chunk in response.iter_content(CHUNK):
                got += len(chunk)
                if got > self.max_bytes:
                    raise self.fail(
                        url,
                        (
                            f"response is larger than the {_size(self.max_bytes)} limit (raise max_bytes in "
                            "this remote's table)"
                        ),
                    )
                chunks.append(chunk)
                if self.progress:
                    self.progress(url, total, got)
                if time.monotonic() > deadline:
                    raise _Retryable(f"download took longer than {self.timeout * DEADLINE_FACTOR:g} s")
        except requests.exceptions.ConnectionError as exc:
            if "timed out" in str(exc).lower():
                raise _Retryable(f"timed out after {self.timeout:g} s while reading the body") from None
            raise _Retryable(f"connection dropped while reading the body ({_reason(exc)})") from None
        except requests.exceptions.ChunkedEncodingError as exc:
            raise _Retryable(f"the body was cut short ({_reason(exc)})") from None
        except requests.exceptions.Timeout:
            raise _Retryable(f"timed out after {self.timeout:g} s while reading the body") from None
        except requests.exceptions.ContentDecodingError as exc:
            raise self.fail(url, f"cannot decode the body ({_reason(exc)})") from None
        if total is not None and got != total and not response.headers.get("Content-Encoding"):
            raise _Retryable(f"the body was cut short ({got} of {total} bytes)")
        return b"".join(chunks)


class _Retryable(Exception):
    """A failure worth another attempt (5xx, timeout, dropped connection).

    `retry_after`: the wait in seconds the server asked for, when it said."""

    def __init__(self, cause: str, retry_after: float | None = None):
        super().__init__(cause)
        self.cause = cause
        self.retry_after = retry_after


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Return the pause a Retry-After header asks for (seconds or an HTTP date), or None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _type_ok(ctype: str, fmt: str) -> bool:
    if fmt == "document":  # `brief capture` and `brief check-links`: a web page is the expected answer
        return True
    if ctype in ("text/html", "application/xhtml+xml"):
        return False
    if fmt == "any":
        return True
    if fmt == "json" and ctype.endswith("+json"):
        return True
    return ctype in CONTENT_TYPES.get(fmt, set())


def _reason(exc: BaseException) -> str:
    """Return the innermost readable reason of a requests/urllib3 exception, on one line."""
    text = str(exc)
    for marker in ("Caused by ", "Failed to establish a new connection: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    text = text.strip("()'\" ").replace("\n", " ")
    if "] " in text and text.startswith("<"):
        text = text.split("] ", 1)[1]
    return text[:200] or type(exc).__name__


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.1f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} bytes"


def read_local(remote: str, path: Path, max_bytes: int) -> bytes:
    """Read a local file for a `path =` remote, with the same size cap as a download."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(
                (
                    f"remote {remote!r}: {path}: file is {_size(size)}, larger than the {_size(max_bytes)} "
                    "limit (raise max_bytes in this remote's table)"
                )
            )
        return path.read_bytes()
    except OSError as exc:
        raise SourceError(f"remote {remote!r}: {path}: cannot read ({exc.strerror or exc})") from None


# Each remote's folder under data/pulled/ holds lock.json: what was fetched, when, with which validators.
LOCK_NAME = "lock.json"
LOCK_VERSION = 1


def read_lock(folder: Path) -> dict[str, Any]:
    """Return a remote's lock.json as a dict ({} when there is none or it is unreadable)."""
    try:
        doc = json.loads((folder / LOCK_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) and doc.get("lock_version") == LOCK_VERSION else {}
