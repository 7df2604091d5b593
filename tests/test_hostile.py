"""Hostile content in curated and pulled text: nothing in it is active in the HTML, and
the PDF renderer reads no file outside the template folders and reaches no network.

Every payload carries the URL of a loopback "trap" server; the trap must see zero requests. The
PDF renderer's URL fetcher is wrapped to record what it fetched and what it refused.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.server
import io
import json
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator

import pytest
from conftest import BRIEF, EVALUATIONS, INCIDENT, RECOMMENDATIONS, SOURCES, write_project
from pypdf import PdfReader
from typer.testing import CliRunner

from brief.cli import app

runner = CliRunner()

# Markdown with raw HTML, script, event handlers, javascript:/data:/file: links, CSS url() and
# @import, an iframe, SVG with external references, images, and Jinja syntax. TRAP is replaced by
# the trap server's URL.
MARKDOWN = """\
<script>fetch("TRAP/script")</script> <img src="file:///etc/passwd" onerror="fetch('TRAP/onerror')">
<iframe src="TRAP/iframe"></iframe> <svg xmlns="http://www.w3.org/2000/svg"><image href="TRAP/svg.png"/><use href="file:///etc/passwd#x"/></svg>
<style>@import url("TRAP/import.css"); body { background: url("TRAP/bg.png") }</style>
<div style="background: url(TRAP/style.png)">styled</div> <link rel="stylesheet" href="TRAP/link.css"> <base href="TRAP/">
<object data="TRAP/object"></object> <embed src="TRAP/embed"> <meta http-equiv="refresh" content="0;url=TRAP/refresh">

