"""Evidence integrity: captures, quotes checked against them, link checks, cited numbers.

A real HTTP server on loopback serves an HTML page, a PDF with known text on known pages (made
with WeasyPrint here), a text file, a redirect, a 404, a slow page and a page whose content
changes; `brief capture`, `brief validate` and `brief check-links` must report exactly what is
expected. Nothing here touches the internet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.server
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SOURCES, write_project
from typer.testing import CliRunner

from brief.check.evidence import normalise, quote_parts, verify
from brief.check.numbers import uncited
from brief.cli import app
from brief.load.config import load_config

runner = CliRunner()
SLOW = 0.3  # seconds: the client's timeout for the slow page, which answers after 3 * SLOW

PAGE = """<!doctype html><html lang="en"><head><title>Example News</title><style>p{color:red}</style>
<script>var x = "performs blackmail in 84% of rollouts";</script></head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a></nav></header>
<main><h1>Model blackmails engineers</h1>
<p>The lab said the model \u201cperforms blackmail in 84\u00a0% of rollouts\u201d \u2013 a \ufb01gure from a contrived
test.<p>It was <em>not</em> a real deployment.</p>
<aside>Related: 10 things to know</aside></main>
<footer>\u00a9 2025 Daily Example</footer></body></html>"""
PAGE_TEXT = "Model blackmails engineers\n\nThe lab said the model \u201cperforms blackmail in 84 % of rollouts\u201d \u2013 a \ufb01gure from a contrived test.\n\nIt was not a real deployment."
NOTES = "Protocol notes\r\nWe further instructed it to consider the long-term conse-\r\nquences of its actions for its goals.\r\n"
CARD_HTML = """<html><body><p>System Card: Example Model</p>
<p style="break-before: page">In the test, the model performs blackmail in 84% of rollouts where the replacement shares its
values. We further instructed it to consider the long-term consequences of its actions.</p>
<p style="break-before: page">Page three says something else entirely.</p></body></html>"""

INCIDENT = """\
id: example-finding
title: Example model blackmail finding
kind: research-finding
date: 2025-05-22
developer: ExampleLab
summary: >-
  In a contrived test the model blackmailed in 84% of rollouts of one condition
  [@dev-2025-card, sec. 4.1, p. 2].
claims:
  - id: rate
    text: The model blackmailed in 84% of rollouts where the replacement shares its values.
    status: confirmed
    sources:
      - id: dev-2025-card
        locator: sec. 4.1, p. 2
        quote: "the model performs blackmail in 84% of rollouts where the replacement shares its values"
        page: 2
  - id: long-term
    text: The model was told to consider the long-term consequences of its actions.
    status: confirmed
    sources:
      - id: dev-2025-card
        locator: "pp. 2-3"
        quote: "consider the long-term consequences of its actions"
      - id: notes-2025
        locator: para. 1
        quote: "We further instructed it to consider the long-term consequences ... for its goals."
  - id: press-figure
    kind: press
    text: The model blackmailed in 84% of cases.
    status: partly-accurate
    note: Only in one condition of a contrived test [@dev-2025-card, sec. 4.1, p. 2].
    sources:
      - id: dev-2025-card
        locator: sec. 4.1, p. 2
        quote: "performs blackmail in 84% of rollouts"
        page: 2
    reported_by:
      - id: press-2025
        locator: para. 1
        quote: 'The lab said the model "performs blackmail in 84 % of rollouts" - a figure from a contrived test.'
  - id: moved
    text: A page that moved.
    status: partly-accurate
    note: It moved [@moved-2025].
    sources:
      - id: moved-2025
        locator: para. 1
        quote: "a real deployment"
tags:
  cop: [loss_of_control]
  topics: [blackmail]
risk:
  severity: 3
  evidence: 1
  likelihood: 1
  capability: {domain: loss_of_control, status: 0, safeguards_verified: unknown}
  breadth: 2
  reversibility: 1
  confidence: {evidence: medium, agreement: high}
