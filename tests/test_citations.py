"""Citations: marker parsing, fidelity to pandoc's citeproc, ordering, errors, cache, Markdown."""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from brief.core.errors import DataError, RenderError
from brief.load.markdown import markdown_inline, markdown_to_html
from brief.load.markers import Citation, CiteItem, cite_keys, in_text_keys, parse_markers
from brief.load.model import Reliability, Source
from brief.load.styles import resolve_style
from brief.render import citations as cit
from brief.render.citations import CitationEngine

# --- parse_markers ----------------------------------------------------------------------------


def test_single_marker():
    text = "It did [@anthropic-2025-syscard]."
    [(start, end, citation)] = parse_markers(text)
    assert text[start:end] == "[@anthropic-2025-syscard]"
    assert citation == Citation((CiteItem("anthropic-2025-syscard"),))


def test_locator_is_kept_exactly():
    [(_, _, citation)] = parse_markers("in 84% of rollouts [@anthropic-2025-syscard, sec. 4.1.1.2].")
    assert citation.items == (CiteItem("anthropic-2025-syscard", locator="sec. 4.1.1.2"),)


def test_multiple_keys_with_locator():
    [(_, _, citation)] = parse_markers("See [@a; @b, p. 3].")
    assert citation.items == (CiteItem("a"), CiteItem("b", locator="p. 3"))
    assert citation.keys == ("a", "b")


def test_prefix_and_suffix():
    [(_, _, citation)] = parse_markers("[see @key, p. 33; also @other emphasis added]")
    assert citation.items == (
        CiteItem("key", locator="p. 33", prefix="see"),
        CiteItem("other", prefix="also", suffix="emphasis added"),
    )


def test_keys_follow_pandoc_rules():
    [(_, _, citation)] = parse_markers("[@smith:2020.b, p. 3] and [-@doe]")[:1]
    assert citation.items[0].key == "smith:2020.b"
    [_, (_, _, suppressed)] = parse_markers("[@smith:2020.b, p. 3] and [-@doe]")
    assert suppressed.items == (CiteItem("doe", suppress_author=True),)
    # trailing punctuation is not part of a key
    assert cite_keys("[@doe.]") == ["doe"]


def test_escaped_marker_is_not_a_citation():
    assert parse_markers(r"literally \[@key] here") == []
    # an escaped backslash does not escape the bracket
    assert cite_keys(r"a\\[@key]") == ["key"]


def test_email_is_not_a_citation():
    assert parse_markers("Write to [press@example.org] or [contact: foo@bar.com].") == []
    assert parse_markers("Mail foo@bar.com now.") == []


def test_marker_in_code_span_is_ignored():
    assert cite_keys("Write `[@key]` to cite, e.g. [@real].") == ["real"]


def test_cite_keys_in_order_with_repeats():
    text = "A [@a, sec. 1]. B [@b; @a]. C [see @c]."
    assert cite_keys(text) == ["a", "b", "a", "c"]


def test_marker_spanning_lines():
    [(_, _, citation)] = parse_markers("text [@key, sec.\n  4.1.1.2] more")
    assert citation.items[0].locator == "sec. 4.1.1.2"


def test_in_text_citations_are_the_bare_keys_outside_markers():
    assert in_text_keys("As @doe99 says, and @smith:2020.b shows [@a; see @b].") == ["doe99", "smith:2020.b"]
    assert in_text_keys("@{odd/key}, then @first.") == ["odd/key", "first"]
    assert in_text_keys("Mail press@example.org, not `@code`; [@a] is a marker.") == []
    assert cite_keys("As @doe99 says.") == [] and in_text_keys("no citation") == []


# --- fixture: ten varied CSL items -------------------------------------------------------------

