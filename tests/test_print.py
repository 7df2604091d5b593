"""Print quality, read from the built PDFs page by page.

- every note is printed on the page of its call, in order, none lost (default briefs, every
  audience, and a stress document with dense and long notes, tables, figures and page-final calls);
- no broken internal link, in the HTML or the PDF;
- the PDF embeds only the packaged fonts, and is byte-identical on a machine without system fonts;
- the running header names the section in force at the top of the page, on one line;
- no text under 7 pt; no reliability badge in the notes; no line break inside "63% ± 13%" & co.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from brief.cli import app
from brief.core.errors import RenderError
from brief.render import pdf as pdfmod
from brief.render.templates import packaged_templates

REPO = Path(__file__).resolve().parent.parent
AUDIENCES = ("regulator", "executive", "technical", "public")
DATE = "2026-11-26"
runner = CliRunner()


# --- Reading a PDF page by page -----------------------------------------------------------------


def note_layout(path: Path) -> tuple[dict[int, list[tuple[int, float]]], dict[int, tuple[int, float]], list[str]]:
    """Return (calls, notes, page texts): note number -> [(page, y)] of its calls (the links to it),
    note number -> (page, y) of its text (its named destination), and each page's text."""
    reader = PdfReader(path)
    page_of = {page.indirect_reference.idnum: number for number, page in enumerate(reader.pages, 1)}
    calls: dict[int, list[tuple[int, float]]] = {}
    for number, page in enumerate(reader.pages, 1):
        for annot in page.get("/Annots", []) or []:
            annot = annot.get_object()
            dest = str(annot.get("/Dest", ""))
            if annot.get("/Subtype") == "/Link" and re.fullmatch(r"note-\d+", dest):
                calls.setdefault(int(dest[5:]), []).append((number, -float(annot["/Rect"][1])))
    notes = {
        int(name[5:]): (page_of[dest.page.idnum], -float(dest.top))
        for name, dest in reader.named_destinations.items()
        if re.fullmatch(r"note-\d+", name)
    }
    texts = [page.extract_text().replace("\xa0", " ") for page in reader.pages]
    return calls, notes, texts


def misplaced(path: Path, count: int) -> list[str]:
    """Return one line per note lost, displaced, out of order or unreadable on its page."""
    calls, notes, texts = note_layout(path)
    problems = []
    for number in range(1, count + 1):
        if number not in calls:
            problems.append(f"note {number}: no call in the text")
        elif number not in notes:
            problems.append(f"note {number}: called on page {calls[number][0][0]}, printed nowhere")
        elif notes[number][0] != calls[number][0][0]:
            problems.append(f"note {number}: called on page {calls[number][0][0]}, printed on page {notes[number][0]}")
        elif not re.search(rf"(?:^|\n){number}\. ", texts[notes[number][0] - 1]):
            problems.append(f"note {number}: its text does not start a line of page {notes[number][0]}")
    extra = sorted(set(notes) - set(range(1, count + 1)))
    problems += [f"note {n}: printed but never called" for n in extra]
    for page in sorted({p for p, _ in notes.values()}):
        on_page = sorted((n for n in notes if notes[n][0] == page), key=lambda n: notes[n][1])
        if on_page != sorted(on_page):
            problems.append(f"page {page}: notes printed out of order {on_page}")
    return problems


def broken_internal_links(html: str, pdf: Path) -> list[str]:
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    broken = [f"html #{h}" for h in re.findall(r'href="#([^"]+)"', html) if h not in ids]
    reader = PdfReader(pdf)
    dests = set(reader.named_destinations)
    for number, page in enumerate(reader.pages, 1):
        for annot in page.get("/Annots", []) or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link" and "/Dest" in annot and str(annot["/Dest"]) not in dests:
                broken.append(f"pdf page {number} #{annot['/Dest']}")
    return broken


