"""Word (.docx) output: the print HTML through pandoc, with real footnotes and the marking on every page.

The PDF's source document (render/html.py `print_html`) is what pandoc reads: headings, lists,
tables with header rows, figures and the sources list come through pandoc's HTML reader; each
`<span class="footnote">` (the PDF's note, same text) becomes a Word footnote by a Lua filter. Styles
come from `templates/reference.docx` (a project's own `templates/reference.docx` wins). Afterwards the
package is made reproducible (every date from the edition date, fixed zip entries) and the marking
is put in the page header and footer.

pandoc is imported here only, when a .docx is asked for (never on `brief --help`'s path).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import os
import re
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pypandoc

from brief.core.errors import RenderError

# A WeasyPrint footnote -> a Word footnote; what only the printed page uses is dropped.
LUA_FILTER = r"""
function Meta(m)
  -- The title and author go to the document properties only: the brief's masthead shows them.
  m.title = nil
  m.author = nil
  return m
end
function Span(el)
  if el.classes:includes("footnote") then
    return pandoc.Note(pandoc.Plain(el.content))
  end
end
"""

# The on-page marking banners and the skip link are HTML furniture: the marking goes to the header and footer.
_FURNITURE_RE = re.compile(r'<header class="marking[^"]*">.*?</header>|<a class="skip-link"[^>]*>.*?</a>', re.S)
_MARKING_RE = re.compile(r'<meta name="brief\.marking" content="([^"]*)">')
_TOC_RE = re.compile(r'<nav class="toc.*?</nav>', re.S)
_SVG_RE = re.compile(r"<svg\b.*?</svg>", re.S)
_SVG_TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title>", re.S)
_TITLE_RE = re.compile(r"<title>([^<]*)</title>")
_AUTHOR_RE = re.compile(r'<meta name="author" content="([^"]*)">')
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_CT = "application/vnd.openxmlformats-officedocument.wordprocessingml."


def reference_doc(dirs: list[Path]) -> Path:
    """Return templates/reference.docx: the project's own first, else the packaged one."""
    for folder in dirs:
        path = folder / "reference.docx"
        if path.is_file():
            return path
    raise RenderError(f"reference.docx not found in {', '.join(str(d) for d in dirs)}")


def write_docx(print_html: str, reference: Path, created: dt.date) -> bytes:
    """Return the .docx of a print document: the same bytes for the same inputs."""
    marking = html.unescape(m.group(1)) if (m := _MARKING_RE.search(print_html)) else ""
    title = html.unescape(m.group(1)) if (m := _TITLE_RE.search(print_html)) else ""
    author = html.unescape(m.group(1)) if (m := _AUTHOR_RE.search(print_html)) else ""
    source = _FURNITURE_RE.sub("", print_html)
    # The contents list is a bulleted list in Word: its entries carry their chapter numbers already.
    source = _TOC_RE.sub(lambda m: m.group(0).replace("<ol", "<ul").replace("</ol>", "</ul>"), source)
    source = _SVG_RE.sub(_svg_image, source)
    epoch = int(dt.datetime(created.year, created.month, created.day, tzinfo=dt.timezone.utc).timestamp())
    with tempfile.TemporaryDirectory(prefix="brief-docx-") as tmp:
        lua, out = Path(tmp) / "notes.lua", Path(tmp) / "out.docx"
        lua.write_text(LUA_FILTER, encoding="utf-8")
        cmd = [
            pypandoc.get_pandoc_path(),
            "--from=html",
            "--to=docx",
            f"--reference-doc={reference}",
            f"--lua-filter={lua}",
            f"--output={out}",
        ]
        env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch))
        try:
            done = subprocess.run(cmd, input=source.encode("utf-8"), capture_output=True, env=env, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"pandoc could not make the .docx: {exc}") from None
        if done.returncode != 0:
            first = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[0]
            raise RenderError(f"pandoc could not make the .docx (exit {done.returncode}): {first}")
        data = out.read_bytes()
    return _finish(data, marking, created, title, author)


def _svg_image(match: re.Match[str]) -> str:
    """Return an inline chart as an image pandoc embeds as it is (its reader would lower-case `viewBox`), its
    title as alt text."""
    svg = match.group(0)
    alt = (
        " ".join(html.unescape(re.sub(r"<[^>]+>", "", t.group(1))).split()) if (t := _SVG_TITLE_RE.search(svg)) else ""
    )
    size = "".join(f' {k}="{v}"' for k, v in re.findall(r'\b(width|height)="(\d+(?:\.\d+)?)"', svg.split(">", 1)[0]))
    data = base64.b64encode(svg.encode("utf-8")).decode()
    return f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt)}"{size}>'


