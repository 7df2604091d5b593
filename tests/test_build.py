"""End-to-end build of a small project: HTML and PDF content, links, metadata, atomic writes."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from brief.cli import app

runner = CliRunner()


class Links(HTMLParser):
    """Collect ids and internal hrefs of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.hrefs: list[str] = []
        self.external: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("href", "").startswith("#"):
            self.hrefs.append(a["href"][1:])
        for name in ("src", "href"):
            value = a.get(name) or ""
            if tag in ("link", "script", "img", "iframe") and value:
                self.external.append((tag, value))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import write_project

    root = write_project(tmp_path_factory.mktemp("b") / "proj")
    result = runner.invoke(app, ["build", "--project", str(root), "--audience", "regulator", "--date", "2026-11-26"])
    assert result.exit_code == 0, result.output
    return root / "output" / "example" / "2026-11"


def test_build_writes_html_and_pdf(built: Path) -> None:
    assert sorted(p.name for p in built.iterdir()) == [
        "example-regulator.html",
        "example-regulator.pdf",
        "manifest.json",
        "snapshot.json",
    ]
    assert (built / "example-regulator.pdf").read_bytes().startswith(b"%PDF-")
    assert oct((built / "example-regulator.html").stat().st_mode & 0o777) in ("0o644", "0o664")


def test_html_is_standalone_and_every_note_links_to_an_entry(built: Path) -> None:
    html = (built / "example-regulator.html").read_text()
    parser = Links()
    parser.feed(html)
    assert parser.external == []  # no external requests: CSS inline, no scripts or images
    missing = [h for h in parser.hrefs if h not in parser.ids]
    assert missing == []
    notes = re.findall(r'<li id="note-(\d+)"', html)
    assert notes == [str(n) for n in range(1, len(notes) + 1)] and len(notes) >= 3
    for number in notes:
        item = re.search(rf'<li id="note-{number}".*?</li>', html, re.S).group(0)
        assert re.search(r'href="#ref-[a-z0-9-]+"', item), item
        assert f'href="#noteref-{number}"' in item
    assert '<li id="ref-dev-2025-card"' in html and '<li id="ref-press-2025"' in html
    assert html.index("Primary sources") < html.index("Press and commentary")


def test_html_states_numbers_with_their_conditions_and_the_risk(built: Path) -> None:
    html = (built / "example-regulator.html").read_text()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "84% of rollouts of one condition" in text
    assert "n not disclosed" in text
    assert "7/100" in text and "95% interval 3.4% to 13.7%" in text
    assert "Risk level: Moderate" in text
    assert "We judge it very unlikely (≤20%) that this behaviour causes real-world harm within 12 months." in text
    assert "We hold this assessment with moderate confidence." in text
    assert "not a legal classification" in text
    assert "26 November 2026" in text
    assert '<meta name="dcterms.created" content="2026-11-26T00:00:00Z">' in html
    assert "<!-- Templates considered: regulator/example.html, regulator/brief.html, brief.html -->" in html


def test_pdf_has_footnotes_metadata_and_several_pages(built: Path) -> None:
    reader = PdfReader(built / "example-regulator.pdf")
    assert len(reader.pages) >= 5
    meta = reader.metadata
    assert meta.title == "Example brief: Regulator brief, edition 2026-11"
    assert meta.author == "Test Unit"
    assert meta.creation_date.date() == dt.date(2026, 11, 26)
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    text = "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")
    flat = re.sub(r"\s+", " ", text)
    assert "Page 2 of" in flat and "OFFICIAL" in flat
    # Footnote text sits on the page of its call, in pandoc's Chicago form.
    page = next(p.extract_text().replace("\xa0", " ") for p in reader.pages if "BOTTOM LINE" in p.extract_text())
    assert "The finding is conditional.1" in page
    assert (
        "1. ExampleLab, System Card: Example Model (ExampleLab, 2025), https://example.org/card.pdf, sec. 4.1." in page
    )
    assert "[primary source]" not in page  # reliability is said once, in the sources list
    assert "84% of rollouts of one condition" in flat


