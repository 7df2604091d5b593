"""Where the pages of a rendered PDF go: the page span of each top-level section (its bookmark)."""

from __future__ import annotations

import io
from typing import cast


def section_pages(pdf: bytes) -> list[tuple[str, int]]:
    """Return (section title, pages it spans) for each top-level bookmark, in document order.

    A section runs from its bookmark's page to the next one's (the last to the end); a section that
    starts on the page the previous one started on spans 0 pages of its own."""
    # pypdf takes 0.1 s to import: only reading a PDF loads it
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    total = len(reader.pages)
    # Every bookmark of ours has a title and a page (pypdf allows neither to be missing).
    starts = [
        (cast(str, o.title), cast(int, reader.get_destination_page_number(o)))
        for o in reader.outline
        if not isinstance(o, list)
    ]
    spans = []
    for i, (title, start) in enumerate(starts):
        end = starts[i + 1][1] if i + 1 < len(starts) else total
        spans.append((title, max(end - start, 0)))
    return spans


def over_budget(pdf: bytes, pages: int, budget: int, top: int = 3) -> str:
    """Return the warning for a PDF over its page budget, naming the sections that take the most pages."""
    spans = sorted(section_pages(pdf), key=lambda kv: -kv[1])[:top]
    most = ", ".join(f"{title} ({n} page{'s' if n != 1 else ''})" for title, n in spans if n)
    return f"{pages} pages, over the budget of {budget}" + (f"; most pages: {most}" if most else "")
