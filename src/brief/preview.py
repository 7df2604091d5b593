"""`brief preview`: serve the working draft's HTML on 127.0.0.1 and reload the page on save.

The draft is rendered in memory exactly as `brief build` renders an audience's HTML before it
publishes it (build.render, without the PDF), and nothing is written under output/<brief>/:
the preview is not an edition. A watcher thread polls the project's inputs (data/, briefs/,
templates/, brief.toml and the packaged templates) for changed modification times and sizes;
when one changed, the draft is rendered again and its version number goes up. The page served
carries a small script (never part of published HTML) that long-polls /__version and reloads
when the number changes. A validation error replaces the page with the same one-line problems
`brief validate` prints (`file:line: field: message`); the server keeps running and shows the
brief again once the file is fixed.

What does not change between renders is kept: the Python modules, the Jinja environment (cleared
when a template changes), the citation cache (output/.cache/citations) and the prose-facts cache.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from brief.build import RenderJob, plan_draft, render
from brief.check.readability import grade
from brief.check.validate import validate
from brief.core.errors import BriefError, UsageError
from brief.load.config import Config, check_audience, load_config
from brief.publish import editions
from brief.render import templates
from brief.render.context import Edition, edition_id
from brief.render.templates import template_source_dirs

log = logging.getLogger(__name__)

VERSION_PATH = "/__version"
POLL_SECONDS = 0.25  # how often the watcher looks at modification times
LONG_POLL_SECONDS = 25.0  # how long /__version waits for a change before answering the same number

# Injected before </body> of the served page only (never written to a file): wait for the next
# version, reload when it differs; after a dropped connection (server stopped) retry slowly.
RELOAD_SCRIPT = """<script data-brief-preview>
(function () {
  var version = %d;
  function poll() {
    fetch("%s?since=" + version, {cache: "no-store"}).then(function (r) { return r.text(); }).then(function (t) {
      if (parseInt(t, 10) !== version) { location.reload(); } else { poll(); }
    }).catch(function () { setTimeout(poll, 2000); });
  }
  poll();
})();
</script>
"""


@dataclass
class Draft:
    """The last rendering: the page (brief or error page), its version and whether it failed."""

    html: str = ""
    version: int = 0
    ok: bool = False
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def watched_files(config: Config) -> dict[str, tuple[int, int, int]]:
    """Return {path: (mtime_ns, size, inode)} of every input of a draft: brief.toml, data/, briefs/,
    templates (project and packaged)."""
    roots = [config.data_dir, config.briefs_dir, *template_source_dirs(config.templates_dir)]
    seen: dict[str, tuple[int, int, int]] = {}
    toml = config.root / "brief.toml"
    for path in [toml]:
        try:
            st = path.stat()
            seen[str(path)] = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            pass
    output = str(config.output_dir)
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [
                d
                for d in dirnames
                if not d.startswith(".") and d != "__pycache__" and os.path.join(dirpath, d) != output
            ]
            for name in filenames:
                if name.startswith(".") or name.endswith((".swp", "~")):  # editors' temporary files
                    continue
                file = os.path.join(dirpath, name)
                try:
                    st = os.stat(file)
                except OSError:
                    continue
                seen[file] = (st.st_mtime_ns, st.st_size, st.st_ino)
    return seen


class Previewer:
    """Render one brief's audience as a draft, in memory, on demand."""

    def __init__(
        self, project: Path | None, brief: str | None = None, audience: str | None = None, date: dt.date | None = None
    ):
        self.project = project
        self.brief = brief
        self.audience = audience
        self.date = date
        if audience is not None and audience != "all":
            check_audience(audience)
        self.config: Config = load_config(project)
        self.draft = Draft()
        self.lock = threading.Condition()
        self.stamp: dict[str, tuple[int, int, int]] = {}
        self.closed = False  # set when the server stops: long polls answer at once

    # --- rendering ---------------------------------------------------------------------------

    def render_html(self) -> tuple[str, str, str]:
        """Render the draft; return (html, brief id, audience). Raises BriefError for bad input."""
        config = self.config = load_config(self.project)  # brief.toml may have changed
        day = self.date or dt.date.today()
        report = validate(config, today=day)
        report.raise_if_failed()
        ds = report.dataset
        if not ds.briefs:
            raise UsageError("no brief in briefs/: add one (see `brief init`) to preview it")
        brief_id = self.brief or sorted(ds.briefs)[0]
        if brief_id not in ds.briefs:
            raise UsageError(f"unknown brief {brief_id!r}: expected one of {', '.join(sorted(ds.briefs))}")
        spec = ds.briefs[brief_id]
        aud = self.audience or config.settings.default_audience
        if aud == "all":  # one page is shown: the brief's first audience
            aud = list(spec.audiences)[0]
        check_audience(aud)
        ed = Edition(edition_id(spec, day), day)
        previous = editions.previous_edition(config.output_dir, brief_id, ed.id, ed.date)  # read only
        planned = plan_draft(config, ds, spec, ed, previous)
        page = render(RenderJob(planned, aud)).files[0]  # the HTML
        return page.data.decode("utf-8"), brief_id, aud

    def refresh(self, changed: list[str] | None = None) -> Draft:
        """Render again (after `changed` files changed); publish the result as the next version."""
        if changed is None or any(self._is_template(p) for p in changed):
            templates._environment.cache_clear()  # auto_reload is off: a saved template must be read again
        started = time.perf_counter()
        problems: list[str] = []
        try:
            page, brief_id, aud = self.render_html()
            ok = True
            title = f"{brief_id} ({aud})"
        except BriefError as exc:
            problems = exc.lines()
            page, ok, title = error_page(problems), False, "errors"
        except Exception as exc:  # a bug must not stop the server: show it, keep watching
            problems = [
                f"internal error: {type(exc).__name__}: {exc} "
                "(a bug in brief; rerun with BRIEF_DEBUG=1 for the traceback and report it)"
            ]
            if os.environ.get("BRIEF_DEBUG"):
                log.exception("render failed")
            page, ok, title = error_page(problems), False, "internal error"
        seconds = time.perf_counter() - started
        with self.lock:
            self.draft = Draft(page, self.draft.version + 1, ok, seconds, problems)
            self.lock.notify_all()
        if ok:
            log.info("rendered %s in %.2f s", title, seconds)
        else:
            for line in problems:
                log.warning("%s", line)
        return self.draft

    def _is_template(self, path: str) -> bool:
        return any(Path(path).is_relative_to(d) for d in template_source_dirs(self.config.templates_dir))

    # --- watching ----------------------------------------------------------------------------

    def changed_files(self) -> list[str]:
        """Return the inputs added, removed or modified since the last call (all of them the first time)."""
        now = watched_files(self.config)
        changed = sorted(p for p in now.keys() | self.stamp.keys() if now.get(p) != self.stamp.get(p))
        self.stamp = now
        return changed

    def watch(self, stop: threading.Event, interval: float = POLL_SECONDS) -> None:
        """Poll the inputs until `stop` is set; render again after each change."""
        wait = interval
        while not stop.wait(wait):
            started = time.perf_counter()
            try:
                changed = self.changed_files()
            except OSError:
                continue
            # A large project takes a while to look over: never spend more than a tenth of the time on it.
            wait = max(interval, 9 * (time.perf_counter() - started))
            if changed:
                shown = ", ".join(self.config.relative(Path(p)) for p in changed[:3]) + (
                    " ..." if len(changed) > 3 else ""
                )
                log.info("changed: %s", shown)
                self.refresh(changed)

    def wait_version(self, since: int, timeout: float) -> int:
        """Return the current version once it differs from `since`, or after `timeout` seconds."""
        with self.lock:
            self.lock.wait_for(lambda: self.draft.version != since or self.closed, timeout=timeout)
            return self.draft.version


