"""A long compendium laid out in parts, several processes at a time, and merged (render/chunked.py).

A small generated project (bench/scale.py) with a small part size stands for the 1,000-incident
compendium: 24 incidents in parts of 8 give five documents (front matter, three runs of incidents,
the sources list), merged into one tagged PDF. The same project laid out as one document is the
reference for the page count.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from typer.testing import CliRunner

from brief.cli import app
from brief.core.errors import RenderError
from brief.render import chunked

REPO = Path(__file__).resolve().parent.parent
DATE = "2026-11-26"
INCIDENTS = 24
PART = 8  # incidents per part in these tests (CHUNK_INCIDENTS is 100)
runner = CliRunner()
sys.path.insert(0, str(REPO / "bench"))


def _project(root: Path) -> Path:
    import scale

    scale.generate(root, incidents=INCIDENTS + 6, sources=60, rows=100, compendium=INCIDENTS)
    return root


def _build(root: Path, *extra: str) -> Path:
    result = runner.invoke(
        app, ["build", "--project", str(root), "--brief", "compendium", "--date", DATE, "--quiet", *extra]
    )
    assert result.exit_code == 0, result.output
    return next((root / "output" / "compendium").glob("*/compendium-regulator.pdf"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The compendium in parts (two processes, then one), and as one document."""
    base = tmp_path_factory.mktemp("compendium")
    _project(base / "template")
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(chunked, "MIN_INCIDENTS", 5)
        mp.setattr(chunked, "CHUNK_INCIDENTS", PART)
        for name, cores in (("parts", 2), ("parts-one-process", 1)):
            mp.setattr(chunked, "usable_cores", lambda cores=cores: cores)
            shutil.copytree(base / "template", base / name)
            out[name] = _build(base / name)
        mp.setattr(chunked, "MIN_INCIDENTS", 10**6)
        shutil.copytree(base / "template", base / "whole")
        out["whole"] = _build(base / "whole")
    out["html"] = out["parts"].with_suffix(".html")
    out["whole-html"] = out["whole"].with_suffix(".html")
    return out


def _pdfinfo(path: Path) -> dict[str, str]:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in info.splitlines())}


