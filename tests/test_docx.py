"""Word output: `brief build --format docx` writes a .docx per audience with real footnotes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import docx
import pytest
from conftest import write_project
from pypdf import PdfReader
from typer.testing import CliRunner

from brief.cli import app

runner = CliRunner()
DATE = "2026-11-26"


def build(root: Path, *args: str) -> object:
    result = runner.invoke(app, ["build", "--project", str(root), "--date", DATE, *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def edition(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    root = write_project(tmp_path_factory.mktemp("docx") / "proj")
    result = build(root, "--format", "html,pdf,docx")
    return root / "output" / "example" / "2026-11", result


def footnotes(path: Path) -> list[str]:
    """The texts of a .docx's footnotes (not the separator ones Word keeps with type=...)."""
    xml = zipfile.ZipFile(path).read("word/footnotes.xml").decode("utf-8")
    notes = re.findall(r"<w:footnote (?![^>]*w:type=)[^>]*>(.*?)</w:footnote>", xml, re.S)
    return ["".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", note)) for note in notes]


class Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[tuple[int, str]] = []
        self.level = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("h1", "h2", "h3"):
            self.level, self.text = int(tag[1]), ""

    def handle_data(self, data: str) -> None:
        if self.level:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if self.level and tag == f"h{self.level}":
            self.headings.append((self.level, " ".join(self.text.split())))
            self.level = 0


def test_docx_opens_with_word_styles_marking_and_properties(edition: tuple[Path, object]) -> None:
    folder, _ = edition
    doc = docx.Document(str(folder / "example-regulator.docx"))
    styles = {p.style.name for p in doc.paragraphs}
    assert {"Heading 1", "Heading 2"} <= styles
    assert doc.tables and doc.tables[0].rows[0]._tr.trPr is not None  # a header row (repeats on each page)
    assert doc.sections[0].header.paragraphs[0].text == "OFFICIAL"
    assert doc.sections[0].footer.paragraphs[0].text == "OFFICIAL"
    assert doc.core_properties.title.startswith("Example brief")
    assert doc.core_properties.created.date().isoformat() == DATE
    assert "Skip to" not in "\n".join(p.text for p in doc.paragraphs)
    assert any("Sources" in p.text for p in doc.paragraphs if p.style.name.startswith("Heading"))
    # Figures keep their alt text (the chart's title) and their SVG's own viewBox.
    xml = zipfile.ZipFile(folder / "example-regulator.docx").read("word/document.xml").decode("utf-8")
    pictures = re.findall(r'<wp:docPr descr="([^"]*)"', xml)
    assert pictures and all(p.startswith("Risk matrix") for p in pictures)
    svgs = [n for n in zipfile.ZipFile(folder / "example-regulator.docx").namelist() if n.endswith(".svg")]
    assert svgs and b"viewBox=" in zipfile.ZipFile(folder / "example-regulator.docx").read(svgs[0])


def test_footnotes_are_the_pdf_notes(edition: tuple[Path, object]) -> None:
    folder, result = edition
    notes = footnotes(folder / "example-regulator.docx")
    pdf_notes = int(re.search(r"rendered example \(regulator, edition 2026-11\): (\d+) notes", result.output).group(1))
    assert pdf_notes > 0 and len(notes) == pdf_notes
    pdf_text = re.sub(
        r"\s+", "", "".join(page.extract_text() for page in PdfReader(folder / "example-regulator.pdf").pages)
    )
    for note in notes:  # the same text as the PDF's note (whitespace aside: the PDF breaks lines)
        assert re.sub(r"\s+", "", note) in pdf_text, note
    # No citation is left as a "[@key]" or a plain inline span in the body.
    body = "\n".join(p.text for p in docx.Document(str(folder / "example-regulator.docx")).paragraphs)
    assert "[@" not in body and notes[0] not in body


def test_heading_outline_equals_the_html(edition: tuple[Path, object]) -> None:
    folder, _ = edition
    parser = Outline()
    parser.feed((folder / "example-regulator.html").read_text(encoding="utf-8"))
    # The screen HTML's "Notes" section is the .docx's footnotes.
    html = [h for h in parser.headings if h[1] != "Notes"]
    doc = docx.Document(str(folder / "example-regulator.docx"))
    word = [
        (int(p.style.name[-1]), " ".join(p.text.split()))
        for p in doc.paragraphs
        if re.fullmatch(r"Heading [123]", p.style.name)
    ]
    assert len(html) > 3 and word == html


def test_listed_in_manifest_and_index(edition: tuple[Path, object]) -> None:
    folder, _ = edition
    manifest = json.loads((folder / "manifest.json").read_text())
    entry = next(f for f in manifest["files"] if f["name"] == "example-regulator.docx")
    assert entry["format"] == "docx" and entry["audience"] == "regulator"
    assert entry["bytes"] == (folder / "example-regulator.docx").stat().st_size
    index = (folder.parent.parent / "index.html").read_text()
    assert 'href="example/2026-11/example-regulator.docx"' in index and ">Word<" in index


def test_byte_identical_for_the_same_inputs(tmp_path: Path, edition: tuple[Path, object]) -> None:
    folder, _ = edition
    root = write_project(tmp_path / "again")
    build(root, "--format", "docx", "--quiet")
    again = root / "output" / "example" / "2026-11" / "example-regulator.docx"
    assert again.read_bytes() == (folder / "example-regulator.docx").read_bytes()
    for info in zipfile.ZipFile(again).infolist():
        assert info.date_time[:3] == (2026, 11, 26), info.filename


def test_formats_of_a_brief_and_an_existing_edition_extended(tmp_path: Path) -> None:
    from conftest import BRIEF

    root = write_project(tmp_path / "p", {"briefs/example.yaml": BRIEF + "formats: [html, docx]\n"})
    build(root, "--quiet")
    folder = root / "output" / "example" / "2026-11"
    assert sorted(p.name for p in folder.glob("example-*")) == ["example-regulator.docx", "example-regulator.html"]
    # --format adds the PDF to the published edition (same inputs: extended, never changed).
    before = (folder / "example-regulator.docx").read_bytes()
    build(root, "--format", "pdf,docx", "--quiet")
    assert (folder / "example-regulator.pdf").is_file() and (folder / "example-regulator.docx").read_bytes() == before


def test_unknown_format_is_one_line(project: Path) -> None:
    result = runner.invoke(app, ["build", "--project", str(project), "--date", DATE, "--format", "odt"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "--format 'odt': expected one or more of html, pdf, docx" in result.output


def test_progress_is_plain_lines_off_a_terminal(tmp_path: Path) -> None:
    from conftest import BRIEF

    root = write_project(
        tmp_path / "p",
        {"briefs/example.yaml": BRIEF.replace("audiences: [regulator]", "audiences: [regulator, technical]")},
    )
    result = build(root, "--audience", "all", "--html-only")
    lines = result.output.splitlines()
    assert any(line.startswith("rendered example (regulator, edition 2026-11)") for line in lines)
    assert any(line.startswith("rendered example (technical, edition 2026-11)") for line in lines)
    assert "\x1b[" not in result.output and "\r" not in result.output  # no terminal codes, no redrawn bar


def test_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from brief.cli import _progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    report = _progress("rendered")
    report(0, 3, "")
    assert report.bar is not None  # a rich bar is drawing
    for n in (1, 2, 3):
        report(n, 3, f"example ({n})")
    assert report.bar is None  # stopped (and cleared) once every document is done
    quiet = _progress("rendered")
    quiet(0, 1, "")
    assert quiet.bar is None  # one document: no bar


def test_libreoffice_converts_the_docx(edition: tuple[Path, object], tmp_path: Path) -> None:
    folder, _ = edition
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice missing: install libreoffice-writer-nogui (Debian), as .ci/run does.", pytrace=False)
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(folder / "example-regulator.docx"),
        ],
        capture_output=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr.decode()
    pdf = tmp_path / "example-regulator.pdf"
    assert pdf.is_file() and len(PdfReader(pdf).pages) >= 1
    assert "OFFICIAL" in PdfReader(pdf).pages[0].extract_text()


def test_index_with_word_links_is_valid_html(edition: tuple[Path, object]) -> None:
    from test_accessibility import VNU_JAR, need

    folder, _ = edition
    need(shutil.which("java") is not None, "Java for the W3C Nu HTML Checker")
    need(VNU_JAR.is_file(), f"vnu-jar ({VNU_JAR}); npm ci in .ci/node")
    index = folder.parent.parent / "index.html"
    proc = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--errors-only", "--format", "json", str(index)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    messages = [
        m for m in json.loads(proc.stderr or proc.stdout or '{"messages": []}')["messages"] if m.get("type") == "error"
    ]
    assert messages == []