def warm_up() -> None:
    """Load, once and in the background, what only some edits need: the reading-level scorer.

    A changed plain-language text is scored again (readability.py), and the scorer's first use
    imports NLTK and reads the pronouncing dictionary, about 2 s here; loaded ahead, the re-render
    after such an edit stays within its budget."""
    try:
        grade("A short text, to load the dictionary.")
    except Exception:  # only a head start: the render that needs it reports any problem
        pass


def error_page(problems: list[str]) -> str:
    """Return an HTML page listing the problems (one line each), as `brief validate` prints them."""
    items = "\n".join(f"<li><code>{html.escape(line)}</code></li>" for line in problems)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>brief preview: errors</title>\n'
        "<style>body{font:16px/1.5 system-ui,sans-serif;margin:2rem;max-width:70rem}"
        "h1{color:#a00;font-size:1.4rem}li{margin:.3rem 0}code{white-space:pre-wrap}</style>\n</head>\n<body>\n"
        "<h1>The draft cannot be rendered</h1>\n<p>Fix the files below and save; this page reloads by itself.</p>\n"
        f'<ul class="problems">\n{items}\n</ul>\n</body>\n</html>\n'
    )


def with_reload(page: str, version: int) -> str:
    """Return the page with the reload script before </body> (or at the end)."""
    script = RELOAD_SCRIPT % (version, VERSION_PATH)
    at = page.rfind("</body>")
    return page[:at] + script + page[at:] if at >= 0 else page + script