def _footers(path: Path) -> list[str]:
    """The page number printed in each page's footer ("Page 7" -> "7")."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.split("\f")[:-1]
    return [(re.findall(r"Page ([0-9ivxlc]+)", page) or [""])[-1] for page in pages]


def _outline(path: Path) -> list[Any]:
    def walk(items: Any) -> list[Any]:
        return [(item.title, walk(item.children)) for item in items]

    with pikepdf.open(path) as pdf, pdf.open_outline() as outline:
        return walk(outline.root)


def _dests(pdf: pikepdf.Pdf) -> dict[str, Any]:
    flat = pdf.Root.Names.Dests.Names
    return {str(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}


def test_parts_give_one_pdf_with_the_pages_of_one_document(built: dict[str, Path]) -> None:
    parts, whole = _pdfinfo(built["parts"]), _pdfinfo(built["whole"])
    assert int(parts["Pages"]) == int(whole["Pages"])
    manifest = json.loads((built["parts"].parent / "manifest.json").read_text())
    assert [f["pages"] for f in manifest["files"] if f["format"] == "pdf"] == [int(parts["Pages"])]
    with pikepdf.open(built["parts"]) as pdf:
        assert "/PageLabels" in pdf.Root  # laid out in parts (one document has no page labels)
    with pikepdf.open(built["whole"]) as pdf:
        assert "/PageLabels" not in pdf.Root


def test_merged_pdf_is_tagged_with_one_structure_tree(built: dict[str, Path]) -> None:
    assert _pdfinfo(built["parts"])["Tagged"] == "yes"
    with pikepdf.open(built["parts"]) as pdf:
        tree = pdf.Root.StructTreeRoot
        assert len(tree.K) == 1 and tree.K[0].S == "/Document"
        document = tree.K[0]
        nums = tree.ParentTree.Nums
        parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        assert int(tree.ParentTreeNextKey) == max(parents) + 1
        pages = {page.obj.objgen for page in pdf.pages}
        links = 0
        for i, page in enumerate(pdf.pages):
            marked = parents[int(page.obj.StructParents)]  # every page's marked content maps to elements of that page
            assert all(element.Pg.objgen == page.obj.objgen for element in marked if "/Pg" in element)
            for annot in page.obj.get("/Annots", []):
                if annot.Subtype == "/Link":
                    links += 1
                    assert parents[int(annot.StructParent)].S == "/Link", f"page {i + 1}"
        assert links > INCIDENTS
        # Every element hangs from the one Document element and marks content on a page of this file.
        ids: list[str] = []
        stack = [(kid, document) for kid in document.K]
        while stack:
            element, parent = stack.pop()
            if not isinstance(element, pikepdf.Dictionary) or element.get("/Type") == "/OBJR":
                continue
            assert element.P.objgen == parent.objgen
            if "/Pg" in element:
                assert element.Pg.objgen in pages
            if "/ID" in element:
                ids.append(str(element.ID))
            kids = element.get("/K", [])
            stack.extend((kid, element) for kid in (kids if isinstance(kids, pikepdf.Array) else [kids]))
        assert ids and len(ids) == len(set(ids))  # table header IDs stay unique across parts


def test_every_internal_link_resolves_across_parts(built: dict[str, Path]) -> None:
    with pikepdf.open(built["parts"]) as pdf:
        dests = _dests(pdf)
        index = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
        targets: dict[str, set[int]] = {}
        for i, page in enumerate(pdf.pages):
            for annot in page.obj.get("/Annots", []):
                if "/Dest" in annot:
                    name = str(annot.Dest)
                    assert name in dests, f"page {i + 1}: #{name} does not resolve"
                    targets.setdefault(name.split("-")[0], set()).add(index[dests[name][0].objgen])
        front = len([label for label in _footers(built["parts"]) if not label.isdigit()])
        # The list of incidents (front matter, first part) links to every incident page, in later parts.
        assert targets["incident"] == set(range(front, front + INCIDENTS))
        # In-text references link to the sources list, the last part.
        assert min(targets["ref"]) >= front + INCIDENTS


def test_outline_language_title_and_page_labels(built: dict[str, Path]) -> None:
    with pikepdf.open(built["parts"]) as pdf:
        assert str(pdf.Root.Lang) == "en-GB"
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
        labels = [page.label for page in pdf.pages]
    assert _pdfinfo(built["parts"])["Title"] == _pdfinfo(built["whole"])["Title"] != ""
    html = built["html"].read_text(encoding="utf-8")
    incidents = re.findall(r'<section class="incident-page"[^>]*>\n<h2 [^>]*>([^<]*)</h2>', html)
    assert len(incidents) == INCIDENTS
    assert [t for t in titles if t in incidents] == incidents  # every incident, in order
    assert titles[0].endswith("Incidents in this compendium") and titles[-1] == "Sources"
    assert _outline(built["parts"]) == _outline(built["whole"])  # the same bookmarks, nested the same way
    footers = _footers(built["parts"])
    assert labels == footers  # page labels as printed: i, ii ... then 1, 2 ...
    front = footers.index("1")
    assert footers[:front] == ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii"][:front]
    assert footers[front:] == [str(n) for n in range(1, len(footers) - front + 1)]
    assert front + INCIDENTS < len(footers)  # incident n is on page n, the sources follow


def test_same_inputs_give_identical_pdf_whatever_the_number_of_processes(built: dict[str, Path]) -> None:
    assert built["parts"].read_bytes() == built["parts-one-process"].read_bytes()
    with pikepdf.open(built["parts"]) as pdf:  # dates from the edition, not the clock
        assert str(pdf.docinfo["/CreationDate"]).startswith("D:20261126") and str(pdf.docinfo["/ModDate"]).startswith(
            "D:20261126"
        )


def test_html_is_the_same_whether_the_pdf_is_laid_out_in_parts_or_not(built: dict[str, Path]) -> None:
    html = built["html"].read_bytes()
    assert html == built["whole-html"].read_bytes()
    assert "\ue003".encode() not in html


def test_print_parts_rebuild_the_print_document(tmp_path: Path) -> None:
    from brief.render.html import _print_part, _print_parts

    marked = f"<html><main>{_print_part('start', doctitle='T · 1')}<h1>x</h1>{_print_part('incident')}<p>a</p>{_print_part('sources')}<p>s</p>{_print_part('end')}</main></html>"
    parts = _print_parts(marked)
    assert parts is not None and parts.running == {"doctitle": "T · 1"}
    assert parts.head == "<html><main>" and parts.front == "<h1>x</h1>" and parts.tail == "</main></html>"
    assert parts.parts == [("incident", "<p>a</p>"), ("sources", "<p>s</p>")]


def test_an_incident_longer_than_a_page_moves_the_later_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts are laid out from predicted page numbers (one page per incident); a wrong prediction is laid out again."""
    root = _project(tmp_path / "parts")
    incident = root / "data" / "incidents" / "inc-00000.yaml"  # made the newest, so on the first incident page
    text = incident.read_text(encoding="utf-8").replace("date: 2025-01-01", "date: 2026-01-01")
    incident.write_text(
        text.replace("summary: >-\n", "summary: >-\n  " + "Long account of the test setting. " * 400 + "\n"),
        encoding="utf-8",
    )
    shutil.copytree(root, tmp_path / "whole")
    monkeypatch.setattr(chunked, "MIN_INCIDENTS", 5)
    monkeypatch.setattr(chunked, "CHUNK_INCIDENTS", PART)
    laid_out: list[tuple[str, int]] = []
    chunk_css = chunked.chunk_css
    monkeypatch.setattr(
        chunked,
        "chunk_css",
        lambda css, chunk, first, running: (
            laid_out.append((chunk.label, first)) or chunk_css(css, chunk, first, running)
        ),
    )
    path = _build(root)
    # Predicted (sources first: the longest part), then the parts after the long incident, moved.
    assert laid_out[:5] == [
        ("sources", 25),
        ("front matter", 1),
        ("incidents 1-8", 1),
        ("incidents 9-16", 9),
        ("incidents 17-24", 17),
    ]
    moved = laid_out[5][1]
    assert moved > 9 and laid_out[5:] == [
        ("incidents 9-16", moved),
        ("incidents 17-24", moved + 8),
        ("sources", moved + 16),
    ]
    footers = _footers(path)
    front = footers.index("1")
    assert footers[front:] == [str(n) for n in range(1, len(footers) - front + 1)]
    with pikepdf.open(path) as pdf:
        assert [page.label for page in pdf.pages] == footers
    monkeypatch.setattr(chunked, "MIN_INCIDENTS", 10**6)
    assert len(footers) == int(_pdfinfo(_build(tmp_path / "whole"))["Pages"])


