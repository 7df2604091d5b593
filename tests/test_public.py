"""The public brief: plain words for members of the public, from the data's own plain fields.

The default brief's public audience is built once: at most 8 pages, body text at US grade 8 or
below (Flesch–Kincaid, textstat), no sentence of 12 or more words twice, a glossary of exactly the
listed terms its text uses, no tool-internal identifiers. `brief validate` warns when the public
brief lacks a plain field or a plain text reads above grade 8.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, write_project
from pypdf import PdfReader
from typer.testing import CliRunner

from brief.check.readability import grade, plain_text, sentences_of_html
from brief.cli import app
from brief.load import glossary
from brief.load.config import load_config
from brief.load.dataset import load_dataset

runner = CliRunner()
REQUIRED_TERMS = {
    "weights",
    "self-exfiltration",
    "asl-3",
    "cbrn",
    "scheming",
    "system prompt",
    "red-teaming",
    "snapshot",
    "system card",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """The default brief's public audience, built once: (its HTML, its PDF)."""
    root = tmp_path_factory.mktemp("public") / "proj"
    root.mkdir()
    shutil.copy(REPO / "brief.toml", root / "brief.toml")
    shutil.copytree(REPO / "briefs", root / "briefs")
    shutil.copytree(REPO / "data", root / "data", ignore=shutil.ignore_patterns("schema"))
    result = runner.invoke(
        app, ["build", "--project", str(root), "--date", "2026-12-07", "--audience", "public", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    out = root / "output" / "frontier-self-preservation" / "2026-12"
    return (out / "frontier-self-preservation-public.html").read_text(
        encoding="utf-8"
    ), out / "frontier-self-preservation-public.pdf"


def main_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def body_of(html: str) -> str:
    """The text a reader reads: the brief without its notes, note calls and sources list."""
    main = main_of(html)
    main = main[: main.index('<section id="sources"')]
    main = re.sub(r'<a class="noteref"[^>]*>.*?</a>', "", main)
    return main


def section(html: str, ident: str) -> str:
    start = html.index(f'<section id="{ident}"')
    return html[start : html.index("</section>", start)]


def text_of(html: str) -> str:
    return glossary.text_of(html)


def test_public_pdf_has_at_most_eight_pages(built: tuple[str, Path]) -> None:
    pages = len(PdfReader(built[1]).pages)
    assert 1 <= pages <= 8, f"{pages} pages"


def test_public_body_reads_at_grade_8_or_below(built: tuple[str, Path]) -> None:
    text = sentences_of_html(body_of(built[0]))
    words = len(text.split())
    assert words > 1000  # the whole body is measured, not a fragment of it
    assert grade(text) <= 8.0, f"grade {grade(text):.1f} over {words} words"


def test_a_hard_text_scores_above_grade_8_and_citations_do_not_count() -> None:
    hard = (
        "Anthropic researchers stress-tested sixteen leading models from multiple developers in hypothetical "
        "corporate environments, measuring misalignment through classifier-assisted transcript evaluation."
    )
    assert grade(hard) > 12
    easy = "The model chose blackmail in one test. No one was hurt."
    assert grade(easy) < 5
    assert plain_text(easy.replace("test.", "test [@anthropic-2025-syscard, sec. 4.1.1.2, p. 27].")) == easy
    assert grade(
        easy.replace("hurt.", "hurt [@lynch-2025-agentic-misalignment; @eu-2024-ai-act, art. 3(49)].")
    ) == grade(easy)


def test_plain_text_strips_citations_as_markers_reads_them() -> None:
    # in-text keys go with the space before them; the full stop after one stays
    assert plain_text("As @doe99 says, it works. It was shown by @doe99.") == "As says, it works. It was shown by."
    # an e-mail address, a marker in a code span and a bracket without a key are words the reader sees
    assert plain_text("Mail press@example.org now.") == "Mail press@example.org now."
    assert plain_text("Write `[@key]` in prose.") == "Write [@key] in prose."
    assert plain_text("Not a cite [email @ here].") == "Not a cite [email @ here]."


def test_no_sentence_of_twelve_or_more_words_appears_twice(built: tuple[str, Path]) -> None:
    # The body and the glossary; not the notes, which cite the same sources many times by design.
    text = sentences_of_html(body_of(built[0]))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) >= 12]
    repeated = [s for s, n in Counter(sentences).items() if n > 1]
    assert len(sentences) > 80 and repeated == []