def embedded_fonts(pdf: Path) -> set[str]:
    """The families pdffonts lists, subset prefixes removed ("ABCDEF+Brief-Serif-Bold" -> "Brief-Serif-Bold")."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return {line.split()[0].split("+", 1)[-1] for line in out if line.strip()}


PACKAGED_FONTS = {
    f"{family.replace(' ', '-')}{suffix}"
    for family in pdfmod.FONT_FACES
    for suffix in ("", "-Bold", "-Italic", "-Bold-Italic")
}


# --- The default briefs --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("print") / "project"
    root.mkdir()
    shutil.copy(REPO / "brief.toml", root / "brief.toml")
    for folder in ("data", "briefs", "templates"):
        shutil.copytree(REPO / folder, root / folder)
    result = runner.invoke(app, ["build", "--project", str(root), "--audience", "all", "--date", DATE, "--quiet"])
    assert result.exit_code == 0, result.output
    (folder,) = [p for p in (root / "output").iterdir() if p.is_dir() and not p.name.startswith(".")]
    return {
        f"{aud}.{ext}": next((folder / "2026-11").glob(f"*-{aud}.{ext}"))
        for aud in AUDIENCES
        for ext in ("html", "pdf")
    }


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_note_is_printed_on_the_page_of_its_call(built: dict[str, Path], audience: str) -> None:
    count = len(re.findall(r'<li id="note-\d+"', built[f"{audience}.html"].read_text(encoding="utf-8")))
    assert count > 0
    assert misplaced(built[f"{audience}.pdf"], count) == []


@pytest.mark.parametrize("audience", AUDIENCES)
def test_no_internal_link_points_nowhere(built: dict[str, Path], audience: str) -> None:
    html = built[f"{audience}.html"].read_text(encoding="utf-8")
    assert broken_internal_links(html, built[f"{audience}.pdf"]) == []


@pytest.mark.parametrize("audience", AUDIENCES)
def test_pdf_embeds_only_the_packaged_fonts(built: dict[str, Path], audience: str) -> None:
    fonts = embedded_fonts(built[f"{audience}.pdf"])
    assert fonts and fonts <= PACKAGED_FONTS, fonts - PACKAGED_FONTS


def test_every_cited_source_is_listed_once_with_its_reliability(built: dict[str, Path]) -> None:
    html = built["regulator.html"].read_text(encoding="utf-8")
    assert 'id="ref-palisade-2025-thread"' in html  # cited ~20 times; Chicago left it out as a 'post'
    notes = re.search(r'<ol class="notes">(.*?)</ol>', html, re.DOTALL).group(1)
    assert "primary source" not in notes and "secondary source" not in notes
    text = "\n".join(
        PdfReader(built["regulator.pdf"]).pages[i].extract_text()
        for i in range(len(PdfReader(built["regulator.pdf"]).pages))
    )
    assert "[primary source" not in text and "Primary sources" in text


def test_no_text_is_smaller_than_7_pt(built: dict[str, Path]) -> None:
    """Word boxes from pdftotext: a 7 pt word of the packaged fonts is at least 7.7 pt high (ascent + descent)."""
    for audience in AUDIENCES:
        out = subprocess.run(
            ["pdftotext", "-bbox", str(built[f"{audience}.pdf"]), "-"], capture_output=True, text=True, check=True
        ).stdout
        small = [
            (word, round(float(y2) - float(y1), 1))
            for y1, y2, word in re.findall(
                r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', out
            )
            if float(y2) - float(y1) < 7.7
        ]
        assert small == [], f"{audience}: {small[:10]}"


# The top page margin of templates/print.css (the running header sits in it), in PDF points.
TOP_MARGIN = (
    float(re.search(r"@page \{[^}]*?margin: ([\d.]+)mm", (REPO / "templates" / "print.css").read_text()).group(1))
    * 72
    / 25.4
)


def _margin_text(page, top: bool) -> str:
    """The text of the top-left margin box (or any text above the page area) of one page."""
    height = float(page.mediabox.height)
    parts: list[tuple[float, str]] = []

    def visit(text, cm, tm, font, size):
        y = tm[5] * (cm[3] if cm else 1) + (cm[5] if cm else 0)
        x = tm[4] * (cm[0] if cm else 1) + (cm[4] if cm else 0)
        if text.strip() and y > height - TOP_MARGIN and x < float(page.mediabox.width) / 3:
            parts.append((x, text))

    page.extract_text(visitor_text=visit)
    return "".join(t for _, t in sorted(parts)).strip()


def test_running_header_names_the_section_at_the_top_of_the_page(built: dict[str, Path]) -> None:
    reader = PdfReader(built["regulator.pdf"])
    page_of = {page.indirect_reference.idnum: number for number, page in enumerate(reader.pages, 1)}
    top_area = float(reader.pages[0].mediabox.height) - TOP_MARGIN - 40  # a heading within the first lines
    chapters = [(page_of[o.page.idnum], float(o.top), o.title) for o in reader.outline if not isinstance(o, list)]
    checked = 0
    for number in range(3, len(reader.pages) + 1):
        header = _margin_text(reader.pages[number - 1], top=True)
        before = [title for page, top, title in chapters if page < number or (page == number and top >= top_area)]
        if not before:
            continue
        expected = before[-1]
        assert "\n" not in header
        if header.endswith("…"):
            assert expected.startswith(header[:-1].rstrip()), (number, header, expected)
        else:
            assert header.endswith(expected) or expected.endswith(header), (number, header, expected)
        checked += 1
    assert checked > 15


# --- A stress document ---------------------------------------------------------------------------

WORDS = (
    "the model blackmailed an engineer in a contrived test where the replacement shares its values and the developer "
    "reported rates of self-exfiltration sabotage deception and oversight subversion under conditions"
).split()


def stress_document(seed: int, paragraphs: int = 120) -> tuple[str, int]:
    """Dense and long notes in paragraphs, lists, table cells and figure captions; calls at page ends."""
    rng = random.Random(seed)
    count = 0

    def words(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    def note(long: bool = False) -> str:
        nonlocal count
        count += 1
        body = words(rng.choice([8, 20, 45, 90] + ([260] if long else [])))
        return f'<span class="footnote" id="note-{count}">{body} https://example.org/{"x" * rng.randint(5, 60)}.</span>'

    out = []
    for i in range(paragraphs):
        kind = rng.random()
        if i % 15 == 0:
            out.append(
                f'<section class="chapter"><h2>{i // 15 + 1} A section heading long enough to be shortened with an ellipsis in the running header</h2>'
            )
        if kind < 0.1:
            rows = "".join(
                f"<tr><td>{words(6)}{note() if rng.random() < 0.5 else ''}</td><td>{rng.randint(1, 99)}% ± {rng.randint(1, 20)}%</td></tr>"
                for _ in range(rng.randint(3, 12))
            )
            out.append(
                f"<table><caption>Table {i}</caption><thead><tr><th>Condition</th><th>Rate</th></tr></thead><tbody>{rows}</tbody></table>"
            )
        elif kind < 0.18:
            out.append(
                f'<figure><svg class="chart" viewBox="0 0 400 {rng.randint(80, 260)}" width="400" height="200" xmlns="http://www.w3.org/2000/svg" role="img">'
                f'<title>Chart {i}</title><rect x="0" y="0" width="300" height="60" fill="#1d3f6e"/></svg>'
                f"<figcaption>Figure {i}: {words(12)}{note()}</figcaption></figure>"
            )
        elif kind < 0.25:
            out.append(
                "<ul>"
                + "".join(f"<li>{words(rng.randint(5, 30))}.{note()}</li>" for _ in range(rng.randint(2, 6)))
                + "</ul>"
            )
        else:
            sentences = [
                words(rng.randint(4, 40)) + ("." + note(long=rng.random() < 0.05) if rng.random() < 0.7 else ".")
                for _ in range(rng.randint(1, 8))
            ]
            out.append("<p>" + " ".join(sentences) + "</p>")
        if i % 15 == 14:
            out.append("</section>")
    screen = (packaged_templates() / "screen.css").read_text(encoding="utf-8")
    html = f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Stress</title><style>{screen}</style></head><body><main>{"".join(out)}</main></body></html>'
    return html, count


def write_stress(seed: int, tmp_path: Path) -> tuple[Path, int]:
    html, count = stress_document(seed)
    css = (packaged_templates() / "print.css").read_text(encoding="utf-8")
    data, pages, refused = pdfmod.write_pdf(
        html, css, base_dir=packaged_templates(), allowed_dirs=[packaged_templates()], created=dt.date(2026, 11, 26)
    )
    assert refused == [] and pages > 30
    path = tmp_path / f"stress-{seed}.pdf"
    path.write_bytes(data)
    return path, count


def test_stress_document_prints_every_note_on_the_page_of_its_call(tmp_path: Path) -> None:
    # Seed 3: WeasyPrint 70 alone prints 4 of its 374 notes a page late and loses note 242.
    path, count = write_stress(3, tmp_path)
    assert misplaced(path, count) == []
    assert broken_internal_links("", path) == []
    assert embedded_fonts(path) <= PACKAGED_FONTS


def test_a_note_that_cannot_be_placed_is_a_build_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdfmod, "note_placement", lambda document: {"note-1": ([2], [3]), "note-2": ([3], [])})
    html = '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><p>Text.<span class="footnote" id="note-1">A note.</span></p></body></html>'
    with pytest.raises(RenderError) as err:
        pdfmod.write_pdf(
            html, "", base_dir=packaged_templates(), allowed_dirs=[packaged_templates()], created=dt.date(2026, 11, 26)
        )
    assert "note-1 is called on page 2 and printed on page 3" in str(err.value)
    assert "note-2 is called on page 3 and printed nowhere" in str(err.value)


# --- Fonts ---------------------------------------------------------------------------------------


def test_fonts_are_packaged_with_their_licence() -> None:
    licence = (pdfmod.FONTS_DIR / "LICENSE").read_text(encoding="utf-8")
    assert "SIL Open Font License" in licence and "Reserved Font Name Liberation" in licence
    css = pdfmod.font_faces_css()
    for faces in pdfmod.FONT_FACES.values():
        for name in faces.values():
            assert (pdfmod.FONTS_DIR / name).stat().st_size > 100_000
            assert (pdfmod.FONTS_DIR / name).as_uri() in css


def test_same_pdf_on_a_machine_without_system_fonts(tmp_path: Path) -> None:
    """Build in two processes, one whose fontconfig sees no font folder at all: the same bytes."""
    from conftest import write_project

    config = tmp_path / "fonts.conf"
    config.write_text(
        f'<?xml version="1.0"?>\n<fontconfig><cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>\n',
        encoding="utf-8",
    )
    outputs = []
    for name, extra in (("system", {}), ("bare", {"FONTCONFIG_FILE": str(config)})):
        root = write_project(tmp_path / name)
        env = {
            **os.environ,
            **extra,
            "PYTHONPATH": os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")]),
        }
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "brief",
                "build",
                "--project",
                str(root),
                "--audience",
                "regulator",
                "--date",
                DATE,
                "--quiet",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        outputs.append(next((root / "output").rglob("*-regulator.pdf")))
    if shutil.which("fc-list"):  # the bare configuration really sees no font
        listed = subprocess.run(
            ["fc-list"], env={**os.environ, "FONTCONFIG_FILE": str(config)}, capture_output=True, text=True
        ).stdout
        assert listed.strip() == ""
    assert outputs[0].read_bytes() == outputs[1].read_bytes()
    assert embedded_fonts(outputs[1]) <= PACKAGED_FONTS


# --- Typography filter ---------------------------------------------------------------------------


def test_numbers_symbols_and_model_names_do_not_break() -> None:
    doc = textwrap.dedent(
        """\
        <head><style>p::after { content: "63% ± 2" }</style></head><body>
        <p title="63% ± 13%">In 63% ± 13% of runs, 2.53× more, Claude Opus 4 and o1-preview.<span class="footnote" id="note-1">A <em>note</em>.</span> Then</p>
        <svg><text>Claude Opus 4</text></svg></body>"""
    )
    out = pdfmod.print_joins(doc)
    for run in ("63% ± 13%", "2.53×", "Claude Opus 4", "o1-preview"):
        assert f'<span class="nobr">{run}</span>' in out
    # The note call stays with the word before it; attributes, styles and SVG text are left alone.
    assert '<span class="nobr">.<span class="footnote" id="note-1">A <em>note</em>.</span></span> Then' in out
    assert '<p title="63% ± 13%">' in out and 'content: "63% ± 2"' in out and "<text>Claude Opus 4</text>" in out