ITEMS = [
    (
        {
            "id": "anthropic-2025-syscard",
            "type": "report",
            "title": "System Card: Claude Opus 4 & Claude Sonnet 4",
            "author": [{"literal": "Anthropic"}],
            "publisher": "Anthropic",
            "issued": {"date-parts": [[2025, 5]]},
            "URL": "https://www-cdn.anthropic.com/4263b940cabb546aa0e3283f35b686f4f3b2ff47.pdf",
            "accessed": {"date-parts": [[2025, 11, 3]]},
        },
        "primary",
    ),
    (
        {
            "id": "metr-2025-eval",
            "type": "webpage",
            "title": "Details about METR's preliminary evaluation of Claude 3.7",
            "container-title": "METR",
            "issued": {"date-parts": [[2025, 4, 4]]},
            "accessed": {"date-parts": [[2025, 11, 3]]},
            "URL": "https://evaluations.metr.org/claude-3-7-report/",
        },
        "primary",
    ),
    (
        {
            "id": "bbc-2025-blackmail",
            "type": "article-newspaper",
            "title": "AI system resorts to blackmail if told it will be removed",
            "container-title": "BBC News",
            "issued": {"date-parts": [[2025, 5, 23]]},
            "URL": "https://www.bbc.com/news/articles/cpqeng9d20go",
        },
        "secondary",
    ),
    (
        {
            "id": "lynch-2025-agentic",
            "type": "post-weblog",
            "title": "Agentic misalignment: How LLMs could be insider threats",
            "author": [
                {"family": "Lynch", "given": "Aengus"},
                {"family": "Wright", "given": "Benjamin"},
                {"family": "Larson", "given": "Caleb"},
            ],
            "container-title": "Anthropic Research",
            "issued": {"date-parts": [[2025, 6, 20]]},
            "URL": "https://www.anthropic.com/research/agentic-misalignment",
        },
        "primary",
    ),
    (
        {
            "id": "meinke-2024-scheming",
            "type": "article",
            "title": "Frontier models are capable of in-context scheming",
            "author": [
                {"family": "Meinke", "given": "Alexander"},
                {"family": "Schoen", "given": "Bronson"},
                {"family": "Scheurer", "given": "Jérémy"},
                {"family": "Balesni", "given": "Mikita"},
                {"family": "Shah", "given": "Rusheb"},
                {"family": "Hobbhahn", "given": "Marius"},
            ],
            "publisher": "arXiv",
            "number": "arXiv:2412.04984",
            "issued": {"date-parts": [[2024, 12, 6]]},
            "URL": "https://arxiv.org/abs/2412.04984",
        },
        "primary",
    ),
    (
        {
            "id": "eu-ai-act-2024",
            "type": "legislation",
            "title": "Regulation (EU) 2024/1689 laying down harmonised rules on artificial intelligence (Artificial Intelligence Act)",
            "title-short": "AI Act",
            "container-title": "Official Journal of the European Union",
            "number": "Regulation (EU) 2024/1689",
            "issued": {"date-parts": [[2024, 6, 13]]},
            "URL": "https://eur-lex.europa.eu/eli/reg/2024/1689/oj",
        },
        "primary",
    ),
    (
        {
            "id": "seoul-2024-commitments",
            "type": "document",
            "title": "Frontier AI safety commitments, AI Seoul Summit 2024",
            "issued": {"date-parts": [[2024, 5, 21]]},
            "URL": "https://www.gov.uk/government/publications/frontier-ai-safety-commitments-ai-seoul-summit-2024",
        },
        "primary",
    ),
    (
        {
            "id": "bowman-2025-x",
            "type": "post",
            "title": "If it thinks you're doing something egregiously immoral",
            "author": [{"family": "Bowman", "given": "Sam"}],
            "container-title": "X",
            "issued": {"date-parts": [[2025, 5, 22]]},
            "URL": "https://x.com/sleepinyourhat/status/1925593359374328272",
        },
        "social",
    ),
    (
        {
            "id": "zeff-2025-techcrunch",
            "type": "article-newspaper",
            "title": "Anthropic's new AI model turns to blackmail when engineers try to take it offline",
            "author": [{"family": "Zeff", "given": "Maxwell"}],
            "container-title": "TechCrunch",
            "issued": {"date-parts": [[2025, 5, 22]]},
            "URL": "https://techcrunch.com/2025/05/22/anthropics-new-ai-model-turns-to-blackmail-when-engineers-try-to-take-it-offline/",
        },
        "secondary",
    ),
]

