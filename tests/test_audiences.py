"""Four audiences from one source: templates per audience, overrides, markings, contents, charts,
`brief init`, and byte-identical output for every audience."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from brief.cli import app

runner = CliRunner()
AUDIENCES = ("regulator", "executive", "technical", "public")
ALL = {"briefs/example.yaml": None}


def all_audiences_brief() -> str:
    from conftest import BRIEF

    return BRIEF.replace("audiences: [regulator]", "audiences: [regulator, executive, technical, public]")


def make(root: Path, extra: dict[str, str | None] | None = None) -> Path:
    from conftest import write_project

    return write_project(root, {"briefs/example.yaml": all_audiences_brief(), **(extra or {})})


def build(root: Path, *args: str) -> Path:
    result = runner.invoke(app, ["build", "--project", str(root), "--date", "2026-11-26", "--quiet", *args])
    assert result.exit_code == 0, result.output
    return root / "output" / "example" / "2026-11"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(make(tmp_path_factory.mktemp("aud") / "proj"), "--audience", "all")


def test_every_audience_renders_from_its_own_template(out: Path) -> None:
    for aud in AUDIENCES:
        html = (out / f"example-{aud}.html").read_text()
        assert f'<meta name="brief.template" content="{aud}/brief.html">' in html
        assert f"<!-- Templates considered: {aud}/example.html, {aud}/brief.html, brief.html -->" in html
        assert (out / f"example-{aud}.pdf").read_bytes().startswith(b"%PDF-")


def test_marking_is_the_classification_except_for_the_public_brief(out: Path) -> None:
    for aud in ("regulator", "executive", "technical"):
        html = (out / f"example-{aud}.html").read_text()
        assert '<header class="marking marking-top"><p>OFFICIAL</p></header>' in html
    public = (out / "example-public.html").read_text()
    assert '<header class="marking marking-top"><p>PUBLIC</p></header>' in public
    assert "OFFICIAL" not in public
    reader = PdfReader(out / "example-public.pdf")
    for page in reader.pages:  # on every page, top and bottom
        assert page.extract_text().count("PUBLIC") >= 2
    assert "OFFICIAL" not in "".join(p.extract_text() for p in reader.pages)


def test_marking_can_be_set_per_audience(tmp_path: Path) -> None:
    spec = all_audiences_brief() + "markings: {executive: OFFICIAL-SENSITIVE, public: PUBLIC}\n"
    folder = build(make(tmp_path / "p", {"briefs/example.yaml": spec}), "--audience", "executive", "--html-only")
    assert "<p>OFFICIAL-SENSITIVE</p>" in (folder / "example-executive.html").read_text()
    bad = make(tmp_path / "q", {"briefs/example.yaml": all_audiences_brief() + "markings: {ministers: SECRET}\n"})
    result = runner.invoke(app, ["validate", "--project", str(bad)])
    assert result.exit_code == 1
    assert "unknown audience 'ministers'" in result.stderr


def test_chapters_are_numbered_and_listed_with_page_numbers(out: Path) -> None:
    html = (out / "example-regulator.html").read_text()
    titles = re.findall(r'<h2 id="[^"]+"><span class="secno">(\d+)</span> ([^<]+)</h2>', html)
    assert [t for _, t in titles] == ["The case", "What the press got wrong", "Risk level", "Recommendations"]
    assert [n for n, _ in titles] == ["1", "2", "3", "4"]
    contents = html[html.index('<ol class="toc-list">') : html.index("</ol>", html.index('<ol class="toc-list">'))]
    listed = re.findall(r'<span class="toc-title">([^<]+)</span>', contents)
    assert listed[: len(titles)] == [t for _, t in titles]  # numbered chapters, then annexes and end matter
    assert listed[len(titles) :] == [
        "Findings and claims register",
        "Regulatory matrix",
        "Risk derivations",
        "Sources",
        "Method note",
    ]
    reader = PdfReader(out / "example-regulator.pdf")
    # Contents come after page 1, which carries the bottom line and key judgements.
    assert "Contents" not in reader.pages[0].extract_text() and "Key judgements" in reader.pages[0].extract_text()
    toc_page = next(p.extract_text() for p in reader.pages if "Contents" in p.extract_text())
    assert re.search(r"The case\s*\.+\s*\d+", toc_page), toc_page
    # Running header: the section title on the pages of that section; page X of Y in the footer.
    last = reader.pages[-1].extract_text()
    assert f"Page {len(reader.pages)} of {len(reader.pages)}" in last
    assert any(re.search(r"^\d+ Recommendations", p.extract_text(), re.M) for p in reader.pages)
    assert [o.title for o in reader.outline if not isinstance(o, list)][:3] == [
        "Key judgements",
        "Decisions for you",
        "1 The case",
    ]


def test_executive_brief_is_short_and_has_the_essentials(out: Path) -> None:
    reader = PdfReader(out / "example-executive.pdf")
    assert len(reader.pages) <= 2
    text = text_of((out / "example-executive.html").read_text())
    assert "Bottom line" in text and "Risk level" in text and "Moderate" in text
    assert "Decisions for you" in text and "Request the evaluation protocol." in text
    assert "84%" in text and "Condition: replacement shares values" in text  # the headline number with its condition


def test_technical_brief_reports_n_intervals_conditions_and_caveats(out: Path) -> None:
    text = text_of((out / "example-technical.html").read_text())
    assert "n not disclosed" in text
    assert "7/100" in text and "3.4% to 13.7%" in text and "Wilson score interval" in text
    assert "C1 Replacement shares values" in text and "C2 Same" in text
    assert "Contrived scenarios." in text and "Data appendix" in text and "Annex A" in text
    assert "ex-1" not in text and "ex-2" not in text  # rows by evaluation and model, never by record id
    assert text.count("Example Model") >= 2 and "Other Model" in text


def test_public_brief_is_plain_and_keeps_the_facts_and_citations(out: Path) -> None:
    public = (out / "example-public.html").read_text()
    text = text_of(public)
    assert "Words we use" in text and "Contrived scenario" in text
    assert "The model blackmailed in 84% of rollouts where the replacement shares its values." in text
    assert 'href="#ref-dev-2025-card"' in public and "Primary sources" in text
    sentences = [
        s
        for s in re.split(
            r"(?<=[.!?])\s+", text_of(public[public.index('id="in-short"') : public.index('id="what-happened"')])
        )
        if s.strip()
    ]
    template_sentences = [s for s in sentences if "blackmail" not in s]  # the brief's own framing, not the data
    assert max(len(s.split()) for s in template_sentences) <= 25


def test_charts_are_inline_svg_with_a_text_alternative(out: Path) -> None:
    html = (out / "example-technical.html").read_text()
    svgs = re.findall(r"<svg [^>]*>", html)
    assert svgs and all('role="img"' in s and "aria-labelledby=" in s for s in svgs)
    assert '<title id="matrix-example-finding-title">Risk matrix of rubric v0.1' in html
    assert (
        "S3 Moderate, L1 ≤20%, where the matrix gives Low; after the rubric's further steps its level is Moderate."
        in html
    )
    assert "Other Model 7/100 (95% interval 3% to 14%, n = 100)" in html
    assert "Example Model 84% (n not disclosed)" in html


def test_same_inputs_give_identical_files_for_every_audience(out: Path, tmp_path: Path) -> None:
    again = build(make(tmp_path / "again"), "--audience", "all")
    for aud in AUDIENCES:
        for ext in ("html", "pdf"):
            name = f"example-{aud}.{ext}"
            assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_project_template_extends_the_packaged_one_with_the_default_prefix(tmp_path: Path) -> None:
    override = (
        '{% extends "default:executive/brief.html" %}\n{% block colophon %}<p class="colophon">Prepared for the '
        "board.</p>{% endblock %}\n"
    )
    root = make(tmp_path / "p", {"templates/executive/brief.html": override})
    html = (build(root, "--audience", "executive", "--html-only") / "example-executive.html").read_text()
    assert "Prepared for the board." in html
    assert "Decisions for you" in html  # the rest comes from the packaged template
    assert '<meta name="brief.template" content="executive/brief.html">' in html


def test_most_specific_template_wins(tmp_path: Path) -> None:
    own = '{% extends "default:public/brief.html" %}\n{% block title %}Example, for everyone{% endblock %}\n'
    root = make(tmp_path / "p", {"templates/public/example.html": own})
    html = (build(root, "--audience", "public", "--html-only") / "example-public.html").read_text()
    assert "<title>Example, for everyone</title>" in html
    assert '<meta name="brief.template" content="public/example.html">' in html


def test_unknown_pdf_variant_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["build", "--project", str(make(tmp_path / "p")), "--pdf-variant", "pdf/x-4"])
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == "unknown PDF variant 'pdf/x-4': expected one of pdf/ua-1, pdf/ua-2, pdf/a-3b, pdf/a-3u"
    )


def test_init_creates_a_project_that_builds(tmp_path: Path) -> None:
    target = tmp_path / "new"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert "brief.toml" in result.stdout.splitlines()
    assert (target / "templates").is_dir() and not any((target / "templates").iterdir())
    assert (target / "data" / "rubric" / "v0.1.yaml").read_bytes() == (
        Path(__file__).resolve().parent.parent / "data" / "rubric" / "v0.1.yaml"
    ).read_bytes()
    built = runner.invoke(app, ["build", "--project", str(target), "--date", "2026-11-26", "--html-only", "--quiet"])
    assert built.exit_code == 0, built.output
    names = sorted(p.name for p in (target / "output" / "opus-4-blackmail" / "2026-11").glob("*.html"))
    assert names == [f"opus-4-blackmail-{a}.html" for a in sorted(AUDIENCES)]
    again = runner.invoke(app, ["init", str(target)])
    assert again.exit_code == 2
    assert "already exists and is not an empty folder" in again.stderr
