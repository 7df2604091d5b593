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


def write_pdf(
    html: str,
    css: str,
    *,
    base_dir: Path,
    allowed_dirs: Iterable[Path],
    variant: str | None = "pdf/ua-1",
    created: dt.date,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> tuple[bytes, int, list[str]]:
    """Lay out `html` with the print stylesheet `css`; return (pdf bytes, page count, refused URLs)."""
    # Reproducible output: WeasyPrint reads SOURCE_DATE_EPOCH for /CreationDate and /ModDate.
    epoch = int(dt.datetime(created.year, created.month, created.day, tzinfo=dt.timezone.utc).timestamp())
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        try:
            from weasyprint import CSS, HTML, Attachment
        except OSError as exc:  # Pango / HarfBuzz missing
            raise RenderError(f"WeasyPrint cannot start ({exc}); install Pango (Debian: libpango-1.0-0 libpangoft2-1.0-0)") from None
        _fix_page_references()
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
        if previous is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = previous
