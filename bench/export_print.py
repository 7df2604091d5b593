"""Write the print HTML and print CSS that `brief build` hands to WeasyPrint, for one brief and audience.

    python bench/export_print.py PROJECT BRIEF AUDIENCE OUTDIR [--date YYYY-MM-DD]

Used by bench/run.py to time WeasyPrint alone on exactly the document brief lays out. Goes
through the same steps as build (validate, compute, build_context, render) without writing an
edition; the edition id and date are those the build would use.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path


def export(project: Path, brief_id: str, audience: str, out: Path, date: dt.date) -> dict[str, str]:
    """Write print.html, screen.html, print.css, citations.json and pdf.json (variant, base folder) into `out`."""
    from brief.build import evidence_facts
    from brief.check.validate import validate
    from brief.load.config import load_config
    from brief.publish import editions
    from brief.render import html as render_html
    from brief.render.citations import CitationEngine
    from brief.render.context import Edition, build_context, compute, edition_id
    from brief.render.templates import template_source_dirs

    config = load_config(project)
    ds = validate(config, today=date).dataset
    spec = ds.briefs[brief_id]
    ed_id = edition_id(spec, date)
    existing = editions.latest_revision(config.output_dir, brief_id, ed_id)
    ed = Edition(ed_id, existing.date if existing else date)
    computed = compute(config, ds, spec)
    snapshot = editions.make_snapshot(ds, spec, computed.incidents, computed.assessments, computed.recommendations, ed)
    previous = editions.previous_edition(config.output_dir, brief_id, ed_id, ed.date)
    changes = editions.diff_snapshots(previous.snapshot(), snapshot) if previous else None
    engine = CitationEngine(
        ds.sources,
        style=spec.citation_style or config.settings.citation_style,
        lang=config.settings.language,
        cache_dir=config.output_dir / ".cache" / "citations",
    )
    context = build_context(config, ds, spec, audience, ed, computed)
    corrections = existing.manifest.get("corrections", []) if existing else []
    context.update(
        changes=changes,
        previous_edition=previous,
        edition_corrections=corrections,
        revision=len(corrections) and corrections[-1]["revision"],
        evidence=evidence_facts(config, snapshot),
    )
    names = [f"{audience}/{spec.id}.html", f"{audience}/brief.html", "brief.html"]
    if getattr(spec, "layout", "standard") == "compendium":
        names = [f"compendium/{spec.id}.html", f"compendium/{audience}.html", "compendium/brief.html"]
    cited: list[list[list[str | None]]] = []
    render_citations = engine.render

    def keep(citations, bibliography_keys=None):  # the notes' citations, for the Markdown version of the brief
        cited[:] = [[[item.key, item.locator] for item in c.items] for c in citations]
        return render_citations(citations, bibliography_keys)

    engine.render = keep  # type: ignore[method-assign]
    rendered = render_html.render(config.templates_dir, context, engine, names)
    out.mkdir(parents=True, exist_ok=True)
    (out / "citations.json").write_text(json.dumps(cited), encoding="utf-8")
    (out / "print.html").write_text(rendered.print_html, encoding="utf-8")
    (out / "print.css").write_text(rendered.print_css, encoding="utf-8")
    (out / "screen.html").write_text(rendered.html, encoding="utf-8")
    meta = {
        "variant": config.settings.pdf_variant,
        "base": str(template_source_dirs(config.templates_dir)[0].resolve()),
        "date": ed.date.isoformat(),
    }
    (out / "pdf.json").write_text(json.dumps(meta), encoding="utf-8")
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("project", type=Path)
    parser.add_argument("brief")
    parser.add_argument("audience")
    parser.add_argument("out", type=Path)
    parser.add_argument("--date", type=dt.date.fromisoformat, default=dt.date(2026, 11, 26))
    args = parser.parse_args()
    print(export(args.project, args.brief, args.audience, args.out, args.date))


if __name__ == "__main__":
    main()
