"""The pipeline, top to bottom: config -> load -> validate -> compute -> render -> write.

Nothing is written until everything has loaded, validated and rendered in memory; then each
file is written atomically, so a failed build leaves earlier output untouched.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from brief.config import Config, check_audience
from brief.errors import UsageError
from brief.publish import atomic_write_bytes, check_name, safe_join

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What one brief's build wrote."""

    brief: str
    edition: str
    folder: Path
    files: list[Path] = field(default_factory=list)
    pages: dict[str, int] = field(default_factory=dict)


@dataclass
class _Pending:
    path: Path
    data: bytes


def build(
    config: Config,
    briefs: list[str] | None = None,
    audience: str | None = None,
    edition: str | None = None,
    date: dt.date | None = None,
    strict: bool = False,
    pdf: bool = True,
) -> list[BuildResult]:
    """Build the requested briefs and audiences; return what was written."""
    from brief.citations import CitationEngine
    from brief.render import html as render_html
    from brief.render.context import Edition, build_context, edition_id
    from brief.render.templates import template_source_dirs
    from brief.validate import validate

    started = time.perf_counter()
    day = date or dt.date.today()
    if edition is not None:
        check_name(edition, "edition")
    if audience and audience != "all":
        check_audience(audience)

    # 1-3. Load and validate everything; stop once with every problem.
    report = validate(config, today=day)
    report.raise_if_failed(strict=strict)
    ds = report.dataset
    ids = briefs or sorted(ds.briefs)
    for brief_id in ids:
        if brief_id not in ds.briefs:
            raise UsageError(f"unknown brief {brief_id!r}: expected one of {', '.join(sorted(ds.briefs)) or '(none in briefs/)'}")

    # 4-7. Compute, render HTML and PDF in memory.
    pending: list[_Pending] = []
    results = []
    for brief_id in ids:
        spec = ds.briefs[brief_id]
        requested = audience or config.settings.default_audience
        audiences = list(spec.audiences) if requested == "all" else check_audience(requested)
        ed = Edition(edition or edition_id(spec, day), day)
        folder = safe_join(config.output_dir, check_name(brief_id, "brief id"), ed.id)
        result = BuildResult(brief_id, ed.id, folder)
        engine = CitationEngine(ds.sources, style=spec.citation_style or config.settings.citation_style, lang=config.settings.language)
        for aud in audiences:
            context = build_context(config, ds, spec, aud, ed)
            names = [f"{aud}/{brief_id}.html", f"{aud}/brief.html", "brief.html"]
            rendered = render_html.render(config.templates_dir, context, engine, names)
            stem = f"{brief_id}-{aud}"
            pending.append(_Pending(folder / f"{stem}.html", rendered.html.encode("utf-8")))
            if pdf:
                from brief.render.pdf import write_pdf

                data, pages, refused = write_pdf(
                    rendered.print_html,
                    rendered.print_css,
                    base_dir=config.templates_dir if config.templates_dir.is_dir() else template_source_dirs(None)[0],
                    allowed_dirs=template_source_dirs(config.templates_dir),
                    variant=config.settings.pdf_variant,
                    created=day,
                )
                for url in refused:
                    log.warning("%s: the renderer was refused %s", stem, url[:100])
                pending.append(_Pending(folder / f"{stem}.pdf", data))
                result.pages[aud] = pages
            log.info("built %s (%s, edition %s): %d notes, %d sources%s", brief_id, aud, ed.id, rendered.notes, rendered.bibliography, f", {result.pages[aud]} pages" if pdf else "")
        results.append(result)

    # 8. Write atomically.
    for item in pending:
        atomic_write_bytes(item.path, item.data)
        for result in results:
            if item.path.parent == result.folder:
                result.files.append(item.path)
    log.info("done in %.2f s", time.perf_counter() - started)
    return results
