"""Briefs that read like briefs: page 1 decides, each fact once, nothing of the tool shows, budgets.

Read from what a reader gets: the PDF of every audience of the default brief (page 1, page counts)
and the published HTML's visible text, block by block (paragraphs, list items, table cells,
captions), with the notes and the sources list left out: a citation repeated in the notes is not a
repeated sentence, and the notes are the PDF's footnotes laid out from the same HTML.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from brief.cli import app
from brief.core import audiences

REPO = Path(__file__).resolve().parent.parent
AUDIENCES = audiences.NAMES
runner = CliRunner()

BLOCKS = {"p", "li", "td", "th", "dd", "dt", "caption", "figcaption", "h1", "h2", "h3", "h4", "title", "q"}
# Notes, the sources list and in-text references are citations, not sentences of the brief.
SKIP = ("notes-section", "bibliography", "footnote", "visually-hidden", "skip-link", "src-ref")


class _Blocks(HTMLParser):
    """Visible text of an HTML document, one string per block element, skipping notes and sources."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.stack: list[tuple[str, bool]] = []
        self.current: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "") + " " + (dict(attrs).get("id") or "")
        skip = any(name in classes for name in SKIP) or tag in ("style", "script", "svg", "head")
        if tag in ("br", "img", "meta", "link", "col", "input", "hr"):
            return
        self.stack.append((tag, skip or (bool(self.stack) and self.stack[-1][1])))
        if tag in BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self._flush()
        while self.stack:
            name, _ = self.stack.pop()
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1][1]):
            self.current.append(data)

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self.current)).strip()
        if text:
            self.blocks.append(text)
        self.current = []


def blocks(html: str) -> list[str]:
    parser = _Blocks()
    parser.feed(html)
    parser._flush()
    return parser.blocks


def long_sentences(texts: list[str], words: int = 12) -> Counter[str]:
    """Count the sentences of `words` or more words (letters and digits) across the blocks. A sentence
    ends with a full stop, question or exclamation mark: headings, labels and table values do not."""
    found: Counter[str] = Counter()
    for text in texts:
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z“\"‘(])", re.sub(r"https?://\S+", "", text)):
            if not re.search(r"[.!?][”’\")]*$", sentence):
                continue
            tokens = re.findall(r"[A-Za-z0-9][A-Za-z0-9'’.%-]*", sentence)
            if len(tokens) >= words:
                found[" ".join(tokens).lower()] += 1
    return found


def pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(path).pages]


@pytest.fixture(scope="module")
def built(default_project_build: Path) -> dict[str, Path]:
    return {
        f"{aud}.{ext}": next(default_project_build.glob(f"*-{aud}.{ext}"))
        for aud in AUDIENCES
        for ext in ("html", "pdf")
    }


def test_no_sentence_of_twelve_words_is_said_twice(built: dict[str, Path]) -> None:
    for aud in AUDIENCES:
        counts = long_sentences(blocks(built[f"{aud}.html"].read_text(encoding="utf-8")))
        repeated = {s: n for s, n in counts.items() if n > 1}
        assert repeated == {}, f"{aud}: " + "; ".join(f"{n}x {s[:120]}" for s, n in repeated.items())


def test_the_check_finds_a_repeated_sentence() -> None:
    text = "The model blackmailed the engineer in most rollouts of one condition of a contrived test."
    assert long_sentences([text, "Something else entirely.", text]) == Counter({text.lower(): 2})
    assert (
        long_sentences(
            [
                "A table value of twelve or more words with no full stop at its end here",
                "A table value of twelve or more words with no full stop at its end here",
            ]
        )
        == Counter()
    )
    assert long_sentences(["Short sentence here.", "Short sentence here."]) == Counter()


def _ids(root: Path) -> set[str]:
    """Every record id of the default data a reader must never meet (ids of one plain word excluded)."""
    from brief.load.config import load_config
    from brief.load.dataset import load_dataset

    ds, _ = load_dataset(load_config(root))
    ids = (
        set(ds.incidents) | set(ds.sources) | set(ds.recommendations) | {e.id for e in ds.evaluations} | set(ds.briefs)
    )
    ids |= {c.id for inc in ds.incidents.values() for c in inc.claims}
    return {i for i in ids if "-" in i}


