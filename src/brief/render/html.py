"""Render a brief's templates to two HTML documents: the published HTML and the PDF's source.

Citations are resolved in two passes so that notes are numbered in reading order and the CSL
engine sees every citation of the document at once (subsequent notes get short forms):
1. the templates render with each citation replaced by a placeholder token, recording it;
2. one CSL engine call renders all recorded citations and the bibliography;
3. the tokens become numbered note links (HTML, with a notes section and back-links) or inline
   `<span class="footnote">` elements that WeasyPrint floats to the foot of the page (PDF).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

import jinja2
from markupsafe import Markup

from brief.check.evidence import bibliography_notes
from brief.core.dates import long_date
from brief.core.errors import RenderError
from brief.load.markdown import markdown_inline, markdown_to_html, safe_href
from brief.load.markers import Citation, CiteItem
from brief.load.model import Source
from brief.render import contents
from brief.render.citations import CitationEngine, Rendered
from brief.render.templates import environment, read_asset, select

TOKEN = "\ue000{}\ue001"
TOKEN_RE = re.compile("\ue000(\\d+)\ue001")
NOTE_PUNCT_RE = re.compile("[ \t]*(\ue000\\d+\ue001)([.,;:!?]+)")
SPACE_TOKEN_RE = re.compile("[ \t]+(\ue000\\d+\ue001)")
NOTE_SRC_RE = re.compile(r' <span class="note-src">.*?</span>')
NOTES_SLOT = "\ue002NOTES\ue002"
BIB_SLOT = "\ue002BIBLIOGRAPHY\ue002"
# `print_part(kind, **data)` in a template: where the print document may be cut (see PrintParts).
PART_MARK = "\ue003{}\ue003"
PART_RE = re.compile("\ue003([^\ue003]*)\ue003")


@dataclass
class Collector:
    """Records citations in reading order and hands back placeholder tokens."""

    citations: list[Citation] = field(default_factory=list)
    referenced: list[str] = field(default_factory=list)  # keys shown as in-table references, not notes

    def token(self, citation: Citation) -> str:
        self.citations.append(citation)
        return TOKEN.format(len(self.citations))


@dataclass
class PrintParts:
    """The print document cut where its template allows, so that each part can be laid out alone.

    A long document (layout: compendium) is laid out in parts, several at a time (render/chunked.py).
    `head + front + "".join(html for _, html in parts) + tail` is the whole print document.
    """

    head: str  # the document up to the first part: <head>, the page-margin marking, <main>
    front: str  # the front matter (masthead, list of incidents, edition notes)
    parts: list[tuple[str, str]]  # (kind, html) in reading order: ("incident", ...), ("sources", ...)
    tail: str  # the rest of the document (closing tags; nothing printed)
    running: dict[str, str]  # the page-margin strings (doctitle, org) the front matter sets

    def document(self, body: str) -> str:
        """Return a print document holding `body` (front matter or parts) only."""
        return self.head + body + self.tail


@dataclass
class RenderedHTML:
    """The published HTML, the HTML WeasyPrint lays out, and what was cited."""

    html: str
    print_html: str
    print_css: str
    template: str
    considered: list[str]
    notes: int
    bibliography: int
    print_parts: PrintParts | None = None  # when the template marks where the print document may be cut


class Cited(Protocol):
    """What `cites` reads of a reference: the source id and the locator."""

    @property
    def id(self) -> str: ...

    @property
    def locator(self) -> str | None: ...


class RefFunction(Protocol):
    """`ref(key, locator)` of the templates: a compact source reference linked to its bibliography entry."""

    def __call__(self, key: str, locator: str | None = None) -> Markup: ...


# A filter that turns Markdown (or nothing) into HTML.
MarkdownFilter = Callable[[str | None], Markup]


def _filters(collector: Collector) -> dict[str, Callable[..., Markup | str]]:
    """Return the filters whose citations become notes: md, mdi, cite, cites and longdate."""

    def md(text: str | None) -> Markup:
        return Markup(markdown_to_html(text or "", collector.token))

    def mdi(text: str | None) -> Markup:
        return Markup(markdown_inline(text or "", collector.token))

    def cite(key: str, locator: str | None = None) -> Markup:
        return Markup(collector.token(Citation((CiteItem(key, locator or None),))))

    def cites(refs: Iterable[Cited]) -> Markup:
        items = tuple(CiteItem(r.id, r.locator or None) for r in refs)
        return Markup(collector.token(Citation(items))) if items else Markup("")

    return {"md": md, "mdi": mdi, "cite": cite, "cites": cites, "longdate": long_date}


def _ref_function(collector: Collector, sources: dict[str, Source]) -> RefFunction:
    """Return `ref(key, locator)`: a compact source reference linked to its bibliography entry.

    Tables of claims and evaluation results use it instead of a footnote per cell: the row shows
    "Anthropic, System Card, sec. 4.1.1.2, p. 27" and links to the full entry in the sources list.
    """

    def ref(key: str, locator: str | None = None) -> Markup:
        collector.referenced.append(key)
        src = sources.get(key)
        label = short_label(src) if src is not None else key
        where = f", {html.escape(locator)}" if locator else ""
        return Markup(f'<a class="src-ref" href="#ref-{html.escape(key)}">{html.escape(label)}</a>{where}')

    return ref


def _table_filters(ref: RefFunction) -> tuple[MarkdownFilter, MarkdownFilter]:
    """Return the `mdr` and `mdrb` filters: Markdown (inline; paragraphs) whose citations become in-text
    references, not notes.

    Table cells (rubric rationales, annex rows) use it, so a dense table does not fill the foot of
    the page with notes; each reference still links to its entry in the sources list.
    """

    def as_reference(citation: Citation) -> str:
        parts = [str(ref(item.key, item.locator)) for item in citation.items]
        return f' <span class="in-ref">({"; ".join(parts)})</span>'

    def mdr(text: str | None) -> Markup:
        return Markup(markdown_inline(text or "", as_reference))

    def mdrb(text: str | None) -> Markup:  # the same for paragraphs (the compendium's summaries)
        return Markup(markdown_to_html(text or "", as_reference))

    return mdr, mdrb


def short_label(src: Source) -> str:
    """Return a short name for a source: 'Anthropic, System Card', 'Lynch et al., Agentic Misalignment'."""
    extra = src.model_extra or {}
    authors = extra.get("author") or []
    if authors and isinstance(authors[0], dict):
        first = authors[0].get("literal") or authors[0].get("family") or ""
        who = (
            f"{first} et al."
            if len(authors) > 2
            else " and ".join(a.get("literal") or a.get("family") or "" for a in authors)
        )
    else:
        who = str(extra.get("container-title") or extra.get("publisher") or "")
    short = str(extra.get("title-short") or src.title.split(": ")[0].split(" — ")[0]).strip()
    if len(short) > 60:
        short = short[:57].rsplit(" ", 1)[0] + "…"
    if extra.get("number") and str(extra["number"]) not in short:
        short += f" ({extra['number']})"
    return f"{who}, {short}" if who else short


def render(
    config_templates: Path | None,
    context: dict[str, Any],
    engine: CitationEngine,
    names: list[str],
) -> RenderedHTML:
    """Render the first existing template of `names` with `context`; resolve citations."""
    collector = Collector()
    filters = _filters(collector)
    env = environment(config_templates, filters)
    ref = _ref_function(collector, context["sources"])
    env.filters["mdr"], env.filters["mdrb"] = _table_filters(ref)  # registered before the template compiles
    template, considered = select(env, names)
    ctx = dict(context)
    ctx.update(
        cite=filters["cite"],
        cites=filters["cites"],
        ref=ref,
        notes_slot=Markup(NOTES_SLOT),
        bibliography_slot=Markup(BIB_SLOT),
        print_part=_print_part,
        templates_considered=considered,
        template_name=template.name,
    )
    try:
        body = template.render(ctx)
    except jinja2.TemplateError as exc:
        raise RenderError(f"{template.name}: {exc}") from None
    if BIB_SLOT in body and not collector.citations and not collector.referenced:
        # Nothing is cited: no sources list (an empty section claims what is not there).
        at = body.index(BIB_SLOT)
        start, end = body.rfind("<section", 0, at), body.find("</section>", at)
        if start >= 0 and end >= 0:
            body = body[:start] + body[end + len("</section>") :]
    body = contents.fill(body)  # chapter numbers and the contents list, from the body itself
    rendered = engine.render(collector.citations, bibliography_keys=sorted(set(collector.referenced)))
    sources = context["sources"]
    if rendered.note_style:
        # As pandoc does for note styles: no space before a note call, and the call after punctuation.
        body = NOTE_PUNCT_RE.sub(lambda m: m.group(2) + m.group(1), body)
        body = SPACE_TOKEN_RE.sub(lambda m: m.group(1), body)
    else:
        # In-text styles (APA, IEEE ...): the citation is part of the sentence, not a note.
        body = TOKEN_RE.sub(lambda m: f'<span class="citation">{rendered.notes[int(m.group(1)) - 1]}</span>', body)

    bib_html = _bibliography(rendered, sources, context.get("evidence"))
    screen = _notes_html(rendered, collector, sources) if rendered.note_style else ""
    html_doc = (
        TOKEN_RE.sub(lambda m: _note_ref(int(m.group(1))), body).replace(NOTES_SLOT, screen).replace(BIB_SLOT, bib_html)
    )
    # A source's reliability is said once, in the sources list (grouped primary / press / social), not in every note.
    print_doc = TOKEN_RE.sub(lambda m: _footnote(int(m.group(1)), rendered.notes[int(m.group(1)) - 1]), body)
    print_doc = print_doc.replace(NOTES_SLOT, "").replace(BIB_SLOT, bib_html)
    if BIB_SLOT not in body:  # no sources list in this audience's template: no link to an entry
        html_doc = NOTE_SRC_RE.sub("", html_doc)
    parts = _print_parts(print_doc)
    html_doc, print_doc = PART_RE.sub("", html_doc), PART_RE.sub("", print_doc)  # the markers never reach the output
    print_css = read_asset(config_templates, "print.css")
    return RenderedHTML(
        html_doc,
        print_doc,
        print_css,
        template.name or "",
        considered,
        len(collector.citations),
        len(rendered.bibliography),
        parts,
    )


def _print_part(kind: str, **data: str) -> Markup:
    """Mark where the print document may be cut: "start" (with the page-margin strings), a part's kind, "end"."""
    return Markup(PART_MARK.format(json.dumps({"part": kind, **data}, sort_keys=True)))