# Cited in this order: repeats (subsequent short notes, ibid), several keys in one marker, prefixes.
MARKERS = [
    "[@anthropic-2025-syscard, sec. 4.1.1.2]",
    "[@bbc-2025-blackmail]",
    "[@meinke-2024-scheming, p. 27]",
    "[@eu-ai-act-2024, Art. 73]",
    "[@anthropic-2025-syscard, sec. 4.1.1.2]",
    "[@anthropic-2025-syscard, p. 27]",
    "[@lynch-2025-agentic; @metr-2025-eval]",
    "[see @seoul-2024-commitments, para. 3]",
    "[@bowman-2025-x]",
    "[@eu-ai-act-2024, Art. 73]",
    "[@zeff-2025-techcrunch, para. 3]",
    "[@meinke-2024-scheming]",
]


@pytest.fixture(scope="module")
def sources() -> dict[str, Source]:
    return {
        item["id"]: Source.model_validate(
            {**item, "reliability": rel, "verification": item.get("verification", "consulted")}
        )
        for item, rel in ITEMS
    }


@pytest.fixture(autouse=True)
def _fresh_cache():
    cit.clear_cache()
    yield
    cit.clear_cache()


class _Pandoc(HTMLParser):
    """Collect pandoc's own footnotes, in-text citations and bibliography entries as plain text."""

    def __init__(self):
        super().__init__()
        self.notes, self.intext, self.bib = [], [], []  # bib: (key, text)
        self._stack = []  # (kind, depth) of open collectors
        self._depth = 0
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self._depth += 1
        classes = (a.get("class") or "").split()
        if self._skip or (tag == "a" and "footnote-back" in classes):
            self._skip += 1
            return
        if tag == "li" and (a.get("id") or "").startswith("fn"):
            self.notes.append("")
            self._stack.append(("notes", self._depth))
        elif tag == "span" and "citation" in classes and not self._stack:
            self.intext.append("")
            self._stack.append(("intext", self._depth))
        elif tag == "div" and "csl-entry" in classes:
            self.bib.append([a["id"].removeprefix("ref-"), ""])
            self._stack.append(("bib", self._depth))

    def handle_endtag(self, tag):
        if self._skip:
            self._skip -= 1
        elif self._stack and self._stack[-1][1] == self._depth:
            self._stack.pop()
        self._depth -= 1

    def handle_data(self, data):
        if self._skip or not self._stack:
            return
        kind = self._stack[-1][0]
        if kind == "bib":
            self.bib[-1][1] += data
        else:
            getattr(self, kind)[-1] += data


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _markers(style: str) -> list[str]:
    # Chicago (18th ed.) cites social-media posts in notes only: brief refuses a cited source missing
    # from the Sources list (test_source_the_style_leaves_out_of_the_bibliography_is_an_error).
    return [m for m in MARKERS if not (style == "chicago-notes-bibliography" and "bowman" in m)]