# Codes of the tool: file names and paths, tag and flag codes, vocabulary keys, enum values.
CODE_PATTERNS = [
    r"\b[\w/-]+\.(?:ya?ml|csv|json|toml|py|html|css)\b",
    r"\b(?:data|docs|templates|output|briefs)/\w",
    r"\b[a-z]+_[a-z_]+\b",
    r"\b(?:EU|CoP|NIST|OECD)\.[A-Z]",
    r"\btags\.\w",
    r"\b(?:research-finding|partly-accurate|standards-body)\b",
    r"\bkind (?:incident|hazard|research)",
    r"\bP-fig\b",
]


def _leaks(text: str, ids: set[str]) -> list[str]:
    # Web addresses are the sources' own (a PDF may break one across lines: its parts go too).
    text = re.sub(r"https?://\S+|\S*(?:doi\.org/|\.(?:com|org|eu|gov|edu|net|ai|io|uk)/)\S*", " ", text)
    found = [i for i in ids if re.search(rf"(?<![\w/.-]){re.escape(i)}(?![\w-])", text)]
    found += [m.group(0) for pattern in CODE_PATTERNS for m in re.finditer(pattern, text)]
    return found


def test_no_tool_identifier_reaches_any_reader(built: dict[str, Path]) -> None:
    ids = _ids(REPO)
    assert "anthropic-2025-syscard" in ids and "anthropic-claude-opus-4-blackmail-2025-05" in ids
    for aud in AUDIENCES:
        html_text = " ".join(blocks(built[f"{aud}.html"].read_text(encoding="utf-8")))
        pdf_text = re.sub(r"-\n", "-", " ".join(pdf_pages(built[f"{aud}.pdf"])))
        assert _leaks(html_text, ids) == [], aud
        assert _leaks(pdf_text, ids) == [], aud


def test_the_identifier_check_finds_leaks() -> None:
    ids = {"anthropic-2025-syscard"}
    assert _leaks("as curated in data/evaluations/ (anthropic-2025-syscard), tag loss_of_control, EU.ART3_49", ids) == [
        "anthropic-2025-syscard",
        "data/e",
        "loss_of_control",
        "EU.A",
    ]
    assert _leaks("Claude Opus 4 blackmailed in 84% of rollouts (https://example.org/a_b/c.json).", ids) == []


def test_regulator_page_one_decides(built: dict[str, Path]) -> None:
    pages = pdf_pages(built["regulator.pdf"])
    first = re.sub(r"\s+", " ", pages[0])
    for heading in ("Bottom line", "Key judgements", "Decisions for you", "Risk level"):
        assert heading.lower() in first.lower(), heading
    assert "confidence." in first and "Very unlikely (≤20%), moderate confidence." in first
    assert "Owner" in first and "By" in first
    assert "Contents" not in first  # no cover or contents before page 1


def test_page_budgets_of_the_default_brief(built: dict[str, Path]) -> None:
    counts = {aud: len(PdfReader(built[f"{aud}.pdf"]).pages) for aud in AUDIENCES}
    for aud, n in counts.items():
        assert n <= audiences.get(aud).pages, counts
    reader = PdfReader(built["regulator.pdf"])
    first_annex = next(
        reader.get_destination_page_number(o) + 1
        for o in reader.outline
        if not isinstance(o, list) and o.title.startswith("Annex")
    )
    assert first_annex <= 9, first_annex  # page 1 and at most 7 of body before the annexes


def test_executive_states_the_headline_number_with_its_condition(built: dict[str, Path]) -> None:
    text = re.sub(r"\s+", " ", " ".join(pdf_pages(built["executive.pdf"])))
    assert "84%" in text
    assert "shares the model's values" in text or "shares the model’s values" in text
    assert "not disclosed" in text


THIN = """\
id: aiid-{n}
title: Chatbot incident number {n} reported in the press
kind: incident
date: 2024-0{n}-15
developer: Example Lab
summary: A pulled record with no analyst work yet.
"""


