"""Lay out a long print document in parts, several processes at a time, and merge one tagged PDF.

A compendium of 1,000 incidents is 1,250 pages: WeasyPrint lays that out as one document in about
two minutes and 2.8 GB. Its template marks where the document may be cut (render/html.py
`PrintParts`); here the front matter, runs of incident pages and the sources list are laid out as
documents of their own in fresh worker processes, one per usable core, and pikepdf (qpdf) merges
them into one PDF/UA document: one structure tree, one parent tree, one name tree of destinations,
one outline, page labels as printed.

Page numbers: the front matter is numbered i, ii ...; the incidents from 1, one page each, so that
incident n is on page n; the sources list follows. Each part's stylesheet starts the page counter
where the part is predicted to start; once every part is laid out, the real page counts are
checked and a part that started at the wrong number is laid out again. Pages print "Page n"
without "of N", which no part knows.

The output depends only on the inputs and `CHUNK_INCIDENTS`, never on the number of processes.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import math
import multiprocessing
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, TypedDict

from brief.core.cores import usable_cores
from brief.core.errors import RenderError
from brief.render.html import PrintParts
from brief.render.pdf import check_weasyprint, parts_supported, write_pdf

log = logging.getLogger(__name__)

CHUNK_INCIDENTS = 100  # incident pages per part: about 8 s and 400 MB of WeasyPrint each
MIN_INCIDENTS = 60  # fewer incidents are laid out as one document: parts would gain little
VARIANTS = ("pdf/ua-1",)  # the merge keeps a PDF/UA-1 structure; PDF/A (attachments, output intents) is laid out whole


@dataclass
class _Chunk:
    """One document to lay out: the front matter, a run of incident pages or the sources list."""

    kind: str
    body: str
    label: str
    pages: int | None  # predicted page count: one per incident; None when unknown


def splittable(parts: PrintParts | None, variant: str | None) -> bool:
    """Return True when `parts` should be laid out in parts rather than as one document."""
    if parts is None or variant not in VARIANTS:
        return False
    return sum(kind == "incident" for kind, _ in parts.parts) >= MIN_INCIDENTS and parts_supported()


def plan(parts: PrintParts, chunk_incidents: int | None = None) -> list[_Chunk]:
    """Group the parts into documents: the front matter, runs of at most `chunk_incidents` incidents, the rest
    by kind."""
    size = chunk_incidents or CHUNK_INCIDENTS
    chunks = [_Chunk("front", parts.front, "front matter", None)]
    runs: list[tuple[str, list[str]]] = []
    for kind, html in parts.parts:
        if runs and runs[-1][0] == kind:
            runs[-1][1].append(html)
        else:
            runs.append((kind, [html]))
    done = 0
    for kind, bodies in runs:
        if kind != "incident":
            chunks.append(_Chunk(kind, "".join(bodies), kind, None))
            continue
        groups = math.ceil(len(bodies) / size)  # equal runs, so that the processes finish together
        bounds = [round(i * len(bodies) / groups) for i in range(groups + 1)]
        for a, b in zip(bounds, bounds[1:]):
            chunks.append(_Chunk(kind, "".join(bodies[a:b]), f"incidents {done + a + 1}-{done + b}", b - a))
        done += len(bodies)
    return chunks


def _css_string(text: str) -> str:
    """Quote `text` as a CSS string (every character but letters, digits and spaces escaped)."""
    return '"' + "".join(c if c.isalnum() and c.isascii() or c == " " else f"\\{ord(c):06x}" for c in text) + '"'


def chunk_css(css: str, chunk: _Chunk, first_page: int, running: dict[str, str]) -> str:
    """Return the print stylesheet for one part: page numbers from `first_page`, the page-margin strings."""
    style = "lower-roman" if chunk.kind == "front" else "decimal"
    extra = [
        f'@page {{ @bottom-right {{ content: "Page " counter(page, {style}); }} }}',
        f"@page :first {{ counter-reset: page {first_page}; }}",
    ]
    if chunk.kind != "front":  # the masthead, which sets them, is in the front matter only
        strings = ", ".join(f"{name} {_css_string(value)}" for name, value in sorted(running.items()))
        if strings:
            extra.append(f"html {{ string-set: {strings}; }}")
    return css + "\n/* One part of a longer document (render/chunked.py) */\n" + "\n".join(extra) + "\n"


def _first_pages(chunks: list[_Chunk], counts: list[int | None]) -> list[int]:
    """Return each part's first page number: 1 for the front matter, then continuing from 1."""
    first, page = [], 1
    for chunk, count in zip(chunks, counts):
        if chunk.kind == "front":
            first.append(1)
            continue
        first.append(page)
        page += count or 0
    return first


class _PdfOptions(TypedDict):
    """What write_pdf needs besides the document, the same for every part."""

    base_dir: Path
    allowed_dirs: list[Path]
    variant: str | None
    created: dt.date


