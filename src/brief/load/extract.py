"""Readable text from a fetched document: HTML (main text), PDF (page by page) or plain text.

Used by `brief capture` (to store a source's text) and `brief check-links` (to tell whether a
changed page changed in its words or only in its bytes). Standard library HTML parsing is enough
here: the goal is the words of the page body in reading order, not a faithful layout, and it adds
no dependency; PDFs go through pypdf (imported lazily, `brief --help` never pays for it).
"""

from __future__ import annotations

import codecs
import io
import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Callable

from brief.core.errors import SourceError

PAGE_BREAK = "\f"
"""Separates the pages of a PDF's text in a capture's text.txt (the pdftotext convention)."""

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
PDF_TYPES = frozenset({"application/pdf", "application/x-pdf"})


@dataclass
class Extracted:
    """The text of a document: one string per page for a PDF, one string otherwise."""

    pages: list[str]
    kind: str  # "html", "pdf" or "text"
    extractor: str  # what produced the text, recorded with the capture

    @property
    def text(self) -> str:
        return PAGE_BREAK.join(self.pages)

    @property
    def paged(self) -> bool:
        return self.kind == "pdf"


def sniff(data: bytes, content_type: str | None, name: str = "") -> str:
    """Return "pdf", "html" or "text" from the content type, the file name and the first bytes."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    head = data[:1024].lstrip().lower()
    if ctype in PDF_TYPES or data[:5] == b"%PDF-" or name.lower().endswith(".pdf"):
        return "pdf"
    if ctype in HTML_TYPES or name.lower().endswith((".html", ".htm", ".xhtml")):
        return "html"
    if head.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in head:
        return "html"
    return "text"


def extract(data: bytes, content_type: str | None = None, name: str = "") -> Extracted:
    """Return the readable text of `data`; raise SourceError when it cannot be read."""
    kind = sniff(data, content_type, name)
    if kind == "pdf":
        return Extracted(pdf_pages(data), "pdf", _pypdf_name())
    text = decode(data, content_type)
    if kind == "html":
        return Extracted([html_main_text(text)], "html", "html.parser (main text)")
    return Extracted([_tidy(text)], "text", "text")


def decode(data: bytes, content_type: str | None) -> str:
    """Decode bytes with the charset of the Content-Type, a BOM, a <meta charset>, else UTF-8."""
    charset = None
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.I)
    if match:
        charset = match.group(1)
    elif data.startswith(codecs.BOM_UTF8):
        charset = "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        charset = "utf-16"
    else:
        meta = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", data[:4096], re.I)
        if meta:
            charset = meta.group(1).decode("ascii", "replace")
    try:
        return data.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        return data.decode("utf-8", errors="replace")


def _tidy(text: str) -> str:
    """Normalise line ends, drop trailing spaces and runs of blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- PDF --------------------------------------------------------------------------------------


def _pypdf_name() -> str:
    # pypdf takes 0.1 s to import: only reading a PDF loads it
    import pypdf

    return f"pypdf {pypdf.__version__}"


def pdf_pages(data: bytes) -> list[str]:
    """Return the text of each page of a PDF (page 1 first)."""
    # pypdf takes 0.1 s to import: only reading a PDF loads it
    import pypdf
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # pypdf warns about every odd object
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise SourceError("the PDF is encrypted with a password; save an unprotected copy and use --file")
        return [_tidy(page.extract_text() or "") for page in reader.pages]
    except SourceError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise SourceError(f"cannot read the PDF ({type(exc).__name__}: {str(exc)[:120]})") from None


# --- HTML -------------------------------------------------------------------------------------

_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Never part of the readable text: code, chrome and navigation.
_SKIP = frozenset(
    (
        "script style noscript template svg math head nav header footer aside form button select iframe object "
        "canvas dialog"
    ).split()
)
_BLOCK = frozenset(
    """address article aside blockquote body caption dd details div dl dt fieldset figcaption figure h1 h2 h3 h4
    h5 h6 hr li main ol p pre section summary table tbody td tfoot th thead tr ul""".split()
)
# Elements a parser closes implicitly when a sibling starts (enough for real pages' <p> and <li>).
_AUTOCLOSE = {
    "p": _BLOCK,
    "li": {"li"},
    "dt": {"dt", "dd"},
    "dd": {"dt", "dd"},
    "tr": {"tr"},
    "td": {"td", "th", "tr"},
    "th": {"td", "th", "tr"},
}


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    children: list[_Node | str]  # elements and text, in document order
    parent: "_Node | None" = None


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", {}, [])
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        while tag in _AUTOCLOSE.get(self.current.tag, ()) and self.current.parent is not None:
            self.current = self.current.parent
        node = _Node(tag, {k: v or "" for k, v in attrs}, [], self.current)
        self.current.children.append(node)
        if tag not in _VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(_Node(tag, {k: v or "" for k, v in attrs}, [], self.current))

    def handle_endtag(self, tag: str) -> None:
        node: _Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:  # ignore stray end tags
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def _hidden(node: _Node) -> bool:
    a = node.attrs
    return (
        "hidden" in a
        or a.get("aria-hidden") == "true"
        or a.get("role") in ("navigation", "banner", "contentinfo", "search")
        or bool(re.search(r"display:\s*none", a.get("style", "")))
    )


def _find(node: _Node, want: Callable[[_Node], bool]) -> list[_Node]:
    found = []
    for child in node.children:
        if isinstance(child, _Node):
            if want(child):
                found.append(child)
            else:
                found.extend(_find(child, want))
    return found


def _text_of(node: _Node, out: list[str], pre: bool = False) -> None:
    for child in node.children:
        if isinstance(child, str):
            out.append(child if pre else re.sub(r"\s+", " ", child))
            continue
        if child.tag in _SKIP or _hidden(child):
            continue
        if child.tag == "br":
            out.append("\n")
            continue
        block = child.tag in _BLOCK
        if block:
            out.append("\n")
        if child.tag in ("td", "th"):
            out.append(" ")
        _text_of(child, out, pre or child.tag == "pre")
        if block:
            out.append("\n")


def html_main_text(html: str) -> str:
    """Return the readable main text of an HTML page: <main>, else <article>s, else <body>, minus chrome."""
    tree = _Tree()
    tree.feed(html)
    tree.close()
    regions = _find(tree.root, lambda n: n.tag == "main" or n.attrs.get("role") == "main")
    if not regions:
        regions = _find(tree.root, lambda n: n.tag == "article")
    if not regions:
        regions = _find(tree.root, lambda n: n.tag == "body") or [tree.root]
    out: list[str] = []
    for region in regions:
        _text_of(region, out)
        out.append("\n")
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in "".join(out).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