def make_handler(previewer: Previewer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "brief-preview"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # requests are not worth a line each
            pass

        def _send(self, status: int, body: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            url = urlsplit(self.path)
            if url.path == VERSION_PATH:
                since = parse_qs(url.query).get("since", [None])[0]
                if since is not None and since.lstrip("-").isdigit():
                    version = previewer.wait_version(int(since), LONG_POLL_SECONDS)
                else:
                    version = previewer.draft.version
                self._send(200, str(version).encode(), "text/plain; charset=utf-8")
            elif url.path in ("/", "/index.html"):
                draft = previewer.draft
                self._send(
                    200 if draft.ok else 500,
                    with_reload(draft.html, draft.version).encode("utf-8"),
                    "text/html; charset=utf-8",
                )
            elif url.path == "/favicon.ico":
                self._send(204, b"", "image/x-icon")
            else:
                self._send(
                    404,
                    b"not found: the preview serves / and " + VERSION_PATH.encode() + b"\n",
                    "text/plain; charset=utf-8",
                )

        do_HEAD = do_GET

    return Handler


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: tuple[str, int]
    ) -> None:
        """A browser that closed its connection (a reload, a closed tab) is not worth a traceback."""
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, TimeoutError)):
            log.warning("preview: %s while answering %s: %s", type(exc).__name__, client_address[0], exc)


class PreviewServer:
    """The HTTP server and the watcher thread, started and stopped together."""

    def __init__(self, previewer: Previewer, port: int = 8000, host: str = "127.0.0.1", interval: float = POLL_SECONDS):
        self.previewer = previewer
        self.interval = interval
        try:
            self.httpd = _HTTPServer((host, port), make_handler(previewer))
        except OSError as exc:
            raise UsageError(
                f"--port {port}: cannot listen on {host}:{port} ({exc.strerror or exc}); try another port or --port 0"
            ) from None
        self.stop_event = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}/"

    def start(self) -> None:
        """Render once, then serve and watch in background threads."""
        self.previewer.changed_files()  # the baseline of modification times
        self.previewer.refresh()
        warm = threading.Thread(target=warm_up, name="brief-preview-warm-up", daemon=True)
        watcher = threading.Thread(
            target=self.previewer.watch, args=(self.stop_event, self.interval), name="brief-preview-watch", daemon=True
        )
        server = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2}, name="brief-preview-http", daemon=True
        )
        self._threads = [watcher, server]
        for thread in self._threads:
            thread.start()
        warm.start()

    def stop(self) -> None:
        self.stop_event.set()
        with self.previewer.lock:  # wake long polls so that they answer now
            self.previewer.closed = True
            self.previewer.lock.notify_all()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)


def serve(
    project: Path | None,
    brief: str | None,
    audience: str | None,
    port: int,
    date: dt.date | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Run the preview until Ctrl-C (KeyboardInterrupt), then stop cleanly."""
    server = None
    try:
        server = PreviewServer(Previewer(project, brief, audience, date), port)
        server.start()
        echo(f"Previewing at {server.url} (re-renders on save; Ctrl-C to stop)")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if server is not None:
            server.stop()