def _render_chunk(
    index: int, html: str, css: str, options: _PdfOptions
) -> tuple[int, bytes, int, list[str], float, int]:
    """Lay out one part (in a worker process); return (index, pdf, pages, refused URLs, seconds, peak RSS in MB)."""
    # POSIX only: loaded where the limit is read
    import resource

    started = time.perf_counter()
    data, pages, refused = write_pdf(html, css, part=f"p{index}-", **options)
    return (
        index,
        data,
        pages,
        refused,
        time.perf_counter() - started,
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    )


def write_pdf_in_parts(
    parts: PrintParts,
    css: str,
    *,
    base_dir: Path,
    allowed_dirs: Iterable[Path],
    variant: str | None,
    created: dt.date,
    chunk_incidents: int | None = None,
    workers: int | None = None,
) -> tuple[bytes, int, list[str]]:
    """Lay out `parts` as several documents at a time and merge them; return (pdf bytes, page count, refused URLs)."""

    check_weasyprint()  # here, with its message: the process server below would only die importing it
    started = time.perf_counter()
    chunks = plan(parts, chunk_incidents)
    options = _PdfOptions(base_dir=base_dir, allowed_dirs=list(allowed_dirs), variant=variant, created=created)
    predicted = _first_pages(chunks, [c.pages for c in chunks])
    results: dict[int, tuple[int, bytes, int, list[str], float, int]] = {}
    # Longest first: the sources list (its own part, the longest), then the front matter and incidents in order.
    order = sorted(range(len(chunks)), key=lambda i: (chunks[i].kind in ("front", "incident"), i))
    # A fresh process (forkserver) for each part: a forked worker would share this process's data
    # set and grow its own copy as reference counts change; one part per process returns the
    # memory WeasyPrint keeps after a layout.
    context = multiprocessing.get_context("forkserver")
    # The server imports these once and forks each worker from itself, so a worker starts at once.
    # As with any multiprocessing program, a script calling this needs an `if __name__ == "__main__":` guard.
    context.set_forkserver_preload(["brief.render.chunked", "weasyprint"])
    count = max(1, min(workers or usable_cores(), len(chunks)))
    pool = ProcessPoolExecutor(max_workers=count, mp_context=context, max_tasks_per_child=1)
    try:
        first = predicted
        todo = order
        for _round in range(3):  # page counts do not depend on the first page number: one more round at most
            futures = [
                pool.submit(
                    _render_chunk,
                    i,
                    parts.document(chunks[i].body),
                    chunk_css(css, chunks[i], first[i], parts.running),
                    options,
                )
                for i in todo
            ]
            for future in futures:
                result = future.result()
                results[result[0]] = result
            real = _first_pages(chunks, [results[i][2] for i in range(len(chunks))])
            todo = [i for i in range(len(chunks)) if real[i] != first[i]]
            first = real
            if not todo:
                break
            log.debug("laying out again, page numbers moved: %s", ", ".join(chunks[i].label for i in todo))
        else:
            raise RenderError("PDF rendering failed: the parts' page numbers did not settle")
    except BrokenProcessPool as exc:
        raise RenderError(f"PDF rendering failed: a rendering process stopped ({exc})") from None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    laid_out = time.perf_counter()
    for i, (_, data, pages, _, seconds, rss) in sorted(results.items()):
        log.debug(
            "part %d of %d (%s): %d pages in %.1f s, %d MB", i + 1, len(chunks), chunks[i].label, pages, seconds, rss
        )
    data = merge(
        [results[i][1] for i in range(len(chunks))], [results[i][2] for i in range(len(chunks))], results[0][2]
    )
    refused = sorted({url for result in results.values() for url in result[3]})
    pages = sum(result[2] for result in results.values())
    log.debug(
        "%d pages in %d parts, %d processes: laid out in %.1f s, merged in %.1f s",
        pages,
        len(chunks),
        count,
        laid_out - started,
        time.perf_counter() - laid_out,
    )
    return data, pages, refused


def merge(pdfs: list[bytes], pages: list[int], front_pages: int) -> bytes:
    """Return the parts' PDFs (`pages` pages each) merged into one tagged PDF, with the first one's catalog,
    metadata and info."""
    try:
        return _merge(pdfs, pages, front_pages)
    except RenderError:
        raise
    except Exception as exc:  # pikepdf and qpdf raise many kinds; report one line
        raise RenderError(f"PDF rendering failed: merging the parts: {type(exc).__name__}: {exc}") from None


