"""The output folder's index page and Atom feed, listing every published edition."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import jinja2

from brief import __version__
from brief.core import audiences
from brief.core.dates import long_date
from brief.core.errors import BriefError
from brief.core.writer import OutputRoot
from brief.load.config import Config
from brief.publish.editions import Published, published
from brief.render.templates import environment, read_asset


def write_index(config: Config) -> list[Path]:
    """Write output/index.html (every brief, newest edition first) and output/feed.xml (Atom)."""
    out = config.output_dir
    briefs = []
    for folder in sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")) if out.is_dir() else []:
        revisions = published(out, folder.name)
        if not revisions:
            continue
        editions: dict[str, list[Published]] = {}
        for rev in revisions:
            editions.setdefault(rev.edition, []).append(rev)
        rows = []
        for edition_id, revs in editions.items():
            current = revs[-1]
            files = []
            for f in current.manifest["files"]:
                href = current.folder.relative_to(out).as_posix() + "/" + f["name"]
                files.append(dict(f, href=href, size=_size(f["bytes"])))
            by_audience: dict[str, dict[str, Any]] = {}
            for f in files:
                by_audience.setdefault(f["audience"], {})[f["format"]] = f
            rows.append(
                {
                    "id": edition_id,
                    "date": current.date,
                    "date_text": long_date(current.date),
                    "revision": current.revision,
                    "corrections": current.manifest.get("corrections", []),
                    "audiences": dict(sorted(by_audience.items(), key=lambda kv: audiences.order(kv[0]))),
                    "earlier_revisions": [
                        {
                            "revision": r.revision,
                            "href": r.folder.relative_to(out).as_posix() + "/",
                            "files": r.manifest["files"],
                        }
                        for r in revs[:-1]
                    ],
                    "folder": current.folder.relative_to(out).as_posix(),
                }
            )
        rows.sort(key=lambda r: (r["date"], r["id"]), reverse=True)
        title = revisions[-1].manifest["brief"]["title"]
        briefs.append(
            {
                "id": folder.name,
                "title": title,
                "subtitle": revisions[-1].manifest["brief"].get("subtitle"),
                "editions": rows,
                "revisions": revisions,
            }
        )
    env = environment(config.templates_dir, {})
    context = {
        "project": config.settings,
        "organisation": config.settings.organisation,
        "language": config.settings.language,
        "briefs": briefs,
        "tool_version": __version__,
        "css": read_asset(config.templates_dir, "screen.css"),
    }
    try:
        html = env.get_template("index.html").render(context)
    except jinja2.TemplateError as exc:
        raise BriefError(f"index.html: template error: {exc}") from None
    feed = _atom(config, briefs)
    root = OutputRoot(out)
    root.write_text("index.html", html)
    root.write_text("feed.xml", feed)
    return [out / "index.html", out / "feed.xml"]


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{max(1, round(n / 1024))} KB"


def _atom(config: Config, briefs: list[dict[str, Any]]) -> str:
    """Return an Atom feed with an entry per edition and per correction."""
    base = (config.settings.base_url or "").rstrip("/")
    entries = []
    for brief in briefs:
        for rev in brief["revisions"]:
            files = {(f["audience"], f["format"]): f["name"] for f in rev.manifest["files"]}
            name = files.get(("regulator", "pdf")) or files.get(("regulator", "html")) or next(iter(files.values()), "")
            link = rev.folder.relative_to(config.output_dir).as_posix() + "/" + name
            href = f"{base}/{link}" if base else link
            title = f"{brief['title']}: edition {rev.edition}" + (
                f", correction {rev.revision}" if rev.revision else ""
            )
            if rev.revision:
                last = rev.manifest["corrections"][-1]
                day, summary = last["date"], f"Correction {rev.revision} of edition {rev.edition}: {last['reason']}"
            else:
                day, summary = (
                    rev.date.isoformat(),
                    f"Edition {rev.edition} of {brief['title']}, dated {long_date(rev.date)}.",
                )
            entries.append(
                (
                    day,
                    f"<entry>\n<id>urn:brief:{escape(brief['id'])}:{escape(rev.edition)}:{rev.revision}</id>\n"
                    f"<title>{escape(title)}</title>\n"
                    f'<updated>{day}T00:00:00Z</updated>\n<link rel="alternate" '
                    f"href={quoteattr(href)}/>\n<summary>{escape(summary)}</summary>\n</entry>",
                )
            )
    entries.sort(key=lambda e: e[0], reverse=True)
    updated = entries[0][0] if entries else "1970-01-01"
    self_link = f'<link rel="self" href={quoteattr(base + "/feed.xml")}/>\n' if base else ""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        f"<id>urn:brief:{escape(config.settings.name)}</id>\n"
        f"<title>{escape(config.settings.organisation)}: briefs</title>\n"
        f"<updated>{updated}T00:00:00Z</updated>\n"
        f"<author><name>{escape(config.settings.organisation)}</name></author>\n"
        f'{self_link}<link rel="alternate" href={quoteattr((base + "/" if base else "") + "index.html")}/>\n'
        + "\n".join(e[1] for e in entries)
        + "\n</feed>\n"
    )