def _print_parts(doc: str) -> PrintParts | None:
    """Cut the print document at its part markers; None when the template marks none."""
    marks = list(PART_RE.finditer(doc))
    if not marks:
        return None
    kinds = [json.loads(m.group(1)) for m in marks]
    if (
        kinds[0]["part"] != "start"
        or kinds[-1]["part"] != "end"
        or len(marks) < 3
        or any(k["part"] in ("start", "end") for k in kinds[1:-1])
    ):
        raise RenderError(
            "print_part: a template marks parts between one 'start' and one 'end' marker, with at least one part"
        )
    parts = [(kind["part"], doc[a.end() : b.start()]) for kind, a, b in zip(kinds[1:-1], marks[1:-1], marks[2:])]
    running = {k: v for k, v in kinds[0].items() if k != "part"}
    return PrintParts(
        doc[: marks[0].start()], doc[marks[0].end() : marks[1].start()], parts, doc[marks[-1].end() :], running
    )


def _note_ref(number: int) -> str:
    return f'<a class="noteref" href="#note-{number}" id="noteref-{number}" role="doc-noteref"><sup>{number}</sup></a>'


def _source_links(citation: Citation, sources: dict[str, Source]) -> str:
    """Link a note to its sources' entries (where their reliability is said, once)."""
    keys = [key for key in dict.fromkeys(item.key for item in citation.items) if key in sources]
    if not keys:
        return ""

    def link(key: str, text: str) -> str:
        label = html.escape(f"{text}: {short_label(sources[key])}", quote=True)
        return f'<a class="to-ref" href="#ref-{html.escape(key)}" aria-label="{label}">{text}</a>'

    if len(keys) == 1:
        links = link(keys[0], "source entry")
    else:
        links = "source entries " + ", ".join(link(key, str(i)) for i, key in enumerate(keys, 1))
    return f' <span class="note-src">[{links}]</span>'