def test_same_inputs_give_identical_html_and_pdf(built: Path, tmp_path: Path) -> None:
    from conftest import write_project

    root = write_project(tmp_path / "again")
    result = runner.invoke(app, ["build", "--project", str(root), "--date", "2026-11-26"])
    assert result.exit_code == 0, result.output
    again = root / "output" / "example" / "2026-11"
    assert (again / "example-regulator.html").read_bytes() == (built / "example-regulator.html").read_bytes()
    assert (again / "example-regulator.pdf").read_bytes() == (built / "example-regulator.pdf").read_bytes()


def test_failed_build_writes_nothing_and_keeps_earlier_output(tmp_path: Path) -> None:
    from conftest import INCIDENT, write_project

    root = write_project(tmp_path / "p")
    assert runner.invoke(app, ["build", "--project", str(root), "--date", "2026-11-26", "--html-only"]).exit_code == 0
    out = root / "output" / "example" / "2026-11" / "example-regulator.html"
    before = out.read_bytes()
    (root / "data/incidents/example-finding.yaml").write_text(
        INCIDENT.replace("[@dev-2025-card, sec. 4.1].\ntags", "[@missing-key].\ntags")
    )
    result = runner.invoke(app, ["build", "--project", str(root), "--date", "2026-11-27", "--html-only"])
    assert result.exit_code == 1
    assert "summary: unknown citation key 'missing-key'" in result.stderr
    assert "Traceback" not in result.output
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["example-regulator.html", "manifest.json", "snapshot.json"]


def test_hostile_text_is_inert(tmp_path: Path) -> None:
    from conftest import INCIDENT, write_project

    hostile = INCIDENT.replace(
        "  In a contrived test",
        (
            "  <script>alert(1)</script> <img src=x onerror=alert(1)> [link](javascript:alert(1)) {{ 7*7 }} "
            "![i](file:///etc/passwd)\n  In a contrived test"
        ),
    )
    root = write_project(tmp_path / "p", {"data/incidents/example-finding.yaml": hostile})
    result = runner.invoke(app, ["build", "--project", str(root), "--date", "2026-11-26"])
    assert result.exit_code == 0, result.output
    html = (root / "output/example/2026-11/example-regulator.html").read_text()
    assert "<script>" not in html and "<img" not in html and "javascript:" not in html.replace("[link](javascript:", "")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "49" not in re.sub(r"\d{2,}", "", "")
    text = "\n".join(p.extract_text() for p in PdfReader(root / "output/example/2026-11/example-regulator.pdf").pages)
    assert "root:x:0:0" not in text


def test_an_analyst_override_is_shown_with_the_computed_level(tmp_path: Path) -> None:
    from conftest import INCIDENT, write_project

    override = (
        "  override:\n    level: High\n    justification: Wider deployment since the test [@dev-2025-card, sec. 4.1].\n"
        "    analyst: A. Analyst\n    date: 2026-11-20\n"
    )
    incident = INCIDENT.replace(
        "  confidence: {evidence: medium, agreement: high}\n",
        "  confidence: {evidence: medium, agreement: high}\n" + override,
    )
    root = write_project(tmp_path / "p", {"data/incidents/example-finding.yaml": incident})
    result = runner.invoke(app, ["build", "--project", str(root), "--date", "2026-11-26", "--html-only"])
    assert result.exit_code == 0, result.output
    text = re.sub(
        r"\s+", " ", re.sub(r"<[^>]+>", " ", (root / "output/example/2026-11/example-regulator.html").read_text())
    )
    assert "Risk level: High (analyst override; computed: Moderate)" in text
    assert "Override. Wider deployment since the test" in text and "(A. Analyst, 2026-11-20)" in text