recommendations: [ask-protocol]
evaluations: [Opportunistic blackmail]
"""


# --- a loopback site --------------------------------------------------------------------------


class Site:
    """Serve fixed routes on 127.0.0.1; log each request's path, start and end time."""

    def __init__(self, card_pdf: bytes) -> None:
        self.routes: dict[str, tuple[int, bytes, str, dict[str, str]]] = {
            "/card.pdf": (200, card_pdf, "application/pdf", {}),
            "/page.html": (200, PAGE.encode(), "text/html; charset=utf-8", {}),
            "/notes.txt": (200, NOTES.encode(), "text/plain; charset=utf-8", {}),
            "/old": (301, b"", "text/plain", {"Location": "/page.html"}),
            "/changing": (
                200,
                b"<html><body><main><p>Version one of the page.</p></main></body></html>",
                "text/html",
                {},
            ),
        }
        self.log: list[tuple[str, float, float]] = []  # (path, start, end) of each answered request
        # (path, start) of each request, noted before it is answered: a client that has its answer
        # may look before the server thread has logged the end.
        self.starts: list[tuple[str, float]] = []
        self.requested: list[str] = []  # every request's path, when it arrives
        self.stop = threading.Event()
        site = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                started = time.monotonic()
                site.starts.append((self.path, started))
                site.requested.append(self.path)
                if self.path == "/slow":
                    site.stop.wait(SLOW * 3)
                    if site.stop.is_set():
                        return
                status, body, ctype, headers = site.routes.get(self.path, (404, b"not found", "text/plain", {}))
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(body)))
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the client gave up (the slow page)
                    pass
                site.log.append((self.path, started, time.monotonic()))

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client closing a kept-alive connection is not news (and stderr is the CLI's here)

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def card_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string=CARD_HTML).write_pdf()


@pytest.fixture
def site(card_pdf: bytes):
    server = Site(card_pdf)
    yield server
    server.close()


def sources(site: Site) -> list[dict[str, Any]]:
    card = dict(SOURCES[0], URL=site.url("/card.pdf"))
    press = dict(SOURCES[1], URL=site.url("/page.html"), verification="consulted")
    more = [
        {
            "id": "notes-2025",
            "type": "document",
            "title": "Protocol notes",
            "URL": site.url("/notes.txt"),
            "reliability": "primary",
            "verification": "consulted",
        },
        {
            "id": "moved-2025",
            "type": "webpage",
            "title": "A page that moved",
            "URL": site.url("/old"),
            "reliability": "secondary",
            "verification": "consulted",
        },
        {
            "id": "gone-2025",
            "type": "webpage",
            "title": "A page that is gone",
            "URL": site.url("/gone"),
            "reliability": "secondary",
            "verification": "consulted",
            "archived": "https://web.archive.org/web/2025/https://example.org/gone",
        },
        {
            "id": "slow-2025",
            "type": "webpage",
            "title": "A slow page",
            "URL": site.url("/slow"),
            "reliability": "secondary",
            "verification": "consulted",
        },
        {
            "id": "changing-2025",
            "type": "webpage",
            "title": "A page that changes",
            "URL": site.url("/changing"),
            "reliability": "secondary",
            "verification": "consulted",
        },
        {
            "id": "offline-2025",
            "type": "report",
            "title": "A report without a URL",
            "number": "R-1",
            "reliability": "primary",
            "verification": "consulted",
        },
    ]
    return [card, press, *more]


def project(tmp_path: Path, site: Site, incident: str = INCIDENT, extra: dict[str, str | None] | None = None) -> Path:
    files: dict[str, str | None] = {
        "data/sources.json": json.dumps(sources(site), indent=2),
        "data/incidents/example-finding.yaml": incident,
        "data/captures/dev-2025-card/text.txt": None,  # this module captures from the server
        "data/captures/dev-2025-card/capture.json": None,
    }
    files.update(extra or {})
    return write_project(tmp_path / "p", files)


