"""The fast paths of large projects give the results of the slow ones they stand in for (not timed).

- `load_plain` (no line marks, C composer, json) gives the values `load_lined` gives;
- a record's lines are found on demand, as if the file had been parsed with line marks;
- the numbers check reads plain prose without the Markdown renderer, with the same blocks;
- the parse cache of large projects changes nothing but time, and a bad cache is ignored;
- so does the cache of what the checks read from prose (citation keys, uncited numbers);
- a file of records validated in one call gives the records and problems of one call per record;
- records loaded with the same fields share one set of field names, until one is assigned;
- `brief build --jobs 2` writes what `--jobs 1` writes.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from brief.check import numbers
from brief.check.validate import validate
from brief.cli import app
from brief.load import dataset as local
from brief.load.config import load_config
from brief.load.markdown import markdown_to_html
from brief.load.yamlio import YamlProblem, load_lined, load_plain

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


def outcome(load, text: str):
    try:
        return "ok", load(text)
    except YamlProblem as exc:
        return "problem", exc.message, exc.line


@pytest.mark.parametrize(
    "path", sorted(p for p in (REPO / "data").rglob("*") if p.suffix in (".yaml", ".json")), ids=lambda p: p.name
)
def test_plain_load_matches_lined_load_on_the_curated_data(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert outcome(load_plain, text) == outcome(load_lined, text)


PIECES = [
    "a",
    "b: ",
    "- ",
    "  ",
    "\n",
    ": ",
    "1",
    "1e3",
    "0.5",
    "-0",
    "yes",
    "~",
    "null",
    "2025-05-22",
    '"x"',
    "'y'",
    "[",
    "]",
    "{",
    "}",
    ", ",
    "&a ",
    "*a",
    "<<: ",
    "!!str ",
    "!!set ",
    "!!python/name:os.system ",
    "#c",
    "\t",
    "? ",
    "---",
    "\u2028",
    "\x85",
    '{"k": 1, "k": 2}',
    '[{"id": "x", "n": 1.5e2}]',
    '{"a": NaN}',
    '"\\ud83d\\ude00"',
    "\\",
    "é",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_plain_load_matches_lined_load_on_any_text(text: str) -> None:
    assert outcome(load_plain, text) == outcome(load_lined, text)


def markdown_blocks(text: str) -> list[str]:
    parser = numbers._Blocks()
    parser.feed(markdown_to_html(text, lambda _citation: numbers.MARK))
    parser.close()
    parser.flush()
    return parser.blocks


PROSE = list("ab 1.9%\n\t-+*_`[]@;,:>#<&\\!=()A\xa0\r") + [
    "[@x, p. 3]",
    "[@a; @b]",
    "84%",
    "    ",
    "1. ",
    "- ",
    "\n\n",
    "May 2025",
    "[see @k]",
    "\\[@x]",
]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PROSE), max_size=30).map("".join))
def test_plain_prose_blocks_match_the_markdown_renderer(text: str) -> None:
    fast = numbers._plain_blocks(text)
    assert fast is None or fast == markdown_blocks(text)


def test_lines_are_found_on_demand(project: Path) -> None:
    report = validate(load_config(project))
    inc = report.dataset.incidents["example-finding"]
    src = report.dataset.sources["press-2025"]
    doc = load_lined((project / "data/incidents/example-finding.yaml").read_text(encoding="utf-8"))
    assert inc.origin.line == doc.line
    assert inc.locate("claims[0].sources[0].id").line == doc["claims"][0]["sources"][0].key_lines["id"]
    sources = load_lined((project / "data/sources.json").read_text(encoding="utf-8"))
    assert src.origin.line == sources[1].line
    assert src.locate("URL").line == sources[1].key_lines["URL"]


def problems(project: Path) -> list[str]:
    return [str(p) for p in validate(load_config(project)).problems]


def test_parse_cache_changes_nothing_but_time(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inc = project / "data/incidents/example-finding.yaml"
    inc.write_text(
        inc.read_text(encoding="utf-8").replace("sec. 4.1, p. 27", "sec. 4.1, p. 27\n        pages: 3"),
        encoding="utf-8",
    )
    expected = problems(project)
    assert expected and not (project / "output/.cache/parse.marshal").exists()  # small projects keep no cache
    monkeypatch.setattr(local, "PARSE_CACHE_MIN_FILES", 1)
    assert problems(project) == expected
    cache = project / "output/.cache/parse.marshal"
    assert cache.is_file()
    assert problems(project) == expected  # from the cache, lines found on demand
    cache.write_bytes(b"\x00 not a cache")
    assert problems(project) == expected


def test_prose_cache_changes_nothing_but_time(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inc = project / "data/incidents/example-finding.yaml"
    text = inc.read_text(encoding="utf-8")
    # An uncited number and an unknown citation key: both are read from prose.
    said = "summary: >-\n  In a contrived test"
    assert said in text
    inc.write_text(
        text.replace(
            said, "summary: >-\n  In 37% of 50 runs the model refused. See [@no-such-source].\n  In a contrived test", 1
        ),
        encoding="utf-8",
    )
    expected = problems(project)
    assert any("37%" in p for p in expected) and any("no-such-source" in p for p in expected)
    cache = project / "output/.cache/prose.marshal"
    assert not cache.exists()  # small projects keep no cache
    monkeypatch.setattr(numbers.ProseFacts, "MIN_TEXTS", 1)
    assert problems(project) == expected
    assert cache.is_file()
    assert problems(project) == expected  # read from the cache
    # A changed text is read again; what it no longer says is no longer reported.
    inc.write_text(
        text.replace(said, "summary: >-\n  In 41% of 50 runs the model refused.\n  In a contrived test", 1),
        encoding="utf-8",
    )
    now = problems(project)
    assert any("41%" in p for p in now) and not any("37%" in p or "no-such-source" in p for p in now)
    cache.write_bytes(b"\x00 not a cache")
    assert problems(project) == now


def test_prose_cache_is_not_trusted_across_code_changes(tmp_path: Path) -> None:
    from brief.core.cache import ContentCache, text_digest

    path = tmp_path / "c.marshal"
    old = ContentCache(path, "code-1")
    old.get(text_digest("x"))
    old.put(text_digest("x"), ("stale",))
    old.save(1)
    assert ContentCache(path, "code-1").get(text_digest("x")) == ("stale",)
    from brief.core.cache import MISSING

    assert ContentCache(path, "code-2").get(text_digest("x")) is MISSING


def test_sources_validated_at_once_match_one_by_one(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    path = project / "data/sources.json"
    items = json.loads(path.read_text(encoding="utf-8"))
    items += [dict(items[0], id=f"extra-{i}", title=f"Extra {i}") for i in range(3)]
    path.write_text(json.dumps(items, indent=1), encoding="utf-8")
    fast = validate(load_config(project))
    monkeypatch.setattr(
        local._Collector,
        "models",
        lambda col, cls, items, path, prefixes, root=None, lines=None: [
            col.model(cls, item, path, prefix, root=root, line=line)
            for item, prefix, line in zip(items, prefixes, lines or [0] * len(items))
        ],
    )
    slow = validate(load_config(project))
    assert [str(p) for p in fast.problems] == [str(p) for p in slow.problems]
    for key, src in slow.dataset.sources.items():
        assert fast.dataset.sources[key] == src
        assert str(fast.dataset.sources[key].origin) == str(src.origin)
        assert fast.dataset.sources[key].locate("title") == src.locate("title")
    assert [str(e.origin) for e in fast.dataset.evaluations] == [str(e.origin) for e in slow.dataset.evaluations]


def test_records_share_field_names_until_one_is_assigned(project: Path) -> None:
    import json

    path = project / "data/sources.json"
    items = json.loads(path.read_text(encoding="utf-8"))
    items += [dict(items[0], id=f"same-shape-{i}") for i in range(2)]
    path.write_text(json.dumps(items, indent=1), encoding="utf-8")
    ds = validate(load_config(project)).dataset
    first, second = ds.sources["same-shape-0"], ds.sources["same-shape-1"]
    assert first.__pydantic_fields_set__ is second.__pydantic_fields_set__  # one set for both
    before = set(second.model_fields_set)
    unset = next(f for f in type(first).model_fields if f not in first.model_fields_set)
    setattr(first, unset, None)
    assert unset in first.model_fields_set
    assert second.model_fields_set == before and unset not in second.model_fields_set
    assert first.model_dump(exclude_unset=True)[unset] is None and unset not in second.model_dump(exclude_unset=True)


def test_lines_of_a_file_changed_since_loading_are_unknown_not_wrong(project: Path) -> None:
    report = validate(load_config(project))
    inc = report.dataset.incidents["example-finding"]
    path = project / "data/incidents/example-finding.yaml"
    path.write_text("# a comment that moves every line down\n" * 5 + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert inc.locate("claims[0].sources[0].id").line in (0, inc.origin.line)
    assert inc.locate("claims[0].sources[0].id").path.endswith("example-finding.yaml")


def test_loading_leaves_the_garbage_collector_as_it_was(project: Path) -> None:
    import gc

    assert gc.isenabled()
    validate(load_config(project))
    assert gc.isenabled()
    gc.disable()
    try:
        validate(load_config(project))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_jobs_give_the_same_files(project: Path, tmp_path: Path) -> None:
    import shutil

    other = tmp_path / "other"
    shutil.copytree(project, other)
    for root, jobs in ((project, "1"), (other, "2")):
        result = runner.invoke(
            app,
            ["build", "--project", str(root), "-a", "all", "--date", "2026-11-26", "--html-only", "-q", "--jobs", jobs],
        )
        assert result.exit_code == 0, result.output
    files = sorted(
        p.relative_to(project / "output")
        for p in (project / "output").rglob("*")
        if p.is_file() and ".cache" not in p.parts
    )
    assert [p.name for p in files if p.suffix == ".html"]
    for rel in files:
        assert (other / "output" / rel).read_bytes() == (project / "output" / rel).read_bytes(), rel


PART = list("@ab-,. :;{}\n\t_1é") + ["@a", ", p. 4", "see ", "-@"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(PART), max_size=12).map("".join))
def test_simple_citation_parts_match_the_full_pattern(part: str) -> None:
    from brief.load import markers

    part = part.strip()
    full = markers._PART_RE.fullmatch(part)
    fast = markers._match_part(part)

    def groups(m):
        return m and (
            m.group("prefix") or "",
            m.group("minus") or "",
            m.group("bkey") or m.group("key"),
            m.group("rest"),
        )

    assert groups(fast) == groups(full)


def test_constant_time_page_references_write_the_same_pdf(tmp_path: Path) -> None:
    import datetime as dt

    import pydyf

    from brief.render import pdf

    html = (
        "<html lang='en'><head><title>T</title></head><body>"
        + "".join(
            f"<h2 id='s{i}'>Section {i}</h2><p style='break-after: page'>Text <a href='#s{(i + 3) % 12}'>see "
            f"{i}</a></p>"
            f"<table><tr><th>h</th></tr><tr><td>{i}</td></tr></table>"
            for i in range(12)
        )
        + "</body></html>"
    )
    original = pydyf.PDF.page_references

    def render() -> bytes:
        data, pages, _refused = pdf.write_pdf(
            html, "", base_dir=tmp_path, allowed_dirs=[tmp_path], created=dt.date(2026, 11, 26)
        )
        assert pages >= 12
        return data

    fixed = render()
    assert pydyf.PDF.page_references.fget is pdf._page_references  # the fix is in place (pydyf 0.11-0.13)
    try:
        pydyf.PDF.page_references = (
            original
            if original.fget is not pdf._page_references
            else property(lambda self: tuple(f"{n} 0 R".encode("ascii") for n in self.pages["Kids"][::3]))
        )
        monkey = pdf._fix_page_references
        pdf._fix_page_references = lambda: None
        try:
            plain = render()
        finally:
            pdf._fix_page_references = monkey
    finally:
        pydyf.PDF.page_references = property(pdf._page_references)
    assert fixed == plain


def test_evaluations_by_name_in_data_order_and_after_changes(project: Path) -> None:
    ds = validate(load_config(project)).dataset
    rows = list(ds.evaluations)
    names = sorted({e.evaluation for e in rows})
    for chosen in ([names[0]], names, names[::-1], [], ["no such evaluation"]):
        assert ds.evaluations_named(chosen) == [e for e in rows if e.evaluation in set(chosen)]
    extra = rows[0].model_copy(update={"id": "added-row"})
    ds.evaluations.append(extra)  # the index follows the list
    assert ds.evaluations_named([extra.evaluation])[-1] is extra
    ds.evaluations = rows[:1]
    assert ds.evaluations_named(names) == rows[:1]


def test_parsing_in_worker_processes_changes_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import shutil

    folder = project / "data/incidents"
    first = next(folder.glob("*.yaml"))
    for i in range(4):  # copies with their own ids, and one file YAML refuses
        (folder / f"copy-{i}.yaml").write_text(
            first.read_text(encoding="utf-8").replace(f"id: {first.stem}", f"id: copy-{i}", 1), encoding="utf-8"
        )
    (folder / "broken.yaml").write_text("id: broken\ntitle: [unclosed\n", encoding="utf-8")
    expected = problems(project)
    assert any("broken.yaml:" in p for p in expected)
    shutil.rmtree(project / "output", ignore_errors=True)
    monkeypatch.setattr(local, "PARALLEL_PARSE_MIN", 1)
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    primed: list[int] = []
    original = local.ContentCache.prime
    monkeypatch.setattr(
        local.ContentCache, "prime", lambda self, digest, blob: (primed.append(1), original(self, digest, blob))[1]
    )
    assert problems(project) == expected
    assert len(primed) == len(list(folder.glob("*.yaml"))) - 1  # every file but the broken one came from a worker