[click](javascript:alert(1)) [entity](javascript&#58;alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) [file](file:///etc/passwd)
![local](file:///etc/passwd) ![remote](TRAP/md.png) <a href="javascript:alert(1)" onclick="alert(1)">a</a> <TRAP/autolink>

Jinja: {{ 7*191 }} {% include '/etc/passwd' %} {{ self.__init__.__globals__ }} {# comment #}
"""
ONE_LINE = '<script>alert(1)</script><img src=x onerror=alert(1)> {{ 7*191 }} <iframe src="TRAP/line"></iframe>'
JINJA_RESULT = "1337"  # 7*191: must never appear


class Trap:
    """A loopback HTTP server that records every request it gets (it must get none)."""

    def __init__(self, files: dict[str, bytes] | None = None) -> None:
        self.hits: list[str] = []
        self.files = files or {}
        trap = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                trap.hits.append(self.path)
                body = trap.files.get(self.path, b"")
                self.send_response(200 if self.path in trap.files else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def trap() -> Iterator[Trap]:
    server = Trap()
    yield server
    server.close()


class Recorder:
    """Wrap the PDF renderer's GuardedFetcher and keep every instance, to read `fetched` and `refused`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from brief.render import pdf

        self.instances: list[Any] = []
        original = pdf._fetcher_class
        recorder = self

        def wrapped() -> type:
            base = original()

            class Recording(base):  # type: ignore[misc, valid-type]
                def __init__(self, *args: Any, **kwargs: Any) -> None:
                    super().__init__(*args, **kwargs)
                    recorder.instances.append(self)

            return Recording

        monkeypatch.setattr(pdf, "_fetcher_class", wrapped)

    @property
    def fetched(self) -> list[str]:
        return [url for f in self.instances for url in f.fetched]

    @property
    def refused(self) -> list[str]:
        return [url for f in self.instances for url in f.refused]


def hostile_project(root: Path, trap: str) -> Path:
    """A valid project whose text fields a reader sees carry a payload (quotes stay: they are checked against the source)."""
    md = MARKDOWN.replace("TRAP", trap)
    line = ONE_LINE.replace("TRAP", trap)
    q = json.dumps  # JSON strings are YAML strings: any payload fits on one line
    incident = INCIDENT.replace("title: Example model blackmail finding", f"title: {q('Finding ' + line)}")
    incident = incident.replace(
        "summary: >-\n  In a contrived test the model blackmailed in 84% of rollouts of one condition\n  [@dev-2025-card, sec. 4.1].\n",
        "summary: |-\n"
        + "".join(f"  {x}\n" for x in (md + "\nIn a contrived test [@dev-2025-card, sec. 4.1].").splitlines()),
    )
    incident = incident.replace(
        "    text: The model blackmailed in 84% of rollouts where the replacement shares its values.",
        f"    text: {q(line)}",
    )
    incident = incident.replace(
        "    note: Only in one condition of a contrived test [@dev-2025-card, sec. 4.1].",
        f"    note: {q(md + ' [@dev-2025-card, sec. 4.1].')}",
    )
    incident = incident.replace("developer: ExampleLab", f"developer: {q(line)}").replace(
        "models: [Example Model]", f"models: [{q(line)}]"
    )
    incident += f"timeline:\n  - date: 2025-05-22\n    event: {q(md)}\n    source: dev-2025-card\n"
    sources = [dict(s) for s in SOURCES]
    sources[0].update(title="Card " + line, publisher=line, checked=md)
    sources[1].update(
        URL="javascript:alert(1)",
        archived="javascript:alert(2)",
        title=f'<a href="javascript:alert(3)">Press</a> {line}',
    )
    sources[1]["container-title"] = f'<span style="background:url({trap}/csl.png)">Daily</span>'
    rows = list(csv.reader(io.StringIO(EVALUATIONS)))
    rows[1][rows[0].index("condition")] = line
    rows[1][rows[0].index("note")] = md
    rows[2][rows[0].index("model")] = line
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    recs = RECOMMENDATIONS.replace("  text: Request the evaluation protocol.", f"  text: {q(line)}")
    recs = recs.replace(
        "  rationale: The rate is conditional [@dev-2025-card, sec. 4.1].",
        f"  rationale: {q(md + ' [@dev-2025-card, sec. 4.1].')}",
    )
    recs = recs.replace("  question: What was n?", f"  question: {q(line)}")
    brief = BRIEF.replace("title: Example brief", f"title: {q('Brief ' + line)}").replace(
        "subtitle: A test", f"subtitle: {q(line)}"
    )
    brief = brief.replace("authors: [Test Unit]", f"authors: [{q(line)}]")
    brief = brief.replace(
        "bottom_line: The finding is conditional [@dev-2025-card, sec. 4.1].",
        f"bottom_line: {q(md + ' [@dev-2025-card, sec. 4.1].')}",
    )
    brief = brief.replace(
        "  - The 84% figure comes from a contrived test [@dev-2025-card, sec. 4.1].",
        f"  - {q(md + ' [@dev-2025-card, sec. 4.1].')}",
    )
    return write_project(
        root,
        {
            "data/incidents/example-finding.yaml": incident,
            "data/sources.json": json.dumps(sources, indent=2),
            "data/evaluations/example.csv": out.getvalue(),
            "data/recommendations.yaml": recs,
            "briefs/example.yaml": brief,
        },
    )


PULLED_ROWS = (
    "id,evaluation,model,condition,metric,value,unit,n,date,source,locator,note\n"
    'pulled-1,Opportunistic blackmail,"<script>fetch(\'TRAP/pulled\')</script>","<img src=""TRAP/pulled.png"">",share,12,percent,100,2025-06-20,dev-2025-card,sec. 5,"[x](javascript:alert(1)) {{ 7*191 }} <iframe src=""TRAP/pulled-frame"">"\n'
)


class Active(HTMLParser):
    """Collect whatever in an HTML document could run, fetch or navigate somewhere unsafe."""

    SAFE_HREF = ("http://", "https://", "mailto:", "#")
    FORBIDDEN_TAGS = {
        "script",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "link",
        "base",
        "form",
        "image",
        "use",
        "audio",
        "video",
        "source",
        "track",
    }

    def __init__(self, trap: str) -> None:
        super().__init__(convert_charrefs=True)
        self.trap = trap
        self.found: list[str] = []
        self.text: list[str] = []
        self.in_style = False
        self.styles: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.FORBIDDEN_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            self.found.append("<meta http-equiv>")
        if tag == "style":
            self.in_style = True
        for key, value in attrs:
            value = (value or "").strip()
            if key.startswith("on"):
                self.found.append(f"<{tag} {key}>")
            elif key == "href" and not value.lower().startswith(self.SAFE_HREF):
                self.found.append(f"<{tag} href={value[:40]!r}>")
            elif key in (
                "src",
                "srcset",
                "poster",
                "data",
                "action",
                "formaction",
                "background",
                "xlink:href",
            ) and not value.startswith("data:image/"):
                self.found.append(f"<{tag} {key}={value[:40]!r}>")
            elif key == "style" and any(bad in value.lower() for bad in ("url(", "@import", "expression(")):
                self.found.append(f"<{tag} style={value[:40]!r}>")
            elif self.trap in value and key not in ("href", "content", "title", "alt", "aria-label"):
                self.found.append(f"<{tag} {key}> names the trap")  # text attributes may quote it: they fetch nothing

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self.in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self.in_style else self.text).append(data)


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory, trap: Trap) -> dict[str, Any]:
    """Pull hostile rows from a loopback remote, then build HTML and PDF with a recording fetcher."""
    remote = Trap({"/rows.csv": PULLED_ROWS.replace("TRAP", trap.url).encode()})
    try:
        root = hostile_project(tmp_path_factory.mktemp("hostile") / "proj", trap.url)
        with (root / "brief.toml").open("a", encoding="utf-8") as handle:
            handle.write(f'\n[[remote]]\nname = "partner"\nkind = "csv"\nurl = "{remote.url}/rows.csv"\nretries = 0\n')
        pulled = runner.invoke(app, ["pull", "-C", str(root)])
        assert pulled.exit_code == 0, pulled.output
        assert remote.hits == ["/rows.csv"]
    finally:
        remote.close()
    with pytest.MonkeyPatch.context() as mp:
        recorder = Recorder(mp)
        result = runner.invoke(app, ["build", "-C", str(root), "--date", "2026-11-26"])
    assert result.exit_code == 0, result.output
    folder = root / "output/example/2026-11"
    return {"root": root, "folder": folder, "recorder": recorder, "output": result.output}


def test_the_html_has_nothing_active(hostile_build: dict[str, Any], trap: Trap) -> None:
    html = (hostile_build["folder"] / "example-regulator.html").read_text()
    parser = Active(trap.url)
    parser.feed(html)
    assert parser.found == []
    text = "".join(parser.text)
    assert "<script>" in text and "<iframe" in text and "onerror=" in text  # shown as text, escaped
    assert "{{ 7*191 }}" in text and "{% include '/etc/passwd' %}" in text  # Jinja syntax is text
    assert JINJA_RESULT not in html and "root:x:0:0" not in html
    assert trap.url not in "".join(parser.styles) and "@import" not in "".join(parser.styles)
    assert "<script>fetch('" + trap.url + "/pulled')</script>" in text  # the pulled row is there, as text


def test_the_pdf_reads_only_template_files_and_reaches_no_network(hostile_build: dict[str, Any], trap: Trap) -> None:
    from brief.render.templates import template_source_dirs

    recorder = hostile_build["recorder"]
    assert recorder.instances, "the PDF was rendered through the guarded fetcher"
    allowed = [d.resolve() for d in template_source_dirs(hostile_build["root"] / "templates")]
    for url in recorder.fetched:
        assert url.startswith("data:") or any(str(d) in url for d in allowed), url
    assert recorder.refused == []  # escaped text asks for nothing
    assert trap.hits == []
    reader = PdfReader(hostile_build["folder"] / "example-regulator.pdf")
    text = "".join(page.extract_text() for page in reader.pages)
    assert "<script>alert(1)</script>" in text.replace("\n", "")
    uris = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A") or {}
            assert action.get("/S") in (None, "/URI", "/GoTo"), action
            if "/URI" in action:
                uris.append(str(action["/URI"]))
    assert uris and all(u.startswith(("http://", "https://", "mailto:")) for u in uris), uris
    raw = (hostile_build["folder"] / "example-regulator.pdf").read_bytes()
    assert b"/JavaScript" not in raw and b"/JS " not in raw and b"/Launch" not in raw


def test_unsafe_source_links_are_shown_as_text_and_warned_about(hostile_build: dict[str, Any]) -> None:
    html = (hostile_build["folder"] / "example-regulator.html").read_text()
    assert "javascript:alert(2)" in html and 'href="javascript:' not in html
    lines = runner.invoke(app, ["validate", "-C", str(hostile_build["root"])]).stderr.splitlines()
    assert [line for line in lines if "web address" in line] == [
        "data/sources.json:39: URL: warning: 'javascript:alert(1)' is not a web address (expected http:// or https://; it is shown as text)",
        "data/sources.json:43: archived: warning: 'javascript:alert(2)' is not a web address (expected http:// or https://; it is shown as text)",
    ]


def test_the_guard_itself_refuses_hostile_markup_that_reaches_the_renderer(tmp_path: Path, trap: Trap) -> None:
    """Defence in depth: even raw, unescaped markup makes WeasyPrint fetch nothing outside the templates."""
    from brief.render.pdf import write_pdf
    from brief.render.templates import packaged_templates

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "ok.css").write_text("p { color: black }")
    (templates / "passwd.css").symlink_to("/etc/passwd")  # a link out of the folder is refused too
    html = (
        MARKDOWN.replace("TRAP", trap.url).replace("<base ", "<br ")
        + '<link rel="stylesheet" href="ok.css"><link rel="stylesheet" href="passwd.css"><img src="../secret.png"><p>A paragraph.</p>'
    )
    css = f'@import url("{trap.url}/print-import.css"); @font-face {{ font-family: x; src: url("file:///etc/passwd") }} h1, p {{ background: url("{trap.url}/print-bg.png") }}'
    (tmp_path / "secret.png").write_bytes(b"\x89PNG")
    with pytest.MonkeyPatch.context() as mp:
        recorder = Recorder(mp)
        data, pages, refused = write_pdf(
            html,
            css,
            base_dir=templates,
            allowed_dirs=[templates, packaged_templates()],
            variant=None,
            created=dt.date(2026, 11, 26),
        )
    assert data.startswith(b"%PDF-") and pages >= 1
    assert trap.hits == []
    assert all(
        url.startswith("data:")
        or url.startswith(templates.resolve().as_uri())
        or url.startswith(packaged_templates().resolve().as_uri())
        for url in recorder.fetched
    ), recorder.fetched
    assert templates.resolve().as_uri() + "/ok.css" in recorder.fetched
    refused = set(recorder.refused)
    for expected in (
        f"{trap.url}/print-import.css",
        f"{trap.url}/print-bg.png",
        "file:///etc/passwd",
        templates.resolve().as_uri() + "/passwd.css",
        (tmp_path / "secret.png").resolve().as_uri(),
    ):
        assert any(url.startswith(expected) for url in refused), (expected, sorted(refused))