def run(root: Path, *args: str) -> tuple[int, list[str], list[str]]:
    result = runner.invoke(app, [*args, "--project", str(root)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout.splitlines(), result.stderr.splitlines()


def meta(root: Path, key: str) -> dict[str, Any]:
    return json.loads((root / "data" / "captures" / key / "capture.json").read_text())


def sha(data: bytes | str) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


FAST = ("--timeout", str(SLOW), "--retries", "0", "--delay", "0")


# --- capture ----------------------------------------------------------------------------------


def test_capture_all_stores_text_and_provenance(tmp_path: Path, site: Site, card_pdf: bytes) -> None:
    root = project(tmp_path, site)
    code, out, err = run(root, "capture", "--all", *FAST)
    assert code == 1  # two sources cannot be fetched
    page, notes = PAGE.encode(), NOTES.encode()
    changing = site.routes["/changing"][1]
    assert out == [
        f"changing-2025: captured: {site.url('/changing')} (text/html, 24 characters, {len(changing)} bytes, SHA-256 {sha(changing)[:12]}…)",
        f"dev-2025-card: captured: {site.url('/card.pdf')} (application/pdf, 3 pages, {len(card_pdf)} bytes, SHA-256 {sha(card_pdf)[:12]}…)",
        f"moved-2025: captured: {site.url('/old')} (text/html, {len(PAGE_TEXT)} characters, {len(page)} bytes, SHA-256 {sha(page)[:12]}…); redirected to {site.url('/page.html')}",
        f"notes-2025: captured: {site.url('/notes.txt')} (text/plain, {len(NOTES.replace(chr(13), '').strip())} characters, {len(notes)} bytes, SHA-256 {sha(notes)[:12]}…)",
        "offline-2025: skipped: no URL (add one to the source, or capture a local copy with --file PATH)",
        f"press-2025: captured: {site.url('/page.html')} (text/html, {len(PAGE_TEXT)} characters, {len(page)} bytes, SHA-256 {sha(page)[:12]}…)",
    ]
    assert err == [
        f"gone-2025: failed: {site.url('/gone')}: HTTP 404 Not Found",
        f"slow-2025: failed: {site.url('/slow')}: timed out after {SLOW:g} s",
    ]
    card = meta(root, "dev-2025-card")
    retrieved = card.pop("retrieved")
    assert dt.datetime.fromisoformat(retrieved.replace("Z", "+00:00")).tzinfo is not None
    text = (root / "data/captures/dev-2025-card/text.txt").read_text()
    assert card == {
        "source": "dev-2025-card",
        "url": site.url("/card.pdf"),
        "content_type": "application/pdf",
        "sha256": sha(card_pdf),
        "bytes": len(card_pdf),
        "text_sha256": sha(text),
        "pages": 3,
        "extractor": card["extractor"],
        "file": None,
        "tool": card["tool"],
    }
    assert card["extractor"].startswith("pypdf ")
    assert (
        text.split("\f")[0] == "System Card: Example Model"
        and text.split("\f")[2] == "Page three says something else entirely."
    )
    assert "84% of rollouts" in text.split("\f")[1]
    # The readable main text of the page: no script, style, navigation, header, aside or footer.
    assert (root / "data/captures/press-2025/text.txt").read_text() == PAGE_TEXT
    assert (root / "data/captures/notes-2025/text.txt").read_text() == NOTES.replace("\r\n", "\n").strip()

    # Existing captures are kept unless --replace.
    code, out, err = run(root, "capture", "press-2025", *FAST)
    assert (code, err) == (0, [])
    assert out == [f"press-2025: skipped: already captured on {retrieved[:10]} (use --replace to capture it again)"]
    code, out, _ = run(root, "capture", "press-2025", "--replace", *FAST)
    assert code == 0 and out[0].startswith("press-2025: captured: ")


def test_capture_from_a_local_file(tmp_path: Path, site: Site, card_pdf: bytes) -> None:
    root = project(tmp_path, site)
    copy = tmp_path / "downloaded card.pdf"
    copy.write_bytes(card_pdf)
    code, out, err = run(root, "capture", "dev-2025-card", "--file", str(copy), "--retrieved", "2025-05-23")
    assert (code, err) == (0, [])
    assert out == [
        f"dev-2025-card: captured: file downloaded card.pdf (application/pdf, 3 pages, {len(card_pdf)} bytes, SHA-256 {sha(card_pdf)[:12]}…)"
    ]
    card = meta(root, "dev-2025-card")
    assert (card["file"], card["url"], card["retrieved"], card["pages"]) == (
        "downloaded card.pdf",
        site.url("/card.pdf"),
        "2025-05-23T00:00:00Z",
        3,
    )
    assert not [line for line in site.log if line[0] == "/card.pdf"]  # nothing fetched


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["capture"], "name the sources to capture (brief capture SOURCE_ID ...) or pass --all"),
        (["capture", "dev-2025-crd"], "unknown source 'dev-2025-crd' (did you mean 'dev-2025-card'?)"),
        (["capture", "--all", "dev-2025-card"], "give source ids or --all, not both"),
        (["capture", "--all", "--file", "x.pdf"], "--file captures one source: brief capture SOURCE_ID --file PATH"),
        (
            ["capture", "dev-2025-card", "--retrieved", "2025-05-23"],
            "--retrieved is for --file (a fetch records its own time)",
        ),
        (
            ["capture", "dev-2025-card", "--file", "x.pdf", "--retrieved", "May 2025"],
            "--retrieved 'May 2025' is not a date (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)",
        ),
    ],
)
def test_capture_usage_errors(tmp_path: Path, site: Site, args: list[str], message: str) -> None:
    code, out, err = run(project(tmp_path, site), *args)
    assert (code, out, err) == (2, [], [message])


