"""Number the chapters of a rendered brief and list them where the template asks for contents.

Runs on the template's output, so the contents can never drift from the body: every
`<section class="chapter">` (whichever template or include wrote it, e.g. an annex) gets the next
number in its first `<h2>`, and `<!-- brief:contents -->` becomes the list of chapters. The number
is real text, so the HTML, the PDF's running header, its bookmarks and screen readers all agree.

Classes on the section: `chapter` (numbered 1, 2, ...), `chapter appendix` (lettered A, B, ...),
`chapter unnumbered` (listed, not numbered).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

MARKER = "<!-- brief:contents -->"
_SECTION = re.compile(r"<section\b(?P<attrs>[^>]*)>")
_H2 = re.compile(r"<h2\b(?P<attrs>[^>]*)>(?P<text>.*?)</h2>", re.S)
_ATTR = re.compile(r'\b(?P<name>id|class)="(?P<value>[^"]*)"')
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Entry:
    """One line of the contents."""

    target: str
    number: str
    title: str
    kind: str  # "chapter" | "appendix" | "unnumbered"


def _attrs(text: str) -> dict[str, str]:
    return {m.group("name"): m.group("value") for m in _ATTR.finditer(text)}


def number_chapters(body: str) -> tuple[str, list[Entry]]:
    """Insert chapter numbers into the first h2 of each chapter section; return the new body and the entries."""
    out: list[str] = []
    entries: list[Entry] = []
    pos = 0
    chapter = appendix = 0
    for match in _SECTION.finditer(body):
        attrs = _attrs(match.group("attrs"))
        classes = attrs.get("class", "").split()
        if "chapter" not in classes or not attrs.get("id"):
            continue
        heading = _H2.search(body, match.end())
        if heading is None:
            continue
        if "unnumbered" in classes:
            number, kind = "", "unnumbered"
        elif "appendix" in classes:
            number, kind = chr(ord("A") + appendix), "appendix"
            appendix += 1
        else:
            chapter += 1
            number, kind = str(chapter), "chapter"
        title = html.unescape(_TAG.sub("", heading.group("text"))).strip()
        entries.append(Entry(attrs["id"], number, title, kind))
        out.append(body[pos : heading.start("text")])
        if number:
            label = f"Annex {number}" if kind == "appendix" else number
            out.append(f'<span class="secno">{label}</span> ')
        pos = heading.start("text")
    out.append(body[pos:])
    return "".join(out), entries


def contents_list(entries: list[Entry]) -> str:
    """Return the contents as an ordered list of links (page numbers are added by print CSS)."""
    items = []
    for e in entries:
        number = f"Annex {e.number}" if e.kind == "appendix" else e.number
        secno = f'<span class="secno">{number}</span> ' if number else ""
        items.append(
            f'<li class="toc-{e.kind}"><a href="#{html.escape(e.target, quote=True)}">{secno}'
            f'<span class="toc-title">{html.escape(e.title)}</span></a></li>'
        )
    return '<ol class="toc-list">\n' + "\n".join(items) + "\n</ol>"


def fill(body: str) -> str:
    """Number the chapters and replace the contents marker with their list."""
    body, entries = number_chapters(body)
    if MARKER in body:
        body = body.replace(MARKER, contents_list(entries), 1)
    return body