def test_glossary_defines_exactly_the_listed_terms_the_text_uses(built: tuple[str, Path]) -> None:
    html = built[0]
    terms = glossary.load(REPO / "data")
    by_name = {t.term: t for t in terms}
    words = section(html, "words")
    defined = [text_of(m) for m in re.findall(r"<dfn>(.*?)</dfn>", words)]
    body = text_of(body_of(html).replace(words, ""))
    used = {t.term for t in terms if glossary.uses(t, body)}
    assert used - set(defined) == set(), "terms used but not defined"
    # A term is defined only when the text uses it, or when another definition shown uses it.
    for name in defined:
        others = " ".join(by_name[d].definition for d in defined if d != name)
        assert name in used or glossary.uses(by_name[name], others), f"{name} is defined but not used"
    assert REQUIRED_TERMS <= {d.casefold() for d in defined}
    assert defined == sorted(defined, key=str.casefold)
    assert grade(" ".join(by_name[d].definition for d in defined)) <= 8.0  # the definitions are plain too


def test_no_record_ids_or_tool_codes_reach_the_reader(built: tuple[str, Path]) -> None:
    ds, _ = load_dataset(load_config(REPO))
    ids = set(ds.incidents) | set(ds.sources) | set(ds.recommendations) | set(ds.briefs)
    ids |= {e.id for e in ds.evaluations} | {c.id for inc in ds.incidents.values() for c in inc.claims}
    text = text_of(body_of(built[0]))
    found = sorted(i for i in ids if re.search(rf"(?<![\w/-]){re.escape(i)}(?![\w/-])", text))
    assert found == []
    for code in (
        r"\w+\.(?:ya?ml|csv|json|html|py)\b",
        r"\bdata/",
        r"\btemplates?/",
        r"\b(?:cop|mit|nist|oecd|topic):",
        r"\bEU\.[A-Z]",
        r"\b[a-z]+_[a-z_]+\b",
        r"research-finding",
        r"partly-accurate",
        r"\brollouts?\b",
        r"\bWilson\b",
        r"\bFLOP\b",
        r"\bsubdomain\b",
        r"string matching",
        r"\bn = \d",
        r"rubric",
    ):
        assert not re.search(code, text), f"{code!r} in the public text"


def test_public_brief_prints_the_plain_fields_and_its_own_advice(built: tuple[str, Path]) -> None:
    html = built[0]
    text = text_of(body_of(html))
    spec = load_dataset(load_config(REPO))[0].briefs["frontier-self-preservation"]
    assert spec.plain is not None and spec.plain.for_readers
    assert text_of(section(html, "for-you")).startswith("What this means for you")
    assert "Regulators should" not in text and "regulators should" not in text
    assert plain_text(spec.plain.key_judgements[0]).split(". ")[0] in text
    assert plain_text(spec.plain.bottom_line or "")[:80] in text
    assert plain_text(spec.bottom_line or "")[:80] not in text  # the technical bottom line is not printed
    # The 84% figure keeps its condition in plain words wherever it is stated; later mentions refer back.
    for block in re.findall(r"<(?:p|li)\b[^>]*>(.*?)</(?:p|li)>", body_of(html), re.S):
        if "84%" in block:
            assert re.search(r"test runs|set-up|conditions|the 84% figure", block), text_of(block)


PLAIN = """\
plain:
  bottom_line: The model chose blackmail in one made-up test [@dev-2025-card, sec. 4.1].
  key_judgements:
    - It was a test, not real use [@dev-2025-card, sec. 4.1].
  for_readers:
    - Look for the conditions behind a number [@dev-2025-card, sec. 4.1].
"""
INCIDENT_PLAIN = """\
plain:
  title: A model chose blackmail in a test
  summary: In a made-up test, the model chose blackmail in 84% of test runs of one set-up [@dev-2025-card, sec. 4.1].
"""