def _merge(pdfs: list[bytes], pages: list[int], front_pages: int) -> bytes:
    # pikepdf (qpdf) is loaded only to merge the parts of a long compendium
    import pikepdf
    from pikepdf import Array, Dictionary, Name, String

    total = sum(pages)
    # The parent tree: pages first (key = page index, as WeasyPrint numbers them), then annotations.
    page_entries: list[tuple[int, pikepdf.Object]] = []
    annot_entries: list[tuple[int, pikepdf.Object]] = []
    kids: list[pikepdf.Object] = []
    names: dict[bytes, pikepdf.Object] = {}
    outline: list[tuple[pikepdf.Object, int]] = []
    base = 0
    dst = pikepdf.open(
        io.BytesIO(pdfs[0])
    )  # its catalog stays: /Lang, /MarkInfo, /ViewerPreferences, XMP /Metadata, and the /Info
    try:
        root = dst.Root.get("/StructTreeRoot")
        if root is None:  # the first part, which the merged file starts from
            raise RenderError("PDF rendering failed: a part has no structure tree (not tagged)")
        for n, data in enumerate(pdfs):
            # One part open at a time besides the merged file: qpdf takes ~40 MB per 100 pages opened.
            pdf = pikepdf.open(io.BytesIO(data)) if n else dst
            try:
                if "/StructTreeRoot" not in pdf.Root:
                    raise RenderError("PDF rendering failed: a part has no structure tree (not tagged)")
                if len(pdf.pages) != pages[n]:
                    raise RenderError(f"PDF rendering failed: part {n + 1} has {len(pdf.pages)} pages, not {pages[n]}")

                def local(obj: pikepdf.Object, n: int = n) -> pikepdf.Object:
                    """The object in the merged file (qpdf copies a foreign object once, with what it refers to)."""
                    if n == 0 or not isinstance(obj, pikepdf.Object):
                        return obj
                    if obj.is_indirect:
                        return dst.copy_foreign(obj)
                    if isinstance(obj, Array):
                        return Array([local(item) for item in obj])
                    return obj

                if n:
                    with warnings.catch_warnings():  # "does not preserve named destinations": merged below
                        warnings.simplefilter("ignore", pikepdf.PageCopyWarning)
                        dst.pages.extend(pdf.pages)  # pages with their contents, resources and annotations
                tree = pdf.Root.StructTreeRoot
                nums = tree.ParentTree.Nums
                annot_keys: dict[int, int] = {}
                for k in range(0, len(nums), 2):
                    key, value = int(nums[k]), nums[k + 1]
                    if key < pages[n]:
                        page_entries.append((base + key, local(value)))
                    else:
                        annot_keys[key] = total + len(annot_entries)
                        annot_entries.append((annot_keys[key], local(value)))
                for kid in tree.K[0].K:
                    kid = local(kid)
                    kid.P = root.K[0]
                    kids.append(kid)
                for j in range(pages[n]):
                    page_obj = dst.pages[base + j].obj
                    page_obj.StructParents = base + j
                    for annot in page_obj.get("/Annots", []):
                        if "/StructParent" in annot:
                            annot.StructParent = annot_keys[int(annot.StructParent)]
                if "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
                    flat = pdf.Root.Names.Dests.Names  # WeasyPrint writes one flat, sorted array
                    for k in range(0, len(flat), 2):
                        names.setdefault(
                            bytes(flat[k]), local(flat[k + 1])
                        )  # the first anchor of a name wins, as in one document
                if "/Outlines" in pdf.Root and "/First" in pdf.Root.Outlines:
                    item = pdf.Root.Outlines.First
                    while True:
                        outline.append((local(item), int(item.get("/Count", 0))))
                        if "/Next" not in item:
                            break
                        item = item.Next
                base += pages[n]
            finally:
                if n:
                    pdf.close()

        root.K[0].K = Array(kids)
        flat_nums = Array()
        for key, value in page_entries + annot_entries:
            flat_nums.append(key)
            flat_nums.append(value)
        root.ParentTree = dst.make_indirect(Dictionary(Nums=flat_nums))
        root.ParentTreeNextKey = total + len(annot_entries)

        missing = set()
        for page in dst.pages:
            for annot in page.obj.get("/Annots", []):
                dest = annot.get("/Dest")
                if isinstance(dest, String) and bytes(dest) not in names:
                    missing.add(bytes(dest).decode("utf-8", "replace"))
        for anchor in sorted(missing):  # as WeasyPrint logs it for one document
            log.warning("No anchor #%s for internal URI reference", anchor)
        dests = Array()
        for name in sorted(names):
            dests.append(String(name))
            dests.append(names[name])
        if "/Names" not in dst.Root:
            dst.Root.Names = Dictionary()
        dst.Root.Names.Dests = dst.make_indirect(Dictionary(Names=dests))

        if outline:
            top = dst.make_indirect(Dictionary(Type=Name.Outlines))
            visible = 0
            for i, (item, count) in enumerate(outline):
                item.Parent = top
                for link, other in (("/Prev", i - 1), ("/Next", i + 1)):
                    if 0 <= other < len(outline):
                        item[link] = outline[other][0]
                    elif link in item:
                        del item[link]
                visible += 1 + max(count, 0)  # an open item's /Count is its visible descendants
            top.First, top.Last, top.Count = outline[0][0], outline[-1][0], visible
            dst.Root.Outlines = top
        # Page labels as printed in the footers: i, ii ... for the front matter, then 1, 2 ...
        dst.Root.PageLabels = Dictionary(Nums=Array([0, Dictionary(S=Name.r), front_pages, Dictionary(S=Name.D)]))

        out = io.BytesIO()
        # Reproducible: qpdf numbers objects in the order it reaches them, the /ID is a hash of the
        # content, and no date is added (the /Info and XMP dates are the edition's, from the first part).
        dst.save(
            out, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True
        )
        return out.getvalue()
    finally:
        dst.close()