def _finish(data: bytes, marking: str, created: dt.date, title: str = "", author: str = "") -> bytes:
    """Add the marking as page header and footer; fix every date in the package to the edition date."""
    stamp = f"{created.isoformat()}T00:00:00Z"
    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        names = [info.filename for info in src.infolist()]
        for name in names:
            parts[name] = src.read(name)
    core = parts.get("docProps/core.xml")
    if core is not None:
        core = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", lambda m: m.group(1) + stamp.encode(), core)
        props = b"".join(
            f"<dc:{tag}>{html.escape(text, quote=False)}</dc:{tag}>".encode()
            for tag, text in (("title", title), ("creator", author))
            if text
        )
        core = re.sub(rb"<dc:(?:title|creator)>[^<]*</dc:(?:title|creator)>|<dc:(?:title|creator)\s*/>", b"", core)
        parts["docProps/core.xml"] = (
            core.replace(b"<cp:keywords", props + b"<cp:keywords", 1) if b"<cp:keywords" in core else core
        )
    # Tables across the text width (pandoc leaves them to autofit, which LibreOffice draws narrow).
    parts["word/document.xml"] = _full_width(
        parts["word/document.xml"].replace(b'<w:tblW w:type="auto" w:w="0" />', b'<w:tblW w:type="pct" w:w="5000" />')
    )
    if marking:
        _add_marking(parts, names, marking)
    out = io.BytesIO()
    when = (max(created.year, 1980), created.month, created.day, 0, 0, 0)
    with zipfile.ZipFile(out, "w") as zf:
        for name in names:  # pandoc's order ([Content_Types].xml first), then what was added
            info = zipfile.ZipInfo(name, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, parts[name], compresslevel=6)
    return out.getvalue()


def _full_width(doc: bytes) -> bytes:
    """Scale each table's column grid to the text width of the page (from the section's size and margins)."""
    size = re.search(rb'<w:pgSz [^>]*?w:w="(\d+)"', doc)
    left, right = re.search(rb'<w:pgMar [^>]*?w:left="(\d+)"', doc), re.search(rb'<w:pgMar [^>]*?w:right="(\d+)"', doc)
    if not (size and left and right):
        return doc
    width = int(size.group(1)) - int(left.group(1)) - int(right.group(1))

    def scale(grid: re.Match[bytes]) -> bytes:
        cols = [int(w) for w in re.findall(rb'<w:gridCol w:w="(\d+)"', grid.group(0))]
        if not cols or sum(cols) <= 0 or sum(cols) >= width:
            return grid.group(0)
        new = [c * width // sum(cols) for c in cols]
        return b"<w:tblGrid>" + b"".join(b'<w:gridCol w:w="%d" />' % c for c in new) + b"</w:tblGrid>"

    return re.sub(rb"<w:tblGrid>.*?</w:tblGrid>", scale, doc, flags=re.S)


def _add_marking(parts: dict[str, bytes], names: list[str], marking: str) -> None:
    text = html.escape(marking, quote=False)

    def part(tag: str) -> bytes:
        return (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:{tag} xmlns:w="{_W}" xmlns:r="{_REL}">'
            f'<w:p><w:pPr><w:pStyle w:val="{"Header" if tag == "hdr" else "Footer"}"/><w:jc w:val="center"/></w:pPr>'
            f'<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">{text}</w:t></w:r></w:p></w:{tag}>'
        ).encode("utf-8")

    parts["word/brief-marking-header.xml"] = part("hdr")
    parts["word/brief-marking-footer.xml"] = part("ftr")
    names += ["word/brief-marking-header.xml", "word/brief-marking-footer.xml"]
    rels = parts["word/_rels/document.xml.rels"]
    new_rels = (
        f'<Relationship Id="rIdBriefMarkingHeader" Type="{_REL}/header" Target="brief-marking-header.xml"/>'
        f'<Relationship Id="rIdBriefMarkingFooter" Type="{_REL}/footer" Target="brief-marking-footer.xml"/>'
    ).encode()
    parts["word/_rels/document.xml.rels"] = rels.replace(b"</Relationships>", new_rels + b"</Relationships>")
    types = parts["[Content_Types].xml"]
    overrides = (
        f'<Override PartName="/word/brief-marking-header.xml" ContentType="{_CT}header+xml"/>'
        f'<Override PartName="/word/brief-marking-footer.xml" ContentType="{_CT}footer+xml"/>'
    ).encode()
    parts["[Content_Types].xml"] = types.replace(b"</Types>", overrides + b"</Types>")
    doc = parts["word/document.xml"]
    refs = (
        b'<w:headerReference w:type="default" r:id="rIdBriefMarkingHeader"/>'
        b'<w:footerReference w:type="default" r:id="rIdBriefMarkingFooter"/>'
    )
    at = doc.rfind(b"<w:sectPr")
    if at < 0:
        raise RenderError("pandoc's document has no section properties to put the marking in")
    end = doc.index(b">", at)
    section = (
        doc[at : doc.find(b"</w:sectPr>", at) + len(b"</w:sectPr>")]
        if doc[end - 1 : end] != b"/"
        else doc[at : end + 1]
    )
    # The reference document's own default header and footer give way to the marking.
    body = re.sub(rb"<w:(?:header|footer)Reference [^>]*w:type=\"default\"[^>]*/>", b"", section)
    if body.endswith(b"/>") and b"</w:sectPr>" not in body:
        body = body[:-2].rstrip() + b">" + refs + b"</w:sectPr>"
    else:
        open_end = body.index(b">") + 1
        body = body[:open_end] + refs + body[open_end:]
    parts["word/document.xml"] = doc[:at] + body + doc[at + len(section) :]
