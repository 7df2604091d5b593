"""HTML -> PDF with WeasyPrint (imported lazily). The renderer reads only allowed files.

WeasyPrint may fetch `data:` URLs and files under the template folders, nothing else: no
network, no other local file. Anything else is refused and recorded in `GuardedFetcher.refused`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import warnings
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol
from urllib.parse import unquote, urlparse

from brief.core.errors import RenderError, UsageError
from brief.load.config import PDF_VARIANTS
from brief.render.templates import packaged_templates

if TYPE_CHECKING:  # for the annotations only: WeasyPrint loads with the PDF step (neither it nor pydyf has types)
    from xml.etree import ElementTree

    import pydyf
    from weasyprint.document import Document, Page
    from weasyprint.formatting_structure.boxes import Box

log = logging.getLogger(__name__)

# The print fonts travel with the package's templates (templates/fonts/, Liberation 2.1.5 under the
# SIL OFL 1.1, unmodified), so a PDF is laid out with the same glyph metrics, and is byte-identical,
# on every machine. print.css names them by these families only; no system font is needed or used.
FONTS_DIR = packaged_templates() / "fonts"
FONT_FACES = {
    "Brief Serif": {("normal", "normal"): "LiberationSerif-Regular.ttf",
                    ("bold", "normal"): "LiberationSerif-Bold.ttf",
                    ("normal", "italic"): "LiberationSerif-Italic.ttf",
                    ("bold", "italic"): "LiberationSerif-BoldItalic.ttf"},
    "Brief Sans": {("normal", "normal"): "LiberationSans-Regular.ttf",
                   ("bold", "normal"): "LiberationSans-Bold.ttf",
                   ("normal", "italic"): "LiberationSans-Italic.ttf",
                   ("bold", "italic"): "LiberationSans-BoldItalic.ttf"},
    "Brief Mono": {("normal", "normal"): "LiberationMono-Regular.ttf",
                   ("bold", "normal"): "LiberationMono-Bold.ttf"},
}  # fmt: skip


def font_faces_css() -> str:
    """Return the @font-face rules of the packaged print fonts (absolute file URLs)."""
    rules = []
    for family, faces in FONT_FACES.items():
        for (weight, style), name in faces.items():
            path = FONTS_DIR / name
            if not path.is_file():
                raise RenderError(f"packaged font {path} is missing: reinstall brief")
            rules.append(
                f'@font-face {{ font-family: "{family}"; src: url("{path.as_uri()}"); '
                f"font-weight: {weight}; font-style: {style}; }}"
            )
    return "\n".join(rules) + "\n"


def check_variant(value: str) -> str:
    """Return `value` when it is a supported PDF variant, or raise a UsageError listing them."""
    if value not in PDF_VARIANTS:
        raise UsageError(f"unknown PDF variant {value!r}: expected one of {', '.join(PDF_VARIANTS)}")
    return value


def check_weasyprint() -> None:
    """Import WeasyPrint, or raise a RenderError saying what to install."""
    try:
        with warnings.catch_warnings():  # a machine without any font is fine: the print fonts are packaged
            warnings.filterwarnings("ignore", message="No fonts configured in FontConfig", category=UserWarning)
            import weasyprint  # noqa: F401
    except OSError as exc:  # Pango / HarfBuzz missing
        raise RenderError(
            f"WeasyPrint cannot start ({exc}); install Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0)"
        ) from None


class Fetcher(Protocol):
    """What brief reads of its URL fetcher besides what WeasyPrint calls: the URLs it refused and fetched."""

    refused: list[str]
    fetched: list[str]


# A link of a laid-out page, as WeasyPrint lists them: (kind, target, rectangle, box).
Link = tuple[str, str, tuple[float, float, float, float], "Box"]


def _fetcher_class() -> Callable[[Iterable[Path]], Fetcher]:
    """Return the class of brief's URL fetcher (defined on first use: its base class is WeasyPrint's)."""
    # WeasyPrint takes 0.5 s to import: only the PDF step loads it
    from weasyprint.urls import URLFetcher

    class GuardedFetcher(URLFetcher):  # type: ignore[misc]  # weasyprint has no types: its classes are Any
        """A URL fetcher that serves data: URLs and files under allowed folders only."""

        def __init__(self, allowed_dirs: Iterable[Path], **kwargs: object):
            super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, timeout=5, **kwargs)
            self.allowed = [d.resolve() for d in allowed_dirs]
            self.refused: list[str] = []
            self.fetched: list[str] = []

        def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:  # a URLFetcherResponse
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(unquote(urlparse(url).path)).resolve()
                if any(path == d or d in path.parents for d in self.allowed) and path.is_file():
                    self.fetched.append(url)
                    return super().fetch(url, headers)
            self.refused.append(url)
            raise ValueError(f"brief does not let the renderer fetch {url[:80]!r}")

    return GuardedFetcher


def _fix_page_references() -> None:
    """Make pydyf's `PDF.page_references` constant-time (same values, same PDF bytes).

    pydyf 0.11-0.13 rebuilds the tuple of every page's reference on each read, and WeasyPrint's
    PDF/UA tagging reads it once per structure element: quadratic in pages, 45 s of a 1,253-page
    compendium. The tuple is kept while the page list keeps its identity and length
    (pydyf only ever appends pages). Other pydyf versions are left alone."""
    # WeasyPrint's PDF writer, loaded with WeasyPrint by the PDF step only
    import pydyf

    if not str(getattr(pydyf, "__version__", "")).startswith(("0.11.", "0.12.", "0.13.")):
        return
    if getattr(pydyf.PDF.page_references, "fget", None) is _page_references:
        return
    pydyf.PDF.page_references = property(_page_references)


def _page_references(pdf: pydyf.PDF) -> tuple[bytes, ...]:
    """Return the reference of every page ("3 0 R"), computed again only when a page was added."""
    kids = pdf.pages["Kids"]
    key = (id(kids), len(kids))
    cached: tuple[tuple[int, int], tuple[bytes, ...]] | None = pdf.__dict__.get("_brief_page_references")
    if cached is None or cached[0] != key:
        cached = pdf.__dict__["_brief_page_references"] = (
            key,
            tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]),
        )
    return cached[1]


# A document laid out as one part of a longer PDF (render/chunked.py) changes two WeasyPrint
# internals, checked against these releases only; on others the long document is laid out whole.
PART_WEASYPRINT = ("70.",)
_part_prefix: str | None = None  # set by write_pdf(part=...) while that part is written
_part_hooks = False  # whether WeasyPrint's functions are wrapped (once per process)


def parts_supported() -> bool:
    """Return True when the installed WeasyPrint is one whose internals the part hooks fit."""
    try:
        return version("weasyprint").startswith(PART_WEASYPRINT)
    except PackageNotFoundError:
        return False


def _install_part_hooks() -> None:
    """Wrap `weasyprint.pdf.resolve_links` and `add_tags`; the wrappers change nothing unless a part is written.

    - WeasyPrint drops a link whose anchor is not in the document ("No anchor #x"); a part keeps
      it as the named destination WeasyPrint writes for every internal link, which resolves once
      the parts' /Dests are merged (the list of incidents links to pages in other parts).
    - Table header IDs are '<object number>-<row>-<column>', unique in one PDF only; a part's get
      its prefix. The ID string is the same object as the cells' /Headers entries, so both change.
    """
    # WeasyPrint's PDF writer, loaded with WeasyPrint by the PDF step only
    import pydyf
    import weasyprint.pdf as wpdf

    global _part_hooks
    if _part_hooks:
        return
    resolve_links, add_tags = wpdf.resolve_links, wpdf.add_tags

    def resolve_part_links(pages: list[Page]) -> Iterator[tuple[list[Link], list[tuple[str, float, float]]]]:
        """Yield each page's links and anchors."""
        if _part_prefix is None:
            yield from resolve_links(pages)
            return
        seen: set[str] = set()
        for page in pages:  # as WeasyPrint's: the first anchor of a name wins; but no link is dropped
            anchors = []
            for name, (x, y, _, _) in page.anchors.items():
                if name not in seen:
                    seen.add(name)
                    anchors.append((name, x, y))
            yield list(page.links), anchors

    def add_part_tags(pdf: pydyf.PDF, *args: object, **kwargs: object) -> object:
        """Tag the PDF as WeasyPrint does; in a part, prefix the table header IDs."""
        result = add_tags(pdf, *args, **kwargs)
        if _part_prefix is not None:
            for obj in pdf.objects:
                if isinstance(obj, dict) and isinstance(obj.get("ID"), pydyf.String):
                    obj["ID"].string = _part_prefix + obj["ID"].string
        return result

    wpdf.resolve_links, wpdf.add_tags = resolve_part_links, add_part_tags
    _part_hooks = True