# --- quotes in validate -----------------------------------------------------------------------


def evidence_note(out: list[str]) -> list[str]:
    """Return the evidence lines of validate's note (the law-to-verify list follows them)."""
    end = next((i for i, line in enumerate(out) if line.startswith("Law to verify")), len(out))
    return out[1:end]


def test_validate_verifies_quotes_against_captures(tmp_path: Path, site: Site) -> None:
    root = project(tmp_path, site)
    run(root, "capture", "dev-2025-card", "press-2025", "notes-2025", "moved-2025", *FAST)
    code, out, err = run(root, "validate", "--strict")
    assert (code, err) == (0, [])
    assert evidence_note(out) == ["Quotes: 6 of 6 verified against a capture; 4 of 8 sources have a capture."]


def test_a_quote_altered_by_one_word_fails_with_the_closest_passage(tmp_path: Path, site: Site) -> None:
    altered = INCIDENT.replace(
        "the model performs blackmail in 84% of rollouts where the replacement shares its values",
        "the model performs blackmail in 84% of cases where the replacement shares its values",
    )
    root = project(tmp_path, site, altered)
    run(root, "capture", "dev-2025-card", "press-2025", "notes-2025", "moved-2025", *FAST)
    code, out, err = run(root, "validate")
    assert (code, out) == (1, [])
    assert err == [
        "data/incidents/example-finding.yaml:16: claims[0].sources[0].quote: claim 'rate': quote not found in the capture of 'dev-2025-card' on page 2; "
        'closest passage (page 2), 93% alike: "the model performs blackmail in 84% of rollouts where the replacement shares its values."',
        "Aborted: 1 error in the data.",
    ]


def test_a_quote_on_another_page_names_the_page(tmp_path: Path, site: Site) -> None:
    moved = INCIDENT.replace(
        '        locator: sec. 4.1, p. 2\n        quote: "the model',
        '        locator: sec. 4.1, p. 3\n        quote: "the model',
    )
    moved = moved.replace('shares its values"\n        page: 2', 'shares its values"\n        page: 3')
    root = project(tmp_path, site, moved)
    run(root, "capture", "dev-2025-card", "press-2025", "notes-2025", "moved-2025", *FAST)
    code, _out, err = run(root, "validate")
    assert code == 1
    assert err == [
        "data/incidents/example-finding.yaml:17: claims[0].sources[0].page: claim 'rate': the quote is on page 2 of the capture of 'dev-2025-card', not on page 3 (fix the page locator)",
        "Aborted: 1 error in the data.",
    ]