def _pandoc_reference(tmp_path: Path, style: str) -> _Pandoc:
    """Render the fixture the way a user would: Markdown with citations, pandoc --citeproc."""
    import pypandoc

    (tmp_path / "refs.json").write_text(json.dumps([item for item, _ in ITEMS], ensure_ascii=False), encoding="utf-8")
    sentences = [f"Sentence {i}.{marker}" for i, marker in enumerate(_markers(style), 1)]
    paragraphs = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    (tmp_path / "doc.md").write_text("\n\n".join(paragraphs) + "\n\n::: {#refs}\n:::\n", encoding="utf-8")
    out = subprocess.run(
        [pypandoc.get_pandoc_path(), "--citeproc", "--csl", str(resolve_style(style)),
         "--bibliography", "refs.json", "-M", "lang=en-US", "-t", "html", "doc.md"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    parsed = _Pandoc()
    parsed.feed(out)
    return parsed


@pytest.mark.parametrize("style", ["chicago-notes-bibliography", "apa", "ieee"])
def test_notes_and_entries_read_exactly_as_pandoc(tmp_path, sources, style):
    markers = _markers(style)
    citations = [c for m in markers for _, _, c in parse_markers(m)]
    assert len(citations) == len(markers)
    rendered = CitationEngine(sources, style).render(citations)
    reference = _pandoc_reference(tmp_path, style)

    assert rendered.note_style is (style == "chicago-notes-bibliography")
    expected_notes = reference.notes if rendered.note_style else reference.intext
    assert len(expected_notes) == len(markers)
    assert [rendered.text_of(n) for n in rendered.notes] == [_norm(n) for n in expected_notes]

    # Every source, grouped primary -> secondary -> social; pandoc's order within each group.
    ours = [(e.key, rendered.text_of(e.html)) for e in rendered.bibliography]
    theirs = [(key, _norm(text)) for key, text in reference.bib if text.strip()]
    assert sorted(ours) == sorted(theirs)
    printed = {k for k, _ in theirs}
    assert printed == set(sources) - ({"bowman-2025-x"} if style == "chicago-notes-bibliography" else set())
    ranks = [list(Reliability).index(e.reliability) for e in rendered.bibliography]
    assert ranks == sorted(ranks)
    for group in Reliability:
        members = {k for k, s in sources.items() if s.reliability == group}
        assert [k for k, _ in ours if k in members] == [k for k, _ in theirs if k in members]

    # HTML: the ampersand escaped once, URLs as links, pandoc's wrappers gone.
    syscard = next(e.html for e in rendered.bibliography if e.key == "anthropic-2025-syscard")
    assert "Claude Opus 4 &amp; Claude Sonnet 4" in syscard
    for fragment in rendered.notes + [e.html for e in rendered.bibliography]:
        assert not re.search(r"&(?!amp;|lt;|gt;|quot;|#\d+;|#x[0-9a-fA-F]+;)", fragment), fragment
        assert "footnote-back" not in fragment and "<p>" not in fragment and "csl-entry" not in fragment
    for entry in rendered.bibliography:
        url = sources[entry.key].URL
        assert f'<a href="{url}">' in entry.html.replace("&amp;", "&")
    if rendered.note_style:
        notes = [rendered.text_of(n) for n in rendered.notes]
        assert '<a href="https://www-cdn.anthropic.com/' in rendered.notes[0]
        # Chicago: the first note in full, later notes in the short form with their own locator.
        assert notes[0].startswith(
            "Anthropic, System Card: Claude Opus 4 & Claude Sonnet 4 (Anthropic, 2025), sec. 4.1.1.2, https://"
        )
        assert notes[4] == "Anthropic, System Card: Claude Opus 4 & Claude Sonnet 4, sec. 4.1.1.2."
        assert notes[5] == "Anthropic, System Card: Claude Opus 4 & Claude Sonnet 4, 27."
        assert "Artificial Intelligence Act" in notes[3] and notes[3].endswith("Art. 73.")
        assert notes[8] == "AI Act, Art. 73."  # title-short for a long title


def test_source_the_style_leaves_out_of_the_bibliography_is_an_error(sources):
    """A cited source must be in the Sources list: its notes link there. Chicago lists no 'post'."""
    citations = [Citation((CiteItem("bowman-2025-x"),)), Citation((CiteItem("bbc-2025-blackmail"),))]
    with pytest.raises(DataError) as err:
        CitationEngine(sources).render(citations)
    [line] = [str(p) for p in err.value.problems]
    assert (
        "type:" in line and "'bowman-2025-x'" in line and "type 'post'" in line and "chicago-notes-bibliography" in line
    )
    assert len(CitationEngine(sources, "apa").render(citations).bibliography) == 2  # APA lists it


def test_lower_case_model_names_keep_their_case(sources):
    item = {"id": "o1-card", "type": "report", "title": "OpenAI o1 System Card", "author": [{"literal": "OpenAI"}],
            "publisher": "OpenAI", "issued": {"date-parts": [[2024, 12, 5]]}, "reliability": "primary", "verification": "consulted"}  # fmt: skip
    rendered = CitationEngine({"o1-card": Source.model_validate(item)}).render([Citation((CiteItem("o1-card"),))])
    assert "OpenAI o1 System Card" in rendered.text_of(rendered.notes[0])
    assert "OpenAI o1 System Card" in rendered.text_of(rendered.bibliography[0].html)


def test_bibliography_keys_add_uncited_sources(sources):
    rendered = CitationEngine(sources).render(
        [Citation((CiteItem("bbc-2025-blackmail"),))], bibliography_keys=["eu-ai-act-2024"]
    )
    assert [e.key for e in rendered.bibliography] == ["eu-ai-act-2024", "bbc-2025-blackmail"]
    assert len(rendered.notes) == 1


def test_primary_sources_come_before_press(sources):
    keys = [
        "bowman-2025-x",
        "zeff-2025-techcrunch",
        "bbc-2025-blackmail",
        "meinke-2024-scheming",
        "anthropic-2025-syscard",
    ]
    rendered = CitationEngine(sources, "apa").render([Citation((CiteItem(k),)) for k in keys])
    assert [e.key for e in rendered.bibliography] == [
        "anthropic-2025-syscard", "meinke-2024-scheming",  # primary, alphabetical as APA sorts
        "bbc-2025-blackmail", "zeff-2025-techcrunch",  # secondary
        "bowman-2025-x",  # social
    ]  # fmt: skip
    assert [e.reliability for e in rendered.bibliography] == [Reliability.primary] * 2 + [Reliability.secondary] * 2 + [
        Reliability.social
    ]


def test_unknown_style_lists_closest_names(sources):
    with pytest.raises(RenderError) as info:
        CitationEngine(sources, "chicago-notes-bibliograpy")
    message = str(info.value)
    assert "unknown citation style 'chicago-notes-bibliograpy'" in message
    assert "chicago-notes-bibliography" in message and "\n" not in message
    assert message.count(",") >= 2  # three names


def test_style_by_name_case_and_by_path(sources):
    assert CitationEngine(sources, "APA").note_style is False
    path = resolve_style("oscola")
    assert CitationEngine(sources, str(path), lang=None).note_style is True
    with pytest.raises(RenderError, match="not found"):
        CitationEngine(sources, "/nowhere/style.csl")


def test_unknown_key_is_a_data_error(sources):
    engine = CitationEngine(sources)
    with pytest.raises(DataError) as info:
        engine.render([Citation((CiteItem("anthropic-2025-syscard"), CiteItem("nope"))), Citation((CiteItem("nada"),))])
    lines = info.value.lines()
    assert len(info.value.problems) == 2
    assert any("'nope'" in line for line in lines) and any("'nada'" in line for line in lines)


def test_missing_pandoc_is_a_render_error(sources, monkeypatch):
    monkeypatch.setattr(cit, "find_pandoc", lambda: Path("/nonexistent/pandoc"))
    with pytest.raises(RenderError, match="pandoc not found"):
        CitationEngine(sources).render([Citation((CiteItem("bbc-2025-blackmail"),))])


def test_pandoc_failure_is_a_render_error(sources, monkeypatch):
    real = subprocess.run

    def failing(args, **kwargs):
        if "--citeproc" in args:
            return subprocess.CompletedProcess(args, 83, "", "pandoc: boom\nmore\n")
        return real(args, **kwargs)

    monkeypatch.setattr(cit.subprocess, "run", failing)
    with pytest.raises(RenderError) as info:
        CitationEngine(sources).render([Citation((CiteItem("bbc-2025-blackmail"),))])
    assert "exit 83" in str(info.value) and "boom" in str(info.value) and "\n" not in str(info.value)


def test_cache_hit_skips_pandoc(sources, monkeypatch, tmp_path):
    calls = []
    real = subprocess.run

    def counting(args, **kwargs):
        calls.append(args)
        return real(args, **kwargs)

    monkeypatch.setattr(cit.subprocess, "run", counting)
    citations = [c for m in _markers("chicago-notes-bibliography") for _, _, c in parse_markers(m)]
    cache = tmp_path / "cache"

    first = CitationEngine(sources, cache_dir=cache).render(citations)
    runs = [a for a in calls if "--citeproc" in a]
    assert len(runs) == 1  # one pandoc call for the whole document
    again = CitationEngine(sources, cache_dir=cache).render(citations)  # in-process hit
    cit.clear_cache()
    from_disk = CitationEngine(sources, cache_dir=cache).render(citations)  # cache-dir hit
    assert [a for a in calls if "--citeproc" in a] == runs
    assert again == first and from_disk == first
    assert len(list(cache.glob("*.json"))) == 1 and not list(cache.glob("*.tmp"))

    # Another style, locale or item changes the key.
    CitationEngine(sources, "apa", cache_dir=cache).render(citations)
    assert len([a for a in calls if "--citeproc" in a]) == 2


def test_no_citations_needs_no_pandoc(sources, monkeypatch):
    monkeypatch.setattr(cit.subprocess, "run", lambda *a, **k: pytest.fail("pandoc called"))
    rendered = CitationEngine(sources).render([])
    assert rendered.notes == [] and rendered.bibliography == []


def test_suffix_markup_cannot_inject_html(sources):
    [(_, _, parsed)] = parse_markers("[@bbc-2025-blackmail, p. 3 <script>alert(1)</script> <b>x</b>]")
    made = Citation((CiteItem("zeff-2025-techcrunch", suffix="[x](javascript:alert(1)) ![i](file:///etc/passwd)"),))
    rendered = CitationEngine(sources).render([parsed, made])
    first, second = rendered.notes
    assert "<script" not in first and "&lt;script&gt;" in first and "<b>" not in first
    assert 'href="javascript' not in second and "<img" not in second and "javascript:alert(1)" in second


# --- Markdown ---------------------------------------------------------------------------------


def _placeholder(citation: Citation) -> str:
    return f'<sup class="fn">{"+".join(citation.keys)}</sup>'


def test_markdown_escapes_raw_html():
    out = markdown_to_html("Hello <script>alert(1)</script> <b>x</b>", _placeholder)
    assert "<script>" not in out and "&lt;script&gt;" in out and "<b>" not in out


def test_markdown_drops_unsafe_links():
    out = markdown_to_html(
        "[a](javascript:alert(1)) [b](file:///etc/passwd) [c](data:text/html,x) <javascript:alert(1)> "
        "[d](https://example.org) [e](mailto:x@example.org) [f](#notes) ![img](https://example.org/x.png)",
        _placeholder,
    )
    assert 'href="javascript' not in out and 'href="file' not in out and 'href="data' not in out
    assert '<a href="https://example.org">d</a>' in out
    assert '<a href="mailto:x@example.org">e</a>' in out and '<a href="#notes">f</a>' in out
    assert "<img" not in out


def test_markdown_replaces_citations_unescaped():
    out = markdown_to_html("It did *this* [@a, sec. 4.1.1.2]; also [see @b; @c].", _placeholder)
    assert out == '<p>It did <em>this</em> <sup class="fn">a</sup>; also <sup class="fn">b+c</sup>.</p>\n'


def test_markdown_leaves_code_and_escaped_markers_alone():
    seen = []
    out = markdown_to_html("Type `[@x]` or \\[@y] but cite [@z].\n\n```\n[@w]\n```\n", lambda c: seen.append(c) or "N")
    assert "<code>[@x]</code>" in out and "[@y]" in out and "[@w]" in out
    assert [c.keys for c in seen] == [("z",)]


def test_markdown_inline_has_no_paragraph():
    assert markdown_inline("**bold** [@a]", _placeholder) == '<strong>bold</strong> <sup class="fn">a</sup>'