def test_pdf_a_compendium_is_laid_out_whole_with_its_attachments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chunked, "MIN_INCIDENTS", 5)
    monkeypatch.setattr(chunked, "CHUNK_INCIDENTS", PART)
    path = _build(_project(tmp_path / "p"), "--pdf-variant", "pdf/a-3b")
    with pikepdf.open(path) as pdf:
        assert set(pdf.attachments) == {"snapshot.json", "inputs.json"}
        assert "/PageLabels" not in pdf.Root  # one document: PDF/A is not merged from parts


def _fail_third_part(index: int, html: str, css: str, options: dict[str, Any]) -> Any:
    """Lay out the third part with a variant WeasyPrint does not know: a real failure in a worker process."""
    return chunked._render_chunk(
        index, html, css, dict(options, variant="bogus") if index == 2 else options
    )  # the worker's own module: unpatched


def test_a_failing_part_gives_the_one_line_error_of_one_document_and_no_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from brief.render.pdf import write_pdf

    with pytest.raises(RenderError) as single:
        write_pdf(
            "<p>x</p>", "", base_dir=tmp_path, allowed_dirs=[tmp_path], variant="bogus", created=dt.date(2026, 11, 26)
        )
    monkeypatch.setattr(chunked, "MIN_INCIDENTS", 5)
    monkeypatch.setattr(chunked, "CHUNK_INCIDENTS", PART)
    monkeypatch.setattr(chunked, "_render_chunk", _fail_third_part)
    root = _project(tmp_path / "p")
    result = runner.invoke(app, ["build", "--project", str(root), "--brief", "compendium", "--date", DATE, "--quiet"])
    assert result.exit_code == 1
    assert result.stderr == f"{single.value}\n" == "PDF rendering failed: KeyError: 'bogus'\n"
    assert not list((root / "output").rglob("*.pdf")) and not list((root / "output").rglob(".staging-*"))