def test_uncaptured_sources_warn_for_confirmed_claims_and_are_explained_in_the_note(tmp_path: Path, site: Site) -> None:
    listed = sources(site)
    listed[2]["capture"] = {"status": "unavailable", "reason": "Paywalled; quotes read in the library copy."}
    root = project(tmp_path, site, extra={"data/sources.json": json.dumps(listed, indent=2)})
    code, out, err = run(root, "validate")
    warning = (
        "data/sources.json:3: id: {}no capture of 'dev-2025-card': the quotes of confirmed claims 'rate' and 'long-term' cannot be checked "
        "(run `brief capture dev-2025-card`, or `brief capture dev-2025-card --file PATH` for a copy you have; if it cannot be captured, "
        'record why in the source: "capture": {{"status": "unavailable", "reason": "..."}})'
    )
    assert code == 0
    assert err == [warning.format("warning: ")]
    assert evidence_note(out) == [
        "Quotes: 0 of 6 verified against a capture; 0 of 8 sources have a capture.",
        "Not checked: 6 quotes of 4 sources without a capture:",
        "  dev-2025-card (3 quotes): no capture, and no reason recorded",
        "  moved-2025 (1 quote): no capture, and no reason recorded",
        "  notes-2025 (1 quote): Paywalled; quotes read in the library copy.",
        "  press-2025 (1 quote): no capture, and no reason recorded",
    ]
    # Under --strict only the source of confirmed claims fails: moved-2025 and press-2025 support none.
    code, out, err = run(root, "validate", "--strict")
    assert (code, out) == (1, [])
    assert err == [warning.format(""), "Aborted: 1 error in the data."]


def test_tampered_capture_text_is_an_error(tmp_path: Path, site: Site) -> None:
    root = project(tmp_path, site)
    run(root, "capture", "dev-2025-card", "press-2025", "notes-2025", "moved-2025", *FAST)
    text = root / "data/captures/press-2025/text.txt"
    text.write_text(text.read_text().replace("contrived", "realistic"))
    code, _out, err = run(root, "validate")
    assert code == 1
    assert err == [
        "data/captures/press-2025/text.txt: captured text does not match its SHA-256 in capture.json (edited by hand?): "
        "a capture must stay as fetched; capture again with `brief capture press-2025 --replace`",
        "Aborted: 1 error in the data.",
    ]


def test_stale_capture_decisions_and_moved_urls_are_warned_about(tmp_path: Path, site: Site) -> None:
    root = project(tmp_path, site)
    run(root, "capture", "dev-2025-card", "press-2025", "notes-2025", "moved-2025", *FAST)
    listed = sources(site)
    listed[0]["capture"] = {"status": "unavailable", "reason": "Not reachable."}
    listed[1]["URL"] = site.url("/page-moved.html")
    (root / "data/sources.json").write_text(json.dumps(listed, indent=2))
    code, _out, err = run(root, "validate")
    assert code == 0
    assert err == [
        "data/sources.json:24: capture: warning: source 'dev-2025-card' records that no capture is available, but data/captures/dev-2025-card/ holds one "
        '(remove "capture" from the source)',
        "data/sources.json:43: URL: warning: the capture of 'press-2025' was fetched from "
        + site.url("/page.html")
        + ", not from the source's URL "
        "(capture again with `brief capture press-2025 --replace`)",
    ]


@pytest.mark.parametrize(
    ("quote", "text"),
    [
        ('the model\'s "only options"', "the model\u2019s \u201conly options\u201d"),  # quote marks
        ("long-term consequences", "long-\nterm conse-\nquences"),  # hyphenation at line ends
        ("a figure of merit", "a \ufb01gure of merit"),  # ligature
        ("pre\u2011deployment testing", "pre-deployment\n   testing"),  # non-breaking hyphen, whitespace
        ("Sören Mindermann", "Soren  Mindermann"),  # accents and letter case
        ("[T]he model ... blackmail", "the model may resort to blackmail"),  # editorial brackets, ellipsis
        ("[The early snapshot] engages in deception", "it engages in deception"),  # an editorial insertion
    ],
)
def test_normalisation_matches_typographic_variants(quote: str, text: str) -> None:
    norm = normalise(text).text
    pos = 0
    for part in quote_parts(quote):
        pos = norm.index(part, pos) + len(part)