def public_project(root: Path, brief_extra: str = "", incident_extra: str = "") -> Path:
    from conftest import BRIEF, INCIDENT

    brief = BRIEF.replace("audiences: [regulator]", "audiences: [regulator, public]") + brief_extra
    return write_project(
        root, {"briefs/example.yaml": brief, "data/incidents/example-finding.yaml": INCIDENT + incident_extra}
    )


def validate_lines(root: Path) -> list[str]:
    result = runner.invoke(app, ["validate", "--project", str(root)])
    assert result.exit_code == 0, result.output
    return [line for line in result.output.splitlines() if "warning:" in line and ("plain" in line or "grade" in line)]


def test_validate_warns_for_each_missing_plain_field(tmp_path: Path) -> None:
    lines = validate_lines(public_project(tmp_path / "p"))
    assert lines == [
        (
            "briefs/example.yaml:1: warning: the public brief has no plain bottom line (plain.bottom_line): it "
            "prints the technical one instead"
        ),
        (
            "briefs/example.yaml:1: warning: the public brief has no plain key judgements "
            "(plain.key_judgements): it prints the technical ones instead"
        ),
        (
            "briefs/example.yaml:1: warning: the public brief has no plain words on what the findings mean for "
            "readers (plain.for_readers)"
        ),
        (
            "data/incidents/example-finding.yaml:1: warning: no plain summary (plain.summary) for the public "
            "brief 'example': it lists the curated findings instead"
        ),
    ]
    assert validate_lines(public_project(tmp_path / "q", PLAIN, INCIDENT_PLAIN)) == []


def test_validate_warns_for_a_public_text_above_grade_8(tmp_path: Path) -> None:
    hard = PLAIN.replace(
        "The model chose blackmail in one made-up test",
        "Anthropic researchers stress-tested multiple frontier models in hypothetical corporate environments, "
        "demonstrating agentic misalignment under contrived experimental conditions",
    )
    lines = validate_lines(public_project(tmp_path / "p", hard, INCIDENT_PLAIN))
    assert len(lines) == 1
    assert re.fullmatch(
        (
            r"briefs/example\.yaml:\d+: plain\.bottom_line: warning: the public text reads at US grade \d+\.\d "
            r"\(Flesch–Kincaid\), above 8: use shorter sentences and everyday words"
        ),
        lines[0],
    ), lines[0]
    assert float(re.search(r"grade (\d+\.\d)", lines[0]).group(1)) > 8


def test_a_thin_public_brief_says_what_is_not_there_and_prints_no_empty_section(tmp_path: Path) -> None:
    from conftest import BRIEF, INCIDENT

    unassessed = INCIDENT[: INCIDENT.index("risk:")] + "recommendations: [ask-protocol]\n"
    brief = BRIEF.replace("audiences: [regulator]", "audiences: [public]").replace("focus: example-finding\n", "")
    root = write_project(
        tmp_path / "thin", {"briefs/example.yaml": brief, "data/incidents/example-finding.yaml": unassessed}
    )
    result = runner.invoke(
        app, ["build", "--project", str(root), "--date", "2026-11-26", "--quiet", "--html-only", "--audience", "public"]
    )
    assert result.exit_code == 0, result.output
    html = (root / "output" / "example" / "2026-11" / "example-public.html").read_text(encoding="utf-8")
    text = text_of(html)
    assert "We have not yet rated how serious these findings are." in text
    assert "We have not yet rated how serious this finding is." in text
    assert "What this means for you" not in text  # no plain advice in the data: no heading
    assert "What some news reports got wrong" not in text  # no plain press correction: no heading
    for heading in re.findall(r"<h2[^>]*>(.*?)</h2>\s*</section>", html):
        pytest.fail(f"empty section {heading!r}")


def test_a_new_project_has_the_plain_fields_its_public_brief_needs(tmp_path: Path) -> None:
    assert runner.invoke(app, ["init", str(tmp_path / "new")]).exit_code == 0
    assert validate_lines(tmp_path / "new") == []
