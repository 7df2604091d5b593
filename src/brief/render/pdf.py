"""HTML -> PDF with WeasyPrint (imported lazily). The renderer reads only allowed files.

WeasyPrint may fetch `data:` URLs and files under the template folders, nothing else: no
network, no other local file. Anything else is refused and recorded in `GuardedFetcher.refused`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import unquote, urlparse

from brief.errors import RenderError, UsageError

log = logging.getLogger(__name__)

# The PDF standards a brief may be written to: tagged PDF/UA for reading, PDF/A-3 for archives
# (PDF/A-3 allows the data snapshot and manifest as embedded files).
PDF_VARIANTS = ("pdf/ua-1", "pdf/ua-2", "pdf/a-3b", "pdf/a-3u")


def check_variant(value: str) -> str:
    """Return `value` when it is a supported PDF variant, or raise a UsageError listing them."""
    if value not in PDF_VARIANTS:
        raise UsageError(f"unknown PDF variant {value!r}: expected one of {', '.join(PDF_VARIANTS)}")
    return value


def check_weasyprint() -> None:
    """Import WeasyPrint, or raise a RenderError saying what to install."""
    try:
        import weasyprint  # noqa: F401
    except OSError as exc:  # Pango / HarfBuzz missing
        raise RenderError(f"WeasyPrint cannot start ({exc}); install Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0)") from None


def _fetcher_class() -> type:
    from weasyprint.urls import URLFetcher

    class GuardedFetcher(URLFetcher):
        """A URL fetcher that serves data: URLs and files under allowed folders only."""

        def __init__(self, allowed_dirs: Iterable[Path], **kwargs: Any):
            super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False, timeout=5, **kwargs)
            self.allowed = [d.resolve() for d in allowed_dirs]
            self.refused: list[str] = []
            self.fetched: list[str] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
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
    compendium (issue 8). The tuple is kept while the page list keeps its identity and length
    (pydyf only ever appends pages). Other pydyf versions are left alone."""
    import pydyf

    if not str(getattr(pydyf, "__version__", "")).startswith(("0.11.", "0.12.", "0.13.")):
        return
    if getattr(pydyf.PDF.page_references, "fget", None) is _page_references:
        return
    pydyf.PDF.page_references = property(_page_references)


def _page_references(pdf: Any) -> tuple[bytes, ...]:
    kids = pdf.pages["Kids"]
    key = (id(kids), len(kids))
    cached = pdf.__dict__.get("_brief_page_references")
    if cached is None or cached[0] != key:
        cached = pdf.__dict__["_brief_page_references"] = (key, tuple(f"{number} 0 R".encode("ascii") for number in kids[::3]))
    return cached[1]


# A document laid out as one part of a longer PDF (render/chunked.py) changes two WeasyPrint
# internals, checked against these releases only; on others the long document is laid out whole.
PART_WEASYPRINT = ("70.",)
_part_prefix: str | None = None  # set by write_pdf(part=...) while that part is written


def parts_supported() -> bool:
    """Return True when the installed WeasyPrint is one whose internals the part hooks fit."""
    from importlib.metadata import PackageNotFoundError, version

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
    import pydyf
    import weasyprint.pdf as wpdf

    if getattr(wpdf.resolve_links, "brief_part_hook", False):
        return
    resolve_links, add_tags = wpdf.resolve_links, wpdf.add_tags

    def resolve_part_links(pages: Any) -> Any:
        if _part_prefix is None:
            yield from resolve_links(pages)
            return
        seen: set[str] = set()
        for page in pages:  # as WeasyPrint's: the first anchor of a name wins; but no link is dropped
            anchors = [(name, x, y) for name, (x, y, _, _) in page.anchors.items() if not (name in seen or seen.add(name))]
            yield list(page.links), anchors

    def add_part_tags(pdf: Any, *args: Any, **kwargs: Any) -> Any:
        result = add_tags(pdf, *args, **kwargs)
        if _part_prefix is not None:
            for obj in pdf.objects:
                if isinstance(obj, dict) and isinstance(obj.get("ID"), pydyf.String):
                    obj["ID"].string = _part_prefix + obj["ID"].string
        return result

    resolve_part_links.brief_part_hook = True  # type: ignore[attr-defined]
    wpdf.resolve_links, wpdf.add_tags = resolve_part_links, add_part_tags


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
        from weasyprint import CSS, HTML, Attachment

        _fix_page_references()
        if part is not None:
            if not parts_supported():
                raise RenderError(f"laying out a document in parts needs WeasyPrint {' or '.join(v + 'x' for v in PART_WEASYPRINT)}")
            _install_part_hooks()
            _part_prefix = part
        fetcher = _fetcher_class()(allowed_dirs)
        when = dt.datetime(created.year, created.month, created.day, tzinfo=dt.timezone.utc)
        files = [
            Attachment(string=data, name=name, description=description, created=when, modified=when, url_fetcher=fetcher)
            for name, data, description in (attachments or [])
        ]
        document = HTML(string=html, base_url=base_dir.resolve().as_uri() + "/", url_fetcher=fetcher).render(
            stylesheets=[CSS(string=css, url_fetcher=fetcher, base_url=base_dir.resolve().as_uri() + "/")],
            presentational_hints=False,
        )
        options: dict[str, Any] = {"pdf_variant": variant} if variant else {}
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