def test_default_data_quotes_have_captures_or_recorded_reasons() -> None:
    """On the default data: every quote checked that can be, the rest explained."""
    from brief.load.dataset import load_dataset

    config = load_config(REPO)
    ds, _ = load_dataset(config)
    report = verify(ds, config)
    assert report.problems == []
    assert report.quotes == report.checked + sum(n for n, _ in report.uncaptured.values())
    assert report.verified == report.checked
    for key, (_n, why) in report.uncaptured.items():
        assert why != "no capture, and no reason recorded", key
        assert ds.sources[key].capture is not None and "not reachable from this workplace" in why, key


# --- check-links ------------------------------------------------------------------------------


def test_check_links_reports_dead_redirected_changed_and_slow(tmp_path: Path, site: Site) -> None:
    root = project(tmp_path, site)
    run(root, "capture", "dev-2025-card", "changing-2025", *FAST)
    old = site.routes["/changing"][1]
    new = b"<html><body><main><p>Version two of the page.</p></main></body></html>"
    site.routes["/changing"] = (200, new, "text/html", {})
    code, out, err = run(root, "check-links", *FAST)
    assert (code, err) == (1, [])
    assert out == [
        f"changing-2025: changed: {site.url('/changing')} (SHA-256 {sha(new)[:12]}… differs from the capture of {meta(root, 'changing-2025')['retrieved'][:10]}, "
        f"{sha(old)[:12]}…; the text differs); no archived copy recorded",
        f"dev-2025-card: ok: {site.url('/card.pdf')}; no archived copy recorded",
        f"gone-2025: dead: {site.url('/gone')} (HTTP 404 Not Found); archived copy: https://web.archive.org/web/2025/https://example.org/gone",
        f"moved-2025: redirected: {site.url('/old')} -> {site.url('/page.html')}; no archived copy recorded",
        f"notes-2025: ok: {site.url('/notes.txt')}; no archived copy recorded",
        "offline-2025: skipped: no URL",
        f"press-2025: ok: {site.url('/page.html')}; no archived copy recorded",
        f"slow-2025: error: {site.url('/slow')} (timed out after {SLOW:g} s); no archived copy recorded",
        "8 sources: 3 ok, 1 redirected, 1 changed, 1 dead, 1 error, 1 skipped. 2 dead, changed or failing links have no archived copy recorded.",
    ]
    # One request per host at a time: no two requests to 127.0.0.1 overlap.
    spans = sorted((start, end) for path, start, end in site.log if path != "/slow")
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))

    # JSON for scripts, from the cache: only the failed link is tried again.
    before = len(site.requested)
    code, out, _ = run(root, "check-links", "--json", *FAST)
    report = json.loads("\n".join(out))
    assert code == 1
    assert report["summary"] == {"ok": 3, "redirected": 1, "changed": 1, "dead": 1, "error": 1, "skipped": 1}
    assert [r["cached"] for r in report["results"]] == [True, True, True, True, True, False, True, False]
    assert report["cache"] == "data/captures/links.json"
    gone = next(r for r in report["results"] if r["source"] == "gone-2025")
    assert (gone["status"], gone["http_status"], gone["archived"]) == (
        "dead",
        404,
        "https://web.archive.org/web/2025/https://example.org/gone",
    )
    changed = next(r for r in report["results"] if r["source"] == "changing-2025")
    assert (changed["sha256"], changed["capture_sha256"], changed["text_changed"]) == (sha(new), sha(old), True)
    assert site.requested[before:] == ["/slow"]

    cache = json.loads((root / "data/captures/links.json").read_text())["links"]
    assert cache[site.url("/gone")]["dead_since"] == dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert cache[site.url("/gone")]["sources"] == ["gone-2025"]