@pytest.fixture(scope="module")
def thin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A brief over three unassessed pulled incidents: no claims, no evaluations, no risk inputs."""
    from conftest import write_project

    brief = (
        "id: thin\ntitle: Three new incidents\nscope:\n  incidents: [aiid-1, aiid-2, aiid-3]\n"
        "audiences: [regulator, executive, technical, public]\ncadence: monthly\nclassification: OFFICIAL\n"
        "bottom_line: Three incidents were reported and none has been assessed yet.\n"
        "key_judgements:\n  - None of the three has been checked against a primary source yet.\n"
    )
    files: dict[str, str | None] = {f"data/incidents/aiid-{n}.yaml": THIN.format(n=n) for n in (1, 2, 3)}
    files.update(
        {
            "briefs/example.yaml": None,
            "briefs/thin.yaml": brief,
            "data/incidents/example-finding.yaml": None,
            "data/evaluations/example.csv": None,
        }
    )
    root = write_project(tmp_path_factory.mktemp("thin") / "p", files)
    result = runner.invoke(
        app,
        ["build", "--project", str(root), "--brief", "thin", "--audience", "all", "--date", "2026-11-26", "--quiet"],
    )
    assert result.exit_code == 0, result.output
    return root / "output" / "thin" / "2026-11"


def _sections(html: str) -> list[tuple[str, str]]:
    """Return (heading, text after the heading) of every chapter section."""
    out = []
    for m in re.finditer(
        r'<section id="([^"]+)" class="chapter[^"]*"[^>]*>(.*?)(?=<section id="[^"]+" class="chapter|</main>)',
        html,
        re.S,
    ):
        body = re.sub(r"<h2[^>]*>.*?</h2>", "", m.group(2), count=1, flags=re.S)
        out.append((m.group(1), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()))
    return out


def test_a_brief_over_unassessed_incidents_has_no_empty_sections(thin: Path) -> None:
    for aud in AUDIENCES:
        html = (thin / f"thin-{aud}.html").read_text(encoding="utf-8")
        for ident, text in _sections(html):
            assert len(text) > 20, f"{aud}: section {ident} is empty"
        text = " ".join(blocks(html))
        assert "not yet" in text.lower(), aud  # absence is stated
        for boilerplate in (
            "Evaluation results",
            "every claim carries its source",
            "Does not apply",
            "Recommendations",
        ):
            assert boilerplate not in text, (aud, boilerplate)
    executive = " ".join(blocks((thin / "thin-executive.html").read_text(encoding="utf-8")))
    assert "Three incidents were reported" in executive and "checked against a primary source" in executive


def test_build_warns_when_an_audience_exceeds_its_page_budget(tmp_path: Path) -> None:
    from conftest import BRIEF, write_project

    root = write_project(tmp_path / "p", {"briefs/example.yaml": BRIEF + "pages: {regulator: 1}\n"})
    result = runner.invoke(app, ["build", "--project", str(root), "--date", "2026-11-26"])
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.output.splitlines() if "over the budget" in line)
    pages = len(PdfReader(root / "output/example/2026-11/example-regulator.pdf").pages)
    assert f"example-regulator: {pages} pages, over the budget of 1; most pages: " in warning
    assert re.search(r"most pages: [^;]+\(\d+ pages?\)", warning)
    within = write_project(tmp_path / "q", {"briefs/example.yaml": BRIEF + "pages: {regulator: 40}\n"})
    result = runner.invoke(app, ["build", "--project", str(within), "--date", "2026-11-26"])
    assert result.exit_code == 0 and "over the budget" not in result.output


def test_what_changed_is_in_every_audience_and_shows_no_identifier(tmp_path: Path) -> None:
    from conftest import BRIEF, write_project

    root = write_project(
        tmp_path / "p",
        {
            "briefs/example.yaml": BRIEF.replace(
                "audiences: [regulator]", "audiences: [regulator, executive, technical, public]"
            )
        },
    )
    assert (
        runner.invoke(
            app, ["build", "--project", str(root), "--date", "2026-11-26", "--html-only", "-q", "-a", "all"]
        ).exit_code
        == 0
    )
    incident = root / "data/incidents/example-finding.yaml"
    incident.write_text(incident.read_text().replace("severity: 3", "severity: 4"))
    assert (
        runner.invoke(
            app, ["build", "--project", str(root), "--date", "2026-12-20", "--html-only", "-q", "-a", "all"]
        ).exit_code
        == 0
    )
    ids = _ids(root)
    for aud in AUDIENCES:
        html = (root / f"output/example/2026-12/example-{aud}.html").read_text(encoding="utf-8")
        section = html[html.index('id="what-changed"') :]
        text = " ".join(blocks(section[: section.index("</section>")]))
        assert "severity (S) S3 → S4" in text, aud
        assert _leaks(text, ids) == [], aud