def _notes_html(rendered: Rendered, collector: Collector, sources: dict[str, Source]) -> str:
    """Return the notes section of the screen HTML, each note linked to its sources' entries."""
    if not collector.citations:
        return ""
    items = []
    for number, (note, citation) in enumerate(zip(rendered.notes, collector.citations), start=1):
        items.append(
            f'<li id="note-{number}" value="{number}"><span class="note-text">{note}</span>'
            f"{_source_links(citation, sources)} "
            f'<a class="backlink" href="#noteref-{number}" role="doc-backlink" '
            f'aria-label="Back to the text of note {number}">↩</a></li>'
        )
    return (
        '<section id="notes" class="notes-section" aria-labelledby="notes-title">\n'
        '<h2 id="notes-title" class="unnumbered">Notes</h2>\n'
        '<ol class="notes">\n' + "\n".join(items) + "\n</ol>\n</section>"
    )


def _footnote(number: int, note: str) -> str:
    return f'<span class="footnote" id="note-{number}">{note}</span>'


# How a source not read in full is described in the sources list.
VERIFICATION_LABELS = {
    "corroborated": "Corroborated, not read",
    "unverified": "Unverified",
    "listed": "Listed by a data set, not read",
}


def _bibliography(
    rendered: Rendered, sources: dict[str, Source], evidence: dict[str, dict[str, Any]] | None = None
) -> str:
    """Return the sources list, grouped primary / press / social, with what is known of each source."""
    groups: dict[str, list[str]] = {}
    for entry in rendered.bibliography:
        src = sources.get(entry.key)
        rel = src.reliability.value if src else "secondary"
        extra = ""
        if src is not None:
            if src.verification.value != "consulted":
                label = VERIFICATION_LABELS.get(src.verification.value, src.verification.value)
                checked = re.sub(
                    rf"^{re.escape(src.verification.value)}\s*[:.]\s*",
                    "",
                    src.checked or "not read by the curators",
                    flags=re.I,
                )
                shown = html.escape(checked[:1].upper() + checked[1:])
                extra += f' <span class="verification">[{html.escape(label)}: {shown}]</span>'
            extra += bibliography_notes(
                src, (evidence or {}).get(entry.key), entry.html
            )  # access date, dead original link (evidence.py)
            if src.licence:  # the record's own content licence (the project declares none)
                extra += f' <span class="licence">Licence: {html.escape(src.licence)}.</span>'

            if src.archived:
                url = html.escape(src.archived, quote=True)
                link = f'<a href="{url}">{url}</a>' if safe_href(src.archived) else url  # no javascript: or file: links
                extra += f' <span class="archived">Archived copy: {link}.</span>'
        groups.setdefault(rel, []).append(
            f'<li id="ref-{html.escape(entry.key)}" class="csl-entry">{entry.html}{extra}</li>'
        )
    titles = {
        "primary": "Primary sources",
        "secondary": "Press and commentary (secondary sources)",
        "social": "Social-media posts",
    }
    out = []
    for rel in ("primary", "secondary", "social"):
        if rel in groups:
            out.append(
                f'<h3 class="bib-group">{titles[rel]}</h3>\n<ul class="bibliography">\n'
                + "\n".join(groups[rel])
                + "\n</ul>"
            )
    return "\n".join(out)