def test_politeness_delay_between_requests_to_one_host(tmp_path: Path, site: Site) -> None:
    root = project(tmp_path, site)
    code, _out, _err = run(
        root,
        "check-links",
        "dev-2025-card",
        "press-2025",
        "notes-2025",
        "--delay",
        "0.15",
        "--concurrency",
        "3",
        "--timeout",
        str(SLOW),
    )
    assert code == 0
    starts = sorted(start for _path, start in site.starts)
    assert len(starts) == 3 and all(b - a >= 0.14 for a, b in zip(starts, starts[1:]))


def test_build_prints_archived_link_next_to_a_dead_original_and_the_access_date(tmp_path: Path, site: Site) -> None:
    listed = sources(site)
    listed[0]["URL"] = site.url("/gone")
    listed[0]["archived"] = "https://web.archive.org/web/2025/https://example.org/card.pdf"
    root = write_project(
        tmp_path / "p", {"data/sources.json": json.dumps(listed, indent=2)}
    )  # with the example capture
    assert run(root, "check-links", "dev-2025-card", *FAST)[0] == 1
    site.routes.clear()  # the build must not fetch anything
    code, out, err = run(root, "build", "--html-only", "--date", "2026-11-26", "--quiet")
    assert code == 0, err
    page = (root / "output/example/2026-11/example-regulator.html").read_text()
    entry = page[page.index('<li id="ref-dev-2025-card"') :]
    entry = entry[: entry.index("</li>")]
    assert (
        ' <span class="accessed">Accessed 23 May 2025 (text captured).</span>'
        f' <span class="link-status dead">The original link was found dead on {dt.datetime.now(dt.timezone.utc).date():%-d %B %Y} (HTTP 404 Not Found).</span>'
        ' <span class="archived">Archived copy: <a href="https://web.archive.org/web/2025/https://example.org/card.pdf">'
        "https://web.archive.org/web/2025/https://example.org/card.pdf</a>.</span>"
    ) in entry
    manifest = json.loads((root / "output/example/2026-11/manifest.json").read_text())
    assert "evidence_sha256" in manifest["inputs"]


# --- numbers in prose -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("The model blackmailed in 84% of rollouts [@a, p. 27].", []),
        ("The model blackmailed in 84% of rollouts. [@a]", []),  # a note call after the full stop
        ("The model blackmailed in 84% of rollouts.", [("The model blackmailed in 84% of rollouts.", ["84%"])]),
        ("On 22 May 2025 Anthropic activated ASL-3.", [("On 22 May 2025 Anthropic activated ASL-3.", ["22", "2025"])]),
        ("In 2025, o3 sabotaged 7 of 100 runs.", [("In 2025, o3 sabotaged 7 of 100 runs.", ["2025", "7", "100"])]),
        ("Claude Opus 4 and GPT-4o met Article 55(1), sec. 4.1.1.2 and Measure 7.3 of Commitment 7.", []),
        ("The U.S. AI Safety Institute tested 3 models.", [("The U.S. AI Safety Institute tested 3 models.", ["3"])]),
        ("# Findings of 2025\n\nRun `pytest -k 42` and see <https://x.com/a/1926084635903025621>.", []),
        ("```\nrate = 84\n```\n\nThe rate is cited [@a].", []),
        ("Points (1) to (7) of the measure apply.", []),
    ],
)
def test_uncited_numbers_in_markdown(markdown: str, expected: list[tuple[str, list[str]]]) -> None:
    assert uncited(markdown) == expected


def test_uncited_number_is_a_warning_and_an_error_under_strict(tmp_path: Path) -> None:
    from conftest import INCIDENT as EXAMPLE

    incident = EXAMPLE.replace(
        "  [@dev-2025-card, sec. 4.1].\ntags", "  [@dev-2025-card, sec. 4.1]. It was run 100 times.\ntags"
    )
    root = write_project(tmp_path / "p", {"data/incidents/example-finding.yaml": incident})
    message = 'data/incidents/example-finding.yaml:7: summary: {}sentence states 100 without a citation: "It was run 100 times." (add a marker such as [@source-id, p. 27] to the sentence)'
    code, _out, err = run(root, "validate")
    assert (code, err) == (0, [message.format("warning: ")])
    code, _out, err = run(root, "validate", "--strict")
    assert (code, err) == (1, [message.format(""), "Aborted: 1 error in the data."])