# Print typography: the text runs a line must not break inside (print.css: `.nobr { white-space: nowrap }`).
# One filter over the print document's text (render/pdf.py), not hand edits of the data.
_MODEL = (
    r"(?:Claude|GPT|Gemini|Grok|Llama|Qwen|DeepSeek|Mistral|Kimi)"
    r"(?:[ \-](?:Opus|Sonnet|Haiku|Pro|Flash|Ultra|mini|preview|[RV]\d(?:[\w.]*\w)?|\d(?:[\w.]*\w)?))+"
)
_NUMBER = r"[−\-]?\d[\d,]*(?:\.\d+)?"
JOIN_RE = re.compile(
    "|".join(
        (
            rf"{_NUMBER}%?\s?±\s?{_NUMBER}%?(?:\s?(?:pp|points))?",  # 63% ± 13%
            rf"{_NUMBER}(?:\s?×|\s%)(?!\w)",  # 2.53×, 84 %
            _MODEL,  # Claude Opus 4, GPT-4o
            r"\b[A-Za-z]*\d[\w.]*-[\w.]*\w\b|\b[A-Za-z]+-\d(?:[\w.]*\w)?\b",  # o1-preview, o4-mini, GPT-4.1
        )
    )
)
_SKIP_RE = re.compile(r"<(svg|style|script|title)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
_TAG_RE = re.compile(r"<[^>]*>")
_NOTE_OPEN_RE = re.compile(r'<span class="footnote" id="note-\d+">')
_SPAN_RE = re.compile(r"<span\b|</span>")


def _join_text(text: str) -> str:
    return JOIN_RE.sub(lambda m: f'<span class="nobr">{m.group(0)}</span>', text) if text.strip() else text


def print_joins(doc: str) -> str:
    """Return the print document with no line break inside "63% ± 13%", "2.53×", "Claude Opus 4",
    "o1-preview", nor between a note call and the word before it.

    Only text between tags in the <body> is changed (never SVG, styles or attributes): joined runs
    are wrapped in `<span class="nobr">`, and a footnote with the word it follows in one too (the
    note itself wraps normally: print.css resets white-space on `.footnote`)."""
    start = doc.find("<body")
    if start < 0:
        return doc
    head, body = doc[:start], doc[start:]
    out, pos = [], 0
    for skip in list(_SKIP_RE.finditer(body)) + [None]:
        end = skip.start() if skip else len(body)
        chunk, cursor = [], pos
        for tag in _TAG_RE.finditer(body, pos, end):
            chunk += [_join_text(body[cursor : tag.start()]), tag.group(0)]
            cursor = tag.end()
        chunk.append(_join_text(body[cursor:end]))
        out.append("".join(chunk))
        if skip:
            out.append(skip.group(0))
            pos = skip.end()
    return head + _join_notes("".join(out))


def _join_notes(doc: str) -> str:
    out, pos = [], 0
    for opening in _NOTE_OPEN_RE.finditer(doc):
        if opening.start() < pos:
            continue
        depth, end = 0, None
        for span in _SPAN_RE.finditer(doc, opening.start()):
            depth += 1 if span.group(0) != "</span>" else -1
            if depth == 0:
                end = span.end()
                break
        if end is None:
            break
        before = doc[pos : opening.start()]
        word = re.search(r"[^\s>]+$", before)
        if word is None or word.group(0).endswith(">"):
            out += [before, doc[opening.start() : end]]
        else:
            out += [before[: word.start()], '<span class="nobr">', word.group(0), doc[opening.start() : end], "</span>"]
        pos = end
    out.append(doc[pos:])
    return "".join(out)


def note_placement(document: Document) -> dict[str, tuple[list[int], list[int]]]:
    """Return {note id: (pages of its call, pages printing its text)} of a laid-out document, and
    make each note call a link to its note (a reader clicks "27" and lands on note 27).

    The call becomes an `a::footnote-call` box, so the PDF's structure tree holds it as a Link with
    its annotation (PDF/UA), as any other internal link."""
    # WeasyPrint takes 0.5 s to import: only the PDF step loads it
    from weasyprint.formatting_structure import boxes
    from weasyprint.urls import get_link

    found: dict[str, tuple[list[int], list[int]]] = {}

    def walk(box: Box, number: int, page: Page, in_area: bool) -> None:
        in_area = in_area or isinstance(box, boxes.FootnoteAreaBox)
        tag = getattr(box, "element_tag", "") or ""
        element = getattr(box, "element", None)
        if tag.endswith("::footnote-call") and element is not None:
            note = element.get("id") or ""
            found.setdefault(note, ([], []))[0].append(number)
            if note and box.link is None:
                box.element_tag = "a::footnote-call"
                box.link = get_link(f"#{note}", box.style.base_url)
                x, y, width, height = box.hit_area()
                page.links.append(("internal", note, (x, y, x + width, y + height), box))
            return
        if (
            in_area
            and element is not None
            and tag == element.tag
            and "footnote" in (element.get("class") or "").split()
        ):
            entry = found.setdefault(element.get("id") or "", ([], []))[1]
            if number not in entry:
                entry.append(number)
            return
        for child in getattr(box, "children", None) or ():
            walk(child, number, page, in_area)

    for number, page in enumerate(document.pages, 1):
        walk(page._page_box, number, page, False)
    return found


def misplaced_notes(placement: dict[str, tuple[list[int], list[int]]]) -> list[str]:
    """Return one line per note not printed on the page of its call (or printed nowhere)."""
    problems = []
    for note, (calls, printed) in sorted(placement.items(), key=lambda kv: (kv[1][0] or [0])[0]):
        if not printed:
            problems.append(f"{note} is called on page {calls[0]} and printed nowhere")
        elif not calls:
            problems.append(f"{note} is printed on page {printed[0]} without a call")
        elif printed != calls[:1]:
            problems.append(
                f"{note} is called on page {calls[0]} and printed on page{'s' if len(printed) > 1 else ''} "
                f"{', '.join(map(str, printed))}"
            )
    return problems


_NOTE_RETRIES = 3
# The block a note call is laid out in, walking up from the note; a cell's row, a caption's figure.
_CALL_BLOCKS = {"p": None, "li": None, "dd": None, "dt": None, "blockquote": None, "figure": None, "div": None,
                "h2": None, "h3": None, "h4": None, "td": "tr", "th": "tr", "figcaption": "figure"}  # fmt: skip


def _local(tag: object) -> str:
    """Return a tag's local name, without its namespace (a comment's tag is a function)."""
    return str(tag).rsplit("}", 1)[-1]


def _break_before_calls(root: ElementTree.Element, notes: list[str]) -> bool:
    """Start the block of each given note's call on a new page; return whether any block changed.

    Where WeasyPrint 70 prints a note a page after its call, or drops it (its footnote-policy
    abort path can lose a note reported while the block of its call is pushed to the next page),
    the block holding the call starts the next page, where the call and its note are laid out
    together. A few lines of white space are the price of a note on the wrong page."""
    wanted = set(notes)
    parents = {child: parent for parent in root.iter() for child in parent}
    changed = False
    for element in root.iter():
        if element.get("id") not in wanted:
            continue
        block = parents.get(element)
        while block is not None and _local(block.tag) not in _CALL_BLOCKS:
            block = parents.get(block)
        if block is None:
            continue
        outer = _CALL_BLOCKS[_local(block.tag)]
        while outer and block is not None and _local(block.tag) != outer:
            block = parents.get(block)
        if block is None:
            continue
        style = block.get("style") or ""
        if "break-before: page" not in style:
            block.set("style", (style + "; " if style else "") + "break-before: page")
            changed = True
    return changed


def write_pdf(
    html: str,
    css: str,
    *,
    base_dir: Path,
    allowed_dirs: Iterable[Path],
    variant: str | None = "pdf/ua-1",
    created: dt.date,
    attachments: list[tuple[str, bytes, str]] | None = None,
    part: str | None = None,
) -> tuple[bytes, int, list[str]]:
    """Lay out `html` with the print stylesheet `css`; return (pdf bytes, page count, refused URLs).

    `part` (a prefix such as "p3-") lays `html` out as one part of a longer PDF that
    render/chunked.py merges: links into other parts are kept, table header IDs get the prefix.
    """
    global _part_prefix
    # Reproducible output: WeasyPrint reads SOURCE_DATE_EPOCH for /CreationDate and /ModDate.
    epoch = int(dt.datetime(created.year, created.month, created.day, tzinfo=dt.timezone.utc).timestamp())
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        check_weasyprint()
        # WeasyPrint takes 0.5 s to import: only the PDF step loads it
        from weasyprint import CSS, HTML, Attachment
        from weasyprint.text.fonts import FontConfiguration

        _fix_page_references()
        if part is not None:
            if not parts_supported():
                raise RenderError(
                    f"laying out a document in parts needs WeasyPrint {' or '.join(v + 'x' for v in PART_WEASYPRINT)}"
                )
            _install_part_hooks()
            _part_prefix = part
        fetcher = _fetcher_class()([*allowed_dirs, FONTS_DIR])
        when = dt.datetime(created.year, created.month, created.day, tzinfo=dt.timezone.utc)
        files = [
            Attachment(
                string=data, name=name, description=description, created=when, modified=when, url_fetcher=fetcher
            )
            for name, data, description in (attachments or [])
        ]
        fonts = FontConfiguration()
        base_url = base_dir.resolve().as_uri() + "/"
        # Two sheets: the print CSS keeps its own start (an @import must come first).
        stylesheets = [
            CSS(string=text, url_fetcher=fetcher, base_url=base_url, font_config=fonts)
            for text in (font_faces_css(), css)
        ]
        source = HTML(string=print_joins(html), base_url=base_url, url_fetcher=fetcher)
        document = source.render(stylesheets=stylesheets, presentational_hints=False, font_config=fonts)
        misplaced = misplaced_notes(note_placement(document))
        for _ in range(_NOTE_RETRIES):  # WeasyPrint 70 may still report a note to the next page, or lose it
            if not misplaced or not _break_before_calls(source.etree_element, [line.split()[0] for line in misplaced]):
                break
            log.info(
                "pdf: laying out again, starting the paragraph of a misplaced note on a new page: %s",
                "; ".join(misplaced),
            )
            document = source.render(stylesheets=stylesheets, presentational_hints=False, font_config=fonts)
            misplaced = misplaced_notes(note_placement(document))
        if misplaced:
            raise RenderError(
                f"a note would not be printed on the page of its call: {'; '.join(misplaced[:3])}"
                + (f" (and {len(misplaced) - 3} more)" if len(misplaced) > 3 else "")
            )
        options: dict[str, object] = {"pdf_variant": variant} if variant else {}
        if files:
            options["attachments"] = files
        data = document.write_pdf(**options)
        return data, len(document.pages), list(fetcher.refused)
    except RenderError:
        raise
    except Exception as exc:  # WeasyPrint raises many kinds; report one line
        raise RenderError(f"PDF rendering failed: {type(exc).__name__}: {exc}") from None
    finally:
        _part_prefix = None
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
